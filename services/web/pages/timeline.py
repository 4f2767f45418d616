"""Her timeline in plain words: what happened, when (both clocks), by whom.

The cases service gives each entry as an event name with codes, ids and dates only (never her
personal text); this module turns the names and a few codes into a sentence a caseworker reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.web.rendering import words

#: What each fact on her journey is called on screen (event name → words).
EVENT_WORDS = {
    "opened": "Journey opened from a contact on a visit",
    "opened_at_registration": "Journey opened at registration",
    "contact_recorded": "Contact on a visit",
    "person_registered": "Registered",
    "pseudonym_corrected": "Pseudonym corrected",
    "language_preferences_changed": "Languages changed",
    "consent_given": "Consent given",
    "consent_withdrawn": "Consent withdrawn",
    "caseworker_assigned": "Caseworker assigned",
    "break_glass_access_granted": "Opened by break-glass",
    "assessment_started": "Assessment started",
    "support_started": "Support started",
    "needs_assessed": "Needs assessed",
    "risk_assessed": "Risk assessed",
    "safety_plan_agreed": "Safety plan agreed",
    "goal_set": "Goal set",
    "goal_achieved": "Goal achieved",
    "goal_dropped": "Goal dropped",
    "meeting_held": "Meeting",
    "appointment_scheduled": "Appointment booked",
    "appointment_moved": "Appointment moved",
    "appointment_cancelled": "Appointment cancelled",
    "appointment_attended": "Appointment attended",
    "referral_made": "Referral made",
    "referral_acknowledged": "Referral acknowledged",
    "referral_accepted": "Referral accepted",
    "referral_declined": "Referral declined",
    "referral_completed": "Referral completed",
    "referral_withdrawn": "Referral withdrawn",
    "referral_expired": "Referral expired: no answer in time",
    "first_responder_contacted": "First Responder contacted",
    "nrm_referral_submitted": "NRM referral submitted",
    "reasonable_grounds_decision_received": "Reasonable Grounds decision",
    "recovery_period_started": "Recovery period started",
    "conclusive_grounds_decision_received": "Conclusive Grounds decision",
    "possible_minor_marked": "Marked as possibly under 18",
    "possible_minor_cleared": "Possibly-under-18 flag cleared",
    "exited_sex_industry": "She left the industry",
    "returned_to_sex_industry": "She went back to the industry",
    "returned_home": "She returned home",
    "contact_lost": "Contact lost",
    "case_closed": "Closed",
    "case_reopened": "Reopened",
    "indicator_noted": "Indicator noted on a visit",
    "concern_noted": "Urgent concern raised on a visit",
    "follow_up_noted": "Follow-up offered on a visit",
    "contact_linked": "Contact on a visit linked to her",
    "merged_into": "Merged into another journey",
    "erasure_requested": "Erasure requested",
    "subject_access_fulfilled": "Her records were given to her",
}

#: The codes worth a few words beside the entry (detail key → how it reads).
_DETAIL_WORDS = (
    ("scope", "scope"),
    ("partner", "partner"),
    ("wording_version", "wording"),
    ("language", "language"),
    ("indicator", "indicator"),
    ("concern", "concern"),
    ("kind", "kind"),
    ("meeting_type", "type"),
    ("need", "need"),
    ("level", "level"),
    ("outcome", "outcome"),
    ("reason", "reason"),
    ("caseworker_id", "caseworker"),
)


def what(event: str) -> str:
    return EVENT_WORDS.get(event) or words(event).capitalize()


def detail_words(details: dict[str, Any]) -> str:
    """A few coded details as words ("scope: share with partner · partner: nhs"), no ids."""
    parts: list[str] = []
    for key, label in _DETAIL_WORDS:
        value = details.get(key)
        if value not in (None, "", []):
            parts.append(f"{label}: {words(value)}")
    for key in ("needs", "indicators"):
        values = details.get(key)
        if isinstance(values, list) and values:
            parts.append(f"{words(key)}: " + ", ".join(words(v) for v in values))
    return " · ".join(parts)


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def entry_view(entry: dict[str, Any]) -> dict[str, Any]:
    """A timeline entry with its words and both clocks; ``late`` when it arrived much later."""
    occurred = _time(entry.get("occurred_at"))
    recorded = _time(entry.get("recorded_at"))
    # Outreach apps work offline: a fact recorded an hour or more after it happened says so.
    late = bool(occurred and recorded and (recorded - occurred).total_seconds() >= 3600)
    return {
        **entry,
        "what": what(str(entry.get("event", ""))),
        "detail_words": detail_words(entry.get("details") or {}),
        "late": late,
    }
