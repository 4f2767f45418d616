"""Typed settings for one service process.

Every knob a service has is here, read once at start-up from ``WAYMARK_*`` variables (or passed
explicitly by the launcher and the tests). Nothing else in the code reads ``os.environ``.
"""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ServiceName(StrEnum):
    VISITS = "visits"
    CASES = "cases"
    NOTIFICATIONS = "notifications"


DEFAULT_PORTS = {ServiceName.VISITS: 8001, ServiceName.CASES: 8002, ServiceName.NOTIFICATIONS: 8003}
# 4222 is the conventional NATS port and is often taken by a system server; the embedded
# default keeps clear of it.
DEFAULT_NATS_PORT = 4322


class Settings(BaseSettings):
    # hide_input_in_errors: a validation error must never echo a key or password it was given.
    model_config = SettingsConfigDict(
        env_prefix="WAYMARK_", extra="ignore", hide_input_in_errors=True
    )

    service: ServiceName
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535, description="0 means the service's default port")

    var_dir: Path = Path("var")
    database_url: SecretStr | None = Field(
        default=None, description="postgresql://… to use PostgreSQL; unset means SQLite under var/"
    )
    sqlite_in_production: bool = Field(
        default=False,
        description="With a JWKS (production), keep SQLite files under var/ on purpose; "
        "otherwise production needs WAYMARK_DATABASE_URL",
    )
    allow_empty_store_with_consumer_progress: bool = Field(
        default=False,
        description="Let a durable consumer resume on a store that applied none of what it "
        "has acknowledged (a deliberately new store); refused by default",
    )
    postgres_schema: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    postgres_pool_size: int = Field(default=8, ge=1)
    postgres_max_overflow: int = Field(default=32, ge=0)
    store_threads: int | None = Field(
        default=None,
        ge=1,
        description="Worker threads that may call the store at once; unset: the PostgreSQL "
        "pool's size plus its overflow, so no thread waits for a connection",
    )

    nats_servers: Annotated[list[str], NoDecode] = [f"nats://127.0.0.1:{DEFAULT_NATS_PORT}"]
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    nats_token: SecretStr | None = None
    stream_duplicate_window_s: float = Field(default=900.0, ge=600.0)
    stream_replicas: int = Field(default=1, ge=1, le=5)

    master_key: SecretStr | None = Field(
        default=None, description="base64 of 32 bytes: wraps every per-person data key"
    )
    master_key_file: Path | None = None
    # Rotation: keys that only unwrap data keys not yet re-wrapped by `waymark rotate-master-key`.
    previous_master_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="comma-separated base64 keys that only unwrap"
    )
    previous_master_key_files: Annotated[list[Path], NoDecode] = Field(default_factory=list)

    @field_validator("previous_master_keys", "previous_master_key_files", mode="before")
    @classmethod
    def _split_previous_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("previous_master_keys")
    @classmethod
    def _check_previous_keys(cls, value: list[SecretStr]) -> list[SecretStr]:
        # Refused at start-up, not at the first read of someone's file.
        for secret in value:
            _decode_master_key(secret.get_secret_value(), "WAYMARK_PREVIOUS_MASTER_KEYS")
        return value

    def previous_master_key_bytes(self) -> list[bytes]:
        """The keys that only unwrap (from both settings), each a real 256-bit key."""
        keys = [
            _decode_master_key(secret.get_secret_value(), "WAYMARK_PREVIOUS_MASTER_KEYS")
            for secret in self.previous_master_keys
        ]
        keys += [
            _decode_master_key(path.read_text().strip(), "WAYMARK_PREVIOUS_MASTER_KEY_FILES")
            for path in self.previous_master_key_files
        ]
        return keys

    reference_data_file: Path | None = Field(
        default=None, description="JSON reference data (codes); the packaged default if unset"
    )

    log_poll_interval_s: float = Field(default=0.5, gt=0)
    relay_batch_size: int = Field(default=256, ge=1, le=10_000)
    #: Messages the relay keeps published but unacknowledged while it works through a backlog
    #: (below nats-py's own cap of 4,000 pending publishes).
    relay_window: int = Field(default=2048, ge=0, le=3_500)
    consumer_batch_size: int = Field(default=64, ge=1, le=1_000)
    #: How soon a dead process's batch is delivered again; a live one renews its claim every
    #: third of it however long its handlers take.
    consumer_ack_wait_s: float = Field(default=5.0, ge=1.0)
    background: bool = Field(
        default=True,
        description="Run this service's background work (relay, consumers, projections, "
        "timers) in this process; false for a process that only answers HTTP beside one that "
        "runs it (same store): requests then no longer share a core and the GIL with it",
    )
    leases: bool = Field(
        default=False,
        description="Run background work (relay, consumers, timers) only while this replica "
        "holds its lease in NATS KV: required for more than one replica per service; off for "
        "the single-process embedded default, which runs everything itself",
    )
    lease_ttl_s: float = Field(default=5.0, ge=1.0, le=300.0)
    lease_renew_s: float = Field(default=1.0, gt=0)
    lease_margin_s: float = Field(
        default=1.5, gt=0, description="A holder that could not renew stops this long before TTL"
    )
    retry_base_delay_s: float = Field(default=1.0, gt=0)
    retry_max_delay_s: float = Field(default=60.0, gt=0)

    notifications_config_file: Path | None = Field(
        default=None,
        description="JSON notification rules, rota, recipients; the packaged default if unset",
    )
    notifications_dispatch_interval_s: float = Field(default=1.0, gt=0)
    notifications_retry_base_s: float = Field(default=30.0, gt=0)
    notifications_retry_max_s: float = Field(default=3600.0, gt=0)
    notifications_max_attempts: int = Field(default=8, ge=1, le=100)
    notifications_delivery_timeout_s: float = Field(default=10.0, gt=0)
    notifications_webhook_secrets: dict[str, SecretStr] = Field(
        default_factory=dict, description='JSON {"<webhook name>": "whsec_…"}'
    )
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"

    # Bearer tokens: production verifies RS256 against the identity provider's JWKS; the
    # embedded default signs HS256 development tokens with a local key (`waymark dev-token`).
    auth_jwks_url: str | None = Field(default=None, description="https://…/jwks.json (RS256)")
    auth_jwks_file: Path | None = Field(default=None, description="a JWKS JSON file (RS256)")
    auth_dev_key: SecretStr | None = Field(
        default=None,
        description="HS256 development signing secret (32+ bytes); never in production",
    )
    auth_dev_key_file: Path | None = None
    auth_audience: str = "waymark"
    auth_issuer: str | None = None
    auth_roles_claim: str = Field(default="roles", pattern=r"^[A-Za-z0-9_.:/-]{1,100}$")
    auth_leeway_s: float = Field(default=30.0, ge=0, le=300)
    auth_max_token_lifetime_s: float = Field(default=12 * 3600, gt=0, le=7 * 24 * 3600)
    break_glass_minutes: int = Field(default=60, ge=5, le=24 * 60)

    max_body_bytes: int = Field(default=1_048_576, ge=1_024)
    log_level: str = "INFO"
    log_json: bool = True
    #: OTLP/HTTP traces endpoint (``http://collector:4318/v1/traces``); unset: no tracing.
    otlp_endpoint: str | None = None

    @field_validator("nats_servers", mode="before")
    @classmethod
    def _split_servers(cls, value: object) -> object:
        # Accept the comma-separated form that an environment variable naturally takes.
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if self.port == 0:
            self.port = DEFAULT_PORTS[self.service]
        if self.postgres_schema is None:
            self.postgres_schema = self.service.value
        if self.lease_renew_s + self.lease_margin_s >= self.lease_ttl_s:
            # A holder must get at least one renewal in before it has to stop.
            raise ValueError(
                "WAYMARK_LEASE_RENEW_S + WAYMARK_LEASE_MARGIN_S must be less than "
                "WAYMARK_LEASE_TTL_S"
            )
        if self.store_threads is None:
            self.store_threads = self.postgres_pool_size + self.postgres_max_overflow
        elif self.uses_postgres and self.store_threads > (
            self.postgres_pool_size + self.postgres_max_overflow
        ):
            raise ValueError(
                "store_threads: more than postgres_pool_size + postgres_max_overflow; a thread "
                "would wait for a connection"
            )
        return self

    @property
    def service_dir(self) -> Path:
        return self.var_dir / self.service.value

    @property
    def uses_postgres(self) -> bool:
        return self.database_url is not None

    @property
    def is_production(self) -> bool:
        """Tokens come from a real identity provider (a JWKS), not a development key."""
        return self.auth_jwks_url is not None or self.auth_jwks_file is not None

    def require_explicit_store(self) -> None:
        """Production never falls back to a new SQLite file because a setting went missing."""
        if self.is_production and not self.uses_postgres and not self.sqlite_in_production:
            raise ValueError(
                "production settings (WAYMARK_AUTH_JWKS_URL or _FILE) need an explicit store: "
                "set WAYMARK_DATABASE_URL, or WAYMARK_SQLITE_IN_PRODUCTION=true to keep SQLite "
                "files under WAYMARK_VAR_DIR on purpose"
            )

    def auth_dev_key_bytes(self) -> bytes | None:
        """The HS256 development secret, or None when tokens are verified against a JWKS."""
        if self.auth_dev_key is not None:
            secret = self.auth_dev_key.get_secret_value()
        elif self.auth_dev_key_file is not None:
            secret = self.auth_dev_key_file.read_text().strip()
        else:
            return None
        if len(secret.encode()) < 32:
            raise ValueError("the development signing key must be at least 32 bytes")
        return secret.encode()

    def master_key_bytes(self) -> bytes:
        """The key-encryption key; refuses to start without a real 256-bit key."""
        if self.master_key is not None:
            encoded = self.master_key.get_secret_value()
        elif self.master_key_file is not None:
            encoded = self.master_key_file.read_text().strip()
        else:
            raise ValueError("WAYMARK_MASTER_KEY or WAYMARK_MASTER_KEY_FILE must be set")
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error as error:
            raise ValueError("the master key must be base64") from error
        if len(key) != 32:
            raise ValueError("the master key must be 32 bytes (256 bits)")
        return key


def _decode_master_key(encoded: str, setting: str) -> bytes:
    # The message names the setting, never the value.
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise ValueError(f"{setting}: a master key must be base64") from error
    if len(key) != 32:
        raise ValueError(f"{setting}: a master key must be 32 bytes (256 bits)")
    return key
