"""The web app's own rules, in-process (no service behind it): sign-in, sessions, CSRF, the
page policy, and plain pages for whatever goes wrong."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from services.web.main import create_app
from services.web.people import local_path
from services.web.sessions import Session, SessionStore
from services.web.settings import WebSettings
from shared.security.roles import Role
from tests.support import web_settings

ORIGIN = "http://127.0.0.1:8000"


@pytest.fixture
def web(tmp_path: Path) -> Iterator[TestClient]:
    # The services are not running: pages that need them answer "not available just now".
    settings = web_settings(
        tmp_path,
        visits_url="http://127.0.0.1:9",
        cases_url="http://127.0.0.1:9",
        notifications_url="http://127.0.0.1:9",
    )
    with TestClient(create_app(settings), base_url=ORIGIN) as client:
        yield client


def sign_in(client: TestClient, role: str = "admin", subject: str = "ad-1") -> str:
    form = client.get("/sign-in").text
    token = re.search(r'name="form_token" value="([^"]+)"', form)
    assert token is not None
    answer = client.post(
        "/sign-in/development",
        data={"form_token": token[1], "role": role, "subject": subject, "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = client.get("/no-such-page").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    return csrf[1]


def test_settings_refuse_both_an_identity_provider_and_the_development_sign_in(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match="not both"):
        WebSettings(
            dev_key_file=tmp_path / "k", oidc_issuer="https://idp.example", oidc_client_id="w"
        )
    with pytest.raises(ValueError, match="no sign-in configured"):
        WebSettings()


def test_a_development_sign_in_without_its_form_token_signs_nobody_in(web: TestClient) -> None:
    answer = web.post(
        "/sign-in/development",
        data={"form_token": "guess", "role": "admin", "subject": "x"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")
    assert "waymark_session" not in answer.cookies


def test_the_session_cookie_is_http_only_and_same_site(web: TestClient) -> None:
    form = web.get("/sign-in").text
    token = re.search(r'name="form_token" value="([^"]+)"', form)
    assert token is not None
    answer = web.post(
        "/sign-in/development",
        data={"form_token": token[1], "role": "caseworker", "subject": "cw-1"},
        follow_redirects=False,
    )
    cookie = answer.headers["set-cookie"]
    assert "waymark_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_a_malformed_id_in_an_address_is_a_plain_page_that_repeats_nothing(
    web: TestClient,
) -> None:
    sign_in(web)
    answer = web.get("/admin/journeys/not-an-id-<b>")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "not-an-id" not in answer.text


def test_a_service_that_does_not_answer_gives_a_friendly_page(web: TestClient) -> None:
    sign_in(web)
    answer = web.get(f"/admin/journeys/{uuid4()}")
    assert answer.status_code == 503
    assert "Not available just now" in answer.text
    assert "Traceback" not in answer.text


def test_every_page_says_no_store_and_allows_only_this_origin(web: TestClient) -> None:
    for path in ("/sign-in", "/signed-out", "/no-such-page"):
        answer = web.get(path)
        assert answer.headers["cache-control"] == "no-store"
        assert "form-action 'self';" in answer.headers["content-security-policy"]
    assert web.get("/static/css/waymark.css").headers["cache-control"].startswith("public")


def test_with_an_identity_provider_the_form_may_end_at_its_sign_out(tmp_path: Path) -> None:
    settings = WebSettings(oidc_issuer="https://idp.example/realms/w", oidc_client_id="web")
    with TestClient(create_app(settings), base_url=ORIGIN) as client:
        policy = client.get("/signed-out").headers["content-security-policy"]
    assert "form-action 'self' https://idp.example;" in policy


def test_a_post_from_another_origin_is_refused_even_with_the_token(web: TestClient) -> None:
    csrf = sign_in(web)
    refused = web.post(
        "/sign-out", data={"csrf_token": csrf}, headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403
    assert web.get("/", follow_redirects=False).headers["location"] != "/sign-in?next=/"


def test_only_local_paths_are_followed_after_sign_in() -> None:
    assert local_path("/journeys/1?x=2") == "/journeys/1?x=2"
    for outside in ("https://evil.example/", "//evil.example/", "/\\evil.example", "", None):
        assert local_path(outside) == "/"


def caseworker_signed_in(store: SessionStore, token_expires_in_s: float) -> Session:
    """Caseworker cw-1's session, her access token expiring ``token_expires_in_s`` from now."""
    return store.create(
        subject="cw-1",
        roles=frozenset({Role.CASEWORKER}),
        team=None,
        access_token="t",
        token_expires_at=time.time() + token_expires_in_s,
    )


def test_a_session_ends_when_idle_and_its_form_is_kept_only_for_the_same_person() -> None:
    store = SessionStore(idle_seconds=0.05, absolute_seconds=3600)
    session = caseworker_signed_in(store, token_expires_in_s=3600)
    assert store.get(session.id) is session
    time.sleep(0.1)
    assert store.get(session.id) is None
    assert store.ended(session.id) == ("cw-1", session.csrf_token)
    key = store.keep_form("cw-1", "/journeys/1/goals", [("goal", "ni_number")])
    assert store.take_form(key, "cw-2", "/journeys/1/goals") is None  # not hers
    assert store.take_form(key, "cw-1", "/elsewhere") is None  # not this page
    assert store.take_form(key, "cw-1", "/journeys/1/goals") == {"goal": "ni_number"}
    assert store.take_form(key, "cw-1", "/journeys/1/goals") is None  # once


def test_a_session_ends_when_its_token_expires() -> None:
    store = SessionStore(idle_seconds=3600, absolute_seconds=3600)
    session = caseworker_signed_in(store, token_expires_in_s=-1)
    assert store.get(session.id) is None


def test_assets_are_compressed_and_pages_are_not(web: TestClient) -> None:
    asset = web.get("/static/vendor/htmx-2.0.11.min.js", headers={"Accept-Encoding": "gzip"})
    assert asset.headers["content-encoding"] == "gzip"
    page = web.get("/sign-in", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in page.headers


def test_calls_made_together_count_once_in_the_time_spent_waiting() -> None:
    from services.web.timing import _Spent

    spent = _Spent([(0.0, 1.0), (0.5, 1.5), (3.0, 4.0)])
    assert spent.api_seconds == 2.5 and spent.calls == 3
