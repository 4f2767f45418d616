"""Typed dependencies for the visits routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.visits.application import VisitsApplication
from shared.http.deps import get_actor, get_runtime
from shared.runtime import Runtime


def get_visits(runtime: Annotated[Runtime, Depends(get_runtime)]) -> VisitsApplication:
    app = runtime.app
    assert isinstance(app, VisitsApplication)
    return app


Visits = Annotated[VisitsApplication, Depends(get_visits)]
Actor = Annotated[str, Depends(get_actor)]
