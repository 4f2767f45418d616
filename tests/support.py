"""Helpers the test layers share: settings for a temporary service, and polling."""

from __future__ import annotations

import base64
import os
import secrets
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from shared.security.roles import Role
from shared.security.tokens import issue_dev_token
from shared.settings import ServiceName, Settings

POSTGRES_DSN_VARIABLE = "WAYMARK_TEST_POSTGRES_DSN"
# One development signing key for every test service, so a token works on all three.
TEST_AUTH_KEY = "test-only-signing-key-" + secrets.token_hex(16)
T = TypeVar("T")


def postgres_dsn() -> str | None:
    return os.environ.get(POSTGRES_DSN_VARIABLE) or None


def new_master_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def make_settings(
    service: ServiceName,
    var_dir: Path,
    *,
    nats_url: str = "nats://127.0.0.1:1",
    database_url: str | None = None,
    schema_prefix: str | None = None,
    master_key: str | None = None,
    **overrides: object,
) -> Settings:
    values: dict[str, object] = {
        "service": service,
        "var_dir": var_dir,
        "nats_servers": [nats_url],
        "master_key": master_key or new_master_key(),
        "log_poll_interval_s": 0.1,
        "retry_base_delay_s": 0.2,
        "retry_max_delay_s": 1.0,
        "log_json": False,
        "auth_dev_key": TEST_AUTH_KEY,
    }
    if database_url is not None:
        values["database_url"] = database_url
        values["postgres_schema"] = f"{schema_prefix or 'test'}_{service.value}"
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def bearer(
    role: Role | str | None = None,
    *,
    subject: str = "user-1",
    team: str | None = None,
    roles: tuple[Role, ...] = (),
) -> dict[str, str]:
    """An ``Authorization`` header for a development token signed with the tests' key."""
    chosen = (*roles, *([Role(role)] if role else []))
    settings = Settings(service=ServiceName.VISITS, auth_dev_key=TEST_AUTH_KEY)
    token = issue_dev_token(settings, chosen, subject=subject, team=team)
    return {"Authorization": f"Bearer {token}"}


def unique_schema_prefix() -> str:
    return "t" + uuid.uuid4().hex[:12]


def wait_until(
    probe: Callable[[], T | None],
    timeout: float = 15.0,
    interval: float = 0.05,
    message: str = "condition",
) -> T:
    """Poll ``probe`` until it returns something truthy; fail with ``message`` after timeout."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}; last={last!r}")


def answer_text(response: Any) -> str:
    """A response's text without its request id (``X-Request-Id``, repeated in a problem
    document): random hex, which may hold any short run of digits, so a test that checks a
    value is never echoed looks at everything else."""
    request_id = response.headers.get("x-request-id")
    text: str = response.text
    return text.replace(request_id, "") if request_id else text
