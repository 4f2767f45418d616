"""Ids read from a page's address."""

from __future__ import annotations

import re
from uuid import UUID

from services.web.api import NotFound

# ASCII only: [a-z] never matches é, as \w or str.isalnum would.
_READ_MODEL_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


def record_id(value: object) -> UUID:
    """An id from the address; anything else is a page that does not exist (never a
    validation message that would repeat what was typed)."""
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound from None


def read_model_name(value: str) -> str:
    """A read model's name from the address, as the services name them (``caseload``); any
    other text names none, and is never put into a service's path."""
    if not _READ_MODEL_NAME.fullmatch(value):
        raise NotFound
    return value
