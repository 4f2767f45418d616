"""The embedded run's secrets: files created once, inside its data directory, where the admin
commands find them when nothing else is configured."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from pathlib import Path

MASTER_KEY_IN_VAR = Path("secrets") / "master.key"
DEV_KEY_IN_VAR = Path("secrets") / "dev-jwt.key"


def _ensure_secret_file(path: Path, make: Callable[[], str]) -> Path:
    """A secret created once, owner-only from the first byte (O_EXCL: never overwritten)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make() + "\n")
    return path


def ensure_master_key(path: Path) -> Path:
    """A development master key (base64 of 32 random bytes)."""
    return _ensure_secret_file(path, lambda: base64.b64encode(secrets.token_bytes(32)).decode())


def ensure_dev_signing_key(path: Path) -> Path:
    """The embedded run's HS256 development secret."""
    return _ensure_secret_file(path, lambda: secrets.token_urlsafe(48))
