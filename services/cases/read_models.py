"""What the cases routes read: one typed field per read model (``ServiceParts.queries``)."""

from __future__ import annotations

from dataclasses import dataclass

from services.cases.queries.caseload.projection import Caseload
from services.cases.queries.due_items.projection import DueItems
from services.cases.queries.erasure_requests.projection import ErasureRequests
from services.cases.queries.journey_timeline.projection import JourneyTimeline
from services.cases.queries.referrals_board.projection import ReferralsBoard
from services.cases.queries.statistics.projection import Statistics


@dataclass(frozen=True)
class CasesReadModels:
    caseload: Caseload
    journey_timeline: JourneyTimeline
    referrals_board: ReferralsBoard
    due_items: DueItems
    statistics: Statistics
    erasure_requests: ErasureRequests
