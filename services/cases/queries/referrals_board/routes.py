"""``GET /referrals``: the referrals board, by partner and status, overdue first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.cases.api.deps import ReferralsBoardView
from services.cases.api.journey_access import JourneyAccess, VisibleTo
from services.cases.queries.referrals_board.schemas import ReferralCardPublic, ReferralPage
from services.cases.values import ReferralStatus
from shared.http.paging import KeysetQuery

router = APIRouter(tags=["journeys"], dependencies=[JourneyAccess])


@router.get(
    "/referrals",
    response_model=ReferralPage,
    tags=["referrals"],
    summary="The referrals board: by partner and status, overdue first",
)
def referrals_board(
    request: Request,
    board: ReferralsBoardView,
    visible_to: VisibleTo,
    page: KeysetQuery,
    partner: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,62}$")] = None,
    status: ReferralStatus | None = None,
) -> ReferralPage:
    asked = page.asked("referrals", (int, str, str))
    cards, total = board.board(
        datetime.now(UTC),
        partner=partner,
        status=status.value if status else None,
        visible_to=visible_to,
        **asked.window,
    )
    return ReferralPage.listing(request, asked, cards, ReferralCardPublic.of, total)
