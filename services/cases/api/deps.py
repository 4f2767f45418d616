"""Typed dependencies for the cases routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.cases.application import CasesApplication
from services.cases.queries.caseload.projection import Caseload
from services.cases.queries.due_items.projection import DueItems
from services.cases.queries.journey_timeline.projection import JourneyTimeline
from services.cases.queries.referrals_board.projection import ReferralsBoard
from services.cases.read_models import CasesReadModels
from shared.http.deps import Actor as Actor
from shared.http.deps import get_application, get_queries
from shared.runtime import Runtime

# The runtime ``build_api`` made from ``services.cases.main.assemble``: its parts are these.
CasesRuntime = Runtime[CasesApplication, CasesReadModels]


Cases = Annotated[CasesApplication, Depends(get_application)]
ReadModels = Annotated[CasesReadModels, Depends(get_queries)]


async def get_caseload(read_models: ReadModels) -> Caseload:
    return read_models.caseload


async def get_timeline(read_models: ReadModels) -> JourneyTimeline:
    return read_models.journey_timeline


async def get_referrals_board(read_models: ReadModels) -> ReferralsBoard:
    return read_models.referrals_board


async def get_due_items(read_models: ReadModels) -> DueItems:
    return read_models.due_items


CaseloadView = Annotated[Caseload, Depends(get_caseload)]
TimelineView = Annotated[JourneyTimeline, Depends(get_timeline)]
ReferralsBoardView = Annotated[ReferralsBoard, Depends(get_referrals_board)]
DueItemsView = Annotated[DueItems, Depends(get_due_items)]
