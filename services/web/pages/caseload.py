"""The caseload: a caseworker's journeys (a lead's: everyone's), what is due first.

The cases service's caseload list carries ids, status, flags and the next due time; her
pseudonym and languages come from each journey (read with her own token, so each read is
audited as her work), the kind of the next due item from the due list.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.web.api import NotAllowed, NotFound, Service
from services.web.pages.listing import PAGE_SIZE, Paging, code, overdue, page_number, staff_id
from services.web.people import needs
from services.web.rendering import render, templates
from services.web.sessions import Session
from shared.http.times import SEARCH_HORIZON
from shared.security.roles import Role

router = APIRouter()

Casework = Annotated[Session, needs(Role.CASEWORKER, Role.SAFEGUARDING_LEAD)]
# What only a caseworker does (takes a journey from the queue, breaks the glass): not a lead.
CaseworkerOnly = Annotated[Session, needs(Role.CASEWORKER)]

STATUSES = ("new", "assessing", "active", "closed", "merged")
_TAG = {
    "new": "govuk-tag--light-blue",
    "assessing": "govuk-tag--purple",
    "active": "govuk-tag--green",
    "closed": "govuk-tag--grey",
    "merged": "govuk-tag--grey",
    "erased": "govuk-tag--grey",
}
#: What a due item is, in words (the due list's kinds).
DUE_WORDS = {
    "appointment": "Appointment",
    "follow_up": "Follow-up",
    "goal_target": "Goal target date",
    "safety_plan_review": "Safety plan review",
    "recovery_period_end": "Recovery period ends",
}


def status_tag(status: Any) -> str:
    return _TAG.get(str(status), "govuk-tag--grey")


templates.env.filters["status_tag"] = status_tag
templates.env.filters["due_words"] = lambda kind: DUE_WORDS.get(str(kind), str(kind or ""))


async def journeys_by_id(
    request: Request, session: Session, journey_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """Each journey as the service gives it now; one that is no longer hers is left out."""

    async def one(journey_id: str) -> dict[str, Any] | None:
        try:
            answer = await request.app.state.services.get(
                Service.CASES, f"/journeys/{journey_id}", session.access_token
            )
        except (NotAllowed, NotFound):
            return None
        body: dict[str, Any] = answer.body
        return body

    found = await asyncio.gather(*(one(j) for j in journey_ids))
    return {j: body for j, body in zip(journey_ids, found, strict=True) if body is not None}


async def first_due_by_journey(
    request: Request, session: Session, caseworker: str | None
) -> dict[str, dict[str, Any]]:
    """The soonest open due item of each journey in the first page of the due list."""
    answer = await request.app.state.services.get(
        Service.CASES, "/due", session.access_token, {"caseworker": caseworker, "limit": 200}
    )
    first: dict[str, dict[str, Any]] = {}
    for item in (answer.body or {}).get("items", []):
        first.setdefault(str(item["journey_id"]), item)
    return first


def open_concern(journey: dict[str, Any] | None) -> bool:
    """An urgent concern was raised on a visit and her journey is still open."""
    if not journey:
        return False
    return bool(journey.get("concerns")) and journey.get("status") not in {"closed", "merged"}


async def _count(request: Request, session: Session, params: dict[str, Any]) -> int:
    answer = await request.app.state.services.get(
        Service.CASES, "/journeys", session.access_token, {**params, "limit": 1}
    )
    return int((answer.body or {}).get("total", 0))


@router.get("/caseload", response_class=HTMLResponse)
async def caseload(request: Request, session: Casework) -> Response:
    query = request.query_params
    errors: dict[str, str] = {}
    lead = session.has(Role.SAFEGUARDING_LEAD)
    # A caseworker's caseload is hers; a lead sees everyone's, or one caseworker's.
    chosen = staff_id(query.get("caseworker"), errors, "caseworker") if lead else session.subject
    status = code(query.get("status"), set(STATUSES), errors, "status")
    filters = {"caseworker": chosen if lead else "", "status": status}
    params: dict[str, Any] = {"caseworker": chosen or None, "status": status or None}
    paging_page = page_number(query.get("page"))
    answer = await request.app.state.services.get(
        Service.CASES,
        "/journeys",
        session.access_token,
        {**params, "limit": PAGE_SIZE, "offset": (paging_page - 1) * PAGE_SIZE},
    )
    body = answer.body or {}
    items: list[dict[str, Any]] = body.get("items", [])
    now = datetime.now(UTC)
    journeys, first_due, with_due, overdue_count = await asyncio.gather(
        journeys_by_id(request, session, [str(i["journey_id"]) for i in items]),
        first_due_by_journey(request, session, chosen or None),
        _count(request, session, {**params, "due_before": (now + SEARCH_HORIZON).isoformat()}),
        _count(request, session, {**params, "due_before": now.isoformat()}),
    )
    rows = []
    for item in items:
        journey = journeys.get(str(item["journey_id"]))
        rows.append(
            {
                **item,
                "journey": journey,
                "due": first_due.get(str(item["journey_id"])),
                "overdue": overdue(item.get("next_due_at"), now),
                "open_concern": open_concern(journey),
            }
        )
    paging = Paging(paging_page, int(body.get("total", 0)), PAGE_SIZE, "/caseload", filters)
    return await render(
        request,
        "caseload/caseload.html",
        {
            "rows": rows,
            "paging": paging,
            "lead": lead,
            "errors": errors,
            "values": filters,
            "status_options": [(s, s.capitalize()) for s in STATUSES],
            "counts": {"total": paging.total, "due": with_due, "overdue": overdue_count},
        },
        title="Caseload",
    )
