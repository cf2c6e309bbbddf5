"""The runtime every ClientTier process shares: settings, logs, tracing, database, gRPC
server bootstrap, outbound channels, and the outbox/subscription event plumbing."""
