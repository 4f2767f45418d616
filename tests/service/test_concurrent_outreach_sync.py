"""Outreach workers' phones sending their outboxes through the web app at once, while two
safeguarding leads correct the same visits.

Each phone sends as ``services/web/static/outreach/outbox.js`` does: the visit posted whole
(or opened earlier, with signal) with its Idempotency-Key, then each step still missing
(urgent concerns first, then the women met, then the completion), with the session cookie and
the CSRF token read from ``/outreach/api/session``; urgent visits one by one, the rest three at
a time. An answer lost on the way makes the phone stop and send the same request again later;
a refusal (an indicator withdrawn from the reference data) is corrected and sent again. The
web app offers a lead no correction of a visit, so the leads use the visits service's own
routes, as its API documents: an alias corrected, the premises label corrected, with
``If-Match`` from the visit she read or without.

Every answer must be one the outbox or the lead is told to expect (never a 5xx); each request
answered 2xx was recorded by exactly one of its answers and every other was a replay; what was
refused is not recorded; each correction answered 2xx is there once; and once the read models
catch up, the visits list agrees with each visit. ``WAYMARK_TEST_SEED`` replays a run's choices.
"""

from __future__ import annotations

import json
import os
import queue
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
from fastapi.testclient import TestClient

from services.web.sessions import COOKIE
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.deep.web_stack import Stack, web_stack
from tests.support import at_once, bearer, read_models_caught_up

PHONES = 5
VISITS_PER_PHONE = 4
SENDERS = 3  # outbox.js: the visits without an urgent concern go this many at a time
LEADS = 2
LEAD_ROUNDS = 25
LOST = 0.25  # how often the answer to a write that landed is lost on the way back
PASSES = 60  # more than enough: every lost answer costs one pass, and so does a refusal
WITHDRAWN = "no_longer_on_the_list"
NOW = datetime.now(UTC)
CONCURRENT = "concurrent-modification"


def _seed() -> int:
    chosen = os.environ.get("WAYMARK_TEST_SEED")
    return int(chosen) if chosen else random.randrange(2**32)


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


def lead_correcting(visits: TestClient, subject: str, seed: int, ledger: Ledger) -> None:
    """A safeguarding lead reading the visits list and correcting what she finds."""
    rnd = random.Random(seed)
    me = bearer(Role.SAFEGUARDING_LEAD, subject=subject, team="west")
    for n in range(LEAD_ROUNDS):
        listed = visits.get("/visits", params={"limit": 200}, headers=me)
        ledger.note("list", listed)
        items = listed.json()["items"] if listed.status_code == 200 else []
        if not items:
            time.sleep(0.02)
            continue
        # Mostly what has just come in, as a lead reviewing tonight's visits would.
        newest = sorted(items, key=lambda row: row["recorded_at"], reverse=True)[:3]
        visit = rnd.choice(newest if rnd.random() < 0.7 else items)["visit_id"]
        page = visits.get(f"/visits/{visit}", headers=me)
        ledger.note("read", page)
        if page.status_code != 200:
            continue
        contacts = page.json()["contacts"]
        if contacts and rnd.random() < 0.6:
            contact = rnd.choice(contacts)["contact_id"]
            path = f"/visits/{visit}/contacts/{contact}/alias-correction"
            what, value, body = f"alias {contact}", f"{subject}-{n}", {"alias": f"{subject}-{n}"}
        else:
            path = f"/visits/{visit}/premises-correction"
            what, value = "premises", f"{subject}-label-{n}"
            body = {"premises_label": value}
        if_match = rnd.random() < 0.5
        headers = {**me, **({"If-Match": page.headers["etag"]} if if_match else {})}
        for _ in range(2 if rnd.random() < 0.3 else 1):  # her answer lost: sent again
            answer = visits.post(path, json=body, headers=headers)
            ledger.note("correction with If-Match" if if_match else "correction", answer)
            if answer.status_code == 200 and answer.headers.get("idempotent-replayed") != "true":
                with ledger.lock:
                    ledger.corrections[visit][(what, value)] += 1
                    ledger.during += ledger.syncing > 0


def _events(history: list[dict[str, Any]], name: str, key: str) -> Counter[str]:
    return Counter(str(e["data"][key]) for e in history if e["event"].endswith(name))


def check_visit(visits: TestClient, visit: str, row: dict[str, Any], ledger: Ledger) -> None:
    why = f"visit {visit}; {ledger.why()}"
    detail = visits.get(f"/visits/{visit}").json()
    history = visits.get(f"/visits/{visit}/events").json()["items"]
    assert len(history) == detail["version"], why
    assert sorted(e["version"] for e in history) == list(range(1, len(history) + 1)), why

    accepted = ledger.contacts[visit]
    made = _events(history, ".ContactMade", "contact_id")
    assert made == Counter(accepted.keys()), why
    for e in history:
        if e["event"].endswith(".ContactMade"):
            sent = accepted[str(e["data"]["contact_id"])]
            made_as = (e["data"]["alias"], e["data"]["language"])
            assert made_as == (sent["alias"], sent["language"]), why
    observed = _events(history, ".PersonIndicatorObserved", "observation_id")
    expected = [i["observation_id"] for c in accepted.values() for i in c["indicators"]]
    assert observed == Counter(expected), why
    codes = {e["data"]["indicator"] for e in history if e["event"].endswith("IndicatorObserved")}
    assert WITHDRAWN not in codes, why
    offered = _events(history, ".FollowUpOffered", "follow_up_id")
    promised = [c["follow_up"]["follow_up_id"] for c in accepted.values() if c["follow_up"]]
    assert offered == Counter(promised), why
    raised = _events(history, ".UrgentConcernRaised", "concern_id")
    assert raised == Counter(ledger.concerns[visit]), why
    assert len([e for e in history if e["event"].endswith(".Completed")]) == 1, why
    assert detail["completed_at"] is not None, why

    corrected: Counter[tuple[str, str]] = Counter()
    for e in history:
        if e["event"].endswith(".AliasCorrected"):
            corrected[(f"alias {e['data']['contact_id']}", str(e["data"]["alias"]))] += 1
        elif e["event"].endswith(".PremisesCorrected"):
            corrected[("premises", str(e["data"]["premises_label"]))] += 1
    assert corrected == ledger.corrections[visit], why
    # A correction to the value already there records nothing, so a resent one never repeats.
    now: dict[str, object] = {}
    for e in sorted(history, key=lambda e: e["version"]):
        name = e["event"].rsplit(".", 1)[-1]
        if name in ("Started", "PremisesCorrected"):
            target, value = "premises", e["data"]["premises_label"]
        elif name in ("ContactMade", "AliasCorrected"):
            target, value = f"alias {e['data']['contact_id']}", e["data"]["alias"]
        else:
            continue
        assert now.get(target) != value, (e, why)
        now[target] = value

    concerns = detail["urgent_concerns"]
    assert row == {
        **row,
        "premises_label": detail["premises_label"],
        "completed_at": detail["completed_at"],
        "outcome": detail["outcome"],
        "contact_count": len(detail["contacts"]),
        "urgent_concerns": len(concerns),
        "open_urgent_concerns": len([c for c in concerns if c["resolved_at"] is None]),
    }, why


def test_given_phones_syncing_while_leads_correct_the_same_visits_then_each_step_is_there_once(
    tmp_path: Path, database: tuple[str | None, str | None]
) -> None:
    url, _ = database
    seed = _seed()
    ledger = Ledger(seed)
    with web_stack(tmp_path, url) as stack:
        visits = stack.services[ServiceName.VISITS]
        phones = [Phone(stack, f"v-{n}", seed + n, ledger) for n in range(PHONES)]
        for phone in phones:
            phone.session()
            for doc in phone.docs:
                ledger.contacts[doc.id], ledger.concerns[doc.id] = {}, set()
                ledger.corrections[doc.id] = Counter()
            # Half her visits were opened with signal earlier: only their steps are missing.
            for doc in phone.docs[: VISITS_PER_PHONE // 2]:
                opening = {
                    k: v for k, v in doc.body.items() if k not in ("completed_at", "outcome")
                }
                opening.update(contacts=[], urgent_concerns=[])
                key = {"Idempotency-Key": str(uuid4())}
                phone.post("visit", doc.id, "/outreach/api/visits", opening, key, lose=False)
                doc.created = True
        ledger.answers.clear()
        ledger.firsts.clear()
        ledger.landed.clear()
        ledger.syncing = PHONES
        # The leads find the opened visits in the list from the first moment.
        visits.headers.update(bearer(roles=(Role.ADMIN, Role.SAFEGUARDING_LEAD), subject="a-1"))
        read_models_caught_up(visits)

        at_once(
            *(phone.sync for phone in phones),
            *(
                partial(lead_correcting, visits, f"lead-{n}", seed + 100 + n, ledger)
                for n in range(LEADS)
            ),
        )

        done = ("session", "urgent-concerns", "contacts", "completion", "list", "read")
        corrections = ("correction", "correction with If-Match")
        allowed = {(kind, 200, "") for kind in (*done, *corrections)} | {
            ("visit", 201, ""),
            ("visit", 422, "validation"),  # the withdrawn indicator, named
            ("contacts", 422, "validation"),
            ("correction with If-Match", 412, "precondition-failed"),
        }
        raced = {(kind, 409, CONCURRENT) for kind, _, _ in allowed}
        unexpected = set(ledger.answers) - allowed - raced
        assert not unexpected, f"{unexpected}; {ledger.why()}"
        writes = sum(
            n for (kind, _, _), n in ledger.answers.items() if kind not in ("list", "read")
        )
        lost_races = sum(n for (_, status, _), n in ledger.answers.items() if status == 409)
        assert lost_races * 4 < writes, ledger.why()
        assert ledger.answers[("correction", 200, "")] > 0, ledger.why()
        # Each request answered 2xx was recorded by one answer; the others were replays.
        odd = {r: ledger.firsts[r] for r in ledger.landed if ledger.firsts[r] != 1}
        assert not odd, f"{odd}; {ledger.why()}"

        assert ledger.during > 0, f"no correction met a phone sending; {ledger.why()}"

        read_models_caught_up(visits)
        listed = visits.get("/visits", params={"limit": 200}).json()["items"]
        rows = {row["visit_id"]: row for row in listed}
        assert len(rows) == PHONES * VISITS_PER_PHONE, ledger.why()
        for phone in phones:
            for doc in phone.docs:
                check_visit(visits, doc.id, rows[doc.id], ledger)
