"""What every service's subject access export has in common (UK GDPR Art. 15).

Each service gathers what it holds about one woman, identified by her journey id, as a list of
records; this module gives every service's part one shape (``export``, ``record``) and one way
of listing an aggregate's events with her personal fields readable (``history`` with
``include_personal=True``: they are hers).
Staff ids met in data that is not about her are redacted by ``staff_role`` (the export is for
her, and who was on call is other people's personal data).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import Depends, Request

from shared.admin.history import history
from shared.storage.eventstore import WaymarkApplication

STAFF = "staff member"


#: Names the shape below; a change to it is a new version (docs/operations.md, subject access).
FORMAT = "waymark-subject-access/1"


def export(
    service: str,
    journey_id: UUID,
    records: list[dict[str, Any]],
    *,
    erased: bool,
    contact_ids: Iterable[UUID | str] = (),
    now: datetime | None = None,
) -> dict[str, Any]:
    """One service's part: who it is about, whether she was erased, and its records in the
    order they happened (records with no time — read-model rows — last)."""
    return {
        "format": FORMAT,
        "service": service,
        "generated_at": (now or datetime.now(UTC)).isoformat(),
        "subject": {
            "journey_id": str(journey_id),
            "contact_ids": sorted({str(c) for c in contact_ids}),
        },
        "erased": erased,
        "records": sorted(records, key=_order),
    }


def record(
    type: str,
    about: str,
    record_id: UUID | str,
    *,
    occurred_at: str | None = None,
    recorded_at: str | None = None,
    recorded_by: str | None = None,
    fields: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One item: what it is, which record it belongs to, when it happened and was recorded,
    by whom, and its fields (hers decrypted, or ``<erased>``)."""
    return {
        "type": type,
        "about": about,
        "record_id": str(record_id),
        "occurred_at": occurred_at,
        "recorded_at": recorded_at,
        "recorded_by": recorded_by,
        "fields": fields or {},
    }


def event_records(
    app: WaymarkApplication,
    aggregate_id: UUID,
    about: str,
    reader: str,
    redact: Callable[[str | None], str | None] = lambda actor: actor,
) -> list[dict[str, Any]]:
    """Every event of one aggregate as a record, personal fields decrypted (or ``<erased>``
    once her key is destroyed)."""
    return [
        record(
            entry.type,
            about,
            aggregate_id,
            occurred_at=entry.occurred_at.isoformat() if entry.occurred_at else None,
            recorded_at=entry.recorded_at.isoformat(),
            recorded_by=redact(entry.actor),
            fields=entry.data,
        )
        for entry in history(app, aggregate_id, include_personal=True, reader=reader)
    ]


def _order(item: dict[str, Any]) -> tuple[int, datetime, str]:
    # By the moment, not the string: a device may have sent its clock with another offset.
    when = item["occurred_at"] or item["recorded_at"]
    if when is None:
        return (1, datetime.min.replace(tzinfo=UTC), item["type"])
    return (0, datetime.fromisoformat(when), "")


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
