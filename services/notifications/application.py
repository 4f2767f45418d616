"""The notifications application: command handlers on notifications."""

from __future__ import annotations

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking

from services.notifications.domain import Notification, Rule
from shared.storage.eventstore import WaymarkApplication


class NotificationsApplication(WaymarkApplication):
    name = "notifications"

    def request(
        self, rule: Rule, source_event_id: str, recipient: str, link: str, upstream: Tracking
    ) -> bool:
        """Raise the notification for this rule and source event, once."""
        notification_id = Notification.create_id(rule.value, source_event_id)
        try:
            self.repository.get(notification_id)
        except AggregateNotFoundError:
            notification = Notification(
                rule=rule.value, source_event_id=source_event_id, recipient=recipient, link=link
            )
            return self.save_once(upstream, notification)
        return self.save_once(upstream)
