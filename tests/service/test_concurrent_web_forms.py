"""Two leads on one woman's journey at once, through the web app's forms: each opens the needs
form and saves it again and again while the other does.

A save is either done (303 on to her journey) or the form drawn again with why (409, or 412:
someone changed her record since the page was drawn); never a 5xx. Each save that was done is
one event on her journey, no more and no fewer.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from functools import partial
from pathlib import Path
from uuid import uuid4

from services.web.sessions import COOKIE
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.deep.web_stack import Stack, web_stack
from tests.support import at_once, bearer

ROUNDS = 12
HIDDEN = re.compile(r'<input type="hidden" name="(csrf_token|version|loaded_at)" value="([^"]*)"')
NEEDS = ["housing", "health", "money", "legal", "safety", "language"]


def lead_saving(stack: Stack, journey: str, subject: str, seed: int, answers: Counter[str]):
    rnd = random.Random(seed)
    session = stack.session(Role.SAFEGUARDING_LEAD, subject=subject)
    signed_in = {"Cookie": f"{COOKIE}={session.id}"}
    form = f"/journeys/{journey}/needs-assessments"
    for _ in range(ROUNDS):
        page = stack.web.get(form, headers=signed_in)
        answers[f"form {page.status_code}"] += 1
        hidden = dict(HIDDEN.findall(page.text))
        data = {**hidden, "needs": rnd.sample(NEEDS, 2), "notes": ""}
        saved = stack.web.post(form, data=data, headers=signed_in)
        answers[f"save {saved.status_code}"] += 1
        if saved.status_code == 412:
            assert "since you opened this form" in saved.text


def test_given_two_leads_saving_her_needs_at_once_then_each_save_done_is_one_event(
    tmp_path: Path, database: tuple[str | None, str | None]
) -> None:
    url, _ = database
    with web_stack(tmp_path, url) as stack:
        cases = stack.services[ServiceName.CASES]
        lead = bearer(Role.SAFEGUARDING_LEAD, subject="lead-1", team="west")
        journey = str(uuid4())
        body = {"journey_id": journey, "pseudonym": "R-17", "preferred_languages": ["ro"]}
        opened = cases.post("/journeys", json=body, headers=lead)
        assert opened.status_code == 201, opened.text
        answers: Counter[str] = Counter()
        at_once(
            *(
                partial(lead_saving, stack, journey, subject, seed, answers)
                for seed, subject in enumerate(["lead-1", "lead-1", "lead-2", "lead-2"])
            )
        )
        assert set(answers) <= {"form 200", "save 303", "save 409", "save 412"}, answers
        assert answers["save 303"] > 0, answers
        admin = bearer(Role.ADMIN, subject="admin-1")
        history = cases.get(f"/admin/aggregates/{journey}/history", headers=admin).json()
        assessed = [e for e in history["events"] if e["type"] == "Journey.NeedsAssessed"]
        assert len(assessed) == answers["save 303"], answers
