"""Support with her: goals set, achieved or dropped, and meetings held."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import GoalDropReason
from shared.reference import ReferenceData


@dataclass(frozen=True, kw_only=True)
class SetGoal(JourneyCommand):
    goal_id: UUID
    goal: str
    target_on: date | None = None

    def check(self, reference: ReferenceData) -> None:
        reference.require("goals", self.goal, "body.goal")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.set_goal(self.goal_id, self.goal, self.target_on, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class AchieveGoal(JourneyCommand):
    goal_id: UUID

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.achieve_goal(self.goal_id, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class DropGoal(JourneyCommand):
    goal_id: UUID
    reason: GoalDropReason | None = None

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.drop_goal(self.goal_id, self.reason, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class RecordMeeting(JourneyCommand):
    meeting_id: UUID
    meeting_type: str
    notes: str | None = None

    def check(self, reference: ReferenceData) -> None:
        reference.require("meeting_types", self.meeting_type, "body.meeting_type")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.record_meeting(
            self.meeting_id, self.meeting_type, self.notes, self.occurred_at, actor
        )
