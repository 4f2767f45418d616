"""Stored events are written as the library's ``JSONTranscoder`` writes them, byte for byte:
what was stored before loads, and what is stored now loads with the library's own transcoder.
Every kind of journey event is stored, read back and encoded by both."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import CanMutateAggregate
from eventsourcing.persistence import (
    JSONTranscoder,
    Tracking,
    TranscodingNotRegisteredError,
)

from services.cases.application import CasesApplication
from services.cases.commands import (
    AcknowledgeReferral,
    BreakGlass,
    ClearPossibleMinor,
    MakeReferral,
    MarkPossibleMinor,
    Register,
    RequestErasure,
    WithdrawReferral,
)
from services.cases.domain import Journey
from services.cases.values import ErasureReason, WithdrawalReason
from shared.storage.stored_json import StoredJSONTranscoder
from tests.unit.test_journey_detail import CW, at, rich_journey, uid


def library_transcoder(cases: CasesApplication) -> JSONTranscoder:
    transcoder = JSONTranscoder()
    cases.register_transcodings(transcoder)
    return transcoder


def journey_event_topics() -> set[str]:
    """Every kind of event a journey stores (the parts' classes are the journey's bases)."""

    def below(cls: type[Any]) -> Iterator[type[Any]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    # Spelled out rather than ``get_topic``: the event decorator leaves a second class of the
    # same name behind (``Journey.Opened``), which the library refuses to cache twice.
    return {
        f"{cls.__module__}:{cls.__qualname__}"
        for cls in below(CanMutateAggregate)
        if cls.__module__.startswith("services.cases.journey")
        and cls.__qualname__.startswith("Journey.")
        and cls not in (Journey.Event, Journey.Created)
    }


def every_kind_of_journey_event(cases: CasesApplication) -> None:
    """The rich journey of the detail's golden test, and what it leaves out."""
    rich_journey(cases)
    registered = uid("registered")
    cases.register_person(
        registered,
        Register(pseudonym="Stored-JSON", preferred_languages=["ro"], occurred_at=at(1)),
        actor=CW,
    )
    cases.link_contact_to_person(uid("visit-9"), uid("contact-9"), registered, at(2),
                                 Tracking("visits", 100))  # fmt: skip
    referral, withdrawn, expiring = uid("sj-ref-1"), uid("sj-ref-2"), uid("sj-ref-3")
    for referral_id in (referral, withdrawn, expiring):
        make = MakeReferral(
            referral_id=referral_id,
            partner="salvation_army",
            need="housing",
            shares_personal_data=False,
            respond_by=at(5),
            occurred_at=at(3),
        )
        cases.do(registered, make, actor=CW)
    for command in (
        AcknowledgeReferral(referral_id=referral, occurred_at=at(4)),
        WithdrawReferral(referral_id=withdrawn, reason=WithdrawalReason.MADE_IN_ERROR,
                         occurred_at=at(4)),
        MarkPossibleMinor(occurred_at=at(4)),
        ClearPossibleMinor(occurred_at=at(4)),
        BreakGlass(grant_id=uid("grant"), caseworker_id="cw-other", reason="She is in danger",
                   expires_at=at(5), occurred_at=at(4)),
    ):  # fmt: skip
        cases.do(registered, command, actor=CW)
    journey = cases.get_journey(registered)
    journey.expire_referral(expiring, at(6), "system:referral-expiry")
    journey.record_subject_access(uid("sar"), at(6), CW)
    cases.save(journey)
    erasure = RequestErasure(request_id=uid("erasure"), reason=ErasureReason.SUBJECT_REQUEST,
                             occurred_at=at(7))  # fmt: skip
    cases.do(registered, erasure, actor=CW)
    cases.approve_erasure(registered, occurred_at=at(8), actor="admin-stored-json")


def test_every_journey_event_kind_is_stored_as_the_library_writes_it(
    cases: CasesApplication,
) -> None:
    assert type(cases.mapper.transcoder) is StoredJSONTranscoder
    library = library_transcoder(cases)
    every_kind_of_journey_event(cases)
    stored = cases.recorder.select_notifications(start=1, limit=10_000)  # type: ignore[attr-defined]
    missing = journey_event_topics() - {s.topic for s in stored}
    assert not missing, f"no event of these kinds was stored: {sorted(missing)}"
    for event in stored:
        # What is stored is what the library writes for the state it reads from it.
        assert library.encode(library.decode(event.state)) == event.state, event.topic
        # The state as the application reads it (personal fields opened, or erased) is
        # written alike by both, and read back alike by both.
        state = dict(vars(cases.mapper.to_domain_event(event)))
        del state["originator_id"], state["originator_version"]
        written = cases.mapper.transcoder.encode(state)
        assert written == library.encode(state), event.topic
        assert cases.mapper.transcoder.decode(written) == library.decode(written)


class Mood(StrEnum):
    CALM = "calm"


class Level(IntEnum):
    HIGH = 3


class Colour(Enum):
    RED = "red"


@pytest.mark.parametrize(
    "value",
    [
        {"id": uuid4(), "at": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), "on": date(2026, 1, 2)},
        {"naive": datetime(2026, 1, 2), "offset": datetime(2026, 1, 2, tzinfo=UTC) + timedelta(1)},
        {"nested": [{"id": uuid4(), "tags": ("a", "b")}, [None, True, False, 0, -1]]},
        {"enum": Mood.CALM, "in a list": [Mood.CALM], "as a key": {Mood.CALM: 1}},
        {"text": 'é ü \u2028 \x7f \x00 \x1f " \\ \n \t 𝄞'},
        {"floats": [0.1, 1e16, 1e-7, 2.0, -0.0, math.inf, -math.inf]},
        {"nan": math.nan},
        {"big": 2**64, "small": -(2**63) - 1, "edges": [2**64 - 1, -(2**63)]},
        {"int enum": Level.HIGH},
        {2: "an int key", None: "a None key", 2.5: "a float key", True: "a bool key"},
        {"decimal": Decimal("1.10")},
        [uuid4(), "a list at the top"],
        "a string at the top",
    ],
)
def test_values_the_two_libraries_could_spell_differently_are_written_as_before(
    cases: CasesApplication, value: Any
) -> None:
    library = library_transcoder(cases)
    ours = cases.mapper.transcoder
    assert ours.encode(value) == library.encode(value)


def test_what_the_library_cannot_write_fails_as_it_did(cases: CasesApplication) -> None:
    library = library_transcoder(cases)
    ours = cases.mapper.transcoder
    for value, error in (
        ({"colour": Colour.RED}, TranscodingNotRegisteredError),
        ({"lone surrogate": "\ud800"}, UnicodeEncodeError),
        ({"set": {1}}, TranscodingNotRegisteredError),
    ):
        with pytest.raises(error):
            library.encode(value)
        with pytest.raises(error):
            ours.encode(value)


def test_events_the_library_stored_load_as_before(cases: CasesApplication) -> None:
    library = library_transcoder(cases)
    state = {"id": uuid4(), "at": datetime.now(UTC), "on": date(2026, 1, 2), "mood": "calm"}
    assert cases.mapper.transcoder.decode(library.encode(state)) == state
    assert isinstance(state["id"], UUID)
