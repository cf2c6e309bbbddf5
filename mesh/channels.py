"""Outbound gRPC channels: a deadline on every unary call and retries on UNAVAILABLE, declared
in the channel's service config so gRPC itself replays the call with backoff."""

import json

import grpc

_RETRY_ON_UNAVAILABLE = json.dumps(
    {
        "methodConfig": [
            {
                "name": [{}],
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.05s",
                    "maxBackoff": "0.5s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)


class DefaultDeadline(grpc.aio.UnaryUnaryClientInterceptor):
    """Gives every unary call a deadline unless the caller set one. Streams are long-lived
    subscriptions by design, so they are left alone."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def intercept_unary_unary(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        if client_call_details.timeout is None:
            client_call_details = client_call_details._replace(timeout=self.seconds)
        return await continuation(client_call_details, request)


def open_channel(target: str, default_timeout: float) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(
        target,
        options=[
            ("grpc.service_config", _RETRY_ON_UNAVAILABLE),
            ("grpc.enable_retries", 1),
            # Notice a dead peer on an idle subscription stream within a minute.
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.keepalive_timeout_ms", 10_000),
            # Subscription responses are capped at 1 MB (mesh.outbox); leave room for one
            # outsized event.
            ("grpc.max_receive_message_length", 64 << 20),
            # A connection of its own rather than one shared by every channel to the target:
            # where a service runs several processes on one port, the kernel hands each
            # connection to one of them, so callers with a few channels spread their calls.
            ("grpc.use_local_subchannel_pool", 1),
        ],
        interceptors=[DefaultDeadline(default_timeout)],
    )
