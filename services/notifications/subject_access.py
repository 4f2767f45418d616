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
from shared.admin.subject_access import envelope, events_of, staff_role

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
    notifications, reminders = [], []
    for kind, item_id in items.items_of(journey_id):
        if kind == "notification":
            notifications.append(_notification(app, item_id, reader))
        else:
            reminders.append({"reminder_id": str(item_id), "events": _events(app, item_id, reader)})
    notifications.sort(key=lambda n: (n["requested_at"], n["notification_id"]))
    watch_id = JourneyWatch.create_id(journey_id)
    watch = app.repository.get(watch_id) if _exists(app, watch_id) else None
    sections = {
        "notifications": notifications,
        "reminders": reminders,
        "journey": None
        if watch is None
        else {
            "status": watch.status,
            "caseworker_assigned": watch.caseworker_id is not None,
            "events": _events(app, watch_id, reader),
        },
    }
    return envelope("notifications", journey_id, sections, now)


def _notification(app: NotificationsApplication, item_id: UUID, reader: str) -> dict[str, Any]:
    notification: Notification = app.get_notification(item_id)
    events = _events(app, item_id, reader)
    return {
        "notification_id": str(item_id),
        "rule": notification.rule,
        "link": notification.link,
        "recipient": staff_role(notification.recipient),
        "state": notification.inbox_state.value,
        "requested_at": events[0]["recorded_at"],
        "read_at": _iso(notification.read_at),
        "acknowledged_at": _iso(notification.acknowledged_at),
        "deliveries": {
            channel: delivery.state.value for channel, delivery in notification.deliveries.items()
        },
        "events": events,
    }


def _events(app: NotificationsApplication, aggregate_id: UUID, reader: str) -> list[dict[str, Any]]:
    events = events_of(app, aggregate_id, reader)
    for event in events:
        event["actor"] = staff_role(event["actor"])
        for field in _STAFF_FIELDS:
            if isinstance(event["data"].get(field), str):
                event["data"][field] = staff_role(event["data"][field])
    return events


def _exists(app: NotificationsApplication, aggregate_id: UUID) -> bool:
    return bool(list(app.repository.event_store.get(aggregate_id, limit=1)))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
