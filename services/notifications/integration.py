"""The notifications service's NATS edge: which upstream events raise which notifications."""

from __future__ import annotations

from eventsourcing.persistence import Tracking

from services.notifications.application import NotificationsApplication
from services.notifications.domain import Rule
from shared.contracts import JourneyOpenedV1
from shared.contracts.envelope import message_id
from shared.contracts.streams import CASES_STREAM
from shared.messaging.consumer import Subscription

#: Who hears about a newly opened journey: the caseworkers' shared intake inbox.
INTAKE_RECIPIENT = "role:caseworker"


def inbound(app: NotificationsApplication) -> Subscription:
    def on_journey_opened(message: JourneyOpenedV1, upstream: Tracking) -> None:
        app.request(
            Rule.JOURNEY_OPENED,
            source_event_id=message_id(upstream.application_name, upstream.notification_id),
            recipient=INTAKE_RECIPIENT,
            link=f"/journeys/{message.journey_id}",
            upstream=upstream,
        )

    return Subscription(
        durable="notifications-from-cases",
        stream=CASES_STREAM,
        handlers={JourneyOpenedV1: on_journey_opened},
    )
