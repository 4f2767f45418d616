"""Each request's id: in every log line written while it runs (structlog's context), in its
``X-Request-Id`` response header and in its problem documents.

A caller's own ``X-Request-Id`` (a proxy's, the web app's) is kept only when it is a plain
token — letters, digits, ``.``, ``_``, ``-``, 8 to 64 of them — so nothing a client typed is
ever echoed or logged; anything else is replaced by a fresh id.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from contextvars import ContextVar

_SAFE = re.compile(rb"[A-Za-z0-9._-]{8,64}")

_current: ContextVar[str | None] = ContextVar("waymark_request_id", default=None)


def request_id_from(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The caller's id when it is a safe token, else a new one."""
    for name, value in headers:
        if name == b"x-request-id":
            if _SAFE.fullmatch(value):
                return value.decode("ascii")
            break
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The id of the request being handled, if any."""
    return _current.get()


def set_request_id(request_id: str | None) -> object:
    """Make ``request_id`` current; returns the token to restore the previous one."""
    return _current.set(request_id)


def reset_request_id(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
