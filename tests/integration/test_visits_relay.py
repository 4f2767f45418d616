"""The visits relay against a real nats-server: every new contract is published, in order, with
no alias, label or concern details — and an urgent concern on a visit still open goes out at
once, without waiting for the visit to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from nats.aio.client import Client

from services.visits.application import VisitsApplication
from services.visits.commands import (
    CompletedVisit,
    ContactInput,
    CorrectAlias,
    FollowUpInput,
    PersonIndicatorInput,
    PremisesIndicatorInput,
    RaiseUrgentConcern,
    RegisterPremises,
    UrgentConcernInput,
)
from services.visits.queries.premises_history.projection import PremisesHistory
from shared.runtime import Runtime
from tests.integration.harness import (
    event_ids_name_their_domain_events,
    eventually,
    exactly,
    stream_messages,
)

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
SECRETS = (b"Secret", b"alias", b"details", b"label")


async def test_every_visit_contract_is_published_in_order_and_carries_no_personal_text(
    visits_runtime: Runtime, visits: VisitsApplication, nc: Client
) -> None:
    premises_id, contact_id, person_id = uuid4(), uuid4(), uuid4()
    visits.register_premises(
        RegisterPremises(premises_id, "Secret-label", "soho", "flat", T0), "v-1"
    )
    at = T0 + timedelta(minutes=10)
    command = CompletedVisit(
        visit_id=uuid4(),
        premises_id=premises_id,
        premises_label=None,
        team="west",
        volunteers=("v-1",),
        languages_offered=("ro",),
        started_at=T0,
        completed_at=T0 + timedelta(hours=1),
        contacts=(
            ContactInput(
                contact_id,
                "Secret-alias",
                "ro",
                at,
                materials=("gift",),
                indicators=(PersonIndicatorInput(uuid4(), "debt_bondage", "disclosed", at),),
                follow_ups=(FollowUpInput(uuid4(), "coffee", T0 + timedelta(days=2), at),),
                linked_person_id=person_id,
            ),
        ),
        premises_indicators=(PremisesIndicatorInput(uuid4(), "living_on_site", "observed", at),),
        urgent_concerns=(
            UrgentConcernInput(uuid4(), "possible_minor", contact_id, "Secret-details", at),
        ),
    )
    visits.record_visit(command, "v-1")
    visits.do(command.visit_id, CorrectAlias(contact_id, "Secret-alias-corrected", at), actor="v-1")
    messages = await eventually(
        lambda: exactly(stream_messages(nc, "VISITS"), 7), message="seven published messages"
    )
    assert [m.subject for m in messages] == [
        "visits.contact_made.v1",
        "visits.contact_made.v2",
        "visits.person_indicator_observed.v1",
        "visits.follow_up_offered.v1",
        "visits.contact_linked_to_person.v1",
        "visits.urgent_concern_raised.v1",
        "visits.visit_completed.v1",
    ]
    positions = [json.loads(m.data)["position"] for m in messages]
    assert positions == sorted(positions)
    assert event_ids_name_their_domain_events(messages)
    for message in messages:
        assert not any(secret in message.data for secret in SECRETS), message.subject
    concern = json.loads(messages[5].data)["data"]
    assert concern["premises_id"] == str(premises_id)
    assert concern["contact_id"] == str(contact_id) and concern["concern"] == "possible_minor"
    link = json.loads(messages[4].data)["data"]
    assert link["person_id"] == str(person_id)

    # The projection runs in the same process and follows the same log.
    history = visits_runtime.parts.queries.premises_history
    assert isinstance(history, PremisesHistory)
    page = await eventually(
        lambda: (
            history.history(premises_id, limit=10, offset=0).visit_count == 1
            and history.history(premises_id, limit=10, offset=0)
        ),
        message="the visit in the premises history",
    )
    assert page.open_concern_count == 1 and page.items[0].contact_count == 1


async def test_an_urgent_concern_on_an_open_visit_is_published_before_the_visit_ends(
    visits: VisitsApplication, nc: Client
) -> None:
    visit_id = uuid4()
    visits.record_visit(
        CompletedVisit(visit_id, "P-12", "west", ("v-1",), ("ro",), T0, None, ()), "v-1"
    )
    concern = UrgentConcernInput(uuid4(), "held_against_will", None, "Secret-details", T0)
    visits.do(visit_id, RaiseUrgentConcern(concern), actor="v-1")
    messages = await eventually(
        lambda: exactly(stream_messages(nc, "VISITS"), 1),
        within=5,
        message="the concern published at once",
    )
    assert messages[0].subject == "visits.urgent_concern_raised.v1"
    assert b"Secret" not in messages[0].data
    assert visits.get_visit(visit_id).completed_at is None
