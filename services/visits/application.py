"""The visits application: its methods are the command handlers and queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.visits.domain import Visit
from shared.idempotency import IdempotencyClaim
from shared.storage.eventstore import WaymarkApplication


class VisitConflict(Exception):
    """The visit id is already recorded with different content."""


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was already used for a different request."""


class VisitNotFound(Exception):
    pass


@dataclass(frozen=True)
class ContactInput:
    contact_id: UUID
    alias: str
    language: str
    occurred_at: datetime


@dataclass(frozen=True)
class CompletedVisit:
    """What an outreach app sends about a visit that has ended."""

    visit_id: UUID
    premises_label: str
    team: str
    volunteers: tuple[str, ...]
    languages_offered: tuple[str, ...]
    started_at: datetime
    completed_at: datetime
    contacts: tuple[ContactInput, ...]

    @classmethod
    def of(cls, visit: Visit) -> CompletedVisit:
        assert visit.completed_at is not None
        return cls(
            visit_id=visit.id,
            premises_label=visit.premises_label,
            team=visit.team,
            volunteers=tuple(visit.volunteers),
            languages_offered=tuple(visit.languages_offered),
            started_at=visit.started_at,
            completed_at=visit.completed_at,
            contacts=tuple(
                ContactInput(c.contact_id, c.alias, c.language, c.occurred_at)
                for c in visit.contacts
            ),
        )


@dataclass(frozen=True)
class RecordOutcome:
    visit: Visit
    created: bool


class VisitsApplication(WaymarkApplication):
    name = "visits"
    IDEMPOTENCY_SCOPE = "visits:record_completed_visit"

    def record_completed_visit(
        self, command: CompletedVisit, actor: str, idempotency_key: str | None = None
    ) -> RecordOutcome:
        """Record a finished visit once; a retry of the same request returns the original."""
        replay = self._replay(command, idempotency_key)
        if replay is not None:
            return replay
        visit = Visit(
            id=command.visit_id,
            premises_label=command.premises_label,
            team=command.team,
            volunteers=list(command.volunteers),
            languages_offered=list(command.languages_offered),
            occurred_at=command.started_at,
            actor=actor,
        )
        for contact in command.contacts:
            visit.make_contact(
                contact.contact_id, contact.alias, contact.language, contact.occurred_at, actor
            )
        visit.complete(command.completed_at, actor)
        claim = (
            IdempotencyClaim(self.IDEMPOTENCY_SCOPE, idempotency_key, command.visit_id)
            if idempotency_key is not None
            else None
        )
        try:
            self.save(visit, claim)
        except IntegrityError:
            # Lost a race with an identical retry (or a different request for the same ids).
            replay = self._replay(command, idempotency_key)
            if replay is None:
                raise
            return replay
        return RecordOutcome(visit, created=True)

    def get_visit(self, visit_id: UUID) -> Visit:
        try:
            visit: Visit = self.repository.get(visit_id)
        except AggregateNotFoundError:
            raise VisitNotFound(str(visit_id)) from None
        return visit

    def _replay(self, command: CompletedVisit, idempotency_key: str | None) -> RecordOutcome | None:
        claimed = False
        if idempotency_key is not None:
            claim_id = IdempotencyClaim.create_id(self.IDEMPOTENCY_SCOPE, idempotency_key)
            try:
                claim: IdempotencyClaim = self.repository.get(claim_id)
            except AggregateNotFoundError:
                pass
            else:
                if claim.resource_id != command.visit_id:
                    raise IdempotencyKeyReused("the Idempotency-Key was used for another visit")
                claimed = True
        try:
            visit = self.get_visit(command.visit_id)
        except VisitNotFound:
            return None
        if CompletedVisit.of(visit) != command:
            if claimed:
                raise IdempotencyKeyReused("the Idempotency-Key was used for a different request")
            raise VisitConflict(f"visit {command.visit_id} is already recorded with other content")
        return RecordOutcome(visit, created=False)
