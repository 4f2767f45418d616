"""The rules as configured: who is told (rota, caseworker, intake), on which channels, and
when each reminder is due."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.notifications.config import NotificationsConfig
from services.notifications.domain import Rule
from services.notifications.policy import OnCall, Policy


def config(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "base_url": "https://waymark.example.org/app/",
        "email": {"sender": "waymark@charity.example"},
        "recipients": {
            "user:sg-1": {"channels": ["email"], "email": "sg1@charity.example"},
            "user:cw-1": {
                "channels": ["email"],
                "rules": {"appointment_due": []},
                "email": "cw1@charity.example",
            },
        },
        "on_call": {
            "rota": [
                {
                    "starts_on": "2026-11-23",
                    "ends_on": "2026-11-29",
                    "lead": "sg-1",
                    "deputy": "sg-2",
                },
                {"starts_on": "2026-11-30", "ends_on": "2026-12-06", "lead": "sg-3"},
                {"starts_on": "2026-07-13", "ends_on": "2026-07-13", "lead": "sg-4"},
            ]
        },
        "bank_holidays": {"nation": "england-and-wales"},
    }
    base.update(changes)
    return base


@pytest.fixture
def policy() -> Policy:
    return Policy(NotificationsConfig.model_validate(config()))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2026, 11, 27, 3, 0), OnCall("user:sg-1", "user:sg-2")),
        (utc(2026, 11, 29, 23, 59), OnCall("user:sg-1", "user:sg-2")),  # still the 29th in GMT
        (utc(2026, 11, 30, 0, 0), OnCall("user:sg-3", "role:safeguarding_lead")),  # no deputy named
        (
            utc(2026, 12, 7, 12, 0),
            OnCall("role:safeguarding_lead", "role:safeguarding_lead"),
        ),  # a gap
        (
            utc(2026, 7, 12, 23, 30),
            OnCall("user:sg-4", "role:safeguarding_lead"),
        ),  # 00:30 BST, 13th
    ],
)
def test_urgent_concerns_go_to_whoever_the_rota_has_on_call_that_local_day(
    policy: Policy, at: datetime, expected: OnCall
) -> None:
    assert policy.on_call(at) == expected


def test_journey_notifications_go_to_her_caseworker_or_else_the_intake_inbox(
    policy: Policy,
) -> None:
    assert policy.caseworker("cw-1") == "user:cw-1"
    assert policy.caseworker(None) == "role:caseworker" == policy.intake


def test_channels_follow_each_persons_preferences_rule_by_rule(policy: Policy) -> None:
    assert policy.channels_for("user:cw-1", Rule.REFERRAL_DECLINED) == ["email"]
    assert policy.channels_for("user:cw-1", Rule.APPOINTMENT_DUE) == []  # inbox only
    assert policy.channels_for("user:somebody-else", Rule.URGENT_CONCERN) == []


def test_an_appointment_is_reminded_the_day_before_at_nine_local_time(policy: Policy) -> None:
    winter = policy.appointment_due(utc(2026, 12, 3, 10, 0))
    assert winter.fire_at == utc(2026, 12, 2, 9, 0)
    assert winter.stale_at == utc(2026, 12, 3, 10, 0)
    summer = policy.appointment_due(utc(2026, 7, 15, 9, 0))  # 10:00 BST
    assert summer.fire_at == utc(2026, 7, 14, 8, 0)  # 09:00 BST


def test_lead_times_are_configuration() -> None:
    changed = config(
        reminder_time="17:30",
        rules={"follow_up_due": {"days_before": 2}, "recovery_period_ending": {"days_before": 10}},
    )
    policy = Policy(NotificationsConfig.model_validate(changed))
    assert policy.follow_up_due(utc(2026, 12, 10, 12, 0)).fire_at == utc(2026, 12, 8, 17, 30)
    assert policy.recovery_period_ending(date(2026, 12, 20)).fire_at == utc(2026, 12, 10, 17, 30)


def test_a_recovery_period_is_reminded_a_week_before_its_last_day(policy: Policy) -> None:
    timing = policy.recovery_period_ending(date(2026, 12, 20))
    assert timing.fire_at == utc(2026, 12, 13, 9, 0)
    assert timing.stale_at == utc(2026, 12, 21, 0, 0)


@pytest.mark.parametrize(
    ("submitted", "due", "reminded"),
    [
        (date(2026, 11, 23), date(2026, 11, 30), utc(2026, 12, 1, 9, 0)),
        (date(2026, 12, 21), date(2026, 12, 30), utc(2026, 12, 31, 9, 0)),  # over Christmas
        (date(2026, 12, 23), date(2027, 1, 4), utc(2027, 1, 5, 9, 0)),  # and New Year
        (date(2027, 3, 19), date(2027, 3, 30), utc(2027, 3, 31, 8, 0)),  # Easter, then BST
    ],
)
def test_a_reasonable_grounds_decision_is_overdue_after_five_working_days(
    policy: Policy, submitted: date, due: date, reminded: datetime
) -> None:
    assert policy.reasonable_grounds_due_on(submitted) == due
    timing = policy.reasonable_grounds_overdue(submitted)
    assert timing.fire_at == reminded and timing.stale_at is None


def test_an_urgent_concern_escalates_after_the_configured_minutes() -> None:
    changed = config(rules={"urgent_concern": {"escalate_after_minutes": 5}})
    policy = Policy(NotificationsConfig.model_validate(changed))
    assert policy.escalate_at(utc(2026, 11, 27, 3, 0)) == utc(2026, 11, 27, 3, 5)


def test_a_rule_can_be_switched_off_and_escalation_follows_its_rule() -> None:
    changed = config(
        rules={"urgent_concern": {"enabled": False}, "journey_opened": {"enabled": False}}
    )
    policy = Policy(NotificationsConfig.model_validate(changed))
    assert not policy.enabled(Rule.JOURNEY_OPENED)
    assert not policy.enabled(Rule.URGENT_CONCERN_ESCALATED)
    assert policy.enabled(Rule.REFERRAL_EXPIRED)


def test_links_outside_the_inbox_are_absolute(policy: Policy) -> None:
    assert policy.config.link("/journeys/1") == "https://waymark.example.org/app/journeys/1"
