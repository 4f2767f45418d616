"""/metrics, request ids and the latency histogram's labels, through a real service app."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from services.visits.main import create_app
from shared.http.observability import Observability
from shared.logging import configure_logging
from shared.observability import metrics
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.service.test_visits_http import visit_body
from tests.support import bearer, make_settings, web_settings

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(ServiceName.VISITS, tmp_path / "var")
    with TestClient(
        create_app(settings), headers=bearer(roles=(Role.OUTREACH,), subject="v-1")
    ) as test_client:
        yield test_client


def scrape(client: TestClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    response = client.get("/metrics", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def test_metrics_are_served_without_a_token_and_are_not_part_of_the_api(
    client: TestClient,
) -> None:
    client.get("/healthz")
    samples = scrape(client)
    assert any(
        labels["route"] == "/healthz"
        for labels, _ in samples["waymark_http_request_duration_seconds_count"]
    )
    assert client.get("/metrics").status_code == 200  # a token changes nothing
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_latency_is_labelled_by_route_template_and_never_by_an_id(client: TestClient) -> None:
    body = visit_body()
    assert client.post("/visits", json=body).status_code == 201
    visit_id = body["visit_id"]
    assert client.get(f"/visits/{visit_id}").status_code == 200
    assert client.get(f"/visits/{uuid4()}").status_code == 404
    assert client.get(f"/no/such/place/{uuid4()}").status_code == 404
    samples = scrape(client)
    counts: dict[tuple[str, str, str], float] = {
        (labels["method"], labels["route"], labels["status"]): value
        for labels, value in samples["waymark_http_request_duration_seconds_count"]
        if labels["service"] == "visits"
    }
    assert counts[("POST", "/visits", "201")] >= 1
    assert counts[("GET", "/visits/{visit_id}", "200")] >= 1
    assert counts[("GET", "/visits/{visit_id}", "404")] >= 1
    assert counts[("GET", "unmatched", "404")] >= 1
    # A method is the client's to choose: any but the usual ones is one label, OTHER.
    client.request("BREW-9f1c2e", f"/visits/{visit_id}")
    methods = {
        labels["method"]
        for labels, _ in scrape(client)["waymark_http_request_duration_seconds_count"]
    }
    assert "OTHER" in methods and not any("BREW" in method for method in methods)
    for name, found in samples.items():
        for labels, _ in found:
            for value in labels.values():
                assert not UUID_TEXT.search(value), (name, labels)
                assert visit_id not in value


def test_a_store_write_moves_the_log_head_gauge(client: TestClient) -> None:
    assert client.post("/visits", json=visit_body()).status_code == 201
    samples = scrape(client)["waymark_log_head_position"]
    heads = [value for labels, value in samples if labels == {"service": "visits"}]
    assert heads and heads[0] >= 1


def test_every_answer_has_a_request_id_and_a_problem_quotes_it(client: TestClient) -> None:
    ok = client.get("/healthz")
    generated = ok.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/healthz").headers["x-request-id"] != generated
    problem = client.post("/visits", json={"visit_id": "nope"})
    assert problem.status_code == 422
    assert problem.json()["request_id"] == problem.headers["x-request-id"]
    refused = client.get("/visits", headers={"Authorization": ""})
    assert refused.status_code == 401
    assert refused.json()["request_id"] == refused.headers["x-request-id"]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("6f1c3d1e-7a0b-4c4e-9a51-2b7d2f0e9c11", True),  # a UUID (Envoy)
        ("3f2a9c0d8e7b6a5f4e3d2c1b0a998877", True),  # 32 hex digits (nginx)
        ("0123456789abcde", False),  # under 16
        ("a" * 65, False),
        ("Ana-Maria-Popescu", False),  # letters: could be anything a person typed
        ("req-2026.11.29_abc", False),
        ("has space in it", False),
        ("<script>alert(1)</script>", False),
        ("deadbeef%0d%0aSet-Cookie", False),
    ],
)
def test_an_incoming_request_id_is_kept_only_when_it_is_a_safe_token(
    client: TestClient, sent: str, kept: bool
) -> None:
    answer = client.get("/healthz", headers={"X-Request-Id": sent})
    assert (answer.headers["x-request-id"] == sent) is kept
    if not kept:
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])


def test_each_log_line_written_during_a_request_carries_its_id(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    configure_logging(make_settings(ServiceName.VISITS, tmp_path, log_json=True))
    app = FastAPI()
    app.add_middleware(Observability, service="test")

    @app.get("/sync")
    def in_a_thread() -> dict[str, str]:
        structlog.get_logger("t").info("sync.work", count=1)
        return {}

    @app.get("/async")
    async def on_the_loop() -> dict[str, str]:
        structlog.get_logger("t").info("async.work", count=2)
        return {}

    with TestClient(app) as test_client:
        capsys.readouterr()
        ids = [test_client.get(path).headers["x-request-id"] for path in ("/sync", "/async")]
        structlog.get_logger("t").info("outside.work")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    by_event = {line["event"]: line for line in lines}
    assert by_event["sync.work"]["request_id"] == ids[0]
    assert by_event["async.work"]["request_id"] == ids[1]
    assert "request_id" not in by_event["outside.work"]


def test_every_metric_the_lease_code_sets_is_defined() -> None:
    names = metrics.metric_names()
    assert {"waymark_lease_held", "waymark_lease_failovers_total"} <= names
    metrics.LEASE_HELD.labels(work="relay").set(1)
    metrics.LEASE_FAILOVERS.labels(work="relay").inc()


def test_delivery_outcomes_count_failures_and_give_ups_by_channel() -> None:
    def value(metric: str) -> float:
        from prometheus_client import REGISTRY

        return REGISTRY.get_sample_value(metric, {"channel": "webhook"}) or 0.0

    failed, given_up = (
        value("waymark_notification_deliveries_failed_total"),
        value("waymark_notification_deliveries_given_up_total"),
    )
    metrics.observe_delivery_outcome("webhook", delivered=True, gave_up=False)
    metrics.observe_delivery_outcome("webhook", delivered=False, gave_up=False)
    metrics.observe_delivery_outcome("webhook", delivered=False, gave_up=True)
    assert value("waymark_notification_deliveries_failed_total") == failed + 2
    assert value("waymark_notification_deliveries_given_up_total") == given_up + 1


def test_the_web_app_serves_metrics_and_request_ids_too(tmp_path: Path) -> None:
    from services.web.main import create_app as create_web

    settings = web_settings(tmp_path, visits_url="http://127.0.0.1:9")
    with TestClient(create_web(settings), base_url="http://127.0.0.1:8000") as web:
        page = web.get(f"/journeys/{uuid4()}", follow_redirects=False)
        assert page.headers["x-request-id"]
        samples = scrape(web)
    routes = {
        labels["route"]
        for labels, _ in samples["waymark_http_request_duration_seconds_count"]
        if labels["service"] == "web"
    }
    assert routes and not any(UUID_TEXT.search(route) for route in routes)
