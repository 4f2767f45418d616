"""One journey form page end to end in-process, against a hand-written cases service: what it
sends (If-Match, the command's body), a stale version, and input kept over a re-sign-in."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi.testclient import TestClient

from services.web.main import create_app
from services.web.sessions import COOKIE
from shared.reference import load_reference_data
from tests.support import web_settings

JOURNEY_ID = str(uuid4())
NEEDS = f"/journeys/{JOURNEY_ID}/needs-assessments"
#: Who these tests sign in as: the actor of what her own sends record.
SUBJECT = "cw-unit"


class FakeCases:
    """The few answers of the cases service a form page uses; POSTs are recorded."""

    def __init__(self) -> None:
        self.version = 3
        self.posts: list[tuple[str, str | None, dict[str, Any]]] = []
        self.timeline: list[dict[str, Any]] = []
        #: What a POST meets instead of an answer: a status, or a connection that fails.
        self.down: int | type[Exception] | None = None

    def journey(self) -> dict[str, Any]:
        return {"journey_id": JOURNEY_ID, "version": self.version, "consents": [], "needs": []}

    def saves(self, event: str, actor: str = "cw-other") -> None:
        self.version += 1
        now = datetime.now(UTC).isoformat()
        self.timeline.insert(
            0,
            {
                "version": self.version,
                "event": event,
                "source": "casework",
                "occurred_at": now,
                "recorded_at": now,
                "actor": actor,
                "details": {},
            },
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path == "/reference":
            return httpx.Response(200, json=load_reference_data().model_dump())
        if request.method == "GET" and path == f"/journeys/{JOURNEY_ID}":
            return httpx.Response(200, json=self.journey(), headers={"etag": f'W/"{self.version}"'})
        if request.method == "GET" and path.endswith("/timeline"):
            return httpx.Response(200, json={"items": self.timeline, "total": len(self.timeline)})
        if request.method == "POST" and self.down is not None:
            if isinstance(self.down, int):
                problem = {"type": "urn:waymark:problem:store-unavailable", "status": self.down}
                return httpx.Response(self.down, json=problem, headers={"retry-after": "5"})
            raise self.down("the cases service could not be reached", request=request)
        if request.method == "POST":
            if_match = request.headers.get("if-match")
            self.posts.append((path, if_match, json.loads(request.content)))
            if if_match != f'"{self.version}"':
                problem = {"type": "urn:waymark:problem:precondition-failed", "status": 412}
                return httpx.Response(412, json=problem)
            self.saves("needs_assessed", SUBJECT)  # the one form these tests send
            return httpx.Response(200, json=self.journey())
        return httpx.Response(404, json={"type": "urn:waymark:problem:http-404"})


@pytest.fixture
def cases() -> FakeCases:
    return FakeCases()


@pytest.fixture
def web(tmp_path: Path, cases: FakeCases) -> Iterator[TestClient]:
    settings = web_settings(tmp_path)
    app = create_app(settings, transport=httpx.MockTransport(cases))
    with TestClient(app, follow_redirects=False) as client:
        yield client


def sign_in(
    web: TestClient, next_path: str, kept: str = "", role: str = "caseworker"
) -> httpx.Response:
    page = web.get("/sign-in", params={"next": next_path, **({"kept": kept} if kept else {})})
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert token
    return web.post(
        "/sign-in/development",
        data={
            "form_token": token.group(1),
            "role": role,
            "subject": SUBJECT,
            "next": next_path,
            "kept": kept,
        },
    )


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, name
    return found.group(1)


def answers(page: str, **mine: Any) -> dict[str, Any]:
    return {
        "csrf_token": hidden(page, "csrf_token"),
        "version": hidden(page, "version"),
        "loaded_at": hidden(page, "loaded_at"),
        **mine,
    }


def test_given_her_answers_then_the_command_is_sent_with_the_version_it_was_read_at(
    web: TestClient, cases: FakeCases
) -> None:
    sign_in(web, NEEDS)
    page = web.get(NEEDS)
    assert page.status_code == 200 and hidden(page.text, "version") == "3"
    sent = web.post(NEEDS, data=answers(page.text, needs=["housing", "health"], notes=" "))
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/journeys/{JOURNEY_ID}#needs"
    ((path, if_match, body),) = cases.posts
    assert (path, if_match) == (NEEDS, '"3"')
    assert body["needs"] == ["housing", "health"] and "notes" not in body
    assert datetime.fromisoformat(body["occurred_at"]).utcoffset() is not None


def test_given_someone_saved_meanwhile_then_her_answers_stay_beside_what_changed(
    web: TestClient, cases: FakeCases
) -> None:
    sign_in(web, NEEDS)
    page = web.get(NEEDS)
    cases.saves("meeting_held")
    refused = web.post(NEEDS, data=answers(page.text, needs=["housing"], notes="Kept words"))
    assert refused.status_code == 412
    assert "Changed meanwhile" in refused.text and "Meeting" in refused.text
    assert "Someone else changed this record since you opened this form" in refused.text
    assert "Kept words" in refused.text
    assert re.search(r'value="housing" checked', refused.text)
    # The form now carries the journey as it is: saving again goes through.
    assert hidden(refused.text, "version") == "4"
    again = web.post(NEEDS, data=answers(refused.text, needs=["housing"], notes="Kept words"))
    assert again.status_code == 303 and cases.posts[-1][1] == '"4"'


@pytest.mark.parametrize(
    ("others", "said"),
    [
        ([], "You have already saved a change to this record since you opened this form"),
        (["meeting_held"], "This record changed since you opened this form"),
    ],
    ids=["only her own save", "hers and someone else's"],
)
def test_given_a_form_sent_again_after_it_was_saved_then_it_says_whose_changes_it_met(
    web: TestClient, cases: FakeCases, others: list[str], said: str
) -> None:
    # She pressed Save twice, or its answer was lost and she sent it again.
    sign_in(web, NEEDS)
    page = web.get(NEEDS)
    sent = answers(page.text, needs=["housing"], notes="Kept words")
    assert web.post(NEEDS, data=sent).status_code == 303
    for event in others:
        cases.saves(event)
    again = web.post(NEEDS, data=sent)
    assert again.status_code == 412
    assert said in again.text and "Someone else" not in again.text
    assert "Needs assessed" in again.text and f"by {SUBJECT}" in again.text
    done = "there is no need to save again"
    assert (done in again.text) == (not others)
    assert "Kept words" in again.text


@pytest.mark.parametrize("down", [503, httpx.ConnectError, httpx.ReadTimeout])
def test_given_the_service_out_of_reach_when_she_saves_then_her_answers_stay_to_send_again(
    web: TestClient, cases: FakeCases, down: int | type[Exception]
) -> None:
    sign_in(web, NEEDS)
    page = web.get(NEEDS)
    cases.down = down
    refused = web.post(NEEDS, data=answers(page.text, needs=["housing"], notes="Long notes"))
    assert refused.status_code == 503
    assert "could not be reached just now" in refused.text
    assert "Long notes" in refused.text and re.search(r'value="housing" checked', refused.text)
    assert hidden(refused.text, "version") == "3"
    cases.down = None
    again = web.post(NEEDS, data=answers(refused.text, needs=["housing"], notes="Long notes"))
    assert again.status_code == 303
    assert [(path, if_match) for path, if_match, _ in cases.posts][-1] == (NEEDS, '"3"')


def test_given_her_session_ended_while_typing_then_she_signs_in_and_finds_her_answers(
    web: TestClient, cases: FakeCases
) -> None:
    sign_in(web, NEEDS)
    page = web.get(NEEDS)
    session = web.app.state.sessions.get(web.cookies.get(COOKIE))  # type: ignore[attr-defined]
    session.last_seen = 0  # idle for longer than any session may be

    sent = web.post(NEEDS, data=answers(page.text, needs=["money"], notes="Typed before"))
    assert sent.status_code == 303 and cases.posts == []
    kept = re.search(r"kept=([\w-]+)", sent.headers["location"])
    assert kept and sent.headers["location"].startswith("/sign-in?next=")

    back = sign_in(web, NEEDS, kept.group(1))
    assert back.headers["location"] == f"{NEEDS}?kept={kept.group(1)}"
    restored = web.get(back.headers["location"])
    assert "Your answers were kept" in restored.text and "Typed before" in restored.text
    assert re.search(r'value="money" checked', restored.text)
    assert hidden(restored.text, "version") == "3"  # a change meanwhile is still caught
    # Only once, and only for her.
    assert "Typed before" not in web.get(back.headers["location"]).text


def test_given_a_lead_assigning_then_a_staff_id_is_checked_as_one_and_a_team_as_a_team(
    web: TestClient, cases: FakeCases
) -> None:
    assign = f"/journeys/{JOURNEY_ID}/caseworker"
    sign_in(web, assign, role="safeguarding_lead")
    page = web.get(assign)
    # A team id is not a staff id: "|" is a sign-in's, never a team's, and nothing is sent.
    refused = web.post(assign, data=answers(page.text, caseworker_id="cw-2", team_id="west|1"))
    assert refused.status_code == 422
    assert "Enter a team id" in refused.text and not cases.posts
    # A staff id as an identity provider writes it is sent on as it is.
    page = web.get(assign)
    data = answers(page.text, caseworker_id="auth0|65f0", team_id="west")
    assert web.post(assign, data=data).status_code == 303
    ((path, _, body),) = cases.posts
    assert (path, body) == (assign, {"caseworker_id": "auth0|65f0", "team_id": "west"})
