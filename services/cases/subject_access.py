"""Subject access (UK GDPR Art. 15): everything cases holds about one woman, by journey id.

- her journey as it stands now — its own state and what is only shown of it (the journey
  detail) — personal fields decrypted (pseudonym, notes, plan summaries);
- every event of her journey, oldest first, with both clocks, the actor and the data;
- the journeys merged into hers (a contact met on a visit that turned out to be her) and
  their events;
- the read-model rows filed under her journey id (caseload, timeline, referrals board, due
  items, and the statistics helper rows that count her once) — ids, codes and times only.

Anonymised statistics counts are not about her and are not exported. The export is recorded on
her journey as ``Journey.SubjectAccessFulfilled`` (ids only), so her timeline shows it was made.
An erased journey is not exported and nothing is recorded on it: the audit entry of the request
is the only trace, and her timeline stays gone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from services.cases.application import CasesApplication, JourneyNotFound
from services.cases.domain import Journey
from services.cases.errors import JourneyErased
from services.cases.queries.journey_detail.detail import shown_only
from shared.admin.history import as_of, plain
from shared.admin.subject_access import event_records, export, record
from shared.storage.sql import SqlStore, placeholders

#: Read-model tables with a ``journey_id`` column: every row filed under her id is hers.
JOURNEY_TABLES = ("caseload", "journey_timeline", "referrals_board", "due_items")


def subject_access(
    app: CasesApplication,
    views: SqlStore,
    journey_id: UUID,
    *,
    reader: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Raises ``JourneyNotFound`` when there is no such journey, ``JourneyErased`` when her
    data was erased (nothing readable is left to give her)."""
    journey = app.get_journey(journey_id)
    if journey.erased:
        raise JourneyErased(f"journey {journey_id} was erased")
    merged = _merged_into_hers(app, journey)
    current = as_of(app, journey_id, include_personal=True, reader=reader)
    detail = app.journey_detail(journey_id, version=current.version)
    modified = current.modified_on.isoformat() if current.modified_on else None
    records = [
        record(
            "Journey (as it is now)",
            "journey",
            journey_id,
            occurred_at=modified,
            recorded_at=modified,
            fields={**current.state, **plain(shown_only(detail))},
        ),
        *event_records(app, journey_id, "journey", reader),
        *(r for other in merged for r in event_records(app, other, "merged journey", reader)),
        *_read_models(views, [journey_id, *merged]),
    ]
    contacts = [contact for _, contact in journey.linked_contacts]
    return export("cases", journey_id, records, erased=False, contact_ids=contacts, now=now)


def record_fulfilment(
    app: CasesApplication,
    journey_id: UUID,
    request_id: UUID,
    actor: str,
    now: datetime | None = None,
) -> Journey:
    """Get → record → save; a lost race with another writer is retried on a fresh read."""
    journey, _ = app.change(
        lambda: app.get_journey(journey_id),
        lambda j: j.record_subject_access(request_id, now or datetime.now(UTC), actor),
    )
    return journey


def _merged_into_hers(app: CasesApplication, journey: Journey) -> list[UUID]:
    """Journeys of the contacts linked to her that were merged into hers."""
    found = []
    for _, contact_id in journey.linked_contacts:
        other_id = Journey.create_id(contact_id)
        if other_id == journey.id or other_id in found:
            continue
        try:
            other = app.get_journey(other_id)
        except JourneyNotFound:
            continue
        if other.merged_into == journey.id:
            found.append(other_id)
    return found


def _read_models(views: SqlStore, journey_ids: list[UUID]) -> list[dict[str, Any]]:
    """Her rows in the read models, one record each (ids, codes and times only)."""
    ids = [str(j) for j in journey_ids]
    marks = placeholders(ids)
    found: list[dict[str, Any]] = []
    with views.transaction(commit=False) as cursor:
        for name in JOURNEY_TABLES:
            cursor.execute(f"SELECT * FROM {views.table(name)} WHERE journey_id IN ({marks})", ids)
            for row in plain(cursor.fetchall()):
                found.append(record(f"{name} row", "read model", row["journey_id"], fields=row))
        # Keys "<journey id>|<month>|<need>": she is counted once per need per month.
        for journey_id in ids:
            cursor.execute(
                f"SELECT seen FROM {views.table('statistics_seen')} WHERE seen LIKE %s",
                (journey_id + "|%",),
            )
            for row in plain(cursor.fetchall()):
                found.append(record("statistics_seen row", "read model", journey_id, fields=row))
    return found
