"""Events and snapshots stored before the journey was split by concept still load.

They name their classes by the former topics (``services.cases.domain:Journey.<Event>``,
``services.cases.domain:Journey``). Here a journey's events are written through the recorder
under those topics, exactly as the store holds them, and then folded, projected and translated
for the bus, as the running service would."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import get_topic

from services.cases.application import CasesApplication
from services.cases.domain import Journey
from services.cases.integration import PUBLISHED, translator
from services.cases.queries.caseload.projection import Caseload
from services.cases.queries.due_items.projection import DueItems
from services.cases.queries.journey_timeline.projection import JourneyTimeline
from services.cases.queries.referrals_board.projection import ReferralsBoard
from services.cases.values import ConsentScope, JourneyStatus, ReferralStatus
from shared.contracts.base import IntegrationEvent
from shared.runtime import Stores
from shared.storage.snapshots import SealedSnapshot
from tests.support import followed_events, store_under_former_topics, topics_once_loaded
from tests.unit.conftest import AppFactory

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CW = "cw-1"
FORMER = "services.cases.domain:Journey"
CURRENT = "services.cases.journey:Journey"


@pytest.fixture
def world(app_for: AppFactory) -> Iterator[tuple[CasesApplication, Stores]]:
    cases, stores = app_for(CasesApplication)
    yield cases, stores


def a_journey(journey_id: UUID, referral_id: UUID, goal_id: UUID) -> Journey:
    journey = Journey.register_new(journey_id, "R-1", ["ro"], False, T0, CW)
    journey.assign_caseworker(CW, T0, CW)
    consent_id = uuid4()
    journey.give_consent(consent_id, ConsentScope.SHARE_WITH_PARTNER, "shelter", "v1", T0, CW)
    journey.make_referral(
        referral_id, "shelter", "housing", True, consent_id, None, T0 + timedelta(days=7), T0, CW
    )
    journey.accept_referral(referral_id, T0 + timedelta(hours=1), CW)
    journey.set_goal(goal_id, "ni_number", date(2026, 12, 1), T0 + timedelta(hours=2), CW)
    return journey


def stored_under_former_topics(app: CasesApplication, journey: Journey) -> list[str]:
    stored = store_under_former_topics(app, journey.collect_events(), CURRENT, FORMER)
    return [s.topic for s in stored]


def test_a_journey_stored_under_the_former_topics_folds_projects_and_translates(
    world: tuple[CasesApplication, Stores],
) -> None:
    app, stores = world
    journey_id, referral_id, goal_id = uuid4(), uuid4(), uuid4()
    topics = stored_under_former_topics(app, a_journey(journey_id, referral_id, goal_id))
    assert topics[0] == f"{FORMER}.OpenedAtRegistration"
    assert all(topic.startswith(f"{FORMER}.") for topic in topics)
    # Followers asking only for today's topics would skip all of it.
    current_only = [get_topic(cls) for cls in PUBLISHED]
    assert app.recorder.select_notifications(start=1, limit=100, topics=current_only) == []

    folded = app.repository.get(journey_id)
    assert type(folded) is Journey
    assert (folded.pseudonym, folded.caseworker_id) == ("R-1", CW)
    assert folded.status is JourneyStatus.ACTIVE
    assert folded.referrals[referral_id].status is ReferralStatus.ACCEPTED
    assert goal_id in folded.goals
    assert folded.version == len(topics)

    args = (app, stores.views, stores.positions)
    caseload, timeline = Caseload(*args), JourneyTimeline(*args)
    board, due = ReferralsBoard(*args), DueItems(*args)
    for projection in (caseload, timeline, board, due):
        projection.catch_up()
    entries, total = caseload.list(caseworker_id=CW)
    assert total == 1
    entry = entries[0]
    assert (entry.journey_id, entry.status, entry.registered) == (journey_id, "active", True)
    assert (entry.open_referrals, entry.version) == (1, len(topics))
    _, count = timeline.for_journey(journey_id)
    assert count == len(topics)
    cards, _ = board.board(T0)
    assert [(c.referral_id, c.status) for c in cards] == [(referral_id, "accepted")]

    translate = translator(app)
    published: list[IntegrationEvent] = []
    for event in followed_events(app, tuple(PUBLISHED)):  # as the relay's follower hands them
        contract = translate(event)
        if contract is not None:
            published.append(contract)
    kinds = [type(contract).__name__ for contract in published]
    assert kinds[:2] == ["JourneyOpenedV1", "CaseworkerAssignedV1"]
    statuses = [getattr(c, "status", None) for c in published if "Referral" in type(c).__name__]
    assert statuses == ["made", "accepted"]
    assert all(getattr(c, "journey_id", journey_id) == journey_id for c in published)


def test_a_snapshot_of_the_former_aggregate_topic_loads(
    world: tuple[CasesApplication, Stores],
) -> None:
    app, _ = world
    journey_id = uuid4()
    stored_under_former_topics(app, a_journey(journey_id, uuid4(), uuid4()))
    journey = app.repository.get(journey_id)
    # A value only the snapshot holds shows the journey came from it, not from the events.
    journey.pseudonym = "from the snapshot"
    taken = SealedSnapshot.take(journey)
    assert taken.topic == CURRENT
    snapshot = dataclasses.replace(taken, topic=FORMER)
    assert app.snapshots is not None
    app.snapshots.put([snapshot])
    app.repository.cache = None

    loaded = app.repository.get(journey_id)
    assert type(loaded) is Journey
    assert loaded.pseudonym == "from the snapshot"
    assert loaded.version == journey.version


def test_the_cases_service_registers_the_former_topics_when_it_is_loaded() -> None:
    [opened] = topics_once_loaded("cases", "services.cases.journey", ["Journey.Opened"])
    assert f"{FORMER}.Opened" in opened
