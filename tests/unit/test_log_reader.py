"""The log's followers: the log read per write does not grow with the log; one reader decodes
each batch once for every projection (in one transaction) and the relay; a follower that is
behind catches up on its own and joins; nothing is applied twice or passed over."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification, Tracking
from eventsourcing.utils import get_topic

from services.cases.application import CasesApplication
from services.cases.domain import Journey
from services.cases.main import CasesParts
from shared.admin.rebuild import Rebuild
from shared.storage.eventstore import WaymarkApplication
from shared.storage.log_follower import LogFollower
from shared.storage.log_reader import LogReader
from shared.storage.personal_data import PersonalDataMapper
from shared.storage.positions import LogPositions
from tests.integration.harness import eventually
from tests.support import projection_rows
from tests.unit.test_admin_rebuild import T0

_upstream = iter(range(1, 10_000_000))


def cases_of(parts: CasesParts) -> CasesApplication:
    assert isinstance(parts.application, CasesApplication)
    return parts.application


def positions_of(parts: CasesParts) -> LogPositions:
    return parts.projections[0].positions


def contact(cases: CasesApplication) -> None:
    cases.record_contact_from_visit(uuid4(), uuid4(), "ro", T0, Tracking("visits", next(_upstream)))


def fill_log(cases: CasesApplication, events: int) -> None:
    while cases.max_notification_id() < events:
        contact(cases)


@dataclass
class LogReads:
    """What the followers asked of the log: the span of ids each query covered (what the
    database scans, whatever the topic filter keeps) and the notifications it returned."""

    span: int = 0
    returned: int = 0
    decoded: int = 0


def count_reads(app: WaymarkApplication, monkeypatch: pytest.MonkeyPatch) -> LogReads:
    reads = LogReads()
    recorder, mapper = app.recorder, app.mapper
    select, decode = recorder.select_notifications, mapper.to_domain_event

    def counted_select(
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        found = select(start, limit, stop, topics, inclusive_of_start=inclusive_of_start)
        end = stop if stop is not None else app.max_notification_id()
        reads.span += max(0, end - (start or 0))
        reads.returned += len(found)
        return found

    def counted_decode(notification: Notification) -> DomainEventProtocol[UUID]:
        reads.decoded += 1
        return decode(notification)

    def counted_decode_batch(
        notifications: Sequence[Notification], *, open_personal: bool = True
    ) -> list[DomainEventProtocol[UUID]]:
        reads.decoded += len(notifications)
        return decode_batch(notifications, open_personal=open_personal)

    assert isinstance(mapper, PersonalDataMapper)
    decode_batch = mapper.to_domain_events
    monkeypatch.setattr(recorder, "select_notifications", counted_select)
    monkeypatch.setattr(mapper, "to_domain_event", counted_decode)
    monkeypatch.setattr(mapper, "to_domain_events", counted_decode_batch)
    return reads


def reads_per_write(
    parts: CasesParts,
    stored: int,
    monkeypatch: pytest.MonkeyPatch,
    writes: int = 5,
) -> tuple[int, int]:
    """(span read, notifications returned) by every projection over ``writes`` writes, each
    followed by a catch-up, once ``stored`` events are in the log and folded."""
    cases = cases_of(parts)
    fill_log(cases, stored)
    for projection in parts.projections:
        projection.catch_up()
    with monkeypatch.context() as patch:
        reads = count_reads(cases, patch)
        for _ in range(writes):
            contact(cases)
            for projection in parts.projections:
                projection.catch_up()
    return reads.span, reads.returned


def test_every_projection_moves_to_the_head_even_over_events_not_its_own(
    cases_parts: CasesParts,
) -> None:
    cases = cases_of(cases_parts)
    fill_log(cases, 40)
    for projection in cases_parts.projections:
        projection.catch_up()
    head = cases.max_notification_id()
    rare = [p for p in cases_parts.projections if p.name == "erasure_requests"]
    assert rare and not rare[0].read_batch(0), "no erasure was requested: none of its events"
    assert {p.name: p.position() for p in cases_parts.projections} == {
        p.name: head for p in cases_parts.projections
    }


def test_the_log_read_per_write_does_not_grow_with_the_log(
    cases_parts: CasesParts, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = reads_per_write(cases_parts, 100, monkeypatch)
    large = reads_per_write(cases_parts, 2_000, monkeypatch)
    assert small[1] == large[1], "the same notifications per write"
    assert small[0] == large[0], f"the same span of the log per write: {small} vs {large}"
    new_events = 5 * 2  # five contacts, each at most a journey opened and a contact recorded
    assert large[0] <= new_events * len(cases_parts.projections), "only the new events"


class Recorder(LogFollower):
    """A follower that is not a projection (as the relay): it records what it is handed and
    can be held, as the relay is while NATS is away."""

    name = "recorder"
    event_classes = (Journey.ContactRecorded,)

    def __init__(self, app: WaymarkApplication, positions: LogPositions) -> None:
        super().__init__(app, batch_size=256, poll_interval=0.05)
        self.positions = positions
        self.seen: list[int] = []
        #: What ``prepare_batch`` was given, and whether away from the event loop's thread.
        self.prepared: list[int] = []
        self.prepared_in_threads: set[bool] = set()
        self.open = asyncio.Event()
        self.open.set()

    def prepare_batch(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]]
    ) -> None:
        self.prepared.extend(n.id for n, _ in batch)
        self.prepared_in_threads.add(threading.current_thread() is not threading.main_thread())

    def position(self) -> int:
        return self.positions.get(self.name)

    async def handle(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]], last_id: int
    ) -> None:
        await self.open.wait()
        self.seen.extend(n.id for n, _ in batch)
        self.positions.set(self.name, last_id)


def contact_ids(cases: CasesApplication) -> list[int]:
    topic = get_topic(Journey.ContactRecorded)
    found = cases.recorder.select_notifications(0, 1_000_000, topics=[topic])
    return [n.id for n in found]


def all_rows(parts: CasesParts) -> dict[str, Any]:
    return {p.name: projection_rows(p) for p in parts.projections}


async def run_reader(reader: LogReader) -> asyncio.Task[None]:
    task = asyncio.create_task(reader.run())
    await asyncio.sleep(0)
    return task


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.wait([task])


def heads(parts: CasesParts, reader: LogReader) -> bool:
    head = cases_of(parts).max_notification_id()
    return reader.cursor == head and all(
        p.position() == head for p in [*parts.projections, *reader.followers]
    )


async def test_one_reader_decodes_each_event_once_and_folds_a_batch_in_one_transaction(
    cases_parts: CasesParts, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = cases_of(cases_parts)
    positions = positions_of(cases_parts)
    relay = Recorder(cases, positions)
    reader = LogReader(cases, positions, [*cases_parts.projections, relay], poll_interval=0.05)
    reads = count_reads(cases, monkeypatch)
    store = cases_parts.projections[0].store
    transactions = 0
    opened = store.transaction

    def counted_transaction(**kwargs: Any) -> Any:
        nonlocal transactions
        transactions += kwargs.get("commit", True)  # reads commit nothing
        return opened(**kwargs)

    monkeypatch.setattr(store, "transaction", counted_transaction)
    for _ in range(30):
        contact(cases)
    task = await run_reader(reader)
    try:
        await eventually(lambda: heads(cases_parts, reader), message="all at the head")
    finally:
        await stop(task)
    head = cases.max_notification_id()
    assert reads.decoded == head, "each notification decoded once, for every follower"
    # One batch (60 events): one transaction for every projection, one for the relay's position.
    assert transactions == 2, f"one transaction for all projections per batch: {transactions}"
    assert relay.seen == contact_ids(cases)
    # Its share was handed to it first in the reader's thread, as the batch was decoded.
    assert relay.prepared == relay.seen
    assert relay.prepared_in_threads == {True}
    # The same read models as each projection folding the log on its own.
    shared = all_rows(cases_parts)
    for projection in cases_parts.projections:
        projection.positions.reset(projection.position_key)
    for projection in cases_parts.projections:
        with projection.store.transaction() as cursor:
            for table in projection.owned_tables():
                cursor.execute(f"DELETE FROM {projection.store.table(table)}")
        projection.catch_up()
    assert all_rows(cases_parts) == shared


async def test_a_follower_behind_catches_up_alone_and_joins_without_a_gap_or_a_double(
    cases_parts: CasesParts,
) -> None:
    cases = cases_of(cases_parts)
    positions = positions_of(cases_parts)
    for _ in range(20):
        contact(cases)
    caseload = next(p for p in cases_parts.projections if p.name == "caseload")
    others = [p for p in cases_parts.projections if p is not caseload]
    for projection in others:
        projection.catch_up()  # caseload is new: at 0, the others at the head
    relay = Recorder(cases, positions)
    reader = LogReader(cases, positions, [*cases_parts.projections, relay], poll_interval=0.05)
    task = await run_reader(reader)
    try:
        for _ in range(20):
            contact(cases)
            await asyncio.sleep(0.01)
        await eventually(lambda: heads(cases_parts, reader), message="all at the head")
        everyone = {p.name for p in cases_parts.projections} | {"recorder"}
        await eventually(lambda: set(reader.joined) == everyone, message="caseload joined")
        # A rebuild swaps a caseload in at its own position while the reader runs.
        Rebuild(caseload).run()
        for _ in range(5):
            contact(cases)
        await eventually(
            lambda: heads(cases_parts, reader), message="all at the head after the swap"
        )
        # Set back (a gap the shared batch cannot fill): it catches up alone and joins again.
        live = projection_rows(caseload)
        positions.set(caseload.position_key, 0)
        with caseload.store.transaction() as cursor:
            for table in caseload.owned_tables():
                cursor.execute(f"DELETE FROM {caseload.store.table(table)}")
        contact(cases)
        await eventually(
            lambda: heads(cases_parts, reader), message="caught up after being set back"
        )
        await eventually(lambda: caseload.name in reader.joined, message="joined again")
    finally:
        await stop(task)
    assert relay.seen == contact_ids(cases), "each contact handed to the relay once, in order"
    journeys = {str(r["journey_id"]) for r in projection_rows(caseload)["caseload"]}
    assert len(journeys) == len(contact_ids(cases)) == 46
    assert len(projection_rows(caseload)["caseload"]) == 46, "no journey folded twice"
    assert all(row in projection_rows(caseload)["caseload"] for row in live["caseload"])


async def test_a_held_relay_does_not_hold_the_projections_up_and_then_catches_up(
    cases_parts: CasesParts,
) -> None:
    cases = cases_of(cases_parts)
    positions = positions_of(cases_parts)
    relay = Recorder(cases, positions)
    reader = LogReader(cases, positions, [*cases_parts.projections, relay], poll_interval=0.05)
    task = await run_reader(reader)
    try:
        contact(cases)
        await eventually(lambda: heads(cases_parts, reader), message="all at the head")
        relay.open.clear()  # NATS away
        for _ in range(10):
            contact(cases)
        head = cases.max_notification_id()
        await eventually(
            lambda: all(p.position() == head for p in cases_parts.projections),
            message="the projections at the head while the relay waits",
        )
        await eventually(lambda: "recorder" not in reader.joined, message="the relay alone")
        assert relay.position() < head
        relay.open.set()
        await eventually(lambda: heads(cases_parts, reader), message="the relay caught up")
        await eventually(lambda: "recorder" in reader.joined, message="the relay joined again")
        contact(cases)
        await eventually(lambda: heads(cases_parts, reader), message="all at the head")
    finally:
        await stop(task)
    assert relay.seen == contact_ids(cases)


async def test_the_reader_restarts_from_the_positions_exactly_once(
    cases_parts: CasesParts, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = cases_of(cases_parts)
    positions = positions_of(cases_parts)
    for _ in range(10):
        contact(cases)
    first = LogReader(cases, positions, cases_parts.projections, poll_interval=0.05)
    task = await run_reader(first)
    await eventually(lambda: heads(cases_parts, first), message="all at the head")
    await stop(task)
    folded = all_rows(cases_parts)
    reads = count_reads(cases, monkeypatch)
    second = LogReader(cases, positions, cases_parts.projections, poll_interval=0.05)
    task = await run_reader(second)
    try:
        await asyncio.sleep(0.2)
    finally:
        await stop(task)
    assert all_rows(cases_parts) == folded
    assert reads.returned == 0, "nothing read again after a restart"


def test_a_batch_read_before_its_projection_was_set_back_leaves_no_gap(
    cases_parts: CasesParts,
) -> None:
    cases = cases_of(cases_parts)
    caseload = next(p for p in cases_parts.projections if p.name == "caseload")
    for _ in range(3):
        contact(cases)
    caseload.catch_up()
    folded = projection_rows(caseload)
    after = caseload.position()
    contact(cases)
    batch, last = caseload.read_upto(after)  # read, not yet applied, when…
    caseload.positions.set(caseload.position_key, 0)  # …an operator sets it back to refold
    with caseload.store.transaction() as cursor:
        for table in caseload.owned_tables():
            cursor.execute(f"DELETE FROM {caseload.store.table(table)}")
    assert caseload.apply_batch(batch, last, after) is False, "a gap: nothing applied"
    assert caseload.position() == 0 and not projection_rows(caseload)["caseload"]
    caseload.catch_up()
    assert len(projection_rows(caseload)["caseload"]) == 4
    assert all(row in projection_rows(caseload)["caseload"] for row in folded["caseload"])
