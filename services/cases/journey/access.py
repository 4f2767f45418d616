"""Who may open her journey: the caseworker (and team) holding it, and break-glass grants to
caseworkers who do not."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from services.cases.journey.base import (
    DatesOutOfOrder,
    JourneyError,
    JourneyFact,
    JourneyInputError,
    JourneyPart,
)
from services.cases.values import BreakGlassGrant


class AlreadyAssigned(JourneyError):
    """Another caseworker has already taken this journey."""


class BreakGlassReasonRequired(JourneyInputError):
    """Break-glass access needs a written reason."""


MIN_BREAK_GLASS_REASON = 10  # characters: a real sentence, not "x"


class Access(JourneyPart):
    class CaseworkerAssigned(JourneyFact):
        """A caseworker was assigned (or reassigned), with her team when she works in one."""

        caseworker_id: str
        previous_caseworker_id: str | None
        team_id: str | None = None  # added later: events stored before it read as None

        def apply(self, journey: JourneyPart) -> None:
            journey.caseworker_id = self.caseworker_id
            journey.team_id = self.team_id

    class BreakGlassAccessGranted(JourneyFact):
        """A caseworker opened a journey that is not hers, giving a reason, for a limited time.

        The reason is free text (it may name her), so it is sealed with her key."""

        personal_fields: ClassVar[tuple[str, ...]] = ("reason",)

        grant_id: UUID
        caseworker_id: str
        reason: str
        expires_at: datetime

        def apply(self, journey: JourneyPart) -> None:
            grant = BreakGlassGrant(
                self.grant_id, self.caseworker_id, self.expires_at, self.occurred_at
            )
            journey.break_glass = (*journey.break_glass, grant)

    def assign_caseworker(
        self, caseworker_id: str, occurred_at: datetime, actor: str, team_id: str | None = None
    ) -> None:
        self._require_writable()
        if (caseworker_id, team_id) != (self.caseworker_id, self.team_id):
            self._caseworker_assigned(
                caseworker_id, self.caseworker_id, occurred_at, actor, team_id
            )

    def claim(self, caseworker_id: str, occurred_at: datetime, team_id: str | None = None) -> None:
        """She takes a journey nobody holds (from the intake queue). Claiming one that is
        already hers changes nothing, so a retried claim is safe; someone else's is refused."""
        self._require_writable()
        if self.caseworker_id == caseworker_id:
            return
        if self.caseworker_id is not None:
            raise AlreadyAssigned(f"journey {self.id} already has a caseworker")
        self._caseworker_assigned(caseworker_id, None, occurred_at, caseworker_id, team_id)

    def _caseworker_assigned(
        self,
        caseworker_id: str,
        previous_caseworker_id: str | None,
        occurred_at: datetime,
        actor: str,
        team_id: str | None,
    ) -> None:
        self._record(
            self.CaseworkerAssigned,
            occurred_at,
            actor,
            caseworker_id=caseworker_id,
            previous_caseworker_id=previous_caseworker_id,
            team_id=team_id,
        )

    def is_visible_to(self, caseworker_id: str, team_id: str | None) -> bool:
        """Hers: assigned to her or her team, or registered by her and not yet assigned."""
        if self.caseworker_id is None:
            return self.opened_by == caseworker_id
        return self.caseworker_id == caseworker_id or (
            team_id is not None and self.team_id == team_id
        )

    def break_glass_grant(self, caseworker_id: str, at: datetime) -> BreakGlassGrant | None:
        """Her live break-glass grant on this journey, if she has one."""
        live = [
            g for g in self.break_glass if g.caseworker_id == caseworker_id and at < g.expires_at
        ]
        return live[-1] if live else None

    def grant_break_glass(
        self, grant_id: UUID, caseworker_id: str, reason: str, expires_at: datetime, now: datetime
    ) -> None:
        self._require_not_merged()
        if len(reason.strip()) < MIN_BREAK_GLASS_REASON:
            raise BreakGlassReasonRequired(
                f"a break-glass reason needs at least {MIN_BREAK_GLASS_REASON} characters"
            )
        if expires_at <= now:
            raise DatesOutOfOrder("a break-glass grant must end after it starts")
        self._record(
            self.BreakGlassAccessGranted,
            now,
            caseworker_id,
            grant_id=grant_id,
            caseworker_id=caseworker_id,
            reason=reason.strip(),
            expires_at=expires_at,
        )
