"""The cases service's NATS edge: contacts in from visits, journey events out."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking

from services.cases.application import CasesApplication
from services.cases.domain import Journey, JourneyError
from shared.contracts import ContactMadeV1, IntegrationEvent, JourneyOpenedV1
from shared.contracts.streams import CASES_STREAM, VISITS_STREAM
from shared.messaging.consumer import Subscription
from shared.runtime import Outbound

PUBLISHED_EVENTS = (Journey.Opened,)


def to_contract(event: DomainEventProtocol[UUID]) -> IntegrationEvent | None:
    if isinstance(event, Journey.Opened):
        return JourneyOpenedV1(
            journey_id=event.originator_id,
            contact_id=event.contact_id,
            opened_at=event.occurred_at,
            recorded_at=event.timestamp,
        )
    return None


OUTBOUND = Outbound(CASES_STREAM, to_contract, PUBLISHED_EVENTS)


def inbound(app: CasesApplication) -> Subscription:
    def on_contact_made(message: ContactMadeV1, upstream: Tracking) -> None:
        app.record_contact_from_visit(
            contact_id=message.contact_id,
            visit_id=message.visit_id,
            language=message.language,
            occurred_at=message.occurred_at,
            upstream=upstream,
        )

    return Subscription(
        durable="cases-from-visits",
        stream=VISITS_STREAM,
        handlers={ContactMadeV1: on_contact_made},
        permanent_errors=(JourneyError,),
    )
