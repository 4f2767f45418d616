"""Typed dependencies for the visits routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.visits.application import VisitsApplication
from services.visits.queries.premises_history.projection import PremisesHistory
from services.visits.read_models import VisitsReadModels
from shared.http.deps import Actor as Actor
from shared.http.deps import get_application, get_queries
from shared.runtime import Runtime

# The runtime ``build_api`` made from ``services.visits.main.assemble``: its parts are these.
VisitsRuntime = Runtime[VisitsApplication, VisitsReadModels]


Visits = Annotated[VisitsApplication, Depends(get_application)]
ReadModels = Annotated[VisitsReadModels, Depends(get_queries)]


async def get_premises_history(read_models: ReadModels) -> PremisesHistory:
    return read_models.premises_history


PremisesHistoryView = Annotated[PremisesHistory, Depends(get_premises_history)]
