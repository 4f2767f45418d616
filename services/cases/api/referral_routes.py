"""HTTP routes for referrals to partner organisations and the National Referral Mechanism.
Thin ``def`` routes: body → one application command → the journey."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.cases.api.commands import (
    CommandBody,
    FirstResponderContact,
    NrmDecisionCreate,
    NrmReferralCreate,
    RecoveryPeriodCreate,
    ReferralCreate,
    ReferralDecline,
    ReferralWithdrawal,
    occurred,
)
from services.cases.api.journey_access import JourneyAccess
from services.cases.api.responses import COMMAND, Do
from services.cases.commands import (
    AcceptReferral,
    AcknowledgeReferral,
    CompleteReferral,
    DeclineReferral,
    MakeReferral,
    RecordConclusiveGrounds,
    RecordFirstResponderContact,
    RecordNrmReferral,
    RecordReasonableGrounds,
    StartRecoveryPeriod,
    WithdrawReferral,
)
from services.cases.queries.journey_detail.schemas import JourneyPublic

router = APIRouter(tags=["referrals"], dependencies=[JourneyAccess])


@router.post(
    "/journeys/{journey_id}/referrals",
    **COMMAND,
    summary="A referral to a partner (sharing her data needs her consent or a lawful basis)",
)
def make_referral(do: Do, body: ReferralCreate) -> JourneyPublic:
    return do(body.command(MakeReferral))


@router.post(
    "/journeys/{journey_id}/referrals/{referral_id}/acknowledgement",
    **COMMAND,
    summary="The partner acknowledged the referral",
)
def acknowledge_referral(
    referral_id: UUID, do: Do, body: CommandBody | None = None
) -> JourneyPublic:
    return do(AcknowledgeReferral(referral_id=referral_id, occurred_at=occurred(body)))


@router.post(
    "/journeys/{journey_id}/referrals/{referral_id}/acceptance",
    **COMMAND,
    summary="The partner accepted the referral",
)
def accept_referral(referral_id: UUID, do: Do, body: CommandBody | None = None) -> JourneyPublic:
    return do(AcceptReferral(referral_id=referral_id, occurred_at=occurred(body)))


@router.post(
    "/journeys/{journey_id}/referrals/{referral_id}/decline",
    **COMMAND,
    summary="The partner declined the referral",
)
def decline_referral(
    referral_id: UUID, do: Do, body: ReferralDecline | None = None
) -> JourneyPublic:
    return do((body or ReferralDecline()).command(DeclineReferral, referral_id=referral_id))


@router.post(
    "/journeys/{journey_id}/referrals/{referral_id}/completion",
    **COMMAND,
    summary="The support the referral was for was given",
)
def complete_referral(referral_id: UUID, do: Do, body: CommandBody | None = None) -> JourneyPublic:
    return do(CompleteReferral(referral_id=referral_id, occurred_at=occurred(body)))


@router.post(
    "/journeys/{journey_id}/referrals/{referral_id}/withdrawal",
    **COMMAND,
    summary="The charity withdrew the referral, with a reason",
)
def withdraw_referral(referral_id: UUID, do: Do, body: ReferralWithdrawal) -> JourneyPublic:
    return do(body.command(WithdrawReferral, referral_id=referral_id))


@router.post(
    "/journeys/{journey_id}/nrm/first-responder-contact",
    **COMMAND,
    summary="A First Responder organisation was contacted about an NRM referral",
)
def record_first_responder_contact(do: Do, body: FirstResponderContact) -> JourneyPublic:
    return do(body.command(RecordFirstResponderContact))


@router.post(
    "/journeys/{journey_id}/nrm/referral",
    **COMMAND,
    summary="A First Responder submitted her NRM referral (adults: with her consent)",
)
def record_nrm_referral(do: Do, body: NrmReferralCreate) -> JourneyPublic:
    return do(body.command(RecordNrmReferral))


@router.post(
    "/journeys/{journey_id}/nrm/reasonable-grounds",
    **COMMAND,
    summary="The Reasonable Grounds decision, as learned, and from whom",
)
def record_reasonable_grounds(do: Do, body: NrmDecisionCreate) -> JourneyPublic:
    return do(body.command(RecordReasonableGrounds))


@router.post(
    "/journeys/{journey_id}/nrm/recovery-period",
    **COMMAND,
    summary="Her recovery period (at least 30 days) started",
)
def start_recovery_period(do: Do, body: RecoveryPeriodCreate) -> JourneyPublic:
    return do(body.command(StartRecoveryPeriod))


@router.post(
    "/journeys/{journey_id}/nrm/conclusive-grounds",
    **COMMAND,
    summary="The Conclusive Grounds decision, as learned, and from whom",
)
def record_conclusive_grounds(do: Do, body: NrmDecisionCreate) -> JourneyPublic:
    return do(body.command(RecordConclusiveGrounds))
