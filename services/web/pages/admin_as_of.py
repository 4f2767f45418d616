"""A journey as known on a date: everything recorded by then, nothing recorded later."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.web.api import NotFound, Refused, Service
from services.web.pages.admin import Admin, journey_events, shown
from services.web.rendering import render

router = APIRouter(prefix="/admin")


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
            try:
                answer = await request.app.state.services.get(
                    Service.CASES,
                    f"/admin/aggregates/{journey_id}/as-of",
                    session.access_token,
                    {"at": moment.isoformat()},
                )
                context["state"] = answer.body
                events = await journey_events(request, session, journey_id)
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
