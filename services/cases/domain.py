"""Support journeys: one woman's journey with the charity, as past-tense facts.

A journey begins in one of two ways: the first contact made on a visit opens it, keyed by a
deterministic id derived from that contact's id (so however often the contact arrives there is
exactly one journey for it), or a caseworker registers a woman who arrived another way, with a
journey id the client generated. Her person id is the journey id.

Every command is a guard followed by one or more past-tense events; a rule that is broken raises
a named error (``services/cases/errors.py``) before anything is recorded. Mistakes are corrected
by new events. Facts that come from outreach (contacts, indicators, concerns, follow-ups) are
recorded whatever the journey's status — a closed case still hears that she was seen — except
on a journey merged into another, whose facts go to the journey it was merged into.

Free text (pseudonym, notes, plan summaries) is named in each event's ``personal_fields`` and
sealed at rest under her own key; ids, codes and dates stay readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.cases.errors import (
    AlreadyAssigned,
    AlreadyExited,
    AlreadyMarkedPossibleMinor,
    AlreadyMerged,
    AlreadyRegistered,
    AlreadyReturnedHome,
    AppointmentConflict,
    AppointmentNotFound,
    AppointmentNotScheduled,
    BreakGlassReasonRequired,
    CannotMergeIntoItself,
    ConsentAlreadyWithdrawn,
    ConsentConflict,
    ConsentDoesNotCover,
    ConsentNotFound,
    ConsentRequired,
    ContactAlreadyLost,
    DatesOutOfOrder,
    ErasureAlreadyRequested,
    ErasureNeedsSecondPerson,
    GoalAlreadyAchieved,
    GoalAlreadyDropped,
    GoalConflict,
    GoalNotFound,
    InvalidReferralTransition,
    JourneyClosed,
    JourneyErased,
    JourneyError,
    JourneyMerged,
    JourneyNotClosed,
    MeetingConflict,
    NoErasureRequested,
    NoPositiveReasonableGrounds,
    NotAFirstResponder,
    NotExited,
    NotMarkedPossibleMinor,
    NotRegistered,
    NrmAlreadySubmitted,
    NrmConsentRequired,
    NrmDecisionAlreadyRecorded,
    NrmNotSubmitted,
    OpenReferralsRemain,
    PartnerNotExpected,
    PartnerRequired,
    RecoveryPeriodAlreadyStarted,
    RecoveryPeriodTooShort,
    ReferralAlreadyDeclined,
    ReferralConflict,
    ReferralNotFound,
    ReferralNotOpen,
    ReferralNotOverdue,
    RespondByNotAfterReferral,
    SafetyPlanConflict,
)
from services.cases.errors import ContactAlreadyRecorded as ContactAlreadyRecorded
from services.cases.values import (
    RECOVERY_PERIOD_MIN_DAYS,
    Appointment,
    AppointmentStatus,
    Attention,
    AttentionKind,
    BreakGlassGrant,
    Concern,
    Consent,
    ConsentScope,
    DecisionSource,
    DeclineReason,
    ErasureReason,
    ErasureRequest,
    FollowUp,
    Goal,
    GoalDropReason,
    GoalStatus,
    Indicator,
    IndicatorSource,
    Meeting,
    NrmDecision,
    NrmOutcome,
    NrmPathway,
    Referral,
    ReferralStatus,
    ReopenReason,
    Risk,
    RiskLevel,
    SafetyPlan,
    WithdrawalReason,
)
from services.cases.values import JourneyStatus as JourneyStatus
from shared.storage.snapshots import SealedSnapshot

__all__ = ["ContactAlreadyRecorded", "Journey", "JourneyError", "JourneyStatus"]

_JOURNEY_NAMESPACE = UUID("5d6c3c7e-6f0b-4c59-9a8e-0f4f7f1d9a11")

#: Reference-data codes with a rule attached: either means she may be a child.
MIN_BREAK_GLASS_REASON = 10  # characters: a real sentence, not "x"
POSSIBLE_MINOR_CONCERN = "possible_minor"
POSSIBLE_MINOR_INDICATOR = "possible_under_18"


#: From which steps a referral may move to each next step.
_REFERRAL_STEPS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.ACKNOWLEDGED: frozenset({ReferralStatus.MADE}),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.MADE, ReferralStatus.ACKNOWLEDGED}),
    ReferralStatus.DECLINED: frozenset({ReferralStatus.MADE, ReferralStatus.ACKNOWLEDGED}),
    ReferralStatus.COMPLETED: frozenset({ReferralStatus.ACCEPTED}),
    ReferralStatus.WITHDRAWN: frozenset(
        {ReferralStatus.MADE, ReferralStatus.ACKNOWLEDGED, ReferralStatus.ACCEPTED}
    ),
    ReferralStatus.EXPIRED: frozenset({ReferralStatus.MADE, ReferralStatus.ACKNOWLEDGED}),
}


class Journey(Aggregate):
    #: Snapshots hold the whole state sealed with her key: never personal data in plaintext.
    Snapshot = SealedSnapshot

    # Class-level defaults for state added after snapshots were first taken: an older
    # snapshot lacks them, and reads these instead.
    team_id: str | None = None
    break_glass: tuple[BreakGlassGrant, ...] = ()
    erasure_request: ErasureRequest | None = None
    erased_at: datetime | None = None
    erased_by: str | None = None

    @staticmethod
    def create_id(contact_id: UUID) -> UUID:
        return uuid5(_JOURNEY_NAMESPACE, str(contact_id))

    # --- how a journey begins -------------------------------------------------------------

    class Opened(Aggregate.Created):
        """Opened for a contact met on a visit (id derived from the contact id)."""

        contact_id: UUID
        occurred_at: datetime
        actor: str

    class OpenedAtRegistration(Aggregate.Created):
        """Opened by a caseworker registering a woman who arrived without a visit contact."""

        occurred_at: datetime
        actor: str

    class ContactRecorded(Aggregate.Event):
        """A contact made on a visit, recorded on her journey."""

        contact_id: UUID
        visit_id: UUID
        language: str
        occurred_at: datetime
        actor: str

    # --- registration, consent, caseworker ------------------------------------------------

    class PersonRegistered(Aggregate.Event):
        """She chose to be registered: pseudonym, languages, interpreter needed."""

        personal_fields: ClassVar[tuple[str, ...]] = ("pseudonym",)

        pseudonym: str
        preferred_languages: list[str]
        interpreter_needed: bool
        occurred_at: datetime
        actor: str

    class PseudonymCorrected(Aggregate.Event):
        """Her pseudonym, corrected by a new event."""

        personal_fields: ClassVar[tuple[str, ...]] = ("pseudonym",)

        pseudonym: str
        occurred_at: datetime
        actor: str

    class LanguagePreferencesChanged(Aggregate.Event):
        """Her preferred languages or interpreter need changed."""

        preferred_languages: list[str]
        interpreter_needed: bool
        occurred_at: datetime
        actor: str

    class ConsentGiven(Aggregate.Event):
        """She consented for a scope (store, share with a partner, NRM), to a wording version."""

        consent_id: UUID
        scope: str
        partner: str | None
        wording_version: str
        occurred_at: datetime
        actor: str

    class ConsentWithdrawn(Aggregate.Event):
        """She withdrew a consent."""

        consent_id: UUID
        occurred_at: datetime
        actor: str

    class CaseworkerAssigned(Aggregate.Event):
        """A caseworker was assigned (or reassigned), with her team when she works in one."""

        caseworker_id: str
        previous_caseworker_id: str | None
        occurred_at: datetime
        actor: str
        team_id: str | None = None  # added later: events stored before it read as None

    class BreakGlassAccessGranted(Aggregate.Event):
        """A caseworker opened a journey that is not hers, giving a reason, for a limited time.

        The reason is free text (it may name her), so it is sealed with her key."""

        personal_fields: ClassVar[tuple[str, ...]] = ("reason",)

        grant_id: UUID
        caseworker_id: str
        reason: str
        expires_at: datetime
        occurred_at: datetime
        actor: str

    # --- assessment and support -----------------------------------------------------------

    class AssessmentStarted(Aggregate.Event):
        """The journey moved from new to assessing (recorded with the first assessment)."""

        occurred_at: datetime
        actor: str

    class SupportStarted(Aggregate.Event):
        """The journey became active (recorded with the first piece of support)."""

        occurred_at: datetime
        actor: str

    class NeedsAssessed(Aggregate.Event):
        """Her needs, as coded areas (housing, health, NI number and so on)."""

        personal_fields: ClassVar[tuple[str, ...]] = ("notes",)

        needs: list[str]
        notes: str | None
        occurred_at: datetime
        actor: str

    class RiskAssessed(Aggregate.Event):
        """A risk level with the indicators behind it."""

        personal_fields: ClassVar[tuple[str, ...]] = ("notes",)

        level: str
        indicators: list[str]
        notes: str | None
        occurred_at: datetime
        actor: str

    class SafetyPlanAgreed(Aggregate.Event):
        """A safety plan agreed with her, with a review date."""

        personal_fields: ClassVar[tuple[str, ...]] = ("summary",)

        plan_id: UUID
        summary: str
        review_on: date
        occurred_at: datetime
        actor: str

    class GoalSet(Aggregate.Event):
        """A goal set with her (e.g. NI number issued), with an optional target date."""

        goal_id: UUID
        goal: str
        target_on: date | None
        occurred_at: datetime
        actor: str

    class GoalAchieved(Aggregate.Event):
        """A goal achieved."""

        goal_id: UUID
        occurred_at: datetime
        actor: str

    class GoalDropped(Aggregate.Event):
        """A goal dropped, with a reason."""

        goal_id: UUID
        reason: str | None
        occurred_at: datetime
        actor: str

    class MeetingHeld(Aggregate.Event):
        """A meeting with her (coffee, English lesson, phone call)."""

        personal_fields: ClassVar[tuple[str, ...]] = ("notes",)

        meeting_id: UUID
        meeting_type: str
        notes: str | None
        occurred_at: datetime
        actor: str

    class AppointmentScheduled(Aggregate.Event):
        """An appointment (GP, Jobcentre, solicitor) booked, accompanied or not."""

        appointment_id: UUID
        kind: str
        at: datetime
        accompanied: bool
        occurred_at: datetime
        actor: str

    class AppointmentMoved(Aggregate.Event):
        """An appointment moved to another time."""

        appointment_id: UUID
        at: datetime
        occurred_at: datetime
        actor: str

    class AppointmentCancelled(Aggregate.Event):
        """An appointment cancelled."""

        appointment_id: UUID
        occurred_at: datetime
        actor: str

    class AppointmentAttended(Aggregate.Event):
        """She attended an appointment (accompanied or not)."""

        appointment_id: UUID
        accompanied: bool
        occurred_at: datetime
        actor: str

    # --- referrals ------------------------------------------------------------------------

    class ReferralMade(Aggregate.Event):
        """A referral to a partner for a need; sharing her data needs consent or a lawful basis."""

        referral_id: UUID
        partner: str
        need: str
        shares_personal_data: bool
        consent_id: UUID | None
        lawful_basis: str | None
        respond_by: datetime
        occurred_at: datetime
        actor: str

    class ReferralAcknowledged(Aggregate.Event):
        """The partner acknowledged the referral."""

        referral_id: UUID
        occurred_at: datetime
        actor: str

    class ReferralAccepted(Aggregate.Event):
        """The partner accepted the referral."""

        referral_id: UUID
        occurred_at: datetime
        actor: str

    class ReferralDeclined(Aggregate.Event):
        """The partner declined the referral."""

        referral_id: UUID
        reason: str | None
        occurred_at: datetime
        actor: str

    class ReferralCompleted(Aggregate.Event):
        """The referral's service was delivered."""

        referral_id: UUID
        occurred_at: datetime
        actor: str

    class ReferralWithdrawn(Aggregate.Event):
        """The referral was withdrawn."""

        referral_id: UUID
        reason: str
        occurred_at: datetime
        actor: str

    class ReferralExpired(Aggregate.Event):
        """Nothing was heard from the partner by the respond-by time."""

        referral_id: UUID
        occurred_at: datetime
        actor: str

    # --- the National Referral Mechanism --------------------------------------------------

    class FirstResponderContacted(Aggregate.Event):
        """A First Responder organisation was contacted about an NRM referral."""

        partner: str
        occurred_at: datetime
        actor: str

    class NrmReferralSubmitted(Aggregate.Event):
        """A First Responder submitted her NRM referral (consented, or as a possible child)."""

        partner: str
        submitted_on: date
        consent_id: UUID | None
        #: Referred as a possible child: no consent needed (and none relied on).
        possible_minor: bool
        occurred_at: datetime
        actor: str

    class ReasonableGroundsDecisionReceived(Aggregate.Event):
        """A Reasonable Grounds decision, as learnt and from whom."""

        outcome: str
        decided_on: date
        learned_on: date
        source: str
        occurred_at: datetime
        actor: str

    class RecoveryPeriodStarted(Aggregate.Event):
        """Her recovery period (at least 30 days) started."""

        starts_on: date
        ends_on: date
        occurred_at: datetime
        actor: str

    class ConclusiveGroundsDecisionReceived(Aggregate.Event):
        """A Conclusive Grounds decision, as learnt and from whom."""

        outcome: str
        decided_on: date
        learned_on: date
        source: str
        occurred_at: datetime
        actor: str

    # --- flags, exit, closure -------------------------------------------------------------

    class PossibleMinorMarked(Aggregate.Event):
        """She may be under 18: a child must always be referred."""

        occurred_at: datetime
        actor: str

    class PossibleMinorCleared(Aggregate.Event):
        """The possible-minor flag was cleared (e.g. after an age assessment)."""

        occurred_at: datetime
        actor: str

    class ExitedSexIndustry(Aggregate.Event):
        """She has left the sex industry (reversible, no judgement)."""

        occurred_at: datetime
        actor: str

    class ReturnedToSexIndustry(Aggregate.Event):
        """She has returned to the sex industry."""

        occurred_at: datetime
        actor: str

    class ReturnedHome(Aggregate.Event):
        """She returned home, assisted or not."""

        assisted: bool
        occurred_at: datetime
        actor: str

    class ContactLost(Aggregate.Event):
        """The charity lost contact with her."""

        occurred_at: datetime
        actor: str

    class CaseClosed(Aggregate.Event):
        """Her case closed, with a reason."""

        reason: str
        occurred_at: datetime
        actor: str

    class CaseReopened(Aggregate.Event):
        """Her case reopened."""

        reason: str | None
        occurred_at: datetime
        actor: str

    # --- from outreach (visits) -----------------------------------------------------------

    class IndicatorNoted(Aggregate.Event):
        """A coded indicator about her, observed on a visit."""

        observation_id: UUID
        indicator: str
        source: str
        visit_id: UUID
        occurred_at: datetime
        actor: str

    class ConcernNoted(Aggregate.Event):
        """An urgent concern about her, raised on a visit."""

        concern_id: UUID
        concern: str
        visit_id: UUID
        occurred_at: datetime
        actor: str

    class FollowUpNoted(Aggregate.Event):
        """A follow-up offered to her on a visit."""

        follow_up_id: UUID
        kind: str
        due_at: datetime
        visit_id: UUID
        occurred_at: datetime
        actor: str

    class ContactLinked(Aggregate.Event):
        """A contact met on a visit was found to be her."""

        contact_id: UUID
        visit_id: UUID
        occurred_at: datetime
        actor: str

    class MergedInto(Aggregate.Event):
        """This contact's journey is an already-registered woman's: hers carries on."""

        person_id: UUID
        occurred_at: datetime
        actor: str

    # --- erasure (crypto-shredding): ids and codes only, never her data ---------------------

    class ErasureRequested(Aggregate.Event):
        """Someone asked for her personal data to be erased (a reason code, no free text)."""

        request_id: UUID
        reason: str
        requested_by: str
        occurred_at: datetime
        actor: str

    class PersonErased(Aggregate.Event):
        """A second person approved the erasure: her keys are destroyed, so every personal field
        sealed under them reads as ``<erased>``; the contacts named are erased by visits."""

        request_id: UUID
        approved_by: str
        contact_ids: list[UUID]
        occurred_at: datetime
        actor: str

    # === state ============================================================================

    @event(Opened)
    def __init__(self, occurred_at: datetime, actor: str, contact_id: UUID | None = None) -> None:
        self.contact_id = contact_id
        self.opened_at = occurred_at
        self.opened_by = actor
        self.status = JourneyStatus.NEW
        self.contacts: list[tuple[UUID, UUID]] = []  # (visit id, contact id)
        self.contact_details: dict[tuple[UUID, UUID], tuple[str, datetime]] = {}  # language, when
        self.languages: list[str] = []
        self.last_contact_at: datetime | None = None
        self.registered_at: datetime | None = None
        self.pseudonym: str | None = None
        self.preferred_languages: list[str] = []
        self.interpreter_needed = False
        self.caseworker_id: str | None = None
        self.consents: dict[UUID, Consent] = {}
        self.needs: list[str] = []
        self.needs_notes: str | None = None
        self.needs_assessed_at: datetime | None = None
        self.risk: Risk | None = None
        self.safety_plans: dict[UUID, SafetyPlan] = {}
        self.safety_plan: SafetyPlan | None = None  # the one agreed last
        self.goals: dict[UUID, Goal] = {}
        self.meetings: dict[UUID, Meeting] = {}
        self.appointments: dict[UUID, Appointment] = {}
        self.referrals: dict[UUID, Referral] = {}
        self.nrm = NrmPathway()
        self.possible_minor = False
        self.exited_at: datetime | None = None
        self.returned_home_at: datetime | None = None
        self.returned_home_assisted: bool | None = None
        self.contact_lost_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.closure_reason: str | None = None
        self.reopened_at: datetime | None = None
        self.indicators: dict[UUID, Indicator] = {}
        self.concerns: dict[UUID, Concern] = {}
        self.follow_ups: dict[UUID, FollowUp] = {}
        self.linked_contacts: list[tuple[UUID, UUID]] = []  # (visit id, contact id)
        self.merged_into: UUID | None = None
        self.last_outreach_at: datetime | None = None
        self._registration: tuple[str, list[str], bool] | None = None

    @classmethod
    def register_new(
        cls,
        journey_id: UUID,
        pseudonym: str,
        preferred_languages: Sequence[str],
        interpreter_needed: bool,
        occurred_at: datetime,
        actor: str,
    ) -> Journey:
        """A woman who arrived without a visit contact, registered by a caseworker."""
        journey = cls._create(
            cls.OpenedAtRegistration, id=journey_id, occurred_at=occurred_at, actor=actor
        )
        journey.register(pseudonym, preferred_languages, interpreter_needed, occurred_at, actor)
        return journey

    @property
    def registered(self) -> bool:
        return self.registered_at is not None

    @property
    def exited(self) -> bool:
        return self.exited_at is not None

    def attention(self) -> list[Attention]:
        """What a caseworker should look at now, derived from the facts."""
        items = [
            Attention(AttentionKind.REFERRAL_CONSENT_WITHDRAWN, r.referral_id)
            for r in self.referrals.values()
            if r.consent_withdrawn and r.status.is_open
        ]
        live = self.status not in (JourneyStatus.CLOSED, JourneyStatus.MERGED)
        if self.possible_minor and self.nrm.submitted_on is None and live:
            items.append(Attention(AttentionKind.POSSIBLE_MINOR_NOT_REFERRED))
        closed_at = self.closed_at
        if (
            self.status is JourneyStatus.CLOSED
            and closed_at is not None
            and self.last_outreach_at is not None
            and self.last_outreach_at > closed_at
        ):
            items.append(Attention(AttentionKind.ACTIVITY_AFTER_CLOSURE))
        return items

    # === guards shared by commands ========================================================

    def _require_not_merged(self) -> None:
        self._require_not_erased()
        if self.status is JourneyStatus.MERGED:
            raise JourneyMerged(f"journey {self.id} was merged into {self.merged_into}")

    def _require_not_erased(self) -> None:
        if self.erased_at is not None:
            raise JourneyErased(f"journey {self.id} was erased")

    def _require_writable(self) -> None:
        self._require_not_merged()
        if self.status is JourneyStatus.CLOSED:
            raise JourneyClosed(f"journey {self.id} is closed")

    def _require_registered(self) -> None:
        self._require_writable()
        if not self.registered:
            raise NotRegistered(f"journey {self.id} has no registered person")

    def _start_assessment(self, occurred_at: datetime, actor: str) -> None:
        if self.status is JourneyStatus.NEW:
            self._assessment_started(occurred_at, actor)

    def _start_support(self, occurred_at: datetime, actor: str) -> None:
        if self.status in (JourneyStatus.NEW, JourneyStatus.ASSESSING):
            self._support_started(occurred_at, actor)

    @event(AssessmentStarted)
    def _assessment_started(self, occurred_at: datetime, actor: str) -> None:
        self.status = JourneyStatus.ASSESSING

    @event(SupportStarted)
    def _support_started(self, occurred_at: datetime, actor: str) -> None:
        self.status = JourneyStatus.ACTIVE

    # === contacts from visits =============================================================

    def record_contact(
        self, contact_id: UUID, visit_id: UUID, language: str, occurred_at: datetime, actor: str
    ) -> None:
        self._require_not_merged()
        if (visit_id, contact_id) in self.contacts:
            raise ContactAlreadyRecorded(f"contact on visit {visit_id} is already recorded")
        self._contact_recorded(contact_id, visit_id, language, occurred_at, actor)

    @event(ContactRecorded)
    def _contact_recorded(
        self, contact_id: UUID, visit_id: UUID, language: str, occurred_at: datetime, actor: str
    ) -> None:
        self.contacts.append((visit_id, contact_id))
        self.contact_details[(visit_id, contact_id)] = (language, occurred_at)
        if language not in self.languages:
            self.languages.append(language)
        # Offline apps deliver late: the latest contact is the latest by the device clock.
        if self.last_contact_at is None or occurred_at > self.last_contact_at:
            self.last_contact_at = occurred_at
        self._heard_from_outreach(occurred_at)
        self.contact_lost_at = None

    def _heard_from_outreach(self, occurred_at: datetime) -> None:
        if self.last_outreach_at is None or occurred_at > self.last_outreach_at:
            self.last_outreach_at = occurred_at

    # === registration =====================================================================

    def register(
        self,
        pseudonym: str,
        preferred_languages: Sequence[str],
        interpreter_needed: bool,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        languages = _unique(preferred_languages)
        if self._registration is not None:
            if self._registration == (pseudonym, languages, interpreter_needed):
                return  # a retry of the same registration
            raise AlreadyRegistered(f"journey {self.id} is already registered")
        self._require_writable()
        self._person_registered(pseudonym, languages, interpreter_needed, occurred_at, actor)

    @event(PersonRegistered)
    def _person_registered(
        self,
        pseudonym: str,
        preferred_languages: list[str],
        interpreter_needed: bool,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.registered_at = occurred_at
        self.pseudonym = pseudonym
        self.preferred_languages = list(preferred_languages)
        self.interpreter_needed = interpreter_needed
        self._registration = (pseudonym, list(preferred_languages), interpreter_needed)

    def correct_pseudonym(self, pseudonym: str, occurred_at: datetime, actor: str) -> None:
        self._require_registered()
        if pseudonym != self.pseudonym:
            self._pseudonym_corrected(pseudonym, occurred_at, actor)

    @event(PseudonymCorrected)
    def _pseudonym_corrected(self, pseudonym: str, occurred_at: datetime, actor: str) -> None:
        self.pseudonym = pseudonym

    def change_language_preferences(
        self,
        preferred_languages: Sequence[str],
        interpreter_needed: bool,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self._require_registered()
        languages = _unique(preferred_languages)
        if (languages, interpreter_needed) != (self.preferred_languages, self.interpreter_needed):
            self._language_preferences_changed(languages, interpreter_needed, occurred_at, actor)

    @event(LanguagePreferencesChanged)
    def _language_preferences_changed(
        self,
        preferred_languages: list[str],
        interpreter_needed: bool,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.preferred_languages = list(preferred_languages)
        self.interpreter_needed = interpreter_needed

    # === consent ==========================================================================

    def give_consent(
        self,
        consent_id: UUID,
        scope: ConsentScope,
        partner: str | None,
        wording_version: str,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        existing = self.consents.get(consent_id)
        if existing is not None:
            if (existing.scope, existing.partner, existing.wording_version) == (
                scope,
                partner,
                wording_version,
            ):
                return
            raise ConsentConflict(f"consent {consent_id} is already recorded")
        if scope is ConsentScope.SHARE_WITH_PARTNER and partner is None:
            raise PartnerRequired(f"consent {consent_id} has scope {scope.value}")
        if scope is not ConsentScope.SHARE_WITH_PARTNER and partner is not None:
            raise PartnerNotExpected(f"consent {consent_id} has scope {scope.value}")
        self._require_registered()
        self._consent_given(consent_id, scope.value, partner, wording_version, occurred_at, actor)

    @event(ConsentGiven)
    def _consent_given(
        self,
        consent_id: UUID,
        scope: str,
        partner: str | None,
        wording_version: str,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.consents[consent_id] = Consent(
            consent_id, ConsentScope(scope), partner, wording_version, occurred_at
        )

    def withdraw_consent(self, consent_id: UUID, occurred_at: datetime, actor: str) -> None:
        # Her right to withdraw holds on a closed journey too: the data is still held.
        self._require_not_merged()
        consent = self._consent(consent_id)
        if not consent.active:
            raise ConsentAlreadyWithdrawn(f"consent {consent_id} was already withdrawn")
        self._consent_withdrawn(consent_id, occurred_at, actor)

    @event(ConsentWithdrawn)
    def _consent_withdrawn(self, consent_id: UUID, occurred_at: datetime, actor: str) -> None:
        self.consents[consent_id] = replace(self.consents[consent_id], withdrawn_at=occurred_at)
        # Open referrals that share her data on this consent alone need a caseworker's decision
        # (withdraw the referral, or record why it may continue); they are flagged, not dropped.
        for referral in list(self.referrals.values()):
            if (
                referral.consent_id == consent_id
                and referral.lawful_basis is None
                and referral.status.is_open
            ):
                self.referrals[referral.referral_id] = replace(referral, consent_withdrawn=True)

    def _consent(self, consent_id: UUID) -> Consent:
        consent = self.consents.get(consent_id)
        if consent is None:
            raise ConsentNotFound(f"no consent {consent_id} on journey {self.id}")
        return consent

    def _consent_covering(
        self, consent_id: UUID | None, scope: ConsentScope, partner: str | None = None
    ) -> UUID | None:
        """The consent relied on: the one named (which must cover it), else her latest."""
        if consent_id is not None:
            if not self._consent(consent_id).covers(scope, partner):
                raise ConsentDoesNotCover(f"consent {consent_id} does not cover {scope.value}")
            return consent_id
        covering = [c for c in self.consents.values() if c.covers(scope, partner)]
        return covering[-1].consent_id if covering else None

    # === caseworker =======================================================================

    def assign_caseworker(
        self, caseworker_id: str, occurred_at: datetime, actor: str, team_id: str | None = None
    ) -> None:
        self._require_writable()
        if (caseworker_id, team_id) != (self.caseworker_id, self.team_id):
            self._caseworker_assigned(
                caseworker_id, self.caseworker_id, occurred_at, actor, team_id
            )

    def claim(self, caseworker_id: str, occurred_at: datetime, team_id: str | None = None) -> None:
        """She takes a journey nobody holds (from the intake queue). Claiming one that is
        already hers changes nothing, so a retried claim is safe; someone else's is refused."""
        self._require_writable()
        if self.caseworker_id == caseworker_id:
            return
        if self.caseworker_id is not None:
            raise AlreadyAssigned(f"journey {self.id} already has a caseworker")
        self._caseworker_assigned(caseworker_id, None, occurred_at, caseworker_id, team_id)

    @event(CaseworkerAssigned)
    def _caseworker_assigned(
        self,
        caseworker_id: str,
        previous_caseworker_id: str | None,
        occurred_at: datetime,
        actor: str,
        team_id: str | None = None,
    ) -> None:
        self.caseworker_id = caseworker_id
        self.team_id = team_id

    # === who may open it ==================================================================

    def is_visible_to(self, caseworker_id: str, team_id: str | None) -> bool:
        """Hers: assigned to her or her team, or registered by her and not yet assigned."""
        if self.caseworker_id is None:
            return self.opened_by == caseworker_id
        return self.caseworker_id == caseworker_id or (
            team_id is not None and self.team_id == team_id
        )

    def break_glass_grant(self, caseworker_id: str, at: datetime) -> BreakGlassGrant | None:
        """Her live break-glass grant on this journey, if she has one."""
        live = [
            g for g in self.break_glass if g.caseworker_id == caseworker_id and at < g.expires_at
        ]
        return live[-1] if live else None

    def grant_break_glass(
        self, grant_id: UUID, caseworker_id: str, reason: str, expires_at: datetime, now: datetime
    ) -> None:
        self._require_not_merged()
        if len(reason.strip()) < MIN_BREAK_GLASS_REASON:
            raise BreakGlassReasonRequired(
                f"a break-glass reason needs at least {MIN_BREAK_GLASS_REASON} characters"
            )
        if expires_at <= now:
            raise DatesOutOfOrder("a break-glass grant must end after it starts")
        self._break_glass_access_granted(
            grant_id, caseworker_id, reason.strip(), expires_at, now, caseworker_id
        )

    @event(BreakGlassAccessGranted)
    def _break_glass_access_granted(
        self,
        grant_id: UUID,
        caseworker_id: str,
        reason: str,
        expires_at: datetime,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.break_glass = (
            *self.break_glass,
            BreakGlassGrant(grant_id, caseworker_id, expires_at, occurred_at),
        )

    # === assessment =======================================================================

    def assess_needs(
        self, needs: Sequence[str], notes: str | None, occurred_at: datetime, actor: str
    ) -> None:
        self._require_registered()
        self._needs_assessed(_unique(needs), notes, occurred_at, actor)
        self._start_assessment(occurred_at, actor)

    @event(NeedsAssessed)
    def _needs_assessed(
        self, needs: list[str], notes: str | None, occurred_at: datetime, actor: str
    ) -> None:
        self.needs = list(needs)
        self.needs_notes = notes
        self.needs_assessed_at = occurred_at

    def assess_risk(
        self,
        level: RiskLevel,
        indicators: Sequence[str],
        notes: str | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self._require_registered()
        self._risk_assessed(level.value, _unique(indicators), notes, occurred_at, actor)
        self._start_assessment(occurred_at, actor)

    @event(RiskAssessed)
    def _risk_assessed(
        self,
        level: str,
        indicators: list[str],
        notes: str | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.risk = Risk(RiskLevel(level), tuple(indicators), notes, occurred_at)

    # === support: safety plan, goals, meetings, appointments ==============================

    def agree_safety_plan(
        self, plan_id: UUID, summary: str, review_on: date, occurred_at: datetime, actor: str
    ) -> None:
        existing = self.safety_plans.get(plan_id)
        if existing is not None:
            if (existing.summary, existing.review_on) == (summary, review_on):
                return
            raise SafetyPlanConflict(f"safety plan {plan_id} is already recorded")
        if review_on < occurred_at.date():
            raise DatesOutOfOrder(f"safety plan {plan_id} review date is before it was agreed")
        self._require_registered()
        self._safety_plan_agreed(plan_id, summary, review_on, occurred_at, actor)
        self._start_support(occurred_at, actor)

    @event(SafetyPlanAgreed)
    def _safety_plan_agreed(
        self, plan_id: UUID, summary: str, review_on: date, occurred_at: datetime, actor: str
    ) -> None:
        plan = SafetyPlan(plan_id, summary, review_on, occurred_at)
        self.safety_plans[plan_id] = plan
        self.safety_plan = plan

    def set_goal(
        self, goal_id: UUID, goal: str, target_on: date | None, occurred_at: datetime, actor: str
    ) -> None:
        existing = self.goals.get(goal_id)
        if existing is not None:
            if (existing.goal, existing.target_on) == (goal, target_on):
                return
            raise GoalConflict(f"goal {goal_id} is already recorded")
        if target_on is not None and target_on < occurred_at.date():
            raise DatesOutOfOrder(f"goal {goal_id} target date is before it was set")
        self._require_registered()
        self._goal_set(goal_id, goal, target_on, occurred_at, actor)
        self._start_support(occurred_at, actor)

    @event(GoalSet)
    def _goal_set(
        self, goal_id: UUID, goal: str, target_on: date | None, occurred_at: datetime, actor: str
    ) -> None:
        self.goals[goal_id] = Goal(goal_id, goal, target_on, occurred_at)

    def achieve_goal(self, goal_id: UUID, occurred_at: datetime, actor: str) -> None:
        self._open_goal(goal_id)
        self._goal_achieved(goal_id, occurred_at, actor)

    @event(GoalAchieved)
    def _goal_achieved(self, goal_id: UUID, occurred_at: datetime, actor: str) -> None:
        goal = self.goals[goal_id]
        self.goals[goal_id] = replace(goal, status=GoalStatus.ACHIEVED, closed_at=occurred_at)

    def drop_goal(
        self, goal_id: UUID, reason: GoalDropReason | None, occurred_at: datetime, actor: str
    ) -> None:
        self._open_goal(goal_id)
        self._goal_dropped(goal_id, reason.value if reason else None, occurred_at, actor)

    @event(GoalDropped)
    def _goal_dropped(
        self, goal_id: UUID, reason: str | None, occurred_at: datetime, actor: str
    ) -> None:
        self.goals[goal_id] = replace(
            self.goals[goal_id],
            status=GoalStatus.DROPPED,
            closed_at=occurred_at,
            drop_reason=GoalDropReason(reason) if reason else None,
        )

    def _open_goal(self, goal_id: UUID) -> Goal:
        self._require_writable()
        goal = self.goals.get(goal_id)
        if goal is None:
            raise GoalNotFound(f"no goal {goal_id} on journey {self.id}")
        if goal.status is GoalStatus.ACHIEVED:
            raise GoalAlreadyAchieved(f"goal {goal_id} was already achieved")
        if goal.status is GoalStatus.DROPPED:
            raise GoalAlreadyDropped(f"goal {goal_id} was already dropped")
        return goal

    def record_meeting(
        self,
        meeting_id: UUID,
        meeting_type: str,
        notes: str | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        existing = self.meetings.get(meeting_id)
        if existing is not None:
            if (existing.meeting_type, existing.notes) == (meeting_type, notes):
                return
            raise MeetingConflict(f"meeting {meeting_id} is already recorded")
        self._require_registered()
        self._meeting_held(meeting_id, meeting_type, notes, occurred_at, actor)
        self._start_support(occurred_at, actor)

    @event(MeetingHeld)
    def _meeting_held(
        self,
        meeting_id: UUID,
        meeting_type: str,
        notes: str | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.meetings[meeting_id] = Meeting(meeting_id, meeting_type, notes, occurred_at)
        self.contact_lost_at = None

    def schedule_appointment(
        self,
        appointment_id: UUID,
        kind: str,
        at: datetime,
        accompanied: bool,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        existing = self.appointments.get(appointment_id)
        if existing is not None:
            if existing.status is AppointmentStatus.SCHEDULED and (
                existing.kind,
                existing.at,
                existing.accompanied,
            ) == (kind, at, accompanied):
                return
            raise AppointmentConflict(f"appointment {appointment_id} is already recorded")
        self._require_registered()
        self._appointment_scheduled(appointment_id, kind, at, accompanied, occurred_at, actor)
        self._start_support(occurred_at, actor)

    @event(AppointmentScheduled)
    def _appointment_scheduled(
        self,
        appointment_id: UUID,
        kind: str,
        at: datetime,
        accompanied: bool,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.appointments[appointment_id] = Appointment(appointment_id, kind, at, accompanied)

    def move_appointment(
        self, appointment_id: UUID, at: datetime, occurred_at: datetime, actor: str
    ) -> None:
        appointment = self._scheduled_appointment(appointment_id)
        if at != appointment.at:
            self._appointment_moved(appointment_id, at, occurred_at, actor)

    @event(AppointmentMoved)
    def _appointment_moved(
        self, appointment_id: UUID, at: datetime, occurred_at: datetime, actor: str
    ) -> None:
        self.appointments[appointment_id] = replace(self.appointments[appointment_id], at=at)

    def cancel_appointment(self, appointment_id: UUID, occurred_at: datetime, actor: str) -> None:
        self._scheduled_appointment(appointment_id)
        self._appointment_cancelled(appointment_id, occurred_at, actor)

    @event(AppointmentCancelled)
    def _appointment_cancelled(
        self, appointment_id: UUID, occurred_at: datetime, actor: str
    ) -> None:
        self.appointments[appointment_id] = replace(
            self.appointments[appointment_id], status=AppointmentStatus.CANCELLED
        )

    def record_attendance(
        self, appointment_id: UUID, accompanied: bool, occurred_at: datetime, actor: str
    ) -> None:
        self._scheduled_appointment(appointment_id)
        self._appointment_attended(appointment_id, accompanied, occurred_at, actor)

    @event(AppointmentAttended)
    def _appointment_attended(
        self, appointment_id: UUID, accompanied: bool, occurred_at: datetime, actor: str
    ) -> None:
        self.appointments[appointment_id] = replace(
            self.appointments[appointment_id],
            status=AppointmentStatus.ATTENDED,
            accompanied=accompanied,
        )
        self.contact_lost_at = None

    def _scheduled_appointment(self, appointment_id: UUID) -> Appointment:
        self._require_writable()
        appointment = self.appointments.get(appointment_id)
        if appointment is None:
            raise AppointmentNotFound(f"no appointment {appointment_id} on journey {self.id}")
        if appointment.status is not AppointmentStatus.SCHEDULED:
            raise AppointmentNotScheduled(
                f"appointment {appointment_id} is {appointment.status.value}"
            )
        return appointment

    # === referrals ========================================================================

    def make_referral(
        self,
        referral_id: UUID,
        partner: str,
        need: str,
        shares_personal_data: bool,
        consent_id: UUID | None,
        lawful_basis: str | None,
        respond_by: datetime,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        existing = self.referrals.get(referral_id)
        if existing is not None:
            same = (
                existing.partner,
                existing.need,
                existing.shares_personal_data,
                existing.lawful_basis,
                existing.respond_by,
            ) == (partner, need, shares_personal_data, lawful_basis, respond_by)
            if same and consent_id in (None, existing.consent_id):
                return
            raise ReferralConflict(f"referral {referral_id} is already recorded")
        if respond_by <= occurred_at:
            raise RespondByNotAfterReferral(f"referral {referral_id} respond_by is not later")
        self._require_registered()
        relied_on: UUID | None = None
        if shares_personal_data:
            relied_on = self._consent_covering(consent_id, ConsentScope.SHARE_WITH_PARTNER, partner)
            if relied_on is None and lawful_basis is None:
                raise ConsentRequired(
                    f"referral {referral_id} to {partner} shares personal data without a"
                    " consent of scope share_with_partner for that partner or a lawful basis"
                )
        self._referral_made(
            referral_id,
            partner,
            need,
            shares_personal_data,
            relied_on,
            lawful_basis if shares_personal_data else None,
            respond_by,
            occurred_at,
            actor,
        )
        self._start_support(occurred_at, actor)

    @event(ReferralMade)
    def _referral_made(
        self,
        referral_id: UUID,
        partner: str,
        need: str,
        shares_personal_data: bool,
        consent_id: UUID | None,
        lawful_basis: str | None,
        respond_by: datetime,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.referrals[referral_id] = Referral(
            referral_id,
            partner,
            need,
            shares_personal_data,
            consent_id,
            lawful_basis,
            respond_by,
            made_at=occurred_at,
            status_at=occurred_at,
        )

    def acknowledge_referral(self, referral_id: UUID, occurred_at: datetime, actor: str) -> None:
        self._referral_can_become(referral_id, ReferralStatus.ACKNOWLEDGED)
        self._referral_acknowledged(referral_id, occurred_at, actor)

    @event(ReferralAcknowledged)
    def _referral_acknowledged(self, referral_id: UUID, occurred_at: datetime, actor: str) -> None:
        self._referral_now(referral_id, ReferralStatus.ACKNOWLEDGED, occurred_at)

    def accept_referral(self, referral_id: UUID, occurred_at: datetime, actor: str) -> None:
        self._referral_can_become(referral_id, ReferralStatus.ACCEPTED)
        self._referral_accepted(referral_id, occurred_at, actor)

    @event(ReferralAccepted)
    def _referral_accepted(self, referral_id: UUID, occurred_at: datetime, actor: str) -> None:
        self._referral_now(referral_id, ReferralStatus.ACCEPTED, occurred_at)

    def decline_referral(
        self, referral_id: UUID, reason: DeclineReason | None, occurred_at: datetime, actor: str
    ) -> None:
        self._referral_can_become(referral_id, ReferralStatus.DECLINED)
        self._referral_declined(referral_id, reason.value if reason else None, occurred_at, actor)

    @event(ReferralDeclined)
    def _referral_declined(
        self, referral_id: UUID, reason: str | None, occurred_at: datetime, actor: str
    ) -> None:
        self._referral_now(referral_id, ReferralStatus.DECLINED, occurred_at, reason)

    def complete_referral(self, referral_id: UUID, occurred_at: datetime, actor: str) -> None:
        self._referral_can_become(referral_id, ReferralStatus.COMPLETED)
        self._referral_completed(referral_id, occurred_at, actor)

    @event(ReferralCompleted)
    def _referral_completed(self, referral_id: UUID, occurred_at: datetime, actor: str) -> None:
        self._referral_now(referral_id, ReferralStatus.COMPLETED, occurred_at)

    def withdraw_referral(
        self, referral_id: UUID, reason: WithdrawalReason, occurred_at: datetime, actor: str
    ) -> None:
        self._referral_can_become(referral_id, ReferralStatus.WITHDRAWN)
        self._referral_withdrawn(referral_id, reason.value, occurred_at, actor)

    @event(ReferralWithdrawn)
    def _referral_withdrawn(
        self, referral_id: UUID, reason: str, occurred_at: datetime, actor: str
    ) -> None:
        self._referral_now(referral_id, ReferralStatus.WITHDRAWN, occurred_at, reason)

    def expire_referral(self, referral_id: UUID, now: datetime, actor: str) -> None:
        """Nothing was heard from the partner by the date it was due."""
        referral = self._referral_can_become(referral_id, ReferralStatus.EXPIRED)
        if now <= referral.respond_by:
            raise ReferralNotOverdue(f"referral {referral_id} is not overdue")
        self._referral_expired(referral_id, now, actor)

    @event(ReferralExpired)
    def _referral_expired(self, referral_id: UUID, occurred_at: datetime, actor: str) -> None:
        self._referral_now(referral_id, ReferralStatus.EXPIRED, occurred_at)

    def _referral_can_become(self, referral_id: UUID, target: ReferralStatus) -> Referral:
        self._require_writable()
        referral = self.referrals.get(referral_id)
        if referral is None:
            raise ReferralNotFound(f"no referral {referral_id} on journey {self.id}")
        if referral.status is ReferralStatus.DECLINED:
            raise ReferralAlreadyDeclined(f"referral {referral_id} was already declined")
        if not referral.status.is_open:
            raise ReferralNotOpen(f"referral {referral_id} is {referral.status.value}")
        if referral.status not in _REFERRAL_STEPS[target]:
            raise InvalidReferralTransition(
                f"referral {referral_id} is {referral.status.value}; it cannot become"
                f" {target.value}"
            )
        return referral

    def _referral_now(
        self,
        referral_id: UUID,
        status: ReferralStatus,
        occurred_at: datetime,
        reason: str | None = None,
    ) -> None:
        referral = self.referrals[referral_id]
        self.referrals[referral_id] = replace(
            referral,
            status=status,
            status_at=occurred_at,
            reason=reason,
            consent_withdrawn=referral.consent_withdrawn and status.is_open,
        )

    # === the National Referral Mechanism ==================================================

    def record_first_responder_contact(
        self, partner: str, is_first_responder: bool, occurred_at: datetime, actor: str
    ) -> None:
        if not is_first_responder:
            raise NotAFirstResponder(f"partner {partner} is not a First Responder")
        self._require_registered()
        self._first_responder_contacted(partner, occurred_at, actor)
        self._start_support(occurred_at, actor)

    @event(FirstResponderContacted)
    def _first_responder_contacted(self, partner: str, occurred_at: datetime, actor: str) -> None:
        contacted = self.nrm.first_responders_contacted
        if partner not in contacted:
            self.nrm = replace(self.nrm, first_responders_contacted=(*contacted, partner))

    def record_nrm_referral(
        self,
        partner: str,
        is_first_responder: bool,
        submitted_on: date,
        consent_id: UUID | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        """Adults must give informed consent; a possible child needs none and must always be
        referred."""
        if self.nrm.submitted_on is not None:
            if (self.nrm.submitted_by, self.nrm.submitted_on) == (partner, submitted_on):
                return
            raise NrmAlreadySubmitted(f"journey {self.id} already has an NRM referral")
        if not is_first_responder:
            raise NotAFirstResponder(f"partner {partner} is not a First Responder")
        if submitted_on > occurred_at.date():
            raise DatesOutOfOrder("the NRM referral is dated after it was recorded")
        self._require_registered()
        relied_on: UUID | None = None
        if not self.possible_minor:
            relied_on = self._consent_covering(consent_id, ConsentScope.NRM_REFERRAL)
            if relied_on is None:
                raise NrmConsentRequired(f"journey {self.id} has no nrm_referral consent")
        self._nrm_referral_submitted(
            partner, submitted_on, relied_on, self.possible_minor, occurred_at, actor
        )
        self._start_support(occurred_at, actor)

    @event(NrmReferralSubmitted)
    def _nrm_referral_submitted(
        self,
        partner: str,
        submitted_on: date,
        consent_id: UUID | None,
        possible_minor: bool,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.nrm = replace(
            self.nrm,
            submitted_by=partner,
            submitted_on=submitted_on,
            consent_id=consent_id,
            submitted_as_possible_minor=possible_minor,
        )

    def record_reasonable_grounds(
        self,
        outcome: NrmOutcome,
        decided_on: date,
        learned_on: date,
        source: DecisionSource,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        decision = NrmDecision(outcome, decided_on, learned_on, source)
        if self.nrm.reasonable_grounds is not None:
            if self.nrm.reasonable_grounds == decision:
                return
            raise NrmDecisionAlreadyRecorded("a Reasonable Grounds decision is already recorded")
        if not decided_on <= learned_on <= occurred_at.date():
            raise DatesOutOfOrder("decided_on ≤ learned_on ≤ the day it is recorded")
        self._require_registered()
        if self.nrm.submitted_on is None:
            raise NrmNotSubmitted(f"journey {self.id} has no NRM referral")
        if decided_on < self.nrm.submitted_on:
            raise DatesOutOfOrder("the decision is dated before the NRM referral")
        self._reasonable_grounds_received(
            outcome.value, decided_on, learned_on, source.value, occurred_at, actor
        )

    @event(ReasonableGroundsDecisionReceived)
    def _reasonable_grounds_received(
        self,
        outcome: str,
        decided_on: date,
        learned_on: date,
        source: str,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        decision = NrmDecision(NrmOutcome(outcome), decided_on, learned_on, DecisionSource(source))
        self.nrm = replace(self.nrm, reasonable_grounds=decision)

    def start_recovery_period(
        self, starts_on: date, ends_on: date, occurred_at: datetime, actor: str
    ) -> None:
        if self.nrm.recovery_starts_on is not None:
            if (self.nrm.recovery_starts_on, self.nrm.recovery_ends_on) == (starts_on, ends_on):
                return
            raise RecoveryPeriodAlreadyStarted(f"journey {self.id} has a recovery period")
        if ends_on < starts_on + timedelta(days=RECOVERY_PERIOD_MIN_DAYS):
            raise RecoveryPeriodTooShort(
                f"{(ends_on - starts_on).days} days; at least {RECOVERY_PERIOD_MIN_DAYS}"
            )
        self._require_registered()
        self._require_positive_reasonable_grounds()
        self._recovery_period_started(starts_on, ends_on, occurred_at, actor)

    @event(RecoveryPeriodStarted)
    def _recovery_period_started(
        self, starts_on: date, ends_on: date, occurred_at: datetime, actor: str
    ) -> None:
        self.nrm = replace(self.nrm, recovery_starts_on=starts_on, recovery_ends_on=ends_on)

    def record_conclusive_grounds(
        self,
        outcome: NrmOutcome,
        decided_on: date,
        learned_on: date,
        source: DecisionSource,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        decision = NrmDecision(outcome, decided_on, learned_on, source)
        if self.nrm.conclusive_grounds is not None:
            if self.nrm.conclusive_grounds == decision:
                return
            raise NrmDecisionAlreadyRecorded("a Conclusive Grounds decision is already recorded")
        if not decided_on <= learned_on <= occurred_at.date():
            raise DatesOutOfOrder("decided_on ≤ learned_on ≤ the day it is recorded")
        self._require_registered()
        reasonable = self._require_positive_reasonable_grounds()
        if decided_on < reasonable.decided_on:
            raise DatesOutOfOrder("the decision is dated before the Reasonable Grounds decision")
        self._conclusive_grounds_received(
            outcome.value, decided_on, learned_on, source.value, occurred_at, actor
        )

    @event(ConclusiveGroundsDecisionReceived)
    def _conclusive_grounds_received(
        self,
        outcome: str,
        decided_on: date,
        learned_on: date,
        source: str,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        decision = NrmDecision(NrmOutcome(outcome), decided_on, learned_on, DecisionSource(source))
        self.nrm = replace(self.nrm, conclusive_grounds=decision)

    def _require_positive_reasonable_grounds(self) -> NrmDecision:
        reasonable = self.nrm.reasonable_grounds
        if reasonable is None or reasonable.outcome is not NrmOutcome.POSITIVE:
            raise NoPositiveReasonableGrounds(f"journey {self.id}")
        return reasonable

    # === flags, exit, closure =============================================================

    def mark_possible_minor(self, occurred_at: datetime, actor: str) -> None:
        self._require_writable()
        if self.possible_minor:
            raise AlreadyMarkedPossibleMinor(f"journey {self.id}")
        self._possible_minor_marked(occurred_at, actor)

    @event(PossibleMinorMarked)
    def _possible_minor_marked(self, occurred_at: datetime, actor: str) -> None:
        self.possible_minor = True

    def clear_possible_minor(self, occurred_at: datetime, actor: str) -> None:
        """E.g. after an age assessment: she is an adult, and her consent is needed again."""
        self._require_writable()
        if not self.possible_minor:
            raise NotMarkedPossibleMinor(f"journey {self.id}")
        self._possible_minor_cleared(occurred_at, actor)

    @event(PossibleMinorCleared)
    def _possible_minor_cleared(self, occurred_at: datetime, actor: str) -> None:
        self.possible_minor = False

    def record_exit(self, occurred_at: datetime, actor: str) -> None:
        self._require_registered()
        if self.exited:
            raise AlreadyExited(f"journey {self.id}")
        self._exited(occurred_at, actor)

    @event(ExitedSexIndustry)
    def _exited(self, occurred_at: datetime, actor: str) -> None:
        self.exited_at = occurred_at

    def record_return_to_industry(self, occurred_at: datetime, actor: str) -> None:
        self._require_registered()
        if not self.exited:
            raise NotExited(f"journey {self.id}")
        self._returned_to_industry(occurred_at, actor)

    @event(ReturnedToSexIndustry)
    def _returned_to_industry(self, occurred_at: datetime, actor: str) -> None:
        self.exited_at = None

    def record_return_home(self, assisted: bool, occurred_at: datetime, actor: str) -> None:
        self._require_registered()
        if self.returned_home_at is not None:
            raise AlreadyReturnedHome(f"journey {self.id}")
        self._returned_home(assisted, occurred_at, actor)

    @event(ReturnedHome)
    def _returned_home(self, assisted: bool, occurred_at: datetime, actor: str) -> None:
        self.returned_home_at = occurred_at
        self.returned_home_assisted = assisted

    def record_contact_lost(self, occurred_at: datetime, actor: str) -> None:
        self._require_writable()
        if self.contact_lost_at is not None:
            raise ContactAlreadyLost(f"journey {self.id}")
        self._contact_lost(occurred_at, actor)

    @event(ContactLost)
    def _contact_lost(self, occurred_at: datetime, actor: str) -> None:
        self.contact_lost_at = occurred_at

    def close(self, reason: str, occurred_at: datetime, actor: str) -> None:
        self._require_writable()
        still_open = [str(r.referral_id) for r in self.referrals.values() if r.status.is_open]
        if still_open:
            raise OpenReferralsRemain(f"open referrals: {', '.join(still_open)}")
        self._case_closed(reason, occurred_at, actor)

    @event(CaseClosed)
    def _case_closed(self, reason: str, occurred_at: datetime, actor: str) -> None:
        self.status = JourneyStatus.CLOSED
        self.closed_at = occurred_at
        self.closure_reason = reason

    def reopen(self, reason: ReopenReason | None, occurred_at: datetime, actor: str) -> None:
        self._require_not_merged()
        if self.status is not JourneyStatus.CLOSED:
            raise JourneyNotClosed(f"journey {self.id} is {self.status.value}")
        self._case_reopened(reason.value if reason else None, occurred_at, actor)

    @event(CaseReopened)
    def _case_reopened(self, reason: str | None, occurred_at: datetime, actor: str) -> None:
        self.status = JourneyStatus.ACTIVE
        self.reopened_at = occurred_at

    # === facts from outreach ==============================================================

    def note_indicator(
        self,
        observation_id: UUID,
        indicator: str,
        source: IndicatorSource,
        visit_id: UUID,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self._require_not_merged()
        if observation_id not in self.indicators:
            self._indicator_noted(
                observation_id, indicator, source.value, visit_id, occurred_at, actor
            )

    @event(IndicatorNoted)
    def _indicator_noted(
        self,
        observation_id: UUID,
        indicator: str,
        source: str,
        visit_id: UUID,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.indicators[observation_id] = Indicator(
            observation_id, indicator, IndicatorSource(source), visit_id, occurred_at
        )
        if indicator == POSSIBLE_MINOR_INDICATOR:
            self.possible_minor = True
        self._heard_from_outreach(occurred_at)

    def note_concern(
        self, concern_id: UUID, concern: str, visit_id: UUID, occurred_at: datetime, actor: str
    ) -> None:
        self._require_not_merged()
        if concern_id not in self.concerns:
            self._concern_noted(concern_id, concern, visit_id, occurred_at, actor)

    @event(ConcernNoted)
    def _concern_noted(
        self, concern_id: UUID, concern: str, visit_id: UUID, occurred_at: datetime, actor: str
    ) -> None:
        self.concerns[concern_id] = Concern(concern_id, concern, visit_id, occurred_at)
        if concern == POSSIBLE_MINOR_CONCERN:
            self.possible_minor = True
        self._heard_from_outreach(occurred_at)

    def note_follow_up(
        self,
        follow_up_id: UUID,
        kind: str,
        due_at: datetime,
        visit_id: UUID,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self._require_not_merged()
        if follow_up_id not in self.follow_ups:
            self._follow_up_noted(follow_up_id, kind, due_at, visit_id, occurred_at, actor)

    @event(FollowUpNoted)
    def _follow_up_noted(
        self,
        follow_up_id: UUID,
        kind: str,
        due_at: datetime,
        visit_id: UUID,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.follow_ups[follow_up_id] = FollowUp(follow_up_id, kind, due_at, visit_id, occurred_at)
        self._heard_from_outreach(occurred_at)

    def link_contact(
        self, contact_id: UUID, visit_id: UUID, occurred_at: datetime, actor: str
    ) -> None:
        self._require_not_merged()
        if not self.registered:
            raise NotRegistered(f"journey {self.id} has no registered person to link to")
        if (visit_id, contact_id) not in self.linked_contacts:
            self._contact_linked(contact_id, visit_id, occurred_at, actor)

    @event(ContactLinked)
    def _contact_linked(
        self, contact_id: UUID, visit_id: UUID, occurred_at: datetime, actor: str
    ) -> None:
        self.linked_contacts.append((visit_id, contact_id))

    def take_over_outreach_facts(self, other: Journey, actor: str) -> None:
        """On a merge, what outreach learned about her under another contact becomes part of
        her journey: contacts, indicators, concerns (a possible minor!) and follow-ups. Casework
        on the other journey (consents, referrals…) does not move: that needs a caseworker."""
        for (visit_id, contact_id), (language, at) in other.contact_details.items():
            if (visit_id, contact_id) not in self.contacts:
                self.record_contact(contact_id, visit_id, language, at, actor)
        for i in other.indicators.values():
            self.note_indicator(
                i.observation_id, i.indicator, i.source, i.visit_id, i.observed_at, actor
            )
        for c in other.concerns.values():
            self.note_concern(c.concern_id, c.concern, c.visit_id, c.raised_at, actor)
        for f in other.follow_ups.values():
            self.note_follow_up(f.follow_up_id, f.kind, f.due_at, f.visit_id, f.offered_at, actor)

    def merge_into(self, person_id: UUID, occurred_at: datetime, actor: str) -> None:
        if person_id == self.id:
            raise CannotMergeIntoItself(f"journey {self.id}")
        if self.merged_into is not None:
            if self.merged_into == person_id:
                return
            raise AlreadyMerged(f"journey {self.id} was merged into {self.merged_into}")
        self._merged_into(person_id, occurred_at, actor)

    @event(MergedInto)
    def _merged_into(self, person_id: UUID, occurred_at: datetime, actor: str) -> None:
        self.status = JourneyStatus.MERGED
        self.merged_into = person_id

    # === data rights: subject access (UK GDPR Art. 15) ====================================
    # A separate block so that other data-rights events (erasure) can be added beside it.

    #: Class-level default: journeys folded from older snapshots have had no export.
    subject_access_fulfilled_at: datetime | None = None

    class SubjectAccessFulfilled(Aggregate.Event):
        """An export of everything held about her was made (ids only: the export is not here)."""

        request_id: UUID
        occurred_at: datetime
        actor: str

    def record_subject_access(self, request_id: UUID, occurred_at: datetime, actor: str) -> None:
        """Recorded whatever her journey's status (a fact about her data, not casework) —
        unless she was erased: nothing may be added to an erased journey."""
        self._require_not_erased()
        self._subject_access_fulfilled(request_id, occurred_at, actor)

    @event(SubjectAccessFulfilled)
    def _subject_access_fulfilled(
        self, request_id: UUID, occurred_at: datetime, actor: str
    ) -> None:
        self.subject_access_fulfilled_at = occurred_at

    # === erasure ==========================================================================

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

    @property
    def all_contact_ids(self) -> list[UUID]:
        """Every contact outreach knew her by: the one that opened the journey, those recorded
        on it and those linked to her (sorted, so the answer is the same on every fold)."""
        found = {contact_id for _, contact_id in self.contacts + self.linked_contacts}
        if self.contact_id is not None:
            found.add(self.contact_id)
        return sorted(found, key=str)

    def request_erasure(
        self, request_id: UUID, reason: ErasureReason, occurred_at: datetime, actor: str
    ) -> None:
        """One pending request at a time; the same person asking again changes nothing."""
        self._require_not_merged()
        pending = self.erasure_request
        if pending is not None:
            if pending.requested_by == actor:
                return
            raise ErasureAlreadyRequested(f"journey {self.id} has a pending erasure request")
        self._erasure_requested(request_id, reason.value, actor, occurred_at, actor)

    @event(ErasureRequested)
    def _erasure_requested(
        self, request_id: UUID, reason: str, requested_by: str, occurred_at: datetime, actor: str
    ) -> None:
        self.erasure_request = ErasureRequest(
            request_id, ErasureReason(reason), requested_by, occurred_at
        )

    def approve_erasure(self, occurred_at: datetime, actor: str) -> None:
        """Four eyes: the approver is not the requester. Approving an erased journey again
        changes nothing (a retry after a lost response)."""
        if self.erased:
            return
        pending = self.erasure_request
        if pending is None:
            raise NoErasureRequested(f"journey {self.id} has no pending erasure request")
        if pending.requested_by == actor:
            raise ErasureNeedsSecondPerson(f"request {pending.request_id}")
        self._person_erased(pending.request_id, actor, self.all_contact_ids, occurred_at, actor)

    @event(PersonErased)
    def _person_erased(
        self,
        request_id: UUID,
        approved_by: str,
        contact_ids: list[UUID],
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.erased_at = occurred_at
        self.erased_by = approved_by


def _unique(codes: Sequence[str]) -> list[str]:
    """The codes in their first-given order, each once."""
    return list(dict.fromkeys(codes))


#: Every event a journey can record (for followers that read them all).
JOURNEY_EVENTS: tuple[type[Aggregate.Event], ...] = tuple(
    value
    for value in vars(Journey).values()
    if isinstance(value, type)
    and issubclass(value, Aggregate.Event)
    and value.__name__ not in ("Event", "Created")
)
