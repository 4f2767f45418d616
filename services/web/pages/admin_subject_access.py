"""The subject access export: every service's part of what is held about her, as one file."""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from services.web.api import Refused, Service
from services.web.pages.admin import Admin
from services.web.rendering import render
from services.web.sessions import Session
from shared.admin import subject_access_document as document

router = APIRouter(prefix="/admin")


async def _subject_access_parts(
    request: Request, session: Session, journey_id: UUID
) -> dict[str, Any]:
    """Every service's part, in the CLI's order (cases last: it records the export)."""
    parts: dict[str, Any] = {}
    for name in document.SERVICES:
        try:
            answer = await request.app.state.services.get(
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
