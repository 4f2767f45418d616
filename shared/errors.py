"""Errors the services share, free of any web framework."""

from __future__ import annotations

from collections.abc import Set


class FieldError(ValueError):
    """A command field is invalid for a reason the request schema alone cannot see."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class VersionMismatch(Exception):
    """The record changed since the client read it: the version it named is not the current.

    Raised by an application that compares the versions a client expects (``If-Match``,
    parsed by ``shared/http/etag.py``) with the record as it reads it; answered 412."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"Current version is {current_version}.")
        self.current_version = current_version


#: The versions a client last read (an ``If-Match`` may name several); None: it named none.
ExpectedVersions = Set[int] | None


def is_stale(expected: ExpectedVersions, current_version: int) -> bool:
    """Whether a client that expects ``expected`` decided on an older view than the record's."""
    return expected is not None and current_version not in expected
