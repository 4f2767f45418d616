"""What can be done next on her journey, by part of the journey page: only what its state allows.

Each action links to the form page at the cases service's command path (``journey_forms.py``);
the service still decides each one when it is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Action:
    label: str
    href: str


@dataclass
class JourneyActions:
    """What can be done next, by part of the page; items by their id."""

    sections: dict[str, list[Action]] = field(default_factory=dict)
    items: dict[str, list[Action]] = field(default_factory=dict)

    def add(self, section: str, label: str, href: str) -> None:
        self.sections.setdefault(section, []).append(Action(label, href))

    def add_item(self, item_id: Any, label: str, href: str) -> None:
        self.items.setdefault(str(item_id), []).append(Action(label, href))


#: A referral's next steps from each state (the cases service's lifecycle; expiry is its own).
REFERRAL_NEXT = {
    "made": (
        ("acknowledgement", "The partner has it"),
        ("acceptance", "Accepted"),
        ("decline", "Declined"),
        ("withdrawal", "Withdraw"),
    ),
    "acknowledged": (
        ("acceptance", "Accepted"),
        ("decline", "Declined"),
        ("withdrawal", "Withdraw"),
    ),
    "accepted": (("completion", "Support given"), ("withdrawal", "Withdraw")),
}

GOAL_NEXT: dict[str, tuple[tuple[str, str], ...]] = {
    "set": (("achievement", "Achieved"), ("drop", "Drop")),
}
APPOINTMENT_NEXT: dict[str, tuple[tuple[str, str], ...]] = {
    "scheduled": (("move", "Move"), ("cancellation", "Cancel"), ("attendance", "She went")),
}


def _withdrawals(actions: JourneyActions, journey: dict[str, Any], base: str) -> None:
    for consent in journey.get("consents", []):
        if consent.get("active"):
            consent_id = consent["consent_id"]
            actions.add_item(consent_id, "Withdraw", f"{base}/consents/{consent_id}/withdrawal")


def _next_steps(
    actions: JourneyActions,
    base: str,
    journey: dict[str, Any],
    kind: str,
    id_key: str,
    next_by_status: Mapping[str, tuple[tuple[str, str], ...]],
) -> None:
    """The steps each goal, appointment or referral may take next, from the state it is in."""
    for item in journey.get(kind, []):
        for step, label in next_by_status.get(str(item.get("status")), ()):
            item_id = item[id_key]
            actions.add_item(item_id, label, f"{base}/{kind}/{item_id}/{step}")


def journey_actions(journey: dict[str, Any], *, lead: bool) -> JourneyActions:
    """Only the actions the journey's state allows (the service still decides each one)."""
    actions = JourneyActions()
    base = f"/journeys/{journey['journey_id']}"
    status = journey.get("status")
    if status in {"merged", "erased"}:
        return actions
    if status == "closed":
        actions.add("status", "Reopen her journey", f"{base}/reopening")
        _withdrawals(actions, journey, base)
        return actions
    registered = bool(journey.get("registered"))
    if lead:
        actions.add("about-her", "Assign a caseworker", f"{base}/caseworker")
    if not journey.get("possible_minor"):
        actions.add("about-her", "Mark her as possibly under 18", f"{base}/possible-minor")
    elif lead:
        actions.add(
            "about-her", "Clear the possibly-under-18 flag", f"{base}/possible-minor/clearance"
        )
    _withdrawals(actions, journey, base)
    if not registered:
        actions.add("about-her", "Register her", f"{base}/registration")
        _still_open(actions, journey, base)
        return actions
    actions.add("about-her", "Correct her name", f"{base}/pseudonym-correction")
    actions.add("about-her", "Change her languages", f"{base}/language-preferences")
    actions.add("consent", "Record her consent", f"{base}/consents")
    actions.add("needs", "Assess her needs", f"{base}/needs-assessments")
    actions.add("needs", "Assess risk", f"{base}/risk-assessments")
    actions.add("safety-plan", "Agree a safety plan", f"{base}/safety-plans")
    actions.add("goals", "Set a goal with her", f"{base}/goals")
    _next_steps(actions, base, journey, "goals", "goal_id", GOAL_NEXT)
    actions.add("meetings", "Record a meeting", f"{base}/meetings")
    actions.add("appointments", "Book an appointment", f"{base}/appointments")
    _next_steps(actions, base, journey, "appointments", "appointment_id", APPOINTMENT_NEXT)
    actions.add("referrals", "Refer her to a partner", f"{base}/referrals")
    _next_steps(actions, base, journey, "referrals", "referral_id", REFERRAL_NEXT)
    _nrm_actions(actions, journey.get("nrm") or {}, base)
    if journey.get("exited"):
        actions.add("status", "She went back to the industry", f"{base}/exit-reversal")
    else:
        actions.add("status", "She left the industry", f"{base}/exit")
    if not journey.get("returned_home_at"):
        actions.add("status", "She returned home", f"{base}/return-home")
    _still_open(actions, journey, base)
    return actions


def _still_open(actions: JourneyActions, journey: dict[str, Any], base: str) -> None:
    if not journey.get("contact_lost_at"):
        actions.add("status", "Contact with her was lost", f"{base}/contact-lost")
    if not open_referrals(journey):
        actions.add("status", "Close her journey", f"{base}/closure")


def _nrm_actions(actions: JourneyActions, nrm: dict[str, Any], base: str) -> None:
    if not nrm.get("submitted_on"):
        actions.add(
            "nrm", "Record contact with a First Responder", f"{base}/nrm/first-responder-contact"
        )
        actions.add("nrm", "Record her NRM referral", f"{base}/nrm/referral")
        return
    if not nrm.get("reasonable_grounds"):
        actions.add(
            "nrm", "Record the Reasonable Grounds decision", f"{base}/nrm/reasonable-grounds"
        )
        return
    if (nrm["reasonable_grounds"] or {}).get("outcome") != "positive":
        return
    if not nrm.get("recovery_starts_on"):
        actions.add("nrm", "Record her recovery period", f"{base}/nrm/recovery-period")
    if not nrm.get("conclusive_grounds"):
        actions.add(
            "nrm", "Record the Conclusive Grounds decision", f"{base}/nrm/conclusive-grounds"
        )


def open_referrals(journey: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in journey.get("referrals", []) if r.get("status") in REFERRAL_NEXT]
