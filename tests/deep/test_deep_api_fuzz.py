"""A deep schemathesis run over the three services, out of the default test run.

``tests/integration/test_api_fuzz.py`` keeps the documents true in CI with a few examples per
operation, each called as one role. This run goes further and is run by hand (see
docs/security.md, "Deep fuzzing"):

* many examples per operation (``WAYMARK_FUZZ_EXAMPLES``, default 100), every phase;
* every case called as **every** role its access rule allows, and as one role it does not
  (which must be refused with 403);
* each case called twice: once as generated, once with its path ids replaced by ids that exist
  (a journey, a visit, premises seeded before the run), so the routes past the 404 are reached;
* besides schemathesis' checks: a 4xx must leave the service's event log as it was, and no
  answer may repeat a string from the request (a name, a note) back to the caller.

Findings are not raised one by one (one failure would stop the operation's exploration): each
distinct one is written as a JSON line to ``WAYMARK_FUZZ_REPORT`` and the test fails at the end
of the operation if any was found.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import settings

from services.cases.api.access import ACCESS_RULES as CASES_RULES
from services.cases.integration import outbound as cases_outbound
from services.cases.main import create_app as cases_app
from services.notifications.api.access import ACCESS_RULES as NOTIFICATIONS_RULES
from services.notifications.main import create_app as notifications_app
from services.visits.api.access import ACCESS_RULES as VISITS_RULES
from services.visits.integration import outbound as visits_outbound
from services.visits.main import create_app as visits_app
from shared.admin.access import SHARED_ACCESS_RULES
from shared.contracts.envelope import decode, encode
from shared.http.openapi import PUBLIC_OPERATIONS
from shared.messaging.relay import Outbound, as_contracts
from shared.security.roles import Role
from shared.settings import ServiceName, Settings
from shared.storage.log_follower import decode_batch, notifications_after
from shared.storage.topics import all_topics
from tests.deep import DATABASE_URL
from tests.integration.test_api_fuzz import (
    CHECKS,
    FUZZ,
    StartedOnce,
    service_schema,
    stop_services,
)
from tests.support import (
    VISIT_AT,
    bearer,
    drop_schemas,
    hour_visit,
    register_journey,
    unique_schema_prefix,
)

MAX_EXAMPLES = int(os.environ.get("WAYMARK_FUZZ_EXAMPLES", "100"))
SCHEMA_PREFIX = unique_schema_prefix()
REPORT = Path(os.environ.get("WAYMARK_FUZZ_REPORT", "deep-fuzz-findings.jsonl"))
_VAR_DIR = Path(tempfile.gettempdir()) / f"waymark-deep-fuzz-{uuid.uuid4().hex[:12]}"
# Strings shorter than this are too likely to appear in an answer by chance ("true", "open").
ECHO_MIN = 8
_UUID = re.compile(r"^[0-9a-fA-F-]{32,36}$")
# A code ("share_with_partner") may be named back in a reason or a problem's type; free text
# (capitals, spaces, anything else) may not.
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")

_findings: dict[str, list[dict[str, Any]]] = {}
_seen: set[tuple[str, str, str]] = set()


def _note(
    operation: str, kind: str, detail: str, case: schemathesis.Case | None = None, **extra: Any
) -> None:
    key = (operation, kind, detail[:200])
    if key in _seen:
        return
    _seen.add(key)
    finding = {"operation": operation, "kind": kind, "detail": detail[:2000], **extra}
    if case is not None:  # enough to call it again by hand
        finding["case"] = {
            "path": case.formatted_path,
            "query": case.query,
            "headers": case.headers,
            "body": repr(case.body)[:2000],
        }
    _findings.setdefault(operation, []).append(finding)
    with REPORT.open("a") as out:
        out.write(json.dumps(finding, default=str) + "\n")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        # Values only: a problem names the field it is about, which is no echo.
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _echoed(case: schemathesis.Case, text: str) -> list[str]:
    sent = [
        *_strings(case.body if not isinstance(case.body, bytes) else None),
        *_strings(case.query or {}),
        *_strings(case.path_parameters or {}),
        *_strings(case.headers or {}),
    ]
    return sorted(
        {
            s
            for s in sent
            if len(s.strip()) >= ECHO_MIN
            and not _UUID.match(s.strip())
            and not _CODE.match(s.strip())
            and s.strip() in text
        }
    )


class Seeds:
    """Aggregates that exist, so a case can be retried on them."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def ensure(self, service: ServiceName, started: StartedOnce) -> None:
        if self.ids.get(service.value):
            return
        app = started.app.state.runtime.app
        if service is ServiceName.CASES:
            journey = register_journey(app, "Seed-1", VISIT_AT)
            self.ids["journey_id"] = str(journey)
            self.ids["aggregate_id"] = str(journey)
        elif service is ServiceName.VISITS:
            visit = hour_visit("Seed", contact_ids=[uuid.uuid4()])
            app.record_visit(visit, actor="seed")
            self.ids["visit_id"] = str(visit.visit_id)
            self.ids["contact_id"] = str(visit.contacts[0].contact_id)
        self.ids[service.value] = "seeded"

    def replaced(self, path_parameters: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if not path_parameters:
            return None
        changed = {k: self.ids.get(k, v) for k, v in path_parameters.items()}
        return changed if changed != dict(path_parameters) else None


SEEDS = Seeds()


def _log_size(started: StartedOnce) -> int:
    return int(started.app.state.runtime.app.recorder.max_notification_id() or 0)


def call_as_every_role(
    case: schemathesis.Case, rules: Mapping[str, frozenset[Role]], service: ServiceName
) -> None:
    started: StartedOnce = case.operation.schema.app
    operation = f"{case.operation.method.upper()} {case.operation.path}"
    allowed_rules = {**SHARED_ACCESS_RULES, **rules}
    if case.operation.path in PUBLIC_OPERATIONS:
        roles: list[Role | None] = [None]
        refused: Role | None = None
    else:
        allowed = allowed_rules[operation]
        roles = [r for r in Role if r in allowed]
        refused = next((r for r in Role if r not in allowed), None)
    variants = [case.path_parameters]
    if started._task is not None:
        SEEDS.ensure(service, started)
        seeded = SEEDS.replaced(case.path_parameters)
        if seeded is not None:
            variants.append(seeded)
    for path_parameters in variants:
        case.path_parameters = path_parameters
        for role in roles:
            headers = bearer(role, subject="fuzz-1", team="west") if role else {}
            before = _log_size(started) if started._task is not None else None
            response = case.call(headers=headers)
            after = _log_size(started)
            status = response.status_code
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except Exception as failure:  # noqa: BLE001 - every check failure is a finding
                _note(operation, type(failure).__name__, str(failure), case, role=str(role))
            if 400 <= status < 500 and before is not None and after != before:
                _note(operation, "state-changed-on-4xx", f"{status}", case, role=str(role))
            echoed = _echoed(case, response.text)
            if echoed and status >= 400:
                _note(operation, "echo", f"{status}: {echoed[:3]!r}", case, role=str(role))
        # The coverage phase also sends methods the route lacks: 404 for every role then.
        if refused is not None and case.method.upper() == case.operation.method.upper():
            response = case.call(headers=bearer(refused, subject="fuzz-2", team="west"))
            if response.status_code != 403:
                _note(operation, "refusal", f"{refused} got {response.status_code}", case)


def unpublishable(schema: Any, outbound: Callable[[Any], Outbound]) -> tuple[int, list[str]]:
    """Read the whole log the fuzzing left in a service's store as its relay would (a fresh
    translator, from position 0), translate every event and put each contract in its envelope
    and read it back: how many contracts it made, and each event that could not be made into
    its contracts and sent. The relay waits at such an event,
    and every later event behind it, until a release can translate it: whatever a route
    accepts must fit the contracts it is published as."""
    app = schema.app.app.state.runtime.app
    out = outbound(app)
    topics = all_topics(out.event_classes)
    made, refused, after = 0, [], 0
    while notifications := notifications_after(app, after, limit=500, stop=None, topics=topics):
        # Sealed fields stay sealed, as the relay reads them.
        for notification, event in decode_batch(app, notifications, open_personal=False):
            try:
                for contract in as_contracts(out.translate(event)):
                    # On the wire and back, as a consumer reads it.
                    payload = encode(
                        contract,
                        service=app.name,
                        origin=event.originator_id,
                        version=event.originator_version,
                        position=notification.id,
                        time=event.timestamp,  # type: ignore[attr-defined]
                    )
                    assert decode(payload).event == contract, "not read back as sent"
                    made += 1
            except Exception as error:  # noqa: BLE001 - each one is reported below
                refused.append(f"{notification.id} {notification.topic}: {error}"[:500])
        after = notifications[-1].id
    return made, refused


def assert_every_stored_event_publishes(schemas: Mapping[str, tuple[Any, Any]]) -> None:
    for service, (schema, outbound) in schemas.items():
        made, refused = unpublishable(schema, outbound)
        assert not refused, f"{service}: {len(refused)} events cannot be published: {refused[:5]}"
        assert made > 0, f"{service}: nothing stored to publish, so nothing was checked"


@pytest.fixture(scope="module", autouse=True)
def _stop_services() -> Iterator[None]:
    yield
    try:
        assert_every_stored_event_publishes(
            {"visits": (visits, visits_outbound), "cases": (cases, cases_outbound)}
        )
    finally:
        stop_services((visits, cases, notifications), _VAR_DIR)
        if DATABASE_URL is not None:
            drop_schemas(DATABASE_URL, SCHEMA_PREFIX)


@pytest.fixture(autouse=True)
def _no_findings() -> Iterator[None]:
    before = {op: len(found) for op, found in _findings.items()}
    yield
    new = [f for op, found in _findings.items() for f in found[before.get(op, 0) :]]
    assert not new, json.dumps(new, indent=1, default=str)[:4000]


# The CI run's settings, but random and with many more examples.
DEEP = settings(FUZZ, derandomize=False, max_examples=MAX_EXAMPLES)


def deep_schema(factory: Callable[[Settings], FastAPI], service: ServiceName) -> Any:
    return service_schema(
        factory,
        service,
        var_dir=_VAR_DIR,
        max_examples=MAX_EXAMPLES,
        deterministic=False,
        database_url=DATABASE_URL,
        schema_prefix=SCHEMA_PREFIX,
    )


visits = deep_schema(visits_app, ServiceName.VISITS)
cases = deep_schema(cases_app, ServiceName.CASES)
notifications = deep_schema(notifications_app, ServiceName.NOTIFICATIONS)


@visits.parametrize()
@DEEP
def test_visits_deep(case: schemathesis.Case) -> None:
    call_as_every_role(case, VISITS_RULES, ServiceName.VISITS)


@cases.parametrize()
@DEEP
def test_cases_deep(case: schemathesis.Case) -> None:
    call_as_every_role(case, CASES_RULES, ServiceName.CASES)


@notifications.parametrize()
@DEEP
def test_notifications_deep(case: schemathesis.Case) -> None:
    call_as_every_role(case, NOTIFICATIONS_RULES, ServiceName.NOTIFICATIONS)
