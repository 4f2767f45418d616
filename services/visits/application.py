"""The visits application: its methods are the command handlers and queries.

Every command checks its codes against the reference data first, so a refused command records
nothing. Steps on an open visit (``AddContact``, ``CompleteVisit``… in ``commands``) run through
one handler, ``do``: get the visit, ask it to change, save. A step whose fact is already
recorded (a retry from a phone on a bad connection) changes nothing and says so; the versions
the client expects (the HTTP ``If-Match``) are compared with the version the change was based
on, so a stale client never overwrites what it has not seen — unless the change it asked for is
already there, which RFC 9110 §13.1.1 allows to succeed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.utils import EnvType

from services.visits.commands import (
    CompletedVisit,
    ContactInput,
    FollowUpInput,
    PersonIndicatorInput,
    PremisesIndicatorInput,
    RegisterPremises,
    UrgentConcernInput,
    VisitStep,
)
from services.visits.domain import Visit
from services.visits.erasure import ContactErasure
from services.visits.errors import VisitError
from services.visits.not_found import (
    ConcernNotFound,
    ContactNotFound,
    NotFound,
    PremisesNotFound,
    VisitNotFound,
)
from services.visits.premises import Premises, PremisesError
from shared.errors import ExpectedVersions, FieldError
from shared.idempotency import IdempotencyClaim
from shared.reference import ReferenceData, load_reference_data
from shared.storage.eventstore import WaymarkApplication
from shared.storage.keyring import Keyring

# The inputs are re-exported: callers build commands from here (the steps: from ``commands``).
__all__ = [
    "CompletedVisit",
    "ConcernNotFound",
    "Conflict",
    "ContactInput",
    "ContactNotFound",
    "FollowUpInput",
    "HistoryEntry",
    "IdempotencyKeyReused",
    "NotFound",
    "PersonIndicatorInput",
    "PremisesConflict",
    "PremisesIndicatorInput",
    "PremisesNotFound",
    "PremisesOutcome",
    "RecordOutcome",
    "RegisterPremises",
    "StepOutcome",
    "UnknownPremises",
    "UrgentConcernInput",
    "VisitConflict",
    "VisitNotFound",
    "VisitStep",
    "VisitsApplication",
]

A = TypeVar("A", bound=Aggregate)


class Conflict(Exception):
    """The id is already recorded with other content (409)."""


class VisitConflict(Conflict):
    """This visit id is already recorded with different content."""


class PremisesConflict(Conflict):
    """This premises id is already recorded with different content."""


class IdempotencyKeyReused(Exception):
    """This Idempotency-Key was used for a different request."""


class UnknownPremises(FieldError):
    """A visit names a premises id that is not registered."""

    def __init__(self) -> None:
        super().__init__("body.premises_id", "no premises is registered with this id")


@dataclass(frozen=True)
class RecordOutcome:
    visit: Visit
    created: bool


@dataclass(frozen=True)
class StepOutcome:
    visit: Visit
    changed: bool


@dataclass(frozen=True)
class PremisesOutcome:
    premises: Premises
    changed: bool


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded event of an aggregate, for its audit history."""

    version: int
    event: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    data: dict[str, Any]


_BOOKKEEPING = {"originator_id", "originator_version", "timestamp", "originator_topic"}


class VisitsApplication(WaymarkApplication):
    name = "visits"
    # Part of every stored claim's id: unchanged, so a retry still finds the claim it made.
    IDEMPOTENCY_SCOPE = "visits:record_completed_visit"

    def __init__(
        self, env: EnvType, keyring: Keyring, reference: ReferenceData | None = None
    ) -> None:
        self.reference = reference or load_reference_data()
        super().__init__(env=env, keyring=keyring)

    # -- premises ------------------------------------------------------------------------

    def register_premises(self, command: RegisterPremises, actor: str) -> PremisesOutcome:
        """Register a premises once; the same registration again returns the original."""
        command.check(self.reference)
        existing = self._load(command.premises_id)
        if existing is None:
            premises = Premises(
                id=command.premises_id,
                label=command.label,
                area=command.area,
                premises_type=command.premises_type,
                occurred_at=command.occurred_at,
                actor=actor,
            )
            try:
                self.save(premises)
                return PremisesOutcome(premises, changed=True)
            except IntegrityError:
                existing = self._load(command.premises_id)  # lost a race: same or other?
        if not isinstance(existing, Premises) or _registration(
            self.repository.get(command.premises_id, version=1)
        ) != (command.label, command.area, command.premises_type, command.occurred_at):
            raise PremisesConflict(
                f"premises {command.premises_id} is already recorded with other content"
            )
        return PremisesOutcome(existing, changed=False)

    def get_premises(self, premises_id: UUID) -> Premises:
        return self._get(premises_id, Premises, PremisesNotFound(f"no premises {premises_id}"))

    def correct_premises_label(
        self,
        premises_id: UUID,
        label: str,
        occurred_at: datetime,
        actor: str,
        expected: ExpectedVersions = None,
    ) -> PremisesOutcome:
        def change(premises: Premises) -> None:
            premises.correct_label(label, occurred_at, actor)

        premises, changed = self.change(
            lambda: self.get_premises(premises_id),
            change,
            expected=expected,
            rule_error=PremisesError,
        )
        return PremisesOutcome(premises, changed)

    # -- visits: in one go ---------------------------------------------------------------

    def record_visit(
        self, command: CompletedVisit, actor: str, idempotency_key: str | None = None
    ) -> RecordOutcome:
        """Record a visit once — completed, or open when ``completed_at`` is None; a retry of
        the same request returns the visit and records nothing."""
        command.check(self.reference)
        replay = self._replay(command, idempotency_key)
        if replay is not None:
            return replay
        if command.premises_id is not None:
            self._require_premises(command.premises_id)
        visit = command.start(actor)
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
        return self._get(visit_id, Visit, VisitNotFound(f"no visit {visit_id}"))

    # -- visits: step by step ------------------------------------------------------------

    def do(
        self, visit_id: UUID, step: VisitStep, *, actor: str, expected: ExpectedVersions = None
    ) -> StepOutcome:
        """Run one step on a visit: its codes checked, the premises it names found, the visit
        read, the version the client expects compared, the step applied, the visit saved."""
        step.check(self.reference)
        premises_id = step.premises_named()
        if premises_id is not None:
            self._require_premises(premises_id)
        visit, changed = self.change(
            lambda: self.get_visit(visit_id),
            lambda v: step.apply_to(v, actor),
            expected=expected,
            rule_error=VisitError,
        )
        return StepOutcome(visit, changed)

    # -- erasure (from cases) ------------------------------------------------------------

    def erase_contacts(
        self, journey_id: UUID, contact_ids: Sequence[UUID], upstream: Tracking
    ) -> bool:
        """Destroy her contacts' keys, then record that it was done (once per upstream
        message). The keys go first and on every delivery: destroying is idempotent, and a
        crash between the two steps must not leave a key behind an applied position."""
        self.keyring.shred(list(contact_ids))
        if self._load(ContactErasure.create_id(journey_id)) is not None:
            return self.save_once(upstream)
        return self.save_once(upstream, ContactErasure(journey_id, contact_ids))

    def erasure_of(self, journey_id: UUID) -> ContactErasure | None:
        """The record that her contacts' keys were destroyed, if she was erased."""
        erasure = self._load(ContactErasure.create_id(journey_id))
        return erasure if isinstance(erasure, ContactErasure) else None

    # -- histories -----------------------------------------------------------------------

    def visit_events(self, visit_id: UUID) -> list[HistoryEntry]:
        """Everything recorded about a visit, corrections included, by when it happened."""
        self.get_visit(visit_id)
        return self._history(visit_id)

    def premises_events(self, premises_id: UUID) -> list[HistoryEntry]:
        self.get_premises(premises_id)
        return self._history(premises_id)

    # -- internals -----------------------------------------------------------------------

    def _replay(self, command: CompletedVisit, idempotency_key: str | None) -> RecordOutcome | None:
        claimed = False
        if idempotency_key is not None:
            claim = self._load(IdempotencyClaim.create_id(self.IDEMPOTENCY_SCOPE, idempotency_key))
            if isinstance(claim, IdempotencyClaim):
                if claim.resource_id != command.visit_id:
                    raise IdempotencyKeyReused("the Idempotency-Key was used for another visit")
                claimed = True
        existing = self._load(command.visit_id)
        if existing is None:
            return None
        if not self._recorded_by(existing, command):
            if claimed:
                raise IdempotencyKeyReused("the Idempotency-Key was used for a different request")
            raise VisitConflict(f"visit {command.visit_id} is already recorded with other content")
        assert isinstance(existing, Visit)
        return RecordOutcome(existing, created=False)

    def _recorded_by(self, existing: object, command: CompletedVisit) -> bool:
        """Was ``existing`` recorded by exactly this command? Later steps and corrections do not
        matter: the visit is compared as it stood right after the command's own events."""
        if not isinstance(existing, Visit):
            return False
        version = command.event_count()
        if existing.version < version:
            return False
        recorded: Visit = (
            existing
            if existing.version == version
            else self.repository.get(command.visit_id, version=version)
        )
        return CompletedVisit.of(recorded) == command.resolved()

    def _require_premises(self, premises_id: UUID) -> None:
        if not isinstance(self._load(premises_id), Premises):
            raise UnknownPremises

    def _get(self, aggregate_id: UUID, kind: type[A], missing: NotFound) -> A:
        """The ``kind`` of record with this id; ``missing`` when there is none, or the id is
        another kind's (a premises id asked for as a visit)."""
        found = self._load(aggregate_id)
        if not isinstance(found, kind):
            raise missing
        return found

    def _load(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _history(self, aggregate_id: UUID) -> list[HistoryEntry]:
        entries = []
        for event in self.repository.event_store.get(aggregate_id):
            state = dict(vars(event))
            entries.append(
                HistoryEntry(
                    version=event.originator_version,
                    event=type(event).__qualname__,
                    occurred_at=state.pop("occurred_at"),
                    recorded_at=state.pop("timestamp"),
                    actor=state.pop("actor"),
                    data={k: v for k, v in state.items() if k not in _BOOKKEEPING},
                )
            )
        return sorted(entries, key=lambda entry: (entry.occurred_at, entry.version))


def _registration(premises: Premises) -> tuple[str, str, str, datetime]:
    return (premises.label, premises.area, premises.premises_type, premises.registered_at)
