"""Each request's id: in every log line written while it runs (structlog's context), in its
``X-Request-Id`` response header and in its problem documents.

A caller's own ``X-Request-Id`` (a proxy's: nginx's ``$request_id``, Envoy's UUID) is kept
only when it is hexadecimal digits and hyphens, 16 to 64 of them, which can hold no name or
word a person typed; anything else is replaced by a fresh id, so free text is never echoed or
logged.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from contextvars import ContextVar

_SAFE = re.compile(rb"[0-9A-Fa-f][0-9A-Fa-f-]{15,63}")

_current: ContextVar[str | None] = ContextVar("waymark_request_id", default=None)


def request_id_from(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The caller's id when it is a hex token (a UUID, 32 hex digits), else a new one."""
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
