"""The admin's screens: finding a journey, then its history (``admin_history``), the state as
known on a date (``admin_as_of``), erasure with a second admin's approval (``admin_erasure``),
the subject access export (``admin_subject_access``), and rebuilding read models
(``admin_read_models``).

Everything is read and done through the services' admin routes with the admin's own token, so
each read is in that service's audit log; her personal fields are fetched only on the admin's
explicit, separate action (a POST, so it never sits in a link or the browser's history).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.web.api import Service
from services.web.people import needs
from services.web.rendering import render, when
from services.web.sessions import Session
from shared.security.roles import Role

router = APIRouter(prefix="/admin")
#: The signed-in person, if these pages are for her roles (the services still decide each read).
Admin = Annotated[Session, needs(Role.ADMIN)]

_ID_HELP = "Enter a journey id, like 0b6f3c9e-5d1e-5b7a-9c61-2f0f1b7d9a21."


def journey_id_of(value: str) -> UUID | None:
    """A journey id as typed, or None: never a name, never echoed back."""
    try:
        return UUID(value.strip())
    except ValueError:
        return None


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


async def journey_events(
    request: Request, session: Session, journey_id: UUID, personal: bool = False
) -> list[dict[str, Any]]:
    """Her journey's events, oldest first, as the cases service's admin history gives them."""
    answer = await request.app.state.services.get(
        Service.CASES,
        f"/admin/aggregates/{journey_id}/history",
        session.access_token,
        {"personal": "true"} if personal else None,
    )
    events: list[dict[str, Any]] = answer.body["events"]
    return events


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
