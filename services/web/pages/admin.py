"""The admin's screens: a journey's history and the state as known on a date, erasure with a
second admin's approval, the subject access export, and rebuilding read models.

Everything is read and done through the services' admin routes with the admin's own token, so
each read is in that service's audit log; her personal fields are fetched only on the admin's
explicit, separate action (a POST, so it never sits in a link or the browser's history).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.web.api import NotFound, Refused, Service, Services
from services.web.people import needs
from services.web.rendering import render, when
from services.web.sessions import Session
from shared.admin import subject_access_document as document
from shared.security.roles import Role

router = APIRouter(prefix="/admin")
#: The signed-in person, if these pages are for her roles (the services still decide each read).
Admin = Annotated[Session, needs(Role.ADMIN)]

ERASURE_REASONS = [
    ("subject_request", "She asked for her data to be erased"),
    ("retention_expired", "The retention period of her closed journey ran out"),
    ("recorded_in_error", "She was never a client: the record was made by mistake"),
]
READ_MODEL_SERVICES = (Service.VISITS, Service.CASES, Service.NOTIFICATIONS)
RUNNING = frozenset({"pending", "building", "swapping"})
_ID_HELP = "Enter a journey id, like 0b6f3c9e-5d1e-5b7a-9c61-2f0f1b7d9a21."
_PERSONAL_PURPOSE = "Show her personal details (recorded in the audit log)"


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def journey_id_of(value: str) -> UUID | None:
    """A journey id as typed, or None: never a name, never echoed back."""
    try:
        return UUID(value.strip())
    except ValueError:
        return None


def known_at(day: str, clock: str) -> datetime | None:
    """The moment a date and a time (UTC) name, or None if either cannot be read."""
    try:
        moment = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock or "23:59"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def recorded_by(events: list[dict[str, Any]], moment: datetime) -> list[dict[str, Any]]:
    """The events the service had recorded at ``moment``: what was known then."""
    return [e for e in events if datetime.fromisoformat(e["recorded_at"]) <= moment]


def erasure_of(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Her erasure as her own journey records it: asked for (by whom, when), and done."""
    found: dict[str, Any] | None = None
    for event in events:
        kind = event["type"].rsplit(".", 1)[-1]
        if kind == "ErasureRequested":
            found = {
                "state": "pending",
                "requested_by": event["actor"],
                "requested_at": event["recorded_at"],
                "reason": event["data"].get("reason"),
            }
        elif kind == "PersonErased":
            found = {
                **(found or {}),
                "state": "erased",
                "approved_by": event["actor"],
                "erased_at": event["recorded_at"],
            }
    return found


def shown(value: Any) -> str:
    """A state or event value as plain text: ids and codes as they are, lists joined."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(shown(item) for item in value) if value else "—"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {shown(item)}" for key, item in value.items()) or "—"
    if isinstance(value, str) and len(value) > 18 and value[10:11] == "T":
        try:
            return when(datetime.fromisoformat(value)) + " UTC"
        except ValueError:
            return value
    return str(value)


async def _history(
    request: Request, session: Any, journey_id: UUID, personal: bool = False
) -> list[dict[str, Any]]:
    answer = await _services(request).get(
        Service.CASES,
        f"/admin/aggregates/{journey_id}/history",
        session.access_token,
        {"personal": "true"} if personal else None,
    )
    events: list[dict[str, Any]] = answer.body["events"]
    return events


# --- the landing page and finding a journey ---------------------------------------------


@router.get("", response_class=HTMLResponse)
async def landing(request: Request, session: Admin) -> Response:
    return await render(request, "admin/index.html", {"errors": {}, "values": {}}, title="Admin")


@router.get("/journeys", response_class=HTMLResponse)
async def find_journey(request: Request, session: Admin, journey_id: str = "") -> Response:
    found = journey_id_of(journey_id)
    if found is None:
        return await render(
            request,
            "admin/index.html",
            {"errors": {"journey_id": _ID_HELP}, "values": {}},
            status_code=422,
            title="Admin",
        )
    return RedirectResponse(f"/admin/journeys/{found}", status_code=303)


# --- history, with her personal details only on request ----------------------------------


async def _journey_page(
    request: Request, session: Any, journey_id: UUID, personal: bool
) -> Response:
    events = await _history(request, session, journey_id, personal)
    return await render(
        request,
        "admin/journey.html",
        {
            "journey_id": journey_id,
            "events": list(reversed(events)),
            "personal": personal,
            "personal_action": _PERSONAL_PURPOSE,
            "erasure": erasure_of(events),
            "shown": shown,
        },
        title="Journey history",
    )


@router.get("/journeys/{journey_id}", response_class=HTMLResponse)
async def journey_history(request: Request, session: Admin, journey_id: UUID) -> Response:
    return await _journey_page(request, session, journey_id, personal=False)


@router.post("/journeys/{journey_id}/personal", response_class=HTMLResponse)
async def journey_history_with_personal(
    request: Request, session: Admin, journey_id: UUID
) -> Response:
    # A POST: the personal read is a deliberate act, audited by cases with its purpose.
    return await _journey_page(request, session, journey_id, personal=True)


# --- as known on a date --------------------------------------------------------------------


@router.get("/journeys/{journey_id}/as-of", response_class=HTMLResponse)
async def journey_as_of(
    request: Request,
    session: Admin,
    journey_id: UUID,
    at: str = "",
    day: str = "",
    clock: str = "",
) -> Response:
    values = {"day": day, "clock": clock}
    errors: dict[str, str] = {}
    moment: datetime | None = None
    if at:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            errors["day"] = "Enter a date, for example 2026-11-27."
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    elif day or clock:
        moment = known_at(day, clock)
        if moment is not None and not clock:
            # A day alone means its end, or now if that is still to come.
            moment = min(moment, datetime.now(UTC))
        if moment is None:
            errors["day"] = "Enter a date, for example 2026-11-27, and a time such as 14:30."
    context: dict[str, Any] = {
        "journey_id": journey_id,
        "values": values,
        "errors": errors,
        "moment": moment,
        "state": None,
        "events": [],
        "nothing_then": False,
        "shown": shown,
    }
    if moment is not None and not errors:
        if moment > datetime.now(UTC):
            errors["day"] = "Choose a moment in the past."
        else:
            values.update(day=moment.date().isoformat(), clock=moment.strftime("%H:%M:%S"))
            services = _services(request)
            try:
                answer = await services.get(
                    Service.CASES,
                    f"/admin/aggregates/{journey_id}/as-of",
                    session.access_token,
                    {"at": moment.isoformat()},
                )
                context["state"] = answer.body
                events = await _history(request, session, journey_id)
                context["events"] = list(reversed(recorded_by(events, moment)))
            except Refused as refused:
                errors["day"] = refused.fields.get("at", refused.message)
            except NotFound:
                # Cases answers 404 for a moment before the journey existed.
                context["nothing_then"] = True
    status = 422 if errors else 200
    return await render(
        request, "admin/as_of.html", context, status_code=status, title="Journey as known then"
    )


# --- erasure ---------------------------------------------------------------------------------


@router.get("/erasure", response_class=HTMLResponse)
async def erasure_requests(request: Request, session: Admin, state: str = "pending") -> Response:
    chosen = state if state in {"pending", "erased"} else "pending"
    answer = await _services(request).get(
        Service.CASES, "/erasure-requests", session.access_token, {"state": chosen, "limit": 200}
    )
    return await render(
        request,
        "admin/erasure_list.html",
        {"items": answer.body["items"], "total": answer.body["total"], "state": chosen},
        title="Erasure requests",
    )


@router.get("/journeys/{journey_id}/erasure", response_class=HTMLResponse)
async def erasure_form(request: Request, session: Admin, journey_id: UUID) -> Response:
    # Her answers, kept if her session ended as she sent them.
    kept = request.app.state.sessions.take_form(
        request.query_params.get("kept"), session.subject, request.url.path
    )
    return await _erasure_form(request, journey_id, kept or {}, {}, None)


async def _erasure_form(
    request: Request,
    journey_id: UUID,
    values: dict[str, Any],
    errors: dict[str, str],
    message: str | None,
    status_code: int = 200,
) -> Response:
    return await render(
        request,
        "admin/erasure_request.html",
        {
            "journey_id": journey_id,
            "reasons": ERASURE_REASONS,
            "values": values,
            "errors": errors,
            "message": message,
            "request_id": values.get("request_id") or str(uuid.uuid4()),
        },
        status_code=status_code,
        title="Ask for erasure",
    )


@router.post("/journeys/{journey_id}/erasure", response_class=HTMLResponse)
async def request_erasure(
    request: Request,
    session: Admin,
    journey_id: UUID,
    reason: Annotated[str, Form()] = "",
    request_id: Annotated[str, Form()] = "",
) -> Response:
    values = {"reason": reason, "request_id": request_id}
    if reason not in {code for code, _ in ERASURE_REASONS}:
        return await _erasure_form(
            request,
            journey_id,
            values,
            {"reason": "Choose why her data is to be erased."},
            None,
            422,
        )
    try:
        UUID(request_id)
    except ValueError:
        request_id = str(uuid.uuid4())
    try:
        # The request id is made with the form: a repeated send names the same request.
        await _services(request).send(
            Service.CASES,
            "POST",
            "/erasure-requests",
            session.access_token,
            {"journey_id": str(journey_id), "reason": reason, "request_id": request_id},
            idempotency_key=request_id,
        )
    except Refused as refused:
        return await _erasure_form(
            request, journey_id, values, refused.fields, refused.message, refused.status
        )
    return RedirectResponse("/admin/erasure?state=pending", status_code=303)


@router.get("/erasure/{journey_id}/approval", response_class=HTMLResponse)
async def approval_form(request: Request, session: Admin, journey_id: UUID) -> Response:
    events = await _history(request, session, journey_id)
    return await render(
        request,
        "admin/erasure_approve.html",
        {"journey_id": journey_id, "erasure": erasure_of(events), "message": None},
        title="Approve erasure",
    )


@router.post("/erasure/{journey_id}/approval", response_class=HTMLResponse)
async def approve(request: Request, session: Admin, journey_id: UUID) -> Response:
    try:
        await _services(request).send(
            Service.CASES,
            "POST",
            f"/erasure-requests/{journey_id}/approval",
            session.access_token,
        )
    except Refused as refused:
        # The service decides who may approve (never the admin who asked): shown as it says.
        events = await _history(request, session, journey_id)
        return await render(
            request,
            "admin/erasure_approve.html",
            {"journey_id": journey_id, "erasure": erasure_of(events), "message": refused.message},
            status_code=refused.status,
            title="Approve erasure",
        )
    return RedirectResponse(f"/admin/journeys/{journey_id}", status_code=303)


# --- subject access ----------------------------------------------------------------------------


async def _subject_access_parts(request: Request, session: Any, journey_id: UUID) -> dict[str, Any]:
    """Every service's part, in the CLI's order (cases last: it records the export)."""
    parts: dict[str, Any] = {}
    for name in document.SERVICES:
        try:
            answer = await _services(request).get(
                Service(name), f"/subject-access/{journey_id}", session.access_token
            )
        except Refused as refused:
            if refused.status != 410:
                raise
            parts[name] = document.erased_part(name, str(journey_id))
            continue
        parts[name] = answer.body
    return parts


@router.get("/journeys/{journey_id}/subject-access", response_class=HTMLResponse)
async def subject_access_page(request: Request, session: Admin, journey_id: UUID) -> Response:
    return await render(
        request, "admin/subject_access.html", {"journey_id": journey_id}, title="Subject access"
    )


@router.post("/journeys/{journey_id}/subject-access")
async def subject_access_download(
    request: Request,
    session: Admin,
    journey_id: UUID,
    form: Annotated[str, Form(alias="format")] = "json",
) -> Response:
    parts = await _subject_access_parts(request, session, journey_id)
    stem = f"subject-access-{journey_id}"
    if form == "html":
        body = document.render(str(journey_id), parts)
        media, name = "text/html; charset=utf-8", f"{stem}.html"
    else:
        data = {"journey_id": str(journey_id), "services": parts}
        body = json.dumps(data, indent=2, sort_keys=True) + "\n"
        media, name = "application/json", f"{stem}.json"
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


# --- read models -------------------------------------------------------------------------------


async def _read_models(request: Request, session: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for service in READ_MODEL_SERVICES:
        answer = await _services(request).get(service, "/admin/projections", session.access_token)
        for item in answer.body["items"]:
            rows.append({"service": service.value, **item})
    return rows


@router.get("/read-models", response_class=HTMLResponse)
async def read_models(request: Request, session: Admin) -> Response:
    return await render(
        request,
        "admin/read_models.html",
        {"rows": await _read_models(request, session), "running": RUNNING},
        title="Read models",
    )


def _service_named(name: str) -> Service:
    try:
        return Service(name)
    except ValueError:
        raise NotFound from None


async def _read_model(request: Request, session: Any, service: str, name: str) -> dict[str, Any]:
    answer = await _services(request).get(
        _service_named(service), f"/admin/projections/{name}", session.access_token
    )
    return {"service": service, **answer.body}


@router.get("/read-models/{service}/{name}", response_class=HTMLResponse)
async def read_model(request: Request, session: Admin, service: str, name: str) -> Response:
    model = await _read_model(request, session, service, name)
    template = (
        "admin/_rebuild_progress.html"
        if request.headers.get("hx-request")
        else "admin/read_model.html"
    )
    return await render(
        request,
        template,
        {"model": model, "running": RUNNING, "message": None},
        title="Read model",
    )


@router.post("/read-models/{service}/{name}/rebuild", response_class=HTMLResponse)
async def start_rebuild(request: Request, session: Admin, service: str, name: str) -> Response:
    try:
        await _services(request).send(
            _service_named(service),
            "POST",
            f"/admin/projections/{name}/rebuild",
            session.access_token,
        )
    except Refused as refused:
        model = await _read_model(request, session, service, name)
        return await render(
            request,
            "admin/read_model.html",
            {"model": model, "running": RUNNING, "message": refused.message},
            status_code=refused.status,
            title="Read model",
        )
    return RedirectResponse(f"/admin/read-models/{service}/{name}", status_code=303)
