"""Admin routes every service mounts: an aggregate's history and its state as of (read-only),
and rebuilding a read model beside the live one (started in the background, progress polled).

Admins and auditors may read history (``shared/admin/access.py``); personal fields read as
``<withheld>`` (codes, ids and dates only) unless an admin asks for them with ``personal=true``.
Every call is in the service's audit log, a personal read with its own purpose code.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request

from shared.admin.history import AggregateUnknown, as_of, history
from shared.admin.rebuild import Rebuild
from shared.errors import FieldError
from shared.http.deps import CurrentPrincipal
from shared.http.problems import Problem
from shared.http.times import SearchTime
from shared.security.roles import Principal, Role
from shared.storage.projection import Projection
from shared.threads import in_thread

router = APIRouter(prefix="/admin", tags=["admin"])

#: More than any aggregate will have, and within every database's integer column.
MAX_VERSION = 2**31 - 1


def _unknown(error: AggregateUnknown) -> Problem:
    return Problem(404, "aggregate-not-found", "No such aggregate (at that time)", str(error))


Personal = Annotated[
    bool, Query(description="Decrypt personal fields (admins only; the read is audited as such)")
]


def _may_read_personal(request: Request, principal: Principal, personal: bool) -> bool:
    if personal and not principal.has(Role.ADMIN):
        raise Problem(403, "forbidden", "You are not allowed to do this")
    if personal:
        request.state.audit_purpose = "history-with-personal-data"
    return personal


@router.get(
    "/aggregates/{aggregate_id}/history",
    summary="Every event of an aggregate in order (personal fields withheld unless asked)",
)
def aggregate_history(
    aggregate_id: UUID, request: Request, principal: CurrentPrincipal, personal: Personal = False
) -> dict[str, Any]:
    app = request.app.state.runtime.app
    include = _may_read_personal(request, principal, personal)
    try:
        entries = history(app, aggregate_id, include_personal=include, reader=principal.subject)
    except AggregateUnknown as error:
        raise _unknown(error) from None
    return {"aggregate_id": str(aggregate_id), "events": [e.as_json() for e in entries]}


@router.get(
    "/aggregates/{aggregate_id}/as-of",
    summary="An aggregate folded to a version, or as known at a time",
)
def aggregate_as_of(
    aggregate_id: UUID,
    request: Request,
    principal: CurrentPrincipal,
    personal: Personal = False,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
    at: Annotated[SearchTime | None, Query(description="ISO 8601 with a time zone")] = None,
) -> dict[str, Any]:
    if (version is None) == (at is None):
        raise FieldError("query.version", "Give exactly one of version or at")
    app = request.app.state.runtime.app
    include = _may_read_personal(request, principal, personal)
    try:
        state = as_of(
            app,
            aggregate_id,
            version=version,
            at=at,
            include_personal=include,
            reader=principal.subject,
        )
    except AggregateUnknown as error:
        raise _unknown(error) from None
    return state.as_json()


# --- rebuilding a projection beside the live one ------------------------------------------


def _projection(request: Request, name: str) -> Projection:
    for projection in request.app.state.runtime.parts.projections:
        if projection.name == name:
            assert isinstance(projection, Projection)
            return projection
    # The name is not repeated: whatever was typed in the path stays out of the answer.
    raise Problem(
        404,
        "projection-not-found",
        "No such projection",
        "GET /admin/projections lists the projections of this service.",
    )


def _rebuilds(request: Request) -> dict[str, Rebuild]:
    state = request.app.state
    if not hasattr(state, "rebuilds"):
        state.rebuilds = {}
    rebuilds: dict[str, Rebuild] = state.rebuilds
    return rebuilds


def _status(request: Request, projection: Projection) -> dict[str, Any]:
    rebuild = _rebuilds(request).get(projection.name)
    return {
        "projection": projection.name,
        "position": projection.position(),
        "log_head": projection.app.max_notification_id(),
        "rebuild": None if rebuild is None else rebuild.progress.as_json(),
    }


@router.post(
    "/projections/{name}/rebuild",
    status_code=202,
    summary="Rebuild a read model from zero beside the live one, then swap it in",
)
async def rebuild_projection(name: str, request: Request) -> dict[str, Any]:
    projection = _projection(request, name)
    rebuilds = _rebuilds(request)
    running = rebuilds.get(name)
    if running is not None and running.progress.state in {"pending", "building", "swapping"}:
        raise Problem(409, "rebuild-running", "A rebuild of this projection is running")
    rebuild = Rebuild(projection)
    rebuilds[name] = rebuild
    tasks: set[asyncio.Task[Any]] = getattr(request.app.state, "rebuild_tasks", set())
    request.app.state.rebuild_tasks = tasks
    task = asyncio.create_task(_run(rebuild), name=f"rebuild:{name}")
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return await in_thread(_status, request, projection)


async def _run(rebuild: Rebuild) -> None:
    with contextlib.suppress(Exception):  # reported in its progress (state "failed")
        await in_thread(rebuild.run)


@router.get("/projections", summary="Every read model of this service: position and rebuild")
def projection_statuses(request: Request) -> dict[str, Any]:
    projections = request.app.state.runtime.parts.projections
    return {
        "items": [
            _status(request, projection)
            for projection in projections
            if isinstance(projection, Projection)
        ]
    }


@router.get("/projections/{name}", summary="A read model's position and its rebuild's progress")
def projection_status(name: str, request: Request) -> dict[str, Any]:
    return _status(request, _projection(request, name))


async def stop_rebuilds(state: Any) -> None:
    """Cancel running rebuilds and wait for them, before the service closes its stores."""
    for rebuild in getattr(state, "rebuilds", {}).values():
        rebuild.cancel()
    tasks: set[asyncio.Task[Any]] = getattr(state, "rebuild_tasks", set())
    if tasks:
        await asyncio.wait(tasks, timeout=60)
