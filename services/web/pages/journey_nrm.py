"""Forms for the National Referral Mechanism: the charity is usually not a First Responder, so
it records who it contacted, the referral they made, and decisions as it hears of them."""

from __future__ import annotations

from services.web.pages.journey_form_fields import Field, JourneyForm, Kind, Refusal

N = "/journeys/{journey_id}/nrm"

OUTCOMES = (("positive", "Positive"), ("negative", "Negative"))
SOURCES = (
    ("first_responder", "The First Responder"),
    ("home_office", "The Home Office"),
    ("solicitor", "Her solicitor"),
    ("herself", "She told us"),
    ("support_provider", "Her support provider"),
)
FIRST_RESPONDER = Field(
    "partner",
    Kind.SELECT,
    "Which First Responder organisation?",
    hint="Only First Responders can make an NRM referral.",
    reference="partners",
    first_responders_only=True,
)


def _decision(path: str, title: str, name: str) -> JourneyForm:
    return JourneyForm(
        f"{N}/{path}",
        title,
        "Save the decision",
        "nrm",
        (
            Field("outcome", Kind.RADIOS, f"What was the {name} decision?", fixed=OUTCOMES),
            Field("decided_on", Kind.DATE, "Date of the decision", hint="For example, 27/11/2026."),
            Field("learned_on", Kind.DATE, "When did the charity hear of it?"),
            Field("source", Kind.RADIOS, "Who told the charity?", fixed=SOURCES),
        ),
        intro="Decisions often arrive second-hand: record who told you.",
        when_label="When are you recording it from?",
    )


FORMS = (
    JourneyForm(
        f"{N}/first-responder-contact",
        "Record contact with a First Responder",
        "Save the contact",
        "nrm",
        (FIRST_RESPONDER,),
        when_label="When did you contact them?",
    ),
    JourneyForm(
        f"{N}/referral",
        "Record her NRM referral",
        "Save the NRM referral",
        "nrm",
        (FIRST_RESPONDER, Field("submitted_on", Kind.DATE, "When did they submit it?")),
        intro="An adult must have given informed consent to the referral. A child needs none "
        "and must always be referred.",
        when_label="When did you hear it was submitted?",
        consent_check="nrm",
        refusals={
            "nrm-consent-required": Refusal(
                "She has not consented to an NRM referral. Record her consent (NRM referral) first."
            )
        },
    ),
    _decision("reasonable-grounds", "Record the Reasonable Grounds decision", "Reasonable Grounds"),
    JourneyForm(
        f"{N}/recovery-period",
        "Record her recovery period",
        "Save the recovery period",
        "nrm",
        (
            Field("starts_on", Kind.DATE, "First day", hint="For example, 27/11/2026."),
            Field("ends_on", Kind.DATE, "Last day", hint="At least 30 days after the first."),
        ),
        when_label="When did you hear of it?",
    ),
    _decision("conclusive-grounds", "Record the Conclusive Grounds decision", "Conclusive Grounds"),
)
