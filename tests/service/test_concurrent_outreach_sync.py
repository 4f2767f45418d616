"""Outreach workers' phones sending their outboxes through the web app at once, while two
safeguarding leads correct the same visits.

Each phone sends as ``services/web/static/outreach/outbox.js`` does (``outreach_phones``): an
answer lost on the way makes it send the same request again later, a refusal is corrected and
sent again. The web app offers a lead no correction of a visit, so the leads use the visits
service's own routes, as its API documents: an alias corrected, the premises label corrected,
with ``If-Match`` from the visit she read or without.

Every answer must be one the outbox or the lead is told to expect (never a 5xx); each request
answered 2xx was recorded by exactly one of its answers and every other was a replay; what was
refused is not recorded; each correction answered 2xx is there once; and once the read models
catch up, the visits list agrees with each visit. ``WAYMARK_TEST_SEED`` replays a run's choices.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient

from shared.security.roles import Role
from shared.settings import ServiceName
from tests.deep.web_stack import web_stack
from tests.service.outreach_phones import CONCURRENT, VISITS_PER_PHONE, WITHDRAWN, Ledger, Phone
from tests.support import at_once, bearer, read_models_caught_up

PHONES = 5
LEADS = 2
LEAD_ROUNDS = 25


def _seed() -> int:
    chosen = os.environ.get("WAYMARK_TEST_SEED")
    return int(chosen) if chosen else random.randrange(2**32)


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
