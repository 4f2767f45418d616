"""What every service's subject access export has in common (UK GDPR Art. 15).

Each service gathers what it holds about one woman, identified by her journey id, into
``sections``; this module gives them one envelope and one way of listing an aggregate's events
with her personal fields readable (``history`` with ``include_personal=True``: they are hers).
Staff ids met in data that is not about her are redacted by ``staff_role`` (the export is for
her, and who was on call is other people's personal data).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import Depends, Request

from shared.admin.history import history
from shared.storage.eventstore import WaymarkApplication

STAFF = "staff member"


def envelope(
    service: str, journey_id: UUID, sections: dict[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    return {
        "service": service,
        "generated_at": (now or datetime.now(UTC)).isoformat(),
        "journey_id": str(journey_id),
        "sections": sections,
    }


def events_of(app: WaymarkApplication, aggregate_id: UUID, reader: str) -> list[dict[str, Any]]:
    """Every event of one aggregate, oldest first, both clocks, actor and data, personal fields
    decrypted (or ``<erased>`` once her key is destroyed)."""
    return [
        entry.as_json()
        for entry in history(app, aggregate_id, include_personal=True, reader=reader)
    ]


def staff_role(address: str | None) -> str | None:
    """``role:caseworker`` → ``caseworker``; ``system:…`` as it is; a person's id (``cw-17``,
    ``user:cw-17``) → ``staff member``."""
    if address is None:
        return None
    kind, _, name = address.partition(":")
    if kind == "role" and name:
        return name
    return address if kind == "system" and name else STAFF


def _mark_subject_access(request: Request) -> None:
    # The audit entry of the request says why it was made (``shared/http/access.py``).
    request.state.audit_purpose = "subject-access"


#: Route dependency for every service's export route.
SubjectAccessRead = Depends(_mark_subject_access)
