"""HTTP routes for assessment and support: needs, risk, safety plans, goals, meetings and
appointments. Each is a body that becomes one command on the journey (``journey_command``)."""

from __future__ import annotations

from fastapi import APIRouter

from services.cases.api.commands import (
    AppointmentCreate,
    AppointmentMove,
    AttendanceCreate,
    GoalCreate,
    GoalDrop,
    MeetingCreate,
    NeedsAssessmentCreate,
    RiskAssessmentCreate,
    SafetyPlanCreate,
)
from services.cases.api.journey_access import JourneyAccess
from services.cases.api.responses import journey_command
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

router = APIRouter(tags=["support"], dependencies=[JourneyAccess])

journey_command(
    router,
    "/journeys/{journey_id}/needs-assessments",
    AssessNeeds,
    NeedsAssessmentCreate,
    summary="Her needs, as assessed now",
)
journey_command(
    router,
    "/journeys/{journey_id}/risk-assessments",
    AssessRisk,
    RiskAssessmentCreate,
    summary="A risk assessment",
)
journey_command(
    router,
    "/journeys/{journey_id}/safety-plans",
    AgreeSafetyPlan,
    SafetyPlanCreate,
    summary="A safety plan agreed with her",
)
journey_command(
    router, "/journeys/{journey_id}/goals", SetGoal, GoalCreate, summary="A goal set with her"
)
journey_command(
    router,
    "/journeys/{journey_id}/goals/{goal_id}/achievement",
    AchieveGoal,
    summary="A goal achieved",
)
journey_command(
    router,
    "/journeys/{journey_id}/goals/{goal_id}/drop",
    DropGoal,
    GoalDrop | None,
    summary="A goal dropped",
)
journey_command(
    router,
    "/journeys/{journey_id}/meetings",
    RecordMeeting,
    MeetingCreate,
    summary="A meeting held with her",
)
journey_command(
    router,
    "/journeys/{journey_id}/appointments",
    ScheduleAppointment,
    AppointmentCreate,
    summary="An appointment scheduled (accompanied or not)",
)
journey_command(
    router,
    "/journeys/{journey_id}/appointments/{appointment_id}/move",
    MoveAppointment,
    AppointmentMove,
    summary="An appointment moved to another time",
)
journey_command(
    router,
    "/journeys/{journey_id}/appointments/{appointment_id}/cancellation",
    CancelAppointment,
    summary="An appointment cancelled",
)
journey_command(
    router,
    "/journeys/{journey_id}/appointments/{appointment_id}/attendance",
    RecordAttendance,
    AttendanceCreate,
    summary="She attended the appointment (accompanied or not)",
)
