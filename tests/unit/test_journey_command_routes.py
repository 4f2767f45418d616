"""A journey command route declared by ``journey_command`` is the route a hand-written one
would be: the same operation in the API description (name, ids in the path, body, answers)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from fastapi import APIRouter, FastAPI

from services.cases.api.commands import CommandBody, ReferralDecline, ReferralWithdrawal
from services.cases.api.responses import COMMAND, Do, journey_command
from services.cases.commands import AcceptReferral, DeclineReferral, WithdrawReferral
from services.cases.queries.journey_detail.schemas import JourneyPublic

PATH = "/journeys/{journey_id}/referrals/{referral_id}"


def by_hand() -> APIRouter:
    router = APIRouter()

    @router.post(f"{PATH}/acceptance", **COMMAND, summary="Accepted")
    def accept_referral(
        referral_id: UUID, do: Do, body: CommandBody | None = None
    ) -> JourneyPublic:
        return do((body or CommandBody()).command(AcceptReferral, referral_id=referral_id))

    @router.post(f"{PATH}/decline", **COMMAND, summary="Declined")
    def decline_referral(
        referral_id: UUID, do: Do, body: ReferralDecline | None = None
    ) -> JourneyPublic:
        return do((body or ReferralDecline()).command(DeclineReferral, referral_id=referral_id))

    @router.post(f"{PATH}/withdrawal", **COMMAND, summary="Withdrawn")
    def withdraw_referral(referral_id: UUID, do: Do, body: ReferralWithdrawal) -> JourneyPublic:
        return do(body.command(WithdrawReferral, referral_id=referral_id))

    return router


def declared() -> APIRouter:
    router = APIRouter()
    journey_command(router, f"{PATH}/acceptance", AcceptReferral, summary="Accepted")
    journey_command(
        router, f"{PATH}/decline", DeclineReferral, ReferralDecline | None, summary="Declined"
    )
    journey_command(
        router, f"{PATH}/withdrawal", WithdrawReferral, ReferralWithdrawal, summary="Withdrawn"
    )
    return router


def description(router: APIRouter) -> dict[str, Any]:
    app = FastAPI()
    app.include_router(router)
    return app.openapi()


@pytest.mark.parametrize("step", ["acceptance", "decline", "withdrawal"])
def test_a_declared_command_route_is_described_as_the_hand_written_one(step: str) -> None:
    written, made = description(by_hand()), description(declared())
    assert made["paths"][f"{PATH}/{step}"] == written["paths"][f"{PATH}/{step}"]
    assert made["components"] == written["components"]
