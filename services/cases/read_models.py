"""What the cases routes read: one typed field per read model (``ServiceParts.queries``)."""

from __future__ import annotations

from dataclasses import dataclass

from services.cases.projections import (
    Caseload,
    DueItems,
    ErasureRequests,
    JourneyTimeline,
    ReferralsBoard,
    Statistics,
)


@dataclass(frozen=True)
class CasesReadModels:
    caseload: Caseload
    journey_timeline: JourneyTimeline
    referrals_board: ReferralsBoard
    due_items: DueItems
    statistics: Statistics
    erasure_requests: ErasureRequests
