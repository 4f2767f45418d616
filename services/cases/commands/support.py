"""Support with her: goals set, achieved or dropped, and meetings held."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import GoalDropReason
from shared.reference import ReferenceData


class SetGoal(JourneyCommand):
    goal_id: UUID
    goal: str
    target_on: date | None = None

    records = Journey.set_goal

    def check(self, reference: ReferenceData) -> None:
        reference.require("goals", self.goal, "body.goal")


class AchieveGoal(JourneyCommand):
    goal_id: UUID

    records = Journey.achieve_goal


class DropGoal(JourneyCommand):
    goal_id: UUID
    reason: GoalDropReason | None = None

    records = Journey.drop_goal


class RecordMeeting(JourneyCommand):
    meeting_id: UUID
    meeting_type: str
    notes: str | None = None

    records = Journey.record_meeting

    def check(self, reference: ReferenceData) -> None:
        reference.require("meeting_types", self.meeting_type, "body.meeting_type")
