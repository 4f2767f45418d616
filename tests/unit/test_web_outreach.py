"""The outreach app's JSON endpoints, with the visits service replaced by a recording fake."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi.testclient import TestClient

from services.web.main import create_app
from services.web.sessions import COOKIE
from shared.contracts.base import IDENTIFIER, STAFF_ID
from shared.security.roles import Role
from tests.support import web_settings

ORIGIN = "http://testserver"


class FakeVisits:
    """Answers as the visits service would; remembers what it was sent."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []
        self.answer: httpx.Response = httpx.Response(201)
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if self.down:
            raise httpx.ConnectError("refused")
        return self.answer


@pytest.fixture
def visits() -> FakeVisits:
    return FakeVisits()


@pytest.fixture
def client(tmp_path: Path, visits: FakeVisits) -> Iterator[TestClient]:
    settings = web_settings(tmp_path, safeguarding_phone="0100")
    app = create_app(settings, transport=httpx.MockTransport(visits))
    with TestClient(app, base_url=ORIGIN) as test_client:
        yield test_client


def signed_in(client: TestClient, *roles: Role) -> str:
    store = client.app.state.sessions  # type: ignore[attr-defined]
    session = store.create(
        subject="vol-1",
        roles=frozenset(roles or (Role.OUTREACH,)),
        team="west",
        access_token="token-of-vol-1",
        token_expires_at=time.time() + 3600,
    )
    client.cookies.set(COOKIE, session.id)
    return str(session.csrf_token)


def post(client: TestClient, path: str, body: Any, **headers: str) -> httpx.Response:
    return client.post(
        path,
        content=json.dumps(body),
        headers={"Content-Type": "application/json", "Origin": ORIGIN, **headers},
    )


def test_given_no_session_when_the_app_asks_then_it_gets_401_json_not_a_redirect(
    client: TestClient,
) -> None:
    for path in ("/outreach/api/session", "/outreach/api/reference", "/outreach/api/premises"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith(":signed-out")


def test_given_a_session_then_the_app_gets_its_csrf_token_and_her_ids(client: TestClient) -> None:
    token = signed_in(client)
    me = client.get("/outreach/api/session").json()
    assert me == {"subject": "vol-1", "team": "west", "csrf_token": token}


def test_a_post_without_the_token_or_from_elsewhere_is_refused_and_not_forwarded(
    client: TestClient, visits: FakeVisits
) -> None:
    token = signed_in(client)
    assert post(client, "/outreach/api/visits", {}).status_code == 403
    cross = client.post(
        "/outreach/api/visits",
        content="{}",
        headers={"X-CSRF-Token": token, "Origin": "https://elsewhere.example"},
    )
    assert cross.status_code == 403 and cross.json()["type"].endswith(":csrf")
    assert visits.seen == []


def test_a_visit_is_forwarded_with_her_token_and_key_and_answers_only_ids(
    client: TestClient, visits: FakeVisits
) -> None:
    token = signed_in(client)
    visit_id = str(uuid4())
    visits.answer = httpx.Response(
        200,
        json={"visit_id": visit_id, "version": 3, "contacts": [{"alias": "Marker-alias"}]},
        headers={"ETag": 'W/"3"', "Idempotent-Replayed": "true"},
    )
    body = {"visit_id": visit_id, "contacts": [{"alias": "Marker-alias"}]}
    response = post(
        client, "/outreach/api/visits", body, **{"X-CSRF-Token": token, "Idempotency-Key": "k-1"}
    )
    assert response.status_code == 200
    assert response.json() == {"visit_id": visit_id, "version": 3, "replayed": True}
    assert "Marker" not in response.text
    (sent,) = visits.seen
    assert sent.url.path == "/visits" and sent.headers["Idempotency-Key"] == "k-1"
    assert sent.headers["Authorization"] == "Bearer token-of-vol-1"
    assert json.loads(sent.content) == body


@pytest.mark.parametrize(
    ("field", "reason", "sentence"),
    [
        ("contacts.0.indicators.0.indicator", "unknown code", "Choose one from the list."),
        # An id out of shape: a sentence, not the pattern, which means nothing to her.
        (
            "volunteers.1",
            f"String should match pattern '{STAFF_ID}'",
            "Check this answer: it holds a space or a character not allowed.",
        ),
    ],
)
def test_a_refusal_is_passed_on_with_a_sentence_for_the_visit_and_each_field(
    client: TestClient, visits: FakeVisits, field: str, reason: str, sentence: str
) -> None:
    token = signed_in(client)
    visits.answer = httpx.Response(
        422,
        json={
            "type": "urn:waymark:problem:validation",
            "title": "Invalid request",
            "errors": [{"field": f"body.{field}", "reason": reason}],
        },
    )
    response = post(client, "/outreach/api/visits", {}, **{"X-CSRF-Token": token})
    assert response.status_code == 422
    problem = response.json()
    assert problem["message"] == "Some answers need correcting. Each one is marked below."
    assert problem["fields"] == {field: sentence}


def test_a_step_goes_to_its_visits_route_with_if_match_and_an_unknown_one_is_404(
    client: TestClient, visits: FakeVisits
) -> None:
    token = signed_in(client)
    visit_id = str(uuid4())
    visits.answer = httpx.Response(200, json={"visit_id": visit_id, "version": 2})
    ok = post(
        client,
        f"/outreach/api/visits/{visit_id}/contacts",
        {"contact_id": "c"},
        **{"X-CSRF-Token": token, "If-Match": '"1"'},
    )
    assert ok.status_code == 200
    assert visits.seen[0].url.path == f"/visits/{visit_id}/contacts"
    assert visits.seen[0].headers["If-Match"] == '"1"'
    for path in (f"/outreach/api/visits/{visit_id}/Marker-step", "/outreach/api/visits/x/contacts"):
        response = post(client, path, {}, **{"X-CSRF-Token": token})
        assert response.status_code == 404 and "Marker" not in response.text
    assert len(visits.seen) == 1


def test_an_expired_token_ends_the_session_and_answers_401(
    client: TestClient, visits: FakeVisits
) -> None:
    token = signed_in(client)
    visits.answer = httpx.Response(401)
    response = post(client, "/outreach/api/visits", {}, **{"X-CSRF-Token": token})
    assert response.status_code == 401
    assert client.get("/outreach/api/session").status_code == 401


def test_a_service_down_answers_503_for_the_app_to_retry(
    client: TestClient, visits: FakeVisits
) -> None:
    token = signed_in(client)
    visits.down = True
    response = post(client, "/outreach/api/visits", {}, **{"X-CSRF-Token": token})
    assert response.status_code == 503 and response.json()["type"].endswith(":down")


def test_a_body_that_is_not_json_or_too_large_is_refused_without_forwarding(
    client: TestClient, visits: FakeVisits
) -> None:
    token = signed_in(client)
    headers = {"X-CSRF-Token": token, "Origin": ORIGIN, "Content-Type": "application/json"}
    bad = client.post("/outreach/api/visits", content="Marker{", headers=headers)
    assert bad.status_code == 400 and "Marker" not in bad.text
    big = client.post("/outreach/api/visits", content="[" + "0," * 300_000 + "0]", headers=headers)
    assert big.status_code == 413
    assert visits.seen == []


def test_a_caseworker_may_not_record_visits_through_the_app(client: TestClient) -> None:
    signed_in(client, Role.CASEWORKER)
    assert client.get("/outreach/api/session").status_code == 403
    assert client.get("/outreach/", follow_redirects=False).status_code == 403


def test_the_shell_carries_no_session_values_and_the_worker_its_scope(client: TestClient) -> None:
    token = signed_in(client)
    shell = client.get("/outreach/")
    assert shell.status_code == 200
    assert token not in shell.text and "vol-1" not in shell.text
    assert 'data-safeguarding-phone="0100"' in shell.text
    worker = client.get("/outreach/sw.js")
    assert worker.headers["service-worker-allowed"] == "/outreach/"
    assert "__VERSION__" not in worker.text and "__ASSETS__" not in worker.text


def test_the_shell_gives_the_app_the_services_own_id_patterns(client: TestClient) -> None:
    signed_in(client)
    page = client.get("/outreach/")
    assert page.status_code == 200
    root = re.search(r'<div id="outreach"[^>]*>', page.text)
    assert root is not None
    assert f'data-team-pattern="{html.escape(IDENTIFIER)}"' in root.group()
    assert f'data-staff-id-pattern="{html.escape(STAFF_ID)}"' in root.group()
