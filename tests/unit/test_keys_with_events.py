"""A person's first key is stored with the events sealed under it: on PostgreSQL in the same
transaction (one commit per save), on SQLite committed just before them (the key file is a
file of its own). Either way no ciphertext is ever stored without its key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.cases.application import CasesApplication
from services.cases.commands import CorrectPseudonym
from shared.runtime import Stores
from shared.settings import ServiceName
from shared.storage.keyring import Keyring, SubjectErasedError
from tests.support import register_journey
from tests.unit.conftest import StoresFactory

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def stores(stores_for: StoresFactory) -> Stores:
    return stores_for(ServiceName.CASES)


@pytest.fixture
def app(stores: Stores) -> Iterator[CasesApplication]:
    app = CasesApplication(
        env=stores.event_store_env, keyring=stores.keyring, reference=stores.reference
    )
    yield app
    app.close()


def register(app: CasesApplication) -> UUID:
    return register_as(app, uuid4())


def register_as(app: CasesApplication, journey_id: UUID) -> UUID:
    register_journey(app, "R-1", T0, journey_id=journey_id)
    return journey_id


def stored_keys(stores: Stores) -> set[str]:
    store: Any = stores.keyring._store
    with store.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT subject_id FROM {store.table('subject_keys')}")
        return {str(row["subject_id"]) for row in cursor.fetchall()}


@contextmanager
def key_store_commits(stores: Stores) -> Iterator[list[bool]]:
    """Every write transaction the key store opens of its own while inside."""
    store: Any = stores.keyring._store
    opened: list[bool] = []
    transaction = store.transaction

    @contextmanager
    def counted(*, commit: bool = True) -> Iterator[Any]:
        if commit:
            opened.append(commit)
        with transaction(commit=commit) as cursor:
            yield cursor

    store.transaction = counted
    try:
        yield opened
    finally:
        del store.transaction


def test_a_first_key_is_committed_with_the_events_that_need_it(
    stores: Stores, app: CasesApplication, backend: str
) -> None:
    with key_store_commits(stores) as commits:
        journey_id = register(app)
    assert str(journey_id) in stored_keys(stores)
    # PostgreSQL: the key went in with the events; SQLite: its own commit just before.
    assert commits == ([] if backend == "postgres" else [True])
    assert app.get_journey(journey_id).pseudonym == "R-1"


def test_a_save_that_fails_leaves_no_key_on_postgresql_and_only_an_unused_one_on_sqlite(
    stores: Stores, app: CasesApplication, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder: Any = app.recorder

    def refused_by_postgresql(curs: Any, *args: Any, **kwargs: Any) -> None:
        curs.execute("SELECT 1 / 0")  # the database refuses the events' insert

    def refused_by_sqlite(curs: Any, *args: Any, **kwargs: Any) -> None:
        raise ZeroDivisionError("division by zero")  # SQLite's 1 / 0 is NULL, not an error

    if backend == "postgres":
        monkeypatch.setattr(recorder, "_insert_stored_events", refused_by_postgresql)
    else:
        monkeypatch.setattr(recorder, "_insert_events", refused_by_sqlite)
    with pytest.raises(Exception, match="division by zero"):
        register(app)
    # PostgreSQL: the key was in the events' transaction. SQLite: the key file committed on
    # its own just before; the key seals nothing, as no event was stored.
    left = stored_keys(stores)
    assert len(left) == (0 if backend == "postgres" else 1)
    assert app.max_notification_id() == 0
    monkeypatch.undo()
    journey_id = register(app)  # nothing unsaved lingers: a fresh key, stored this time
    assert stored_keys(stores) == left | {str(journey_id)}
    assert app.get_journey(journey_id).pseudonym == "R-1"


def test_a_key_another_writer_stored_first_is_the_one_used(
    stores: Stores, app: CasesApplication, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    journey_id = uuid4()
    # Another replica (same key table and master key, its own cache) stores her first key
    # just after this one read the table and found none.
    other = Keyring(stores.keyring._store, stores.settings.master_key_bytes())
    keyring: Any = app.keyring
    read_many = keyring._read_many

    def stale_read(subjects: Any) -> Any:
        found = read_many(subjects) if other.key_for(journey_id, create=False) else {}
        other.ensure({journey_id})
        return found

    monkeypatch.setattr(keyring, "_read_many", stale_read)
    attempts: list[int] = []
    record = app._record_with_new_keys

    def counted(*args: Any) -> Any:
        attempts.append(1)
        return record(*args)

    monkeypatch.setattr(app, "_record_with_new_keys", counted)
    register_as(app, journey_id)
    # PostgreSQL: its own key lost on insert, and the save went again under the stored one.
    assert len(attempts) == (2 if backend == "postgres" else 0)
    assert stored_keys(stores) == {str(journey_id)}
    keyring._cache.clear()
    app.repository.cache = None
    assert app.get_journey(journey_id).pseudonym == "R-1"  # opened with the stored key


def test_an_erased_person_gets_no_new_key_and_no_events(
    stores: Stores, app: CasesApplication
) -> None:
    journey_id = register(app)
    stores.keyring.forget(journey_id)
    with pytest.raises(SubjectErasedError):
        app.do(journey_id, CorrectPseudonym(pseudonym="R-2", occurred_at=T0), actor="cw-1")
