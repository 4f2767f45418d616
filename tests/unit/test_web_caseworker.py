"""Pure helpers of the caseworker's screens: the timeline's words and what changed meanwhile."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

from services.web.api import Answer, NotFound, Service
from services.web.pages.conflicts import changes_since
from services.web.pages.timeline import detail_words, entry_view, what


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
