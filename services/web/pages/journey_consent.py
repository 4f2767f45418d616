"""Forms about her: registration, her name and languages, her consents, and the under-18 flag."""

from __future__ import annotations

from dataclasses import replace

from services.web.pages.journey_form_fields import Field, JourneyForm, Kind, Refusal

J = "/journeys/{journey_id}"

SCOPES = (
    ("store_data", "Keep her details on record"),
    ("share_with_partner", "Share her details with a partner organisation"),
    ("nrm_referral", "Be referred into the National Referral Mechanism (NRM)"),
)

PSEUDONYM = Field(
    "pseudonym",
    Kind.TEXT,
    "The name she wants to be known by here",
    hint="A first name or a name she chooses. Not her full legal name.",
)
LANGUAGES = Field(
    "preferred_languages",
    Kind.CHECKBOXES,
    "Languages she prefers",
    hint="Choose all that apply.",
    reference="languages",
    from_journey="preferred_languages",
)
INTERPRETER = Field(
    "interpreter_needed",
    Kind.YES_NO,
    "Does she need an interpreter?",
    from_journey="interpreter_needed",
)

FORMS = (
    JourneyForm(
        f"{J}/registration",
        "Register her",
        "Register her",
        "about-her",
        # Asked afresh: nothing is assumed about her before she says it.
        (PSEUDONYM, replace(LANGUAGES, from_journey=None), replace(INTERPRETER, from_journey=None)),
        intro="She has chosen to be known to the charity. Only what she agrees to is kept.",
        when_label="When did she register?",
    ),
    JourneyForm(
        f"{J}/pseudonym-correction",
        "Correct her name",
        "Save the correction",
        "about-her",
        (PSEUDONYM,),
        intro="The old name stays in the history, marked as corrected.",
        when_label="When was it corrected?",
    ),
    JourneyForm(
        f"{J}/language-preferences",
        "Change her languages",
        "Save her languages",
        "about-her",
        (LANGUAGES, INTERPRETER),
        when_label="When did they change?",
    ),
    JourneyForm(
        f"{J}/consents",
        "Record her consent",
        "Record her consent",
        "consent",
        (
            Field("consent_id", Kind.NEW_ID, "Consent"),
            Field("scope", Kind.RADIOS, "What has she agreed to?", fixed=SCOPES),
            Field(
                "partner",
                Kind.SELECT,
                "Which partner may her details be shared with?",
                hint="Only for sharing with a partner. Record one consent for each partner.",
                reference="partners",
                optional=True,
                only_when=("scope", "share_with_partner"),
            ),
            Field(
                "wording_version",
                Kind.TEXT,
                "Version of the consent wording she was shown",
                hint="As printed on the consent form, for example 2026-01.",
            ),
        ),
        intro="Record only what she has agreed to, in words she understood. She can withdraw "
        "any consent at any time.",
        when_label="When did she agree?",
        refusals={
            "partner-required": Refusal("Choose the partner she agreed to share with.", "partner")
        },
    ),
    JourneyForm(
        f"{J}/consents/{{consent_id}}/withdrawal",
        "Record that she withdrew her consent",
        "Record the withdrawal",
        "consent",
        intro="Open referrals that relied on this consent will be marked for your attention.",
        when_label="When did she withdraw it?",
        warning=True,
    ),
    JourneyForm(
        f"{J}/possible-minor",
        "Mark her as possibly under 18",
        "Mark as possibly under 18",
        "about-her",
        intro="A child must always be referred into the National Referral Mechanism, and needs "
        "no consent for it. Tell the safeguarding lead.",
        when_label="When did this come to light?",
        warning=True,
    ),
    JourneyForm(
        f"{J}/possible-minor/clearance",
        "Clear the possibly-under-18 flag",
        "Clear the flag",
        "about-her",
        intro="For the safeguarding lead, for example after an age assessment.",
        when_label="When was it cleared?",
        lead_only=True,
    ),
)
