"""The Journey aggregate: Given/When/Then for each rule and state change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.cases.domain import ContactAlreadyRecorded, Journey, JourneyStatus

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def test_journey_id_is_derived_from_the_contact_id() -> None:
    contact_id = uuid4()
    assert Journey.create_id(contact_id) == Journey.create_id(contact_id)
    assert Journey.create_id(contact_id) != Journey.create_id(uuid4())
    journey = Journey(contact_id=contact_id, occurred_at=T0, actor="system")
    assert journey.id == Journey.create_id(contact_id)
    assert journey.status is JourneyStatus.NEW


def test_given_a_journey_when_a_contact_is_recorded_then_languages_and_last_contact_follow() -> (
    None
):
    journey = Journey(contact_id=uuid4(), occurred_at=T0, actor="system")
    journey.record_contact(journey.contact_id, uuid4(), "ro", T0, "system")
    journey.record_contact(journey.contact_id, uuid4(), "en", T0 + timedelta(days=7), "system")
    assert journey.languages == ["ro", "en"]
    assert journey.last_contact_at == T0 + timedelta(days=7)


def test_given_a_late_arriving_older_contact_then_last_contact_stays_the_newest() -> None:
    journey = Journey(contact_id=uuid4(), occurred_at=T0, actor="system")
    journey.record_contact(journey.contact_id, uuid4(), "ro", T0 + timedelta(days=7), "system")
    journey.record_contact(journey.contact_id, uuid4(), "ro", T0, "system")  # offline app, late
    assert journey.last_contact_at == T0 + timedelta(days=7)
    assert len(journey.contacts) == 2


def test_given_a_recorded_contact_when_recorded_again_then_refused() -> None:
    journey = Journey(contact_id=uuid4(), occurred_at=T0, actor="system")
    visit_id = uuid4()
    journey.record_contact(journey.contact_id, visit_id, "ro", T0, "system")
    with pytest.raises(ContactAlreadyRecorded):
        journey.record_contact(journey.contact_id, visit_id, "ro", T0, "system")
