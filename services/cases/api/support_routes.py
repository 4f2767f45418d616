"""HTTP routes for assessment and support: needs, risk, safety plans, goals, meetings and
appointments. Thin ``def`` routes: body → one application command → the journey."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

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
from services.cases.api.deps import Actor, Cases, ExpectedVersion
from services.cases.api.journey_access import JourneyAccess
from services.cases.api.responses import COMMAND, answer
from services.cases.api.schemas import JourneyPublic

router = APIRouter(tags=["support"], dependencies=[JourneyAccess])


@router.post(
    "/journeys/{journey_id}/needs-assessments", **COMMAND, summary="Her needs, as assessed now"
)
def assess_needs(
    journey_id: UUID,
    body: NeedsAssessmentCreate,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.assess_needs(
        journey_id,
        needs=body.needs,
        notes=body.notes,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post("/journeys/{journey_id}/risk-assessments", **COMMAND, summary="A risk assessment")
def assess_risk(
    journey_id: UUID,
    body: RiskAssessmentCreate,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.assess_risk(
        journey_id,
        level=body.level,
        indicators=body.indicators,
        notes=body.notes,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/safety-plans", **COMMAND, summary="A safety plan agreed with her"
)
def agree_safety_plan(
    journey_id: UUID,
    body: SafetyPlanCreate,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.agree_safety_plan(
        journey_id,
        plan_id=body.plan_id,
        summary=body.summary,
        review_on=body.review_on,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post("/journeys/{journey_id}/goals", **COMMAND, summary="A goal set with her")
def set_goal(
    journey_id: UUID,
    body: GoalCreate,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.set_goal(
        journey_id,
        goal_id=body.goal_id,
        goal=body.goal,
        target_on=body.target_on,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/goals/{goal_id}/achievement", **COMMAND, summary="A goal achieved"
)
def achieve_goal(
    journey_id: UUID,
    goal_id: UUID,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
    body: CommandBody | None = None,
) -> JourneyPublic:
    journey = cases.achieve_goal(
        journey_id,
        goal_id=goal_id,
        occurred_at=occurred(body),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post("/journeys/{journey_id}/goals/{goal_id}/drop", **COMMAND, summary="A goal dropped")
def drop_goal(
    journey_id: UUID,
    goal_id: UUID,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
    body: GoalDrop | None = None,
) -> JourneyPublic:
    journey = cases.drop_goal(
        journey_id,
        goal_id=goal_id,
        reason=body.reason if body else None,
        occurred_at=occurred(body),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post("/journeys/{journey_id}/meetings", **COMMAND, summary="A meeting held with her")
def record_meeting(
    journey_id: UUID,
    body: MeetingCreate,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.record_meeting(
        journey_id,
        meeting_id=body.meeting_id,
        meeting_type=body.meeting_type,
        notes=body.notes,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/appointments",
    **COMMAND,
    summary="An appointment scheduled (accompanied or not)",
)
def schedule_appointment(
    journey_id: UUID,
    body: AppointmentCreate,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.schedule_appointment(
        journey_id,
        appointment_id=body.appointment_id,
        kind=body.kind,
        at=body.at,
        accompanied=body.accompanied,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/appointments/{appointment_id}/move",
    **COMMAND,
    summary="An appointment moved to another time",
)
def move_appointment(
    journey_id: UUID,
    appointment_id: UUID,
    body: AppointmentMove,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.move_appointment(
        journey_id,
        appointment_id=appointment_id,
        at=body.at,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/appointments/{appointment_id}/cancellation",
    **COMMAND,
    summary="An appointment cancelled",
)
def cancel_appointment(
    journey_id: UUID,
    appointment_id: UUID,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
    body: CommandBody | None = None,
) -> JourneyPublic:
    journey = cases.cancel_appointment(
        journey_id,
        appointment_id=appointment_id,
        occurred_at=occurred(body),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)


@router.post(
    "/journeys/{journey_id}/appointments/{appointment_id}/attendance",
    **COMMAND,
    summary="She attended the appointment (accompanied or not)",
)
def record_attendance(
    journey_id: UUID,
    appointment_id: UUID,
    body: AttendanceCreate,
    cases: Cases,
    actor: Actor,
    expected: ExpectedVersion,
    response: Response,
) -> JourneyPublic:
    journey = cases.record_attendance(
        journey_id,
        appointment_id=appointment_id,
        accompanied=body.accompanied,
        occurred_at=body.when(),
        actor=actor,
        expected_version=expected,
    )
    return answer(journey, response)
