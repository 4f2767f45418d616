"""New journeys nobody holds: a caseworker takes one, a safeguarding lead assigns one.

The queue shows exactly what the cases service gives for it (languages, flags, counts,
times; never her pseudonym): her journey opens to a caseworker once it is hers.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.web.api import Command, NotAllowed, NotFound, Refused, Service
from services.web.pages.caseload import Casework, CaseworkerOnly
from services.web.pages.commands import form_version, send_command
from services.web.pages.listing import PAGE_SIZE, Paging, page_number
from services.web.rendering import render
from services.web.sessions import Session
from shared.security.roles import Role

router = APIRouter()

#: Why she is back at the queue (a code in the URL, never anything about her).
NOTICES = {
    "taken": "Someone else took that journey a moment ago. The list below is up to date.",
    "changed": "That journey changed a moment ago. Check it below, as it is now, and try again.",
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


def _back_to_queue(notice: str, *, page: int = 1, journey_id: UUID | None = None) -> Response:
    # The page she was on, at her card when it is still there: ids only, never anything of her.
    to = f"/intake?notice={notice}" + (f"&page={page}" if page > 1 else "")
    return RedirectResponse(to + (f"#journey-{journey_id}" if journey_id else ""), status_code=303)


async def _still_waiting(request: Request, session: Session, journey_id: UUID) -> bool:
    answer = await request.app.state.services.get(
        Service.CASES,
        "/journeys/intake",
        session.access_token,
        {"journey_id": str(journey_id), "limit": 1},
    )
    return bool((answer.body or {}).get("items"))


async def _hers(request: Request, session: Session, journey_id: UUID) -> bool:
    """Whether she holds the journey already: a claim pressed twice, or sent again after its
    answer was lost, meets her own first claim."""
    try:
        answer = await request.app.state.services.get(
            Service.CASES, f"/journeys/{journey_id}", session.access_token
        )
    except (NotAllowed, NotFound, Refused):
        return False
    return bool((answer.body or {}).get("caseworker_id") == session.subject)


@router.post("/intake/{journey_id}/claim")
async def claim(
    request: Request,
    journey_id: UUID,
    session: CaseworkerOnly,
    version: Annotated[str, Form()] = "",
    page: Annotated[str, Form()] = "",
) -> Response:
    expected = form_version(version)
    if expected is None:
        return _back_to_queue("changed")

    async def not_hers(refused: Refused) -> Response:
        # 412: she changed since the queue was drawn — taken by someone, or outreach added to
        # her journey, which the fresh queue shows before she is taken.
        if refused.stale:
            if await _still_waiting(request, session, journey_id):
                return _back_to_queue("changed", page=page_number(page), journey_id=journey_id)
            if await _hers(request, session, journey_id):
                return RedirectResponse(f"/journeys/{journey_id}", status_code=303)
            return _back_to_queue("taken", page=page_number(page))
        if refused.status == 409 and refused.slug == "already-assigned":
            return _back_to_queue("taken")
        return _back_to_queue("gone")

    command = Command(
        Service.CASES,
        f"/journeys/{journey_id}/claim",
        if_match=expected,
        idempotency_key=str(uuid.uuid4()),
    )
    return await send_command(
        request, session, command, done=f"/journeys/{journey_id}", refused=not_hers
    )
