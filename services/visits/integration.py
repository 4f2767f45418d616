"""The visits service's NATS edge: which domain events leave the service, as which contracts.

Only ids, codes and dates leave. Aliases (and their corrections), premises labels and the
details of an urgent concern stay in the visits store, so ``AliasCorrected`` and
``PremisesCorrected`` are not published at all, and neither are premises indicators (they are
about a place, not a woman). An urgent concern is published like everything else, from the
committed log, as soon as it is stored: the relay is woken by every save, so nothing queues it.
"""

from __future__ import annotations

from functools import singledispatchmethod
from typing import cast
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking

from services.visits.application import VisitsApplication
from services.visits.domain import Visit
from shared.contracts import (
    ContactLinkedToPersonV1,
    ContactMadeV1,
    ContactMadeV2,
    FollowUpOfferedV1,
    PersonErasedV1,
    PersonIndicatorObservedV1,
    UrgentConcernRaisedV1,
    VisitCompletedV1,
)
from shared.contracts.base import IndicatorSource, Published
from shared.contracts.streams import CASES_STREAM, VISITS_STREAM
from shared.messaging.consumer import Subscription
from shared.messaging.relay import Outbound, Translated, Translator

#: Which domain events leave the service, as which contract (also read by docs/events.md).
PUBLISHED: dict[type[object], Published] = {
    Visit.ContactMade: (ContactMadeV1, ContactMadeV2),
    Visit.PersonIndicatorObserved: PersonIndicatorObservedV1,
    Visit.FollowUpOffered: FollowUpOfferedV1,
    Visit.UrgentConcernRaised: UrgentConcernRaisedV1,
    Visit.ContactLinkedToPerson: ContactLinkedToPersonV1,
    Visit.Completed: VisitCompletedV1,
}


def outbound(app: VisitsApplication) -> Outbound:
    return Outbound(VISITS_STREAM, translator(app), tuple(PUBLISHED))


def translator(app: VisitsApplication) -> Translator:
    return VisitContracts(app).translate


class VisitContracts:
    """Each published visit event as its contract(s); None for an event that stays inside."""

    def __init__(self, app: VisitsApplication) -> None:
        self.app = app

    def as_it_was(self, event: DomainEventProtocol[UUID]) -> Visit:
        """The visit as it stood when the event was recorded: the same answer on every replay."""
        visit: Visit = self.app.repository.get(
            event.originator_id, version=event.originator_version
        )
        return visit

    @singledispatchmethod
    def translate(self, event: DomainEventProtocol[UUID]) -> Translated:
        return None

    @translate.register
    def _contact_made(self, event: Visit.ContactMade) -> Translated:
        # v1 for the consumers that read it, v2 beside it; both carry the same position.
        return (
            ContactMadeV1(
                contact_id=event.contact_id,
                visit_id=event.originator_id,
                language=event.language,
                occurred_at=event.occurred_at,
                recorded_at=event.timestamp,
            ),
            ContactMadeV2(
                contact_id=event.contact_id,
                visit_id=event.originator_id,
                languages=[event.language, *event.other_languages],
                materials=event.materials,
                occurred_at=event.occurred_at,
                recorded_at=event.timestamp,
            ),
        )

    @translate.register
    def _person_indicator(self, event: Visit.PersonIndicatorObserved) -> Translated:
        return PersonIndicatorObservedV1(
            observation_id=event.observation_id,
            visit_id=event.originator_id,
            contact_id=event.contact_id,
            indicator=event.indicator,
            source=cast(IndicatorSource, event.source),  # one of SOURCES: a domain guard
            occurred_at=event.occurred_at,
            recorded_at=event.timestamp,
        )

    @translate.register
    def _follow_up(self, event: Visit.FollowUpOffered) -> Translated:
        return FollowUpOfferedV1(
            follow_up_id=event.follow_up_id,
            visit_id=event.originator_id,
            contact_id=event.contact_id,
            kind=event.kind,
            due_at=event.due_at,
            occurred_at=event.occurred_at,
            recorded_at=event.timestamp,
        )

    @translate.register
    def _urgent_concern(self, event: Visit.UrgentConcernRaised) -> Translated:
        return UrgentConcernRaisedV1(
            concern_id=event.concern_id,
            visit_id=event.originator_id,
            contact_id=event.contact_id,
            premises_id=self.as_it_was(event).premises_id,
            concern=event.concern,
            occurred_at=event.occurred_at,
            recorded_at=event.timestamp,
        )

    @translate.register
    def _contact_linked(self, event: Visit.ContactLinkedToPerson) -> Translated:
        return ContactLinkedToPersonV1(
            visit_id=event.originator_id,
            contact_id=event.contact_id,
            person_id=event.person_id,
            occurred_at=event.occurred_at,
            recorded_at=event.timestamp,
        )

    @translate.register
    def _completed(self, event: Visit.Completed) -> Translated:
        visit = self.as_it_was(event)
        return VisitCompletedV1(
            visit_id=visit.id,
            languages_offered=visit.languages_offered,
            contact_count=len(visit.contacts),
            started_at=visit.started_at,
            completed_at=event.occurred_at,
            recorded_at=event.timestamp,
        )


def inbound(app: VisitsApplication) -> Subscription:
    """From cases: a woman's erasure. Her contacts' keys are destroyed here too."""

    def on_person_erased(message: PersonErasedV1, upstream: Tracking) -> None:
        app.erase_contacts(message.journey_id, message.contact_ids, upstream)

    return Subscription(
        application=app,
        durable="visits-from-cases",
        stream=CASES_STREAM,
        handlers={PersonErasedV1: on_person_erased},
    )
