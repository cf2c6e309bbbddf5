"""Settings from the environment (pydantic-settings). Every variable starts with CT_ and nested
groups use "__", e.g. CT_DB__URL, CT_TELEMETRY__EXPORTER, CT_PEERS__PROFILE."""

from typing import Literal

from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseModel):
    # The service's own role, e.g. postgresql+asyncpg://grading_svc:pw@host:5432/clienttier
    url: SecretStr | None = None
    pool_size: int = 5
    max_overflow: int = 5
    # A round trip before every checkout: off, since a dropped connection is noticed on use
    # and the pool then replaces all of them; on for networks that cut idle connections.
    pre_ping: bool = False


class TelemetrySettings(BaseModel):
    # none: spans are made (trace ids reach the logs) but not exported.
    exporter: Literal["none", "console", "otlp"] = "none"
    # Share of new traces recorded when exporting (callers' sampling decisions are followed).
    sample_ratio: float = 1.0


class PeerSettings(BaseModel):
    """Where the other services listen (host:port)."""

    profile: str = "127.0.0.1:50051"
    grading: str = "127.0.0.1:50052"
    recommend: str = "127.0.0.1:50053"
    alerts: str = "127.0.0.1:50054"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CT_", env_nested_delimiter="__", extra="ignore")

    host: str = "0.0.0.0"
    # None: the service's own default port.
    port: int | None = None
    log_level: str = "INFO"
    # Let several processes of a service listen on one port (the kernel spreads connections
    # across them): one process per core, since a Python process uses one. Off by default, so
    # a port already taken is an error rather than silently shared.
    share_port: bool = False
    # How long a stopping server lets in-flight calls finish.
    grace_seconds: float = 10.0
    # Deadline of every outbound unary call that does not set its own.
    call_timeout_seconds: float = 2.0
    # How often health re-checks the database once serving.
    health_interval_seconds: float = 5.0
    db: DatabaseSettings = DatabaseSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    peers: PeerSettings = PeerSettings()

    def database_url(self) -> str:
        if self.db.url is None:
            raise RuntimeError("CT_DB__URL is not set: this service needs its database URL")
        return self.db.url.get_secret_value()
