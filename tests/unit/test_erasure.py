"""Erasure (crypto-shredding) in cases, visits and notifications, without NATS: four eyes, a
retry changes nothing, her history stays as events with ``<erased>`` in place of her data, her
read-model rows go (and a rebuild from zero agrees), and another woman is untouched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from services.cases.application import CasesApplication
from services.cases.commands import (
    AssessNeeds,
    AssignCaseworker,
    CorrectPseudonym,
    RecordMeeting,
    RequestErasure,
)
from services.cases.domain import Journey
from services.cases.errors import (
    ErasureAlreadyRequested,
    ErasureNeedsSecondPerson,
    JourneyErased,
    NoErasureRequested,
)
from services.cases.integration import translator
from services.cases.main import assemble as assemble_cases
from services.cases.values import ErasureReason
from services.cases.verify import verify_caseload
from services.notifications.main import NotificationsParts
from services.visits.main import VisitsParts
from shared.admin.history import history
from shared.contracts import PersonErasedV1
from shared.messaging.consumer import is_transient
from shared.runtime import Stores, open_stores
from shared.settings import ServiceName
from shared.storage.personal_data import ERASED
from shared.storage.projection import Projection
from shared.storage.shredding import drop_snapshots
from tests.support import (
    erase_her,
    hour_visit,
    housing_consent,
    housing_referral,
    make_settings,
    register_journey,
    registration,
)
from tests.unit.conftest import StoresFactory

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CW, LEAD, ADMIN, ADMIN_2 = "cw-1", "lead-1", "admin-1", "admin-2"


@dataclass
class World:
    cases: CasesApplication
    stores: Stores
    views: list[Projection]

    def catch_up(self) -> None:
        for view in self.views:
            view.catch_up()


@pytest.fixture
def world(stores_for: StoresFactory) -> Iterator[World]:
    stores = stores_for(ServiceName.CASES)
    parts = assemble_cases(stores)
    app = parts.application
    assert isinstance(app, CasesApplication)
    yield World(app, stores, list(parts.projections))
    app.close()


def a_woman(cases: CasesApplication, marker: str) -> UUID:
    """Registered, assessed, met, referred (with consent): her marker in every free text."""
    journey_id = register_journey(cases, f"{marker}-pseudonym", T0, actor=CW)
    cases.do(journey_id, AssignCaseworker(caseworker_id=CW, occurred_at=T0), actor=LEAD)
    cases.do(
        journey_id,
        AssessNeeds(needs=["housing"], notes=f"{marker}-needs", occurred_at=T0),
        actor=CW,
    )
    cases.do(
        journey_id,
        RecordMeeting(
            meeting_id=uuid4(),
            meeting_type="coffee",
            notes=f"{marker}-meeting",
            occurred_at=T0 + timedelta(hours=1),
        ),
        actor=CW,
    )
    cases.do(journey_id, housing_consent(occurred_at=T0), actor=CW)
    cases.do(
        journey_id,
        housing_referral(
            referral_id=uuid4(),
            respond_by=T0 + timedelta(days=5),
            occurred_at=T0 + timedelta(hours=2),
            shares_personal_data=True,
        ),
        actor=CW,
    )
    return journey_id


def erase(cases: CasesApplication, journey_id: UUID) -> Journey:
    return erase_her(
        cases, journey_id, T0, T0 + timedelta(days=1), requested_by=CW, approved_by=ADMIN
    )


def rows_about(world: World, journey_id: UUID) -> dict[str, int]:
    """Rows mentioning her journey id in any of the cases read models' tables."""
    found: dict[str, int] = {}
    store = world.stores.views
    for view in world.views:
        for table in view.owned_tables():
            with store.transaction(commit=False) as cursor:
                cursor.execute(f"SELECT * FROM {store.table(table)}")
                rows = cursor.fetchall()
            hits = sum(str(journey_id) in json.dumps(row, default=str) for row in rows)
            if hits:
                found[table] = hits
    return found


def table_contents(world: World, suffix: str = "") -> dict[str, list[str]]:
    store = world.stores.views
    contents = {}
    for view in world.views:
        for table in view.owned_tables():
            with store.transaction(commit=False) as cursor:
                cursor.execute(f"SELECT * FROM {store.table(table + suffix)}")
                rows = [json.dumps(row, default=str, sort_keys=True) for row in cursor.fetchall()]
            contents[table] = sorted(rows)
    return contents


# --- the rules ----------------------------------------------------------------------------


def test_an_erasure_needs_a_pending_request_and_a_second_person(world: World) -> None:
    cases = world.cases
    journey_id = a_woman(cases, "MKR-rules")
    with pytest.raises(NoErasureRequested):
        cases.approve_erasure(journey_id, occurred_at=T0, actor=ADMIN)
    cases.do(
        journey_id,
        RequestErasure(request_id=uuid4(), reason=ErasureReason.RETENTION_EXPIRED, occurred_at=T0),
        actor=ADMIN,
    )
    with pytest.raises(ErasureNeedsSecondPerson):
        cases.approve_erasure(journey_id, occurred_at=T0, actor=ADMIN)
    with pytest.raises(ErasureAlreadyRequested):  # one pending request, decided by an admin
        cases.do(
            journey_id,
            RequestErasure(
                request_id=uuid4(), reason=ErasureReason.SUBJECT_REQUEST, occurred_at=T0
            ),
            actor=CW,
        )
    assert not cases.get_journey(journey_id).erased
    assert cases.keyring.key_for(journey_id, create=False) is not None
    erased = cases.approve_erasure(journey_id, occurred_at=T0, actor=ADMIN_2)
    assert erased.erased and erased.erased_by == ADMIN_2


def test_asking_again_and_approving_again_change_nothing(world: World) -> None:
    cases = world.cases
    journey_id = a_woman(cases, "MKR-retry")
    first = cases.do(
        journey_id,
        RequestErasure(request_id=uuid4(), reason=ErasureReason.SUBJECT_REQUEST, occurred_at=T0),
        actor=CW,
    )
    again = cases.do(
        journey_id,
        RequestErasure(request_id=uuid4(), reason=ErasureReason.SUBJECT_REQUEST, occurred_at=T0),
        actor=CW,
    )
    assert again.version == first.version
    done = cases.approve_erasure(journey_id, occurred_at=T0, actor=ADMIN)
    retried = cases.approve_erasure(journey_id, occurred_at=T0, actor=ADMIN_2)
    assert retried.version == done.version
    kinds = [type(e).__name__ for e in cases.repository.event_store.get(journey_id)]
    assert kinds.count("ErasureRequested") == 1 and kinds.count("PersonErased") == 1


def test_an_erased_journey_can_be_read_but_refuses_every_command(world: World) -> None:
    cases = world.cases
    journey_id = a_woman(cases, "MKR-refuse")
    erase(cases, journey_id)
    journey = cases.get_journey(journey_id)
    assert journey.pseudonym == ERASED
    assert cases.journey_detail(journey_id).needs_notes == ERASED
    with pytest.raises(JourneyErased):
        cases.do(journey_id, CorrectPseudonym(pseudonym="new", occurred_at=T0), actor=CW)
    with pytest.raises(JourneyErased):
        cases.do(journey_id, AssignCaseworker(caseworker_id="cw-2", occurred_at=T0), actor=LEAD)
    with pytest.raises(JourneyErased):
        cases.do(
            journey_id,
            RequestErasure(
                request_id=uuid4(), reason=ErasureReason.SUBJECT_REQUEST, occurred_at=T0
            ),
            actor=CW,
        )


def test_her_history_remains_as_events_with_erased_in_place_of_her_data(world: World) -> None:
    cases = world.cases
    marker = "MKR-" + uuid4().hex
    journey_id = a_woman(cases, marker)
    before = json.dumps([e.as_json() for e in history(cases, journey_id, include_personal=True)])
    assert f"{marker}-pseudonym" in before and f"{marker}-meeting" in before
    erase(cases, journey_id)
    entries = history(cases, journey_id, include_personal=True)
    after = json.dumps([e.as_json() for e in entries])
    assert marker not in after
    registered = next(e for e in entries if e.type == "Journey.PersonRegistered")
    assert registered.data["pseudonym"] == ERASED
    meeting = next(e for e in entries if e.type == "Journey.MeetingHeld")
    assert meeting.data["notes"] == ERASED
    # Ids, codes and dates stay: the referral's partner and need are still there.
    referral = next(e for e in entries if e.type == "Journey.ReferralMade")
    assert referral.data["partner"] == "housing_charity"
    assert [e.type for e in entries][-2:] == ["Journey.ErasureRequested", "Journey.PersonErased"]


def test_her_keys_are_destroyed_with_a_tombstone_and_her_snapshots_dropped(
    world: World,
) -> None:
    cases = world.cases
    journey_id = a_woman(cases, "MKR-keys")
    cases.take_snapshot(journey_id)
    assert cases.snapshots is not None
    assert list(cases.snapshots.get(journey_id))
    erase(cases, journey_id)
    assert cases.keyring.is_erased(journey_id)
    assert cases.keyring.key_for(journey_id, create=False) is None
    assert not list(cases.snapshots.get(journey_id))
    assert drop_snapshots(cases, [journey_id]) == 0
    keys = world.stores.keyring._store
    with keys.transaction(commit=False) as cursor:
        cursor.execute(
            f"SELECT wrapped_key, erased_at FROM {keys.table('subject_keys')}"
            " WHERE subject_id = %s",
            (str(journey_id),),
        )
        row = cursor.fetchone()
    assert row is not None and row["wrapped_key"] is None and row["erased_at"] is not None


def test_the_contract_carries_ids_only_and_names_every_contact(world: World) -> None:
    cases = world.cases
    contact_id, visit_id = uuid4(), uuid4()
    cases.record_contact_from_visit(
        contact_id=contact_id,
        visit_id=visit_id,
        language="ro",
        occurred_at=T0,
        upstream=Tracking("visits", 1),
    )
    journey_id = Journey.create_id(contact_id)
    cases.do(journey_id, registration("MKR-contact", T0), actor=CW)
    erased = erase(cases, journey_id)
    last = list(cases.repository.event_store.get(journey_id))[-1]
    contract = translator(cases)(last)
    assert isinstance(contract, PersonErasedV1)
    assert contract.journey_id == journey_id and contract.contact_ids == [contact_id]
    assert erased.all_contact_ids == [contact_id]
    assert "MKR" not in contract.model_dump_json()
    # Outreach still hearing of her contact changes nothing on the erased journey.
    assert cases.record_contact_from_visit(
        contact_id=contact_id,
        visit_id=uuid4(),
        language="ro",
        occurred_at=T0,
        upstream=Tracking("visits", 2),
    )
    assert cases.get_journey(journey_id).version == erased.version


def test_every_sqlite_connection_overwrites_what_it_deletes(tmp_path: Path) -> None:
    # SQLite only: on PostgreSQL dead tuples go at VACUUM (docs/operations.md).
    stores = open_stores(make_settings(ServiceName.CASES, tmp_path / "var"))
    cases = assemble_cases(stores).application
    try:
        recorder: Any = cases.recorder
        for datastore in (recorder.datastore, stores.views._datastore):
            with datastore.transaction(commit=False) as cursor:
                cursor.execute("PRAGMA secure_delete")
                assert cursor.fetchone()[0] == 1
    finally:
        cases.close()
        stores.close()


# --- read models --------------------------------------------------------------------------


def test_her_read_model_rows_go_and_a_rebuild_from_zero_agrees(world: World) -> None:
    cases = world.cases
    her, other = a_woman(cases, "MKR-her"), a_woman(cases, "MKR-other")
    world.catch_up()
    assert rows_about(world, her)
    erase(cases, her)
    world.catch_up()
    # Only the record that an erasure was asked for and approved (ids and codes) remains.
    assert rows_about(world, her) == {"erasure_requests": 1}
    assert set(rows_about(world, other)) >= {"caseload", "journey_timeline", "referrals_board"}
    assert verify_caseload(cases, world.views[0]) == []  # type: ignore[arg-type]
    live = table_contents(world)
    rebuilt = [
        type(view)(cases, world.stores.views, world.stores.positions, shadow_suffix="__zero")
        for view in world.views
    ]
    for view in rebuilt:
        view.catch_up()
    assert table_contents(world, "__zero") == live


def test_the_other_woman_is_intact(world: World) -> None:
    cases = world.cases
    her, other = a_woman(cases, "MKR-her"), a_woman(cases, "MKR-other")
    erase(cases, her)
    journey = cases.get_journey(other)
    assert journey.pseudonym == "MKR-other-pseudonym"
    assert cases.journey_detail(other).needs_notes == "MKR-other-needs"
    assert not journey.erased
    cases.do(other, CorrectPseudonym(pseudonym="MKR-other-2", occurred_at=T0), actor=CW)


# --- visits and notifications -------------------------------------------------------------


def test_visits_destroys_her_contacts_keys_and_forgets_her_contacts(
    visits_parts: VisitsParts,
) -> None:
    parts, visits = visits_parts, visits_parts.application
    her_contact, other_contact = uuid4(), uuid4()
    visit = hour_visit("MKR-her-alias", "MKR-other-alias", contact_ids=[her_contact, other_contact])
    visit_id = visit.visit_id
    visits.record_visit(visit, actor="v-1")
    for view in parts.projections:
        view.catch_up()
    upstream = Tracking("cases", 7)
    assert visits.erase_contacts(uuid4(), [her_contact], upstream)
    assert not visits.erase_contacts(uuid4(), [her_contact], upstream)  # redelivered
    for view in parts.projections:
        view.catch_up()
    assert visits.keyring.is_erased(her_contact)
    aliases = {c.contact_id: c.alias for c in visits.get_visit(visit_id).contacts}
    assert aliases == {her_contact: ERASED, other_contact: "MKR-other-alias"}
    history = parts.queries.premises_history
    with history.store.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT contact_id FROM {history.store.table('premises_history_contacts')}")
        assert {r["contact_id"] for r in cursor.fetchall()} == {str(other_contact)}
    contacts = parts.queries.subject_contacts
    with contacts.store.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT contact_id FROM {contacts.store.table('subject_contacts')}")
        assert {r["contact_id"] for r in cursor.fetchall()} == {str(other_contact)}
    assert parts.verify() == []


def test_notifications_forget_her_inbox_and_send_nothing_more(
    notifications_parts: NotificationsParts,
) -> None:
    from services.notifications.queries.inbox.projection import Inbox

    parts, app = notifications_parts, notifications_parts.application
    her, other = uuid4(), uuid4()
    app.assign_caseworker(her, CW, "cases:1", Tracking("cases", 1))
    app.assign_caseworker(other, CW, "cases:2", Tracking("cases", 2))
    app.track_follow_up(uuid4(), her, T0 + timedelta(days=2), Tracking("cases", 3))
    inbox = next(v for v in parts.projections if isinstance(v, Inbox))
    for view in parts.projections:
        view.catch_up()

    def links() -> set[str]:
        entries, _ = inbox.for_recipient(app.policy.caseworker(CW), limit=50, offset=0)
        return {e.link for e in entries}

    assert {f"/journeys/{her}", f"/journeys/{other}"} <= links()
    assert app.erase_journey(her, T0, Tracking("cases", 4))
    assert not app.erase_journey(her, T0, Tracking("cases", 4))
    for view in parts.projections:
        view.catch_up()
    assert f"/journeys/{her}" not in links() and f"/journeys/{other}" in links()
    items = next(v for v in parts.projections if v.name == "journey_items")
    assert not items.items_of(her) and items.items_of(other)
    # Her pending reminder sends nothing when it comes due.
    for reminder_id in _reminders_of(app, her):
        assert app.fire_reminder(reminder_id, T0 + timedelta(days=3)) is None


def _reminders_of(app: Any, journey_id: UUID) -> list[UUID]:
    from services.notifications.reminders import Reminder

    found = []
    for notification in app.recorder.select_notifications(start=1, limit=1000):
        event = app.mapper.to_domain_event(notification)
        if isinstance(event, Reminder.Scheduled) and event.journey_id == journey_id:
            found.append(event.originator_id)
    assert found
    return found


def test_outreach_news_of_her_saved_as_her_erasure_commits_is_retried_and_keeps_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = world.cases
    contact_id = uuid4()
    cases.record_contact_from_visit(
        contact_id=contact_id,
        visit_id=uuid4(),
        language="ro",
        occurred_at=T0,
        upstream=Tracking("visits", 1),
    )
    journey_id = Journey.create_id(contact_id)
    cases.do(journey_id, registration("MKR-contact", T0), actor=CW)
    real_save_once = CasesApplication.save_once
    erased: list[Journey] = []

    def erased_first(self: CasesApplication, *args: Any, **kwargs: Any) -> Any:
        # Her journey was read before her erasure and is saved after it.
        monkeypatch.setattr(CasesApplication, "save_once", real_save_once)
        erased.append(erase(cases, journey_id))
        return real_save_once(self, *args, **kwargs)

    def news_of_her() -> bool:
        return cases.record_contact_from_visit(
            contact_id=contact_id,
            visit_id=uuid4(),
            language="ro",
            occurred_at=T0 + timedelta(days=2),
            upstream=Tracking("visits", 2),
        )

    monkeypatch.setattr(CasesApplication, "save_once", erased_first)
    # Outreach facts carry no personal field, so nothing is sealed under her destroyed key:
    # the save loses to the erasure's, which the consumer retries rather than dead-letters.
    with pytest.raises(IntegrityError) as lost:
        news_of_her()
    assert is_transient(lost.value)
    assert not cases.has_applied(Tracking("visits", 2))
    assert news_of_her()  # the retry reads her journey as erased: only the position is kept
    assert cases.has_applied(Tracking("visits", 2))
    assert cases.get_journey(journey_id).version == erased[0].version
