"""Her journey: the header, the timeline, and each part of her support with what can be done
next (``journey_actions.py``: links to the form pages at the cases service's command paths).

A caseworker refused a journey that is not hers is offered break-glass; an erased journey
shows only when it was erased. A safeguarding lead (re)assigns her caseworker here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from services.web.api import Command, NotAllowed, Refused, Service
from services.web.pages.caseload import Casework, CaseworkerOnly, open_concern
from services.web.pages.commands import form_version, kept_answers, send_command
from services.web.pages.conflicts import all_yours, changes_since, conflict_message, loaded_now
from services.web.pages.journey_actions import journey_actions, open_referrals
from services.web.pages.listing import Paging, page_number, staff_id, team_identifier
from services.web.pages.timeline import entry_view
from services.web.people import needs
from services.web.rendering import render
from services.web.sessions import Session
from shared.security.roles import Role

router = APIRouter()

TIMELINE_PAGE = 50
Lead = Annotated[Session, needs(Role.SAFEGUARDING_LEAD)]


def recovery_countdown(nrm: dict[str, Any], today: date) -> dict[str, Any] | None:
    """Days left of her recovery period (negative once it has ended)."""
    ends = nrm.get("recovery_ends_on")
    starts = nrm.get("recovery_starts_on")
    if not ends or not starts:
        return None
    ends_on = date.fromisoformat(str(ends))
    starts_on = date.fromisoformat(str(starts))
    return {
        "days_left": (ends_on - today).days,
        "started": starts_on <= today,
        "starts_on": starts_on,
        "ends_on": ends_on,
    }


async def _journey(request: Request, session: Session, journey_id: UUID) -> dict[str, Any]:
    answer = await request.app.state.services.get(
        Service.CASES, f"/journeys/{journey_id}", session.access_token
    )
    body: dict[str, Any] = answer.body
    return body


async def _break_glass_page(
    request: Request,
    journey_id: UUID,
    values: dict[str, str],
    errors: dict[str, str],
    message: str | None = None,
    status_code: int = 403,
) -> Response:
    return await render(
        request,
        "caseload/break_glass.html",
        {
            "journey_id": journey_id,
            "values": values,
            "errors": errors,
            "message": message,
        },
        status_code=status_code,
        title="Not your journey",
    )


@router.get("/journeys/{journey_id}", response_class=HTMLResponse)
async def journey_page(request: Request, journey_id: UUID, session: Casework) -> Response:
    try:
        journey = await _journey(request, session, journey_id)
    except NotAllowed:
        if session.has(Role.SAFEGUARDING_LEAD) or not session.has(Role.CASEWORKER):
            raise
        return await _break_glass_page(request, journey_id, {"reason": ""}, {})
    if journey.get("status") == "erased":
        return await render(request, "caseload/erased.html", {"journey": journey}, title="Journey")
    page = page_number(request.query_params.get("page"))
    timeline = await request.app.state.services.get(
        Service.CASES,
        f"/journeys/{journey_id}/timeline",
        session.access_token,
        {"limit": TIMELINE_PAGE, "offset": (page - 1) * TIMELINE_PAGE},
    )
    body = timeline.body or {}
    lead = session.has(Role.SAFEGUARDING_LEAD)
    return await render(
        request,
        "caseload/journey.html",
        {
            "journey": journey,
            "version": journey.get("version"),
            "actions": journey_actions(journey, lead=lead),
            "timeline": [entry_view(item) for item in body.get("items", [])],
            "paging": Paging(
                page, int(body.get("total", 0)), TIMELINE_PAGE, f"/journeys/{journey_id}", {}
            ),
            "open_concern": open_concern(journey),
            "open_referrals": open_referrals(journey),
            "recovery": recovery_countdown(journey.get("nrm") or {}, datetime.now(UTC).date()),
            "consents_by_scope": _by_scope(journey.get("consents", [])),
            "subject": session.subject,
        },
        title="Journey",
    )


_SCOPE_WORDS = {
    "store_data": "Keep her details on record",
    "share_with_partner": "Share her details with a partner",
    "nrm_referral": "Refer her into the NRM",
}


def _by_scope(consents: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for consent in consents:
        grouped.setdefault(str(consent.get("scope")), []).append(consent)
    return [
        (_SCOPE_WORDS.get(scope, scope.replace("_", " ")), items)
        for scope, items in grouped.items()
    ]


@router.post("/journeys/{journey_id}/break-glass", response_class=HTMLResponse)
async def break_glass(
    request: Request,
    journey_id: UUID,
    session: CaseworkerOnly,
    reason: Annotated[str, Form()] = "",
) -> Response:
    values = {"reason": reason}
    if len(reason.strip()) < 10:
        errors = {"reason": "Write why you must open her journey now, in at least 10 characters."}
        return await _break_glass_page(request, journey_id, values, errors, status_code=422)
    command = Command(
        Service.CASES,
        f"/journeys/{journey_id}/break-glass",
        {"reason": reason.strip()},
        idempotency_key=str(uuid.uuid4()),
    )

    async def again(refused: Refused) -> Response:
        return await _break_glass_page(
            request, journey_id, values, refused.fields, refused.message, status_code=422
        )

    return await send_command(
        request, session, command, done=f"/journeys/{journey_id}", refused=again
    )


async def _assign_page(
    request: Request,
    journey: dict[str, Any],
    values: dict[str, str],
    errors: dict[str, str],
    message: str | None = None,
    status_code: int = 200,
    changes: list[dict[str, Any]] | None = None,
    yours: bool = False,
) -> Response:
    return await render(
        request,
        "caseload/assign.html",
        {
            "journey": journey,
            "values": values,
            "errors": errors,
            "message": message,
            "changes": changes,
            "stale": changes is not None,
            "yours": yours,
        },
        status_code=status_code,
        title="Assign a caseworker",
    )


@router.get("/journeys/{journey_id}/caseworker", response_class=HTMLResponse)
async def assign_form(request: Request, journey_id: UUID, session: Lead) -> Response:
    journey = await _journey(request, session, journey_id)
    values = {
        "caseworker_id": journey.get("caseworker_id") or "",
        "team_id": "",
        "version": str(journey["version"]),
        "loaded_at": loaded_now(),
    }
    kept = kept_answers(request, session)
    if kept:
        values.update({k: v for k, v in kept.items() if k in values and isinstance(v, str)})
    return await _assign_page(request, journey, values, {})


@router.post("/journeys/{journey_id}/caseworker", response_class=HTMLResponse)
async def assign(
    request: Request,
    journey_id: UUID,
    session: Lead,
    caseworker_id: Annotated[str, Form()] = "",
    team_id: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
    loaded_at: Annotated[str, Form()] = "",
) -> Response:
    errors: dict[str, str] = {}
    caseworker = staff_id(caseworker_id, errors, "caseworker_id")
    if not caseworker and "caseworker_id" not in errors:
        errors["caseworker_id"] = "Enter the staff id of the caseworker who will hold her journey."
    team = team_identifier(team_id, errors, "team_id")
    values = {"caseworker_id": caseworker, "team_id": team, "version": version}
    values["loaded_at"] = loaded_now()
    journey = await _journey(request, session, journey_id)
    if errors or form_version(version) is None:
        values["version"] = str(journey["version"])
        return await _assign_page(request, journey, values, errors, status_code=422)
    command = Command(
        Service.CASES,
        f"/journeys/{journey_id}/caseworker",
        {"caseworker_id": caseworker, "team_id": team or None},
        if_match=version,
        idempotency_key=str(uuid.uuid4()),
    )

    async def again(refused: Refused) -> Response:
        fresh = await _journey(request, session, journey_id)
        # On a stale version she sees who holds her now and what changed since she loaded the
        # form; her answers stay for another try against the fresh version.
        values["version"] = str(fresh["version"])
        changes = (
            await changes_since(request, session, journey_id, loaded_at) if refused.stale else None
        )
        yours = all_yours(changes or [], session)
        return await _assign_page(
            request,
            fresh,
            values,
            refused.fields,
            conflict_message(changes or [], session, refused.message),
            status_code=409 if refused.stale else 422,
            changes=changes,
            yours=yours,
        )

    return await send_command(
        request, session, command, done=f"/journeys/{journey_id}#about-her", refused=again
    )
