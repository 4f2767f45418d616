"""Typed dependencies for the visits routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.visits.application import VisitsApplication
from services.visits.projections import PremisesHistory
from shared.http.deps import Actor as Actor
from shared.http.deps import get_runtime
from shared.runtime import Runtime


async def get_visits(runtime: Annotated[Runtime, Depends(get_runtime)]) -> VisitsApplication:
    app = runtime.app
    assert isinstance(app, VisitsApplication)
    return app


async def get_premises_history(
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> PremisesHistory:
    return runtime.parts.named("premises_history", PremisesHistory)


Visits = Annotated[VisitsApplication, Depends(get_visits)]
PremisesHistoryView = Annotated[PremisesHistory, Depends(get_premises_history)]
