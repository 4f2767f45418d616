"""Typed dependencies for the visits routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.visits.application import VisitsApplication
from services.visits.queries.premises_history.projection import PremisesHistory
from services.visits.read_models import VisitsReadModels
from shared.http.deps import Actor as Actor
from shared.http.deps import RuntimeDep
from shared.runtime import Runtime

# The runtime ``build_api`` made from ``services.visits.main.assemble``: its parts are these.
VisitsRuntime = Runtime[VisitsApplication, VisitsReadModels]


async def get_visits(runtime: RuntimeDep) -> VisitsApplication:
    visits: VisitsRuntime = runtime
    return visits.app


async def get_read_models(runtime: RuntimeDep) -> VisitsReadModels:
    visits: VisitsRuntime = runtime
    return visits.parts.queries


ReadModels = Annotated[VisitsReadModels, Depends(get_read_models)]


async def get_premises_history(read_models: ReadModels) -> PremisesHistory:
    return read_models.premises_history


Visits = Annotated[VisitsApplication, Depends(get_visits)]
PremisesHistoryView = Annotated[PremisesHistory, Depends(get_premises_history)]
