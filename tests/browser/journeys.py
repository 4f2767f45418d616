"""Data made through the services' APIs, as outreach and casework would make it, for the
screens to find: premises, and a woman's journey (and an admin's page open on it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx

from services.cases.domain import Journey
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.browser.conftest import Visitor
from tests.browser.system import WebSystem
from tests.support import bearer, wait_until


def register_premises(system: WebSystem, label: str) -> str:
    """Premises an outreach team registered two hours ago, before any visit a test records
    there (in Soho, a flat): their id."""
    premises_id = str(uuid4())
    response = httpx.post(
        system.url(ServiceName.VISITS) + "/premises",
        json={
            "premises_id": premises_id,
            "label": label,
            "area": "soho",
            "premises_type": "flat",
            "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        },
        headers=bearer(Role.OUTREACH, subject="vol-registers", team="west"),
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return premises_id


@dataclass(frozen=True)
class MadeJourney:
    journey_id: UUID
    contact_id: UUID
    pseudonym: str
    caseworker: str


def a_journey(system: WebSystem, name: str) -> MadeJourney:
    """A visit meets her, cases opens her journey over NATS, the lead registers her with a
    pseudonym, then — later — assigns her a caseworker."""
    contact_id, visit_id = uuid4(), uuid4()
    journey_id = Journey.create_id(contact_id)
    pseudonym = f"Pseudo{name}{uuid4().hex[:8]}"
    caseworker = f"cw-{name}"
    now = datetime.now(UTC)
    with system.client(ServiceName.VISITS, Role.OUTREACH, subject="vol-1") as outreach:
        visit = outreach.post(
            "/visits",
            headers={"Idempotency-Key": str(visit_id)},
            json={
                "visit_id": str(visit_id),
                "premises_label": "P-12",
                "team": "west",
                "languages_offered": ["ro", "en"],
                "started_at": (now - timedelta(hours=2)).isoformat(),
                "completed_at": (now - timedelta(hours=1)).isoformat(),
                "contacts": [
                    {"contact_id": str(contact_id), "alias": f"Alias{name}", "language": "ro"}
                ],
            },
        )
        assert visit.status_code == 201, visit.text
    with system.client(ServiceName.CASES, Role.SAFEGUARDING_LEAD, subject="lead-1") as lead:
        path = f"/journeys/{journey_id}"
        wait_until(lambda: lead.get(path).status_code == 200, message="her journey opened")
        for step, body in (
            (
                "/registration",
                {
                    "pseudonym": pseudonym,
                    "preferred_languages": ["ro"],
                    "interpreter_needed": False,
                },
            ),
            ("/caseworker", {"caseworker_id": caseworker}),
        ):
            answer = lead.post(path + step, json={"occurred_at": now.isoformat(), **body})
            assert answer.status_code in (200, 201), f"{step}: {answer.text}"
    return MadeJourney(journey_id, contact_id, pseudonym, caseworker)


def admin_on_her_journey(visitor: Visitor, subject: str, her: MadeJourney) -> Any:
    """The page of an admin signed in as subject, open on her journey's history."""
    page = visitor.sign_in(Role.ADMIN, subject=subject)
    page.goto(f"/admin/journeys/{her.journey_id}")
    return page
