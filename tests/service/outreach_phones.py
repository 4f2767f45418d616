"""Outreach workers' phones, each sending its outbox through the web app as
``services/web/static/outreach/outbox.js`` does, and the ledger of what every hand was told.

A phone sends the visit posted whole (or opened earlier, with signal) with its Idempotency-Key,
then each step still missing (urgent concerns first, then the women met, then the completion),
with the session cookie and the CSRF token read from ``/outreach/api/session``; urgent visits
one by one, the rest three at a time. An answer lost on the way makes the phone stop and send
the same request again later; a refusal (an indicator withdrawn from the reference data) is
corrected and sent again.
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx

from services.web.sessions import COOKIE
from shared.security.roles import Role
from tests.deep.web_stack import Stack
from tests.support import at_once

VISITS_PER_PHONE = 4
SENDERS = 3  # outbox.js: the visits without an urgent concern go this many at a time
LOST = 0.25  # how often the answer to a write that landed is lost on the way back
PASSES = 60  # more than enough: every lost answer costs one pass, and so does a refusal
WITHDRAWN = "no_longer_on_the_list"
NOW = datetime.now(UTC)
CONCURRENT = "concurrent-modification"


def _at(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat()


def _without_nulls(value: Any) -> Any:
    """What outbox.js posts: the body without null, undefined or empty-text fields."""
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v not in (None, "")}
    return value


def _problem(answer: httpx.Response) -> dict[str, Any]:
    """A refusal's problem document; an answer that is none (a bare 500) is kept as its text."""
    try:
        problem = answer.json()
    except ValueError:
        return {"type": "not-a-problem-document", "text": answer.text[:200]}
    return problem if isinstance(problem, dict) else {"type": "not-a-problem-document"}


class Retry(Exception):
    """No answer to use (lost, 5xx, or another writer won every try): send it again later."""


class Refused(Exception):
    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("type"))
        self.problem = problem


@dataclass
class Doc:
    """One visit in a phone's outbox, and what the server has confirmed of it."""

    body: dict[str, Any]
    created: bool = False
    contacts: set[str] = field(default_factory=set)
    concerns: set[str] = field(default_factory=set)
    completed: bool = False
    pending: tuple[str, dict[str, Any]] | None = None

    @property
    def id(self) -> str:
        return str(self.body["visit_id"])

    def urgent(self) -> bool:
        return any(c["concern_id"] not in self.concerns for c in self.body["urgent_concerns"])

    def finished(self) -> bool:
        every = {c["contact_id"] for c in self.body["contacts"]} <= self.contacts
        return self.created and self.completed and every and not self.urgent()


class Ledger:
    """What every hand was told, shared between them."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.lock = threading.Lock()
        self.answers: Counter[tuple[str, int, str]] = Counter()
        #: Per request (kind, id): how many 2xx answers said it was recorded just then.
        self.firsts: Counter[tuple[str, str]] = Counter()
        self.landed: set[tuple[str, str]] = set()
        #: Per visit: each contact (and concern) a 2xx answer recorded, as it was accepted.
        self.contacts: dict[str, dict[str, dict[str, Any]]] = {}
        self.concerns: dict[str, set[str]] = {}
        #: Per visit: each correction answered 2xx and not a replay, (what, value) counted.
        self.corrections: dict[str, Counter[tuple[str, str]]] = {}
        #: Phones still sending, and the corrections answered 2xx while any was.
        self.syncing = 0
        self.during = 0

    def note(self, kind: str, answer: httpx.Response) -> None:
        slug = ""
        if answer.status_code >= 400:
            slug = str(_problem(answer).get("type", "")).rsplit(":", 1)[-1]
        with self.lock:
            self.answers[(kind, answer.status_code, slug)] += 1

    def why(self) -> str:
        replay = f"seed {self.seed} (WAYMARK_TEST_SEED={self.seed} replays it)"
        return f"{replay}; {self.during} corrections while phones sent; {self.answers}"


class Phone:
    """One outreach worker's outbox, sent as outbox.js sends it."""

    def __init__(self, stack: Stack, subject: str, seed: int, ledger: Ledger) -> None:
        self.web = stack.web
        self.rnd = random.Random(seed)
        self.rnd_lock = threading.Lock()
        self.ledger = ledger
        self.subject = subject
        session = stack.session(Role.OUTREACH, subject=subject, team="west")
        self.cookie = {"Cookie": f"{COOKIE}={session.id}"}
        self.csrf = ""
        self.docs = [self.compose(n) for n in range(VISITS_PER_PHONE)]

    def chance(self, p: float) -> bool:
        with self.rnd_lock:
            return self.rnd.random() < p

    # -- what she recorded on the phone ------------------------------------------------------

    def compose(self, n: int) -> Doc:
        rnd = self.rnd
        contacts = [self.contact(rnd) for _ in range(rnd.randint(1, 3))]
        if rnd.random() < 0.3:  # an indicator withdrawn since the phone copied the list
            contacts[0]["indicators"][0]["indicator"] = WITHDRAWN
        concerns = []
        if rnd.random() < 0.4:
            about = rnd.choice([None, contacts[-1]["contact_id"]])
            concerns.append(
                {
                    "concern_id": str(uuid4()),
                    "concern": rnd.choice(["possible_minor", "violence"]),
                    "contact_id": about,
                    "details": "seen at the door",
                    "occurred_at": _at(70),
                }
            )
        body = {
            "visit_id": str(uuid4()),
            "premises_id": None,
            "premises_label": f"{self.subject}-place-{n}",
            "team": "west",
            "volunteers": [self.subject],
            "languages_offered": ["ro", "en"],
            "started_at": _at(120 + n),
            "contacts": contacts,
            "urgent_concerns": concerns,
            "completed_at": _at(10),
            "outcome": "conversation",
        }
        return Doc(body)

    @staticmethod
    def contact(rnd: random.Random) -> dict[str, Any]:
        follow_up = {"follow_up_id": str(uuid4()), "kind": "coffee", "due_at": _at(-60 * 24 * 7)}
        return {
            "contact_id": str(uuid4()),
            "alias": rnd.choice(["Ana", "Bea", "Cora"]),
            "language": rnd.choice(["ro", "bg", "en"]),
            "other_languages": [],
            "bridging_volunteer": None,
            "materials": rnd.sample(["contact_card", "health_leaflet", "hygiene_pack"], 1),
            "indicators": [
                {"observation_id": str(uuid4()), "indicator": code, "source": "observed"}
                for code in rnd.sample(["debt_bondage", "physical_threats", "false_promises"], 2)
            ],
            "follow_up": follow_up if rnd.random() < 0.3 else None,
            "occurred_at": _at(rnd.randint(20, 100)),
        }

    def correct(self, doc: Doc) -> None:
        """Her correction of a refused visit: the withdrawn indicator chosen again."""
        for contact in doc.body["contacts"]:
            for indicator in contact["indicators"]:
                if indicator["indicator"] == WITHDRAWN:
                    indicator["indicator"] = "threats_to_family"

    # -- talking to the web app ----------------------------------------------------------------

    def session(self) -> None:
        me = self.web.get("/outreach/api/session", headers=self.cookie)
        self.ledger.note("session", me)
        assert me.status_code == 200, self.ledger.why()
        self.csrf = me.json()["csrf_token"]

    def post(
        self,
        kind: str,
        item: str,
        path: str,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        lose: bool = True,
    ) -> dict[str, Any]:
        """``post`` then ``answer`` of outbox.js, for the request ``(kind, item)``; an answer
        may be lost on the way back after it landed (and after the ledger heard it)."""
        sent = {"Content-Type": "application/json", "X-CSRF-Token": self.csrf, **(headers or {})}
        content = json.dumps(_without_nulls(body))
        response = self.web.post(path, content=content, headers={**self.cookie, **sent})
        self.ledger.note(kind, response)
        if response.is_success:
            answer: dict[str, Any] = response.json()
            with self.ledger.lock:
                self.ledger.landed.add((kind, item))
                self.ledger.firsts[(kind, item)] += not answer["replayed"]
            if lose and self.chance(LOST):
                raise Retry("the answer was lost on the way back")
            return answer
        problem = _problem(response)
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise Retry(response.status_code)
        if response.status_code == 409 and str(problem.get("type")).endswith(CONCURRENT):
            raise Retry(CONCURRENT)
        raise Refused(problem)

    # -- sending -------------------------------------------------------------------------------

    def send(self, doc: Doc) -> None:
        visit = doc.id
        if not doc.created:
            if doc.pending is None:  # frozen until answered: a retry sends exactly this
                doc.pending = (str(uuid4()), json.loads(json.dumps(doc.body)))
            key, body = doc.pending
            self.post("visit", visit, "/outreach/api/visits", body, {"Idempotency-Key": key})
            self.accepted(visit, body["contacts"], body["urgent_concerns"])
            doc.created = True
            doc.contacts |= {c["contact_id"] for c in body["contacts"]}
            doc.concerns |= {c["concern_id"] for c in body["urgent_concerns"]}
            doc.completed = bool(body.get("completed_at"))
            doc.pending = None
        body = doc.body
        met = [c for c in body["urgent_concerns"] if c["contact_id"] in (None, *doc.contacts)]
        for concern in met:
            self.step(doc, "urgent-concerns", concern, doc.concerns, concern["concern_id"])
        for contact in body["contacts"]:
            self.step(doc, "contacts", contact, doc.contacts, contact["contact_id"])
        for concern in body["urgent_concerns"]:
            self.step(doc, "urgent-concerns", concern, doc.concerns, concern["concern_id"])
        if body.get("completed_at") and not doc.completed:
            ending = {"completed_at": body["completed_at"], "outcome": body["outcome"]}
            self.post("completion", visit, f"/outreach/api/visits/{visit}/completion", ending)
            doc.completed = True

    def step(self, doc: Doc, path: str, item: dict[str, Any], done: set[str], item_id: str) -> None:
        if item_id in done:
            return
        self.post(path, item_id, f"/outreach/api/visits/{doc.id}/{path}", item)
        if path == "contacts":
            self.accepted(doc.id, [item], [])
        else:
            self.accepted(doc.id, [], [item])
        done.add(item_id)

    def accepted(self, visit: str, contacts: list[dict[str, Any]], concerns: list[Any]) -> None:
        with self.ledger.lock:
            for contact in contacts:
                self.ledger.contacts[visit][contact["contact_id"]] = contact
            self.ledger.concerns[visit] |= {c["concern_id"] for c in concerns}

    def send_each(self, docs: list[Doc], senders: int) -> bool:
        """outbox.js ``sendEach``: true when something was not answered, which ends the pass."""
        waiting: queue.SimpleQueue[Doc] = queue.SimpleQueue()
        for doc in docs:
            waiting.put(doc)
        stopped = threading.Event()

        def sender() -> None:
            while not stopped.is_set():
                try:
                    doc = waiting.get_nowait()
                except queue.Empty:
                    return
                try:
                    self.send(doc)
                except Refused as refusal:
                    assert refusal.problem.get("fields"), (refusal.problem, self.ledger.why())
                    doc.pending = None  # nothing was recorded: her correction gets a new key
                    self.correct(doc)
                except Retry:
                    stopped.set()

        at_once(*([sender] * senders))
        return stopped.is_set()

    def sync(self) -> None:
        try:
            self.drain()
        finally:
            with self.ledger.lock:
                self.ledger.syncing -= 1

    def drain(self) -> None:
        """The outbox's passes until the server has confirmed every visit on the phone."""
        self.session()
        for attempt in range(PASSES):
            due = [doc for doc in self.docs if not doc.finished()]
            if not due:
                return
            if not self.send_each([d for d in due if d.urgent()], 1):
                self.send_each([d for d in due if not d.urgent()], SENDERS)
            with self.rnd_lock:  # outbox.js's backoff with equal jitter, scaled down
                ceiling = 0.02 * 2 ** min(attempt, 2)
                time.sleep(ceiling / 2 + self.rnd.random() * ceiling / 2)
        raise AssertionError(f"{self.subject}'s outbox was never emptied; {self.ledger.why()}")
