"""Completed visits, end to end: the HTTP API against the event store underneath it.

One run measures, on the same machine and for the same duration:

* **raw**: a plain ``eventsourcing`` ``Application`` (default mapper) saving the same ``Visit``
  events (1 Started + N ContactMade + 1 Completed per visit) straight to the store;
* **application**: ``VisitsApplication.record_visit`` called directly (per-person
  key and encryption of each alias, the replay check that makes a retry safe);
* **API**: ``POST /visits`` against the whole running system (NATS and three service
  processes, as ``tests/e2e/system.py`` starts them), from ``--concurrency`` clients;
* **latency**: visits posted one at a time, from sending the POST until every journey of its
  contacts is listed by the cases projection (``GET /journeys``, newest contact first);
* **open loop** (``--open-loop RATE``): visits POSTed on a fixed schedule, RATE a second for
  ``--open-loop-seconds``, whether or not earlier ones were answered (as phones would), each
  timed from its send until its journeys are listed; a watcher polls a small page of the newest
  journeys and their total every ``--open-loop-poll-ms``. It prints the p50/p99 of POST and of
  POST → listed, by thirds of the run (a backlog that grows shows as later thirds getting
  slower), and how long after the last send the last visit was listed. A visit is *seen*
  listed by the poll that finds it, so that figure is late by up to a poll interval and one
  request: it prints too when the poll before, which did not find it, was sent (the visit was
  listed between the two). And it splits each visit's time where it crosses NATS: from the
  send until its ``ContactMade`` was stored in JetStream (the visits service: the POST's
  commit, the relay), and from there until it was seen listed (cases: the consumer, the
  projection, the watcher). The saturation rate is the API phase's visits/s (closed loop,
  every client busy).

Run from the repository root::

    python -m bench.visits_e2e --seconds 20
    python -m bench.visits_e2e --contacts 1 --open-loop 100 --open-loop-seconds 60
    python -m bench.visits_e2e --database-url postgresql://postgres@127.0.0.1:5432/test

It prints a table and, last, one JSON line. Nothing here asserts anything about timing.
What the figures mean, and the ones measured so far: docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import nats
import nats.errors
from eventsourcing.application import Application

from bench.sender import Sender, SenderError
from services.cases.domain import Journey
from services.visits.application import CompletedVisit, ContactInput, VisitsApplication
from shared.contracts.visits import ContactMadeV1
from shared.runtime import open_stores
from shared.security.roles import Role
from shared.settings import ServiceName
from shared.storage.backend import ensure_postgres_schema, event_store_env
from tests import support
from tests.e2e.system import System
from tests.support import bearer, drop_schemas, make_settings, unique_schema_prefix

ACTOR = "bench"
OUTREACH_TOKEN = bearer(Role.OUTREACH, subject=ACTOR)
WARM_UP_VISITS = 20


# --- what is written ----------------------------------------------------------------------


def visit_command(contacts: int, completed_at: datetime) -> CompletedVisit:
    """What ``VisitCreate.to_command()`` makes of :func:`visit_body`."""
    return support.west_visit(
        completed_at - timedelta(hours=1),
        [ContactInput(uuid4(), "Bench-alias", "ro", completed_at) for _ in range(contacts)],
    )


def visit_body(contacts: int, completed_at: datetime) -> dict[str, Any]:
    return support.visit_body(
        completed_at - timedelta(hours=1), ["Bench-alias"] * contacts, volunteers=["v-1", "v-2"]
    )


def save_raw(app: Application[UUID], command: CompletedVisit) -> None:
    """The same aggregate and events as ``VisitsApplication`` makes, saved by the library alone."""
    app.save(command.start(ACTOR))


# --- results --------------------------------------------------------------------------------


@dataclass
class Rate:
    visits: int
    seconds: float
    events_per_visit: int
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def events(self) -> int:
        return self.visits * self.events_per_visit

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def percentiles(values: list[float]) -> dict[str, float]:
    """Nearest-rank median, p90, p99 and max, in milliseconds (values in seconds)."""
    if not values:
        return {}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000

    return {"median": rank(0.5), "p90": rank(0.9), "p99": rank(0.99), "max": ordered[-1] * 1000}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time all processes on the machine have used (not idle, not I/O wait), from /proc."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


# --- the library directly ------------------------------------------------------------------


def run_for(step: Callable[[], None], seconds: float, threads: int, per_visit: int) -> Rate:
    """Call ``step`` from ``threads`` threads until ``seconds`` have passed."""
    for _ in range(WARM_UP_VISITS):
        step()
    done = [0] * threads
    errors: Counter[str] = Counter()
    deadline = time.perf_counter() + seconds

    def loop(slot: int) -> None:
        while time.perf_counter() < deadline:
            try:
                step()
                done[slot] += 1
            except Exception as error:  # noqa: BLE001 - counted and reported
                errors[type(error).__name__] += 1

    start = time.perf_counter()
    workers = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return Rate(sum(done), time.perf_counter() - start, per_visit, errors)


def direct_rate(kind: str, root: Path, args: argparse.Namespace, prefix: str) -> Rate:
    """``raw``: plain Application, default mapper. ``application``: VisitsApplication."""
    settings = make_settings(
        ServiceName.VISITS,
        root / kind,
        database_url=args.database_url,
        schema_prefix=f"{prefix}{kind}",
    )
    per_visit = args.contacts + 2
    completed_at = datetime.now(UTC) - timedelta(hours=2)
    if kind == "raw":
        ensure_postgres_schema(settings)
        raw: Application[UUID] = Application(env=event_store_env(settings))
        try:
            return run_for(
                lambda: save_raw(raw, visit_command(args.contacts, completed_at)),
                args.seconds,
                args.direct_threads,
                per_visit,
            )
        finally:
            raw.close()
    stores = open_stores(settings)
    app = VisitsApplication(env=stores.event_store_env, keyring=stores.keyring)

    def step() -> None:
        key = str(uuid4()) if args.idempotency_key else None
        app.record_visit(visit_command(args.contacts, completed_at), ACTOR, key)

    try:
        return run_for(step, args.seconds, args.direct_threads, per_visit)
    finally:
        app.close()
        stores.close()


# --- the running system over HTTP ---------------------------------------------------------


@dataclass
class ApiRun:
    rate: Rate
    warm_up_created: int
    request_s: list[float]
    longest_gap_s: float


def headers(args: argparse.Namespace) -> dict[str, str]:
    values = dict(OUTREACH_TOKEN)
    if args.idempotency_key:
        values["Idempotency-Key"] = str(uuid4())
    return values


async def api_rate(visits_url: str, args: argparse.Namespace) -> ApiRun:
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    completed_at = datetime.now(UTC) - timedelta(hours=2)  # older than any latency sample
    statuses: Counter[str] = Counter()
    request_s: list[float] = []
    finished: list[float] = []
    async with httpx.AsyncClient(base_url=visits_url, limits=limits, timeout=60) as client:

        async def post() -> str:
            body = visit_body(args.contacts, completed_at)
            try:
                response = await client.post("/visits", json=body, headers=headers(args))
            except httpx.HTTPError as error:
                return type(error).__name__
            return str(response.status_code)

        warm = await asyncio.gather(*(post() for _ in range(WARM_UP_VISITS)))

        async def worker(deadline: float) -> None:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                status = await post()
                statuses[status] += 1
                if status == "201":
                    now = time.perf_counter()
                    request_s.append(now - sent)
                    finished.append(now)

        start = time.perf_counter()
        await asyncio.gather(*(worker(start + args.seconds) for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - start
    created = statuses.pop("201", 0)
    statuses.update(f"{status} (warm-up)" for status in warm if status != "201")
    moments = [start, *sorted(finished)]
    gap = max((b - a for a, b in pairwise(moments)), default=elapsed)
    return ApiRun(
        Rate(created, elapsed, args.contacts + 2, statuses),
        warm_up_created=warm.count("201"),
        request_s=request_s,
        longest_gap_s=gap,
    )


def journeys(cases: httpx.Client, limit: int) -> dict[str, Any]:
    response = cases.get("/journeys", params={"limit": limit})
    response.raise_for_status()
    return dict(response.json())


def wait_for_projection(cases: httpx.Client, expected: int, timeout: float) -> float | None:
    """Seconds until the cases projection lists ``expected`` journeys; None on timeout."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if journeys(cases, 1)["total"] >= expected:
            return time.perf_counter() - start
        time.sleep(0.05)
    return None


@dataclass
class Latency:
    to_projection_s: list[float] = field(default_factory=list)
    post_s: list[float] = field(default_factory=list)
    problems: Counter[str] = field(default_factory=Counter)


def measure_latency(system: System, args: argparse.Namespace) -> Latency:
    """One visit at a time: POST, then poll the newest journeys until all of its are listed."""
    result = Latency()
    limit = max(5, 2 * args.contacts)
    with (
        system.client(ServiceName.VISITS, Role.OUTREACH, subject=ACTOR, timeout=30) as visits,
        system.client(ServiceName.CASES, Role.SAFEGUARDING_LEAD, timeout=30) as cases,
    ):
        for _ in range(args.latency_samples):
            body = visit_body(args.contacts, datetime.now(UTC))  # the newest contact yet
            wanted = {str(Journey.create_id(UUID(c["contact_id"]))) for c in body["contacts"]}
            sent = time.perf_counter()
            response = visits.post("/visits", json=body, headers=headers(args))
            answered = time.perf_counter()
            if response.status_code != 201:
                result.problems[f"POST {response.status_code}"] += 1
                continue
            while True:
                listed = {item["journey_id"] for item in journeys(cases, limit)["items"]}
                if wanted <= listed:
                    result.to_projection_s.append(time.perf_counter() - sent)
                    result.post_s.append(answered - sent)
                    break
                if time.perf_counter() - sent > 30:
                    result.problems["not projected within 30 s"] += 1
                    break
                time.sleep(args.poll_ms / 1000)
    return result


@dataclass
class OpenLoop:
    rate: float
    seconds: float
    poll_ms: float
    sent: int = 0
    post_s: list[float] = field(default_factory=list)
    #: (seconds since the first send, POST sent → every journey of the visit seen listed)
    listed: list[tuple[float, float]] = field(default_factory=list)
    #: POST sent → the poll before the one that saw it listed was sent (0 if before the POST)
    not_yet_listed_s: list[float] = field(default_factory=list)
    #: Per visit, its journeys, and when (wall clock) it was sent and seen listed.
    visits: list[tuple[frozenset[str], float, float]] = field(default_factory=list)
    #: POST sent → its last ContactMade stored in JetStream; and from there → seen listed.
    to_jetstream_s: list[float] = field(default_factory=list)
    from_jetstream_s: list[float] = field(default_factory=list)
    problems: Counter[str] = field(default_factory=Counter)
    send_lag_s: float = 0.0  # how late the client itself sent the last POST
    last_listed_after_s: float | None = None  # after the last send
    most_open: int = 0  # the most POSTs in flight at once (each on its own connection)


async def open_loop(system: System, args: argparse.Namespace) -> OpenLoop:
    """POST visits on a fixed schedule; a watcher marks each listed as its journeys appear."""
    result = OpenLoop(args.open_loop, args.open_loop_seconds, poll_ms=args.open_loop_poll_ms)
    total = int(args.open_loop * args.open_loop_seconds)
    pending: dict[frozenset[str], float] = {}
    # A small page of the newest journeys, and the total: a visit is listed when its journeys
    # are on the page, or, when more were listed since the last poll than the page shows, the
    # oldest visits still waiting are counted listed (the projection applies in commit order).
    # A large page every few ms would cost cases more CPU than the visits themselves.
    window = 4 * args.contacts + 16
    all_sent = asyncio.Event()
    # The visits are sent by the lean sender (bench/sender.py): httpx queueing past saturation
    # cost the bench a core. The watcher's few requests stay on httpx.
    visits = Sender(system.url(ServiceName.VISITS), OUTREACH_TOKEN)
    async with httpx.AsyncClient(
        base_url=system.url(ServiceName.CASES),
        headers=bearer(Role.SAFEGUARDING_LEAD),
        timeout=60,
    ) as cases:
        start = time.perf_counter()
        wall = time.time() - time.perf_counter()  # perf_counter → wall clock

        async def send(n: int) -> None:
            body = visit_body(args.contacts, datetime.now(UTC))
            wanted = frozenset(
                str(Journey.create_id(UUID(c["contact_id"]))) for c in body["contacts"]
            )
            sent = time.perf_counter()
            pending[wanted] = sent
            extra = {k: v for k, v in headers(args).items() if k not in OUTREACH_TOKEN}
            try:
                status = await visits.post("/visits", body, extra)
            except SenderError as error:
                result.problems[f"POST {error}"] += 1
                pending.pop(wanted, None)
                return
            if status != 201:
                result.problems[f"POST {status}"] += 1
                pending.pop(wanted, None)
                return
            result.post_s.append(time.perf_counter() - sent)

        first = (await cases.get("/journeys", params={"limit": 1})).json()
        base = int(first["total"])

        async def watch() -> None:
            seen: set[str] = set()
            asked_before = start  # when the poll before this one was sent
            while not (all_sent.is_set() and not pending):
                asked = time.perf_counter()
                try:
                    response = await cases.get("/journeys", params={"limit": window})
                    response.raise_for_status()
                except httpx.HTTPError as error:  # an overloaded server drops a connection
                    result.problems[f"watcher: {type(error).__name__}"] += 1
                    await asyncio.sleep(args.open_loop_poll_ms / 1000)
                    continue
                page = response.json()
                now = time.perf_counter()
                seen.update(item["journey_id"] for item in page["items"])
                done = [w for w in pending if w <= seen]
                beyond = (int(page["total"]) - base) // args.contacts - len(result.listed)
                identified = set(done)
                for w in pending:
                    if len(done) >= beyond:
                        break
                    if w not in identified:
                        done.append(w)
                for wanted in done:
                    sent = pending.pop(wanted)
                    result.listed.append((sent - start, now - sent))
                    result.not_yet_listed_s.append(max(0.0, asked_before - sent))
                    result.visits.append((wanted, sent + wall, now + wall))
                    result.last_listed_after_s = now - start - args.open_loop_seconds
                if all_sent.is_set() and time.perf_counter() - start > args.open_loop_seconds + 60:
                    result.problems["not listed within 60 s of the end"] += len(pending)
                    return
                asked_before = asked
                await asyncio.sleep(args.open_loop_poll_ms / 1000)

        watcher = asyncio.create_task(watch())
        tasks = []
        for n in range(total):
            delay = start + n / args.open_loop - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(n)))
        result.send_lag_s = time.perf_counter() - (start + (total - 1) / args.open_loop)
        result.sent = total
        await asyncio.gather(*tasks)
        all_sent.set()
        await watcher
        await visits.close()
    result.most_open = visits.most_open
    stored = await stored_in_jetstream(system.nats.url, {j for w, _, _ in result.visits for j in w})
    for wanted, sent, listed in result.visits:
        if all(j in stored for j in wanted):
            crossed = max(stored[j] for j in wanted)
            result.to_jetstream_s.append(crossed - sent)
            result.from_jetstream_s.append(listed - crossed)
    return result


async def stored_in_jetstream(nats_url: str, journey_ids: set[str]) -> dict[str, float]:
    """When (wall clock, JetStream's own timestamp) the ``ContactMade`` of each journey was
    stored in the visits stream: read back once the run is over, by an ordered consumer."""
    stored: dict[str, float] = {}
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(ContactMadeV1.subject, ordered_consumer=True)
        while True:
            try:
                message = await sub.next_msg(timeout=2.0)
            except nats.errors.TimeoutError:
                break
            contact_id = json.loads(message.data)["data"]["contact_id"]
            journey_id = str(Journey.create_id(UUID(contact_id)))
            if journey_id in journey_ids:
                stored[journey_id] = message.metadata.timestamp.timestamp()
            if message.metadata.num_pending == 0:
                break
        await sub.unsubscribe()
    finally:
        await nc.close()
    return stored


def rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in values.items()}


def report_open_loop(result: OpenLoop, saturation_visits_per_s: float) -> dict[str, Any]:
    print(
        f"\nopen loop: {result.rate:g} visits/s for {result.seconds:g} s ({result.sent} sent;"
        f" the client sent the last one {result.send_lag_s * 1000:.0f} ms late;"
        f" at most {result.most_open} POSTs in flight)"
    )
    print(f"  POST answered (ms):              {fmt(percentiles(result.post_s))}")
    print(f"  POST sent → journeys listed (ms): {fmt(percentiles([s for _, s in result.listed]))}")
    print(
        f"    (seen by a poll every {result.poll_ms:g} ms; the poll before, which did not find"
        f" it, was sent after the POST by (ms): {fmt(percentiles(result.not_yet_listed_s))})"
    )
    print(
        "    sent → ContactMade stored in JetStream (ms): "
        + fmt(percentiles(result.to_jetstream_s))
    )
    print(
        "    stored in JetStream → seen listed (ms):      "
        + fmt(percentiles(result.from_jetstream_s))
    )
    thirds = []
    for k in range(3):
        low, high = k * result.seconds / 3, (k + 1) * result.seconds / 3
        part = [s for at, s in result.listed if low <= at < high]
        thirds.append(percentiles(part))
        print(f"    sent in {low:4.0f} to {high:3.0f} s (ms):        {fmt(thirds[-1])}")
    after = result.last_listed_after_s
    print(
        "  last visit listed "
        + (f"{after:.2f} s after the last send" if after is not None else "never")
        + f"; problems: {dict(result.problems) or 'none'}"
    )
    print(f"  saturation (the API phase, closed loop): {saturation_visits_per_s:.0f} visits/s")
    return {
        "open_loop_rate": result.rate,
        "open_loop_seconds": result.seconds,
        "open_loop_sent": result.sent,
        "open_loop_listed": len(result.listed),
        "open_loop_post_ms": {k: round(v, 1) for k, v in percentiles(result.post_s).items()},
        "open_loop_listed_ms": {
            k: round(v, 1) for k, v in percentiles([s for _, s in result.listed]).items()
        },
        "open_loop_not_yet_listed_ms": rounded(percentiles(result.not_yet_listed_s)),
        "open_loop_to_jetstream_ms": rounded(percentiles(result.to_jetstream_s)),
        "open_loop_from_jetstream_ms": rounded(percentiles(result.from_jetstream_s)),
        "open_loop_poll_ms": result.poll_ms,
        "open_loop_listed_ms_by_third": [
            {k: round(v, 1) for k, v in third.items()} for third in thirds
        ],
        "open_loop_last_listed_after_s": None if after is None else round(after, 2),
        "open_loop_problems": dict(result.problems),
        "open_loop_most_in_flight": result.most_open,
        "saturation_visits_per_s": round(saturation_visits_per_s, 1),
    }


# --- setup, teardown, report --------------------------------------------------------------


@contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so every ``finally`` below still runs."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def log_problems(root: Path) -> dict[str, int]:
    """Warnings and errors the services logged (JSON lines), counted by service and event."""
    found: Counter[str] = Counter()
    for log in sorted((root / "logs").glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line) if line.startswith("{") else {}
            except ValueError:
                entry = {}
            if entry.get("level", "info") != "info":
                found[f"{log.stem}: {entry.get('event')} ({entry['level']})"] += 1
            elif line.startswith(("ERROR", "WARNING", "Traceback")):
                found[f"{log.stem}: {line[:80]}"] += 1
    return dict(found)


def show_logs(root: Path, lines: int = 15) -> None:
    for log in sorted((root / "logs").glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        print(f"--- last lines of {log.name}", *tail, sep="\n", file=sys.stderr)


def git_commit() -> str:
    """The commit measured, with ``+dirty`` when the working tree has changes."""
    try:
        run = subprocess.run
        head = run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True)
    except OSError:
        return "unknown"
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") or "unknown"


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return f"{os.cpu_count()} CPUs, {model}, Python {platform.python_version()}"


def fmt(values: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:7.1f}" for k, v in values.items()) if values else "(no samples)"


def report(
    args: argparse.Namespace,
    raw: Rate,
    app: Rate,
    api: ApiRun,
    drain_s: float | None,
    cpu: dict[str, float],
    latency: Latency,
    logged: dict[str, int],
) -> dict[str, Any]:
    backend = "postgres" if args.database_url else "sqlite"
    commit = git_commit()
    if commit != args.commit_at_start:  # somebody committed or edited while this ran
        commit = f"{args.commit_at_start} -> {commit}"
    print(
        f"\n{machine()}; commit {commit}; load {args.load_at_start:.2f} at start;"
        f" backend {backend};"
        f" {args.contacts} contacts per visit "
        f"({args.contacts + 2} events); {args.seconds:g} s per phase"
    )
    print(f"\n{'phase':<34}{'visits':>8}{'events':>9}{'s':>7}{'events/s':>10}{'÷ raw':>8}")
    threads = f"{args.direct_threads} thread" + ("s" if args.direct_threads > 1 else "")
    rows = [
        (f"raw eventsourcing ({threads})", raw),
        (f"application, direct ({threads})", app),
        (f"API, {args.concurrency} concurrent clients", api.rate),
    ]
    for name, rate in rows:
        ratio = rate.events_per_s / raw.events_per_s if raw.events_per_s else float("nan")
        print(
            f"{name:<34}{rate.visits:>8}{rate.events:>9}{rate.seconds:>7.1f}"
            f"{rate.events_per_s:>10.0f}{ratio:>8.2f}"
        )
    errors = {
        name: dict(rate.errors)
        for name, rate in (("raw", raw), ("application", app), ("API", api.rate))
        if rate.errors
    }
    print(f"\nnon-201 responses / errors: {errors or 'none'}")
    print(f"API request time under load (ms):   {fmt(percentiles(api.request_s))}")
    print(f"longest time with no POST completing: {api.longest_gap_s * 1000:.0f} ms")
    used = ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
    cores = os.cpu_count() or 1
    available = cores * api.rate.seconds
    print(f"CPU seconds in the API phase (of {available:.0f} on {cores} cores): {used}")
    print("  ('everything else' is other processes, the PostgreSQL server included)")
    drained = f"{drain_s:.1f} s" if drain_s is not None else "NOT within the timeout"
    print(f"cases projection caught up with the API phase {drained} after it ended")
    print(
        f"\nlatency, one visit at a time (n={len(latency.to_projection_s)}, "
        f"poll every {args.poll_ms:g} ms):"
    )
    print(f"  POST answered (ms):                {fmt(percentiles(latency.post_s))}")
    print(f"  POST sent → journeys listed (ms):  {fmt(percentiles(latency.to_projection_s))}")
    if latency.problems:
        print(f"  problems: {dict(latency.problems)}")
    print(f"\nwarnings and errors in the service logs: {logged or 'none'}")
    summary = {
        "bench": "visits_e2e",
        "commit": commit,
        "load_at_start": round(args.load_at_start, 2),
        "backend": backend,
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "contacts": args.contacts,
        "direct_threads": args.direct_threads,
        "idempotency_key": args.idempotency_key,
        "http_apart": args.http_apart,
        "raw_events_per_s": round(raw.events_per_s),
        "application_events_per_s": round(app.events_per_s),
        "api_events_per_s": round(api.rate.events_per_s),
        "api_over_raw": round(api.rate.events_per_s / raw.events_per_s, 3),
        "application_over_raw": round(app.events_per_s / raw.events_per_s, 3),
        "api_visits": api.rate.visits,
        "errors": errors,
        "api_request_ms": {k: round(v, 1) for k, v in percentiles(api.request_s).items()},
        "api_longest_gap_ms": round(api.longest_gap_s * 1000),
        "cpu_s": {k: round(v, 1) for k, v in cpu.items()},
        "projection_drain_s": None if drain_s is None else round(drain_s, 2),
        "latency_samples": len(latency.to_projection_s),
        "latency_to_projection_ms": {
            k: round(v, 1) for k, v in percentiles(latency.to_projection_s).items()
        },
        "latency_post_ms": {k: round(v, 1) for k, v in percentiles(latency.post_s).items()},
        "latency_problems": dict(latency.problems),
        "logged_problems": logged,
    }
    print(json.dumps(summary))
    return summary


def run(args: argparse.Namespace, root: Path, prefix: str) -> None:
    print("raw eventsourcing …", flush=True)
    raw = direct_rate("raw", root, args, prefix)
    print("application, direct …", flush=True)
    app = direct_rate("application", root, args, prefix)
    print("starting NATS and the three services …", flush=True)
    system = System(
        root / "system",
        database_url=args.database_url,
        schema_prefix=f"{prefix}sys" if args.database_url else None,
        http_apart=args.http_apart,
    )
    if args.http_apart and args.database_url:
        # Six processes' pools (each opens its pool size at start) must fit in PostgreSQL's
        # 100 connections.
        system.extra_env = {"WAYMARK_POSTGRES_POOL_SIZE": "3", "WAYMARK_POSTGRES_MAX_OVERFLOW": "3"}
    try:
        system.start()
        pids = {s.value: p.pid for s, p in system.processes.items()}
        pids |= {f"{s.value} http": p.pid for s, p in system.http_processes.items()}
        assert system.nats.process is not None
        pids["nats"] = system.nats.process.pid
        print(f"API throughput for {args.seconds:g} s …", flush=True)
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        client_before, busy_before = time.process_time(), machine_busy_seconds()
        api = asyncio.run(api_rate(system.url(ServiceName.VISITS), args))
        cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
        cpu["bench client"] = time.process_time() - client_before
        cpu["everything else"] = machine_busy_seconds() - busy_before - sum(cpu.values())
        print("waiting for the cases projection to catch up …", flush=True)
        expected = (api.rate.visits + api.warm_up_created) * args.contacts
        with system.client(ServiceName.CASES, Role.SAFEGUARDING_LEAD, timeout=30) as cases:
            drain_s = wait_for_projection(cases, expected, timeout=max(120.0, 10 * args.seconds))
        print(f"latency, {args.latency_samples} visits one at a time …", flush=True)
        latency = measure_latency(system, args)
        opened: OpenLoop | None = None
        if args.open_loop:
            print(f"open loop, {args.open_loop:g} visits/s for {args.open_loop_seconds:g} s …")
            opened = asyncio.run(open_loop(system, args))
        logged = log_problems(system.root)  # before stopping: shutdown noise is not measured
    except Exception:
        show_logs(system.root)
        raise
    finally:
        system.stop()
    summary = report(args, raw, app, api, drain_s, cpu, latency, logged)
    if opened is not None:
        summary |= report_open_loop(opened, api.rate.visits / api.rate.seconds)
        summary["load_at_end"] = round(os.getloadavg()[0], 2)
        print(json.dumps(summary))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="duration of each rate phase")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent API clients")
    parser.add_argument("--contacts", type=int, default=2, help="contacts per visit")
    parser.add_argument(
        "--latency-samples", type=int, default=200, help="visits posted one at a time"
    )
    parser.add_argument("--poll-ms", type=float, default=2.0, help="projection poll interval")
    parser.add_argument(
        "--direct-threads",
        type=int,
        default=1,
        help="threads calling the library directly (raw and application)",
    )
    parser.add_argument(
        "--idempotency-key",
        action="store_true",
        help="send an Idempotency-Key with every visit (API and application)",
    )
    parser.add_argument(
        "--open-loop",
        type=float,
        default=0,
        help="after the other phases, POST this many visits a second on a fixed schedule",
    )
    parser.add_argument("--open-loop-seconds", type=float, default=60)
    parser.add_argument(
        "--http-apart",
        action="store_true",
        help="run each service as an HTTP-only process beside one running its background work",
    )
    parser.add_argument(
        "--open-loop-poll-ms", type=float, default=20, help="how often the watcher lists"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="postgresql://… (unique schemas, dropped afterwards); default SQLite",
    )
    args = parser.parse_args(argv)
    args.load_at_start = os.getloadavg()[0]  # a noisy machine shows here
    args.commit_at_start = git_commit()
    prefix = unique_schema_prefix()
    with terminated_as_interrupt(), tempfile.TemporaryDirectory(prefix="waymark-bench-") as tmp:
        try:
            run(args, Path(tmp), prefix)
        except KeyboardInterrupt:
            print("\ninterrupted; stopped everything", file=sys.stderr)
            sys.exit(130)
        finally:
            if args.database_url:
                drop_schemas(args.database_url, prefix)


if __name__ == "__main__":
    main()
