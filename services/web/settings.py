"""Typed settings of the web app (``WAYMARK_WEB_*``), read once at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_WEB_PORT = 8000


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WAYMARK_WEB_", extra="ignore", hide_input_in_errors=True
    )

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_WEB_PORT, ge=1, le=65535)
    visits_url: str = "http://127.0.0.1:8001"
    cases_url: str = "http://127.0.0.1:8002"
    notifications_url: str = "http://127.0.0.1:8003"
    api_timeout_s: float = Field(default=10.0, gt=0, le=120)

    # Sign-in. Production: OpenID Connect (Authorization Code + PKCE) against the
    # organisation's identity provider, whose access tokens the services verify by JWKS.
    oidc_issuer: str | None = Field(default=None, description="https://idp.example.org/realms/x")
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid profile"
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="where people reach the web app"
    )
    # The embedded run's development sign-in (choose a role and subject); refused when an
    # identity provider is configured.
    dev_key_file: Path | None = Field(
        default=None, description="the embedded run's HS256 key: enables development sign-in"
    )
    auth_audience: str = "waymark"
    auth_roles_claim: str = Field(default="roles", pattern=r"^[A-Za-z0-9_.:/-]{1,100}$")
    auth_jwks_url: str | None = Field(default=None, description="the IdP's JWKS (RS256)")
    auth_issuer: str | None = None

    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: float = Field(default=12, gt=0, le=24)
    cookie_secure: bool = Field(default=True, description="false only for plain-http local runs")

    # Shown to a volunteer whose urgent concern could not be sent: whom to phone instead.
    safeguarding_phone: str = Field(default="", max_length=40)
    log_level: str = "INFO"
    log_json: bool = True
    #: OTLP/HTTP traces endpoint (``http://collector:4318/v1/traces``); unset: no tracing.
    otlp_endpoint: str | None = None

    @model_validator(mode="after")
    def _one_way_to_sign_in(self) -> WebSettings:
        if self.oidc_issuer and self.dev_key_file:
            raise ValueError(
                "configure either an identity provider (WAYMARK_WEB_OIDC_ISSUER) or the "
                "development sign-in (WAYMARK_WEB_DEV_KEY_FILE), not both"
            )
        if not self.oidc_issuer and not self.dev_key_file:
            raise ValueError(
                "no sign-in configured: set WAYMARK_WEB_OIDC_ISSUER and _OIDC_CLIENT_ID, "
                "or WAYMARK_WEB_DEV_KEY_FILE for the embedded run"
            )
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("WAYMARK_WEB_OIDC_CLIENT_ID is needed with an identity provider")
        return self

    @property
    def development_sign_in(self) -> bool:
        return self.dev_key_file is not None
