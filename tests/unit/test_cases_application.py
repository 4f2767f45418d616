"""The cases application on a real store: journeys opened once per contact, whatever arrives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.cases.application import CasesApplication, JourneyNotFound
from services.cases.domain import Journey
from services.cases.projections import JourneyList
from shared.settings import ServiceName
from tests.unit.conftest import StoresFactory

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


@pytest.fixture
def cases_and_list(stores_for: StoresFactory):
    stores = stores_for(ServiceName.CASES)
    app = CasesApplication(env=stores.event_store_env, keyring=stores.keyring)
    yield app, JourneyList(app, stores.views, stores.positions)
    app.close()


def test_given_a_contact_from_a_visit_then_a_journey_is_opened_for_her(cases_and_list) -> None:
    cases, _ = cases_and_list
    contact_id, visit_id = uuid4(), uuid4()
    assert cases.record_contact_from_visit(contact_id, visit_id, "ro", T0, Tracking("visits", 1))
    journey = cases.get_journey(Journey.create_id(contact_id))
    assert journey.contacts == [(visit_id, contact_id)] and journey.version == 2


def test_given_an_applied_message_when_redelivered_then_nothing_changes(cases_and_list) -> None:
    cases, _ = cases_and_list
    contact_id = uuid4()
    cases.record_contact_from_visit(contact_id, uuid4(), "ro", T0, Tracking("visits", 5))
    before = cases.max_notification_id()
    assert not cases.record_contact_from_visit(contact_id, uuid4(), "ro", T0, Tracking("visits", 5))
    assert cases.max_notification_id() == before


def test_given_messages_out_of_order_then_each_is_applied_exactly_once(cases_and_list) -> None:
    cases, _ = cases_and_list
    first, second = uuid4(), uuid4()
    assert cases.record_contact_from_visit(first, uuid4(), "ro", T0, Tracking("visits", 9))
    # A nak-ed lower position redelivered after a higher one must still be applied.
    assert cases.record_contact_from_visit(second, uuid4(), "ro", T0, Tracking("visits", 8))
    assert cases.has_applied(Tracking("visits", 8)) and cases.has_applied(Tracking("visits", 9))
    assert not cases.has_applied(Tracking("visits", 7))


def test_given_the_same_contact_republished_under_a_new_position_then_no_new_events(
    cases_and_list,
) -> None:
    cases, _ = cases_and_list
    contact_id, visit_id = uuid4(), uuid4()
    cases.record_contact_from_visit(contact_id, visit_id, "ro", T0, Tracking("visits", 1))
    before = cases.max_notification_id()
    assert cases.record_contact_from_visit(contact_id, visit_id, "ro", T0, Tracking("visits", 2))
    assert cases.max_notification_id() == before
    assert cases.has_applied(Tracking("visits", 2))


def test_given_journeys_then_the_list_projection_matches_a_rebuild(cases_and_list) -> None:
    cases, journey_list = cases_and_list
    contacts = [uuid4() for _ in range(5)]
    for position, contact_id in enumerate(contacts, start=1):
        cases.record_contact_from_visit(
            contact_id, uuid4(), "ro", T0 + timedelta(days=position), Tracking("visits", position)
        )
    journey_list.catch_up()
    live, total = journey_list.list(status=None, limit=50, offset=0)
    assert total == 5
    assert [s.journey_id for s in live] == [Journey.create_id(c) for c in reversed(contacts)]
    journey_list.positions.reset(journey_list.name)
    with journey_list.store.transaction() as cursor:
        cursor.execute(f"DELETE FROM {journey_list.store.table(journey_list.name)}")
    journey_list.catch_up()
    assert journey_list.list(status=None, limit=50, offset=0) == (live, total)


def test_given_an_unknown_journey_when_read_then_not_found(cases_and_list) -> None:
    cases, _ = cases_and_list
    with pytest.raises(JourneyNotFound):
        cases.get_journey(uuid4())
