"""Who may call each visits route (deny by default: a route missing here is refused to all)."""

from __future__ import annotations

from shared.security.roles import Role

RECORDERS = frozenset({Role.OUTREACH, Role.SAFEGUARDING_LEAD})
READERS = frozenset({Role.OUTREACH, Role.CASEWORKER, Role.SAFEGUARDING_LEAD})

_VISIT_STEPS = (
    "contacts",
    "premises-indicators",
    "person-indicators",
    "follow-ups",
    "urgent-concerns",
    "completion",
    "contacts/{contact_id}/alias-correction",
    "premises-correction",
)

ACCESS_RULES: dict[str, frozenset[Role]] = {
    "POST /visits": RECORDERS,
    # Lists show each caller only the visits she may open (api/list_routes.py).
    "GET /visits": READERS,
    "GET /visits/{visit_id}": READERS,
    "GET /visits/{visit_id}/events": READERS,
    **{f"POST /visits/{{visit_id}}/{step}": RECORDERS for step in _VISIT_STEPS},
    # Deciding an urgent concern is dealt with is the safeguarding lead's call.
    "POST /visits/{visit_id}/urgent-concerns/{concern_id}/resolution": frozenset(
        {Role.SAFEGUARDING_LEAD}
    ),
    # Linking a contact to a registered woman's journey is casework, not outreach.
    "POST /visits/{visit_id}/contacts/{contact_id}/person-link": frozenset(
        {Role.CASEWORKER, Role.SAFEGUARDING_LEAD}
    ),
    "POST /premises": RECORDERS,
    "GET /premises": READERS,
    "POST /premises/{premises_id}/label-correction": RECORDERS,
    "GET /premises/{premises_id}": READERS,
    "GET /premises/{premises_id}/history": READERS,
    "GET /premises/{premises_id}/events": READERS,
    # subject access
    "GET /subject-access/{journey_id}": frozenset({Role.ADMIN}),
}
