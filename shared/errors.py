"""Errors the services share, free of any web framework."""

from __future__ import annotations


class FieldError(ValueError):
    """A command field is invalid for a reason the request schema alone cannot see."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
