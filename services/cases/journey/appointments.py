"""Appointments made for her (GP, Jobcentre, solicitor), accompanied or not: scheduled, moved,
cancelled and attended. Scheduling one makes the journey active; attending one means the charity
is in touch with her again."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from services.cases.journey.base import JourneyError, JourneyFact, JourneyItemNotFound, JourneyPart
from services.cases.values import Appointment, AppointmentStatus


def _change(journey: JourneyPart, appointment_id: UUID, **changes: Any) -> None:
    """An event's change to one of her appointments (the appointment as it now stands)."""
    appointments = journey.appointments
    appointments[appointment_id] = replace(appointments[appointment_id], **changes)


class AppointmentNotFound(JourneyItemNotFound):
    """No such appointment on this journey."""


class AppointmentConflict(JourneyError):
    """This appointment id is already recorded with different content."""


class AppointmentNotScheduled(JourneyError):
    """The appointment is no longer scheduled (cancelled or attended)."""


class Appointments(JourneyPart):
    class AppointmentScheduled(JourneyFact):
        """An appointment (GP, Jobcentre, solicitor) booked, accompanied or not."""

        appointment_id: UUID
        kind: str
        at: datetime
        accompanied: bool

        def apply(self, journey: JourneyPart) -> None:
            journey.appointments[self.appointment_id] = Appointment(
                self.appointment_id, self.kind, self.at, self.accompanied
            )

    class AppointmentMoved(JourneyFact):
        """An appointment moved to another time."""

        appointment_id: UUID
        at: datetime

        def apply(self, journey: JourneyPart) -> None:
            _change(journey, self.appointment_id, at=self.at)

    class AppointmentCancelled(JourneyFact):
        """An appointment cancelled."""

        appointment_id: UUID

        def apply(self, journey: JourneyPart) -> None:
            _change(journey, self.appointment_id, status=AppointmentStatus.CANCELLED)

    class AppointmentAttended(JourneyFact):
        """She attended an appointment (accompanied or not)."""

        appointment_id: UUID
        accompanied: bool

        def apply(self, journey: JourneyPart) -> None:
            _change(
                journey,
                self.appointment_id,
                status=AppointmentStatus.ATTENDED,
                accompanied=self.accompanied,
            )
            journey.contact_lost_at = None

    def schedule_appointment(
        self,
        appointment_id: UUID,
        kind: str,
        at: datetime,
        accompanied: bool,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        if self._is_retry(
            self.appointments,
            appointment_id,
            lambda it: it == Appointment(appointment_id, kind, at, accompanied),
            AppointmentConflict,
            "appointment",
        ):
            return
        self._require_registered()
        self._record(
            self.AppointmentScheduled,
            occurred_at,
            actor,
            appointment_id=appointment_id,
            kind=kind,
            at=at,
            accompanied=accompanied,
        )
        self._start_support(occurred_at, actor)

    def move_appointment(
        self, appointment_id: UUID, at: datetime, occurred_at: datetime, actor: str
    ) -> None:
        appointment = self._scheduled_appointment(appointment_id)
        if at != appointment.at:
            self._record(
                self.AppointmentMoved, occurred_at, actor, appointment_id=appointment_id, at=at
            )

    def cancel_appointment(self, appointment_id: UUID, occurred_at: datetime, actor: str) -> None:
        self._scheduled_appointment(appointment_id)
        self._record(self.AppointmentCancelled, occurred_at, actor, appointment_id=appointment_id)

    def record_attendance(
        self, appointment_id: UUID, accompanied: bool, occurred_at: datetime, actor: str
    ) -> None:
        self._scheduled_appointment(appointment_id)
        self._record(
            self.AppointmentAttended,
            occurred_at,
            actor,
            appointment_id=appointment_id,
            accompanied=accompanied,
        )

    def _scheduled_appointment(self, appointment_id: UUID) -> Appointment:
        self._require_writable()
        appointment = self._found(
            self.appointments, appointment_id, AppointmentNotFound, "appointment"
        )
        if appointment.status is not AppointmentStatus.SCHEDULED:
            raise AppointmentNotScheduled(
                f"appointment {appointment_id} is {appointment.status.value}"
            )
        return appointment
