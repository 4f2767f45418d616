"""What ``GET /referrals`` answers with."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from services.cases.queries.referrals_board.projection import ReferralCard
from shared.http.paging import KeysetPage


class ReferralCardPublic(BaseModel):
    referral_id: UUID
    journey_id: UUID
    partner: str
    need: str
    status: str
    shares_personal_data: bool
    made_at: datetime
    respond_by: datetime
    updated_at: datetime
    overdue: bool

    @classmethod
    def of(cls, card: ReferralCard) -> ReferralCardPublic:
        return cls(**card.__dict__)


class ReferralPage(KeysetPage[ReferralCardPublic]):
    pass
