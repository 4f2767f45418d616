"""Subject access (UK GDPR Art. 15): everything visits holds about one woman, by journey id.

Her contacts are found by the ``subject_contacts`` read model (no scan of every visit). On each
visit she was met on, only the facts about *her* contacts are exported — her contact (alias
decrypted), indicators observed about her, follow-ups offered to her, urgent concerns naming
her (details decrypted) and their resolution, corrections of her alias, links to her journey —
with the visit's context (when, where, the outcome). Other women met on the same visit, premises
indicators and concerns that name no contact are left out: they are not hers. Once she was
erased, the export says so (``erased``), with the erasure record and nothing else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from services.visits.application import VisitsApplication
from services.visits.subject_contacts import SubjectContacts
from shared.admin.subject_access import event_records, export, record

_CONTEXT = {"Visit.Started", "Visit.PremisesCorrected", "Visit.Completed"}


def subject_access(
    app: VisitsApplication,
    contacts: SubjectContacts,
    journey_id: UUID,
    *,
    reader: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    erasure = app.erasure_of(journey_id)
    if erasure is not None:
        # Her contacts' keys are gone and the read models forgot them: say so, and when.
        fact = event_records(app, erasure.id, "erasure", reader)
        return export(
            "visits", journey_id, fact, erased=True, contact_ids=erasure.contact_ids, now=now
        )
    # A contact recorded a moment ago must not be missing from her export.
    contacts.catch_up()
    pairs = contacts.contacts_of(journey_id)
    records = [
        item
        for visit_id in sorted({v for v, _ in pairs}, key=str)
        for item in _visit(app, visit_id, {str(c) for v, c in pairs if v == visit_id}, reader)
    ]
    return export(
        "visits", journey_id, records, erased=False, contact_ids=[c for _, c in pairs], now=now
    )


def _visit(
    app: VisitsApplication, visit_id: UUID, hers: set[str], reader: str
) -> list[dict[str, Any]]:
    """The visit in brief (when, where, the outcome), then each fact about her on it."""
    events = event_records(app, visit_id, "visit", reader)
    her_concerns = {
        e["fields"]["concern_id"]
        for e in events
        if e["type"] == "Visit.UrgentConcernRaised" and e["fields"].get("contact_id") in hers
    }
    brief: dict[str, Any] = {}
    started_at = None
    for e in events:
        fields = e["fields"]
        if e["type"] == "Visit.Started":
            started_at = e["occurred_at"]
            brief.update(team=fields.get("team"))
        if e["type"] in ("Visit.Started", "Visit.PremisesCorrected"):
            brief.update(
                premises_id=fields.get("premises_id"), premises_label=fields.get("premises_label")
            )
        if e["type"] == "Visit.Completed":
            brief.update(completed_at=e["occurred_at"], outcome=fields.get("outcome"))
    summary = record(
        "Visit (in brief)",
        "visit",
        visit_id,
        occurred_at=started_at,
        recorded_at=events[0]["recorded_at"] if events else None,
        fields=brief,
    )
    return [summary, *(e for e in events if _about_her(e, hers, her_concerns))]


def _about_her(event: dict[str, Any], hers: set[str], her_concerns: set[str]) -> bool:
    if event["type"] in _CONTEXT:
        return False  # summarised in the visit's brief (it lists the volunteers, not her)
    fields = event["fields"]
    if fields.get("contact_id") is not None:
        return str(fields["contact_id"]) in hers
    return (
        event["type"] == "Visit.UrgentConcernResolved" and fields.get("concern_id") in her_concerns
    )
