"""Subject access (UK GDPR Art. 15): what notifications holds about one woman, by journey id.

Notifications carry no personal text about her — only that something needed attention, a link,
and delivery steps — so her export lists them with their rule, state and times, the reminders
set for her journey, and what notifications knows of the journey (status, whether a caseworker
is assigned). Recipients and the staff who read or acknowledged them are *redacted to role
names* (``role:caseworker`` → ``caseworker``, a person's id → ``staff member``): who was on call
or notified is other people's personal data, not hers (Art. 15(4)).

Not included: urgent-concern notifications, which link to a visit rather than a journey (the
concern itself, and its details, are in the visits part of her export).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from services.notifications.application import NotificationsApplication
from services.notifications.domain import Notification
from services.notifications.reminders import JourneyWatch
from services.notifications.subject_items import JourneyItems
from shared.admin.subject_access import event_records, export, record, staff_role

#: Fields naming a member of staff, in any notifications event.
_STAFF_FIELDS = ("recipient", "actor", "to", "caseworker_id")


def subject_access(
    app: NotificationsApplication,
    items: JourneyItems,
    journey_id: UUID,
    *,
    reader: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    items.catch_up()  # a notification raised a moment ago must not be missing
    records: list[dict[str, Any]] = []
    for kind, item_id in items.items_of(journey_id):
        if kind == "notification":
            records += _notification(app, item_id, reader)
        else:
            records += _events(app, item_id, "reminder", reader)
    watch_id = JourneyWatch.create_id(journey_id)
    watch = app.repository.get(watch_id) if _exists(app, watch_id) else None
    if watch is not None:
        events = _events(app, watch_id, "journey", reader)
        records.append(
            record(
                "Journey (as notifications knows it)",
                "journey",
                journey_id,
                occurred_at=events[-1]["recorded_at"],
                recorded_at=events[-1]["recorded_at"],
                fields={
                    "status": watch.status,
                    "caseworker_assigned": watch.caseworker_id is not None,
                },
            )
        )
        records += events
    erased = watch is not None and watch.status == "erased"
    return export("notifications", journey_id, records, erased=erased, now=now)


def _notification(
    app: NotificationsApplication, item_id: UUID, reader: str
) -> list[dict[str, Any]]:
    notification: Notification = app.get_notification(item_id)
    events = _events(app, item_id, "notification", reader)
    summary = record(
        "Notification",
        "notification",
        item_id,
        occurred_at=events[0]["recorded_at"],
        recorded_at=events[0]["recorded_at"],
        fields={
            "rule": notification.rule,
            "link": notification.link,
            "recipient": staff_role(notification.recipient),
            "state": notification.inbox_state.value,
            "read_at": _iso(notification.read_at),
            "acknowledged_at": _iso(notification.acknowledged_at),
            "deliveries": {
                channel: delivery.state.value
                for channel, delivery in notification.deliveries.items()
            },
        },
    )
    return [summary, *events]


def _events(
    app: NotificationsApplication, aggregate_id: UUID, about: str, reader: str
) -> list[dict[str, Any]]:
    events = event_records(app, aggregate_id, about, reader, redact=staff_role)
    for event in events:
        for field in _STAFF_FIELDS:
            if isinstance(event["fields"].get(field), str):
                event["fields"][field] = staff_role(event["fields"][field])
    return events


def _exists(app: NotificationsApplication, aggregate_id: UUID) -> bool:
    return bool(list(app.repository.event_store.get(aggregate_id, limit=1)))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
