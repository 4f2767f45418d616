"""Master-key rotation: data keys re-wrapped under a new master key, no event rewritten.

Given journeys written under master key A, when the settings make B current and A previous and
the keyring re-wraps, then B alone opens every event and snapshot; before that, B alone refuses
with an error naming A's id; erased people stay erased; runs resume and repeat safely.
"""

from __future__ import annotations

import base64
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import ValidationError
from typer.testing import CliRunner

from services.cases.application import JOURNEY_SNAPSHOT_INTERVAL, CasesApplication
from services.cases.commands import (
    CorrectPseudonym,
)
from shared.runtime import Stores, open_stores
from shared.settings import ServiceName, Settings
from shared.storage.backend import ensure_postgres_schema, open_sql_store
from shared.storage.keyring import (
    NONCE_BYTES,
    Keyring,
    MasterKeyUnavailableError,
    RewrapReport,
    master_key_id,
)
from shared.storage.personal_data import ERASED
from shared.storage.sql import SqlStore
from tests.support import assessed_journey, make_settings
from waymark.cli import cli

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
Database = tuple[str | None, str | None]


def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


KEY_A, KEY_B = new_key(), new_key()
ID_A, ID_B = (master_key_id(base64.b64decode(k)) for k in (KEY_A, KEY_B))


def settings(tmp_path: Path, database: Database, current: str, *previous: str) -> Settings:
    url, prefix = database
    return make_settings(
        ServiceName.CASES,
        tmp_path / "var",
        database_url=url,
        schema_prefix=prefix,
        master_key=current,
        previous_master_keys=list(previous),
    )


@contextmanager
def cases_under(
    tmp_path: Path, database: Database, current: str, *previous: str
) -> Iterator[tuple[CasesApplication, Stores]]:
    """The cases application on the same stores, under the given master keys."""
    stores = open_stores(settings(tmp_path, database, current, *previous))
    app = CasesApplication(
        env=stores.event_store_env, keyring=stores.keyring, reference=stores.reference
    )
    try:
        yield app, stores
    finally:
        app.close()
        stores.close()


def events_of(cases: CasesApplication, journey_id: UUID) -> list[dict[str, Any]]:
    return [dict(vars(event)) for event in cases.events.get(journey_id)]


def stored_states(cases: CasesApplication, journey_id: UUID) -> list[bytes]:
    return [record.state for record in cases.recorder.select_events(journey_id)]


def personal(cases: CasesApplication, journey_id: UUID) -> tuple[str, str | None]:
    """Her pseudonym as the journey holds it (a snapshot, once long enough) and her needs
    notes as its detail shows them (from the events)."""
    return cases.get_journey(journey_id).pseudonym, cases.journey_detail(journey_id).needs_notes


def key_rows(stores: Stores) -> list[dict[str, Any]]:
    store: Any = stores.keyring._store
    with store.transaction(commit=False) as cursor:
        cursor.execute(
            f"SELECT subject_id, wrapped_key, master_key_id FROM {store.table('subject_keys')}"
        )
        rows: list[dict[str, Any]] = cursor.fetchall()
    return rows


@pytest.fixture
def journeys_under_a(tmp_path: Path, database: Database) -> dict[str, Any]:
    """Three women under master key A (one long enough to be snapshotted), one erased."""
    with cases_under(tmp_path, database, KEY_A) as (cases, stores):
        long = assessed_journey(cases, "Rot-Long", T0, JOURNEY_SNAPSHOT_INTERVAL + 2)
        short = assessed_journey(cases, "Rot-Short", T0)
        erased = assessed_journey(cases, "Rot-Erased", T0)
        stores.keyring.forget(erased)
        assert cases.snapshots is not None and list(cases.snapshots.get(long))
        ids = (long, short, erased)
        return {
            "long": long,
            "short": short,
            "erased": erased,
            "personal": {j: personal(cases, j) for j in ids},
            "events": {j: events_of(cases, j) for j in ids},
            "stored": {j: stored_states(cases, j) for j in ids},
            "keys": len(key_rows(stores)),
        }


def test_given_events_under_a_when_rewrapped_to_b_then_b_alone_opens_events_and_snapshots(
    tmp_path: Path, database: Database, journeys_under_a: dict[str, Any]
) -> None:
    given = journeys_under_a
    with cases_under(tmp_path, database, KEY_B, KEY_A) as (cases, stores):
        report = stores.keyring.rewrap(batch_size=2)
        assert report == RewrapReport(
            rewrapped=given["keys"] - 1, already_current=0, erased_skipped=1
        )
        assert {row["master_key_id"] for row in key_rows(stores) if row["wrapped_key"]} == {ID_B}

    with cases_under(tmp_path, database, KEY_B) as (cases, stores):
        assert stores.keyring.master_key_ids == (ID_B,)
        for journey_id, (pseudonym, notes) in given["personal"].items():
            # Not one stored byte changed: only the wrapping of the data keys did.
            assert stored_states(cases, journey_id) == given["stored"][journey_id]
            assert events_of(cases, journey_id) == given["events"][journey_id]
            assert personal(cases, journey_id) == (pseudonym, notes)
        assert given["personal"][given["long"]][0] == f"Rot-Long-{JOURNEY_SNAPSHOT_INTERVAL + 1}"
        assert given["personal"][given["short"]] == ("Rot-Short", "Rot-Short notes")
        assert given["personal"][given["erased"]] == (ERASED, ERASED)
        assert cases.snapshots is not None
        (snapshot,) = cases.snapshots.get(given["long"])
        assert isinstance(snapshot.state, dict)  # opened, not the ERASED marker
        new = assessed_journey(cases, "Rot-New", T0)  # new keys under B
        assert cases.get_journey(new).pseudonym == "Rot-New"


def test_given_a_removed_before_rewrap_then_reading_names_the_missing_key(
    tmp_path: Path, database: Database, journeys_under_a: dict[str, Any]
) -> None:
    with cases_under(tmp_path, database, KEY_B) as (cases, stores):
        with pytest.raises(MasterKeyUnavailableError) as raised:
            cases.get_journey(journeys_under_a["short"])
        message = str(raised.value)
        assert ID_A in message and "WAYMARK_PREVIOUS_MASTER_KEYS" in message
        assert KEY_A not in message and KEY_B not in message
        with pytest.raises(MasterKeyUnavailableError):
            list(cases.events.get(journeys_under_a["long"]))
        with pytest.raises(MasterKeyUnavailableError):  # no writing for her either
            cases.do(
                journeys_under_a["short"],
                CorrectPseudonym(pseudonym="x", occurred_at=T0),
                actor="cw-1",
            )
        with pytest.raises(MasterKeyUnavailableError):
            stores.keyring.rewrap()
        # The erased woman is unaffected: still erased, not an error.
        assert cases.get_journey(journeys_under_a["erased"]).pseudonym == ERASED


def test_erased_subjects_stay_erased_and_are_skipped(
    tmp_path: Path, database: Database, journeys_under_a: dict[str, Any]
) -> None:
    erased = str(journeys_under_a["erased"])
    with cases_under(tmp_path, database, KEY_B, KEY_A) as (_, stores):
        report = stores.keyring.rewrap()
        assert report.erased_skipped == 1
        (tombstone,) = [row for row in key_rows(stores) if row["subject_id"] == erased]
        assert tombstone["wrapped_key"] is None and tombstone["master_key_id"] is None
        assert stores.keyring.key_for(UUID(erased), create=False) is None


def test_an_interrupted_rewrap_resumes_and_completes_and_repeats_idempotently(
    tmp_path: Path, database: Database
) -> None:
    with cases_under(tmp_path, database, KEY_A) as (cases, stores):
        people = {assessed_journey(cases, f"Rot-{n}", T0): f"Rot-{n}" for n in range(5)}
        total = len(key_rows(stores))

    class Interrupted(Exception):
        pass

    def stop_after_first_batch(done: int, of: int) -> None:
        assert (done, of) == (2, total)
        raise Interrupted

    with cases_under(tmp_path, database, KEY_B, KEY_A) as (_, stores):
        with pytest.raises(Interrupted):
            stores.keyring.rewrap(batch_size=2, progress=stop_after_first_batch)
        ids = [row["master_key_id"] for row in key_rows(stores)]
        assert ids.count(ID_B) == 2 and ids.count(ID_A) == total - 2

    with cases_under(tmp_path, database, KEY_B, KEY_A) as (_, stores):
        seen: list[tuple[int, int]] = []
        report = stores.keyring.rewrap(batch_size=2, progress=lambda d, t: seen.append((d, t)))
        assert report == RewrapReport(rewrapped=total - 2, already_current=2, erased_skipped=0)
        assert seen[-1] == (total, total)
        again = stores.keyring.rewrap(batch_size=2)
        assert again == RewrapReport(rewrapped=0, already_current=total, erased_skipped=0)

    with cases_under(tmp_path, database, KEY_B) as (cases, _):
        for journey_id, pseudonym in people.items():
            assert cases.get_journey(journey_id).pseudonym == pseudonym


LEGACY_TABLE = (
    "CREATE TABLE {table} (subject_id TEXT PRIMARY KEY, wrapped_key TEXT,"
    " created_at TEXT NOT NULL, erased_at TEXT)"
)


@pytest.fixture
def legacy_keys_store(tmp_path: Path, database: Database) -> Iterator[SqlStore]:
    """A key store made before master-key ids existed, opened as a service would open it."""
    config = settings(tmp_path, database, KEY_A)
    ensure_postgres_schema(config)
    store = open_sql_store(config, "keys")
    store.execute_script([LEGACY_TABLE.format(table=store.table("subject_keys"))])
    yield store
    store.close()


def legacy_wrap(master: str, subject: UUID, key: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    return (nonce + AESGCM(base64.b64decode(master)).encrypt(nonce, key, subject.bytes)).hex()


def test_a_keyring_table_without_key_ids_is_migrated_and_rotated(
    legacy_keys_store: SqlStore,
) -> None:
    store, subject, data_key = legacy_keys_store, uuid4(), secrets.token_bytes(32)
    with store.transaction() as cursor:
        cursor.execute(
            f"INSERT INTO {store.table('subject_keys')} (subject_id, wrapped_key, created_at)"
            " VALUES (%s, %s, %s)",
            (str(subject), legacy_wrap(KEY_A, subject, data_key), T0.isoformat()),
        )
    a, b, c = (base64.b64decode(k) for k in (KEY_A, KEY_B, new_key()))
    assert Keyring(store, a).key_for(subject, create=False) == data_key
    Keyring(store, a)  # a second start finds the column there already
    assert Keyring(store, b, [a]).key_for(subject, create=False) == data_key  # id unknown
    with pytest.raises(MasterKeyUnavailableError, match="before master key ids"):
        Keyring(store, c).key_for(subject, create=False)
    report = Keyring(store, b, [a]).rewrap()
    assert report == RewrapReport(rewrapped=1, already_current=0, erased_skipped=0)
    assert Keyring(store, b).key_for(subject, create=False) == data_key


@pytest.mark.parametrize("bad", [base64.b64encode(b"short").decode(), "not base64!"])
def test_a_wrong_previous_key_is_a_settings_error_that_shows_no_key(bad: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(service=ServiceName.CASES, previous_master_keys=[KEY_A, bad])
    assert "WAYMARK_PREVIOUS_MASTER_KEYS" in str(raised.value)
    assert bad not in str(raised.value) and KEY_A not in str(raised.value)


def test_previous_keys_come_comma_separated_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key_file = tmp_path / "old.key"
    key_file.write_text(KEY_B + "\n")
    monkeypatch.setenv("WAYMARK_SERVICE", "cases")
    monkeypatch.setenv("WAYMARK_PREVIOUS_MASTER_KEYS", f"{KEY_A}, {KEY_B}")
    monkeypatch.setenv("WAYMARK_PREVIOUS_MASTER_KEY_FILES", str(key_file))
    loaded = Settings()  # type: ignore[call-arg]
    assert loaded.previous_master_key_bytes() == [
        base64.b64decode(k) for k in (KEY_A, KEY_B, KEY_B)
    ]
    short = tmp_path / "short.key"
    short.write_text(base64.b64encode(b"short").decode())
    with pytest.raises(ValueError, match="PREVIOUS_MASTER_KEY_FILES"):
        loaded.model_copy(update={"previous_master_key_files": [short]}).previous_master_key_bytes()


def cli_env(tmp_path: Path, database: Database, current: str, *previous: str) -> dict[str, str]:
    config = settings(tmp_path, database, current, *previous)
    env = {
        "WAYMARK_VAR_DIR": str(config.var_dir),
        "WAYMARK_MASTER_KEY": current,
        "WAYMARK_PREVIOUS_MASTER_KEYS": ",".join(previous),
    }
    if config.database_url is not None:
        env["WAYMARK_DATABASE_URL"] = config.database_url.get_secret_value()
        env["WAYMARK_POSTGRES_SCHEMA"] = str(config.postgres_schema)
    return env


def test_the_rotate_command_rewraps_a_service_and_reports(
    tmp_path: Path, database: Database, journeys_under_a: dict[str, Any]
) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["rotate-master-key", "cases"], env=cli_env(tmp_path, database, KEY_B, KEY_A)
    )
    assert result.exit_code == 0, result.output
    rewrapped = journeys_under_a["keys"] - 1
    assert f"cases: {rewrapped} re-wrapped, 0 already under master key {ID_B}" in result.output
    assert "1 erased (skipped)" in result.output
    again = runner.invoke(
        cli, ["rotate-master-key", "cases"], env=cli_env(tmp_path, database, KEY_B)
    )
    assert again.exit_code == 0 and "cases: 0 re-wrapped" in again.output


def test_the_rotate_command_stops_clearly_when_a_previous_key_is_missing(
    tmp_path: Path, database: Database, journeys_under_a: dict[str, Any]
) -> None:
    result = CliRunner().invoke(
        cli, ["rotate-master-key", "cases"], env=cli_env(tmp_path, database, KEY_B)
    )
    assert result.exit_code == 1
    assert ID_A in result.output and KEY_A not in result.output


def test_a_new_master_key_is_written_owner_only_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "master-2027.key"
    runner = CliRunner()
    result = runner.invoke(cli, ["new-master-key", str(path)])
    assert result.exit_code == 0, result.output
    key = base64.b64decode(path.read_text().strip(), validate=True)
    assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert master_key_id(key) in result.output and path.read_text().strip() not in result.output
    again = runner.invoke(cli, ["new-master-key", str(path)])
    assert again.exit_code == 2 and base64.b64decode(path.read_text()) == key
