"""Forms for referrals to partner organisations, and the consent check a referral shows first.

Sharing her details with a partner needs her consent for that partner, or a lawful basis
recorded for sharing without it (safeguarding). The form says which before she submits; the
cases service decides, and its refusal is said here in plain words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.web.pages.journey_form_fields import (
    TIME_SUFFIX,
    Field,
    JourneyForm,
    Kind,
    Refusal,
    uk_date_time,
)

J = "/journeys/{journey_id}"
R = f"{J}/referrals/{{referral_id}}"
#: How long a partner usually has to answer before the referral counts as expired.
RESPONSE_DAYS = 14

DECLINE_REASONS = (
    ("not_eligible", "She is not eligible"),
    ("no_capacity", "They have no space"),
    ("she_declined", "She said no"),
    ("unable_to_contact", "They could not reach her"),
    ("other", "Another reason"),
)
WITHDRAWAL_REASONS = (
    ("no_longer_needed", "She no longer needs it"),
    ("she_changed_her_mind", "She changed her mind"),
    ("consent_withdrawn", "She withdrew her consent"),
    ("referred_elsewhere", "Referred elsewhere instead"),
    ("made_in_error", "Made by mistake"),
    ("other", "Another reason"),
)
NOT_CONSENTED = (
    "She has not agreed to share her details with this partner. Record her consent first, or, "
    "if she is at risk and sharing cannot wait, choose a lawful basis and say why in her notes."
)

FORMS = (
    JourneyForm(
        f"{J}/referrals",
        "Refer her to a partner",
        "Make the referral",
        "referrals",
        (
            Field("referral_id", Kind.NEW_ID, "Referral"),
            Field("partner", Kind.SELECT, "Which partner?", reference="partners"),
            Field("need", Kind.SELECT, "What is the referral for?", reference="needs"),
            Field(
                "shares_personal_data",
                Kind.YES_NO,
                "Will her details be shared with the partner?",
                hint="Her name, languages or anything else that could identify her.",
            ),
            Field(
                "lawful_basis",
                Kind.SELECT,
                "Lawful basis, only if she has not consented",
                hint="For sharing without her consent, for example to keep her safe.",
                reference="lawful_bases",
                optional=True,
                only_when=("shares_personal_data", "yes"),
            ),
            Field(
                "respond_by",
                Kind.DATE_TIME,
                "When should they have answered by?",
                hint="If nothing is heard by then, you will be told.",
            ),
        ),
        when_label="When was it made?",
        consent_check="referral",
        refusals={
            "consent-required": Refusal(
                NOT_CONSENTED,
                "partner",
                "She has not agreed to share her details with this partner.",
            )
        },
    ),
    JourneyForm(
        f"{R}/acknowledgement",
        "Record that the partner has the referral",
        "They have it",
        "referrals",
        when_label="When did they confirm?",
    ),
    JourneyForm(
        f"{R}/acceptance",
        "Record that the partner accepted her",
        "They accepted",
        "referrals",
        when_label="When did they accept?",
    ),
    JourneyForm(
        f"{R}/decline",
        "Record that the partner declined",
        "They declined",
        "referrals",
        (Field("reason", Kind.RADIOS, "Why?", fixed=DECLINE_REASONS, optional=True),),
        when_label="When did they decline?",
    ),
    JourneyForm(
        f"{R}/completion",
        "Record that the support was given",
        "Support given",
        "referrals",
        when_label="When was it completed?",
    ),
    JourneyForm(
        f"{R}/withdrawal",
        "Withdraw a referral",
        "Withdraw the referral",
        "referrals",
        (Field("reason", Kind.RADIOS, "Why?", fixed=WITHDRAWAL_REASONS),),
        when_label="When was it withdrawn?",
        warning=True,
    ),
)


def referral_defaults(now: datetime) -> dict[str, str]:
    """A partner usually has two weeks to answer, by the end of the working day."""
    day, _ = uk_date_time((now + timedelta(days=RESPONSE_DAYS)).astimezone(UTC))
    return {"respond_by": day, "respond_by" + TIME_SUFFIX: "17:00"}


@dataclass(frozen=True)
class ConsentCheck:
    """What she has agreed to, as the referral form shows it before she submits."""

    keeps_details: bool
    partners: list[tuple[str, str]]  # (code, name) she agreed to share with
    nrm: bool
    possible_minor: bool
    chosen: str | None  # the partner chosen on the form, in words
    covered: bool | None  # None until a partner is chosen and sharing is said


def consent_check(
    journey: Mapping[str, Any], names: Mapping[str, str], values: Mapping[str, Any]
) -> ConsentCheck:
    active = [c for c in journey.get("consents") or [] if c.get("active")]
    sharing = sorted(
        {
            str(c["partner"])
            for c in active
            if c.get("scope") == "share_with_partner" and c.get("partner")
        }
    )
    partner = str(values.get("partner") or "")
    shares = values.get("shares_personal_data")
    covered: bool | None = None
    if partner and shares == "yes":
        covered = partner in sharing
    elif partner and shares == "no":
        covered = True
    return ConsentCheck(
        keeps_details=any(c.get("scope") == "store_data" for c in active),
        partners=[(code, names.get(code, code)) for code in sharing],
        nrm=any(c.get("scope") == "nrm_referral" for c in active),
        possible_minor=bool(journey.get("possible_minor")),
        chosen=names.get(partner, partner) if partner else None,
        covered=covered,
    )
