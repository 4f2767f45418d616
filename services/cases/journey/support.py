"""Support with her: goals set and achieved or dropped, and meetings held (coffee, English
lesson, phone call). Each makes the journey active; a meeting means the charity is in touch
with her again. Appointments are in ``appointments.py``."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from services.cases.journey.base import (
    DatesOutOfOrder,
    JourneyError,
    JourneyFact,
    JourneyItemNotFound,
    JourneyPart,
)
from services.cases.values import Goal, GoalDropReason, GoalStatus, Meeting


class GoalNotFound(JourneyItemNotFound):
    """No such goal on this journey."""


class GoalConflict(JourneyError):
    """This goal id is already recorded with different content."""


class GoalAlreadyAchieved(JourneyError):
    """The goal was already achieved."""


class GoalAlreadyDropped(JourneyError):
    """The goal was already dropped."""


class MeetingConflict(JourneyError):
    """This meeting id is already recorded with different content."""


class Support(JourneyPart):
    class GoalSet(JourneyFact):
        """A goal set with her (e.g. NI number issued), with an optional target date."""

        goal_id: UUID
        goal: str
        target_on: date | None

        def apply(self, journey: JourneyPart) -> None:
            journey.goals[self.goal_id] = Goal(
                self.goal_id, self.goal, self.target_on, self.occurred_at
            )

    class GoalAchieved(JourneyFact):
        """A goal achieved."""

        goal_id: UUID

        def apply(self, journey: JourneyPart) -> None:
            journey.goals[self.goal_id] = replace(
                journey.goals[self.goal_id], status=GoalStatus.ACHIEVED, closed_at=self.occurred_at
            )

    class GoalDropped(JourneyFact):
        """A goal dropped, with a reason."""

        goal_id: UUID
        reason: str | None

        def apply(self, journey: JourneyPart) -> None:
            journey.goals[self.goal_id] = replace(
                journey.goals[self.goal_id],
                status=GoalStatus.DROPPED,
                closed_at=self.occurred_at,
                drop_reason=GoalDropReason(self.reason) if self.reason else None,
            )

    class MeetingHeld(JourneyFact):
        """A meeting with her (coffee, English lesson, phone call)."""

        personal_fields: ClassVar[tuple[str, ...]] = ("notes",)

        meeting_id: UUID
        meeting_type: str
        notes: str | None

        def apply(self, journey: JourneyPart) -> None:
            journey.meetings[self.meeting_id] = Meeting(
                self.meeting_id, self.meeting_type, self.notes, self.occurred_at
            )
            journey.contact_lost_at = None

    # --- goals ----------------------------------------------------------------------------

    def set_goal(
        self, goal_id: UUID, goal: str, target_on: date | None, occurred_at: datetime, actor: str
    ) -> None:
        if self._is_retry(
            self.goals,
            goal_id,
            lambda it: (it.goal, it.target_on) == (goal, target_on),
            GoalConflict,
            "goal",
        ):
            return
        if target_on is not None and target_on < occurred_at.date():
            raise DatesOutOfOrder(f"goal {goal_id} target date is before it was set")
        self._require_registered()
        self._record(
            self.GoalSet, occurred_at, actor, goal_id=goal_id, goal=goal, target_on=target_on
        )
        self._start_support(occurred_at, actor)

    def achieve_goal(self, goal_id: UUID, occurred_at: datetime, actor: str) -> None:
        self._open_goal(goal_id)
        self._record(self.GoalAchieved, occurred_at, actor, goal_id=goal_id)

    def drop_goal(
        self, goal_id: UUID, reason: GoalDropReason | None, occurred_at: datetime, actor: str
    ) -> None:
        self._open_goal(goal_id)
        self._record(
            self.GoalDropped,
            occurred_at,
            actor,
            goal_id=goal_id,
            reason=reason.value if reason else None,
        )

    def _open_goal(self, goal_id: UUID) -> Goal:
        self._require_writable()
        goal = self._found(self.goals, goal_id, GoalNotFound, "goal")
        if goal.status is GoalStatus.ACHIEVED:
            raise GoalAlreadyAchieved(f"goal {goal_id} was already achieved")
        if goal.status is GoalStatus.DROPPED:
            raise GoalAlreadyDropped(f"goal {goal_id} was already dropped")
        return goal

    # --- meetings -------------------------------------------------------------------------

    def record_meeting(
        self,
        meeting_id: UUID,
        meeting_type: str,
        notes: str | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        if self._is_retry(
            self.meetings,
            meeting_id,
            lambda it: (it.meeting_type, it.notes) == (meeting_type, notes),
            MeetingConflict,
            "meeting",
        ):
            return
        self._require_registered()
        self._record(
            self.MeetingHeld,
            occurred_at,
            actor,
            meeting_id=meeting_id,
            meeting_type=meeting_type,
            notes=notes,
        )
        self._start_support(occurred_at, actor)
