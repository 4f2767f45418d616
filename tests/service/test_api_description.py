"""Each service describes how to authenticate and every problem it can answer, and serves its
interactive docs from itself alone."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.cases.main import create_app as cases_app
from services.notifications.main import create_app as notifications_app
from services.visits.main import create_app as visits_app
from shared.http.docs import ASSETS, STATIC_DIR
from shared.http.openapi import PUBLIC_OPERATIONS, error_statuses
from shared.http.problems import PROBLEM_JSON
from shared.security.roles import Role
from shared.settings import ServiceName, Settings
from tests.support import bearer, make_settings

FACTORIES: dict[ServiceName, Callable[[Settings], FastAPI]] = {
    ServiceName.VISITS: visits_app,
    ServiceName.CASES: cases_app,
    ServiceName.NOTIFICATIONS: notifications_app,
}
EVERY_AUTHENTICATED_ROUTE = {"401", "403", "404", "413", "415", "422", "503"}


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> dict[ServiceName, dict[str, Any]]:
    var_dir = tmp_path_factory.mktemp("openapi")
    return {
        service: TestClient(factory(make_settings(service, var_dir))).get("/openapi.json").json()
        for service, factory in FACTORIES.items()
    }


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(visits_app(make_settings(ServiceName.VISITS, tmp_path / "var"))) as client:
        yield client


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, by_method in spec["paths"].items():
        for method, operation in by_method.items():
            yield path, method, operation


def test_every_route_but_health_needs_the_bearer_token_swagger_ui_can_authorize_with(
    specs: dict[ServiceName, dict[str, Any]],
) -> None:
    for service, spec in specs.items():
        assert spec["components"]["securitySchemes"]["bearer"] == {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": spec["components"]["securitySchemes"]["bearer"]["description"],
        }, service
        assert spec["security"] == [{"bearer": []}]
        for path, method, operation in operations(spec):
            if path in PUBLIC_OPERATIONS:
                assert operation["security"] == [], (service, path)
            else:
                assert "security" not in operation, (service, method, path)  # the global one


def test_every_route_documents_each_problem_it_can_answer_as_problem_json(
    specs: dict[ServiceName, dict[str, Any]],
) -> None:
    for service, spec in specs.items():
        for path, method, operation in operations(spec):
            if path in PUBLIC_OPERATIONS:
                continue
            where = (service, method, path)
            documented = set(operation["responses"])
            assert documented >= EVERY_AUTHENTICATED_ROUTE, where
            if method != "get":
                assert "409" in documented, where
            if any(p["name"] == "If-Match" for p in operation.get("parameters", [])):
                assert "412" in documented, where
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"] == {
                        PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
                    }, (*where, status)
        assert "HTTPValidationError" not in spec["components"]["schemas"]
        assert set(spec["components"]["schemas"]["Problem"]["required"]) == {
            "type",
            "title",
            "status",
        }


def test_the_error_statuses_follow_from_the_shape_of_an_operation() -> None:
    read = error_statuses({"parameters": []}, "get")
    command = error_statuses(
        {"parameters": [{"in": "header", "name": "If-Match"}], "requestBody": {}}, "post"
    )
    assert set(read) == {401, 403, 404, 413, 415, 422, 503}
    assert set(command) == set(read) | {409, 412}
    assert 412 not in error_statuses({"requestBody": {}}, "post")


def test_the_documented_problem_is_what_a_refusal_actually_sends(client: TestClient) -> None:
    refused = client.get("/visits/00000000-0000-0000-0000-000000000000")
    invalid = client.post("/visits", json={"visit_id": "x"}, headers=bearer(Role.OUTREACH))
    assert refused.status_code == 401 and refused.headers["content-type"] == PROBLEM_JSON
    assert invalid.status_code == 422 and invalid.headers["content-type"] == PROBLEM_JSON
    schema = client.get("/openapi.json").json()["components"]["schemas"]["Problem"]
    for body in (refused.json(), invalid.json()):
        assert set(body) <= set(schema["properties"])
        assert set(schema["required"]) <= set(body)


def test_the_docs_page_loads_nothing_from_outside_the_service(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/docs/static/") for source in sources), sources
    assert "https://" not in page.text and "http://" not in page.text
    assert "<script>" not in page.text  # no inline script: the policy below forbids it
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe-inline" not in policy and "https:" not in policy and "cdn" not in policy


def test_the_docs_assets_are_served_without_a_token_with_their_content_type(
    client: TestClient,
) -> None:
    for name, media_type in ASSETS.items():
        response = client.get(f"/docs/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"] == media_type
        assert response.content == (STATIC_DIR / name).read_bytes()
    assert client.get("/docs/static/swagger-ui.css.map").status_code == 401  # nothing else
    assert client.get("/redoc").status_code == 401  # no ReDoc page, so not public either


def test_the_docs_start_swagger_ui_on_this_services_description() -> None:
    script = (STATIC_DIR / "swagger-init.js").read_text()
    assert 'url: "/openapi.json"' in script
    assert "://" not in script  # no remote URL at all
