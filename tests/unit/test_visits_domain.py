"""The Visit aggregate: Given/When/Then for each rule and state change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.visits.domain import (
    CompletedBeforeStarted,
    DuplicateContact,
    Visit,
    VisitAlreadyCompleted,
)

START = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def started_visit() -> Visit:
    return Visit(
        id=uuid4(),
        premises_label="P-12",
        team="west",
        volunteers=["v-1"],
        languages_offered=["ro", "en"],
        occurred_at=START,
        actor="v-1",
    )


def test_given_a_new_visit_when_started_then_it_records_the_team_and_start() -> None:
    visit = started_visit()
    events = visit.collect_events()
    assert [type(e) for e in events] == [Visit.Started]
    assert visit.started_at == START and visit.completed_at is None
    assert visit.languages_offered == ["ro", "en"]


def test_given_a_started_visit_when_contact_made_then_alias_is_a_personal_field() -> None:
    visit = started_visit()
    contact_id = uuid4()
    visit.make_contact(contact_id, "Ana", "ro", START + timedelta(minutes=5), "v-1")
    event = visit.collect_events()[-1]
    assert isinstance(event, Visit.ContactMade)
    assert event.personal_fields == ("alias",) and event.personal_subject == "contact_id"
    assert visit.contacts[0].contact_id == contact_id


def test_given_a_contact_when_the_same_contact_is_made_again_then_refused() -> None:
    visit = started_visit()
    contact_id = uuid4()
    visit.make_contact(contact_id, "Ana", "ro", START, "v-1")
    with pytest.raises(DuplicateContact):
        visit.make_contact(contact_id, "Ana", "ro", START, "v-1")


def test_given_a_completed_visit_when_completed_again_or_contact_added_then_refused() -> None:
    visit = started_visit()
    visit.complete(START + timedelta(hours=1), "v-1")
    with pytest.raises(VisitAlreadyCompleted):
        visit.complete(START + timedelta(hours=2), "v-1")
    with pytest.raises(VisitAlreadyCompleted):
        visit.make_contact(uuid4(), "Ana", "ro", START, "v-1")


def test_given_a_visit_when_completed_before_it_started_then_refused() -> None:
    visit = started_visit()
    with pytest.raises(CompletedBeforeStarted):
        visit.complete(START - timedelta(minutes=1), "v-1")
    assert visit.completed_at is None
