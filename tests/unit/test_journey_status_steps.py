"""The status each status step names (what the caseload shows and the status change published)
is the status the journey itself reaches when that event is recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.cases.journey import STATUS_AFTER, Journey
from services.cases.values import ReopenReason

T0 = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)
CW = "cw-1"


def test_every_status_step_names_the_status_the_journey_reaches() -> None:
    registered = Journey.register_new(uuid4(), "R-17", ["ro"], False, T0, CW)
    contact = Journey(contact_id=uuid4(), occurred_at=T0, actor="system:visits")
    steps: list[tuple[Journey, Callable[[Journey], None]]] = [
        (registered, lambda j: j.assess_needs(["housing"], None, T0, CW)),
        (registered, lambda j: j.record_meeting(uuid4(), "coffee", None, T0, CW)),
        (registered, lambda j: j.close("goals_met", T0 + timedelta(days=1), CW)),
        (registered, lambda j: j.reopen(ReopenReason.SHE_RETURNED, T0 + timedelta(days=2), CW)),
        (contact, lambda j: j.merge_into(uuid4(), T0 + timedelta(days=1), "system:visits")),
    ]
    seen = set()
    for journey, command in steps:
        journey.collect_events()
        command(journey)
        reached = [type(e) for e in journey.collect_events() if type(e) in STATUS_AFTER]
        assert len(reached) == 1
        assert journey.status is STATUS_AFTER[reached[0]]
        seen.add(reached[0])
    assert seen == set(STATUS_AFTER)
