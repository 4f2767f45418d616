"""Journey snapshots: taken every JOURNEY_SNAPSHOT_INTERVAL events, sealed whole with her key
(no personal value in plaintext in the store), the same journey as folding every event, and
after erasure the journey still loads (from its events, personal fields erased)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.cases.application import JOURNEY_SNAPSHOT_INTERVAL, CasesApplication
from services.cases.commands import CorrectPseudonym
from services.cases.domain import Journey
from shared.runtime import Stores
from shared.storage.personal_data import ERASED
from shared.storage.snapshots import decode_tree, encode_tree
from tests.support import assessed_journey
from tests.unit.conftest import AppFactory

T0 = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)
MARKER = "Snap-Marker-91c"


@pytest.fixture
def cases_and_stores(app_for: AppFactory) -> Iterator[tuple[CasesApplication, Stores]]:
    app, stores = app_for(CasesApplication)
    yield app, stores


def folded_from_events(cases: CasesApplication, journey_id: UUID) -> Journey:
    journey: Any = None
    for event in cases.events.get(journey_id):
        journey = event.mutate(journey)
    assert isinstance(journey, Journey)
    return journey


def state(journey: Journey) -> dict[str, Any]:
    return {k: v for k, v in vars(journey).items() if k != "_pending_events"}


def test_a_long_journey_is_snapshotted_and_loads_the_same(cases_and_stores) -> None:
    cases, _ = cases_and_stores
    journey_id = assessed_journey(cases, MARKER, T0, JOURNEY_SNAPSHOT_INTERVAL + 5)
    assert cases.snapshots is not None
    snapshots = list(cases.snapshots.get(journey_id))
    assert [s.originator_version for s in snapshots] == [JOURNEY_SNAPSHOT_INTERVAL]
    loaded = cases.get_journey(journey_id)
    assert state(loaded) == state(folded_from_events(cases, journey_id))
    assert loaded.pseudonym == f"{MARKER}-{JOURNEY_SNAPSHOT_INTERVAL + 4}"
    # As of a version before and after the snapshot: the same code, the same answers.
    first = next(
        e.originator_version
        for e in cases.events.get(journey_id)
        if isinstance(e, Journey.PseudonymCorrected)
    )
    early = cases.repository.get(journey_id, version=first)
    assert early.version == first and early.pseudonym == f"{MARKER}-0"


def test_snapshots_never_store_personal_values_in_plaintext(cases_and_stores, backend: str) -> None:
    cases, stores = cases_and_stores
    assessed_journey(cases, MARKER, T0, JOURNEY_SNAPSHOT_INTERVAL + 1)
    if backend == "sqlite":
        database = Path(stores.event_store_env["SQLITE_DBNAME"])
        files = [p for p in database.parent.iterdir() if p.name.startswith(database.name)]
        raw = b"".join(p.read_bytes() for p in files)
        assert b"snapshot" in raw.lower()  # the table is there and used
    else:
        recorder: Any = cases.snapshots.recorder  # type: ignore[union-attr]
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f'SELECT state FROM "{recorder.datastore.schema}".{recorder.events_table_name}'
            )
            raw = b"".join(bytes(row["state"]) for row in cursor.fetchall())
        assert raw
    assert MARKER.encode() not in raw


def test_after_erasure_the_journey_still_loads_from_its_events(cases_and_stores) -> None:
    cases, stores = cases_and_stores
    journey_id = assessed_journey(cases, MARKER, T0, JOURNEY_SNAPSHOT_INTERVAL + 2)
    assert cases.snapshots is not None and list(cases.snapshots.get(journey_id))
    stores.keyring.forget(journey_id)
    cases.repository.cache = None  # no cached copy from before the erasure
    loaded = cases.get_journey(journey_id)
    assert loaded.pseudonym == ERASED
    assert loaded.version == max(e.originator_version for e in cases.events.get(journey_id))
    assert cases.snapshots is not None and list(cases.snapshots.get(journey_id))  # skipped


def test_the_snapshot_codec_round_trips_value_objects_and_odd_keys() -> None:
    from services.cases.values import ConsentScope, GoalStatus

    value = {
        "pairs": [(uuid4(), uuid4())],
        "by_pair": {(uuid4(), uuid4()): ("ro", T0)},
        "on": T0.date(),
        "scope": ConsentScope(next(iter(ConsentScope)).value),
        "codes": frozenset({"a", "b"}),
        "status": GoalStatus(next(iter(GoalStatus)).value),
    }
    assert decode_tree(encode_tree(value)) == value


def test_the_snapshot_codec_gives_back_enums_as_enums_not_equal_strings() -> None:
    from services.cases.values import GoalStatus, JourneyStatus

    value = {"status": JourneyStatus.ACTIVE, "goals": (GoalStatus(next(iter(GoalStatus))),)}
    decoded = decode_tree(json.loads(json.dumps(encode_tree(value))))  # as stored
    assert type(decoded["status"]) is JourneyStatus
    assert type(decoded["goals"][0]) is GoalStatus


def test_a_snapshotted_journey_reads_in_detail_as_one_folded_from_its_events(
    cases_and_stores: tuple[CasesApplication, Stores],
) -> None:
    cases, _ = cases_and_stores
    journey_id = assessed_journey(cases, MARKER, T0, JOURNEY_SNAPSHOT_INTERVAL + 5)
    assert cases.snapshots is not None and list(cases.snapshots.get(journey_id))
    cases.repository.cache = None
    from_snapshot = cases.get_journey(journey_id)
    detail = cases.journey_detail(journey_id)  # every event, never the snapshot
    assert state(detail.journey) == state(from_snapshot)
    assert detail.needs_notes == MARKER + " notes"  # only the events still hold it


def test_a_snapshot_taken_while_the_journey_kept_what_is_only_shown_still_loads(
    cases_and_stores: tuple[CasesApplication, Stores], monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.cases.values import Risk, RiskLevel
    from shared.storage.snapshots import SealedSnapshot

    cases, _ = cases_and_stores
    journey_id = assessed_journey(cases, MARKER, T0, 3)
    journey = cases.get_journey(journey_id)
    # As the journey kept them before class version 2, in a snapshot of that version.
    shown = {
        "opened_at": T0,
        "languages": ["ro"],
        "last_contact_at": None,
        "needs": ["housing"],
        "needs_notes": MARKER + " notes",
        "needs_assessed_at": T0,
        "risk": Risk(RiskLevel.HIGH, ("debt_bondage",), None, T0),
        "safety_plan": None,
        "returned_home_assisted": None,
        "closure_reason": None,
        "reopened_at": None,
        "subject_access_fulfilled_at": None,
    }
    for name, value in shown.items():
        setattr(journey, name, value)
    with monkeypatch.context() as before:
        before.setattr(Journey, "class_version", 1)
        snapshot = SealedSnapshot.take(journey)
    assert cases.snapshots is not None
    cases.snapshots.put([snapshot])
    cases.repository.cache = None

    loaded = cases.get_journey(journey_id)
    assert loaded.version == journey.version
    assert not any(hasattr(loaded, name) for name in shown)
    assert state(loaded) == state(folded_from_events(cases, journey_id))
    cases.do(journey_id, CorrectPseudonym(pseudonym="after", occurred_at=T0), actor="cw-1")
    assert cases.journey_detail(journey_id).needs_notes == MARKER + " notes"


def test_a_snapshot_sealed_by_the_older_encoding_is_passed_over_for_the_events() -> None:
    from shared.storage.snapshots import SealedSnapshot, SnapshotOutdated

    older = SealedSnapshot(
        originator_id=uuid4(),
        originator_version=100,
        timestamp=T0,
        topic="services.cases.domain:Journey",
        state={"status": "active"},  # a StrEnum the older encoding flattened
    )
    with pytest.raises(SnapshotOutdated):
        older.mutate(None)
