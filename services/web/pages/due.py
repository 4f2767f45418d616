"""What is due: follow-ups, appointments and dates coming up, overdue first.

A caseworker sees hers by default (or everything she may see: her team's and break-glass);
a safeguarding lead sees everyone's, or one caseworker's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.web.api import Service
from services.web.pages.caseload import Casework
from services.web.pages.listing import PAGE_SIZE, Paging, overdue, page_number, staff_id
from services.web.rendering import render
from shared.security.roles import Role

router = APIRouter()


@router.get("/due", response_class=HTMLResponse)
async def due(request: Request, session: Casework) -> Response:
    query = request.query_params
    errors: dict[str, str] = {}
    lead = session.has(Role.SAFEGUARDING_LEAD)
    if lead:
        whose = staff_id(query.get("caseworker"), errors, "caseworker")
        filters = {"caseworker": whose}
    else:
        everything = query.get("whose") == "all"
        whose = "" if everything else session.subject
        filters = {"whose": "all" if everything else ""}
    page = page_number(query.get("page"))
    answer = await request.app.state.services.get(
        Service.CASES,
        "/due",
        session.access_token,
        {"caseworker": whose or None, "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE},
    )
    body = answer.body or {}
    now = datetime.now(UTC)
    # The service lists soonest first, so what is overdue (due before now) comes first.
    items: list[dict[str, Any]] = [
        {**item, "overdue": overdue(item.get("due_at"), now)} for item in body.get("items", [])
    ]
    return await render(
        request,
        "caseload/due.html",
        {
            "items": items,
            "paging": Paging(page, int(body.get("total", 0)), PAGE_SIZE, "/due", filters),
            "lead": lead,
            "errors": errors,
            "values": filters,
            "subject": session.subject,
        },
        title="Due",
    )
