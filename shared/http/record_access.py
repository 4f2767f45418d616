"""Which callers may open one record: the rule a service's finer access check follows.

The role gate (``shared/http/access.py``) has already let the caller through. A safeguarding
lead opens every record; anyone else is checked against the record itself (not a projection
that may lag a moment behind her own write), which means reading it in a worker thread: it
opens if it is visible to her or her team, and is otherwise refused as its service says. A
request that names no record, one that is not an id or an unknown one is let through: the
route answers it (422 or 404) as it would for anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar
from uuid import UUID

from fastapi import Request

from shared.security.roles import Principal, Role
from shared.threads import in_thread


class Visible(Protocol):
    """A record that says whether a member of staff, or her team, may open it."""

    def is_visible_to(self, subject: str, team: str | None, /) -> bool: ...


Record = TypeVar("Record", bound=Visible)


async def check_record_access(
    request: Request,
    principal: Principal,
    path_param: str,
    read: Callable[[UUID], Record],
    unknown: type[Exception],
    refuse: Callable[[Record], None],
) -> None:
    """Let the caller open the record whose id is in ``path_param`` (``read`` reads it, raising
    ``unknown`` when there is none), or ``refuse`` it: a 403, unless the service has another
    way in for her."""
    # ``async``, and a worker thread only when the record must be read: a request without a
    # record id, or a lead's, costs no hop.
    raw = request.path_params.get(path_param)
    if raw is None or principal.has(Role.SAFEGUARDING_LEAD):
        return
    try:
        record_id = UUID(raw)
    except ValueError:
        return

    def check() -> None:
        try:
            record = read(record_id)
        except unknown:
            return
        if not record.is_visible_to(principal.subject, principal.team):
            refuse(record)

    await in_thread(check)
