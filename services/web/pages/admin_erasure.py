"""Erasure: one admin asks, a different admin approves, and her keys are destroyed.

The cases service decides who may approve (never the admin who asked); these pages show the
request as her own journey records it and say any refusal as the service does.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from services.web.api import Command, Refused, Service
from services.web.pages.admin import Admin, journey_events
from services.web.pages.commands import kept_answers, send_command
from services.web.rendering import render
from services.web.sessions import Session

router = APIRouter(prefix="/admin")

ERASURE_REASONS = [
    ("subject_request", "She asked for her data to be erased"),
    ("retention_expired", "The retention period of her closed journey ran out"),
    ("recorded_in_error", "She was never a client: the record was made by mistake"),
]


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


@router.get("/erasure", response_class=HTMLResponse)
async def erasure_requests(request: Request, session: Admin, state: str = "pending") -> Response:
    chosen = state if state in {"pending", "erased"} else "pending"
    answer = await request.app.state.services.get(
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
    return await _erasure_form(request, journey_id, kept_answers(request, session) or {}, {}, None)


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
    # The request id is made with the form: a repeated send names the same request.
    command = Command(
        Service.CASES,
        "/erasure-requests",
        {"journey_id": str(journey_id), "reason": reason, "request_id": request_id},
        idempotency_key=request_id,
    )

    async def again(refused: Refused) -> Response:
        return await _erasure_form(
            request, journey_id, values, refused.fields, refused.message, refused.status
        )

    return await send_command(
        request, session, command, done="/admin/erasure?state=pending", refused=again
    )


async def _approval_page(
    request: Request, session: Session, journey_id: UUID, refused: Refused | None = None
) -> Response:
    events = await journey_events(request, session, journey_id)
    return await render(
        request,
        "admin/erasure_approve.html",
        {
            "journey_id": journey_id,
            "erasure": erasure_of(events),
            "message": refused.message if refused else None,
        },
        status_code=refused.status if refused else 200,
        title="Approve erasure",
    )


@router.get("/erasure/{journey_id}/approval", response_class=HTMLResponse)
async def approval_form(request: Request, session: Admin, journey_id: UUID) -> Response:
    return await _approval_page(request, session, journey_id)


@router.post("/erasure/{journey_id}/approval", response_class=HTMLResponse)
async def approve(request: Request, session: Admin, journey_id: UUID) -> Response:
    command = Command(Service.CASES, f"/erasure-requests/{journey_id}/approval")

    async def again(refused: Refused) -> Response:
        # The service decides who may approve (never the admin who asked): shown as it says.
        return await _approval_page(request, session, journey_id, refused)

    return await send_command(
        request, session, command, done=f"/admin/journeys/{journey_id}", refused=again
    )
