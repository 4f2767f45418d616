"""Who may call each cases route (deny by default: a route missing here is refused to all).

Role is the first gate. A caseworker then sees only the journeys assigned to her or her team,
or one she has opened by break-glass (``api/journey_access.py``); the lists are filtered the
same way. A safeguarding lead sees every journey.
"""

from __future__ import annotations

from shared.security.roles import Role

CASEWORK = frozenset({Role.CASEWORKER, Role.SAFEGUARDING_LEAD})
LEAD = frozenset({Role.SAFEGUARDING_LEAD})

_JOURNEY_READS = ("", "/timeline")
_JOURNEY_COMMANDS = (
    "/registration",
    "/pseudonym-correction",
    "/language-preferences",
    "/consents",
    "/consents/{consent_id}/withdrawal",
    "/caseworker",
    "/possible-minor",
    "/exit",
    "/exit-reversal",
    "/return-home",
    "/contact-lost",
    "/closure",
    "/reopening",
    "/needs-assessments",
    "/risk-assessments",
    "/safety-plans",
    "/goals",
    "/goals/{goal_id}/achievement",
    "/goals/{goal_id}/drop",
    "/meetings",
    "/appointments",
    "/appointments/{appointment_id}/move",
    "/appointments/{appointment_id}/cancellation",
    "/appointments/{appointment_id}/attendance",
    "/referrals",
    "/referrals/{referral_id}/acknowledgement",
    "/referrals/{referral_id}/acceptance",
    "/referrals/{referral_id}/decline",
    "/referrals/{referral_id}/completion",
    "/referrals/{referral_id}/withdrawal",
    "/nrm/first-responder-contact",
    "/nrm/referral",
    "/nrm/reasonable-grounds",
    "/nrm/recovery-period",
    "/nrm/conclusive-grounds",
)

ACCESS_RULES: dict[str, frozenset[Role]] = {
    "GET /journeys": CASEWORK,
    # The intake queue and taking a journey from it (codes and counts only, never her name).
    "GET /journeys/intake": CASEWORK,
    # A lead assigns through /caseworker instead: claiming makes the caller the caseworker.
    "POST /journeys/{journey_id}/claim": frozenset({Role.CASEWORKER}),
    "POST /journeys": CASEWORK,
    "GET /referrals": CASEWORK,
    "GET /due": CASEWORK,
    **{f"GET /journeys/{{journey_id}}{path}": CASEWORK for path in _JOURNEY_READS},
    **{f"POST /journeys/{{journey_id}}{path}": CASEWORK for path in _JOURNEY_COMMANDS},
    # Clearing a possible-minor flag is a safeguarding decision.
    "POST /journeys/{journey_id}/possible-minor/clearance": LEAD,
    # Break-glass is how a caseworker reaches a journey that is not hers; the lead needs none.
    "POST /journeys/{journey_id}/break-glass": frozenset({Role.CASEWORKER}),
    "GET /statistics": frozenset({Role.MANAGER, Role.ADMIN}),
    # subject access
    "GET /subject-access/{journey_id}": frozenset({Role.ADMIN}),
    # erasure
    "POST /journeys/{journey_id}/erasure-requests": CASEWORK,
    "POST /erasure-requests": frozenset({Role.ADMIN}),
    "GET /erasure-requests": frozenset({Role.ADMIN}),
    "POST /erasure-requests/{journey_id}/approval": frozenset({Role.ADMIN}),
}
