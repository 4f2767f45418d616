"""Dependencies every service's routes use."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Request

from shared.runtime import Runtime

IDENTIFIER = r"^[A-Za-z0-9._:@-]{1,100}$"


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_actor(
    x_waymark_actor: Annotated[
        str | None,
        Header(pattern=IDENTIFIER, description="Opaque id of the user acting (not a name)"),
    ] = None,
) -> str:
    # Until bearer-token authentication lands, the acting user is declared by the caller;
    # it is recorded on every event and later comes from the verified token's subject.
    return x_waymark_actor or "unidentified"


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
