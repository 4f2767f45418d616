"""HTTP routes of the cases service: the journey, her registration, consent, and its status.

Plain ``def``: FastAPI runs them in its thread pool, so the synchronous event store never blocks
the event loop. Each command returns the journey with its version as the ETag and honours
``If-Match`` (412 when stale).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from services.cases.api import referral_routes, statistics_routes, support_routes
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
from services.cases.api.deps import (
    Actor,
    CaseloadView,
    Cases,
    DueItemsView,
    ReferralsBoardView,
    TimelineView,
)
from services.cases.api.journey_access import JourneyAccess, VisibleTo
from services.cases.api.responses import COMMAND, Do, answer
from services.cases.api.schemas import (
    CaseloadEntryPublic,
    DueItemPublic,
    DuePage,
    JourneyPage,
    JourneyPublic,
    ReferralCardPublic,
    ReferralPage,
    TimelineEntryPublic,
    TimelinePage,
)
from services.cases.application import JourneyNotFound
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
from services.cases.values import JourneyStatus, ReferralStatus
from shared.http.deps import PageLimit, PageOffset
from shared.http.paging import PageCursor, decode_cursor, next_page
from shared.http.times import HappenedAt, SearchTime
from shared.storage.sql import to_sql_time

router = APIRouter(tags=["journeys"], dependencies=[JourneyAccess])


Identifier = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9._:@-]{1,100}$")]


# "As it was known then" lies in the past, as anything that happened does.
AsOf = Annotated[
    HappenedAt | None,
    Query(description="Show the timeline as it was known then (entries recorded by this time)"),
]


@router.get(
    "/journeys",
    response_model=JourneyPage,
    summary="The caseload: journeys with something due first, then by latest contact",
    description="My caseload is `?caseworker=<my id>`. A projection: it may lag a write by "
    "a fraction of a second. Merged journeys are left out unless asked for by status.",
)
def list_journeys(
    request: Request,
    caseload: CaseloadView,
    visible_to: VisibleTo,
    status: JourneyStatus | None = None,
    caseworker: Identifier = None,
    unassigned: bool = False,
    contact_id: Annotated[
        UUID | None, Query(description="Only the journey(s) that outreach knew by this contact")
    ] = None,
    due_before: SearchTime | None = None,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
    cursor: PageCursor = None,
) -> JourneyPage:
    after_key = decode_cursor("journeys", cursor, (str, int, str))
    items, total = caseload.list(
        status=status.value if status else None,
        caseworker_id=caseworker,
        visible_to=visible_to,
        unassigned=unassigned,
        contact_id=contact_id,
        due_before=due_before,
        limit=limit,
        offset=offset,
        after_key=after_key,
        with_total=cursor is None,
    )
    next_cursor, link = next_page(
        request, "journeys", items[-1].list_key if items else None, full=len(items) == limit
    )
    return JourneyPage(
        items=[CaseloadEntryPublic.of(i) for i in items],
        total=total,
        limit=limit,
        offset=offset,
        next_cursor=next_cursor,
        next=link,
    )


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
    partner: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,62}$")] = None,
    status: ReferralStatus | None = None,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
    cursor: PageCursor = None,
) -> ReferralPage:
    after_key = decode_cursor("referrals", cursor, (int, str, str))
    cards, total = board.board(
        datetime.now(UTC),
        partner=partner,
        status=status.value if status else None,
        visible_to=visible_to,
        limit=limit,
        offset=offset,
        after_key=after_key,
        with_total=cursor is None,
    )
    next_cursor, link = next_page(
        request, "referrals", cards[-1].list_key if cards else None, full=len(cards) == limit
    )
    return ReferralPage(
        items=[ReferralCardPublic.of(c) for c in cards],
        total=total,
        limit=limit,
        offset=offset,
        next_cursor=next_cursor,
        next=link,
    )


@router.get(
    "/due",
    response_model=DuePage,
    summary="Follow-ups, appointments and dates coming up on open journeys, soonest first",
)
def due_items(
    request: Request,
    due: DueItemsView,
    visible_to: VisibleTo,
    caseworker: Identifier = None,
    after: SearchTime | None = None,
    before: SearchTime | None = None,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
    cursor: PageCursor = None,
) -> DuePage:
    after_key = decode_cursor("due", cursor, (str, str))
    items, total = due.coming_up(
        caseworker_id=caseworker,
        visible_to=visible_to,
        after=after,
        before=before,
        limit=limit,
        offset=offset,
        after_key=after_key,
        with_total=cursor is None,
    )
    next_cursor, link = next_page(
        request, "due", items[-1].list_key if items else None, full=len(items) == limit
    )
    return DuePage(
        items=[DueItemPublic.of(i) for i in items],
        total=total,
        limit=limit,
        offset=offset,
        next_cursor=next_cursor,
        next=link,
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
    outcome = cases.register_person(body.journey_id, body.command(Register), actor=actor)
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
    response_model=TimelinePage,
    responses={404: {"description": "No such journey"}},
    summary="Her journey, newest first by when it happened: what, both clocks, by whom",
    description="Outreach contacts and indicators from visits merged with casework. A fact an "
    "offline app delivered late sorts by when it happened. With `as_of`, the timeline as it "
    "was known at that moment (what had been recorded by then); the audit entry says so. "
    "A projection.",
)
def get_timeline(
    journey_id: UUID,
    timeline: TimelineView,
    request: Request,
    limit: PageLimit = 100,
    offset: PageOffset = 0,
    as_of: AsOf = None,
) -> TimelinePage:
    if as_of is not None:
        # The audit entry says she looked into the past, and at which moment.
        purpose = getattr(request.state, "audit_purpose", None)
        request.state.audit_purpose = " ".join(
            p for p in (purpose, f"as-of:{to_sql_time(as_of)}") if p
        )
    rows, total = timeline.for_journey(journey_id, limit=limit, offset=offset, as_of=as_of)
    if total == 0 and (as_of is None or timeline.for_journey(journey_id, limit=1)[1] == 0):
        raise JourneyNotFound(str(journey_id))
    return TimelinePage(
        journey_id=journey_id,
        items=[TimelineEntryPublic.of(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


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
router.include_router(statistics_routes.router)
