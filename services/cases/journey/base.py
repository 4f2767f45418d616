"""What every part of a journey shares: the kinds of error a broken rule raises and the rules
about the journey as a whole, her state, the guards most commands start with, and the two steps
of the journey's status that several kinds of support move it through.

Each concept (consent, referrals, the NRM…) is a mixin class in its own module holding that
concept's events, commands and errors; ``Journey`` combines them. The mixins declare the state
here so that each reads and checks it typed; ``Journey.__init__`` sets it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from services.aggregate_parts import AggregatePart
from services.cases.values import (
    Appointment,
    BreakGlassGrant,
    Concern,
    Consent,
    ErasureRequest,
    FollowUp,
    Goal,
    Indicator,
    JourneyStatus,
    Meeting,
    NrmPathway,
    Referral,
    SafetyPlan,
)

Item = TypeVar("Item")


class JourneyError(Exception):
    """The journey cannot change this way."""


class JourneyItemNotFound(JourneyError):
    """No such item on this journey."""


class JourneyInputError(JourneyError):
    """A value in the command breaks a rule of the journey."""


class JourneyClosed(JourneyError):
    """The journey is closed: reopen it first."""


class JourneyMerged(JourneyError):
    """This journey was merged into another woman's journey; work on hers."""


class JourneyAlreadyExists(JourneyError):
    """A journey with this id already exists."""


class NotRegistered(JourneyError):
    """She is not registered yet: register her before recording casework."""


class DatesOutOfOrder(JourneyInputError):
    """The dates are out of order (e.g. learned of a decision before it was made)."""


class JourneyErased(JourneyError):
    """Her personal data was erased: the journey can be read but not changed."""


class JourneyFact(Aggregate.Event):
    """A fact on her journey. Each keeps when it happened by the device's clock (an app that
    was offline may send it hours later) and who caused it; the server's time is the event's
    ``timestamp``."""

    occurred_at: datetime
    actor: str


class JourneyPart(AggregatePart):
    """A part of a support journey: the state and guards every concept's commands share."""

    contact_id: UUID | None
    opened_by: str
    status: JourneyStatus
    contacts: list[tuple[UUID, UUID]]  # (visit id, contact id)
    contact_details: dict[tuple[UUID, UUID], tuple[str, datetime]]  # language, when
    registered_at: datetime | None
    pseudonym: str | None
    preferred_languages: list[str]
    interpreter_needed: bool
    caseworker_id: str | None
    consents: dict[UUID, Consent]
    safety_plans: dict[UUID, SafetyPlan]
    goals: dict[UUID, Goal]
    meetings: dict[UUID, Meeting]
    appointments: dict[UUID, Appointment]
    referrals: dict[UUID, Referral]
    nrm: NrmPathway
    possible_minor: bool
    exited_at: datetime | None
    returned_home_at: datetime | None
    contact_lost_at: datetime | None
    closed_at: datetime | None
    indicators: dict[UUID, Indicator]
    concerns: dict[UUID, Concern]
    follow_ups: dict[UUID, FollowUp]
    linked_contacts: list[tuple[UUID, UUID]]  # (visit id, contact id)
    merged_into: UUID | None
    last_outreach_at: datetime | None
    _registration: tuple[str, list[str], bool] | None

    # Class-level defaults for state added after snapshots were first taken: an older
    # snapshot lacks them, and reads these instead.
    team_id: str | None = None
    break_glass: tuple[BreakGlassGrant, ...] = ()
    erasure_request: ErasureRequest | None = None
    erased_at: datetime | None = None
    erased_by: str | None = None

    def _record(
        self, fact: type[JourneyFact], occurred_at: datetime, actor: str, **details: Any
    ) -> None:
        """The fact, with when it happened and who caused it, as every journey fact has."""
        self.trigger_event(fact, occurred_at=occurred_at, actor=actor, **details)

    # --- the journey's status as support begins -------------------------------------------

    class AssessmentStarted(JourneyFact):
        """The journey moved from new to assessing (recorded with the first assessment)."""

        def apply(self, journey: JourneyPart) -> None:
            journey.status = JourneyStatus.ASSESSING

    class SupportStarted(JourneyFact):
        """The journey became active (recorded with the first piece of support)."""

        def apply(self, journey: JourneyPart) -> None:
            journey.status = JourneyStatus.ACTIVE

    def _start_assessment(self, occurred_at: datetime, actor: str) -> None:
        if self.status is JourneyStatus.NEW:
            self._record(self.AssessmentStarted, occurred_at, actor)

    def _start_support(self, occurred_at: datetime, actor: str) -> None:
        if self.status in (JourneyStatus.NEW, JourneyStatus.ASSESSING):
            self._record(self.SupportStarted, occurred_at, actor)

    # --- guards shared by commands --------------------------------------------------------

    @property
    def registered(self) -> bool:
        return self.registered_at is not None

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

    def _require_not_erased(self) -> None:
        if self.erased_at is not None:
            raise JourneyErased(f"journey {self.id} was erased")

    def _require_not_merged(self) -> None:
        self._require_not_erased()
        if self.status is JourneyStatus.MERGED:
            raise JourneyMerged(f"journey {self.id} was merged into {self.merged_into}")

    def _require_writable(self) -> None:
        self._require_not_merged()
        if self.status is JourneyStatus.CLOSED:
            raise JourneyClosed(f"journey {self.id} is closed")

    def _require_registered(self) -> None:
        self._require_writable()
        if not self.registered:
            raise NotRegistered(f"journey {self.id} has no registered person")

    def _found(
        self,
        items: Mapping[UUID, Item],
        item_id: UUID,
        missing: type[JourneyItemNotFound],
        kind: str,
    ) -> Item:
        """The journey's ``kind`` of item with this id; ``missing`` when it has none."""
        item = items.get(item_id)
        if item is None:
            raise missing(f"no {kind} {item_id} on journey {self.id}")
        return item

    def _is_retry(
        self,
        items: Mapping[UUID, Item],
        item_id: UUID,
        as_given: Callable[[Item], bool],
        conflict: type[JourneyError],
        kind: str,
    ) -> bool:
        """True when the journey already has this ``kind`` of item ``as_given``: a retry, which
        records nothing. ``conflict`` when its id is already recorded with other content."""
        existing = items.get(item_id)
        if existing is None:
            return False
        if as_given(existing):
            return True
        raise conflict(f"{kind} {item_id} is already recorded")

    def _heard_from_outreach(self, occurred_at: datetime) -> None:
        if self.last_outreach_at is None or occurred_at > self.last_outreach_at:
            self.last_outreach_at = occurred_at


def unique(codes: Sequence[str]) -> list[str]:
    """The codes in their first-given order, each once."""
    return list(dict.fromkeys(codes))
