"""Pure helpers of the caseworker's screens: the timeline's words and what changed meanwhile."""

from __future__ import annotations

import asyncio
from datetime import date
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

from services.web.api import Answer, NotFound, Service
from services.web.pages.conflicts import changes_since
from services.web.pages.journey import recovery_countdown
from services.web.pages.journey_actions import JourneyActions, journey_actions
from services.web.pages.listing import Paging, code, page_number, staff_id
from services.web.pages.timeline import detail_words, entry_view, what, who


def _entry(
    version: int, occurred: str, recorded: str, event: str = "meeting_held"
) -> dict[str, Any]:
    return {
        "version": version,
        "event": event,
        "source": "casework",
        "occurred_at": occurred,
        "recorded_at": recorded,
        "actor": "cw-2",
        "details": {"meeting_type": "english_lesson"},
    }


class FakeServices:
    def __init__(self, entries: list[dict[str, Any]], missing: bool = False) -> None:
        self.entries = entries
        self.missing = missing
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def get(self, service: Service, path: str, token: str, params: dict[str, Any]) -> Answer:
        assert service is Service.CASES
        self.calls.append((path, params))
        if self.missing:
            raise NotFound
        start, size = params["offset"], params["limit"]
        body = {"items": self.entries[start : start + size], "total": len(self.entries)}
        return Answer(200, body, None, {})


def _changes(services: FakeServices, loaded_at: object) -> list[dict[str, Any]]:
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(services=services)))
    session = SimpleNamespace(access_token="token")
    return asyncio.run(changes_since(request, session, uuid4(), loaded_at))  # type: ignore[arg-type]


def test_given_entries_recorded_before_and_after_loading_when_asked_then_only_later_ones() -> None:
    services = FakeServices(
        [
            _entry(3, "2026-11-29T12:00:00+00:00", "2026-11-29T12:00:01+00:00"),
            # An offline app delivered this late: it happened long before, recorded after.
            _entry(2, "2026-11-28T09:00:00+00:00", "2026-11-29T11:59:00+00:00", "contact_recorded"),
            _entry(1, "2026-11-28T08:00:00+00:00", "2026-11-28T08:00:01+00:00"),
        ]
    )
    changes = _changes(services, "2026-11-29T11:30:00+00:00")
    assert [c["version"] for c in changes] == [3, 2]
    assert changes[0]["what"] == "Meeting"
    assert changes[1]["late"] is True


def test_given_a_long_timeline_when_asked_then_every_page_is_read() -> None:
    entries = [
        _entry(v, "2026-11-01T10:00:00+00:00", "2026-11-29T12:00:00+00:00")
        for v in range(450, 0, -1)
    ]
    changes = _changes(FakeServices(entries), "2026-11-29T11:00:00+00:00")
    assert len(changes) == 450


def test_given_an_unreadable_moment_when_asked_then_no_entries_and_no_call() -> None:
    services = FakeServices([_entry(1, "2026-11-29T12:00:00+00:00", "2026-11-29T12:00:00+00:00")])
    assert _changes(services, "not a time") == []
    assert services.calls == []


def test_given_the_journey_is_gone_when_asked_then_no_entries() -> None:
    assert _changes(FakeServices([], missing=True), "2026-11-29T11:00:00+00:00") == []


def test_given_codes_when_put_in_words_then_readable_and_unknown_events_still_named() -> None:
    assert what("consent_given") == "Consent given"
    assert what("something_new") == "Something new"
    assert detail_words(
        {"scope": "share_with_partner", "partner": "nhs_gp", "consent_id": "x"}
    ) == ("scope: share with partner · partner: nhs gp")
    view = entry_view(_entry(1, "2026-11-29T12:00:00+00:00", "2026-11-29T12:00:05+00:00"))
    assert view["late"] is False and view["detail_words"] == "type: english lesson"


# --- the journey page's next actions and the recovery period -----------------------------

JID = "7a1b0c3e-0000-4000-8000-000000000001"
BASE = f"/journeys/{JID}"


def _journey(**changes: Any) -> dict[str, Any]:
    journey: dict[str, Any] = {
        "journey_id": JID,
        "status": "active",
        "registered": True,
        "possible_minor": False,
        "consents": [],
        "goals": [],
        "appointments": [],
        "referrals": [],
        "nrm": {},
        "exited": False,
        "returned_home_at": None,
        "contact_lost_at": None,
    }
    journey.update(changes)
    return journey


def _hrefs(actions: JourneyActions, section: str) -> list[str]:
    return [a.href.removeprefix(BASE) for a in actions.sections.get(section, [])]


def test_given_an_unregistered_journey_then_registering_comes_first_and_support_waits() -> None:
    actions = journey_actions(_journey(registered=False, status="new"), lead=False)
    assert "/registration" in _hrefs(actions, "about-her")
    assert _hrefs(actions, "consent") == [] and _hrefs(actions, "referrals") == []
    assert "/closure" in _hrefs(actions, "status")


def test_given_referrals_in_each_state_then_only_their_next_steps_are_offered() -> None:
    referrals = [
        {"referral_id": "r-made", "status": "made"},
        {"referral_id": "r-acc", "status": "accepted"},
        {"referral_id": "r-done", "status": "completed"},
    ]
    actions = journey_actions(_journey(referrals=referrals), lead=False)
    made = [a.href.rsplit("/", 1)[-1] for a in actions.items["r-made"]]
    assert made == ["acknowledgement", "acceptance", "decline", "withdrawal"]
    assert [a.href.rsplit("/", 1)[-1] for a in actions.items["r-acc"]] == [
        "completion",
        "withdrawal",
    ]
    assert "r-done" not in actions.items
    # Open referrals must finish before her journey can close.
    assert "/closure" not in _hrefs(actions, "status")


def test_given_a_closed_journey_then_only_reopening_and_withdrawing_consent() -> None:
    consents = [{"consent_id": "c-1", "active": True}, {"consent_id": "c-2", "active": False}]
    actions = journey_actions(_journey(status="closed", consents=consents), lead=True)
    assert actions.sections == {"status": actions.sections["status"]}
    assert _hrefs(actions, "status") == ["/reopening"]
    assert list(actions.items) == ["c-1"]


def test_given_a_merged_or_erased_journey_then_nothing_can_be_done() -> None:
    for status in ("merged", "erased"):
        actions = journey_actions(_journey(status=status), lead=True)
        assert actions.sections == {} and actions.items == {}


def test_given_the_nrm_pathway_then_each_step_follows_the_last() -> None:
    def nrm(**fields: Any) -> list[str]:
        return _hrefs(journey_actions(_journey(nrm=fields), lead=False), "nrm")

    assert nrm() == ["/nrm/first-responder-contact", "/nrm/referral"]
    assert nrm(submitted_on="2026-11-01") == ["/nrm/reasonable-grounds"]
    negative = {"outcome": "negative"}
    assert nrm(submitted_on="2026-11-01", reasonable_grounds=negative) == []
    positive = {"outcome": "positive"}
    assert nrm(submitted_on="2026-11-01", reasonable_grounds=positive) == [
        "/nrm/recovery-period",
        "/nrm/conclusive-grounds",
    ]


def test_given_a_possible_minor_then_only_a_lead_may_clear_the_flag() -> None:
    journey = _journey(possible_minor=True)
    assert "/possible-minor/clearance" not in _hrefs(
        journey_actions(journey, lead=False), "about-her"
    )
    lead = _hrefs(journey_actions(journey, lead=True), "about-her")
    assert "/possible-minor/clearance" in lead and "/caseworker" in lead


def test_given_a_recovery_period_then_the_days_left_count_down() -> None:
    nrm = {"recovery_starts_on": "2026-11-01", "recovery_ends_on": "2026-12-01"}
    assert recovery_countdown(nrm, date(2026, 11, 29))["days_left"] == 2  # type: ignore[index]
    assert recovery_countdown(nrm, date(2026, 12, 3))["days_left"] == -2  # type: ignore[index]
    assert recovery_countdown(nrm, date(2026, 10, 30))["started"] is False  # type: ignore[index]
    assert recovery_countdown({}, date(2026, 11, 29)) is None


def test_given_odd_query_values_then_they_are_dropped_with_a_message_never_echoed() -> None:
    errors: dict[str, str] = {}
    assert staff_id("cw 1<script>", errors, "caseworker") == ""
    assert "<script>" not in errors["caseworker"]
    assert code("NOT_A_CODE", {"made"}, errors, "status") == ""
    assert page_number("2") == 2 and page_number("-1") == 1 and page_number("9" * 9) == 1
    paging = Paging(2, 60, 25, "/caseload", {"status": "active", "caseworker": ""})
    assert paging.previous == "/caseload?status=active&page=1"
    assert paging.next == "/caseload?status=active&page=3"
    assert Paging(3, 60, 25, "/caseload", {}).next is None


def test_given_who_recorded_an_entry_then_a_service_reads_as_words_and_staff_as_their_id() -> None:
    assert who("system:visits") == "outreach, from the visit"
    assert who("system") == "Waymark"
    assert who("cw-2") == "cw-2"
