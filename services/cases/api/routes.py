"""HTTP routes of the cases service: the journey, her registration, consent, and its status.

Plain ``def``: FastAPI runs them in its thread pool, so the synchronous event store never blocks
the event loop. Each command returns the journey with its version as the ETag and honours
``If-Match`` (412 when stale).
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from services.cases.api import referral_routes, support_routes
from services.cases.api.commands import (
    CaseworkerAssignment,
    Closure,
    CommandBody,
    ConsentCreate,
    JourneyCreate,
    LanguagePreferences,
    PseudonymCorrection,
    RegistrationCreate,
    Reopening,
    ReturnHome,
    occurred,
)
from services.cases.api.deps import Actor, Cases
from services.cases.api.journey_access import JourneyAccess
from services.cases.api.responses import COMMAND, Do, answer, answer_after
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


@router.post(
    "/journeys/{journey_id}/registration",
    **COMMAND,
    summary="Register the woman whose journey began with a contact on a visit",
)
def register(do: Do, body: RegistrationCreate) -> JourneyPublic:
    return do(body.command(Register))


@router.post(
    "/journeys/{journey_id}/pseudonym-correction",
    **COMMAND,
    summary="Correct her pseudonym (a new event; the history keeps the old one)",
)
def correct_pseudonym(do: Do, body: PseudonymCorrection) -> JourneyPublic:
    return do(body.command(CorrectPseudonym))


@router.post(
    "/journeys/{journey_id}/language-preferences",
    **COMMAND,
    summary="Change her preferred languages and whether she needs an interpreter",
)
def change_language_preferences(do: Do, body: LanguagePreferences) -> JourneyPublic:
    return do(body.command(ChangeLanguagePreferences))


@router.post(
    "/journeys/{journey_id}/consents",
    **COMMAND,
    summary="Record her consent: scope, partner (to share with), wording version shown",
)
def give_consent(do: Do, body: ConsentCreate) -> JourneyPublic:
    return do(body.command(GiveConsent))


@router.post(
    "/journeys/{journey_id}/consents/{consent_id}/withdrawal",
    **COMMAND,
    summary="She withdrew a consent (open referrals relying on it are flagged for attention)",
)
def withdraw_consent(consent_id: UUID, do: Do, body: CommandBody | None = None) -> JourneyPublic:
    return do(WithdrawConsent(consent_id=consent_id, occurred_at=occurred(body)))


@router.post(
    "/journeys/{journey_id}/caseworker",
    **COMMAND,
    summary="Assign (or reassign) her caseworker",
)
def assign_caseworker(do: Do, body: CaseworkerAssignment) -> JourneyPublic:
    return do(body.command(AssignCaseworker))


@router.post(
    "/journeys/{journey_id}/possible-minor",
    **COMMAND,
    summary="Mark her as possibly under 18 (an NRM referral then needs no consent)",
)
def mark_possible_minor(do: Do, body: CommandBody | None = None) -> JourneyPublic:
    return do(MarkPossibleMinor(occurred_at=occurred(body)))


@router.post(
    "/journeys/{journey_id}/possible-minor/clearance",
    **COMMAND,
    summary="Clear the possible-minor flag (e.g. after an age assessment)",
)
def clear_possible_minor(do: Do, body: CommandBody | None = None) -> JourneyPublic:
    return do(ClearPossibleMinor(occurred_at=occurred(body)))


@router.post("/journeys/{journey_id}/exit", **COMMAND, summary="She left the sex industry")
def record_exit(do: Do, body: CommandBody | None = None) -> JourneyPublic:
    return do(RecordExit(occurred_at=occurred(body)))


@router.post(
    "/journeys/{journey_id}/exit-reversal",
    **COMMAND,
    summary="She went back to the sex industry (no judgement: the exit is reversible)",
)
def record_return_to_industry(do: Do, body: CommandBody | None = None) -> JourneyPublic:
    return do(RecordReturnToIndustry(occurred_at=occurred(body)))


@router.post(
    "/journeys/{journey_id}/return-home", **COMMAND, summary="She returned home (assisted or not)"
)
def record_return_home(do: Do, body: ReturnHome) -> JourneyPublic:
    return do(body.command(RecordReturnHome))


@router.post("/journeys/{journey_id}/contact-lost", **COMMAND, summary="Contact with her was lost")
def record_contact_lost(do: Do, body: CommandBody | None = None) -> JourneyPublic:
    return do(RecordContactLost(occurred_at=occurred(body)))


@router.post(
    "/journeys/{journey_id}/closure",
    **COMMAND,
    summary="Close the journey with a reason (refused while referrals are open)",
)
def close_journey(do: Do, body: Closure) -> JourneyPublic:
    return do(body.command(CloseJourney))


@router.post("/journeys/{journey_id}/reopening", **COMMAND, summary="Reopen a closed journey")
def reopen_journey(do: Do, body: Reopening | None = None) -> JourneyPublic:
    return do((body or Reopening()).command(ReopenJourney))


router.include_router(support_routes.router)
router.include_router(referral_routes.router)
