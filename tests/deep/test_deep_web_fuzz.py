"""A deep hypothesis run over the web app's pages and the outreach app's API, out of the default
test run (see docs/security.md, "Deep fuzzing").

The web app runs in this process against the three real services (tests/deep/web_stack.py), on
fresh stores with a journey and a visit in them. Every route is called, as every
role, with path ids that exist, that do not, and that are no UUID; with query strings and form
fields it knows and does not, typed as people do not (unicode, control characters, 100 kB);
with the CSRF token right, missing, wrong, not ASCII or in the header; with bodies that lie
about their type. Each answer must be no 5xx and no stack trace; a page may show what she typed
(escaped, in its field) but never as markup. At the end, nothing a request carried may be in
the log.

``WAYMARK_FUZZ_EXAMPLES`` (default 200) examples per route.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import compile_path

from shared.security.roles import Role
from shared.settings import ServiceName
from tests.deep.web_stack import Stack, web_stack
from tests.support import bearer, visit_body

MAX_EXAMPLES = int(os.environ.get("WAYMARK_FUZZ_EXAMPLES", "200"))
#: Put in generated text: found in an answer unescaped, or anywhere in the log, it was echoed.
MARK = "zqx<b>"
MARK_TEXT = "zqx"

QUERY_NAMES = [
    "page", "caseworker", "status", "whose", "show", "notice", "kept", "next", "from", "to",
    "partner", "day", "at", "state", "service", "actor", "offset", "limit", "personal", "back",
]  # fmt: skip
FORM_NAMES = [
    "version", "loaded_at", "back", "next", "kept", "reason", "request_id", "caseworker_id",
    "team_id", "label", "subject", "role", "form_token", "premises_id", "needs", "notes",
    "scope", "partner", "consent_id", "goal", "goal_id", "kind", "level", "outcome", "at",
    "starts_on", "ends_on", "decided_on", "learned_on", "occurred_on", "occurred_at_time",
    "appointment_id", "referral_id", "meeting_type", "respond_by", "pseudonym",
    "preferred_languages", "interpreter_needed", "wording_version", "format", "day", "time",
]  # fmt: skip


def _routes(stack: Stack) -> list[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    pending = list(stack.web.app.routes)  # type: ignore[attr-defined]
    while pending:
        route = pending.pop()
        included = getattr(route, "original_router", None)  # an included router (no prefix)
        if included is not None:
            pending.extend(included.routes)
        elif isinstance(route, APIRoute):
            found.update((method, route.path) for method in route.methods - {"HEAD"})
    return sorted(found)


_FOLDER = Path(os.environ.get("TMPDIR", "/tmp")) / f"waymark-web-fuzz-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with web_stack(_FOLDER) as running:
        _seed(running)
        yield running
    shutil.rmtree(_FOLDER, ignore_errors=True)


SEEDED: dict[str, str] = {}


def _seed(stack: Stack) -> None:
    lead = bearer(Role.SAFEGUARDING_LEAD, subject="cw-1", team="west")
    journey = str(uuid.uuid4())
    answer = stack.services[ServiceName.CASES].post(
        "/journeys",
        json={
            "journey_id": journey,
            "pseudonym": "R-17",
            "preferred_languages": ["ro"],
            "interpreter_needed": False,
        },
        headers=lead,
    )
    assert answer.status_code == 201, answer.text
    body = visit_body()
    answer = stack.services[ServiceName.VISITS].post(
        "/visits", json=body, headers=bearer(Role.OUTREACH, subject="o-1", team="west")
    )
    assert answer.status_code == 201, answer.text
    SEEDED.update(
        journey=journey,
        visit=body["visit_id"],
        contact=body["contacts"][0]["contact_id"],
    )


def _text(big: int = 2_000) -> st.SearchStrategy[str]:
    """Text as no person types it; ``big`` long at most (a request line past about 8 kB never
    reaches the app: the server refuses it)."""
    return st.one_of(
        st.text(max_size=30),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=30).map(lambda t: MARK + t),
        st.sampled_from(
            ["", " ", "0", "-1", "1" * 30, "²", "٣", "é", "\x00", "\r\n", "../../etc", "//evil"]
        ),
        st.just(MARK + "x" * big),
        st.uuids().map(str),
    )


def _path_value() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from([lambda: SEEDED.get("journey", ""), lambda: SEEDED.get("visit", "")]).map(
            lambda f: f()
        ),
        st.uuids().map(str),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1),
        st.sampled_from(["read", "acknowledgement", "cases", "caseload", "contacts", "x" * 5000]),
    )


@st.composite
def request_for(draw: st.DrawFn, method: str, template: str) -> dict[str, Any]:
    _, _, params = compile_path(template)
    path = template
    for name in params:
        # Percent-encoded as a browser would: the app sees the text itself.
        value = quote(draw(_path_value()), safe="")
        path = path.replace("{" + name + "}", value, 1)
    query = draw(
        st.dictionaries(
            st.one_of(st.sampled_from(QUERY_NAMES), st.text(max_size=8)), _text(), max_size=4
        )
    )
    request: dict[str, Any] = {"method": method, "url": path, "params": query}
    request["role"] = draw(st.sampled_from(list(Role)))
    if method == "POST":
        form = draw(
            st.dictionaries(
                st.one_of(st.sampled_from(FORM_NAMES), st.text(max_size=8)),
                _text(100_000),
                max_size=8,
            )
        )
        request["csrf"] = draw(
            st.sampled_from(["right", "missing", "wrong", "not-ascii", "header"])
        )
        request["as"] = draw(st.sampled_from(["form", "multipart", "json", "text", "none"]))
        request["form"] = form
    return request


def _send(stack: Stack, request: dict[str, Any]) -> Any:
    client, session = stack.signed_in(request["role"])
    headers: dict[str, Any] = {}
    kwargs: dict[str, Any] = {"params": request["params"]}
    if request["method"] == "POST":
        form = dict(request["form"])
        csrf = request["csrf"]
        if csrf == "right":
            form["csrf_token"] = session.csrf_token
        elif csrf == "wrong":
            form["csrf_token"] = "x" * 43
        elif csrf == "not-ascii":
            form["csrf_token"] = "é" * 43
        elif csrf == "header":
            headers["X-CSRF-Token"] = session.csrf_token
        kind = request["as"]
        if kind == "form":
            kwargs["data"] = form
        elif kind == "multipart":
            kwargs["data"] = form
            kwargs["files"] = {"upload": ("x.txt", b"x")}
        elif kind == "json":
            kwargs["content"] = json.dumps(form).encode("utf-8", "surrogatepass")
            headers["Content-Type"] = "application/json"
        elif kind == "text":
            kwargs["content"] = b"\xff\xfe garbage"
            headers["Content-Type"] = "application/x-www-form-urlencoded"
    return client.request(request["method"], request["url"], headers=headers, **kwargs)


FOUND: list[str] = []


def _check(request: dict[str, Any], answer: Any) -> None:
    where = f"{request['method']} {request['url'][:80]} as {request['role']}"
    if answer.status_code >= 500 and answer.status_code != 503:
        FOUND.append(f"{where}: {answer.status_code}")
    if "Traceback" in answer.text:
        FOUND.append(f"{where}: a traceback in the answer")
    if MARK in answer.text:
        FOUND.append(f"{where}: input repeated unescaped")


@pytest.fixture(scope="module")
def routes(stack: Stack) -> list[tuple[str, str]]:
    return _routes(stack)


def test_every_web_route_is_fuzzed(
    stack: Stack, routes: list[tuple[str, str]], capfd: pytest.CaptureFixture[str]
) -> None:
    assert routes
    for method, template in routes:

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(request_for(method, template))
        def one(request: dict[str, Any]) -> None:
            _check(request, _send(stack, request))

        one()
    out, err = capfd.readouterr()
    # The test client's own lines (its requests to "testserver") are not the app's log.
    logged = [
        line
        for line in (out + err).splitlines()
        if MARK_TEXT in line and "http://testserver" not in line
    ]
    FOUND.extend(f"logged: {line[:300]}" for line in logged[:20])
    assert not FOUND, "\n".join(sorted(set(FOUND))[:200])
