"""Typed dependencies for the cases routes."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends

from services.cases.application import CasesApplication
from services.cases.projections import Caseload, DueItems, JourneyTimeline, ReferralsBoard
from shared.http.deps import Actor as Actor
from shared.http.deps import IfMatch, get_runtime
from shared.http.problems import Problem
from shared.runtime import Runtime

_ONE_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')


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


async def get_expected_version(if_match: IfMatch = None) -> int | None:
    """The journey version the client last read (``If-Match``), or None to skip the check.

    ETags are the journey version (``shared/http/etag.py``); the application compares it with
    the journey as it reads it, so the check and the write see the same version. A value that
    is not one of our ETags can never match: 412 at once."""
    if if_match is None or if_match.strip() == "*":
        return None
    found = _ONE_ETAG.match(if_match.strip())
    if found is None:
        raise Problem(
            412,
            "precondition-failed",
            "The record has changed since you read it",
            "If-Match must be the single ETag of the journey as last read.",
        )
    return int(found.group(1))


Cases = Annotated[CasesApplication, Depends(get_cases)]
CaseloadView = Annotated[Caseload, Depends(get_caseload)]
TimelineView = Annotated[JourneyTimeline, Depends(get_timeline)]
ReferralsBoardView = Annotated[ReferralsBoard, Depends(get_referrals_board)]
DueItemsView = Annotated[DueItems, Depends(get_due_items)]
ExpectedVersion = Annotated[int | None, Depends(get_expected_version)]
