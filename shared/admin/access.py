"""Who may call the routes every service mounts (reference data, admin, audit)."""

from __future__ import annotations

from shared.security.roles import ALL_ROLES, Role

ADMIN = frozenset({Role.ADMIN})
OVERSIGHT = frozenset({Role.ADMIN, Role.AUDITOR})

SHARED_ACCESS_RULES: dict[str, frozenset[Role]] = {
    "GET /reference": ALL_ROLES,
    # History with personal fields is for admins only (checked in the route); auditors see
    # the same history with them withheld.
    "GET /admin/aggregates/{aggregate_id}/history": OVERSIGHT,
    "GET /admin/aggregates/{aggregate_id}/as-of": OVERSIGHT,
    "POST /admin/projections/{name}/rebuild": ADMIN,
    "GET /admin/projections": ADMIN,
    "GET /admin/projections/{name}": ADMIN,
    "GET /audit": OVERSIGHT,
    "GET /audit/verify": OVERSIGHT,
}
