"""The roles of the people who use Waymark, and who the caller is once her token is verified."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OUTREACH = "outreach"  # records visits; never reads journeys
    CASEWORKER = "caseworker"  # the journeys assigned to her or her team
    SAFEGUARDING_LEAD = "safeguarding_lead"  # every journey; urgent concerns
    MANAGER = "manager"  # anonymised numbers only
    ADMIN = "admin"  # replay, repair, erasure, subject access
    AUDITOR = "auditor"  # who saw what: the audit log


ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Principal:
    """The verified caller: an opaque user id (never a name), her roles and team."""

    subject: str
    roles: frozenset[Role]
    team: str | None = None

    def has(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def recipients(self) -> frozenset[str]:
        """The inbox addresses that are hers (``services/notifications/config.py``): her own id
        and each of her roles."""
        return frozenset({f"user:{self.subject}", *(f"role:{role.value}" for role in self.roles)})
