"""Helpers the test layers share: settings for a temporary service, polling, and a visit."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import itertools
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification, StoredEvent, Tracking
from fastapi.testclient import TestClient
from psycopg.sql import SQL, Identifier

from services.cases.application import CasesApplication
from services.cases.commands import (
    AssessNeeds,
    CorrectPseudonym,
    GiveConsent,
    MakeReferral,
    Register,
    RequestErasure,
    ScheduleAppointment,
)
from services.cases.domain import Journey
from services.cases.values import ConsentScope, ErasureReason
from services.visits.commands import CompletedVisit, ContactInput
from services.web.settings import WebSettings
from shared.contracts import IntegrationEvent
from shared.contracts.envelope import encode
from shared.runtime import ServiceParts, Stores, open_stores
from shared.security.roles import Role
from shared.security.tokens import issue_dev_token
from shared.settings import ServiceName, Settings
from shared.storage.eventstore import WaymarkApplication
from shared.storage.log_follower import LogFollower
from shared.storage.personal_data import personal_fields_of, subject_of
from shared.storage.projection import Projection

POSTGRES_DSN_VARIABLE = "WAYMARK_TEST_POSTGRES_DSN"
# One development signing key for every test service, so a token works on all three.
TEST_AUTH_KEY = "test-only-signing-key-" + secrets.token_hex(16)
T = TypeVar("T")


def postgres_dsn() -> str | None:
    return os.environ.get(POSTGRES_DSN_VARIABLE) or None


def new_master_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def make_settings(
    service: ServiceName,
    var_dir: Path,
    *,
    nats_url: str = "nats://127.0.0.1:1",
    database_url: str | None = None,
    schema_prefix: str | None = None,
    master_key: str | None = None,
    **overrides: object,
) -> Settings:
    values: dict[str, object] = {
        "service": service,
        "var_dir": var_dir,
        "nats_servers": [nats_url],
        "master_key": master_key or new_master_key(),
        "log_poll_interval_s": 0.1,
        "retry_base_delay_s": 0.2,
        "retry_max_delay_s": 1.0,
        "log_json": False,
        "auth_dev_key": TEST_AUTH_KEY,
    }
    if database_url is not None:
        values["database_url"] = database_url
        values["postgres_schema"] = f"{schema_prefix or 'test'}_{service.value}"
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def bearer(
    role: Role | str | None = None,
    *,
    subject: str = "user-1",
    team: str | None = None,
    roles: tuple[Role, ...] = (),
) -> dict[str, str]:
    """An ``Authorization`` header for a development token signed with the tests' key."""
    chosen = (*roles, *([Role(role)] if role else []))
    settings = Settings(service=ServiceName.VISITS, auth_dev_key=TEST_AUTH_KEY)
    token = issue_dev_token(settings, chosen, subject=subject, team=team)
    return {"Authorization": f"Bearer {token}"}


def web_settings(folder: Path, **overrides: Any) -> WebSettings:
    """The web app's settings in a test: its development signing key written into ``folder``,
    its session cookie sent over plain HTTP; ``overrides`` set the rest."""
    key = folder / "dev.key"
    key.write_text(TEST_AUTH_KEY)
    return WebSettings(dev_key_file=key, cookie_secure=False, **overrides)


def unique_schema_prefix() -> str:
    return "t" + uuid.uuid4().hex[:12]


def drop_schemas(dsn: str, prefix: str) -> None:
    """Drop every PostgreSQL schema a test or bench made under ``prefix``."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s",
            (prefix + "%",),
        ).fetchall()
        for (schema,) in rows:
            conn.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(schema)))


def at_once(*calls: Callable[[], T]) -> list[T]:
    """Each call in a thread of its own, all let go together at a barrier; their results in
    the order given. What a call raised is raised here (a thread's failure must fail the test,
    not only print)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except BaseException as error:  # noqa: BLE001 - raised again in the caller's thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results


def wait_until(
    probe: Callable[[], T | None],
    timeout: float = 15.0,
    interval: float = 0.05,
    message: str = "condition",
) -> T:
    """Poll ``probe`` until it returns something truthy; fail with ``message`` after timeout."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}; last={last!r}")


def read_models_caught_up(client: TestClient) -> list[dict[str, Any]]:
    """Wait, as an admin watches them (``GET /admin/projections``), until every read model of
    the served service has read the whole log and no rebuild is under way; their states."""

    def settled() -> list[dict[str, Any]] | None:
        views: list[dict[str, Any]] = client.get("/admin/projections").json()["items"]
        done = all(
            view["position"] == view["log_head"]
            and (view["rebuild"] is None or view["rebuild"]["state"] in ("done", "failed"))
            for view in views
        )
        return views if done else None

    return wait_until(settled, timeout=20, message="every read model caught up")


def answer_text(response: Any) -> str:
    """A response's text without its request id (``X-Request-Id``, repeated in a problem
    document): random hex, which may hold any short run of digits, so a test that checks a
    value is never echoed looks at everything else."""
    request_id = response.headers.get("x-request-id")
    text: str = response.text
    return text.replace(request_id, "") if request_id else text


#: When the visits the tests record began: an evening's outreach.
VISIT_AT = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def hour_visit(*aliases: str, contact_ids: Sequence[uuid.UUID] = ()) -> CompletedVisit:
    """A completed hour-long visit to an unregistered place, one Romanian-speaking contact per
    alias (with ``contact_ids`` when the test needs to know them)."""
    ids = list(contact_ids) or [uuid.uuid4() for _ in aliases]
    return CompletedVisit(
        visit_id=uuid.uuid4(),
        premises_label="P",
        team="t",
        volunteers=(),
        languages_offered=("ro",),
        started_at=VISIT_AT,
        completed_at=VISIT_AT + timedelta(hours=1),
        contacts=tuple(
            ContactInput(i, a, "ro", VISIT_AT) for i, a in zip(ids, aliases, strict=True)
        ),
    )


def west_visit(started_at: datetime, contacts: Sequence[ContactInput]) -> CompletedVisit:
    """A completed hour-long visit to premises P-12 by team west (volunteers v-1 and v-2,
    offering Romanian and English) that met ``contacts``: the command :func:`visit_body`
    becomes when it names the second volunteer too."""
    return CompletedVisit(
        visit_id=uuid.uuid4(),
        premises_label="P-12",
        team="west",
        volunteers=("v-1", "v-2"),
        languages_offered=("ro", "en"),
        started_at=started_at,
        completed_at=started_at + timedelta(hours=1),
        contacts=tuple(contacts),
    )


def register_journey(
    cases: CasesApplication,
    pseudonym: str,
    at: datetime,
    *,
    journey_id: uuid.UUID | None = None,
    actor: str = "cw-1",
) -> uuid.UUID:
    """A woman registered at ``at`` without a visit contact (see :func:`registration`)."""
    journey_id = journey_id or uuid.uuid4()
    cases.register_person(journey_id, registration(pseudonym, at), actor=actor)
    return journey_id


def registration(pseudonym: str, at: datetime) -> Register:
    """Her registration under ``pseudonym``: Romanian-speaking, no interpreter needed."""
    return Register(
        pseudonym=pseudonym, preferred_languages=["ro"], interpreter_needed=False, occurred_at=at
    )


def assessed_journey(
    cases: CasesApplication, pseudonym: str, at: datetime, corrections: int = 0
) -> uuid.UUID:
    """A woman registered and her needs assessed (notes that name her pseudonym), then her
    pseudonym corrected ``corrections`` times a minute apart: a journey as long as a test
    needs (past a snapshot interval, say), with personal data in several events."""
    journey_id = register_journey(cases, pseudonym, at)
    cases.do(
        journey_id,
        AssessNeeds(needs=["housing"], notes=f"{pseudonym} notes", occurred_at=at),
        actor="cw-1",
    )
    for n in range(corrections):
        cases.do(
            journey_id,
            CorrectPseudonym(pseudonym=f"{pseudonym}-{n}", occurred_at=at + timedelta(minutes=n)),
            actor="cw-1",
        )
    return journey_id


def erase_her(
    cases: CasesApplication,
    journey_id: uuid.UUID,
    requested_at: datetime,
    approved_at: datetime,
    *,
    requested_by: str = "cw-1",
    approved_by: str,
) -> Journey:
    """Her erasure, requested at her wish by a caseworker and approved later by an admin."""
    cases.do(
        journey_id,
        RequestErasure(
            request_id=uuid.uuid4(), reason=ErasureReason.SUBJECT_REQUEST, occurred_at=requested_at
        ),
        actor=requested_by,
    )
    return cases.approve_erasure(journey_id, occurred_at=approved_at, actor=approved_by)


_visits_position = itertools.count(1)


def contacts_from_visits(cases: CasesApplication, n: int, at: datetime = VISIT_AT) -> None:
    """``n`` contacts made on visits, each arriving at cases as from the visits stream."""
    for _ in range(n):
        cases.record_contact_from_visit(
            uuid.uuid4(), uuid.uuid4(), "ro", at, Tracking("visits", next(_visits_position))
        )


def projection_named(parts: ServiceParts, name: str) -> Projection:
    return next(p for p in parts.projections if p.name == name)


def projection_rows(view: Projection, suffix: str = "") -> dict[str, list[dict[str, Any]]]:
    """Every row of the projection's tables (or of their copies named with ``suffix``), in an
    order that does not depend on when each was written."""
    found = {}
    with view.store.transaction(commit=False) as cursor:
        for table in view.owned_tables():
            cursor.execute(f"SELECT * FROM {view.store.table(table + suffix)}")
            found[table] = sorted(cursor.fetchall(), key=repr)
    return found


def projection_indexes(view: Projection) -> dict[str, set[str]]:
    """The indexes on each of the projection's tables, by name (not those the database makes
    for a primary key)."""
    if view.store.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        sql += " AND tbl_name = %s"
    else:
        sql = "SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        sql += " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary"
    found = {}
    with view.store.transaction(commit=False) as cursor:
        for table in view.owned_tables():
            cursor.execute(sql, (view.store.table(table),))
            found[table] = {str(row["name"]) for row in cursor.fetchall()}
    return found


def forget_projection(view: Projection) -> None:
    """Empty the projection, then set its position back to nothing: a rebuild from zero
    follows (a follower running meanwhile finds its rows gone before its position is)."""
    with view.store.transaction() as cursor:
        for table in view.owned_tables():
            cursor.execute(f"DELETE FROM {view.store.table(table)}")
    view.positions.reset(view.name)


def assert_rebuilt_alike(views: Sequence[Projection]) -> None:
    """Each view, forgotten and folded again from the first stored event, has the rows it had
    (all are forgotten before any folds again)."""
    live = {view.name: projection_rows(view) for view in views}
    for view in views:
        forget_projection(view)
    for view in views:
        view.catch_up()
    assert {view.name: projection_rows(view) for view in views} == live


@contextmanager
def served(
    create_app: Callable[[Settings], Any],
    service: ServiceName,
    var_dir: Path,
    headers: dict[str, str] | None = None,
    *,
    database: tuple[str | None, str | None] = (None, None),
    **overrides: object,
) -> Iterator[TestClient]:
    """A service's ASGI app booted in this process with its lifespan, on fresh stores under
    ``var_dir`` (NATS points at a closed port: the service starts and serves all the same),
    on SQLite or on the ``database`` fixture's PostgreSQL."""
    url, prefix = database
    settings = make_settings(service, var_dir, database_url=url, schema_prefix=prefix, **overrides)
    with TestClient(create_app(settings), headers=headers) as client:
        yield client


def app_in(client: TestClient, kind: type[T]) -> T:
    """The application behind a served service."""
    app = client.app.state.runtime.app  # type: ignore[attr-defined]
    assert isinstance(app, kind)
    return app


def visit_body(
    at: datetime = VISIT_AT, aliases: Sequence[str] = ("Ana",), **changes: Any
) -> dict[str, Any]:
    """``POST /visits`` of an hour-long completed visit starting ``at``, by team west, one
    Romanian-speaking contact per alias; ``changes`` replace fields of the body."""
    body: dict[str, Any] = {
        "visit_id": str(uuid.uuid4()),
        "premises_label": "P-12",
        "team": "west",
        "volunteers": ["v-1"],
        "languages_offered": ["ro", "en"],
        "started_at": at.isoformat(),
        "completed_at": (at + timedelta(hours=1)).isoformat(),
        "contacts": [
            {"contact_id": str(uuid.uuid4()), "alias": alias, "language": "ro"} for alias in aliases
        ],
    }
    body.update(changes)
    return body


def housing_referral(
    *,
    referral_id: uuid.UUID,
    respond_by: datetime,
    occurred_at: datetime,
    partner: str = "housing_charity",
    shares_personal_data: bool = False,
) -> MakeReferral:
    """A referral for housing, made with no consent or lawful basis named."""
    return MakeReferral(
        referral_id=referral_id,
        partner=partner,
        need="housing",
        shares_personal_data=shares_personal_data,
        consent_id=None,
        lawful_basis=None,
        respond_by=respond_by,
        occurred_at=occurred_at,
    )


def housing_consent(*, occurred_at: datetime, consent_id: uuid.UUID | None = None) -> GiveConsent:
    """Her consent to share her details with the housing charity (wording v3)."""
    return GiveConsent(
        consent_id=consent_id or uuid.uuid4(),
        scope=ConsentScope.SHARE_WITH_PARTNER,
        partner="housing_charity",
        wording_version="v3",
        occurred_at=occurred_at,
    )


def gp_appointment(
    *,
    at: datetime,
    occurred_at: datetime,
    appointment_id: uuid.UUID | None = None,
    accompanied: bool = False,
) -> ScheduleAppointment:
    """A GP appointment at ``at``, booked at ``occurred_at``."""
    return ScheduleAppointment(
        appointment_id=appointment_id or uuid.uuid4(),
        kind="gp",
        at=at,
        accompanied=accompanied,
        occurred_at=occurred_at,
    )


App = TypeVar("App", bound=WaymarkApplication)


@contextmanager
def on_fresh_stores(service: ServiceName, kind: type[App]) -> Iterator[tuple[App, Stores]]:
    """An application on stores in a new temporary folder, closed after (a hypothesis example
    runs many times within one test, so it cannot use ``tmp_path``)."""
    with tempfile.TemporaryDirectory() as directory:
        stores = open_stores(make_settings(service, Path(directory)))
        app = kind(env=stores.event_store_env, keyring=stores.keyring, reference=stores.reference)
        try:
            yield app, stores
        finally:
            app.close()
            stores.close()


def cases_in(client: TestClient) -> CasesApplication:
    """The cases application behind a served cases service."""
    return app_in(client, CasesApplication)


def on_the_wire(
    contract: IntegrationEvent, event: DomainEventProtocol[uuid.UUID], position: int, service: str
) -> bytes:
    """What the relay puts on the bus for ``contract``, made from ``event`` at ``position``."""
    return encode(
        contract,
        service=service,
        origin=event.originator_id,
        version=event.originator_version,
        position=position,
        time=VISIT_AT,
    )


class _Collecting(LogFollower):
    """A follower like the relay's, from the start of the log, keeping what it is handed."""

    name = "collecting"

    def __init__(self, app: WaymarkApplication, event_classes: Sequence[type[object]]) -> None:
        self.event_classes = tuple(event_classes)
        super().__init__(app)
        self.events: list[DomainEventProtocol[uuid.UUID]] = []

    def position(self) -> int:
        return 0

    async def handle(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[uuid.UUID]]], last_id: int
    ) -> None:
        self.events.extend(event for _, event in batch)


def followed_events(
    app: WaymarkApplication, event_classes: Sequence[type[object]]
) -> list[DomainEventProtocol[uuid.UUID]]:
    """The events of these classes a log follower reads and hands over, as the relay's does."""
    follower = _Collecting(app, event_classes)
    asyncio.run(follower.catch_up_once())
    return follower.events


def store_under_former_topics(
    app: WaymarkApplication,
    events: Sequence[DomainEventProtocol[uuid.UUID]],
    current: str,
    former: str,
) -> list[StoredEvent]:
    """The events written through the recorder exactly as they were stored before their
    classes moved from ``former`` to ``current`` (both ``module:Aggregate``): their topics, and
    the aggregate's topic a created event names, under the former name."""
    # As a save does: the keys of everyone named in a personal field, before sealing them.
    app.keyring.ensure({subject_of(e) for e in events if personal_fields_of(type(e))})
    stored = [
        dataclasses.replace(
            s,
            topic=s.topic.replace(current, former),
            state=s.state.replace(current.encode(), former.encode()),
        )
        for s in map(app.mapper.to_stored_event, events)
    ]
    app.recorder.insert_events(stored)
    return stored


def topics_once_loaded(service: str, module: str, classes: Sequence[str]) -> list[list[str]]:
    """Each class's topics (``topics_of``) once only the service's ``main`` is imported, in a
    fresh interpreter: nothing imported by other tests can stand in for the service's own."""
    code = "\n".join(
        [
            f"import json, services.{service}.main, {module}",
            "from shared.storage.topics import topics_of",
            f"print(json.dumps([{', '.join(f'topics_of({module}.{c})' for c in classes)}]))",
        ]
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    topics: list[list[str]] = json.loads(run.stdout)
    return topics
