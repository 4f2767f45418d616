"""Read models of the cases service, one per query, each rebuildable from the log.

| read model | query |
|---|---|
| ``caseload`` | ``GET /journeys``: status, caseworker, contacts, what is due; and the intake |
| ``journey_timeline`` | ``GET /journeys/{id}/timeline``: her journey, newest first, both clocks |
| ``referrals_board`` | ``GET /referrals``: by partner and status, overdue first (and expiry) |
| ``due_items`` | ``GET /due``: follow-ups, appointments and dates coming up |
| ``statistics`` | ``GET /statistics``: anonymised monthly counts, cells under 11 suppressed |
| ``erasure_requests`` | ``GET /erasure-requests``: erasures asked for and approved (ids only) |

None of them stores personal data (names, notes, free text): only ids, codes and times.
"""

from services.cases.projections.caseload import Caseload, CaseloadEntry, IntakeEntry
from services.cases.projections.due import DueItem, DueItems
from services.cases.projections.erasures import ErasureRequestEntry, ErasureRequests
from services.cases.projections.referrals import ReferralCard, ReferralsBoard
from services.cases.projections.statistics import K_ANONYMITY, Statistics, StatisticsCell
from services.cases.projections.timeline import JourneyTimeline, TimelineRow

__all__ = [
    "K_ANONYMITY",
    "Caseload",
    "CaseloadEntry",
    "DueItem",
    "DueItems",
    "ErasureRequestEntry",
    "ErasureRequests",
    "IntakeEntry",
    "JourneyTimeline",
    "ReferralCard",
    "ReferralsBoard",
    "Statistics",
    "StatisticsCell",
    "TimelineRow",
]
