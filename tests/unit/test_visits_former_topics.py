"""Events stored before the visit was split by concept still load.

They name their classes by the former topics (``services.visits.domain:Visit.<Event>``, and
the first names its aggregate ``services.visits.domain:Visit``). Here a visit's events are
written through the recorder under those topics, exactly as the store holds them, and then
folded, projected and translated for the bus, as the running service would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import get_topic

from services.visits.application import VisitsApplication
from services.visits.domain import Visit
from services.visits.integration import outbound
from services.visits.queries.lists.projection import VisitFilter, VisitList
from services.visits.queries.premises_history.projection import PremisesHistory
from shared.messaging.relay import as_contracts
from shared.runtime import Stores
from tests.support import followed_events, store_under_former_topics, topics_once_loaded
from tests.unit.conftest import AppFactory

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
VOLUNTEER = "v-1"
FORMER = "services.visits.domain:Visit"
CURRENT = "services.visits.visit:Visit"


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


def test_a_visit_stored_under_the_former_topics_folds_projects_and_translates(
    world: tuple[VisitsApplication, Stores],
) -> None:
    app, stores = world
    premises_id = uuid4()
    visit, contact_id, concern_id = a_visit(premises_id)
    stored = store_under_former_topics(app, visit.collect_events(), CURRENT, FORMER)
    assert FORMER.encode() in stored[0].state  # the visit's first names its aggregate
    topics = [s.topic for s in stored]
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

    relay = outbound(app)
    followed = followed_events(app, relay.event_classes)
    published = [c for event in followed for c in as_contracts(relay.translate(event))]
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
    contact_made, visit = topics_once_loaded(
        "visits", "services.visits.visit", ["Visit.ContactMade", "Visit"]
    )
    assert f"{FORMER}.ContactMade" in contact_made
    assert FORMER in visit
