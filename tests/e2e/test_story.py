"""One woman's journey, from a first hello at a flat to a safe exit, across the visits and
cases services over real NATS — the long story the whole system exists for."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import nats
import pytest

from services.cases.domain import Journey
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.e2e.system import System
from tests.support import bearer, wait_until

pytestmark = pytest.mark.e2e

NOW = datetime.now(UTC).replace(microsecond=0)
ALIAS = "Marker-story-Ana"
VOLUNTEER = bearer(Role.OUTREACH, subject="vol-3")
# She triages new journeys as well as holding a caseload: the per-journey rules are in
# tests/service/test_journey_access.py; this story is about the journey itself.
CASEWORKER = bearer(roles=(Role.CASEWORKER, Role.SAFEGUARDING_LEAD), subject="cw-1")


def at(days: float, hours: float = 0) -> str:
    return (NOW - timedelta(days=60) + timedelta(days=days, hours=hours)).isoformat()


class Story:
    """Ana's story: the ids it is told with, and the clients it is told through."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.premises_id, self.contact_id = uuid4(), uuid4()
        self.journey_id = Journey.create_id(self.contact_id)
        self.goal_id, self.referral_id = uuid4(), uuid4()
        self.visits = httpx.Client(
            base_url=system.url(ServiceName.VISITS), timeout=10, headers=VOLUNTEER
        )
        self.cases = httpx.Client(
            base_url=system.url(ServiceName.CASES), timeout=10, headers=CASEWORKER
        )

    def visit(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.visits.post("/visits", json=body, headers=VOLUNTEER)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def step(self, journey_id: UUID, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.cases.post(
            f"/journeys/{journey_id}/{path}", json=body or {}, headers=CASEWORKER
        )
        assert response.status_code == 200, f"{path}: {response.text}"
        return response.json()

    def journey(self, journey_id: UUID) -> dict[str, Any]:
        response = self.cases.get(f"/journeys/{journey_id}")
        return dict(response.json()) if response.status_code == 200 else {}

    def timeline_ending_in(self, event: str) -> dict[str, Any]:
        """Her whole timeline once its latest entry is ``event``."""

        def latest() -> dict[str, Any] | None:
            timeline = self.cases.get(
                f"/journeys/{self.journey_id}/timeline", params={"limit": 200}
            ).json()
            return timeline if timeline["items"][0]["event"] == event else None

        return dict(wait_until(latest, message=f"her timeline up to {event}"))


@pytest.fixture
def story(system: System):
    told = Story(system)
    yield told
    told.visits.close()
    told.cases.close()


def test_from_first_contact_at_a_premises_to_a_safe_exit(story: Story, system: System) -> None:
    the_team_registers_the_flat(story)
    a_first_visit_opens_her_journey_with_what_outreach_learnt(story)
    a_second_visit_joins_the_same_journey(story)
    she_is_registered_and_a_caseworker_takes_her_on(story)
    an_accompanied_appointment_gets_her_an_ni_number(story)
    a_housing_referral_shares_her_data_only_with_her_consent(story)
    she_exits_and_the_case_closes_with_its_goals_met(story)
    the_read_models_tell_the_same_story(story)
    her_alias_never_left_the_visits_service(story, system)


def the_team_registers_the_flat(story: Story) -> None:
    """Under a pseudonymous label."""
    premises = story.visits.post(
        "/premises",
        headers=VOLUNTEER,
        json={
            "premises_id": str(story.premises_id),
            "label": "W1-blue-door",
            "area": "soho",
            "premises_type": "flat",
            "occurred_at": at(0),
        },
    )
    assert premises.status_code == 201, premises.text


def a_first_visit_opens_her_journey_with_what_outreach_learnt(story: Story) -> None:
    """A brief hello in Romanian, a card, a disclosed debt, a coffee offered; her journey opens
    in cases over NATS."""
    story.visit(
        {
            "visit_id": str(uuid4()),
            "premises_id": str(story.premises_id),
            "team": "west",
            "volunteers": ["vol-3"],
            "languages_offered": ["ro", "en"],
            "started_at": at(0),
            "completed_at": at(0, 1),
            "premises_indicators": [{"indicator": "controller_present", "source": "observed"}],
            "contacts": [
                {
                    "contact_id": str(story.contact_id),
                    "alias": ALIAS,
                    "language": "ro",
                    "bridging_volunteer": "vol-3",
                    "materials": ["contact_card", "gift"],
                    "indicators": [{"indicator": "debt_bondage", "source": "disclosed"}],
                    "follow_up": {"kind": "coffee", "due_at": at(3)},
                }
            ],
        }
    )
    journey_id = story.journey_id
    journey = wait_until(lambda: story.journey(journey_id), message="journey opened over NATS")
    assert journey["status"] == "new" and not journey["registered"]
    timeline = wait_until(
        lambda: (
            (t := story.cases.get(f"/journeys/{journey_id}/timeline").json()).get("total", 0) >= 4
            and t
        ),
        message="outreach facts on her timeline",
    )
    outreach = {e["event"] for e in timeline["items"] if e["source"] == "outreach"}
    assert {"contact_recorded", "indicator_noted", "follow_up_noted"} <= outreach


def a_second_visit_joins_the_same_journey(story: Story) -> None:
    """Two weeks later she comes for coffee and trusts the team."""
    story.visit(
        {
            "visit_id": str(uuid4()),
            "premises_id": str(story.premises_id),
            "team": "west",
            "languages_offered": ["ro"],
            "started_at": at(14),
            "completed_at": at(14, 1),
            "outcome": "conversation",
            "contacts": [{"contact_id": str(story.contact_id), "alias": ALIAS, "language": "ro"}],
        }
    )
    wait_until(
        lambda: len(story.journey(story.journey_id).get("contacts", [])) == 2,
        message="second contact on the same journey",
    )


def she_is_registered_and_a_caseworker_takes_her_on(story: Story) -> None:
    journey_id = story.journey_id
    story.step(
        journey_id,
        "registration",
        {
            "pseudonym": "R-Ana",
            "preferred_languages": ["ro"],
            "interpreter_needed": True,
            "occurred_at": at(15),
        },
    )
    story.step(
        journey_id,
        "consents",
        {
            "consent_id": str(uuid4()),
            "scope": "store_data",
            "wording_version": "2026-03",
            "occurred_at": at(15),
        },
    )
    story.step(journey_id, "caseworker", {"caseworker_id": "cw-1", "occurred_at": at(15)})
    story.step(
        journey_id,
        "needs-assessments",
        {"needs": ["ni_number", "housing", "exit"], "occurred_at": at(16)},
    )
    story.step(
        journey_id,
        "risk-assessments",
        {"level": "medium", "indicators": ["debt_bondage"], "occurred_at": at(16)},
    )


def an_accompanied_appointment_gets_her_an_ni_number(story: Story) -> None:
    """A goal, an accompanied appointment at the Jobcentre, attended."""
    journey_id, appointment_id = story.journey_id, uuid4()
    story.step(
        journey_id,
        "goals",
        {"goal_id": str(story.goal_id), "goal": "ni_number_issued", "occurred_at": at(16)},
    )
    story.step(
        journey_id,
        "appointments",
        {
            "appointment_id": str(appointment_id),
            "kind": "jobcentre",
            "at": at(20),
            "accompanied": True,
            "occurred_at": at(16),
        },
    )
    story.step(
        journey_id,
        f"appointments/{appointment_id}/attendance",
        {"accompanied": True, "occurred_at": at(20)},
    )


def a_housing_referral_shares_her_data_only_with_her_consent(story: Story) -> None:
    """Refused without her consent for that partner; made, followed through and the goal
    achieved with it."""
    journey_id, referral_id = story.journey_id, story.referral_id
    referral = {
        "partner": "housing_charity",
        "need": "housing",
        "shares_personal_data": True,
        "respond_by": at(35),
        "occurred_at": at(21),
    }
    refused = story.cases.post(
        f"/journeys/{journey_id}/referrals",
        headers=CASEWORKER,
        json={"referral_id": str(uuid4()), **referral},
    )
    assert refused.status_code == 409, refused.text
    story.step(
        journey_id,
        "consents",
        {
            "consent_id": str(uuid4()),
            "scope": "share_with_partner",
            "partner": "housing_charity",
            "wording_version": "2026-03",
            "occurred_at": at(21),
        },
    )
    story.step(journey_id, "referrals", {"referral_id": str(referral_id), **referral})
    for transition, day in (("acknowledgement", 22), ("acceptance", 25), ("completion", 40)):
        story.step(journey_id, f"referrals/{referral_id}/{transition}", {"occurred_at": at(day)})
    story.step(journey_id, f"goals/{story.goal_id}/achievement", {"occurred_at": at(45)})


def she_exits_and_the_case_closes_with_its_goals_met(story: Story) -> None:
    story.step(story.journey_id, "exit", {"occurred_at": at(50)})
    closed = story.step(story.journey_id, "closure", {"reason": "goals_met", "occurred_at": at(55)})
    assert closed["status"] == "closed" and closed["exited"]


def the_read_models_tell_the_same_story(story: Story) -> None:
    """Her caseworker's caseload, the referrals board, her timeline, the premises history."""
    journey_id = story.journey_id
    listed = wait_until(
        lambda: [
            j
            for j in story.cases.get(
                "/journeys", params={"caseworker": "cw-1", "status": "closed"}
            ).json()["items"]
            if j["journey_id"] == str(journey_id)
        ],
        message="the closed journey in her caseworker's caseload",
    )
    assert listed[0]["contact_count"] == 2 and listed[0]["registered"]

    # The referrals board folds the same events apart from the caseload: wait for it too.
    def completed_on_the_board() -> dict[str, Any] | None:
        board = story.cases.get("/referrals", params={"partner": "housing_charity"}).json()
        statuses = {c["status"] for c in board["items"]}
        return dict(board) if statuses == {"completed"} else None

    board = wait_until(completed_on_the_board, message="her completed referral on the board")
    assert [(c["referral_id"], c["status"]) for c in board["items"]] == [
        (str(story.referral_id), "completed")
    ]
    timeline = story.timeline_ending_in("case_closed")
    happened = [e["occurred_at"] for e in timeline["items"]]
    assert happened == sorted(happened, reverse=True)
    history = wait_until(
        lambda: (
            (h := story.visits.get(f"/premises/{story.premises_id}/history").json())["visit_count"]
            == 2
            and h
        ),
        message="both visits in the premises history",
    )
    assert [v["outcome"] for v in history["items"]] == ["conversation", "brief_contact"]


def her_alias_never_left_the_visits_service(story: Story, system: System) -> None:
    """Not in cases' journey or timeline, not on the bus."""
    assert ALIAS not in str(story.cases.get(f"/journeys/{story.journey_id}").json())
    assert ALIAS not in str(story.timeline_ending_in("case_closed"))
    assert not asyncio.run(_bus_mentions(system, ALIAS.encode()))


async def _bus_mentions(system: System, needle: bytes) -> bool:
    nc = await nats.connect(system.nats.url)
    try:
        js = nc.jetstream()
        for stream in ("VISITS", "CASES"):
            info = await js.stream_info(stream)
            for sequence in range(info.state.first_seq, info.state.last_seq + 1):
                if needle in (await js.get_msg(stream, sequence)).data:
                    return True
        return False
    finally:
        await nc.close()
