"""Appointments made for her: scheduled, moved, cancelled and attended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from shared.reference import ReferenceData


@dataclass(frozen=True, kw_only=True)
class ScheduleAppointment(JourneyCommand):
    appointment_id: UUID
    kind: str
    at: datetime
    accompanied: bool = False

    def check(self, reference: ReferenceData) -> None:
        reference.require("appointment_types", self.kind, "body.kind")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.schedule_appointment(
            self.appointment_id, self.kind, self.at, self.accompanied, self.occurred_at, actor
        )


@dataclass(frozen=True, kw_only=True)
class MoveAppointment(JourneyCommand):
    appointment_id: UUID
    at: datetime

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.move_appointment(self.appointment_id, self.at, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class CancelAppointment(JourneyCommand):
    appointment_id: UUID

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.cancel_appointment(self.appointment_id, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class RecordAttendance(JourneyCommand):
    appointment_id: UUID
    accompanied: bool

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.record_attendance(self.appointment_id, self.accompanied, self.occurred_at, actor)
