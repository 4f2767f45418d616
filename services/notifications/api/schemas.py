"""What the notifications API shows: that something needs attention, where, and what became of
each delivery — never her story (there is none to show: notifications hold ids and codes)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from pydantic import BaseModel

from services.notifications.domain import Notification
from services.notifications.messages import NEEDS_ACKNOWLEDGEMENT, title

_BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


class DeliveryPublic(BaseModel):
    channel: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_reason: str | None


class HistoryStep(BaseModel):
    """One recorded event of the notification: what happened, when it was recorded, details."""

    event: str
    version: int
    recorded_at: datetime
    details: dict[str, Any]

    @classmethod
    def of(cls, event: DomainEventProtocol[UUID]) -> HistoryStep:
        assert dataclasses.is_dataclass(event)
        details = {
            field.name: getattr(event, field.name)
            for field in dataclasses.fields(event)
            if field.name not in _BASE_FIELDS
        }
        return cls(
            event=type(event).__qualname__.split(".")[-1],
            version=event.originator_version,
            recorded_at=event.timestamp,
            details=details,
        )


class NotificationPublic(BaseModel):
    notification_id: UUID
    version: int
    rule: str
    title: str
    recipient: str
    link: str
    state: str
    needs_acknowledgement: bool
    created_at: datetime
    read_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    escalate_at: datetime | None
    escalated_to: str | None
    escalation_id: UUID | None
    cancelled_reason: str | None
    deliveries: list[DeliveryPublic]
    history: list[HistoryStep]

    @classmethod
    def of(
        cls, notification: Notification, history: list[DomainEventProtocol[UUID]]
    ) -> NotificationPublic:
        return cls(
            notification_id=notification.id,
            version=notification.version,
            rule=notification.rule,
            title=title(notification.rule),
            recipient=notification.recipient,
            link=notification.link,
            state=notification.inbox_state.value,
            needs_acknowledgement=notification.rule in NEEDS_ACKNOWLEDGEMENT,
            created_at=notification.created_on,
            read_at=notification.read_at,
            acknowledged_at=notification.acknowledged_at,
            acknowledged_by=notification.acknowledged_by,
            escalate_at=notification.escalate_at,
            escalated_to=notification.escalated_to,
            escalation_id=notification.escalation_id,
            cancelled_reason=notification.cancelled_reason,
            deliveries=[
                DeliveryPublic(
                    channel=d.channel,
                    state=d.state.value,
                    attempts=d.attempts,
                    next_attempt_at=d.next_attempt_at,
                    last_reason=d.last_reason,
                )
                for d in notification.deliveries.values()
            ],
            history=[HistoryStep.of(event) for event in history],
        )
