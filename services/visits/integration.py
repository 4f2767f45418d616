"""The visits service's NATS edge: which domain events leave the service, as which contracts.

Aliases never leave: ``ContactMadeV1`` carries the contact's opaque id and language only.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.visits.application import VisitsApplication
from services.visits.domain import Visit
from shared.contracts import ContactMadeV1, IntegrationEvent, VisitCompletedV1
from shared.contracts.streams import VISITS_STREAM
from shared.runtime import Outbound

PUBLISHED_EVENTS = (Visit.ContactMade, Visit.Completed)


def outbound(app: VisitsApplication) -> Outbound:
    return Outbound(VISITS_STREAM, translator(app), PUBLISHED_EVENTS)


def translator(
    app: VisitsApplication,
) -> Callable[[DomainEventProtocol[UUID]], IntegrationEvent | None]:
    def translate(event: DomainEventProtocol[UUID]) -> IntegrationEvent | None:
        if isinstance(event, Visit.ContactMade):
            return ContactMadeV1(
                contact_id=event.contact_id,
                visit_id=event.originator_id,
                language=event.language,
                occurred_at=event.occurred_at,
                recorded_at=event.timestamp,
            )
        if isinstance(event, Visit.Completed):
            # The visit as it stood when it was completed — the same answer on every replay.
            visit: Visit = app.repository.get(event.originator_id, version=event.originator_version)
            return VisitCompletedV1(
                visit_id=visit.id,
                languages_offered=visit.languages_offered,
                contact_count=len(visit.contacts),
                started_at=visit.started_at,
                completed_at=event.occurred_at,
                recorded_at=event.timestamp,
            )
        return None

    return translate
