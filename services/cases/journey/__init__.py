"""Support journeys: one woman's journey with the charity, as past-tense facts.

A journey begins in one of two ways: the first contact made on a visit opens it, keyed by a
deterministic id derived from that contact's id (so however often the contact arrives there is
exactly one journey for it), or a caseworker registers a woman who arrived another way, with a
journey id the client generated. Her person id is the journey id.

Every command is a guard followed by one or more past-tense events; a rule that is broken raises
a named error (``services/cases/errors.py``) before anything is recorded. Mistakes are corrected
by new events. Each concept is a part in its own module — outreach facts, registration,
access, consent, assessment, support, appointments, referrals, a possible minor, the NRM,
closure, data rights — holding its events, commands and errors; ``Journey`` combines them, and
the library defines every part's events on it, so each is ``Journey.<Event>`` with the topic
``services.cases.journey:Journey.<Event>``.

Free text (pseudonym, notes, plan summaries) is named in each event's ``personal_fields`` and
sealed at rest under her own key; ids, codes and dates stay readable.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.cases.journey.access import Access
from services.cases.journey.appointments import Appointments
from services.cases.journey.assessment import Assessment
from services.cases.journey.base import JourneyError, JourneyFact, JourneyPart
from services.cases.journey.closure import Closure
from services.cases.journey.consent import Consents
from services.cases.journey.data_rights import DataRights
from services.cases.journey.nrm import Nrm
from services.cases.journey.outreach import ContactAlreadyRecorded, Outreach
from services.cases.journey.possible_minor import PossibleMinor
from services.cases.journey.referrals import Referrals
from services.cases.journey.registration import Registration
from services.cases.journey.support import Support
from services.cases.values import (
    Attention,
    AttentionKind,
    JourneyStatus,
    NrmPathway,
)

__all__ = [
    "STATUS_AFTER",
    "ContactAlreadyRecorded",
    "Journey",
    "JourneyError",
    "JourneyStatus",
    "ReferralStep",
    "StatusStep",
]

_JOURNEY_NAMESPACE = UUID("5d6c3c7e-6f0b-4c59-9a8e-0f4f7f1d9a11")


@functools.lru_cache(maxsize=4096)
def _journey_id_of(contact_id: UUID) -> UUID:
    # A SHA-1 per call: the consumer asks for a contact's journey id, then the library again as
    # it creates her journey; a batch's contacts are asked for together.
    return uuid5(_JOURNEY_NAMESPACE, str(contact_id))


#: What a journey held until class version 2 only to show it (the journey-detail read model
#: folds it from the events now); a snapshot taken before may still hold it.
_SHOWN_ONLY = (
    "opened_at",
    "languages",
    "last_contact_at",
    "needs",
    "needs_notes",
    "needs_assessed_at",
    "risk",
    "safety_plan",
    "returned_home_assisted",
    "closure_reason",
    "reopened_at",
    "subject_access_fulfilled_at",
)


class Journey(
    Outreach,
    Registration,
    Access,
    Assessment,
    Support,
    Appointments,
    Referrals,
    PossibleMinor,
    Nrm,
    Consents,
    Closure,
    DataRights,
    JourneyPart,
    Aggregate,
):
    #: Read by the library when it loads a snapshot: older ones are upcast (below).
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken while the journey still kept what is only shown: dropped, as the
        journey no longer keeps it up to date."""
        for name in _SHOWN_ONLY:
            state.pop(name, None)

    @staticmethod
    def create_id(contact_id: UUID) -> UUID:
        return _journey_id_of(contact_id)

    class Opened(JourneyFact, Aggregate.Created):
        """Opened for a contact met on a visit (id derived from the contact id)."""

        contact_id: UUID

    class OpenedAtRegistration(JourneyFact, Aggregate.Created):
        """Opened by a caseworker registering a woman who arrived without a visit contact."""

    @event(Opened)
    def __init__(self, occurred_at: datetime, actor: str, contact_id: UUID | None = None) -> None:
        self.contact_id = contact_id
        self.opened_by = actor
        self.status = JourneyStatus.NEW
        self.contacts = []
        self.contact_details = {}
        self.registered_at = None
        self.pseudonym = None
        self.preferred_languages = []
        self.interpreter_needed = False
        self.caseworker_id = None
        self.consents = {}
        self.safety_plans = {}
        self.goals = {}
        self.meetings = {}
        self.appointments = {}
        self.referrals = {}
        self.nrm = NrmPathway()
        self.possible_minor = False
        self.exited_at = None
        self.returned_home_at = None
        self.contact_lost_at = None
        self.closed_at = None
        self.indicators = {}
        self.concerns = {}
        self.follow_ups = {}
        self.linked_contacts = []
        self.merged_into = None
        self.last_outreach_at = None
        self._registration = None

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


#: The events that move a journey to a new status (what followers report as a status change).
StatusStep: TypeAlias = (
    Journey.AssessmentStarted
    | Journey.SupportStarted
    | Journey.CaseClosed
    | Journey.CaseReopened
    | Journey.MergedInto
)
#: The status each of them moves it to.
STATUS_AFTER: dict[type[StatusStep], JourneyStatus] = {
    Journey.AssessmentStarted: JourneyStatus.ASSESSING,
    Journey.SupportStarted: JourneyStatus.ACTIVE,
    Journey.CaseClosed: JourneyStatus.CLOSED,
    Journey.CaseReopened: JourneyStatus.ACTIVE,
    Journey.MergedInto: JourneyStatus.MERGED,
}

#: The steps a referral takes once made; each leads to the status it ``reaches``.
ReferralStep: TypeAlias = (
    Journey.ReferralAcknowledged
    | Journey.ReferralAccepted
    | Journey.ReferralDeclined
    | Journey.ReferralCompleted
    | Journey.ReferralWithdrawn
    | Journey.ReferralExpired
)
