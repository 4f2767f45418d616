"""The cases service's NATS edge: what outreach learned comes in from visits, and the steps of
her journey that other services act on go out as contracts.

Only ids, codes and dates cross: never her pseudonym, notes or plan. Each outgoing contract is
made from one committed domain event (plus, where the contract needs more, the journey as it
stood at that event's version — the same answer on every replay).
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from functools import singledispatchmethod
from typing import TypeAlias, get_args
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.cases.application import CasesApplication, JourneyNotFound
from services.cases.commands import NoteConcern, NoteFollowUp, NoteIndicator, OutreachFact
from services.cases.domain import Journey
from services.cases.errors import JourneyError
from services.cases.journey import ReferralStep, StatusStep
from services.cases.values import JourneyStatus, NrmOutcome
from shared.contracts import (
    AppointmentScheduledV1,
    BreakGlassAccessGrantedV1,
    CaseworkerAssignedV1,
    ContactLinkedToPersonV1,
    ContactMadeV1,
    FollowUpOfferedV1,
    FollowUpScheduledV1,
    IntegrationEvent,
    JourneyOpenedV1,
    JourneyStatusChangedV1,
    NrmMilestoneV1,
    PersonErasedV1,
    PersonIndicatorObservedV1,
    ReferralStatusChangedV1,
    UrgentConcernRaisedV1,
)
from shared.contracts.cases import AppointmentStatusName, NrmMilestoneName
from shared.contracts.streams import CASES_STREAM, VISITS_STREAM
from shared.messaging.consumer import Handler, Subscription, Upstream
from shared.messaging.handlers import handlers_calling
from shared.messaging.relay import Outbound, Translator
from shared.messaging.translation import contract_from

#: Events whose contract carries their own fields as recorded, with the journey's id.
CarriedAsRecorded: TypeAlias = (
    Journey.CaseworkerAssigned
    | Journey.BreakGlassAccessGranted
    | Journey.FollowUpNoted
    | Journey.PersonErased
)
#: A referral made or a step it took, each published as the status it left the referral in.
ReferralChange: TypeAlias = Journey.ReferralMade | ReferralStep
AppointmentStep: TypeAlias = (
    Journey.AppointmentScheduled
    | Journey.AppointmentMoved
    | Journey.AppointmentCancelled
    | Journey.AppointmentAttended
)
NrmDecisionReceived: TypeAlias = (
    Journey.ReasonableGroundsDecisionReceived | Journey.ConclusiveGroundsDecisionReceived
)
NrmStep: TypeAlias = (
    Journey.NrmReferralSubmitted
    | Journey.ReasonableGroundsDecisionReceived
    | Journey.RecoveryPeriodStarted
    | Journey.ConclusiveGroundsDecisionReceived
)

#: Which domain events leave the service, as which contract (also read by docs/events.md).
PUBLISHED: dict[type[object], type[IntegrationEvent]] = {
    Journey.Opened: JourneyOpenedV1,
    Journey.OpenedAtRegistration: JourneyOpenedV1,
    Journey.CaseworkerAssigned: CaseworkerAssignedV1,
    Journey.BreakGlassAccessGranted: BreakGlassAccessGrantedV1,
    Journey.FollowUpNoted: FollowUpScheduledV1,
    **dict.fromkeys(get_args(ReferralChange), ReferralStatusChangedV1),
    **dict.fromkeys(get_args(AppointmentStep), AppointmentScheduledV1),
    **dict.fromkeys(get_args(NrmStep), NrmMilestoneV1),
    **dict.fromkeys(get_args(StatusStep), JourneyStatusChangedV1),
    Journey.PersonErased: PersonErasedV1,
}


def outbound(app: CasesApplication) -> Outbound:
    return Outbound(CASES_STREAM, translator(app), tuple(PUBLISHED))


def translator(app: CasesApplication) -> Translator:
    return JourneyContracts(app).translate


_APPOINTMENT_STATUS: dict[type[object], AppointmentStatusName] = {
    Journey.AppointmentScheduled: "scheduled",
    Journey.AppointmentMoved: "moved",
    Journey.AppointmentCancelled: "cancelled",
    Journey.AppointmentAttended: "attended",
}

#: Which milestone an NRM decision is, by its stage and outcome.
_DECISION_MILESTONE: dict[tuple[type[object], NrmOutcome], NrmMilestoneName] = {
    (Journey.ReasonableGroundsDecisionReceived, NrmOutcome.POSITIVE): "reasonable_grounds_positive",
    (Journey.ReasonableGroundsDecisionReceived, NrmOutcome.NEGATIVE): "reasonable_grounds_negative",
    (Journey.ConclusiveGroundsDecisionReceived, NrmOutcome.POSITIVE): "conclusive_grounds_positive",
    (Journey.ConclusiveGroundsDecisionReceived, NrmOutcome.NEGATIVE): "conclusive_grounds_negative",
}


class JourneyContracts:
    """Each published journey event as its contract; None for an event that stays inside."""

    def __init__(self, app: CasesApplication) -> None:
        self.app = app

    def journey_at(self, event: DomainEventProtocol[UUID]) -> Journey:
        """The journey as it stood at the event: the same answer on every replay."""
        journey: Journey = self.app.repository.get(
            event.originator_id, version=event.originator_version
        )
        return journey

    @singledispatchmethod
    def translate(self, event: DomainEventProtocol[UUID]) -> IntegrationEvent | None:
        return None

    @translate.register
    def _opened(self, event: Journey.Opened | Journey.OpenedAtRegistration) -> JourneyOpenedV1:
        # Opened at registration, the journey has no contact: the contract's is then null.
        return contract_from(
            JourneyOpenedV1, event, journey_id=event.originator_id, opened_at=event.occurred_at
        )

    @translate.register
    def _as_recorded(self, event: CarriedAsRecorded) -> IntegrationEvent:
        return contract_from(PUBLISHED[type(event)], event, journey_id=event.originator_id)

    @translate.register
    def _referral_status(self, event: ReferralChange) -> ReferralStatusChangedV1:
        journey = self.journey_at(event)
        referral = journey.referrals[event.referral_id]
        return contract_from(
            ReferralStatusChangedV1,
            event,
            journey_id=journey.id,
            partner=referral.partner,
            status=referral.status.value,
            respond_by=referral.respond_by,
        )

    @translate.register
    def _appointment(self, event: AppointmentStep) -> AppointmentScheduledV1:
        journey = self.journey_at(event)
        appointment = journey.appointments[event.appointment_id]
        return contract_from(
            AppointmentScheduledV1,
            event,
            journey_id=journey.id,
            kind=appointment.kind,
            status=_APPOINTMENT_STATUS[type(event)],
            at=appointment.at,
        )

    @translate.register
    def _nrm_submitted(self, event: Journey.NrmReferralSubmitted) -> NrmMilestoneV1:
        return _milestone(event, "referral_submitted", event.submitted_on)

    @translate.register
    def _recovery_period(self, event: Journey.RecoveryPeriodStarted) -> NrmMilestoneV1:
        return _milestone(event, "recovery_period_started", event.starts_on, event.ends_on)

    @translate.register
    def _decision(self, event: NrmDecisionReceived) -> NrmMilestoneV1:
        milestone = _DECISION_MILESTONE[type(event), NrmOutcome(event.outcome)]
        return _milestone(event, milestone, event.decided_on)

    @translate.register
    def _assessing(self, event: Journey.AssessmentStarted) -> JourneyStatusChangedV1:
        return _status(event, JourneyStatus.ASSESSING.value)

    @translate.register
    def _active(self, event: Journey.SupportStarted) -> JourneyStatusChangedV1:
        return _status(event, JourneyStatus.ACTIVE.value)

    @translate.register
    def _closed(self, event: Journey.CaseClosed) -> JourneyStatusChangedV1:
        return _status(event, JourneyStatus.CLOSED.value, event.reason)

    @translate.register
    def _reopened(self, event: Journey.CaseReopened) -> JourneyStatusChangedV1:
        # The journey is active again; the contract names the step so consumers can tell.
        return _status(event, "reopened", event.reason)

    @translate.register
    def _merged(self, event: Journey.MergedInto) -> JourneyStatusChangedV1:
        return _status(event, JourneyStatus.MERGED.value)


def _milestone(
    event: NrmStep, milestone: NrmMilestoneName, on: date, until: date | None = None
) -> NrmMilestoneV1:
    return contract_from(
        NrmMilestoneV1,
        event,
        journey_id=event.originator_id,
        milestone=milestone,
        on=on,
        until=until,
    )


def _status(event: StatusStep, status: str, reason: str | None = None) -> JourneyStatusChangedV1:
    return contract_from(
        JourneyStatusChangedV1, event, journey_id=event.originator_id, status=status, reason=reason
    )


#: What outreach learns about her on a visit, by the contract visits publishes it as.
OUTREACH_FACTS: dict[type[IntegrationEvent], type[OutreachFact]] = {
    PersonIndicatorObservedV1: NoteIndicator,
    UrgentConcernRaisedV1: NoteConcern,
    FollowUpOfferedV1: NoteFollowUp,
}


def noting(
    app: CasesApplication, kind: type[IntegrationEvent], fact: type[OutreachFact]
) -> Handler:
    """A handler that records each message of ``kind`` as its fact. A field of the fact the
    contract lacks is found here, when the subscription is built, not on the first message."""
    missing = [f.name for f in fields(fact) if f.name not in kind.model_fields]
    if missing:
        raise TypeError(f"{kind.__name__} has no {', '.join(missing)} for {fact.__name__}")

    def handle(message: IntegrationEvent, upstream: Upstream) -> None:
        app.note_from_outreach(fact.from_contract(message), upstream)

    return handle


def inbound(app: CasesApplication) -> Subscription:
    return Subscription(
        application=app,
        durable="cases-from-visits",
        stream=VISITS_STREAM,
        handlers={
            **handlers_calling(
                {
                    ContactMadeV1: app.record_contact_from_visit,
                    ContactLinkedToPersonV1: app.link_contact_to_person,
                }
            ),
            **{kind: noting(app, kind, fact) for kind, fact in OUTREACH_FACTS.items()},
        },
        # A rule of the journey (e.g. a link to an unregistered or unknown person) can never be
        # applied by retrying: such a message is dead-lettered with the error's name.
        permanent_errors=(JourneyError, JourneyNotFound),
        prepare=app.expect_from_outreach,
    )
