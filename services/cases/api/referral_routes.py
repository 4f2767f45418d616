"""HTTP routes for referrals to partner organisations and the National Referral Mechanism.
Thin ``def`` routes: body → one application command → the journey."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

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
from services.cases.api.deps import Actor, Cases, ExpectedVersion
from services.cases.api.journey_access import JourneyAccess
from services.cases.api.responses import COMMAND, answer
from services.cases.api.schemas import JourneyPublic

router = APIRouter(tags=["referrals"], dependencies=[JourneyAccess])


@router.post(
    "/journeys/{journey_id}/referrals",
    **COMMAND,
    summary="A referral to a partner (sharing her data needs her consent or a lawful basis)",
)
def make_referral(
    journey_id: UUID,
    body: ReferralCreate,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.make_referral(
        journey_id,
        referral_id=body.referral_id,
        partner=body.partner,
        need=body.need,
        shares_personal_data=body.shares_personal_data,
        consent_id=body.consent_id,
        lawful_basis=body.lawful_basis,
        respond_by=body.respond_by,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/referrals/{referral_id}/acknowledgement",
    **COMMAND,
    summary="The partner acknowledged the referral",
)
def acknowledge_referral(
    journey_id: UUID,
    referral_id: UUID,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
    body: CommandBody | None = None,
) -> JourneyPublic:
    journey = cases.acknowledge_referral(
        journey_id,
        referral_id=referral_id,
        occurred_at=occurred(body),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/referrals/{referral_id}/acceptance",
    **COMMAND,
    summary="The partner accepted the referral",
)
def accept_referral(
    journey_id: UUID,
    referral_id: UUID,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
    body: CommandBody | None = None,
) -> JourneyPublic:
    journey = cases.accept_referral(
        journey_id,
        referral_id=referral_id,
        occurred_at=occurred(body),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/referrals/{referral_id}/decline",
    **COMMAND,
    summary="The partner declined the referral",
)
def decline_referral(
    journey_id: UUID,
    referral_id: UUID,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
    body: ReferralDecline | None = None,
) -> JourneyPublic:
    journey = cases.decline_referral(
        journey_id,
        referral_id=referral_id,
        reason=body.reason if body else None,
        occurred_at=occurred(body),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/referrals/{referral_id}/completion",
    **COMMAND,
    summary="The support the referral was for was given",
)
def complete_referral(
    journey_id: UUID,
    referral_id: UUID,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
    body: CommandBody | None = None,
) -> JourneyPublic:
    journey = cases.complete_referral(
        journey_id,
        referral_id=referral_id,
        occurred_at=occurred(body),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/referrals/{referral_id}/withdrawal",
    **COMMAND,
    summary="The charity withdrew the referral, with a reason",
)
def withdraw_referral(
    journey_id: UUID,
    referral_id: UUID,
    body: ReferralWithdrawal,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.withdraw_referral(
        journey_id,
        referral_id=referral_id,
        reason=body.reason,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/nrm/first-responder-contact",
    **COMMAND,
    summary="A First Responder organisation was contacted about an NRM referral",
)
def record_first_responder_contact(
    journey_id: UUID,
    body: FirstResponderContact,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.record_first_responder_contact(
        journey_id,
        partner=body.partner,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/nrm/referral",
    **COMMAND,
    summary="A First Responder submitted her NRM referral (adults: with her consent)",
)
def record_nrm_referral(
    journey_id: UUID,
    body: NrmReferralCreate,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.record_nrm_referral(
        journey_id,
        partner=body.partner,
        submitted_on=body.submitted_on,
        consent_id=body.consent_id,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/nrm/reasonable-grounds",
    **COMMAND,
    summary="The Reasonable Grounds decision, as learned, and from whom",
)
def record_reasonable_grounds(
    journey_id: UUID,
    body: NrmDecisionCreate,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.record_reasonable_grounds(
        journey_id,
        outcome=body.outcome,
        decided_on=body.decided_on,
        learned_on=body.learned_on,
        source=body.source,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/nrm/recovery-period",
    **COMMAND,
    summary="Her recovery period (at least 30 days) started",
)
def start_recovery_period(
    journey_id: UUID,
    body: RecoveryPeriodCreate,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.start_recovery_period(
        journey_id,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/nrm/conclusive-grounds",
    **COMMAND,
    summary="The Conclusive Grounds decision, as learned, and from whom",
)
def record_conclusive_grounds(
    journey_id: UUID,
    body: NrmDecisionCreate,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.record_conclusive_grounds(
        journey_id,
        outcome=body.outcome,
        decided_on=body.decided_on,
        learned_on=body.learned_on,
        source=body.source,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)
