"""Dependencies every service's routes use."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request

from shared.contracts.base import IDENTIFIER, STAFF_ID
from shared.runtime import Runtime
from shared.security.roles import Principal

#: A query parameter naming a team by an opaque id, if at all.
IdentifierQuery = Annotated[str | None, Query(pattern=IDENTIFIER)]
#: A query parameter naming a member of staff as her sign-in names her, if at all.
StaffIdQuery = Annotated[str | None, Query(pattern=STAFF_ID)]

# A page of a list: at most 200 rows, from an offset no caller can make the store scan past.
PageLimit = Annotated[int, Query(ge=1, le=200)]
PageOffset = Annotated[int, Query(ge=0, le=1_000_000)]


# The dependencies here and in each service's ``api/deps.py`` are ``async def`` wherever nothing
# blocks: FastAPI runs a plain ``def`` dependency in a worker thread, a hop that costs more than
# the dependency itself when the relay and projection threads hold the GIL.
async def get_runtime(request: Request) -> Runtime[Any, Any]:
    runtime: Runtime[Any, Any] = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime[Any, Any], Depends(get_runtime)]


# Each service's ``api/deps.py`` names what these return by type (``Annotated[CasesApplication,
# Depends(get_application)]``): the runtime holds one service's application and read models.
async def get_application(runtime: RuntimeDep) -> Any:
    return runtime.app


async def get_queries(runtime: RuntimeDep) -> Any:
    return runtime.parts.queries


async def get_principal(request: Request) -> Principal:
    """The caller as her verified token says (``shared/http/access.py`` put it there)."""
    principal: Principal = request.state.principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_actor(principal: CurrentPrincipal) -> str:
    # Recorded on every event: the token's subject, an opaque id, never a name.
    return principal.subject


Actor = Annotated[str, Depends(get_actor)]


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Makes a retried POST safe: the same key returns the original result",
    ),
]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]
