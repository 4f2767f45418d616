"""Forms for where her journey goes: leaving the industry, returning home, closing, reopening.

No judgement in the words: leaving the industry can be reversed, and a closed journey reopened.
"""

from __future__ import annotations

from services.web.pages.journey_form_fields import Field, JourneyForm, Kind

J = "/journeys/{journey_id}"

REOPEN_REASONS = (
    ("she_returned", "She came back to the charity"),
    ("new_need", "She has a new need"),
    ("closed_in_error", "It was closed by mistake"),
    ("other", "Another reason"),
)

FORMS = (
    JourneyForm(
        f"{J}/exit",
        "Record that she left the industry",
        "She left the industry",
        "status",
        intro="Record it when she tells you. It can be changed if her situation changes.",
        when_label="When did she leave?",
    ),
    JourneyForm(
        f"{J}/exit-reversal",
        "Record that she went back to the industry",
        "She went back",
        "status",
        intro="No judgement: this keeps her support right for where she is now.",
        when_label="When did she go back?",
    ),
    JourneyForm(
        f"{J}/return-home",
        "Record that she returned home",
        "She returned home",
        "status",
        (Field("assisted", Kind.YES_NO, "Did the charity or a partner help her return?"),),
        when_label="When did she return?",
    ),
    JourneyForm(
        f"{J}/contact-lost",
        "Record that contact with her was lost",
        "Contact was lost",
        "status",
        intro="Her journey stays open, so she can be welcomed back.",
        when_label="When was she last in touch?",
    ),
    JourneyForm(
        f"{J}/closure",
        "Close her journey",
        "Close the journey",
        "status",
        (Field("reason", Kind.SELECT, "Why is it closing?", reference="closure_reasons"),),
        intro="Close or withdraw her open referrals first. A closed journey can be reopened.",
        when_label="When did it close?",
        warning=True,
    ),
    JourneyForm(
        f"{J}/reopening",
        "Reopen her journey",
        "Reopen the journey",
        "status",
        (
            Field(
                "reason", Kind.RADIOS, "Why is it reopening?", fixed=REOPEN_REASONS, optional=True
            ),
        ),
        when_label="When did it reopen?",
    ),
)
