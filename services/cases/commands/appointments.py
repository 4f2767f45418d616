"""Appointments made for her: scheduled, moved, cancelled and attended."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey


class AppointmentCommand(JourneyCommand):
    """A command about one appointment, named by its id."""

    appointment_id: UUID


class ScheduleAppointment(AppointmentCommand):
    kind: str
    at: datetime
    accompanied: bool = False

    records = Journey.schedule_appointment
    codes = {"kind": "appointment_types"}


class MoveAppointment(AppointmentCommand):
    at: datetime

    records = Journey.move_appointment


class CancelAppointment(AppointmentCommand):
    records = Journey.cancel_appointment


class RecordAttendance(AppointmentCommand):
    accompanied: bool

    records = Journey.record_attendance
