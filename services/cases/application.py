"""The cases application: command handlers and queries on support journeys.

Every command of a caseworker is a ``JourneyCommand`` (``services/cases/commands/``) run by
one method, ``do``: get → the command's aggregate method → save. Codes are checked against the
reference data first (422 naming the field); the versions the client expects (``If-Match``)
are compared with the journey as read: a stale client gets ``VersionMismatch`` (412) — unless
its command is an exact repeat of one already recorded, which returns the journey unchanged,
so a retry after a lost response is safe. Handlers of upstream messages end in
``save_once(upstream, …)``, so a redelivery changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Protocol
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Tracking, Transcoding
from eventsourcing.utils import EnvType

from services.cases.commands import ExpireReferral, JourneyCommand, OutreachFact, Register
from services.cases.domain import Journey
from services.cases.errors import (
    JourneyAlreadyExists,
    JourneyErased,
    JourneyError,
    JourneyMerged,
)
from services.cases.queries.journey_detail.detail import JourneyDetail
from services.cases.queries.journey_detail.kept import KeptDetails
from shared.errors import ExpectedVersions
from shared.reference import ReferenceData, load_reference_data
from shared.storage.eventstore import WaymarkApplication
from shared.storage.keyring import Keyring
from shared.storage.shredding import drop_snapshots

log = structlog.get_logger(__name__)

UPSTREAM_ACTOR = "system:visits"
EXPIRY_ACTOR = "system:referral-expiry"


class JourneyNotFound(Exception):
    pass


class OverdueReferrals(Protocol):
    """A read model that lists referrals whose response date has passed."""

    def overdue(self, now: datetime, limit: int) -> list[tuple[UUID, UUID]]:
        """(journey id, referral id) pairs, oldest due first."""


@dataclass(frozen=True)
class Registration:
    journey: Journey
    created: bool


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


Command = Callable[[Journey], None]

#: Every this many events a journey is snapshotted (bench/journey_load.py shows the effect).
JOURNEY_SNAPSHOT_INTERVAL = 100


class CasesApplication(WaymarkApplication):
    name = "cases"
    #: Long journeys load from a snapshot (its whole state sealed: ``SealedSnapshot``).
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Journey: JOURNEY_SNAPSHOT_INTERVAL}

    def __init__(
        self, env: EnvType, keyring: Keyring, reference: ReferenceData | None = None
    ) -> None:
        self.reference = reference or load_reference_data()
        #: Attached by the composition root; ``expire_overdue_referrals`` reads it.
        self.open_referrals: OverdueReferrals | None = None
        super().__init__(env=env, keyring=keyring)
        self.kept_details = KeptDetails(keyring)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # === queries ==========================================================================

    def get_journey(self, journey_id: UUID) -> Journey:
        try:
            journey: Journey = self.repository.get(journey_id)
        except AggregateNotFoundError:
            raise JourneyNotFound(str(journey_id)) from None
        return journey

    def journey_detail(self, journey_id: UUID, *, version: int | None = None) -> JourneyDetail:
        """Her journey as the caseworker reads it, now or at a version: every event read once
        (no snapshot: what is only shown is not in one) and folded."""

        def read(after: int | None, upto: int | None) -> list[Any]:
            return list(self.repository.event_store.get(journey_id, gt=after, lte=upto))

        detail = self.kept_details.detail(journey_id, read, version)
        if detail is None:
            raise JourneyNotFound(str(journey_id))
        return detail

    # === commands ========================================================================

    def do(
        self,
        journey_id: UUID,
        command: JourneyCommand,
        *,
        actor: str,
        expected: ExpectedVersions = None,
    ) -> Journey:
        """Run one command on a journey: its codes checked, the journey read, the version the
        client expects compared, the command applied, the journey saved. A command already
        recorded changes nothing and returns the journey as it is (a safe retry)."""
        command.check(self.reference)
        return self._change(
            journey_id, expected, lambda j: command.apply_to(j, actor, self.reference)
        )

    def register_person(self, journey_id: UUID, command: Register, *, actor: str) -> Registration:
        """A woman who arrived without a visit contact: her journey, registered at once.
        A retry with the same id and details returns the journey as it is."""
        command.check(self.reference)
        if self._find(journey_id) is None:
            journey = Journey.register_new(
                journey_id,
                command.pseudonym,
                command.preferred_languages,
                command.interpreter_needed,
                command.occurred_at,
                actor,
            )
            try:
                self.save(journey)
            except IntegrityError:
                pass  # lost a race with a retry of itself (or a clash): answered below
            else:
                return Registration(journey, created=True)
        existing = self.get_journey(journey_id)
        if not existing.registered or existing.contact_id is not None:
            raise JourneyAlreadyExists(f"journey {journey_id} already exists")
        # Nothing happens when the details are the same; AlreadyRegistered when they differ.
        command.apply_to(existing, actor, self.reference)
        return Registration(existing, created=False)

    def expire_overdue_referrals(self, now: datetime, limit: int = 500) -> int:
        """Expire every referral nothing was heard about by its due date; how many were.

        Candidates come from the ``open_referrals`` read model (which may lag); the journey
        itself decides, so a referral answered meanwhile is left alone."""
        if self.open_referrals is None:
            raise RuntimeError("no open_referrals read model is attached")
        expired = 0
        for journey_id, referral_id in self.open_referrals.overdue(now, limit):
            expiry = ExpireReferral(referral_id=referral_id, occurred_at=now)
            try:
                self.do(journey_id, expiry, actor=EXPIRY_ACTOR)
            except (JourneyError, JourneyNotFound, IntegrityError) as error:
                log.info(
                    "referral.expiry_skipped",
                    journey_id=str(journey_id),
                    referral_id=str(referral_id),
                    reason=type(error).__name__,
                )
                continue
            expired += 1
        return expired

    # === erasure (crypto-shredding) =======================================================

    def approve_erasure(self, journey_id: UUID, *, occurred_at: datetime, actor: str) -> Journey:
        """Record ``PersonErased``, then destroy every key that sealed her data here and drop
        her snapshots. Safe to retry: on an erased journey only the shredding runs again (it
        is idempotent), which also finishes an approval interrupted after its save."""
        journey, _ = self.change(
            lambda: self.get_journey(journey_id), lambda j: j.approve_erasure(occurred_at, actor)
        )
        subjects = self.erased_subjects(journey)
        self.keyring.shred(subjects)
        drop_snapshots(self, subjects)
        log.info("person_erased", journey_id=str(journey.id), subjects=len(subjects))
        return journey

    def erased_subjects(self, journey: Journey) -> list[UUID]:
        """Whose keys seal her data in this store: her journey's, and those of the journeys of
        contacts found to be her (merged into hers; each sealed under its own id)."""
        merged = [Journey.create_id(contact_id) for _, contact_id in journey.linked_contacts]
        return sorted({journey.id, *merged}, key=str)

    # === from visits (each once per upstream position) ====================================

    def expect_from_outreach(self, messages: Sequence[object]) -> None:
        """Before a batch from visits is applied: which of its contacts' journeys are not
        opened yet, with one query for the batch instead of two reads per message."""
        ids = {
            Journey.create_id(contact_id)
            for contact_id in (getattr(m, "contact_id", None) for m in messages)
            if isinstance(contact_id, UUID)
        }
        self.expect_in_batch(ids)

    def record_contact_from_visit(
        self,
        contact_id: UUID,
        visit_id: UUID,
        language: str,
        occurred_at: datetime,
        upstream: Tracking,
        actor: str = UPSTREAM_ACTOR,
    ) -> bool:
        """Open (or continue) the journey of the woman met on a visit — hers, once her contact
        was linked to her. Returns False when that upstream event was already applied."""

        def record(journey: Journey) -> None:
            if (visit_id, contact_id) not in journey.contacts:
                journey.record_contact(contact_id, visit_id, language, occurred_at, actor)

        return self._from_outreach(contact_id, occurred_at, actor, upstream, record)

    def note_from_outreach(
        self, fact: OutreachFact, upstream: Tracking, actor: str = UPSTREAM_ACTOR
    ) -> bool:
        """What outreach learned about a woman met on a visit, on her journey; a fact about no
        woman (a concern about premises alone) is not hers. False when already applied."""
        if fact.contact_id is None:
            return self.save_once(upstream)
        return self._from_outreach(
            fact.contact_id,
            fact.occurred_at,
            actor,
            upstream,
            lambda j: fact.apply_to(j, actor, self.reference),
        )

    def link_contact_to_person(
        self,
        visit_id: UUID,
        contact_id: UUID,
        person_id: UUID,
        occurred_at: datetime,
        upstream: Tracking,
        actor: str = UPSTREAM_ACTOR,
    ) -> bool:
        """A contact met on a visit is a registered woman: the link is recorded on her journey,
        and the contact's own journey (opened now if it was not yet) is merged into hers, so
        that what outreach learns under that contact from now on reaches her journey."""
        person = self._follow_merges(self.get_journey(person_id))
        if person.erased:
            return self.save_once(upstream)
        person.link_contact(contact_id, visit_id, occurred_at, actor)
        contact_journey = self._find(Journey.create_id(contact_id))
        if contact_journey is None:
            contact_journey = Journey(contact_id=contact_id, occurred_at=occurred_at, actor=actor)
        if contact_journey.id == person.id or contact_journey.merged_into == person.id:
            return self.save_once(upstream, person)
        person.take_over_outreach_facts(contact_journey, actor)
        contact_journey.merge_into(person.id, occurred_at, actor)
        return self.save_once(upstream, person, contact_journey)

    # === helpers ==========================================================================

    def _change(self, journey_id: UUID, expected: ExpectedVersions, command: Command) -> Journey:
        journey, _ = self.change(
            lambda: self._writable(journey_id), command, expected=expected, rule_error=JourneyError
        )
        return journey

    def _writable(self, journey_id: UUID) -> Journey:
        journey = self.get_journey(journey_id)
        if journey.erased:  # reading only, whatever the command's own guards say
            raise JourneyErased(f"journey {journey_id} was erased")
        return journey

    def _find(self, journey_id: UUID) -> Journey | None:
        try:
            return self.get_journey(journey_id)
        except JourneyNotFound:
            return None

    def _from_outreach(
        self,
        contact_id: UUID,
        occurred_at: datetime,
        actor: str,
        upstream: Tracking,
        change: Command,
    ) -> bool:
        """What outreach learned about a contact, on her journey, once per upstream position.
        Nothing more is kept about a woman whose data was erased (the position still is)."""
        journey = self._journey_for_contact(contact_id, occurred_at, actor)
        if journey.erased:
            return self.save_once(upstream)
        change(journey)
        return self.save_once(upstream, journey)

    def _journey_for_contact(self, contact_id: UUID, occurred_at: datetime, actor: str) -> Journey:
        journey_id = Journey.create_id(contact_id)
        # A first contact in a batch from visits is known to be new: no read, no exception.
        journey = None if self.absent_in_batch(journey_id) else self._find(journey_id)
        if journey is None:
            return Journey(contact_id=contact_id, occurred_at=occurred_at, actor=actor)
        return self._follow_merges(journey)

    def _follow_merges(self, journey: Journey) -> Journey:
        seen = {journey.id}
        while journey.merged_into is not None:
            journey = self.get_journey(journey.merged_into)
            if journey.id in seen:
                raise JourneyMerged(f"journey {journey.id} is in a cycle of merges")
            seen.add(journey.id)
        return journey
