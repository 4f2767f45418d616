"""Typed dependencies for the visits routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.visits.application import Precondition, VisitsApplication
from services.visits.projections import PremisesHistory
from shared.http.deps import Actor as Actor
from shared.http.deps import IfMatch, get_runtime
from shared.http.etag import check_if_match
from shared.runtime import Runtime


async def get_visits(runtime: Annotated[Runtime, Depends(get_runtime)]) -> VisitsApplication:
    app = runtime.app
    assert isinstance(app, VisitsApplication)
    return app


async def get_premises_history(
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> PremisesHistory:
    return runtime.parts.named("premises_history", PremisesHistory)


async def get_precondition(if_match: IfMatch = None) -> Precondition | None:
    """``If-Match`` as a check the application runs against the version it changes."""
    if if_match is None:
        return None

    def check(version: int) -> None:
        check_if_match(if_match, version)

    return check


Visits = Annotated[VisitsApplication, Depends(get_visits)]
PremisesHistoryView = Annotated[PremisesHistory, Depends(get_premises_history)]
IfMatchPrecondition = Annotated[Precondition | None, Depends(get_precondition)]
