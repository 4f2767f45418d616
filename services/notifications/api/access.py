"""Who may call each notifications route (deny by default). Every role has an inbox; the
routes themselves show each person only what is addressed to her or to one of her roles."""

from __future__ import annotations

from shared.security.roles import ALL_ROLES, Role

ACCESS_RULES: dict[str, frozenset[Role]] = {
    "GET /inbox": ALL_ROLES,
    "GET /notifications/{notification_id}": ALL_ROLES,
    "POST /notifications/{notification_id}/read": ALL_ROLES,
    "POST /notifications/{notification_id}/acknowledgement": ALL_ROLES,
    # subject access
    "GET /subject-access/{journey_id}": frozenset({Role.ADMIN}),
}
