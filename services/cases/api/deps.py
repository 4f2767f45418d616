"""Typed dependencies for the cases routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.cases.application import CasesApplication
from services.cases.projections import JourneyList
from shared.http.deps import get_runtime
from shared.runtime import Runtime


def get_cases(runtime: Annotated[Runtime, Depends(get_runtime)]) -> CasesApplication:
    app = runtime.app
    assert isinstance(app, CasesApplication)
    return app


def get_journey_list(runtime: Annotated[Runtime, Depends(get_runtime)]) -> JourneyList:
    projection = runtime.parts.extras["journey_list"]
    assert isinstance(projection, JourneyList)
    return projection


Cases = Annotated[CasesApplication, Depends(get_cases)]
JourneyListView = Annotated[JourneyList, Depends(get_journey_list)]
