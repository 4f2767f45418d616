"""Support with her: goals set, achieved or dropped, and meetings held."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import GoalDropReason


class GoalCommand(JourneyCommand):
    """A command about one goal, named by its id."""

    goal_id: UUID


class SetGoal(GoalCommand):
    goal: str
    target_on: date | None = None

    records = Journey.set_goal
    codes = {"goal": "goals"}


class AchieveGoal(GoalCommand):
    records = Journey.achieve_goal


class DropGoal(GoalCommand):
    reason: GoalDropReason | None = None

    records = Journey.drop_goal


class RecordMeeting(JourneyCommand):
    meeting_id: UUID
    meeting_type: str
    notes: str | None = None

    records = Journey.record_meeting
    codes = {"meeting_type": "meeting_types"}
