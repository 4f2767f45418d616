"""HTTP routes of the cases service: the journey, her registration, consent, and its status.

Plain ``def`` (FastAPI runs them in its thread pool), but for the journey commands, ``async``
around one ``in_thread`` call: either way the synchronous event store never blocks the event
loop. Each command (``journey_command``) returns the journey with its version as the ETag and
honours ``If-Match`` (412 when stale).
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from services.cases.api import referral_routes, support_routes
from services.cases.api.commands import (
    CaseworkerAssignment,
    Closure,
    ConsentCreate,
    JourneyCreate,
    LanguagePreferences,
    PseudonymCorrection,
    RegistrationCreate,
    Reopening,
    ReturnHome,
)
from services.cases.api.deps import Actor, Cases
from services.cases.api.journey_access import JourneyAccess
from services.cases.api.responses import COMMAND, answer, answer_after, journey_command
from services.cases.commands import (
    AssignCaseworker,
    ChangeLanguagePreferences,
    ClearPossibleMinor,
    CloseJourney,
    CorrectPseudonym,
    GiveConsent,
    MarkPossibleMinor,
    RecordContactLost,
    RecordExit,
    RecordReturnHome,
    RecordReturnToIndustry,
    Register,
    ReopenJourney,
    WithdrawConsent,
)
from services.cases.queries.journey_detail.schemas import JourneyPublic

router = APIRouter(tags=["journeys"], dependencies=[JourneyAccess])


@router.post(
    "/journeys",
    status_code=201,
    **COMMAND,
    summary="Register a woman who arrived without a visit contact (client-generated journey id)",
)
def register_person(
    body: JourneyCreate, cases: Cases, actor: Actor, response: Response
) -> JourneyPublic:
    outcome = cases.register_person(body.journey_id, body.command(Register), actor=actor)
    response.headers["Location"] = f"/journeys/{outcome.journey.id}"
    if not outcome.created:
        response.headers["Idempotent-Replayed"] = "true"
    return answer_after(cases, outcome.journey, response)


@router.get(
    "/journeys/{journey_id}",
    response_model=JourneyPublic,
    responses={404: {"description": "No such journey"}},
    summary="One journey, current state (ETag = version)",
)
def get_journey(journey_id: UUID, cases: Cases, response: Response) -> JourneyPublic:
    return answer(cases.journey_detail(journey_id), response)


journey_command(
    router,
    "/journeys/{journey_id}/registration",
    Register,
    RegistrationCreate,
    summary="Register the woman whose journey began with a contact on a visit",
)
journey_command(
    router,
    "/journeys/{journey_id}/pseudonym-correction",
    CorrectPseudonym,
    PseudonymCorrection,
    summary="Correct her pseudonym (a new event; the history keeps the old one)",
)
journey_command(
    router,
    "/journeys/{journey_id}/language-preferences",
    ChangeLanguagePreferences,
    LanguagePreferences,
    summary="Change her preferred languages and whether she needs an interpreter",
)
journey_command(
    router,
    "/journeys/{journey_id}/consents",
    GiveConsent,
    ConsentCreate,
    summary="Record her consent: scope, partner (to share with), wording version shown",
)
journey_command(
    router,
    "/journeys/{journey_id}/consents/{consent_id}/withdrawal",
    WithdrawConsent,
    summary="She withdrew a consent (open referrals relying on it are flagged for attention)",
)
journey_command(
    router,
    "/journeys/{journey_id}/caseworker",
    AssignCaseworker,
    CaseworkerAssignment,
    summary="Assign (or reassign) her caseworker",
)
journey_command(
    router,
    "/journeys/{journey_id}/possible-minor",
    MarkPossibleMinor,
    summary="Mark her as possibly under 18 (an NRM referral then needs no consent)",
)
journey_command(
    router,
    "/journeys/{journey_id}/possible-minor/clearance",
    ClearPossibleMinor,
    summary="Clear the possible-minor flag (e.g. after an age assessment)",
)
journey_command(
    router, "/journeys/{journey_id}/exit", RecordExit, summary="She left the sex industry"
)
journey_command(
    router,
    "/journeys/{journey_id}/exit-reversal",
    RecordReturnToIndustry,
    summary="She went back to the sex industry (no judgement: the exit is reversible)",
)
journey_command(
    router,
    "/journeys/{journey_id}/return-home",
    RecordReturnHome,
    ReturnHome,
    summary="She returned home (assisted or not)",
)
journey_command(
    router,
    "/journeys/{journey_id}/contact-lost",
    RecordContactLost,
    summary="Contact with her was lost",
)
journey_command(
    router,
    "/journeys/{journey_id}/closure",
    CloseJourney,
    Closure,
    summary="Close the journey with a reason (refused while referrals are open)",
)
journey_command(
    router,
    "/journeys/{journey_id}/reopening",
    ReopenJourney,
    Reopening | None,
    summary="Reopen a closed journey",
)

router.include_router(support_routes.router)
router.include_router(referral_routes.router)
