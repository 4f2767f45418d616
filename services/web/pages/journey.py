"""Her journey: the header, the timeline, and each part of her support with what can be done
next (links to the form pages at the cases service's command paths, ``journey_forms.py``).

A caseworker refused a journey that is not hers is offered break-glass; an erased journey
shows only when it was erased. A safeguarding lead (re)assigns her caseworker here.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from services.web.api import NotAllowed, Refused, Service
from services.web.pages.caseload import Casework, open_concern
from services.web.pages.commands import Command, form_version, kept_answers, send_command
from services.web.pages.conflicts import changes_since, loaded_now
from services.web.pages.listing import Paging, page_number, staff_id
from services.web.pages.timeline import entry_view
from services.web.people import needs
from services.web.rendering import render
from services.web.sessions import Session
from shared.security.roles import Role

router = APIRouter()

TIMELINE_PAGE = 50
Lead = Annotated[Session, needs(Role.SAFEGUARDING_LEAD)]


@dataclass(frozen=True)
class Action:
    label: str
    href: str


@dataclass
class JourneyActions:
    """What can be done next, by part of the page; items by their id."""

    sections: dict[str, list[Action]] = field(default_factory=dict)
    items: dict[str, list[Action]] = field(default_factory=dict)

    def add(self, section: str, label: str, href: str) -> None:
        self.sections.setdefault(section, []).append(Action(label, href))

    def add_item(self, item_id: Any, label: str, href: str) -> None:
        self.items.setdefault(str(item_id), []).append(Action(label, href))


#: A referral's next steps from each state (the cases service's lifecycle; expiry is its own).
REFERRAL_NEXT = {
    "made": (
        ("acknowledgement", "The partner has it"),
        ("acceptance", "Accepted"),
        ("decline", "Declined"),
        ("withdrawal", "Withdraw"),
    ),
    "acknowledged": (
        ("acceptance", "Accepted"),
        ("decline", "Declined"),
        ("withdrawal", "Withdraw"),
    ),
    "accepted": (("completion", "Support given"), ("withdrawal", "Withdraw")),
}

GOAL_NEXT: dict[str, tuple[tuple[str, str], ...]] = {
    "set": (("achievement", "Achieved"), ("drop", "Drop")),
}
APPOINTMENT_NEXT: dict[str, tuple[tuple[str, str], ...]] = {
    "scheduled": (("move", "Move"), ("cancellation", "Cancel"), ("attendance", "She went")),
}


def _withdrawals(actions: JourneyActions, journey: dict[str, Any], base: str) -> None:
    for consent in journey.get("consents", []):
        if consent.get("active"):
            consent_id = consent["consent_id"]
            actions.add_item(consent_id, "Withdraw", f"{base}/consents/{consent_id}/withdrawal")


def _next_steps(
    actions: JourneyActions,
    base: str,
    journey: dict[str, Any],
    kind: str,
    id_key: str,
    next_by_status: Mapping[str, tuple[tuple[str, str], ...]],
) -> None:
    """The steps each goal, appointment or referral may take next, from the state it is in."""
    for item in journey.get(kind, []):
        for step, label in next_by_status.get(str(item.get("status")), ()):
            item_id = item[id_key]
            actions.add_item(item_id, label, f"{base}/{kind}/{item_id}/{step}")


def journey_actions(journey: dict[str, Any], *, lead: bool) -> JourneyActions:
    """Only the actions the journey's state allows (the service still decides each one)."""
    actions = JourneyActions()
    base = f"/journeys/{journey['journey_id']}"
    status = journey.get("status")
    if status in {"merged", "erased"}:
        return actions
    if status == "closed":
        actions.add("status", "Reopen her journey", f"{base}/reopening")
        _withdrawals(actions, journey, base)
        return actions
    registered = bool(journey.get("registered"))
    if lead:
        actions.add("about-her", "Assign a caseworker", f"{base}/caseworker")
    if not journey.get("possible_minor"):
        actions.add("about-her", "Mark her as possibly under 18", f"{base}/possible-minor")
    elif lead:
        actions.add(
            "about-her", "Clear the possibly-under-18 flag", f"{base}/possible-minor/clearance"
        )
    _withdrawals(actions, journey, base)
    if not registered:
        actions.add("about-her", "Register her", f"{base}/registration")
        _still_open(actions, journey, base)
        return actions
    actions.add("about-her", "Correct her name", f"{base}/pseudonym-correction")
    actions.add("about-her", "Change her languages", f"{base}/language-preferences")
    actions.add("consent", "Record her consent", f"{base}/consents")
    actions.add("needs", "Assess her needs", f"{base}/needs-assessments")
    actions.add("needs", "Assess risk", f"{base}/risk-assessments")
    actions.add("safety-plan", "Agree a safety plan", f"{base}/safety-plans")
    actions.add("goals", "Set a goal with her", f"{base}/goals")
    _next_steps(actions, base, journey, "goals", "goal_id", GOAL_NEXT)
    actions.add("meetings", "Record a meeting", f"{base}/meetings")
    actions.add("appointments", "Book an appointment", f"{base}/appointments")
    _next_steps(actions, base, journey, "appointments", "appointment_id", APPOINTMENT_NEXT)
    actions.add("referrals", "Refer her to a partner", f"{base}/referrals")
    _next_steps(actions, base, journey, "referrals", "referral_id", REFERRAL_NEXT)
    _nrm_actions(actions, journey.get("nrm") or {}, base)
    if journey.get("exited"):
        actions.add("status", "She went back to the industry", f"{base}/exit-reversal")
    else:
        actions.add("status", "She left the industry", f"{base}/exit")
    if not journey.get("returned_home_at"):
        actions.add("status", "She returned home", f"{base}/return-home")
    _still_open(actions, journey, base)
    return actions


def _still_open(actions: JourneyActions, journey: dict[str, Any], base: str) -> None:
    if not journey.get("contact_lost_at"):
        actions.add("status", "Contact with her was lost", f"{base}/contact-lost")
    if not open_referrals(journey):
        actions.add("status", "Close her journey", f"{base}/closure")


def _nrm_actions(actions: JourneyActions, nrm: dict[str, Any], base: str) -> None:
    if not nrm.get("submitted_on"):
        actions.add(
            "nrm", "Record contact with a First Responder", f"{base}/nrm/first-responder-contact"
        )
        actions.add("nrm", "Record her NRM referral", f"{base}/nrm/referral")
        return
    if not nrm.get("reasonable_grounds"):
        actions.add(
            "nrm", "Record the Reasonable Grounds decision", f"{base}/nrm/reasonable-grounds"
        )
        return
    if (nrm["reasonable_grounds"] or {}).get("outcome") != "positive":
        return
    if not nrm.get("recovery_starts_on"):
        actions.add("nrm", "Record her recovery period", f"{base}/nrm/recovery-period")
    if not nrm.get("conclusive_grounds"):
        actions.add(
            "nrm", "Record the Conclusive Grounds decision", f"{base}/nrm/conclusive-grounds"
        )


def open_referrals(journey: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in journey.get("referrals", []) if r.get("status") in REFERRAL_NEXT]


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
    session: Annotated[Session, needs(Role.CASEWORKER)],
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
    team = staff_id(team_id, errors, "team_id")
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
        return await _assign_page(
            request,
            fresh,
            values,
            refused.fields,
            refused.message,
            status_code=409 if refused.stale else 422,
            changes=changes,
        )

    return await send_command(
        request, session, command, done=f"/journeys/{journey_id}#about-her", refused=again
    )
