"""Appointments made for her: scheduled, moved, cancelled and attended."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from shared.reference import ReferenceData


class ScheduleAppointment(JourneyCommand):
    appointment_id: UUID
    kind: str
    at: datetime
    accompanied: bool = False

    records = Journey.schedule_appointment

    def check(self, reference: ReferenceData) -> None:
        reference.require("appointment_types", self.kind, "body.kind")


class MoveAppointment(JourneyCommand):
    appointment_id: UUID
    at: datetime

    records = Journey.move_appointment


class CancelAppointment(JourneyCommand):
    appointment_id: UUID

    records = Journey.cancel_appointment


class RecordAttendance(JourneyCommand):
    appointment_id: UUID
    accompanied: bool

    records = Journey.record_attendance
