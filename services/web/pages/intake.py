"""New journeys nobody holds: a caseworker takes one, a safeguarding lead assigns one.

The queue shows exactly what the cases service gives for it (languages, flags, counts,
times; never her pseudonym): her journey opens to a caseworker once it is hers.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.web.api import Refused, Service
from services.web.pages.caseload import Casework, CaseworkerOnly
from services.web.pages.commands import Command, send_command
from services.web.pages.listing import PAGE_SIZE, Paging, page_number
from services.web.rendering import render
from services.web.sessions import Session
from shared.security.roles import Role

router = APIRouter()

#: Why she is back at the queue (a code in the URL, never anything about her).
NOTICES = {
    "taken": "Someone else took that journey a moment ago. The list below is up to date.",
    "gone": "That journey is no longer waiting: it was closed or merged.",
}


async def _queue(request: Request, session: Session, page: int) -> tuple[list[Any], Paging]:
    answer = await request.app.state.services.get(
        Service.CASES,
        "/journeys/intake",
        session.access_token,
        {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE},
    )
    body = answer.body or {}
    return body.get("items", []), Paging(page, int(body.get("total", 0)), PAGE_SIZE, "/intake", {})


@router.get("/intake", response_class=HTMLResponse)
async def intake(request: Request, session: Casework) -> Response:
    items, paging = await _queue(request, session, page_number(request.query_params.get("page")))
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return await render(
        request,
        "caseload/intake.html",
        {
            "items": items,
            "paging": paging,
            "notice": notice,
            "can_claim": session.has(Role.CASEWORKER),
            "can_assign": session.has(Role.SAFEGUARDING_LEAD),
        },
        title="New journeys",
    )


def _back_to_queue(notice: str) -> Response:
    return RedirectResponse(f"/intake?notice={notice}", status_code=303)


async def _not_hers(refused: Refused) -> Response:
    if refused.status == 409 and refused.slug == "already-assigned":
        return _back_to_queue("taken")
    return _back_to_queue("gone")


@router.post("/intake/{journey_id}/claim")
async def claim(request: Request, journey_id: UUID, session: CaseworkerOnly) -> Response:
    # No If-Match: who holds her is the claim's one precondition, and the journey itself
    # refuses a second holder (409). A version would also turn her away when an outreach fact
    # reached the journey after the queue was read, which changes nothing about taking it.
    command = Command(
        Service.CASES, f"/journeys/{journey_id}/claim", idempotency_key=str(uuid.uuid4())
    )
    return await send_command(
        request, session, command, done=f"/journeys/{journey_id}", refused=_not_hers
    )
