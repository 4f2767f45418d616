"""A journey's history for the admin, with her personal details only on request."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.web.pages.admin import Admin, journey_events, shown
from services.web.pages.admin_erasure import erasure_of
from services.web.rendering import render
from services.web.sessions import Session

router = APIRouter(prefix="/admin")

_PERSONAL_PURPOSE = "Show her personal details (recorded in the audit log)"


async def _journey_page(
    request: Request, session: Session, journey_id: UUID, personal: bool
) -> Response:
    events = await journey_events(request, session, journey_id, personal)
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
