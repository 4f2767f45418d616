"""Edges of the services' APIs a deep fuzzing run found (tests/deep, docs/security.md): each a
plain refusal that names the field and never repeats what was sent."""

from __future__ import annotations

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
