"""Each service's read models, how far each has read its log, and rebuilding one from zero.

A rebuild runs in its service; this page starts it and, while it runs, htmx asks again for its
progress (the Refresh link does the same without JavaScript).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.web.api import Command, NotFound, Refused, Service
from services.web.pages.admin import Admin
from services.web.pages.commands import send_command
from services.web.pages.ids import read_model_name
from services.web.rendering import render
from services.web.sessions import Session

router = APIRouter(prefix="/admin")

READ_MODEL_SERVICES = (Service.VISITS, Service.CASES, Service.NOTIFICATIONS)
RUNNING = frozenset({"pending", "building", "swapping"})


async def _read_models(request: Request, session: Session) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for service in READ_MODEL_SERVICES:
        answer = await request.app.state.services.get(
            service, "/admin/projections", session.access_token
        )
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


async def _read_model_page(
    request: Request, session: Session, service: str, name: str, refused: Refused | None = None
) -> Response:
    """The read model as its service has it now; after a refused rebuild, the refusal too."""
    answer = await request.app.state.services.get(
        _service_named(service),
        f"/admin/projections/{read_model_name(name)}",
        session.access_token,
    )
    # htmx asking for the progress gets only that part; a refusal is always a whole page.
    progress = refused is None and request.headers.get("hx-request")
    return await render(
        request,
        "admin/_rebuild_progress.html" if progress else "admin/read_model.html",
        {
            "model": {"service": service, **answer.body},
            "running": RUNNING,
            "message": refused.message if refused else None,
        },
        status_code=refused.status if refused else 200,
        title="Read model",
    )


@router.get("/read-models/{service}/{name}", response_class=HTMLResponse)
async def read_model(request: Request, session: Admin, service: str, name: str) -> Response:
    return await _read_model_page(request, session, service, name)


@router.post("/read-models/{service}/{name}/rebuild", response_class=HTMLResponse)
async def start_rebuild(request: Request, session: Admin, service: str, name: str) -> Response:
    command = Command(
        _service_named(service), f"/admin/projections/{read_model_name(name)}/rebuild"
    )

    async def again(refused: Refused) -> Response:
        return await _read_model_page(request, session, service, name, refused)

    return await send_command(
        request, session, command, done=f"/admin/read-models/{service}/{name}", refused=again
    )
