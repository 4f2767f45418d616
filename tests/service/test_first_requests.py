"""An app's routes are built when it is made, so its first requests build nothing.

FastAPI builds an included router's routes when a request first walks them, each parameter
under ``warnings.catch_warnings()``, which swaps the process's warning filters and is not
thread-safe. Two apps in one process taking their first requests at once let pydantic's
``UnsupportedFieldAttributeWarning`` escape: a stray warning, or under ``-W error`` a 500 (found
in CI by tests/cluster/test_replicas_race.py). ``shared.http.app.build_every_route`` builds
them as the app is made.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi._compat import v2
from fastapi.testclient import TestClient

from services.cases.main import create_app as cases_app
from services.notifications.main import create_app as notifications_app
from services.visits.main import create_app as visits_app
from services.web.main import create_app as web_app
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.support import at_once, bearer, make_settings, visit_body, web_settings

pytestmark = pytest.mark.filterwarnings("error::pydantic.warnings.UnsupportedFieldAttributeWarning")
LEAD = bearer(roles=(Role.OUTREACH, Role.SAFEGUARDING_LEAD), subject="v-1")


class FieldsBuilt:
    """Each request parameter FastAPI builds (a ``ModelField``), by name, once serving starts."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.serving = threading.Event()


@pytest.fixture
def fields_built(monkeypatch: pytest.MonkeyPatch) -> FieldsBuilt:
    seen = FieldsBuilt()
    original = v2.ModelField.__post_init__

    def counted(field: Any) -> None:
        if seen.serving.is_set():
            seen.names.append(field.name)
        original(field)

    monkeypatch.setattr(v2.ModelField, "__post_init__", counted)
    return seen


def test_given_two_replicas_just_started_when_their_first_posts_come_at_once_then_both_answer(
    tmp_path: Path, fields_built: FieldsBuilt
) -> None:
    replicas = [
        visits_app(make_settings(ServiceName.VISITS, tmp_path / name)) for name in ("a", "b")
    ]
    with TestClient(replicas[0], headers=LEAD) as a, TestClient(replicas[1], headers=LEAD) as b:
        fields_built.serving.set()
        answers = at_once(
            lambda: a.post("/visits", json=visit_body()),
            lambda: b.post("/visits", json=visit_body()),
        )
    assert [answer.status_code for answer in answers] == [201, 201], [a.text for a in answers]
    assert fields_built.names == []


@pytest.mark.parametrize(
    ("service", "create_app", "path"),
    [
        (ServiceName.VISITS, visits_app, "/visits"),
        (ServiceName.CASES, cases_app, "/journeys"),
        (ServiceName.NOTIFICATIONS, notifications_app, "/audit"),
    ],
    ids=["visits", "cases", "notifications"],
)
def test_given_a_service_just_made_when_its_first_request_comes_then_no_route_is_built(
    tmp_path: Path,
    fields_built: FieldsBuilt,
    service: ServiceName,
    create_app: Callable[[Any], Any],
    path: str,
) -> None:
    admin = bearer(roles=(Role.ADMIN, Role.SAFEGUARDING_LEAD), subject="admin-1")
    with TestClient(create_app(make_settings(service, tmp_path)), headers=admin) as client:
        fields_built.serving.set()
        assert client.get(path).status_code == 200
    assert fields_built.names == []


def test_given_the_web_app_just_made_when_its_first_page_is_asked_for_then_no_route_is_built(
    tmp_path: Path, fields_built: FieldsBuilt
) -> None:
    app = web_app(web_settings(tmp_path), httpx.MockTransport(lambda _: httpx.Response(503)))
    with TestClient(app, follow_redirects=False) as client:
        fields_built.serving.set()
        assert client.get("/sign-in").status_code == 200
    assert fields_built.names == []
