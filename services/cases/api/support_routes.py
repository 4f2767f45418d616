"""HTTP routes for assessment and support: needs, risk, safety plans, goals, meetings and
appointments. Thin ``def`` routes: body → one application command → the journey."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.cases.api.commands import (
    AppointmentCreate,
    AppointmentMove,
    AttendanceCreate,
    CommandBody,
    GoalCreate,
    GoalDrop,
    MeetingCreate,
    NeedsAssessmentCreate,
    RiskAssessmentCreate,
    SafetyPlanCreate,
    occurred,
)
from services.cases.api.journey_access import JourneyAccess
from services.cases.api.responses import COMMAND, Do
from services.cases.commands import (
    AchieveGoal,
    AgreeSafetyPlan,
    AssessNeeds,
    AssessRisk,
    CancelAppointment,
    DropGoal,
    MoveAppointment,
    RecordAttendance,
    RecordMeeting,
    ScheduleAppointment,
    SetGoal,
)
from services.cases.queries.journey_detail.schemas import JourneyPublic

router = APIRouter(tags=["support"], dependencies=[JourneyAccess])


@router.post(
    "/journeys/{journey_id}/needs-assessments", **COMMAND, summary="Her needs, as assessed now"
)
def assess_needs(do: Do, body: NeedsAssessmentCreate) -> JourneyPublic:
    return do(body.command(AssessNeeds))


@router.post("/journeys/{journey_id}/risk-assessments", **COMMAND, summary="A risk assessment")
def assess_risk(do: Do, body: RiskAssessmentCreate) -> JourneyPublic:
    return do(body.command(AssessRisk))


@router.post(
    "/journeys/{journey_id}/safety-plans", **COMMAND, summary="A safety plan agreed with her"
)
def agree_safety_plan(do: Do, body: SafetyPlanCreate) -> JourneyPublic:
    return do(body.command(AgreeSafetyPlan))


@router.post("/journeys/{journey_id}/goals", **COMMAND, summary="A goal set with her")
def set_goal(do: Do, body: GoalCreate) -> JourneyPublic:
    return do(body.command(SetGoal))


@router.post(
    "/journeys/{journey_id}/goals/{goal_id}/achievement", **COMMAND, summary="A goal achieved"
)
def achieve_goal(goal_id: UUID, do: Do, body: CommandBody | None = None) -> JourneyPublic:
    return do(AchieveGoal(goal_id=goal_id, occurred_at=occurred(body)))


@router.post("/journeys/{journey_id}/goals/{goal_id}/drop", **COMMAND, summary="A goal dropped")
def drop_goal(goal_id: UUID, do: Do, body: GoalDrop | None = None) -> JourneyPublic:
    return do((body or GoalDrop()).command(DropGoal, goal_id=goal_id))


@router.post("/journeys/{journey_id}/meetings", **COMMAND, summary="A meeting held with her")
def record_meeting(do: Do, body: MeetingCreate) -> JourneyPublic:
    return do(body.command(RecordMeeting))


@router.post(
    "/journeys/{journey_id}/appointments",
    **COMMAND,
    summary="An appointment scheduled (accompanied or not)",
)
def schedule_appointment(do: Do, body: AppointmentCreate) -> JourneyPublic:
    return do(body.command(ScheduleAppointment))


@router.post(
    "/journeys/{journey_id}/appointments/{appointment_id}/move",
    **COMMAND,
    summary="An appointment moved to another time",
)
def move_appointment(appointment_id: UUID, do: Do, body: AppointmentMove) -> JourneyPublic:
    return do(body.command(MoveAppointment, appointment_id=appointment_id))


@router.post(
    "/journeys/{journey_id}/appointments/{appointment_id}/cancellation",
    **COMMAND,
    summary="An appointment cancelled",
)
def cancel_appointment(
    appointment_id: UUID, do: Do, body: CommandBody | None = None
) -> JourneyPublic:
    return do(CancelAppointment(appointment_id=appointment_id, occurred_at=occurred(body)))


@router.post(
    "/journeys/{journey_id}/appointments/{appointment_id}/attendance",
    **COMMAND,
    summary="She attended the appointment (accompanied or not)",
)
def record_attendance(appointment_id: UUID, do: Do, body: AttendanceCreate) -> JourneyPublic:
    return do(body.command(RecordAttendance, appointment_id=appointment_id))
