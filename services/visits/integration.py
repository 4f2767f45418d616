"""The visits service's NATS edge: which domain events leave the service, as which contracts.

Only ids, codes and dates leave. Aliases (and their corrections), premises labels and the
details of an urgent concern stay in the visits store, so ``AliasCorrected`` and
``PremisesCorrected`` are not published at all, and neither are premises indicators (they are
about a place, not a woman). An urgent concern is published like everything else, from the
committed log, as soon as it is stored: the relay is woken by every save, so nothing queues it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from functools import singledispatchmethod
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEventProtocol

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
from shared.contracts.base import IntegrationEvent, Published
from shared.contracts.streams import CASES_STREAM, VISITS_STREAM
from shared.messaging.consumer import Subscription
from shared.messaging.handlers import handlers_calling
from shared.messaging.relay import Outbound, Translated, Translator
from shared.messaging.translation import contract_from

C = TypeVar("C", bound=IntegrationEvent)

#: Which domain events leave the service, as which contract (also read by docs/events.md).
PUBLISHED: dict[type[object], Published] = {
    Visit.ContactMade: (ContactMadeV1, ContactMadeV2),
    Visit.PersonIndicatorObserved: PersonIndicatorObservedV1,
    Visit.FollowUpOffered: FollowUpOfferedV1,
    Visit.UrgentConcernRaised: UrgentConcernRaisedV1,
    Visit.ContactLinkedToPerson: ContactLinkedToPersonV1,
    Visit.Completed: VisitCompletedV1,
}


#: Read by the relay but never published: what ``VisitCompletedV1`` needs is folded from them
#: as they pass (the service's log reader decodes them for its projections anyway).
FOLDED: tuple[type[object], ...] = (Visit.Started,)


def outbound(app: VisitsApplication) -> Outbound:
    return Outbound(VISITS_STREAM, translator(app), (*PUBLISHED, *FOLDED))


def facts_of(event: Aggregate.Event, contract: type[C], **given: Any) -> C:
    """The contract of a visit event (``contract_from``), about the event's visit."""
    return contract_from(contract, event, visit_id=event.originator_id, **given)


def translator(app: VisitsApplication) -> Translator:
    return VisitContracts(app).translate


@dataclass
class _OpenVisit:
    """What ``VisitCompletedV1`` says about a visit, folded from its events as the relay reads
    them: set once when it starts, and the versions of its contacts (a set, so an event read
    again after the relay starts over from its durable position is not counted twice)."""

    languages_offered: list[str]
    started_at: datetime
    contact_versions: set[int] = field(default_factory=set)


#: Visits started but not yet completed that the translator keeps in memory; beyond this the
#: oldest are forgotten and their completion is read from the store instead.
OPEN_VISITS_KEPT = 10_000


class VisitContracts:
    """Each published visit event as its contract(s); None for an event that stays inside.

    Called with the relay's events in log order. A visit whose start it has seen is completed
    from what it folded since (the contract's content is the same as from the store: nothing
    after the start changes its languages or start, and every contact is an earlier event in
    the log). One whose start came before this process started reading is read from the store
    as it stood at the completion.
    """

    def __init__(self, app: VisitsApplication, keep: int = OPEN_VISITS_KEPT) -> None:
        self.app = app
        self._keep = keep
        self._open: OrderedDict[UUID, _OpenVisit] = OrderedDict()

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
    def _started(self, event: Visit.Started) -> Translated:
        # Read again after the relay starts over: the same values, so simply set again.
        self._open[event.originator_id] = _OpenVisit(
            languages_offered=list(event.languages_offered), started_at=event.occurred_at
        )
        self._open.move_to_end(event.originator_id)
        while len(self._open) > self._keep:
            self._open.popitem(last=False)
        return None

    @translate.register
    def _contact_made(self, event: Visit.ContactMade) -> Translated:
        folded = self._open.get(event.originator_id)
        if folded is not None:
            folded.contact_versions.add(event.originator_version)
        # v1 for the consumers that read it, v2 beside it; both carry the same position.
        return (
            facts_of(event, ContactMadeV1),
            facts_of(event, ContactMadeV2, languages=[event.language, *event.other_languages]),
        )

    @translate.register
    def _person_indicator(self, event: Visit.PersonIndicatorObserved) -> Translated:
        return facts_of(event, PersonIndicatorObservedV1)  # its source: one of SOURCES

    @translate.register
    def _follow_up(self, event: Visit.FollowUpOffered) -> Translated:
        return facts_of(event, FollowUpOfferedV1)

    @translate.register
    def _urgent_concern(self, event: Visit.UrgentConcernRaised) -> Translated:
        premises_id = self.as_it_was(event).premises_id
        return facts_of(event, UrgentConcernRaisedV1, premises_id=premises_id)

    @translate.register
    def _contact_linked(self, event: Visit.ContactLinkedToPerson) -> Translated:
        return facts_of(event, ContactLinkedToPersonV1)

    @translate.register
    def _completed(self, event: Visit.Completed) -> Translated:
        # Forgotten once completed: read again later (the relay starting over), the completion
        # is made from the store, with the same content.
        folded = self._open.pop(event.originator_id, None)
        if folded is not None:
            languages_offered, started_at = list(folded.languages_offered), folded.started_at
            contact_count = sum(1 for v in folded.contact_versions if v < event.originator_version)
        else:
            visit = self.as_it_was(event)
            languages_offered, started_at = visit.languages_offered, visit.started_at
            contact_count = len(visit.contacts)
        return facts_of(
            event,
            VisitCompletedV1,
            languages_offered=languages_offered,
            contact_count=contact_count,
            started_at=started_at,
            completed_at=event.occurred_at,
        )


def inbound(app: VisitsApplication) -> Subscription:
    """From cases: a woman's erasure. Her contacts' keys are destroyed here too."""
    return Subscription(
        application=app,
        durable="visits-from-cases",
        stream=CASES_STREAM,
        handlers=handlers_calling({PersonErasedV1: app.erase_contacts}),
    )
