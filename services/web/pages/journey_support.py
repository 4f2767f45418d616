"""Forms for assessment and support: needs, risk, safety plan, goals, meetings, appointments."""

from __future__ import annotations

from services.web.pages.journey_form_fields import Field, JourneyForm, Kind

J = "/journeys/{journey_id}"

RISK_LEVELS = (("low", "Low"), ("medium", "Medium"), ("high", "High"))
DROP_REASONS = (
    ("no_longer_wanted", "She no longer wants it"),
    ("not_possible", "It is not possible for now"),
    ("replaced", "Replaced by another goal"),
    ("other", "Another reason"),
)
NOTES = Field(
    "notes",
    Kind.NOTES,
    "Notes",
    hint="Only what helps her support. Kept encrypted, never sent to anyone.",
    optional=True,
)

FORMS = (
    JourneyForm(
        f"{J}/needs-assessments",
        "Assess her needs",
        "Save her needs",
        "needs",
        (
            Field(
                "needs",
                Kind.CHECKBOXES,
                "What does she need help with now?",
                hint="Choose all that apply. This replaces the last assessment.",
                reference="needs",
                from_journey="needs",
            ),
            NOTES,
        ),
        when_label="When did you assess them?",
    ),
    JourneyForm(
        f"{J}/risk-assessments",
        "Assess risk",
        "Save the risk assessment",
        "needs",
        (
            Field("level", Kind.RADIOS, "How much risk is she at?", fixed=RISK_LEVELS),
            Field(
                "indicators",
                Kind.CHECKBOXES,
                "What did she tell you or did you see?",
                hint="Choose any that apply.",
                reference="person_indicators",
                optional=True,
            ),
            NOTES,
        ),
        when_label="When did you assess it?",
    ),
    JourneyForm(
        f"{J}/safety-plans",
        "Agree a safety plan",
        "Save the safety plan",
        "safety-plan",
        (
            Field("plan_id", Kind.NEW_ID, "Plan"),
            Field(
                "summary",
                Kind.NOTES,
                "What did you agree with her?",
                hint="Kept encrypted, never sent to anyone.",
            ),
            Field(
                "review_on", Kind.DATE, "When will you review it?", hint="For example, 27/12/2026."
            ),
        ),
        when_label="When was it agreed?",
    ),
    JourneyForm(
        f"{J}/goals",
        "Set a goal with her",
        "Save the goal",
        "goals",
        (
            Field("goal_id", Kind.NEW_ID, "Goal"),
            Field("goal", Kind.SELECT, "What does she want to achieve?", reference="goals"),
            Field(
                "target_on",
                Kind.DATE,
                "By when, if she has a date in mind",
                hint="For example, 31/01/2027.",
                optional=True,
            ),
        ),
        when_label="When was it set?",
    ),
    JourneyForm(
        f"{J}/goals/{{goal_id}}/achievement",
        "Record a goal achieved",
        "She achieved it",
        "goals",
        when_label="When did she achieve it?",
    ),
    JourneyForm(
        f"{J}/goals/{{goal_id}}/drop",
        "Drop a goal",
        "Drop the goal",
        "goals",
        (Field("reason", Kind.RADIOS, "Why?", fixed=DROP_REASONS, optional=True),),
        when_label="When was it dropped?",
    ),
    JourneyForm(
        f"{J}/meetings",
        "Record a meeting",
        "Save the meeting",
        "meetings",
        (
            Field("meeting_id", Kind.NEW_ID, "Meeting"),
            Field("meeting_type", Kind.SELECT, "What kind of meeting?", reference="meeting_types"),
            NOTES,
        ),
        when_label="When did you meet?",
    ),
    JourneyForm(
        f"{J}/appointments",
        "Book an appointment",
        "Save the appointment",
        "appointments",
        (
            Field("appointment_id", Kind.NEW_ID, "Appointment"),
            Field("kind", Kind.SELECT, "Appointment with", reference="appointment_types"),
            Field("at", Kind.DATE_TIME, "When is it?", hint="For example, 27/11/2026 and 14:30."),
            Field("accompanied", Kind.YES_NO, "Will someone from the charity go with her?"),
        ),
        when_label="When was it booked?",
    ),
    JourneyForm(
        f"{J}/appointments/{{appointment_id}}/move",
        "Move an appointment",
        "Move the appointment",
        "appointments",
        (
            Field(
                "at", Kind.DATE_TIME, "New date and time", hint="For example, 27/11/2026 and 14:30."
            ),
        ),
        when_label="When was it moved?",
    ),
    JourneyForm(
        f"{J}/appointments/{{appointment_id}}/cancellation",
        "Cancel an appointment",
        "Cancel the appointment",
        "appointments",
        when_label="When was it cancelled?",
        warning=True,
    ),
    JourneyForm(
        f"{J}/appointments/{{appointment_id}}/attendance",
        "Record that she went to an appointment",
        "She went",
        "appointments",
        (Field("accompanied", Kind.YES_NO, "Did someone from the charity go with her?"),),
        when_label="When was it?",
    ),
)
