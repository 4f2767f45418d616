"""Notifications: each one an aggregate, so its delivery history is auditable.

A notification says *that* something needs attention and links to it; it never carries her
story. Its id is derived from the rule and the source event, so a redelivered source event can
never raise a second notification.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NOTIFICATION_NAMESPACE = UUID("0b7e8a43-3f0e-4d8e-9c55-4a9d51f7e2c3")


class Rule(StrEnum):
    JOURNEY_OPENED = "journey_opened"


class NotificationState(StrEnum):
    REQUESTED = "requested"


class Notification(Aggregate):
    @staticmethod
    def create_id(rule: str, source_event_id: str) -> UUID:
        return uuid5(_NOTIFICATION_NAMESPACE, f"{rule}\x00{source_event_id}")

    class Requested(Aggregate.Created):
        rule: str
        source_event_id: str
        recipient: str
        link: str

    @event(Requested)
    def __init__(self, rule: str, source_event_id: str, recipient: str, link: str) -> None:
        self.rule = rule
        self.source_event_id = source_event_id
        self.recipient = recipient
        self.link = link
        self.state = NotificationState.REQUESTED
