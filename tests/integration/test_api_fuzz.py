"""Keep the OpenAPI documents true: schemathesis fuzzes every route of the three services.

Each service runs in-process (its lifespan started by schemathesis, NATS pointing at a closed
port, as in the unit tests). Every operation is called with a token for one role its access
rule allows — the least powerful one, so between them the routes are reached by every role —
and each answer must be no 5xx, a documented status, a documented content type, and a body
that matches its schema. The run is bounded (few examples per operation, derandomized, no
shrinking) so the three services take about a minute and a half on two cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import _get_portal, shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.cases.api.access import ACCESS_RULES as CASES_RULES
from services.cases.main import create_app as cases_app
from services.notifications.api.access import ACCESS_RULES as NOTIFICATIONS_RULES
from services.notifications.main import create_app as notifications_app
from services.visits.api.access import ACCESS_RULES as VISITS_RULES
from services.visits.main import create_app as visits_app
from shared.admin.access import SHARED_ACCESS_RULES
from shared.http.openapi import PUBLIC_OPERATIONS
from shared.security.roles import Role
from shared.settings import ServiceName, Settings
from tests.support import bearer, make_settings

# Per operation and generation mode (valid, invalid) in the fuzzing phase; the coverage phase
# adds schemathesis' boundary and invalid cases for every parameter and field (most of the time).
MAX_EXAMPLES = 5
# Least powerful first: each route is called as the narrowest role that may call it.
ROLE_PREFERENCE = (
    Role.AUDITOR,
    Role.MANAGER,
    Role.OUTREACH,
    Role.CASEWORKER,
    Role.SAFEGUARDING_LEAD,
    Role.ADMIN,
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# TEMPORARY EXCLUSIONS — answers that are wrong but being fixed on other branches. The lead
# engineer removes each entry once its branch is merged; the run must then stay green without it.
# Each entry: (why, the answers it covers). An answer it covers is not checked at all.
KNOWN_ELSEWHERE: list[tuple[str, Callable[[Any], bool]]] = []


def role_for(rules: Mapping[str, frozenset[Role]], method: str, path: str) -> Role:
    allowed = rules[f"{method.upper()} {path}"]
    return next(role for role in ROLE_PREFERENCE if role in allowed)


# Built when the module is collected, started (lifespan) only at the first fuzzed call: the
# schema has to exist before the test items do. The var dir is made by the runtime itself.
_VAR_DIR = Path(tempfile.gettempdir()) / f"waymark-fuzz-{uuid.uuid4().hex[:12]}"


class StartedOnce:
    """The service's own lifespan, started at the first test and stopped once at the end of
    the module. Schemathesis otherwise starts and stops each service around every test (about
    a hundred times a run), which exercises shutdown, not the routes this module is about."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._inbox: asyncio.Queue[dict[str, Any]] | None = None
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self._task is None:
                    await self._start()
                await send({"type": "lifespan.startup.complete"})
            else:  # lifespan.shutdown: the service keeps running until stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _start(self) -> None:
        self._inbox = asyncio.Queue()
        started = asyncio.Event()

        failure: list[str] = []

        async def send(message: dict[str, Any]) -> None:
            # A failed start must end the wait too: a test waiting forever says nothing.
            if message["type"] == "lifespan.startup.failed":
                failure.append(str(message.get("message", "")))
            if message["type"] in ("lifespan.startup.complete", "lifespan.startup.failed"):
                started.set()

        await self._inbox.put({"type": "lifespan.startup"})
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self._task = asyncio.get_running_loop().create_task(self.app(scope, self._inbox.get, send))
        await started.wait()
        if failure:
            task, self._task = self._task, None
            with contextlib.suppress(BaseException):
                await task  # the lifespan re-raises what failed; it is named below
            raise RuntimeError(f"the service did not start: {failure[0]}")

    async def stop(self) -> None:
        if self._task is not None and self._inbox is not None:
            await self._inbox.put({"type": "lifespan.shutdown"})
            await self._task
            self._task = None


def service_schema(
    factory: Callable[[Settings], FastAPI],
    service: ServiceName,
    *,
    var_dir: Path = _VAR_DIR,
    max_examples: int = MAX_EXAMPLES,
    deterministic: bool = True,
    database_url: str | None = None,
    schema_prefix: str | None = None,
) -> Any:
    settings = make_settings(
        service, var_dir / service.value, database_url=database_url, schema_prefix=schema_prefix
    )
    app = factory(settings)
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = StartedOnce(app)  # called in-process through its ASGI interface
    schema.config.generation.update(
        max_examples=max_examples,
        deterministic=deterministic,
        no_shrink=True,
        with_security_parameters=False,  # the token is ours, below
        database="none",
    )
    # Stateful sequences are left out to stay within about a minute and a half on two cores.
    schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
    # /readyz takes no input and answers 503 by design while NATS is unreachable, as here.
    return schema.exclude(path="/readyz")


def stop_services(schemas: Sequence[Any], var_dir: Path) -> None:
    """At the end of a module: stop the services the schemas started, on schemathesis' one
    event-loop thread where they run, and remove their stores."""
    shutdown_lifespans()
    portal = _get_portal()
    for schema in schemas:
        portal.call(schema.app.stop)
    shutil.rmtree(var_dir, ignore_errors=True)


def call_as_allowed_role(case: schemathesis.Case, rules: Mapping[str, frozenset[Role]]) -> None:
    headers: dict[str, str] = {}
    if case.operation.path not in PUBLIC_OPERATIONS:
        allowed = {**SHARED_ACCESS_RULES, **rules}
        role = role_for(allowed, case.operation.method, case.operation.path)
        headers = bearer(role, subject="fuzz-1", team="west")
    response = case.call(headers=headers)
    if any(covers(response) for _, covers in KNOWN_ELSEWHERE):
        return
    case.validate_response(response, checks=CHECKS, headers=headers)


@pytest.fixture(scope="module", autouse=True)
def _stop_services() -> Iterator[None]:
    yield
    stop_services((visits, cases, notifications), _VAR_DIR)


FUZZ = settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
    print_blob=False,
)

visits = service_schema(visits_app, ServiceName.VISITS)
cases = service_schema(cases_app, ServiceName.CASES)
notifications = service_schema(notifications_app, ServiceName.NOTIFICATIONS)


@visits.parametrize()
@FUZZ
def test_every_visits_route_answers_as_documented(case: schemathesis.Case) -> None:
    call_as_allowed_role(case, VISITS_RULES)


@cases.parametrize()
@FUZZ
def test_every_cases_route_answers_as_documented(case: schemathesis.Case) -> None:
    call_as_allowed_role(case, CASES_RULES)


@notifications.parametrize()
@FUZZ
def test_every_notifications_route_answers_as_documented(case: schemathesis.Case) -> None:
    call_as_allowed_role(case, NOTIFICATIONS_RULES)


def test_between_them_the_fuzzed_routes_are_called_as_every_role() -> None:
    chosen = {
        role_for({**SHARED_ACCESS_RULES, **rules}, *route.split(" ", 1))
        for rules in (VISITS_RULES, CASES_RULES, NOTIFICATIONS_RULES)
        for route in {**SHARED_ACCESS_RULES, **rules}
    }
    assert chosen == set(Role)
