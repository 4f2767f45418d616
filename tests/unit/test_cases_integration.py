"""The cases service's NATS edge, without NATS: journey events out as contracts, visits
contracts in as commands — each once, and nothing personal on the bus."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import get_args
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.cases.application import CasesApplication, JourneyNotFound
from services.cases.commands import (
    AssessNeeds,
    AssignCaseworker,
    CloseJourney,
    DeclineReferral,
    JourneyCommand,
    MarkPossibleMinor,
    MoveAppointment,
    NoteFollowUp,
    NoteIndicator,
    RecordConclusiveGrounds,
    RecordNrmReferral,
    RecordReasonableGrounds,
    Register,
    ReopenJourney,
    StartRecoveryPeriod,
)
from services.cases.domain import Journey
from services.cases.errors import JourneyError
from services.cases.integration import PUBLISHED, JourneyContracts, inbound, noting, translator
from services.cases.values import (
    DecisionSource,
    DeclineReason,
    IndicatorSource,
    NrmOutcome,
    ReferralStatus,
    ReopenReason,
)
from shared.contracts import (
    AppointmentScheduledV1,
    CaseworkerAssignedV1,
    ContactLinkedToPersonV1,
    ContactMadeV1,
    FollowUpOfferedV1,
    IntegrationEvent,
    JourneyOpenedV1,
    JourneyStatusChangedV1,
    NrmMilestoneV1,
    PersonIndicatorObservedV1,
    ReferralStatusChangedV1,
    UrgentConcernRaisedV1,
)
from shared.contracts.base import as_contract_types
from shared.contracts.cases import ReferralStatusName
from shared.contracts.envelope import decode
from shared.messaging.relay import as_contracts
from tests.support import gp_appointment, housing_referral, on_the_wire, register_journey
from tests.unit.conftest import AppFactory
from tests.unit.test_cases_read_models import referrals_taking_every_step

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
D0 = T0.date()
CW = "cw-1"
SECRET = "Pseudo-Marker-42"


@pytest.fixture
def cases(app_for: AppFactory) -> CasesApplication:
    app, _ = app_for(CasesApplication)
    return app


def published(cases: CasesApplication) -> list[IntegrationEvent]:
    translate = translator(cases)
    contracts = []
    for notification in cases.recorder.select_notifications(start=1, limit=1000):
        event = cases.mapper.to_domain_event(notification)
        contract = translate(event)
        # Exactly the declared contract (docs/events.md is generated from PUBLISHED), or none.
        declared = as_contract_types(PUBLISHED.get(type(event)))
        assert tuple(type(c) for c in as_contracts(contract)) == declared, type(event).__name__
        if contract is not None:
            # What the relay would put on the bus, decoded as a consumer would.
            wire = on_the_wire(contract, event, notification.id, "cases")
            assert SECRET.encode() not in wire
            assert decode(wire).event == contract
            contracts.append(contract)
    return contracts


def a_whole_journey(cases: CasesApplication) -> UUID:
    """Her journey from registration through referral, appointment and NRM to closing and
    reopening: each step done by her caseworker, in this order."""
    journey_id = register_journey(cases, SECRET, T0, actor=CW)
    referral_id, appointment_id = uuid4(), uuid4()
    steps: list[JourneyCommand] = [
        AssignCaseworker(caseworker_id="cw-1", occurred_at=T0),
        AssessNeeds(needs=["housing"], notes=SECRET, occurred_at=T0),
        housing_referral(
            referral_id=referral_id, respond_by=T0 + timedelta(days=14), occurred_at=T0
        ),
        DeclineReferral(referral_id=referral_id, reason=DeclineReason.NO_CAPACITY, occurred_at=T0),
        gp_appointment(
            at=T0 + timedelta(days=3),
            occurred_at=T0,
            appointment_id=appointment_id,
            accompanied=True,
        ),
        MoveAppointment(appointment_id=appointment_id, at=T0 + timedelta(days=4), occurred_at=T0),
        MarkPossibleMinor(occurred_at=T0),
        RecordNrmReferral(
            partner="salvation_army", submitted_on=D0, consent_id=None, occurred_at=T0
        ),
        RecordReasonableGrounds(
            outcome=NrmOutcome.POSITIVE,
            decided_on=D0,
            learned_on=D0,
            source=DecisionSource.FIRST_RESPONDER,
            occurred_at=T0,
        ),
        StartRecoveryPeriod(starts_on=D0, ends_on=D0 + timedelta(days=45), occurred_at=T0),
        RecordConclusiveGrounds(
            outcome=NrmOutcome.NEGATIVE,
            decided_on=date(2027, 9, 1),
            learned_on=date(2027, 9, 3),
            source=DecisionSource.SOLICITOR,
            occurred_at=datetime(2027, 9, 3, 9, 0, tzinfo=UTC),
        ),
        CloseJourney(reason="moved", occurred_at=T0),
        ReopenJourney(reason=ReopenReason.SHE_RETURNED, occurred_at=T0),
    ]
    for step in steps:
        cases.do(journey_id, step, actor=CW)
    return journey_id


def test_each_published_step_becomes_its_contract_with_ids_and_codes_only(
    cases: CasesApplication,
) -> None:
    journey_id = a_whole_journey(cases)
    contracts = published(cases)
    assert [type(c).__name__ for c in contracts] == [
        "JourneyOpenedV1",
        "CaseworkerAssignedV1",
        "JourneyStatusChangedV1",
        "ReferralStatusChangedV1",
        "JourneyStatusChangedV1",
        "ReferralStatusChangedV1",
        "AppointmentScheduledV1",
        "AppointmentScheduledV1",
        "NrmMilestoneV1",
        "NrmMilestoneV1",
        "NrmMilestoneV1",
        "NrmMilestoneV1",
        "JourneyStatusChangedV1",
        "JourneyStatusChangedV1",
    ]
    opened = contracts[0]
    assert isinstance(opened, JourneyOpenedV1)
    assert opened.journey_id == journey_id and opened.contact_id is None
    assigned = contracts[1]
    assert isinstance(assigned, CaseworkerAssignedV1) and assigned.caseworker_id == "cw-1"
    statuses = [c for c in contracts if isinstance(c, JourneyStatusChangedV1)]
    assert [(s.status, s.reason) for s in statuses] == [
        ("assessing", None),
        ("active", None),
        ("closed", "moved"),
        ("reopened", "she_returned"),
    ]
    referrals = [c for c in contracts if isinstance(c, ReferralStatusChangedV1)]
    assert [(r.status, r.partner) for r in referrals] == [
        ("made", "housing_charity"),
        ("declined", "housing_charity"),
    ]
    appointments = [c for c in contracts if isinstance(c, AppointmentScheduledV1)]
    assert [(a.status, a.kind, a.at) for a in appointments] == [
        ("scheduled", "gp", T0 + timedelta(days=3)),
        ("moved", "gp", T0 + timedelta(days=4)),
    ]
    milestones = [c for c in contracts if isinstance(c, NrmMilestoneV1)]
    assert [(m.milestone, m.on, m.until) for m in milestones] == [
        ("referral_submitted", D0, None),
        ("reasonable_grounds_positive", D0, None),
        ("recovery_period_started", D0, D0 + timedelta(days=45)),
        ("conclusive_grounds_negative", date(2027, 9, 1), None),
    ]
    assert all(c.recorded_at > T0 for c in contracts)  # type: ignore[attr-defined]


def test_a_contact_journey_and_a_merge_are_published(cases: CasesApplication) -> None:
    person_id = uuid4()
    cases.register_person(
        person_id,
        Register(pseudonym="R-1", preferred_languages=[], interpreter_needed=False, occurred_at=T0),
        actor=CW,
    )
    contact_id = uuid4()
    cases.record_contact_from_visit(contact_id, uuid4(), "ro", T0, Tracking("visits", 1))
    cases.link_contact_to_person(uuid4(), contact_id, person_id, T0, Tracking("visits", 2))
    contracts = published(cases)
    opened = [c for c in contracts if isinstance(c, JourneyOpenedV1)]
    assert [o.contact_id for o in opened] == [None, contact_id]
    merged = [c for c in contracts if isinstance(c, JourneyStatusChangedV1)]
    assert [(m.journey_id, m.status) for m in merged] == [(Journey.create_id(contact_id), "merged")]


def test_each_referral_step_is_published_as_the_status_it_leads_to(
    cases: CasesApplication,
) -> None:
    taken = referrals_taking_every_step(cases, register_journey(cases, "R-1", T0, actor=CW), T0)
    contracts = [c for c in published(cases) if isinstance(c, ReferralStatusChangedV1)]
    assert {r: [c.status for c in contracts if c.referral_id == r] for r in taken} == taken
    assert {(c.partner, c.respond_by) for c in contracts} == {
        ("housing_charity", T0 + timedelta(days=1))
    }


def test_the_contract_names_each_referral_status_as_the_journey_does() -> None:
    assert [s.value for s in ReferralStatus] == list(get_args(ReferralStatusName))


def message_kwargs() -> dict[str, object]:
    return {"occurred_at": T0, "recorded_at": T0}


def test_the_consumer_takes_every_visits_contract_cases_needs(cases: CasesApplication) -> None:
    subscription = inbound(cases)
    assert set(subscription.handlers) == {
        ContactMadeV1,
        PersonIndicatorObservedV1,
        UrgentConcernRaisedV1,
        FollowUpOfferedV1,
        ContactLinkedToPersonV1,
    }
    assert JourneyError in subscription.permanent_errors
    assert JourneyNotFound in subscription.permanent_errors
    person_id = uuid4()
    cases.register_person(
        person_id,
        Register(pseudonym="R-1", preferred_languages=[], interpreter_needed=False, occurred_at=T0),
        actor=CW,
    )
    contact_id, visit_id = uuid4(), uuid4()
    messages: list[IntegrationEvent] = [
        ContactMadeV1(contact_id=contact_id, visit_id=visit_id, language="ro", **message_kwargs()),
        PersonIndicatorObservedV1(
            observation_id=uuid4(),
            visit_id=visit_id,
            contact_id=contact_id,
            indicator="possible_under_18",
            source="observed",
            **message_kwargs(),
        ),
        UrgentConcernRaisedV1(
            concern_id=uuid4(),
            visit_id=visit_id,
            contact_id=contact_id,
            concern="held_against_will",
            **message_kwargs(),
        ),
        FollowUpOfferedV1(
            follow_up_id=uuid4(),
            visit_id=visit_id,
            contact_id=contact_id,
            kind="coffee",
            due_at=T0 + timedelta(days=2),
            **message_kwargs(),
        ),
        ContactLinkedToPersonV1(
            visit_id=visit_id, contact_id=contact_id, person_id=person_id, **message_kwargs()
        ),
    ]
    for position, message in enumerate(messages, start=1):
        for _ in range(2):  # a redelivery changes nothing
            subscription.handlers[type(message)](message, Tracking("visits", position))
    person = cases.get_journey(person_id)
    assert person.possible_minor and person.concerns and person.follow_ups and person.indicators
    assert person.linked_contacts == [(visit_id, contact_id)]
    assert cases.get_journey(Journey.create_id(contact_id)).merged_into == person_id
    assert person.version == 7  # opened, registered, linked, contact, indicator, concern, follow-up


def test_every_published_event_has_its_own_translation() -> None:
    dispatcher = JourneyContracts.__dict__["translate"].dispatcher
    fallback = dispatcher.registry[object]
    assert [e.__qualname__ for e in PUBLISHED if dispatcher.dispatch(e) is fallback] == []


def test_a_batch_from_visits_finds_its_unopened_journeys_at_once_and_applies_once(
    cases: CasesApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscription = inbound(cases)
    assert subscription.prepare is not None
    known = uuid4()  # a contact whose journey an earlier batch opened
    subscription.handlers[ContactMadeV1](
        ContactMadeV1(contact_id=known, visit_id=uuid4(), language="ro", **message_kwargs()),
        Tracking("visits", 1),
    )
    new = [uuid4(), uuid4()]
    messages: list[IntegrationEvent] = [
        ContactMadeV1(contact_id=c, visit_id=uuid4(), language="ro", **message_kwargs())
        for c in (*new, known)
    ]
    messages.append(
        FollowUpOfferedV1(
            follow_up_id=uuid4(),
            visit_id=uuid4(),
            contact_id=new[0],
            kind="coffee",
            due_at=T0 + timedelta(days=2),
            **message_kwargs(),
        )
    )
    reads: list[UUID] = []
    read = cases.events.get

    def counted(originator_id: UUID, *args: object, **kwargs: object) -> object:
        reads.append(originator_id)
        return read(originator_id, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cases.events, "get", counted)

    def apply_batch() -> None:
        with cases.applying_together("visits", [2, 3, 4, 5]):
            subscription.prepare([*messages])  # type: ignore[misc]
            for position, message in enumerate(messages, start=2):
                subscription.handlers[type(message)](message, Tracking("visits", position))

    apply_batch()
    # Only the journey that was already open is read; the new ones are known to be new.
    assert reads == [Journey.create_id(known)]
    apply_batch()  # redelivered: nothing more is stored
    assert cases.max_notification_id() == 2 + 2 * 2 + 1 + 1
    assert cases.get_journey(Journey.create_id(new[0])).follow_ups
    assert len(cases.get_journey(Journey.create_id(known)).contacts) == 2


def test_an_indicator_from_visits_keeps_its_source_as_the_journey_s_value() -> None:
    message = PersonIndicatorObservedV1(
        observation_id=uuid4(),
        visit_id=uuid4(),
        contact_id=uuid4(),
        indicator="escorted",
        source="third_party",
        **message_kwargs(),
    )
    fact = NoteIndicator.from_contract(message)
    assert type(fact.source) is IndicatorSource and fact.source is IndicatorSource.THIRD_PARTY
    assert (fact.contact_id, fact.visit_id) == (message.contact_id, message.visit_id)


def test_a_contract_without_a_field_of_its_fact_stops_the_consumer_being_built(
    cases: CasesApplication,
) -> None:
    with pytest.raises(TypeError, match=r"ContactLinkedToPersonV1 has no .*follow_up_id"):
        noting(cases, ContactLinkedToPersonV1, NoteFollowUp)
