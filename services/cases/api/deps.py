"""Typed dependencies for the cases routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.cases.application import CasesApplication
from services.cases.projections import Caseload, DueItems, JourneyTimeline, ReferralsBoard
from shared.http.deps import Actor as Actor
from shared.http.deps import get_runtime
from shared.runtime import Runtime


async def get_cases(runtime: Annotated[Runtime, Depends(get_runtime)]) -> CasesApplication:
    app = runtime.app
    assert isinstance(app, CasesApplication)
    return app


async def get_caseload(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Caseload:
    return runtime.parts.named("caseload", Caseload)


async def get_timeline(runtime: Annotated[Runtime, Depends(get_runtime)]) -> JourneyTimeline:
    return runtime.parts.named("journey_timeline", JourneyTimeline)


async def get_referrals_board(runtime: Annotated[Runtime, Depends(get_runtime)]) -> ReferralsBoard:
    return runtime.parts.named("referrals_board", ReferralsBoard)


async def get_due_items(runtime: Annotated[Runtime, Depends(get_runtime)]) -> DueItems:
    return runtime.parts.named("due_items", DueItems)


Cases = Annotated[CasesApplication, Depends(get_cases)]
CaseloadView = Annotated[Caseload, Depends(get_caseload)]
TimelineView = Annotated[JourneyTimeline, Depends(get_timeline)]
ReferralsBoardView = Annotated[ReferralsBoard, Depends(get_referrals_board)]
DueItemsView = Annotated[DueItems, Depends(get_due_items)]
