"""Edges of the web app a fuzzer found: input no person types, but a browser, a proxy or a
tampered form can send. Each once answered 500; each must be a plain refusal, nothing sent on
that the services could not read, and nothing changed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from fastapi.testclient import TestClient

from services.web.main import create_app
from services.web.sessions import COOKIE, Session
from shared.security.roles import Role
from tests.service.test_web_form_pages import NEEDS, FakeCases, answers, hidden, sign_in
from tests.support import web_settings

VISIT_ID = str(uuid4())
NOTIFICATION_ID = str(uuid4())


class Visits:
    """Records what the outreach app's calls reach the visits service with."""

    def __init__(self) -> None:
        self.received: list[httpx.Request] = []
        self.down: httpx.Response | type[httpx.HTTPError] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.received.append(request)
        if isinstance(self.down, httpx.Response):
            return self.down
        if self.down is not None:
            raise self.down("the visits service could not be reached", request=request)
        return httpx.Response(201, json={"visit_id": VISIT_ID, "version": 1})


@pytest.fixture
def visits() -> Visits:
    return Visits()


def _signed_in(client: TestClient, role: Role) -> Session:
    session: Session = client.app.state.sessions.create(  # type: ignore[attr-defined]
        subject="o-1",
        roles=frozenset({role}),
        team="west",
        access_token="token",
        token_expires_at=time.time() + 600,
    )
    client.cookies.set(COOKIE, session.id)
    return session


@pytest.fixture
def outreach(tmp_path: Path, visits: Visits) -> Iterator[tuple[TestClient, Session]]:
    app = create_app(web_settings(tmp_path), httpx.MockTransport(visits))
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        yield client, _signed_in(client, Role.OUTREACH)


@pytest.fixture
def pages(tmp_path: Path, cases: FakeCases) -> Iterator[TestClient]:
    app = create_app(web_settings(tmp_path), httpx.MockTransport(cases))
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def cases() -> FakeCases:
    return FakeCases()


# -- the CSRF token ----------------------------------------------------------------------------

NOT_ASCII = ["é", "\u00b2", "token-\u200b", "\U0001f600"]


def her_needs_form(pages: TestClient) -> dict[str, object]:
    """Signed in and on her needs assessment: the form's fields, answered (housing)."""
    sign_in(pages, NEEDS)
    return answers(pages.get(NEEDS).text, needs=["housing"])


@pytest.mark.parametrize("token", NOT_ASCII)
def test_given_a_form_whose_csrf_token_is_not_ascii_then_it_is_refused_as_any_wrong_token(
    pages: TestClient, cases: FakeCases, token: str
) -> None:
    sent = pages.post(NEEDS, data={**her_needs_form(pages), "csrf_token": token})
    assert sent.status_code == 403
    assert "Please try again" in sent.text
    assert cases.posts == []


@pytest.mark.parametrize("token", NOT_ASCII)
def test_given_a_csrf_header_that_is_not_ascii_then_it_is_refused_as_any_wrong_token(
    pages: TestClient, cases: FakeCases, token: str
) -> None:
    form = her_needs_form(pages)
    del form["csrf_token"]
    sent = pages.post(NEEDS, data=form, headers={"X-CSRF-Token": token.encode()})
    assert sent.status_code == 403
    assert cases.posts == []


@pytest.mark.parametrize("token", NOT_ASCII)
def test_given_the_outreach_app_sends_a_csrf_token_that_is_not_ascii_then_it_is_a_403_problem(
    outreach: tuple[TestClient, Session], visits: Visits, token: str
) -> None:
    client, _ = outreach
    sent = client.post(
        "/outreach/api/visits", content=b"{}", headers={"X-CSRF-Token": token.encode()}
    )
    assert sent.status_code == 403
    assert sent.headers["content-type"] == "application/problem+json"
    assert sent.json()["type"].endswith(":csrf")
    assert visits.received == []


# -- the outreach app's bodies and headers -----------------------------------------------------


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_given_the_outreach_app_sends_json_nested_too_deep_then_it_is_a_400_problem(
    outreach: tuple[TestClient, Session], visits: Visits, depth: int
) -> None:
    client, session = outreach
    body = b"[" * depth + b"]" * depth
    sent = client.post(
        "/outreach/api/visits", content=body, headers={"X-CSRF-Token": session.csrf_token}
    )
    assert sent.status_code == 400
    assert sent.json()["type"].endswith(":not-json")
    assert visits.received == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"premises_label": "\\ud800"}',  # a lone surrogate: JSON, but no Unicode text
        b'{"premises_label": NaN}',
        b'{"premises_label": -Infinity}',
    ],
    ids=["lone surrogate", "NaN", "Infinity"],
)
@pytest.mark.parametrize(
    "path", ["/outreach/api/visits", f"/outreach/api/visits/{VISIT_ID}/contacts"]
)
def test_given_json_the_visits_service_must_judge_then_it_is_passed_on_as_sent(
    outreach: tuple[TestClient, Session], visits: Visits, body: bytes, path: str
) -> None:
    client, session = outreach
    sent = client.post(path, content=body, headers={"X-CSRF-Token": session.csrf_token})
    assert sent.status_code == 201
    (received,) = visits.received
    assert received.content == body
    assert received.headers["content-type"] == "application/json"


@pytest.mark.parametrize("header", ["Idempotency-Key", "If-Match"])
@pytest.mark.parametrize("value", ["été", '"²"', "ÿ", "\U0001f600"])
def test_given_headers_that_are_not_ascii_then_the_visits_service_gets_them_byte_for_byte(
    outreach: tuple[TestClient, Session], visits: Visits, header: str, value: str
) -> None:
    client, session = outreach
    step = f"/outreach/api/visits/{VISIT_ID}/contacts"
    path = "/outreach/api/visits" if header == "Idempotency-Key" else step
    sent = client.post(
        path,
        content=b"{}",
        headers={"X-CSRF-Token": session.csrf_token, header: value.encode()},
    )
    assert sent.status_code == 201
    (received,) = visits.received
    assert dict(received.headers.raw)[header.encode()] == value.encode()
    assert json.loads(received.content) == {}


# -- the visits service out of reach ------------------------------------------------------------


@pytest.mark.parametrize(
    ("down", "wait"),
    [
        (httpx.Response(503, headers={"Retry-After": "7"}), "7"),
        (httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}), "5"),
        (httpx.Response(503, headers={"Retry-After": "9" * 5_000}), "300"),
        (httpx.Response(500), "5"),
        (httpx.ConnectError, "5"),
        (httpx.ReadTimeout, "5"),
    ],
    ids=["its wait", "a date", "a wait past reason", "no wait said", "unreachable", "no answer"],
)
def test_given_the_visits_service_down_then_the_outreach_app_is_told_when_to_send_again(
    outreach: tuple[TestClient, Session],
    visits: Visits,
    down: httpx.Response | type[httpx.HTTPError],
    wait: str,
) -> None:
    client, session = outreach
    visits.down = down
    sent = client.post(
        "/outreach/api/visits", content=b"{}", headers={"X-CSRF-Token": session.csrf_token}
    )
    assert sent.status_code == 503
    assert sent.json()["type"].endswith(":down")
    assert sent.headers["Retry-After"] == wait


# -- a form's version ----------------------------------------------------------------------------

#: Text ``str.isdigit`` calls digits that are no version: superscripts, other scripts' digits.
NOT_A_VERSION = ["\u00b2", "\u0663", "3\u00b2", "é", "3\r\nX-Injected: 1"]


@pytest.mark.parametrize("version", NOT_A_VERSION)
def test_given_a_journey_form_whose_version_is_not_one_then_it_is_stale_never_a_crash(
    pages: TestClient, cases: FakeCases, version: str
) -> None:
    sent = pages.post(NEEDS, data={**her_needs_form(pages), "version": version})
    # The service refuses an If-Match that names no version of hers, as for a stale form: her
    # answers stay, and the form now carries the journey as it is.
    assert sent.status_code == 412
    assert hidden(sent.text, "version") == "3"
    ((_, if_match, _),) = cases.posts
    assert if_match is not None and if_match.isascii() and "\n" not in if_match
    assert cases.version == 3  # nothing was saved


class Inbox:
    def __init__(self) -> None:
        self.posts: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.posts.append(request)
            return httpx.Response(200, json={"notification_id": NOTIFICATION_ID, "version": 2})
        return httpx.Response(
            200,
            json={
                "notification_id": NOTIFICATION_ID,
                "version": 1,
                "state": "unread",
                "rule": "urgent_concern_raised",
                "recipient": "role:safeguarding_lead",
                "created_at": "2026-11-27T20:00:00+00:00",
            },
            headers={"ETag": '"1"'},
        )


@pytest.mark.parametrize("version", NOT_A_VERSION)
@pytest.mark.parametrize("action", ["read", "acknowledgement"])
def test_given_an_inbox_action_whose_version_is_not_one_then_nothing_is_sent(
    tmp_path: Path, version: str, action: str
) -> None:
    inbox = Inbox()
    app = create_app(web_settings(tmp_path), httpx.MockTransport(inbox))
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        session = _signed_in(client, Role.SAFEGUARDING_LEAD)
        sent = client.post(
            f"/inbox/{NOTIFICATION_ID}/{action}",
            data={"csrf_token": session.csrf_token, "version": version},
        )
    assert sent.status_code == 412
    assert inbox.posts == []


# -- signing in ----------------------------------------------------------------------------------


@pytest.mark.parametrize("token", NOT_ASCII)
def test_given_a_development_sign_in_whose_form_token_is_not_ascii_then_she_is_sent_back(
    tmp_path: Path, token: str
) -> None:
    app = create_app(web_settings(tmp_path), httpx.MockTransport(Visits()))
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        client.get("/sign-in")  # sets the sign-in cookie the form's token must match
        sent = client.post(
            "/sign-in/development",
            data={"form_token": token, "role": "caseworker", "subject": "cw-1", "next": "/"},
        )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/sign-in?next=/"


@pytest.mark.parametrize("cookie", ["é", "\u00b2" * 32])
def test_given_a_sign_in_callback_whose_binding_cookie_is_not_ascii_then_it_did_not_complete(
    tmp_path: Path, cookie: str
) -> None:
    app = create_app(web_settings(tmp_path), httpx.MockTransport(Visits()))
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        # A sign-in under way (its provider never reached: the binding check comes first).
        app.state.oidc = object()
        app.state.pending_sign_ins["state-1"] = (time.time() + 60, "binding-1", object())
        answer = client.get(
            "/auth/callback",
            params={"state": "state-1", "code": "code-1"},
            headers={"Cookie": f"waymark_sign_in={cookie}".encode()},
        )
    assert answer.status_code == 400
    assert "Sign-in did not complete" in answer.text


# -- a page number -------------------------------------------------------------------------------


def _empty_lists(request: httpx.Request) -> httpx.Response:
    """Every list empty, every verification fine: what a new install's services answer."""
    if request.url.path == "/reference":
        return httpx.Response(200, json={})
    if request.url.path.endswith("/verify"):
        return httpx.Response(200, json={"ok": True, "entries": 0})
    return httpx.Response(200, json={"items": [], "total": 0, "limit": 50, "offset": 0})


#: What ``str.isdigit`` holds for but ``int`` cannot read, or only at a cost (over 4,300 digits).
NOT_A_PAGE = ["\u00b2", "1\u00b2", "9" * 5000]


@pytest.mark.parametrize("page", NOT_A_PAGE)
@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("/caseload", Role.CASEWORKER),
        ("/due", Role.CASEWORKER),
        ("/intake", Role.CASEWORKER),
        ("/inbox", Role.SAFEGUARDING_LEAD),
        ("/audit", Role.AUDITOR),
    ],
)
def test_given_a_page_number_that_is_no_number_then_the_first_page_is_shown(
    tmp_path: Path, path: str, role: Role, page: str
) -> None:
    app = create_app(web_settings(tmp_path), httpx.MockTransport(_empty_lists))
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        _signed_in(client, role)
        answer = client.get(path, params={"page": page})
    assert answer.status_code == 200, path


def _asked_of_services(
    tmp_path: Path, role: Role, path: str, params: dict[str, str]
) -> list[httpx.URL]:
    """What the web app asked the services (answering empty lists) to show ``path`` to
    ``role``; the page itself must have been shown."""
    asked: list[httpx.URL] = []

    def services(request: httpx.Request) -> httpx.Response:
        asked.append(request.url)
        return _empty_lists(request)

    app = create_app(web_settings(tmp_path), httpx.MockTransport(services))
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        _signed_in(client, role)
        answer = client.get(path, params=params)
    assert answer.status_code == 200
    return asked


def test_given_an_audit_search_until_the_last_day_of_the_calendar_then_it_has_no_end(
    tmp_path: Path,
) -> None:
    asked = _asked_of_services(tmp_path, Role.AUDITOR, "/audit", {"until": "9999-12-31"})
    audit_calls = [url for url in asked if url.path == "/audit"]
    assert audit_calls and all("until" not in url.params for url in audit_calls)


def test_given_visits_listed_to_the_last_day_of_the_calendar_then_the_list_has_no_end(
    tmp_path: Path,
) -> None:
    asked = _asked_of_services(
        tmp_path, Role.SAFEGUARDING_LEAD, "/visits", {"from": "2026-11-01", "to": "9999-12-31"}
    )
    (listed,) = [url for url in asked if url.path == "/visits"]
    assert "to" not in listed.params and listed.params["from"].startswith("2026-11-01")


# -- a read model's name in the address ------------------------------------------------------


class Projections:
    """The services' admin API: what each read-model request reached it with."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.raw_path.decode())
        body = {"projection": "caseload", "position": 7, "log_head": 7, "rebuild": None}
        return httpx.Response(200, json=body)


@pytest.mark.parametrize(
    "name", ["%01%C3%B8", "%C3%A9", "..%2F..%2Fjourneys", "caseload%3Fx=1", "Caseload", "a" * 80]
)
def test_given_a_read_model_name_no_service_has_then_it_is_not_found_and_nothing_is_asked(
    tmp_path: Path, name: str
) -> None:
    projections = Projections()
    app = create_app(web_settings(tmp_path), httpx.MockTransport(projections))
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        _signed_in(client, Role.ADMIN)
        page = client.get(f"/admin/read-models/cases/{name}")
        assert page.status_code == 404, page.status_code
        token = client.get("/admin/read-models/cases/caseload").text
        csrf = token.split('name="csrf_token" value="')[1].split('"')[0]
        rebuilt = client.post(f"/admin/read-models/cases/{name}/rebuild", data={"csrf_token": csrf})
        assert rebuilt.status_code == 404, rebuilt.status_code
    assert projections.paths == ["/admin/projections/caseload"]
