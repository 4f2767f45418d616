"""Events stored before the visit was split by concept still load.

They name their classes by the former topics (``services.visits.domain:Visit.<Event>``, and
the first names its aggregate ``services.visits.domain:Visit``). Here a visit's events are
written through the recorder under those topics, exactly as the store holds them, and then
folded, projected and translated for the bus, as the running service would."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from services.visits.application import VisitsApplication
from services.visits.domain import Visit
from services.visits.integration import outbound
from services.visits.queries.lists.projection import VisitFilter, VisitList
from services.visits.queries.premises_history.projection import PremisesHistory
from shared.messaging.relay import as_contracts
from shared.runtime import Stores
from shared.storage.log_follower import LogFollower
from shared.storage.personal_data import personal_fields_of, subject_of
from tests.unit.conftest import AppFactory

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
VOLUNTEER = "v-1"
FORMER = "services.visits.domain:Visit"
CURRENT = "services.visits.visit:Visit"


class RelayFollower(LogFollower):
    """Reads what the relay reads (published and folded classes) from the start of the log."""

    name = "relay-like"

    def __init__(self, app: VisitsApplication) -> None:
        self.event_classes = tuple(outbound(app).event_classes)
        super().__init__(app)
        self.events: list[DomainEventProtocol[UUID]] = []

    def position(self) -> int:
        return 0

    async def handle(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]], last_id: int
    ) -> None:
        self.events.extend(event for _, event in batch)


@pytest.fixture
def world(app_for: AppFactory) -> tuple[VisitsApplication, Stores]:
    return app_for(VisitsApplication)


def a_visit(premises_id: UUID) -> tuple[Visit, UUID, UUID]:
    """A visit with one of every fact a visit records; its id, its contact's and a concern's."""
    at = T0 + timedelta(minutes=10)
    visit = Visit(uuid4(), "wrong place", "west", ["v-1", "v-2"], ["ro"], T0, VOLUNTEER)
    visit.correct_premises(premises_id, None, at, VOLUNTEER)
    contact_id, concern_id = uuid4(), uuid4()
    visit.make_contact(contact_id, "Alias-1", "ro", at, VOLUNTEER, bridging_volunteer="v-2")
    visit.correct_alias(contact_id, "Alias-2", at, VOLUNTEER)
    visit.observe_premises_indicator(uuid4(), "living_on_site", "observed", at, VOLUNTEER)
    visit.observe_person_indicator(uuid4(), contact_id, "debt_bondage", "disclosed", at, VOLUNTEER)
    visit.offer_follow_up(uuid4(), contact_id, "coffee", at + timedelta(days=3), at, VOLUNTEER)
    visit.raise_urgent_concern(concern_id, "violence", contact_id, "Details-1", at, VOLUNTEER)
    visit.resolve_urgent_concern(concern_id, at + timedelta(minutes=5), VOLUNTEER)
    visit.raise_urgent_concern(uuid4(), "medical", None, None, at, VOLUNTEER)
    visit.link_contact_to_person(contact_id, uuid4(), at, VOLUNTEER)
    visit.complete(T0 + timedelta(hours=1), VOLUNTEER, "conversation")
    return visit, contact_id, concern_id


def store_under_former_topics(app: VisitsApplication, visit: Visit) -> list[str]:
    events = visit.collect_events()
    # As a save does: the keys of everyone named in a personal field, before sealing them.
    app.keyring.ensure({subject_of(e) for e in events if personal_fields_of(type(e))})
    former = [
        dataclasses.replace(
            stored,
            topic=stored.topic.replace(CURRENT, FORMER),
            state=stored.state.replace(CURRENT.encode(), FORMER.encode()),  # originator_topic
        )
        for stored in map(app.mapper.to_stored_event, events)
    ]
    assert FORMER.encode() in former[0].state
    app.recorder.insert_events(former)
    return [stored.topic for stored in former]


def test_a_visit_stored_under_the_former_topics_folds_projects_and_translates(
    world: tuple[VisitsApplication, Stores],
) -> None:
    app, stores = world
    premises_id = uuid4()
    visit, contact_id, concern_id = a_visit(premises_id)
    topics = store_under_former_topics(app, visit)
    assert topics[0] == f"{FORMER}.Started"
    assert len(set(topics)) == 11  # every kind of visit event
    assert all(topic.startswith(f"{FORMER}.") for topic in topics)
    # Followers asking only for today's topics would skip all of it.
    current_only = [get_topic(cls) for cls in outbound(app).event_classes]
    assert app.recorder.select_notifications(start=1, limit=100, topics=current_only) == []

    folded = app.repository.get(visit.id)
    assert type(folded) is Visit
    assert folded.premises_id == premises_id
    contact = folded.contact(contact_id)
    assert contact is not None and contact.alias == "Alias-2" and contact.person_id is not None
    concern = folded.concern(concern_id)
    assert concern is not None and concern.details == "Details-1" and concern.resolved_at
    assert (len(folded.person_indicators), len(folded.premises_indicators)) == (1, 1)
    assert (folded.outcome, folded.version) == ("conversation", len(topics))

    args = (app, stores.views, stores.positions)
    listed, history = VisitList(*args), PremisesHistory(*args)
    for projection in (listed, history):
        projection.catch_up()
    entries, total = listed.newest_first(VisitFilter())
    assert total == 1
    assert (entries[0].visit_id, entries[0].contact_count, entries[0].outcome) == (
        visit.id,
        1,
        "conversation",
    )
    assert (entries[0].urgent_concerns, entries[0].open_urgent_concerns) == (2, 1)
    page = history.history(premises_id, limit=10, offset=0)
    assert (page.visit_count, page.open_concern_count) == (1, 1)

    follower = RelayFollower(app)
    asyncio.run(follower.catch_up_once())  # reads and hands over as the relay's follower does
    translate = outbound(app).translate
    published = [c for event in follower.events for c in as_contracts(translate(event))]
    assert [type(c).__name__ for c in published] == [
        "ContactMadeV1",
        "ContactMadeV2",
        "PersonIndicatorObservedV1",
        "FollowUpOfferedV1",
        "UrgentConcernRaisedV1",
        "UrgentConcernRaisedV1",
        "ContactLinkedToPersonV1",
        "VisitCompletedV1",
    ]


def test_the_visits_service_registers_the_former_topics_when_it_is_loaded() -> None:
    # A fresh interpreter: nothing imported by other tests can stand in for the service's own.
    code = (
        "import services.visits.main\n"
        "from services.visits.visit import Visit\n"
        "from shared.storage.topics import topics_of\n"
        "print(topics_of(Visit.ContactMade), topics_of(Visit))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert f"{FORMER}.ContactMade" in run.stdout
    assert f"'{FORMER}'" in run.stdout
