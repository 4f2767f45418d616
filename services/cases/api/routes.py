"""HTTP routes of the cases service: the journey, her registration, consent, and its status.

Plain ``def``: FastAPI runs them in its thread pool, so the synchronous event store never blocks
the event loop. Each command returns the journey with its version as the ETag and honours
``If-Match`` (412 when stale).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

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
from services.cases.api.deps import Actor, Cases, ExpectedVersion, JourneyListView
from services.cases.api.responses import COMMAND, answer
from services.cases.api.schemas import (
    JourneyPage,
    JourneyPublic,
    JourneySummaryPublic,
    TimelineEntryPublic,
)
from services.cases.values import JourneyStatus
from shared.http.etag import etag_for

router = APIRouter(tags=["journeys"])


@router.get(
    "/journeys",
    response_model=JourneyPage,
    summary="Journeys, most recent contact first (a projection; may lag writes slightly)",
)
def list_journeys(
    journeys: JourneyListView,
    status: JourneyStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JourneyPage:
    items, total = journeys.list(
        status=status.value if status else None, limit=limit, offset=offset
    )
    return JourneyPage(
        items=[JourneySummaryPublic.of(i) for i in items], total=total, limit=limit, offset=offset
    )


@router.post(
    "/journeys",
    status_code=201,
    **COMMAND,
    summary="Register a woman who arrived without a visit contact (client-generated journey id)",
)
def register_person(
    body: JourneyCreate, cases: Cases, actor: Actor, response: Response
) -> JourneyPublic:
    outcome = cases.register_person(
        body.journey_id,
        pseudonym=body.pseudonym,
        preferred_languages=body.preferred_languages,
        interpreter_needed=body.interpreter_needed,
        occurred_at=body.when(),
        actor=actor,
    )
    response.headers["Location"] = f"/journeys/{outcome.journey.id}"
    if not outcome.created:
        response.headers["Idempotent-Replayed"] = "true"
    return answer(outcome.journey, response)


@router.get(
    "/journeys/{journey_id}",
    response_model=JourneyPublic,
    responses={404: {"description": "No such journey"}},
    summary="One journey, current state (ETag = version)",
)
def get_journey(journey_id: UUID, cases: Cases, response: Response) -> JourneyPublic:
    return answer(cases.get_journey(journey_id), response)


@router.get(
    "/journeys/{journey_id}/timeline",
    response_model=list[TimelineEntryPublic],
    responses={404: {"description": "No such journey"}},
    summary="Every fact on her journey in order: what, when (both clocks), by whom",
)
def get_timeline(journey_id: UUID, cases: Cases, response: Response) -> list[TimelineEntryPublic]:
    entries = cases.journey_timeline(journey_id)
    response.headers["ETag"] = etag_for(entries[-1].version)
    return [TimelineEntryPublic.of(entry) for entry in entries]


@router.post(
    "/journeys/{journey_id}/registration",
    **COMMAND,
    summary="Register the woman whose journey began with a contact on a visit",
)
def register(
    journey_id: UUID,
    body: RegistrationCreate,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.register(
        journey_id,
        pseudonym=body.pseudonym,
        preferred_languages=body.preferred_languages,
        interpreter_needed=body.interpreter_needed,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/pseudonym-correction",
    **COMMAND,
    summary="Correct her pseudonym (a new event; the history keeps the old one)",
)
def correct_pseudonym(
    journey_id: UUID,
    body: PseudonymCorrection,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.correct_pseudonym(
        journey_id,
        pseudonym=body.pseudonym,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/language-preferences",
    **COMMAND,
    summary="Change her preferred languages and whether she needs an interpreter",
)
def change_language_preferences(
    journey_id: UUID,
    body: LanguagePreferences,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.change_language_preferences(
        journey_id,
        preferred_languages=body.preferred_languages,
        interpreter_needed=body.interpreter_needed,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/consents",
    **COMMAND,
    summary="Record her consent: scope, partner (to share with), wording version shown",
)
def give_consent(
    journey_id: UUID,
    body: ConsentCreate,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.give_consent(
        journey_id,
        consent_id=body.consent_id,
        scope=body.scope,
        partner=body.partner,
        wording_version=body.wording_version,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/consents/{consent_id}/withdrawal",
    **COMMAND,
    summary="She withdrew a consent (open referrals relying on it are flagged for attention)",
)
def withdraw_consent(
    journey_id: UUID,
    consent_id: UUID,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
    body: CommandBody | None = None,
) -> JourneyPublic:
    journey = cases.withdraw_consent(
        journey_id,
        consent_id=consent_id,
        occurred_at=occurred(body),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/caseworker",
    **COMMAND,
    summary="Assign (or reassign) her caseworker",
)
def assign_caseworker(
    journey_id: UUID,
    body: CaseworkerAssignment,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.assign_caseworker(
        journey_id,
        caseworker_id=body.caseworker_id,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/possible-minor",
    **COMMAND,
    summary="Mark her as possibly under 18 (an NRM referral then needs no consent)",
)
def mark_possible_minor(
    journey_id: UUID,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
    body: CommandBody | None = None,
) -> JourneyPublic:
    journey = cases.mark_possible_minor(
        journey_id, occurred_at=occurred(body), actor=actor, expected_version=expected
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/possible-minor/clearance",
    **COMMAND,
    summary="Clear the possible-minor flag (e.g. after an age assessment)",
)
def clear_possible_minor(
    journey_id: UUID,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
    body: CommandBody | None = None,
) -> JourneyPublic:
    journey = cases.clear_possible_minor(
        journey_id, occurred_at=occurred(body), actor=actor, expected_version=expected
    )
    return answer(journey, response)


@router.post("/journeys/{journey_id}/exit", **COMMAND, summary="She left the sex industry")
def record_exit(
    journey_id: UUID,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
    body: CommandBody | None = None,
) -> JourneyPublic:
    journey = cases.record_exit(
        journey_id, occurred_at=occurred(body), actor=actor, expected_version=expected
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/exit-reversal",
    **COMMAND,
    summary="She went back to the sex industry (no judgement: the exit is reversible)",
)
def record_return_to_industry(
    journey_id: UUID,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
    body: CommandBody | None = None,
) -> JourneyPublic:
    journey = cases.record_return_to_industry(
        journey_id, occurred_at=occurred(body), actor=actor, expected_version=expected
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/return-home", **COMMAND, summary="She returned home (assisted or not)"
)
def record_return_home(
    journey_id: UUID,
    body: ReturnHome,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.record_return_home(
        journey_id,
        assisted=body.assisted,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post("/journeys/{journey_id}/contact-lost", **COMMAND, summary="Contact with her was lost")
def record_contact_lost(
    journey_id: UUID,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
    body: CommandBody | None = None,
) -> JourneyPublic:
    journey = cases.record_contact_lost(
        journey_id, occurred_at=occurred(body), actor=actor, expected_version=expected
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/closure",
    **COMMAND,
    summary="Close the journey with a reason (refused while referrals are open)",
)
def close_journey(
    journey_id: UUID,
    body: Closure,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.close_journey(
        journey_id,
        reason=body.reason,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post("/journeys/{journey_id}/reopening", **COMMAND, summary="Reopen a closed journey")
def reopen_journey(
    journey_id: UUID,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
    body: Reopening | None = None,
) -> JourneyPublic:
    journey = cases.reopen_journey(
        journey_id,
        reason=body.reason if body else None,
        occurred_at=occurred(body),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


router.include_router(support_routes.router)
router.include_router(referral_routes.router)
