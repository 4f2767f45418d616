"""The cases application: command handlers and queries on support journeys.

Each command is get → one aggregate method → save. Codes are checked against the reference
data first (422 naming the field); ``expected_version`` (from ``If-Match``) is checked against
the journey as read: a stale client gets ``VersionMismatch`` (412) — unless its command is an
exact repeat of one already recorded, which returns the journey unchanged, so a retry after a
lost response is safe. Handlers of upstream messages end in ``save_once(upstream, …)``, so a
redelivery changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Protocol
from uuid import UUID, uuid4

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Tracking, Transcoding
from eventsourcing.utils import EnvType

from services.cases.domain import Journey
from services.cases.errors import (
    JourneyAlreadyExists,
    JourneyErased,
    JourneyError,
    JourneyMerged,
)
from services.cases.values import (
    ConsentScope,
    DecisionSource,
    DeclineReason,
    ErasureReason,
    GoalDropReason,
    IndicatorSource,
    NrmOutcome,
    ReopenReason,
    RiskLevel,
    WithdrawalReason,
)
from shared.reference import ReferenceData, load_reference_data
from shared.storage.eventstore import WaymarkApplication
from shared.storage.keyring import Keyring
from shared.storage.shredding import drop_snapshots

log = structlog.get_logger(__name__)

UPSTREAM_ACTOR = "system:visits"
EXPIRY_ACTOR = "system:referral-expiry"


class JourneyNotFound(Exception):
    pass


class VersionMismatch(Exception):
    """The journey changed since the client read it (``If-Match`` is stale)."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"Current version is {current_version}.")
        self.current_version = current_version


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

    # === registration =====================================================================

    def register_person(
        self,
        journey_id: UUID,
        *,
        pseudonym: str,
        preferred_languages: Sequence[str],
        interpreter_needed: bool,
        occurred_at: datetime,
        actor: str,
    ) -> Registration:
        """A woman who arrived without a visit contact: her journey, registered at once.
        A retry with the same id and details returns the journey as it is."""
        self.reference.require_all("languages", preferred_languages, "body.preferred_languages")
        if self._find(journey_id) is None:
            journey = Journey.register_new(
                journey_id, pseudonym, preferred_languages, interpreter_needed, occurred_at, actor
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
        existing.register(pseudonym, preferred_languages, interpreter_needed, occurred_at, actor)
        return Registration(existing, created=False)

    def register(
        self,
        journey_id: UUID,
        *,
        pseudonym: str,
        preferred_languages: Sequence[str],
        interpreter_needed: bool,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        """Register the woman whose journey began with a contact on a visit."""
        self.reference.require_all("languages", preferred_languages, "body.preferred_languages")
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.register(
                pseudonym, preferred_languages, interpreter_needed, occurred_at, actor
            ),
        )

    def correct_pseudonym(
        self,
        journey_id: UUID,
        *,
        pseudonym: str,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.correct_pseudonym(pseudonym, occurred_at, actor),
        )

    def change_language_preferences(
        self,
        journey_id: UUID,
        *,
        preferred_languages: Sequence[str],
        interpreter_needed: bool,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        self.reference.require_all("languages", preferred_languages, "body.preferred_languages")
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.change_language_preferences(
                preferred_languages, interpreter_needed, occurred_at, actor
            ),
        )

    # === consent and caseworker ===========================================================

    def give_consent(
        self,
        journey_id: UUID,
        *,
        consent_id: UUID,
        scope: ConsentScope,
        partner: str | None,
        wording_version: str,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        if partner is not None:
            self.reference.require("partners", partner, "body.partner")
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.give_consent(
                consent_id, scope, partner, wording_version, occurred_at, actor
            ),
        )

    def withdraw_consent(
        self,
        journey_id: UUID,
        *,
        consent_id: UUID,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.withdraw_consent(consent_id, occurred_at, actor),
        )

    def assign_caseworker(
        self,
        journey_id: UUID,
        *,
        caseworker_id: str,
        occurred_at: datetime,
        actor: str,
        team_id: str | None = None,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.assign_caseworker(caseworker_id, occurred_at, actor, team_id),
        )

    def claim_journey(
        self,
        journey_id: UUID,
        *,
        caseworker_id: str,
        occurred_at: datetime,
        team_id: str | None = None,
        expected_version: int | None = None,
    ) -> Journey:
        """A caseworker takes a journey from the intake queue: she is its caseworker now."""
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.claim(caseworker_id, occurred_at, team_id),
        )

    def break_glass(
        self, journey_id: UUID, *, caseworker_id: str, reason: str, minutes: int, now: datetime
    ) -> Journey:
        """Open a journey that is not hers for ``minutes``: recorded, published (the lead is
        told), and named in the audit entry of every request it lets through."""
        return self._change(
            journey_id,
            None,
            lambda j: j.grant_break_glass(
                uuid4(), caseworker_id, reason, now + timedelta(minutes=minutes), now
            ),
        )

    # === assessment and support ===========================================================

    def assess_needs(
        self,
        journey_id: UUID,
        *,
        needs: Sequence[str],
        notes: str | None,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        self.reference.require_all("needs", needs, "body.needs")
        return self._change(
            journey_id, expected_version, lambda j: j.assess_needs(needs, notes, occurred_at, actor)
        )

    def assess_risk(
        self,
        journey_id: UUID,
        *,
        level: RiskLevel,
        indicators: Sequence[str],
        notes: str | None,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        self.reference.require_all("person_indicators", indicators, "body.indicators")
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.assess_risk(level, indicators, notes, occurred_at, actor),
        )

    def agree_safety_plan(
        self,
        journey_id: UUID,
        *,
        plan_id: UUID,
        summary: str,
        review_on: date,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.agree_safety_plan(plan_id, summary, review_on, occurred_at, actor),
        )

    def set_goal(
        self,
        journey_id: UUID,
        *,
        goal_id: UUID,
        goal: str,
        target_on: date | None,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        self.reference.require("goals", goal, "body.goal")
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.set_goal(goal_id, goal, target_on, occurred_at, actor),
        )

    def achieve_goal(
        self,
        journey_id: UUID,
        *,
        goal_id: UUID,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id, expected_version, lambda j: j.achieve_goal(goal_id, occurred_at, actor)
        )

    def drop_goal(
        self,
        journey_id: UUID,
        *,
        goal_id: UUID,
        reason: GoalDropReason | None,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id, expected_version, lambda j: j.drop_goal(goal_id, reason, occurred_at, actor)
        )

    def record_meeting(
        self,
        journey_id: UUID,
        *,
        meeting_id: UUID,
        meeting_type: str,
        notes: str | None,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        self.reference.require("meeting_types", meeting_type, "body.meeting_type")
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.record_meeting(meeting_id, meeting_type, notes, occurred_at, actor),
        )

    def schedule_appointment(
        self,
        journey_id: UUID,
        *,
        appointment_id: UUID,
        kind: str,
        at: datetime,
        accompanied: bool,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        self.reference.require("appointment_types", kind, "body.kind")
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.schedule_appointment(
                appointment_id, kind, at, accompanied, occurred_at, actor
            ),
        )

    def move_appointment(
        self,
        journey_id: UUID,
        *,
        appointment_id: UUID,
        at: datetime,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.move_appointment(appointment_id, at, occurred_at, actor),
        )

    def cancel_appointment(
        self,
        journey_id: UUID,
        *,
        appointment_id: UUID,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.cancel_appointment(appointment_id, occurred_at, actor),
        )

    def record_attendance(
        self,
        journey_id: UUID,
        *,
        appointment_id: UUID,
        accompanied: bool,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.record_attendance(appointment_id, accompanied, occurred_at, actor),
        )

    # === referrals ========================================================================

    def make_referral(
        self,
        journey_id: UUID,
        *,
        referral_id: UUID,
        partner: str,
        need: str,
        shares_personal_data: bool,
        consent_id: UUID | None,
        lawful_basis: str | None,
        respond_by: datetime,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        self.reference.require("partners", partner, "body.partner")
        self.reference.require("needs", need, "body.need")
        if lawful_basis is not None:
            self.reference.require("lawful_bases", lawful_basis, "body.lawful_basis")
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.make_referral(
                referral_id,
                partner,
                need,
                shares_personal_data,
                consent_id,
                lawful_basis,
                respond_by,
                occurred_at,
                actor,
            ),
        )

    def acknowledge_referral(
        self,
        journey_id: UUID,
        *,
        referral_id: UUID,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.acknowledge_referral(referral_id, occurred_at, actor),
        )

    def accept_referral(
        self,
        journey_id: UUID,
        *,
        referral_id: UUID,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.accept_referral(referral_id, occurred_at, actor),
        )

    def decline_referral(
        self,
        journey_id: UUID,
        *,
        referral_id: UUID,
        reason: DeclineReason | None,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.decline_referral(referral_id, reason, occurred_at, actor),
        )

    def complete_referral(
        self,
        journey_id: UUID,
        *,
        referral_id: UUID,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.complete_referral(referral_id, occurred_at, actor),
        )

    def withdraw_referral(
        self,
        journey_id: UUID,
        *,
        referral_id: UUID,
        reason: WithdrawalReason,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.withdraw_referral(referral_id, reason, occurred_at, actor),
        )

    def expire_referral(
        self, journey_id: UUID, referral_id: UUID, now: datetime, actor: str = EXPIRY_ACTOR
    ) -> Journey:
        return self._change(journey_id, None, lambda j: j.expire_referral(referral_id, now, actor))

    def expire_overdue_referrals(self, now: datetime, limit: int = 500) -> int:
        """Expire every referral nothing was heard about by its due date; how many were.

        Candidates come from the ``open_referrals`` read model (which may lag); the journey
        itself decides, so a referral answered meanwhile is left alone."""
        if self.open_referrals is None:
            raise RuntimeError("no open_referrals read model is attached")
        expired = 0
        for journey_id, referral_id in self.open_referrals.overdue(now, limit):
            try:
                self.expire_referral(journey_id, referral_id, now)
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

    # === the National Referral Mechanism ==================================================

    def record_first_responder_contact(
        self,
        journey_id: UUID,
        *,
        partner: str,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        self.reference.require("partners", partner, "body.partner")
        first_responder = self.reference.is_first_responder(partner)
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.record_first_responder_contact(
                partner, first_responder, occurred_at, actor
            ),
        )

    def record_nrm_referral(
        self,
        journey_id: UUID,
        *,
        partner: str,
        submitted_on: date,
        consent_id: UUID | None,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        self.reference.require("partners", partner, "body.partner")
        first_responder = self.reference.is_first_responder(partner)
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.record_nrm_referral(
                partner, first_responder, submitted_on, consent_id, occurred_at, actor
            ),
        )

    def record_reasonable_grounds(
        self,
        journey_id: UUID,
        *,
        outcome: NrmOutcome,
        decided_on: date,
        learned_on: date,
        source: DecisionSource,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.record_reasonable_grounds(
                outcome, decided_on, learned_on, source, occurred_at, actor
            ),
        )

    def start_recovery_period(
        self,
        journey_id: UUID,
        *,
        starts_on: date,
        ends_on: date,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.start_recovery_period(starts_on, ends_on, occurred_at, actor),
        )

    def record_conclusive_grounds(
        self,
        journey_id: UUID,
        *,
        outcome: NrmOutcome,
        decided_on: date,
        learned_on: date,
        source: DecisionSource,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.record_conclusive_grounds(
                outcome, decided_on, learned_on, source, occurred_at, actor
            ),
        )

    # === flags, exit, closure =============================================================

    def mark_possible_minor(
        self,
        journey_id: UUID,
        *,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id, expected_version, lambda j: j.mark_possible_minor(occurred_at, actor)
        )

    def clear_possible_minor(
        self,
        journey_id: UUID,
        *,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id, expected_version, lambda j: j.clear_possible_minor(occurred_at, actor)
        )

    def record_exit(
        self,
        journey_id: UUID,
        *,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id, expected_version, lambda j: j.record_exit(occurred_at, actor)
        )

    def record_return_to_industry(
        self,
        journey_id: UUID,
        *,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id, expected_version, lambda j: j.record_return_to_industry(occurred_at, actor)
        )

    def record_return_home(
        self,
        journey_id: UUID,
        *,
        assisted: bool,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id,
            expected_version,
            lambda j: j.record_return_home(assisted, occurred_at, actor),
        )

    def record_contact_lost(
        self,
        journey_id: UUID,
        *,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id, expected_version, lambda j: j.record_contact_lost(occurred_at, actor)
        )

    def close_journey(
        self,
        journey_id: UUID,
        *,
        reason: str,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        self.reference.require("closure_reasons", reason, "body.reason")
        return self._change(
            journey_id, expected_version, lambda j: j.close(reason, occurred_at, actor)
        )

    def reopen_journey(
        self,
        journey_id: UUID,
        *,
        reason: ReopenReason | None,
        occurred_at: datetime,
        actor: str,
        expected_version: int | None = None,
    ) -> Journey:
        return self._change(
            journey_id, expected_version, lambda j: j.reopen(reason, occurred_at, actor)
        )

    # === erasure (crypto-shredding) =======================================================

    def request_erasure(
        self,
        journey_id: UUID,
        *,
        reason: ErasureReason,
        occurred_at: datetime,
        actor: str,
        request_id: UUID | None = None,
    ) -> Journey:
        """Ask for her personal data to be erased; an admin other than the asker approves."""
        return self._change(
            journey_id,
            None,
            lambda j: j.request_erasure(request_id or uuid4(), reason, occurred_at, actor),
        )

    def approve_erasure(self, journey_id: UUID, *, occurred_at: datetime, actor: str) -> Journey:
        """Record ``PersonErased``, then destroy every key that sealed her data here and drop
        her snapshots. Safe to retry: on an erased journey only the shredding runs again (it
        is idempotent), which also finishes an approval interrupted after its save."""
        journey = self.get_journey(journey_id)
        journey.approve_erasure(occurred_at, actor)
        if journey.pending_events:
            try:
                self.save(journey)
            except IntegrityError:  # a second approval raced this one: shred after it
                journey = self.get_journey(journey_id)
                if not journey.erased:
                    raise
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
        journey = self._journey_for_contact(contact_id, occurred_at, actor)
        if journey.erased:  # nothing more is kept about a woman whose data was erased
            return self.save_once(upstream)
        if (visit_id, contact_id) not in journey.contacts:
            journey.record_contact(contact_id, visit_id, language, occurred_at, actor)
        return self.save_once(upstream, journey)

    def note_person_indicator(
        self,
        observation_id: UUID,
        visit_id: UUID,
        contact_id: UUID,
        indicator: str,
        source: str,
        occurred_at: datetime,
        upstream: Tracking,
        actor: str = UPSTREAM_ACTOR,
    ) -> bool:
        journey = self._journey_for_contact(contact_id, occurred_at, actor)
        if journey.erased:  # nothing more is kept about a woman whose data was erased
            return self.save_once(upstream)
        journey.note_indicator(
            observation_id, indicator, IndicatorSource(source), visit_id, occurred_at, actor
        )
        return self.save_once(upstream, journey)

    def note_urgent_concern(
        self,
        concern_id: UUID,
        visit_id: UUID,
        contact_id: UUID | None,
        concern: str,
        occurred_at: datetime,
        upstream: Tracking,
        actor: str = UPSTREAM_ACTOR,
    ) -> bool:
        """A concern about a woman met on a visit (one about premises alone is not hers)."""
        if contact_id is None:
            return self.save_once(upstream)
        journey = self._journey_for_contact(contact_id, occurred_at, actor)
        if journey.erased:  # nothing more is kept about a woman whose data was erased
            return self.save_once(upstream)
        journey.note_concern(concern_id, concern, visit_id, occurred_at, actor)
        return self.save_once(upstream, journey)

    def note_follow_up_offered(
        self,
        follow_up_id: UUID,
        visit_id: UUID,
        contact_id: UUID,
        kind: str,
        due_at: datetime,
        occurred_at: datetime,
        upstream: Tracking,
        actor: str = UPSTREAM_ACTOR,
    ) -> bool:
        journey = self._journey_for_contact(contact_id, occurred_at, actor)
        if journey.erased:  # nothing more is kept about a woman whose data was erased
            return self.save_once(upstream)
        journey.note_follow_up(follow_up_id, kind, due_at, visit_id, occurred_at, actor)
        return self.save_once(upstream, journey)

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

    def _change(self, journey_id: UUID, expected_version: int | None, command: Command) -> Journey:
        journey = self.get_journey(journey_id)
        if journey.erased:  # reading only, whatever the command's own guards say
            raise JourneyErased(f"journey {journey_id} was erased")
        current = journey.version
        stale = expected_version is not None and expected_version != current
        try:
            command(journey)
        except JourneyError:
            if stale:  # the client decided on an old view: that is the problem to report
                raise VersionMismatch(current) from None
            raise
        if journey.pending_events:
            if stale:
                raise VersionMismatch(current)
            try:
                self.save(journey)
            except IntegrityError:
                return self._after_lost_race(journey_id, expected_version, command)
        return journey

    def _after_lost_race(
        self, journey_id: UUID, expected_version: int | None, command: Command
    ) -> Journey:
        """Another writer saved between our read and our write. If it recorded this very
        command (a racing retry) all is well; otherwise a client that named a version holds a
        stale one (412, as if she had come a moment later), and one that named none is told
        of the race (409) — never merged silently."""
        fresh: Journey = self.repository.get(journey_id)  # as the winner left it
        if fresh.erased:
            raise JourneyErased(f"journey {journey_id} was erased")
        current = fresh.version
        try:
            command(fresh)
        except JourneyError:
            if expected_version is not None:
                raise VersionMismatch(current) from None
            raise
        if not fresh.pending_events:
            return fresh
        if expected_version is not None:
            raise VersionMismatch(current)
        raise IntegrityError(f"journey {journey_id} changed while this command ran")

    def _find(self, journey_id: UUID) -> Journey | None:
        try:
            return self.get_journey(journey_id)
        except JourneyNotFound:
            return None

    def _journey_for_contact(self, contact_id: UUID, occurred_at: datetime, actor: str) -> Journey:
        journey = self._find(Journey.create_id(contact_id))
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
