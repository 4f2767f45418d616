"""The visits application on a real store (SQLite; PostgreSQL in the [postgres] variants)."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from services.visits.application import (
    CompletedVisit,
    ContactInput,
    ContactNotFound,
    FollowUpInput,
    IdempotencyKeyReused,
    PersonIndicatorInput,
    PremisesConflict,
    PremisesIndicatorInput,
    PremisesNotFound,
    RegisterPremises,
    UnknownPremises,
    UrgentConcernInput,
    VisitConflict,
    VisitNotFound,
    VisitsApplication,
)
from services.visits.commands import (
    AddContact,
    CompleteVisit,
    CorrectAlias,
    CorrectPremises,
    LinkContactToPerson,
    ObservePersonIndicator,
    ObservePremisesIndicator,
    OfferFollowUp,
    RaiseUrgentConcern,
    ResolveUrgentConcern,
)
from services.visits.domain import Visit
from services.visits.errors import DuplicateContact, VisitAlreadyCompleted
from services.visits.integration import PUBLISHED, VisitContracts, translator
from services.visits.queries.premises_history.projection import PremisesHistory
from shared.contracts import VisitCompletedV1
from shared.contracts.base import as_contract_types
from shared.errors import VersionMismatch
from shared.messaging.relay import as_contracts
from shared.reference import UnknownCode
from shared.runtime import open_stores
from shared.settings import ServiceName
from shared.storage.personal_data import ERASED
from tests.support import forget_projection, make_settings, on_the_wire, west_visit
from tests.unit.conftest import AppFactory

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def completed_visit(contacts: int = 2) -> CompletedVisit:
    return west_visit(
        T0,
        [
            ContactInput(uuid4(), f"Alias {n}", "ro", T0 + timedelta(minutes=n))
            for n in range(contacts)
        ],
    )


def rich_visit(premises_id: UUID | None = None, completed: bool = True) -> CompletedVisit:
    """Everything a visit can carry, posted in one go."""
    contact_id = uuid4()
    at = T0 + timedelta(minutes=10)
    return CompletedVisit(
        visit_id=uuid4(),
        premises_id=premises_id,
        premises_label=None if premises_id else "P-12",
        team="west",
        volunteers=("v-1", "v-2"),
        languages_offered=("ro", "en"),
        started_at=T0,
        completed_at=T0 + timedelta(hours=1) if completed else None,
        outcome="conversation" if completed else None,
        contacts=(
            ContactInput(
                contact_id=contact_id,
                alias="Secret-alias-7f3a",
                language="ro",
                occurred_at=at,
                other_languages=("ru",),
                bridging_volunteer="v-2",
                materials=("contact_card", "gift"),
                indicators=(PersonIndicatorInput(uuid4(), "debt_bondage", "disclosed", at),),
                follow_ups=(FollowUpInput(uuid4(), "coffee", T0 + timedelta(days=3), at),),
                linked_person_id=uuid4(),
            ),
        ),
        premises_indicators=(PremisesIndicatorInput(uuid4(), "living_on_site", "observed", at),),
        urgent_concerns=(
            UrgentConcernInput(uuid4(), "possible_minor", contact_id, "Secret-details-9c1e", at),
            UrgentConcernInput(uuid4(), "violence", None, "Secret-visit-details-4b2d", at),
        ),
    )


def recorded_with_a_secret_alias(app: VisitsApplication) -> CompletedVisit:
    """A rich visit recorded at registered premises, its first contact's alias then corrected
    to another secret."""
    premises = premises_command()
    app.register_premises(premises, "v-1")
    command = rich_visit(premises_id=premises.premises_id)
    app.record_visit(command, "v-1")
    contact_id = command.contacts[0].contact_id
    app.do(command.visit_id, CorrectAlias(contact_id, "Secret-corrected-1d2e", T0), actor="v-1")
    return command


def shifted(
    command: CompletedVisit, delta: timedelta, premises_id: UUID | None = None
) -> CompletedVisit:
    """The same visit, every time moved by ``delta`` (and to a registered premises if given)."""

    def move(value: datetime) -> datetime:
        return value + delta

    if premises_id is not None:
        command = replace(command, premises_id=premises_id, premises_label=None)
    return replace(
        command,
        started_at=move(command.started_at),
        completed_at=None if command.completed_at is None else move(command.completed_at),
        contacts=tuple(
            replace(
                c,
                occurred_at=move(c.occurred_at),
                indicators=tuple(replace(i, occurred_at=move(i.occurred_at)) for i in c.indicators),
                follow_ups=tuple(
                    replace(f, occurred_at=move(f.occurred_at), due_at=move(f.due_at))
                    for f in c.follow_ups
                ),
            )
            for c in command.contacts
        ),
        premises_indicators=tuple(
            replace(o, occurred_at=move(o.occurred_at)) for o in command.premises_indicators
        ),
        urgent_concerns=tuple(
            replace(c, occurred_at=move(c.occurred_at)) for c in command.urgent_concerns
        ),
    )


def premises_command(**changes: object) -> RegisterPremises:
    command = RegisterPremises(
        uuid4(), "Secret-label-5e6f", "soho", "flat", T0 - timedelta(days=30)
    )
    return replace(command, **changes)  # type: ignore[arg-type]


@pytest.fixture
def visits(app_for: AppFactory) -> VisitsApplication:
    app, _ = app_for(VisitsApplication)
    return app


@pytest.fixture
def visits_and_history(app_for: AppFactory):
    app, stores = app_for(VisitsApplication)
    yield app, PremisesHistory(app, stores.views, stores.positions)


# -- a visit in one go ----------------------------------------------------------------------


def test_given_a_completed_visit_when_recorded_then_started_contacts_completed(visits) -> None:
    command = completed_visit(contacts=2)
    outcome = visits.record_visit(command, actor="v-1")
    assert outcome.created and outcome.visit.version == 4
    stored = visits.get_visit(command.visit_id)
    assert CompletedVisit.of(stored) == command.resolved()
    assert [c.alias for c in stored.contacts] == ["Alias 0", "Alias 1"]
    assert stored.outcome == "brief_contact"


def test_given_a_visit_with_everything_when_recorded_then_every_fact_is_an_event(visits) -> None:
    command = rich_visit()
    outcome = visits.record_visit(command, actor="v-1")
    assert outcome.created and outcome.visit.version == command.event_count() == 9
    stored = visits.get_visit(command.visit_id)
    assert CompletedVisit.of(stored) == command
    contact = stored.contacts[0]
    assert contact.alias == "Secret-alias-7f3a" and contact.bridging_volunteer == "v-2"
    assert contact.person_id == command.contacts[0].linked_person_id
    assert [c.details for c in stored.urgent_concerns] == [
        "Secret-details-9c1e",
        "Secret-visit-details-4b2d",
    ]
    assert stored.outcome == "conversation"


def test_given_a_recorded_visit_when_the_same_post_is_retried_then_nothing_new(visits) -> None:
    command = rich_visit()
    visits.record_visit(command, actor="v-1")
    before = visits.max_notification_id()
    again = visits.record_visit(command, actor="v-1")
    assert not again.created and again.visit.id == command.visit_id
    assert visits.max_notification_id() == before


def test_given_a_recorded_visit_when_its_id_is_reused_for_other_content_then_conflict(
    visits,
) -> None:
    command = rich_visit()
    visits.record_visit(command, actor="v-1")
    before = visits.max_notification_id()
    with pytest.raises(VisitConflict):
        visits.record_visit(replace(command, team="east"), actor="v-1")
    with pytest.raises(VisitConflict):
        visits.record_visit(replace(command, urgent_concerns=()), actor="v-1")
    assert visits.max_notification_id() == before


def test_given_an_idempotency_key_when_retried_then_the_original_is_returned(visits) -> None:
    command = completed_visit()
    visits.record_visit(command, actor="v-1", idempotency_key="k-1")
    before = visits.max_notification_id()
    again = visits.record_visit(command, actor="v-1", idempotency_key="k-1")
    assert not again.created and visits.max_notification_id() == before


def test_given_an_idempotency_key_when_reused_for_another_visit_then_refused(visits) -> None:
    visits.record_visit(completed_visit(), actor="v-1", idempotency_key="k-2")
    before = visits.max_notification_id()
    with pytest.raises(IdempotencyKeyReused):
        visits.record_visit(completed_visit(), actor="v-1", idempotency_key="k-2")
    assert visits.max_notification_id() == before


def test_given_an_unknown_visit_when_read_then_not_found(visits) -> None:
    with pytest.raises(VisitNotFound):
        visits.get_visit(uuid4())


def test_given_racing_retries_of_one_post_then_exactly_one_records_it(visits) -> None:
    command = completed_visit(contacts=3)
    outcomes, errors = [], []

    def post() -> None:
        try:
            outcomes.append(visits.record_visit(command, actor="v-1", idempotency_key="race"))
        except Exception as error:  # noqa: BLE001 - collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(outcome.created for outcome in outcomes) == 1
    assert visits.max_notification_id() == 1 + 3 + 1 + 1  # started, contacts, completed, claim


def test_given_a_visit_when_a_later_correction_was_made_then_a_retry_is_still_recognised(
    visits,
) -> None:
    command = rich_visit()
    visits.record_visit(command, actor="v-1")
    contact_id = command.contacts[0].contact_id
    visits.do(
        command.visit_id, CorrectAlias(contact_id, "Corrected", T0 + timedelta(hours=2)), actor="v"
    )
    before = visits.max_notification_id()
    again = visits.record_visit(command, actor="v-1")
    assert not again.created and again.visit.contacts[0].alias == "Corrected"
    assert visits.max_notification_id() == before


# -- unknown codes: refused, naming the field, recording nothing ----------------------------


def first_contact(command: CompletedVisit, **changes: Any) -> CompletedVisit:
    """The visit with its (only) contact changed."""
    return replace(command, contacts=(replace(command.contacts[0], **changes),))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: replace(c, languages_offered=("ro", "xx")), "body.languages_offered.1"),
        (lambda c: replace(c, outcome="went_well"), "body.outcome"),
        (lambda c: first_contact(c, materials=("gift", "cash")), "body.contacts.0.materials.1"),
        (
            lambda c: first_contact(
                c, indicators=(replace(c.contacts[0].indicators[0], indicator="rich"),)
            ),
            "body.contacts.0.indicators.0.indicator",
        ),
        (
            lambda c: first_contact(
                c, follow_ups=(replace(c.contacts[0].follow_ups[0], kind="dinner"),)
            ),
            "body.contacts.0.follow_up.kind",
        ),
        (
            lambda c: replace(
                c, premises_indicators=(replace(c.premises_indicators[0], indicator="possible"),)
            ),
            "body.premises_indicators.0.indicator",
        ),
        (
            lambda c: replace(
                c,
                urgent_concerns=(
                    c.urgent_concerns[0],
                    replace(c.urgent_concerns[1], concern="possible_under_18"),
                ),
            ),
            "body.urgent_concerns.1.concern",
        ),
    ],
)
def test_given_an_unknown_code_when_recorded_then_refused_naming_the_field(
    visits, change, field: str
) -> None:
    command = change(rich_visit())
    with pytest.raises(UnknownCode) as refused:
        visits.record_visit(command, actor="v-1")
    assert refused.value.field == field
    assert visits.max_notification_id() == 0


def test_given_an_open_visit_when_a_step_has_an_unknown_code_then_refused_naming_it(
    visits,
) -> None:
    command = rich_visit(completed=False)
    visits.record_visit(command, actor="v-1")
    before = visits.max_notification_id()
    contact_id = command.contacts[0].contact_id
    observation = PersonIndicatorInput(uuid4(), "possible_minor", "observed", T0)
    with pytest.raises(UnknownCode) as refused:
        visits.do(command.visit_id, ObservePersonIndicator(contact_id, observation), actor="v")
    assert refused.value.field == "body.indicator"
    with pytest.raises(UnknownCode) as refused:
        visits.do(command.visit_id, CompleteVisit(T0 + timedelta(hours=1), "lovely"), actor="v")
    assert refused.value.field == "body.outcome"
    assert visits.max_notification_id() == before


# -- premises -------------------------------------------------------------------------------


def test_given_a_premises_when_registered_then_retried_then_conflicting_then_read(visits) -> None:
    command = premises_command()
    created = visits.register_premises(command, "v-1")
    assert created.changed and created.premises.version == 1
    assert not visits.register_premises(command, "v-2").changed
    with pytest.raises(PremisesConflict):
        visits.register_premises(replace(command, area="mayfair"), "v-1")
    premises = visits.get_premises(command.premises_id)
    assert (premises.label, premises.area, premises.premises_type) == (
        "Secret-label-5e6f",
        "soho",
        "flat",
    )
    with pytest.raises(PremisesNotFound):
        visits.get_premises(uuid4())


def test_given_unknown_area_or_type_when_registered_then_refused(visits) -> None:
    with pytest.raises(UnknownCode) as refused:
        visits.register_premises(premises_command(area="narnia"), "v-1")
    assert refused.value.field == "body.area"
    with pytest.raises(UnknownCode) as refused:
        visits.register_premises(premises_command(premises_type="castle"), "v-1")
    assert refused.value.field == "body.premises_type"
    assert visits.max_notification_id() == 0


def test_given_a_premises_when_its_label_is_corrected_then_history_shows_both(visits) -> None:
    command = premises_command()
    visits.register_premises(command, "v-1")
    corrected = visits.correct_premises_label(command.premises_id, "Flat 9", T0, "v-2", {1})
    assert corrected.changed and corrected.premises.label == "Flat 9"
    again = visits.correct_premises_label(command.premises_id, "Flat 9", T0, "v-2", {1})
    assert not again.changed and again.premises.version == 2  # already so: not stale
    with pytest.raises(VersionMismatch):
        visits.correct_premises_label(command.premises_id, "Flat 10", T0, "v-2", {1})
    history = visits.premises_events(command.premises_id)
    assert [(e.event, e.data["label"]) for e in history] == [
        ("Premises.Registered", "Secret-label-5e6f"),
        ("Premises.LabelCorrected", "Flat 9"),
    ]


def test_given_ids_of_other_aggregates_then_they_are_not_visits_or_premises(visits) -> None:
    premises = premises_command()
    visits.register_premises(premises, "v-1")
    visit = completed_visit()
    visits.record_visit(visit, "v-1")
    with pytest.raises(VisitNotFound):
        visits.get_visit(premises.premises_id)
    with pytest.raises(PremisesNotFound):
        visits.get_premises(visit.visit_id)
    with pytest.raises(VisitConflict):
        visits.record_visit(replace(completed_visit(), visit_id=premises.premises_id), "v-1")
    with pytest.raises(PremisesConflict):
        visits.register_premises(replace(premises, premises_id=visit.visit_id), "v-1")


def test_given_an_unregistered_premises_id_when_a_visit_names_it_then_refused(visits) -> None:
    with pytest.raises(UnknownPremises) as refused:
        visits.record_visit(rich_visit(premises_id=uuid4()), "v-1")
    assert refused.value.field == "body.premises_id"
    assert visits.max_notification_id() == 0


# -- step by step ---------------------------------------------------------------------------


def test_given_an_open_visit_when_steps_are_recorded_then_each_is_an_event(visits) -> None:
    started = visits.record_visit(
        replace(completed_visit(contacts=0), completed_at=None), actor="v-1"
    )
    visit_id = started.visit.id
    assert started.visit.completed_at is None and started.visit.version == 1
    contact_id, person_id, at = uuid4(), uuid4(), T0 + timedelta(minutes=5)
    contact = ContactInput(contact_id, "Ana", "ro", at, materials=("gift",))
    premises_observation = PremisesIndicatorInput(uuid4(), "controller_present", "observed", at)
    person_observation = PersonIndicatorInput(uuid4(), "escorted", "observed", at)
    follow_up = FollowUpInput(uuid4(), "coffee", at + timedelta(days=1), at)
    concern = UrgentConcernInput(uuid4(), "medical_emergency", contact_id, None, at)
    steps = [
        lambda: visits.do(visit_id, AddContact(contact), actor="v-1"),
        lambda: visits.do(visit_id, ObservePremisesIndicator(premises_observation), actor="v-1"),
        lambda: visits.do(
            visit_id, ObservePersonIndicator(contact_id, person_observation), actor="v"
        ),
        lambda: visits.do(visit_id, OfferFollowUp(contact_id, follow_up), actor="v-1"),
        lambda: visits.do(visit_id, RaiseUrgentConcern(concern), actor="v-1"),
        lambda: visits.do(visit_id, ResolveUrgentConcern(concern.concern_id, at), actor="lead-1"),
        lambda: visits.do(visit_id, CompleteVisit(T0 + timedelta(hours=1), None), actor="v-1"),
        lambda: visits.do(visit_id, CorrectAlias(contact_id, "Anna", at), actor="v-2"),
        lambda: visits.do(visit_id, LinkContactToPerson(contact_id, person_id, at), actor="cw-1"),
    ]
    for version, step in enumerate(steps, start=2):
        outcome = step()
        assert outcome.changed and outcome.visit.version == version
        before = visits.max_notification_id()
        retried = step()  # the phone never heard the answer and sends it again
        assert not retried.changed and retried.visit.version == version
        assert visits.max_notification_id() == before
    visit = visits.get_visit(visit_id)
    assert visit.outcome == "brief_contact" and visit.contacts[0].alias == "Anna"


def test_given_an_open_visit_when_its_start_is_retried_after_steps_then_recognised(
    visits,
) -> None:
    command = replace(completed_visit(contacts=1), completed_at=None)
    visits.record_visit(command, actor="v-1")
    visits.do(command.visit_id, CompleteVisit(T0 + timedelta(hours=1), None), actor="v-1")
    again = visits.record_visit(command, actor="v-1")
    assert not again.created and again.visit.completed_at is not None
    # Posted in one go, the same visit would have recorded exactly these events: recognised.
    completed = replace(command, completed_at=T0 + timedelta(hours=1))
    assert not visits.record_visit(completed, "v-1").created
    with pytest.raises(VisitConflict):  # ...but not with another end
        visits.record_visit(replace(command, completed_at=T0 + timedelta(hours=2)), "v-1")


def test_given_a_completed_visit_when_a_contact_is_added_then_refused_and_nothing_changes(
    visits,
) -> None:
    command = completed_visit(contacts=1)
    visits.record_visit(command, "v-1")
    before = visits.max_notification_id()
    with pytest.raises(VisitAlreadyCompleted):
        visits.do(command.visit_id, AddContact(ContactInput(uuid4(), "Bea", "ro", T0)), actor="v-1")
    with pytest.raises(DuplicateContact):
        visits.do(
            command.visit_id, AddContact(replace(command.contacts[0], alias="Bea")), actor="v-1"
        )
    assert visits.max_notification_id() == before


def test_given_a_path_contact_that_is_not_on_the_visit_then_not_found(visits) -> None:
    command = completed_visit(contacts=1)
    visits.record_visit(command, "v-1")
    with pytest.raises(ContactNotFound):
        visits.do(command.visit_id, CorrectAlias(uuid4(), "X", T0), actor="v-1")
    with pytest.raises(ContactNotFound):
        visits.do(command.visit_id, LinkContactToPerson(uuid4(), uuid4(), T0), actor="v-1")
    with pytest.raises(VisitNotFound):
        visits.do(uuid4(), CorrectAlias(uuid4(), "X", T0), actor="v-1")


def test_given_a_stale_version_when_a_step_changes_the_visit_then_refused(visits) -> None:
    command = replace(completed_visit(contacts=1), completed_at=None)
    visits.record_visit(command, "v-1")  # version 2
    contact_id = command.contacts[0].contact_id
    with pytest.raises(VersionMismatch):
        visits.do(command.visit_id, CorrectAlias(contact_id, "Anna", T0), actor="v-2", expected={1})
    # A rule broken by a stale client: it hears that it is stale first.
    with pytest.raises(VersionMismatch):
        visits.do(
            command.visit_id, CompleteVisit(T0 - timedelta(days=1), None), actor="v", expected={1}
        )
    # But what does not exist is not found, whatever the precondition (RFC 9110 §13.2.1).
    with pytest.raises(ContactNotFound):
        visits.do(command.visit_id, CorrectAlias(uuid4(), "Anna", T0), actor="v-2", expected={1})
    assert visits.get_visit(command.visit_id).version == 2
    outcome = visits.do(
        command.visit_id, CorrectAlias(contact_id, "Anna", T0), actor="v-2", expected={2}
    )
    assert outcome.changed and outcome.visit.version == 3
    # Its retry with the same (now old) version succeeds: the change is already there.
    again = visits.do(
        command.visit_id, CorrectAlias(contact_id, "Anna", T0), actor="v-2", expected={2}
    )
    assert not again.changed and again.visit.version == 3


def test_given_a_wrong_premises_when_corrected_then_the_history_shows_the_correction(
    visits,
) -> None:
    premises = premises_command()
    visits.register_premises(premises, "v-1")
    command = completed_visit(contacts=1)
    visits.record_visit(command, "v-1")
    with pytest.raises(UnknownPremises):
        visits.do(command.visit_id, CorrectPremises(uuid4(), None, T0), actor="v-1")
    contact_id = command.contacts[0].contact_id
    late = T0 + timedelta(hours=3)
    visits.do(command.visit_id, CorrectAlias(contact_id, "Alias zero", late), actor="v-2")
    visits.do(command.visit_id, CorrectPremises(premises.premises_id, None, late), actor="v-2")
    visit = visits.get_visit(command.visit_id)
    assert (visit.premises_id, visit.premises_label) == (premises.premises_id, None)
    history = visits.visit_events(command.visit_id)
    assert [e.event for e in history] == [
        "Visit.Started",
        "Visit.ContactMade",
        "Visit.Completed",
        "Visit.AliasCorrected",
        "Visit.PremisesCorrected",
    ]
    assert history[1].data["alias"] == "Alias 0" and history[3].data["alias"] == "Alias zero"
    assert history[4].data["premises_id"] == premises.premises_id
    assert history[4].actor == "v-2" and history[4].occurred_at == late
    assert all(e.recorded_at >= history[0].recorded_at for e in history)


def test_given_late_entries_then_the_visit_history_is_ordered_by_when_they_happened(
    visits,
) -> None:
    command = replace(completed_visit(contacts=1), completed_at=None)
    visits.record_visit(command, "v-1")
    contact_id = command.contacts[0].contact_id
    visits.do(command.visit_id, CompleteVisit(T0 + timedelta(hours=1), None), actor="v-1")
    remembered = PersonIndicatorInput(uuid4(), "escorted", "observed", T0 + timedelta(minutes=2))
    visits.do(command.visit_id, ObservePersonIndicator(contact_id, remembered), actor="v-1")
    history = visits.visit_events(command.visit_id)
    assert [e.event for e in history] == [
        "Visit.Started",
        "Visit.ContactMade",
        "Visit.PersonIndicatorObserved",
        "Visit.Completed",
    ]
    assert [e.version for e in history] == [1, 2, 4, 3]


# -- the premises history projection --------------------------------------------------------


def test_given_visits_to_a_premises_then_its_history_is_newest_first_and_rebuilds(
    visits_and_history,
) -> None:
    visits, history = visits_and_history
    premises = premises_command()
    visits.register_premises(premises, "v-1")
    other = premises_command()
    visits.register_premises(other, "v-1")
    recorded = []
    for days, contacts in ((1, 1), (14, 2), (28, 0)):
        command = shifted(completed_visit(contacts), timedelta(days=days), premises.premises_id)
        visits.record_visit(command, "v-1")
        recorded.append(command)
    # An offline app sends, last, a visit that happened before the others.
    late = shifted(rich_visit(premises_id=premises.premises_id), -timedelta(hours=2))
    visits.record_visit(late, "v-1")
    first_concern = late.urgent_concerns[0].concern_id
    visits.do(late.visit_id, ResolveUrgentConcern(first_concern, T0), actor="lead-1")
    visits.record_visit(
        replace(completed_visit(), premises_id=other.premises_id, premises_label=None), "v"
    )
    history.catch_up()

    page = history.history(premises.premises_id, limit=50, offset=0)
    assert page.visit_count == 4 and page.open_concern_count == 1
    assert [v.visit_id for v in page.items] == [
        recorded[2].visit_id,
        recorded[1].visit_id,
        recorded[0].visit_id,
        late.visit_id,
    ]
    assert page.last_visit_id == recorded[2].visit_id
    assert page.last_visit_at == T0 + timedelta(days=28)
    oldest = page.items[-1]
    assert (oldest.outcome, oldest.contact_count) == ("conversation", 1)
    assert [(c.concern, c.resolved_at is not None) for c in oldest.concerns] == [
        ("possible_minor", True),
        ("violence", False),
    ]
    assert oldest.recorded_at > page.items[0].recorded_at  # recorded last, sorted by occurrence
    assert [v.outcome for v in page.items[:3]] == ["no_answer", "brief_contact", "brief_contact"]
    assert [v.contact_count for v in page.items[:3]] == [0, 2, 1]
    second = history.history(premises.premises_id, limit=2, offset=2)
    assert [v.visit_id for v in second.items] == [recorded[0].visit_id, late.visit_id]

    # A visit recorded against the wrong premises is moved by its correction.
    visits.do(
        recorded[2].visit_id,
        CorrectPremises(other.premises_id, None, T0 + timedelta(days=40)),
        actor="v",
    )
    history.catch_up()
    moved = history.history(premises.premises_id, limit=50, offset=0)
    assert moved.visit_count == 3 and moved.last_visit_id == recorded[1].visit_id
    assert history.history(other.premises_id, limit=50, offset=0).visit_count == 2

    live = [
        history.history(p, limit=50, offset=0) for p in (premises.premises_id, other.premises_id)
    ]
    forget_projection(history)
    history.catch_up()
    rebuilt = [
        history.history(p, limit=50, offset=0) for p in (premises.premises_id, other.premises_id)
    ]
    assert rebuilt == live


def test_given_a_premises_without_visits_then_its_history_is_empty(visits_and_history) -> None:
    _, history = visits_and_history
    history.catch_up()
    page = history.history(uuid4(), limit=10, offset=0)
    assert (page.visit_count, page.last_visit_id, page.open_concern_count, page.items) == (
        0,
        None,
        0,
        (),
    )


def test_given_events_applied_twice_then_the_history_is_the_same(visits_and_history) -> None:
    visits, history = visits_and_history
    premises = premises_command()
    visits.register_premises(premises, "v-1")
    visits.record_visit(rich_visit(premises_id=premises.premises_id), "v-1")
    history.catch_up()
    once = history.history(premises.premises_id, limit=10, offset=0)
    batch = history.read_batch(0)
    history.apply_batch(batch, batch[-1][0].id)
    assert history.history(premises.premises_id, limit=10, offset=0) == once


# -- personal data --------------------------------------------------------------------------


def test_given_a_contacts_key_is_forgotten_then_her_alias_and_concern_details_are_erased(
    visits,
) -> None:
    command = rich_visit()
    visits.record_visit(command, "v-1")
    contact_id = command.contacts[0].contact_id
    visits.do(command.visit_id, CorrectAlias(contact_id, "Corrected-alias", T0), actor="v-1")
    visits.keyring.forget(contact_id)
    visit = visits.get_visit(command.visit_id)
    assert visit.contacts[0].alias == ERASED
    assert [c.details for c in visit.urgent_concerns] == [ERASED, "Secret-visit-details-4b2d"]
    assert visit.contacts[0].materials == ("contact_card", "gift")  # codes stay: history folds


def test_given_every_published_event_then_no_alias_label_or_details_leave_the_service(
    visits,
) -> None:
    command = recorded_with_a_secret_alias(visits)
    visits.do(command.visit_id, CorrectPremises(None, "Secret-label-other", T0), actor="v-1")
    translate = translator(visits)
    published = {}
    for notification in visits.recorder.select_notifications(start=1, limit=100):
        event = visits.mapper.to_domain_event(notification)
        contract = translate(event)
        declared = as_contract_types(PUBLISHED.get(type(event)))  # docs/events.md reads it
        assert tuple(type(c) for c in as_contracts(contract)) == declared, type(event).__name__
        for one in as_contracts(contract):
            payload = on_the_wire(one, event, notification.id, "visits")
            published[one.subject] = json.loads(payload)
            for secret in (b"Secret", b"Flat", b"details", b"alias", b"label"):
                assert secret not in payload
    assert set(published) == {
        "visits.contact_made.v1",
        "visits.contact_made.v2",
        "visits.person_indicator_observed.v1",
        "visits.follow_up_offered.v1",
        "visits.urgent_concern_raised.v1",
        "visits.contact_linked_to_person.v1",
        "visits.visit_completed.v1",
    }
    concern = published["visits.urgent_concern_raised.v1"]["data"]
    assert concern["premises_id"] == str(command.premises_id)
    assert concern["concern"] in {"possible_minor", "violence"}


def test_given_personal_data_then_no_byte_of_it_is_in_the_sqlite_files(tmp_path: Path) -> None:
    stores = open_stores(make_settings(ServiceName.VISITS, tmp_path / "var"))
    app = VisitsApplication(env=stores.event_store_env, keyring=stores.keyring)
    history = PremisesHistory(app, stores.views, stores.positions)
    try:
        command = recorded_with_a_secret_alias(app)
        history.catch_up()
        assert app.get_visit(command.visit_id).contacts[0].alias == "Secret-corrected-1d2e"
    finally:
        app.close()
        stores.close()
    files = [p for p in (tmp_path / "var").rglob("*") if p.is_file()]
    assert any(p.name == "events.sqlite" for p in files)
    content = b"".join(p.read_bytes() for p in files)
    for secret in (
        "Secret-alias-7f3a",
        "Secret-corrected-1d2e",
        "Secret-details-9c1e",
        "Secret-visit-details-4b2d",
    ):
        assert secret.encode() not in content, secret
    assert b"wm1:" in content


def test_given_a_visit_recorded_by_the_first_slice_then_it_reads_and_is_recognised(
    visits,
) -> None:
    """Events stored before premises ids, languages, materials and outcomes existed (v1)."""
    command = completed_visit(contacts=1)
    visit = command.start("v-1")  # stored below without what v1 lacked
    stored = []
    for event in visit.collect_events():
        current = visits.mapper.to_stored_event(event)
        state = json.loads(current.state)
        state.pop("class_version", None)
        for new_field in (
            "premises_id",
            "other_languages",
            "bridging_volunteer",
            "materials",
            "outcome",
        ):
            state.pop(new_field, None)
        stored.append(
            StoredEvent(
                current.originator_id,
                current.originator_version,
                get_topic(type(event)),
                json.dumps(state).encode(),
            )
        )
    visits.recorder.insert_events(stored)
    old = visits.get_visit(command.visit_id)
    assert old.premises_id is None and old.contacts[0].materials == ()
    assert old.outcome == "brief_contact" and old.contacts[0].alias == "Alias 0"
    again = visits.record_visit(command, "v-1")
    assert not again.created


def test_every_published_event_has_its_own_translation() -> None:
    dispatcher = VisitContracts.__dict__["translate"].dispatcher
    fallback = dispatcher.registry[object]
    assert [e.__qualname__ for e in PUBLISHED if dispatcher.dispatch(e) is fallback] == []


def test_given_visits_read_in_log_order_then_completion_is_folded_not_read_and_the_same(
    visits, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_one = replace(completed_visit(contacts=1), completed_at=None)
    visits.record_visit(open_one, "v-1")
    visits.record_visit(completed_visit(contacts=3), "v-1")
    visits.record_visit(completed_visit(contacts=0), "v-1")
    late = ContactInput(uuid4(), "Ana", "ro", T0 + timedelta(minutes=30))
    visits.do(open_one.visit_id, AddContact(late), actor="v-1")
    visits.do(open_one.visit_id, CompleteVisit(T0 + timedelta(hours=1)), actor="v-1")
    events = [
        visits.mapper.to_domain_event(n)
        for n in visits.recorder.select_notifications(start=1, limit=100)
    ]
    completions = [e for e in events if isinstance(e, Visit.Completed)]
    from_the_store = [translator(visits)(e) for e in completions]  # never saw a start
    assert [c.contact_count for c in from_the_store] == [3, 0, 2]  # type: ignore[union-attr]

    def no_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("the store was read for a folded visit")

    monkeypatch.setattr(visits.repository, "get", no_read)
    contracts = VisitContracts(visits)
    # Read twice, as a relay starting over from its durable position reads its log again.
    first = [contracts.translate(e) for e in events]
    again = [contracts.translate(e) for e in events]
    folded = [c for c in first if isinstance(c, VisitCompletedV1)]
    assert folded == from_the_store
    assert [c for c in again if isinstance(c, VisitCompletedV1)] == from_the_store


def test_given_more_open_visits_than_kept_then_the_oldest_is_completed_from_the_store(
    visits, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = [replace(completed_visit(contacts=1), completed_at=None) for _ in range(3)]
    for command in commands:
        visits.record_visit(command, "v-1")
    for command in commands:
        visits.do(command.visit_id, CompleteVisit(T0 + timedelta(hours=1)), actor="v-1")
    events = [
        visits.mapper.to_domain_event(n)
        for n in visits.recorder.select_notifications(start=1, limit=100)
    ]
    read = visits.repository.get
    reads: list[UUID] = []

    def counted(aggregate_id: UUID, **kwargs: object) -> Visit:
        reads.append(aggregate_id)
        visit: Visit = read(aggregate_id, **kwargs)
        return visit

    monkeypatch.setattr(visits.repository, "get", counted)
    contracts = VisitContracts(visits, keep=2)
    translated = [contracts.translate(e) for e in events]
    completed = [c for c in translated if isinstance(c, VisitCompletedV1)]
    assert [c.visit_id for c in completed] == [c.visit_id for c in commands]
    assert [c.contact_count for c in completed] == [1, 1, 1]
    assert reads == [commands[0].visit_id]
