"""The pure parts of the admin's and auditor's screens: reading her erasure from her events,
what was known at a moment, the date fields, merging three audit logs, the chain's verdict."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.web.pages.admin import journey_id_of, shown
from services.web.pages.admin_as_of import known_at, recorded_by
from services.web.pages.admin_erasure import erasure_of
from services.web.pages.audit import Search, check, merged
from services.web.rendering import templates


def event(version: int, kind: str, recorded_at: str, actor: str = "adm-a", **data: Any) -> Any:
    return {
        "version": version,
        "type": f"Journey.{kind}",
        "actor": actor,
        "occurred_at": None,
        "recorded_at": recorded_at,
        "data": data,
    }


HISTORY = [
    event(1, "Opened", "2026-11-27T20:00:00+00:00", "system:visits"),
    event(2, "ErasureRequested", "2026-11-28T09:00:00+00:00", reason="subject_request"),
    event(3, "PersonErased", "2026-11-28T10:00:00+00:00", "adm-b"),
]


def test_given_her_events_when_read_then_the_erasure_says_who_asked_and_who_approved() -> None:
    assert erasure_of(HISTORY[:1]) is None
    assert erasure_of(HISTORY[:2]) == {
        "state": "pending",
        "requested_by": "adm-a",
        "requested_at": "2026-11-28T09:00:00+00:00",
        "reason": "subject_request",
    }
    done = erasure_of(HISTORY)
    assert done is not None
    assert (done["state"], done["requested_by"], done["approved_by"]) == (
        "erased",
        "adm-a",
        "adm-b",
    )


def test_given_a_moment_when_asked_then_only_what_was_recorded_by_then_is_known() -> None:
    moment = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert [e["version"] for e in recorded_by(HISTORY, moment)] == [1, 2]


def test_given_the_date_fields_when_read_then_bad_ones_give_none_and_good_ones_utc() -> None:
    assert known_at("2026-11-28", "09:30") == datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    assert known_at("2026-11-28", "") == datetime(2026, 11, 28, 23, 59, tzinfo=UTC)
    assert known_at("2026-02-31", "09:30") is None
    assert known_at("28/11/2026", "") is None
    assert journey_id_of("Ana Smith") is None
    assert journey_id_of(" 0b6f3c9e-5d1e-5b7a-9c61-2f0f1b7d9a21 ") is not None


def test_given_values_when_shown_then_dates_read_as_people_read_them() -> None:
    assert shown("2026-11-28T09:30:00+00:00") == "28 Nov 2026, 09:30 UTC"
    assert shown(["ro", "en"]) == "ro, en"
    assert shown(None) == "—" and shown(True) == "yes"


def search(**changes: Any) -> Search:
    values: dict[str, Any] = {
        "service": "all",
        "actor": "",
        "record_id": "",
        "action": "",
        "outcome": "",
        "since": "",
        "until": "",
        "page": 1,
    }
    values.update(changes)
    return Search(**values)


def test_given_the_filters_when_checked_then_the_last_day_is_whole_and_bad_ones_named() -> None:
    params, errors = check(search(actor="cw-1", since="2026-11-01", until="2026-11-02"))
    assert errors == {}
    assert params == {
        "actor": "cw-1",
        "since": "2026-11-01T00:00:00+00:00",
        "until": "2026-11-03T00:00:00+00:00",
    }
    _, errors = check(search(actor="Ana\nSmith", outcome="maybe", since="soon", service="x"))
    assert set(errors) == {"actor", "outcome", "since", "service"}
    assert not any("Ana" in sentence or "soon" in sentence for sentence in errors.values())


def test_given_three_logs_when_merged_then_newest_first_across_services() -> None:
    def entry(service: str, seq: int, at: str) -> dict[str, Any]:
        return {"service": service, "seq": seq, "at": at}

    pages = {
        "visits": [entry("visits", 7, "2026-11-28T10:00:00+00:00")],
        "cases": [
            entry("cases", 9, "2026-11-28T11:00:00+00:00"),
            entry("cases", 8, "2026-11-28T09:00:00+00:00"),
        ],
        "notifications": [],
    }
    assert [(e["service"], e["seq"]) for e in merged(pages)] == [
        ("cases", 9),
        ("visits", 7),
        ("cases", 8),
    ]


def test_given_a_broken_chain_when_shown_then_it_names_the_entry() -> None:
    page = templates.get_template("audit/verify.html").render(
        title="Audit chain",
        session=None,
        nav=[],
        csrf_token="",
        current_path="/audit/verify",
        checks=[
            {
                "service": "visits",
                "intact": True,
                "checked": 12,
                "first_broken_seq": None,
                "reason": None,
            },
            {
                "service": "cases",
                "intact": False,
                "checked": 6,
                "first_broken_seq": 7,
                "reason": "the row's content does not match its hash",
            },
        ],
    )
    assert "Intact</strong> 12 entries checked" in page
    assert "Broken at entry 7" in page
