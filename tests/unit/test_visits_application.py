"""The visits application on a real store (SQLite; PostgreSQL in the [postgres] variants)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.visits.application import (
    CompletedVisit,
    ContactInput,
    IdempotencyKeyReused,
    VisitConflict,
    VisitNotFound,
    VisitsApplication,
)
from shared.settings import ServiceName
from tests.unit.conftest import StoresFactory

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def completed_visit(contacts: int = 2) -> CompletedVisit:
    return CompletedVisit(
        visit_id=uuid4(),
        premises_label="P-12",
        team="west",
        volunteers=("v-1", "v-2"),
        languages_offered=("ro", "en"),
        started_at=T0,
        completed_at=T0 + timedelta(hours=1),
        contacts=tuple(
            ContactInput(uuid4(), f"Alias {n}", "ro", T0 + timedelta(minutes=n))
            for n in range(contacts)
        ),
    )


@pytest.fixture
def visits(stores_for: StoresFactory):
    stores = stores_for(ServiceName.VISITS)
    app = VisitsApplication(env=stores.event_store_env, keyring=stores.keyring)
    yield app
    app.close()


def test_given_a_completed_visit_when_recorded_then_started_contacts_completed(visits) -> None:
    command = completed_visit(contacts=2)
    outcome = visits.record_completed_visit(command, actor="v-1")
    assert outcome.created and outcome.visit.version == 4
    stored = visits.get_visit(command.visit_id)
    assert CompletedVisit.of(stored) == command
    assert [c.alias for c in stored.contacts] == ["Alias 0", "Alias 1"]


def test_given_a_recorded_visit_when_the_same_post_is_retried_then_nothing_new(visits) -> None:
    command = completed_visit()
    visits.record_completed_visit(command, actor="v-1")
    before = visits.max_notification_id()
    again = visits.record_completed_visit(command, actor="v-1")
    assert not again.created and again.visit.id == command.visit_id
    assert visits.max_notification_id() == before


def test_given_a_recorded_visit_when_its_id_is_reused_for_other_content_then_conflict(
    visits,
) -> None:
    command = completed_visit()
    visits.record_completed_visit(command, actor="v-1")
    before = visits.max_notification_id()
    with pytest.raises(VisitConflict):
        visits.record_completed_visit(replace(command, team="east"), actor="v-1")
    assert visits.max_notification_id() == before


def test_given_an_idempotency_key_when_retried_then_the_original_is_returned(visits) -> None:
    command = completed_visit()
    visits.record_completed_visit(command, actor="v-1", idempotency_key="k-1")
    before = visits.max_notification_id()
    again = visits.record_completed_visit(command, actor="v-1", idempotency_key="k-1")
    assert not again.created and visits.max_notification_id() == before


def test_given_an_idempotency_key_when_reused_for_another_visit_then_refused(visits) -> None:
    visits.record_completed_visit(completed_visit(), actor="v-1", idempotency_key="k-2")
    before = visits.max_notification_id()
    with pytest.raises(IdempotencyKeyReused):
        visits.record_completed_visit(completed_visit(), actor="v-1", idempotency_key="k-2")
    assert visits.max_notification_id() == before


def test_given_an_unknown_visit_when_read_then_not_found(visits) -> None:
    with pytest.raises(VisitNotFound):
        visits.get_visit(uuid4())


def test_given_racing_retries_of_one_post_then_exactly_one_records_it(visits) -> None:
    command = completed_visit(contacts=3)
    outcomes, errors = [], []

    def post() -> None:
        try:
            outcomes.append(
                visits.record_completed_visit(command, actor="v-1", idempotency_key="race")
            )
        except Exception as error:  # noqa: BLE001 - collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(outcome.created for outcome in outcomes) == 1
    assert visits.max_notification_id() == 1 + 3 + 1 + 1  # started, contacts, completed, claim
