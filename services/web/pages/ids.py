"""Ids read from a page's address."""

from __future__ import annotations

from uuid import UUID

from services.web.api import NotFound


def record_id(value: object) -> UUID:
    """An id from the address; anything else is a page that does not exist (never a
    validation message that would repeat what was typed)."""
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound from None
