"""Typed dependencies for the notifications routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.notifications.projections import Inbox
from shared.http.deps import get_runtime
from shared.runtime import Runtime


def get_inbox(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Inbox:
    inbox = runtime.parts.extras["inbox"]
    assert isinstance(inbox, Inbox)
    return inbox


InboxView = Annotated[Inbox, Depends(get_inbox)]
