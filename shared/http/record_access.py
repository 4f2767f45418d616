"""Which callers may open one record: the rule a service's finer access check follows.

The role gate (``shared/http/access.py``) has already let the caller through. A safeguarding
lead opens every record; anyone else is checked against the record itself (not a projection
that may lag a moment behind her own write), which means reading it in a worker thread. A
request that names no record, or one that is not an id, is let through: the route answers it
(422, or 404 for an unknown id) as it would for anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from fastapi import Request

from shared.security.roles import Principal, Role
from shared.threads import in_thread


async def check_record_access(
    request: Request, principal: Principal, path_param: str, check: Callable[[UUID], None]
) -> None:
    """Run ``check`` on the id in ``path_param`` unless the caller is a safeguarding lead;
    ``check`` raises a 403 when she may not open it."""
    # ``async``, and a worker thread only when the record must be read: a request without a
    # record id, or a lead's, costs no hop.
    raw = request.path_params.get(path_param)
    if raw is None or principal.has(Role.SAFEGUARDING_LEAD):
        return
    try:
        record_id = UUID(raw)
    except ValueError:
        return
    await in_thread(check, record_id)
