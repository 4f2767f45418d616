"""The item a journey form acts on (a consent, a goal, an appointment, a referral), found on
the journey as it is and described in words: codes by their names, times in London time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.web.api import NotFound
from services.web.pages.journey_consent import SCOPES
from services.web.pages.journey_form_fields import LONDON, JourneyForm
from services.web.rendering import words

#: The journey's list each item path parameter names an entry of.
ITEM_LISTS = {
    "consent_id": "consents",
    "goal_id": "goals",
    "appointment_id": "appointments",
    "referral_id": "referrals",
}


def find_item(
    form: JourneyForm, journey: Mapping[str, Any], item_id: UUID | None
) -> dict[str, Any] | None:
    param = form.item_param
    if param is None or item_id is None:
        return None
    for entry in journey.get(ITEM_LISTS[param]) or []:
        if str(entry.get(param)) == str(item_id):
            return dict(entry)
    raise NotFound


def _label(reference: Mapping[str, Any], kind: str, code: object) -> str:
    value = (reference.get(kind) or {}).get(str(code)) if kind != "languages" else None
    if isinstance(value, Mapping):
        return str(value.get("label") or value.get("name") or code)
    return str(value) if value else words(code)


def _local(value: object, with_time: bool = True) -> str:
    if not value:
        return ""
    try:
        if with_time:
            moment = datetime.fromisoformat(str(value)).astimezone(LONDON)
            return moment.strftime("%-d %b %Y, %H:%M")
        return date.fromisoformat(str(value)).strftime("%-d %b %Y")
    except ValueError:
        return "unknown date"


def item_rows(
    param: str | None, item: Mapping[str, Any] | None, reference: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """The item the form acts on, as summary-list rows (codes as words, London times)."""
    if param is None or item is None:
        return []
    if param == "consent_id":
        scope = dict(SCOPES).get(str(item.get("scope")), words(item.get("scope")))
        rows = [("What she agreed to", scope)]
        if item.get("partner"):
            rows.append(("Partner", _label(reference, "partners", item["partner"])))
        return [*rows, ("Given", _local(item.get("given_at")))]
    if param == "goal_id":
        return [
            ("Goal", _label(reference, "goals", item.get("goal"))),
            ("Target date", _local(item.get("target_on"), with_time=False) or "None set"),
            ("Status", words(item.get("status")).capitalize()),
        ]
    if param == "appointment_id":
        return [
            ("Appointment with", _label(reference, "appointment_types", item.get("kind"))),
            ("When", _local(item.get("at"))),
            ("Status", words(item.get("status")).capitalize()),
        ]
    return [
        ("Partner", _label(reference, "partners", item.get("partner"))),
        ("For", _label(reference, "needs", item.get("need"))),
        ("Status", words(item.get("status")).capitalize()),
        ("Answer due by", _local(item.get("respond_by"))),
    ]
