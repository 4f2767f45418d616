"""The caseworker's pages against stand-in services (in-process): what each answer becomes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from services.web.main import create_app
from services.web.pages.intake import NOTICES
from services.web.sessions import COOKIE
from shared.security.roles import Role
from tests.support import web_settings

JID = "7a1b0c3e-0000-4000-8000-000000000001"
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def signed_in(tmp_path: Path) -> Iterator[Callable[..., tuple[TestClient, list[str]]]]:
    clients: list[TestClient] = []

    def open_as(role: Role, handler: Handler) -> tuple[TestClient, list[str]]:
        seen: list[str] = []

        def recording(request: httpx.Request) -> httpx.Response:
            seen.append(request.url.path)
            return handler(request)

        settings = web_settings(tmp_path)
        app = create_app(settings, httpx.MockTransport(recording))
        client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        session = app.state.sessions.create(
            subject="cw-1",
            roles=frozenset({role}),
            team=None,
            access_token="token",
            token_expires_at=time.time() + 600,
        )
        client.cookies.set(COOKIE, session.id)
        return client, seen

    yield open_as
    for client in clients:
        client.__exit__(None, None, None)


def _erased(request: httpx.Request) -> httpx.Response:
    body: dict[str, Any] = {
        "journey_id": JID,
        "version": 9,
        "status": "erased",
        "erased_at": "2026-11-20T10:00:00+00:00",
        "pseudonym": None,
    }
    return httpx.Response(200, json=body, headers={"ETag": '"9"'})


def test_given_an_erased_journey_then_only_when_it_was_erased_is_shown(
    signed_in: Callable[..., tuple[TestClient, list[str]]],
) -> None:
    client, seen = signed_in(Role.CASEWORKER, _erased)
    page = client.get(f"/journeys/{JID}")
    assert page.status_code == 200
    assert "Her records were erased on 20 Nov 2026" in page.text
    assert "Timeline" not in page.text and "Register her" not in page.text
    assert seen == [f"/journeys/{JID}"]  # her timeline is not even asked for


def _refused(request: httpx.Request) -> httpx.Response:
    return httpx.Response(403, json={"type": "urn:waymark:problem:not-your-journey"})


def test_given_a_journey_not_hers_then_a_caseworker_is_offered_break_glass_and_a_lead_is_not(
    signed_in: Callable[..., tuple[TestClient, list[str]]],
) -> None:
    caseworker, _ = signed_in(Role.CASEWORKER, _refused)
    page = caseworker.get(f"/journeys/{JID}")
    assert page.status_code == 403
    assert f'action="/journeys/{JID}/break-glass"' in page.text
    lead, _ = signed_in(Role.SAFEGUARDING_LEAD, _refused)
    page = lead.get(f"/journeys/{JID}")
    assert page.status_code == 403 and "break-glass" not in page.text


def test_given_a_short_reason_then_break_glass_is_not_asked_for_and_her_words_are_kept(
    signed_in: Callable[..., tuple[TestClient, list[str]]],
) -> None:
    client, seen = signed_in(Role.CASEWORKER, _refused)
    token = client.get(f"/journeys/{JID}").text.split('name="csrf_token" value="')[1].split('"')[0]
    page = client.post(
        f"/journeys/{JID}/break-glass", data={"csrf_token": token, "reason": "urgent"}
    )
    assert page.status_code == 422
    assert ">urgent</textarea>" in page.text
    assert f"/journeys/{JID}/break-glass" not in seen


def _empty_lists(request: httpx.Request) -> httpx.Response:
    # Nothing that failed the page's own check reaches a service.
    assert "caseworker" not in request.url.params and "status" not in request.url.params
    assert request.url.params.get("offset", "0") == "0"
    return httpx.Response(200, json={"items": [], "total": 0, "limit": 25, "offset": 0})


def test_given_odd_filters_then_the_caseload_names_them_and_sends_none_on(
    signed_in: Callable[..., tuple[TestClient, list[str]]],
) -> None:
    client, _ = signed_in(Role.SAFEGUARDING_LEAD, _empty_lists)
    page = client.get("/caseload", params={"caseworker": "x<y>", "status": "bogus", "page": "abc"})
    assert page.status_code == 200
    assert "Enter a staff id of letters" in page.text and "Choose one from the list" in page.text
    assert "x&lt;y&gt;" not in page.text and "bogus" not in page.text


def test_given_a_staff_id_as_an_identity_provider_writes_it_then_the_filters_send_it_on(
    signed_in: Callable[..., tuple[TestClient, list[str]]],
) -> None:
    # Auth0 writes subjects as "auth0|…": whoever can sign in can be looked for.
    asked: set[tuple[str, str | None]] = set()

    def answer(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        asked.add((request.url.path, params.get("caseworker") or params.get("actor")))
        return httpx.Response(200, json={"items": [], "total": 0, "limit": 25, "offset": 0})

    lead, _ = signed_in(Role.SAFEGUARDING_LEAD, answer)
    assert lead.get("/caseload", params={"caseworker": "auth0|65f0"}).status_code == 200
    auditor, _ = signed_in(Role.AUDITOR, answer)
    search = {"actor": "auth0|65f0", "service": "cases"}
    assert auditor.get("/audit", params=search).status_code == 200
    assert {("/journeys", "auth0|65f0"), ("/audit", "auth0|65f0")} <= asked


def test_given_a_fault_nobody_expected_then_a_plain_page_logged_by_route_without_her_details(
    signed_in: Callable[..., tuple[TestClient, list[str]]],
) -> None:
    def broken(_: httpx.Request) -> httpx.Response:
        raise RuntimeError("secret internals: Ana at P-12")

    client, _ = signed_in(Role.CASEWORKER, broken)
    with capture_logs() as logs:
        page = client.get(f"/journeys/{JID}")
    assert page.status_code == 500
    assert "Something went wrong" in page.text
    assert "Ana" not in page.text and "RuntimeError" not in page.text
    assert "Traceback" not in page.text
    # The headers of every page: never stored, never framed, scripts from this origin only.
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert [line for line in logs if line["event"] == "http.unexpected_error"] == [
        {
            "event": "http.unexpected_error",
            "log_level": "error",
            "route": "/journeys/{journey_id}",
            "error": "RuntimeError",
        }
    ]


def _queue_then(
    claim_answer: httpx.Response, *, still_waiting: bool = True, holder: str | None = None
) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/journeys/{JID}":
            if holder is None:  # someone else's: not hers to read
                return _problem(404, "journey-not-found")
            return httpx.Response(200, json={"journey_id": JID, "caseworker_id": holder})
        if request.url.path == "/journeys/intake":
            item = {
                "journey_id": JID,
                "version": 3,
                "status": "new",
                "opened_at": "2026-11-20T10:00:00+00:00",
            }
            asked = request.url.params.get("journey_id")
            items = [] if asked == JID and not still_waiting else [item]
            page = {"items": items, "total": len(items), "limit": 25, "offset": 0}
            return httpx.Response(200, json=page)
        assert request.url.path == f"/journeys/{JID}/claim"
        # The version her queue was drawn from, and a key for the service's idempotency.
        assert request.headers["if-match"] == '"3"'
        assert request.headers["idempotency-key"]
        return claim_answer

    return answer


def _problem(status: int, slug: str) -> httpx.Response:
    body = {"type": f"urn:waymark:problem:{slug}", "title": slug, "status": status}
    return httpx.Response(status, json=body, headers={"Content-Type": "application/problem+json"})


@pytest.mark.parametrize(
    ("claim_answer", "still_waiting", "holder", "page", "lands_on"),
    [
        (
            httpx.Response(200, json={"journey_id": JID, "version": 4}),
            True,
            None,
            "1",
            f"/journeys/{JID}",
        ),
        (
            _problem(412, "precondition-failed"),
            True,
            None,
            "1",
            f"/intake?notice=changed#journey-{JID}",
        ),
        (
            _problem(412, "precondition-failed"),
            True,
            None,
            "3",
            f"/intake?notice=changed&page=3#journey-{JID}",
        ),
        (_problem(412, "precondition-failed"), False, None, "2", "/intake?notice=taken&page=2"),
        (_problem(412, "precondition-failed"), False, "cw-1", "1", f"/journeys/{JID}"),
        (_problem(412, "precondition-failed"), False, "cw-2", "1", "/intake?notice=taken"),
        (_problem(412, "precondition-failed"), False, None, "²", "/intake?notice=taken"),
        (_problem(409, "already-assigned"), False, None, "1", "/intake?notice=taken"),
        (_problem(409, "journey-closed"), False, None, "1", "/intake?notice=gone"),
        (_problem(409, "journey-merged"), False, None, "1", "/intake?notice=gone"),
        (_problem(404, "journey-not-found"), False, None, "1", "/intake?notice=gone"),
    ],
    ids=[
        "hers",
        "changed-still-waiting",
        "changed-on-her-page",
        "changed-taken",
        "claimed-twice-by-her",
        "taken-by-a-colleague-she-may-see",
        "odd-page",
        "held",
        "closed",
        "merged",
        "unknown",
    ],
)
def test_given_her_answer_to_a_claim_then_the_caseworker_lands_where_it_says(
    signed_in: Callable[..., tuple[TestClient, list[str]]],
    claim_answer: httpx.Response,
    still_waiting: bool,
    holder: str | None,
    page: str,
    lands_on: str,
) -> None:
    client, seen = signed_in(
        Role.CASEWORKER, _queue_then(claim_answer, still_waiting=still_waiting, holder=holder)
    )
    queue = client.get("/intake")
    assert queue.status_code == 200
    assert f'id="journey-{JID}"' in queue.text  # where a notice sends her back to
    token = queue.text.split('name="csrf_token" value="')[1].split('"')[0]

    answer = client.post(
        f"/intake/{JID}/claim", data={"csrf_token": token, "version": "3", "page": page}
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == lands_on
    assert f"/journeys/{JID}/claim" in seen
    notice = lands_on.partition("notice=")[2].partition("&")[0].partition("#")[0]
    if notice:
        assert NOTICES[notice] in client.get(lands_on.partition("#")[0]).text
