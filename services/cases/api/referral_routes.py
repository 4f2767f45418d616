"""HTTP routes for referrals to partner organisations and the National Referral Mechanism.
Each is a body that becomes one command on the journey (``journey_command``)."""

from __future__ import annotations

from fastapi import APIRouter

from services.cases.api.commands import (
    FirstResponderContact,
    NrmDecisionCreate,
    NrmReferralCreate,
    RecoveryPeriodCreate,
    ReferralCreate,
    ReferralDecline,
    ReferralWithdrawal,
)
from services.cases.api.journey_access import JourneyAccess
from services.cases.api.responses import journey_command
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

router = APIRouter(tags=["referrals"], dependencies=[JourneyAccess])

journey_command(
    router,
    "/journeys/{journey_id}/referrals",
    MakeReferral,
    ReferralCreate,
    summary="A referral to a partner (sharing her data needs her consent or a lawful basis)",
)
journey_command(
    router,
    "/journeys/{journey_id}/referrals/{referral_id}/acknowledgement",
    AcknowledgeReferral,
    summary="The partner acknowledged the referral",
)
journey_command(
    router,
    "/journeys/{journey_id}/referrals/{referral_id}/acceptance",
    AcceptReferral,
    summary="The partner accepted the referral",
)
journey_command(
    router,
    "/journeys/{journey_id}/referrals/{referral_id}/decline",
    DeclineReferral,
    ReferralDecline | None,
    summary="The partner declined the referral",
)
journey_command(
    router,
    "/journeys/{journey_id}/referrals/{referral_id}/completion",
    CompleteReferral,
    summary="The support the referral was for was given",
)
journey_command(
    router,
    "/journeys/{journey_id}/referrals/{referral_id}/withdrawal",
    WithdrawReferral,
    ReferralWithdrawal,
    summary="The charity withdrew the referral, with a reason",
)
journey_command(
    router,
    "/journeys/{journey_id}/nrm/first-responder-contact",
    RecordFirstResponderContact,
    FirstResponderContact,
    summary="A First Responder organisation was contacted about an NRM referral",
)
journey_command(
    router,
    "/journeys/{journey_id}/nrm/referral",
    RecordNrmReferral,
    NrmReferralCreate,
    summary="A First Responder submitted her NRM referral (adults: with her consent)",
)
journey_command(
    router,
    "/journeys/{journey_id}/nrm/reasonable-grounds",
    RecordReasonableGrounds,
    NrmDecisionCreate,
    summary="The Reasonable Grounds decision, as learned, and from whom",
)
journey_command(
    router,
    "/journeys/{journey_id}/nrm/recovery-period",
    StartRecoveryPeriod,
    RecoveryPeriodCreate,
    summary="Her recovery period (at least 30 days) started",
)
journey_command(
    router,
    "/journeys/{journey_id}/nrm/conclusive-grounds",
    RecordConclusiveGrounds,
    NrmDecisionCreate,
    summary="The Conclusive Grounds decision, as learned, and from whom",
)
