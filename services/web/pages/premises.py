"""Premises and visits, for the safeguarding lead and outreach: the directory, one premises'
history of visits, the list of visits, and one visit.

A premises label is sensitive (it says where women work), so a search for one is sent in the
form's body, never in the address: it stays out of browser history and server logs. The
visits service decides who sees which visit; these pages show what it answers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from services.web.api import NotFound, Refused, Service
from services.web.pages.ids import record_id
from services.web.pages.inbox import page_number
from services.web.pages.listing import page_count
from services.web.people import needs
from services.web.rendering import render
from services.web.sessions import Session
from shared.security.roles import Role

router = APIRouter()

READERS = (Role.SAFEGUARDING_LEAD, Role.OUTREACH, Role.CASEWORKER)
Reader = Annotated[Session, needs(*READERS)]
PAGE_SIZE = 50
LABEL_MAX = 100


def _offset(page: str) -> tuple[int, int]:
    number = page_number(page)
    return number, (number - 1) * PAGE_SIZE


async def _page_of(
    request: Request, session: Session, path: str, offset: int, params: dict[str, Any]
) -> dict[str, Any]:
    """One page of a visits-service list, or its refusal raised."""
    answer = await request.app.state.services.get(
        Service.VISITS, path, session.access_token, {**params, "limit": PAGE_SIZE, "offset": offset}
    )
    body: dict[str, Any] = answer.body
    return body


def _listed(body: dict[str, Any], number: int) -> dict[str, Any]:
    total = int(body["total"])
    return {
        "items": body["items"],
        "total": body["total"],
        "page": number,
        "pages": page_count(total, PAGE_SIZE),
    }


async def _premises_list(
    request: Request,
    session: Session,
    *,
    label: str = "",
    errors: dict[str, str] | None = None,
    page: str = "1",
    status_code: int = 200,
) -> Response:
    number, offset = _offset(page)
    body: dict[str, Any] = {"items": [], "total": 0}
    if not errors:
        try:
            body = await _page_of(request, session, "/premises", offset, {"label": label or None})
        except Refused as refused:
            errors = {"label": refused.fields.get("label", refused.message)}
            status_code = refused.status
    return await render(
        request,
        "premises/list.html",
        {
            **_listed(body, number),
            "searched": bool(label),
            "values": {"label": label},
            "errors": errors or {},
        },
        status_code=status_code,
        title="Premises",
    )


@router.get("/premises", response_class=HTMLResponse)
async def premises(request: Request, session: Reader, page: str = "1") -> Response:
    return await _premises_list(request, session, page=page)


@router.post("/premises", response_class=HTMLResponse)
async def search_premises(
    request: Request, session: Reader, label: Annotated[str, Form()] = ""
) -> Response:
    label = label.strip()
    if len(label) > LABEL_MAX:
        return await _premises_list(
            request,
            session,
            label=label,
            errors={"label": f"Enter at most {LABEL_MAX} characters."},
            status_code=422,
        )
    return await _premises_list(request, session, label=label)


@router.get("/premises/{premises_id}", response_class=HTMLResponse)
async def premises_history(
    request: Request, session: Reader, premises_id: str, page: str = "1"
) -> Response:
    services = request.app.state.services
    number, offset = _offset(page)
    place_id = record_id(premises_id)
    place = await services.get(Service.VISITS, f"/premises/{place_id}", session.access_token)
    history = await _page_of(request, session, f"/premises/{place_id}/history", offset, {})
    return await render(
        request,
        "premises/history.html",
        {
            "place": place.body,
            "history": history,
            "page": number,
            "pages": page_count(int(history["total"]), PAGE_SIZE),
        },
        title="Premises history",
    )


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _start_of(day: date) -> str:
    return datetime.combine(day, time(0, 0), tzinfo=UTC).isoformat()


@router.get("/visits", response_class=HTMLResponse)
async def visits(
    request: Request,
    session: Reader,
    premises_id: str = "",
    team: str = "",
    page: str = "1",
) -> Response:
    # ``from`` and ``to`` are Python words: read them from the query as they are.
    first = request.query_params.get("from", "").strip()
    last = request.query_params.get("to", "").strip()
    values = {"premises_id": premises_id.strip(), "team": team.strip(), "from": first, "to": last}
    errors: dict[str, str] = {}
    first_day, last_day = _day(first), _day(last)
    if first and first_day is None:
        errors["from"] = "Enter a date, for example 2026-11-27."
    if last and last_day is None:
        errors["to"] = "Enter a date, for example 2026-11-27."
    if first_day and last_day and last_day < first_day:
        errors["to"] = "The last day must not be before the first day."
    premises = values["premises_id"]
    if premises:
        try:
            premises = str(UUID(premises))
        except ValueError:
            errors["premises_id"] = "Choose a premises from the premises list."
    number, offset = _offset(page)
    body: dict[str, Any] = {"items": [], "total": 0}
    status_code = 422 if errors else 200
    if not errors:
        try:
            filters = {
                "premises_id": premises or None,
                "team": values["team"] or None,
                "from": _start_of(first_day) if first_day else None,
                # The last day is included: the service's ``to`` is exclusive (and the
                # calendar's last day has no day after it: no end).
                "to": _start_of(last_day + timedelta(days=1))
                if last_day and last_day < date.max
                else None,
            }
            body = await _page_of(request, session, "/visits", offset, filters)
        except Refused as refused:
            errors = refused.fields or {"form": refused.message}
            status_code = refused.status
    return await render(
        request,
        "visits/list.html",
        {**_listed(body, number), "values": values, "errors": errors},
        status_code=status_code,
        title="Visits",
    )


@router.get("/visits/{visit_id}", response_class=HTMLResponse)
async def visit(request: Request, session: Reader, visit_id: str) -> Response:
    answer = await request.app.state.services.get(
        Service.VISITS, f"/visits/{record_id(visit_id)}", session.access_token
    )
    body = answer.body
    aliases = {c["contact_id"]: c["alias"] for c in body["contacts"]}
    place = None
    if body.get("premises_id"):
        try:
            place = (
                await request.app.state.services.get(
                    Service.VISITS, f"/premises/{body['premises_id']}", session.access_token
                )
            ).body
        except NotFound:
            place = None
    return await render(
        request,
        "visits/visit.html",
        {"v": body, "aliases": aliases, "place": place},
        title="Visit",
    )
