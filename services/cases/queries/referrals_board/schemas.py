"""What ``GET /referrals`` answers with."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.http.paging import KeysetPage
from shared.http.public import Public


class ReferralCardPublic(Public):
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


class ReferralPage(KeysetPage[ReferralCardPublic]):
    pass
