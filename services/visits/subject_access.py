"""Subject access (UK GDPR Art. 15): everything visits holds about one woman, by journey id.

Her contacts are found by the ``subject_contacts`` read model (no scan of every visit). On each
visit she was met on, only the facts about *her* contacts are exported — her contact (alias
decrypted), indicators observed about her, follow-ups offered to her, urgent concerns naming
her (details decrypted) and their resolution, corrections of her alias, links to her journey —
with the visit's context (when, where, the outcome). Other women met on the same visit, premises
indicators and concerns that name no contact are left out: they are not hers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from services.visits.application import VisitsApplication
from services.visits.subject_contacts import SubjectContacts
from shared.admin.subject_access import envelope, events_of

_CONTEXT = {"Visit.Started", "Visit.PremisesCorrected", "Visit.Completed"}


def subject_access(
    app: VisitsApplication,
    contacts: SubjectContacts,
    journey_id: UUID,
    *,
    reader: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    # A contact recorded a moment ago must not be missing from her export.
    contacts.catch_up()
    pairs = contacts.contacts_of(journey_id)
    visits = [
        _visit(app, visit_id, {str(c) for v, c in pairs if v == visit_id}, reader)
        for visit_id in sorted({v for v, _ in pairs}, key=str)
    ]
    visits.sort(key=lambda visit: (visit["started_at"] or "", visit["visit_id"]))
    sections = {
        "contacts": sorted({str(c) for _, c in pairs}),
        "visits": visits,
    }
    return envelope("visits", journey_id, sections, now)


def _visit(app: VisitsApplication, visit_id: UUID, hers: set[str], reader: str) -> dict[str, Any]:
    events = events_of(app, visit_id, reader)
    her_concerns = {
        e["data"]["concern_id"]
        for e in events
        if e["type"] == "Visit.UrgentConcernRaised" and e["data"].get("contact_id") in hers
    }
    context: dict[str, Any] = {"visit_id": str(visit_id), "started_at": None}
    for e in events:
        data = e["data"]
        if e["type"] == "Visit.Started":
            context.update(started_at=e["occurred_at"], team=data.get("team"))
        if e["type"] in ("Visit.Started", "Visit.PremisesCorrected"):
            context.update(
                premises_id=data.get("premises_id"), premises_label=data.get("premises_label")
            )
        if e["type"] == "Visit.Completed":
            context.update(completed_at=e["occurred_at"], outcome=data.get("outcome"))
    context["events"] = [e for e in events if _about_her(e, hers, her_concerns)]
    return context


def _about_her(event: dict[str, Any], hers: set[str], her_concerns: set[str]) -> bool:
    if event["type"] in _CONTEXT:
        return False  # summarised in the visit's context (it lists the volunteers, not her)
    data = event["data"]
    if data.get("contact_id") is not None:
        return str(data["contact_id"]) in hers
    return event["type"] == "Visit.UrgentConcernResolved" and data.get("concern_id") in her_concerns
