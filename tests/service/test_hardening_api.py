"""Edges of the services' APIs a deep fuzzing run found (tests/deep, docs/security.md): each a
plain refusal that names the field and never repeats what was sent."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.cases.main import create_app as cases_app
from services.notifications.main import create_app as notifications_app
from services.visits.main import create_app as visits_app
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.support import bearer, served

ADMIN = bearer(Role.ADMIN, subject="admin-1")
APPS = {
    ServiceName.VISITS: visits_app,
    ServiceName.CASES: cases_app,
    ServiceName.NOTIFICATIONS: notifications_app,
}
#: What a caller might put where a projection's name goes.
TYPED = ["Maria Popescu", "<img src=x onerror=alert(1)>", "caseload-\u00e9\u00e9"]


@pytest.fixture(params=list(APPS), ids=lambda s: s.value)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    name: ServiceName = request.param
    with served(APPS[name], name, tmp_path / "var", ADMIN) as client:
        yield client


@pytest.mark.parametrize("typed", TYPED)
def test_given_no_projection_of_that_name_then_404_never_repeats_the_name(
    service: TestClient, typed: str
) -> None:
    for answer in (
        service.get(f"/admin/projections/{typed}"),
        service.post(f"/admin/projections/{typed}/rebuild"),
    ):
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == "urn:waymark:problem:projection-not-found"
        assert typed not in answer.text
        assert "alert" not in answer.text


# -- a cursor is opaque, but it is still input -------------------------------------------------


def cursor(*parts: object) -> str:
    """A cursor as a client could forge one: base64url JSON, like the real ones."""
    text = json.dumps(list(parts))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


#: (service, list, a forged cursor of that list): each part of the right JSON type, but beyond
#: what a store can hold or compare — past signed 64 bits, a lone surrogate, a NUL.
FORGED = [
    (ServiceName.CASES, "/journeys", ("journeys", "2026-01-01", 2**70, "x")),
    (ServiceName.CASES, "/journeys", ("journeys", "2026-01-01", -(2**63) - 1, "x")),
    (ServiceName.CASES, "/journeys", ("journeys", "\ud800", 1, "x")),
    (ServiceName.CASES, "/journeys", ("journeys", "2026\x00", 1, "x")),
    (ServiceName.CASES, "/referrals", ("referrals", 2**64, "a", "b")),
    (ServiceName.CASES, "/referrals", ("referrals", 1, "\udfff", "b")),
    (ServiceName.CASES, "/due", ("due", "\ud800", "b")),
    (ServiceName.CASES, "/due", ("due", "a", "b\x00")),
    (ServiceName.VISITS, "/visits", ("visits", "\ud800", "b")),
    (ServiceName.VISITS, "/visits", ("visits", "\x00", "b")),
]


@pytest.mark.parametrize(
    ("name", "path", "parts"), FORGED, ids=[f"{p}-{i}" for i, (_, p, _) in enumerate(FORGED)]
)
def test_given_a_forged_cursor_beyond_what_a_store_holds_then_422_naming_the_cursor(
    tmp_path: Path,
    database: tuple[str | None, str | None],
    name: ServiceName,
    path: str,
    parts: tuple[object, ...],
) -> None:
    lead = bearer(Role.SAFEGUARDING_LEAD, subject="cw-1", team="west")
    with served(APPS[name], name, tmp_path / "var", lead, database=database) as client:
        answer = client.get(path, params={"cursor": cursor(*parts)})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"] == [
        {"field": "query.cursor", "reason": "is not a cursor of this list: pass back a next_cursor"}
    ]
