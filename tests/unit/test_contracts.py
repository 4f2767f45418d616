"""Integration contracts and their CloudEvents envelope."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from shared.contracts import (
    AppointmentScheduledV1,
    BreakGlassAccessGrantedV1,
    CaseworkerAssignedV1,
    ContactLinkedToPersonV1,
    ContactMadeV1,
    ContactMadeV2,
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
    VisitCompletedV1,
    registered_contracts,
)
from shared.contracts.base import AwareDatetime
from shared.contracts.envelope import (
    MAX_ENVELOPE_BYTES,
    MAX_POSITION,
    ContractViolation,
    decode,
    encode,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ORIGIN = uuid4()
Contract = TypeVar("Contract", bound=IntegrationEvent)


def wire(event: IntegrationEvent, position: int = 7, service: str = "visits") -> bytes:
    return encode(event, service=service, origin=ORIGIN, version=3, position=position, time=NOW)


def example(contract: type[Contract], **fields: Any) -> Contract:
    """The contract with the fields given, a fresh id for each other required id and NOW for
    each other required time: the examples spell out only what tells them apart."""
    fresh = {UUID: uuid4, AwareDatetime: lambda: NOW}
    for name, field in contract.model_fields.items():
        if field.is_required() and name not in fields and field.annotation in fresh:
            fields[name] = fresh[field.annotation]()
    return contract(**fields)


EXAMPLES: list[IntegrationEvent] = [
    example(ContactMadeV1, language="pt-BR"),
    example(ContactMadeV2, languages=["ro", "en"], materials=["contact_card"]),
    example(VisitCompletedV1, languages_offered=["ro", "zh-Hant"], contact_count=2),
    example(JourneyOpenedV1, contact_id=uuid4()),
    example(PersonIndicatorObservedV1, indicator="debt_bondage", source="disclosed"),
    example(UrgentConcernRaisedV1, contact_id=None, premises_id=uuid4(), concern="possible_minor"),
    example(FollowUpOfferedV1, kind="coffee"),
    example(ContactLinkedToPersonV1),
    example(CaseworkerAssignedV1, caseworker_id="cw-1"),
    example(BreakGlassAccessGrantedV1, caseworker_id="cw-2"),
    example(ReferralStatusChangedV1, partner="unseen", status="declined", respond_by=NOW),
    example(AppointmentScheduledV1, kind="gp", status="moved"),
    example(NrmMilestoneV1, milestone="recovery_period_started", on=NOW.date(), until=NOW.date()),
    example(JourneyStatusChangedV1, status="closed", reason="goals_met"),
    example(FollowUpScheduledV1, kind="coffee"),
    example(PersonErasedV1, contact_ids=[uuid4(), uuid4()]),
]

# Words that would mean personal text is crossing service lines.
PERSONAL_FIELD_WORDS = ("alias", "name", "note", "description", "text", "email", "phone")


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: type(e).__name__)
def test_every_contract_round_trips_through_the_envelope(event: IntegrationEvent) -> None:
    payload = wire(event, position=42)
    document = json.loads(payload)
    assert document["specversion"] == "1.0"
    assert document["id"] == f"visits:{ORIGIN}:3" and document["position"] == 42
    assert document["type"] == event.event_type
    assert document["subject"] == event.aggregate_id()
    envelope = decode(payload)
    assert envelope.event == event
    assert (envelope.source_service, envelope.position) == ("visits", 42)


def test_every_contract_is_registered_versioned_and_free_of_personal_fields() -> None:
    contracts = registered_contracts()
    # Every contract has an example above, so every one is round-tripped.
    assert {c.__name__ for c in contracts.values()} == {type(e).__name__ for e in EXAMPLES}
    for event_type, contract in contracts.items():
        assert event_type == f"org.waymark.{contract.subject}"
        assert re.fullmatch(r".+\.v[1-9][0-9]*", event_type)
        assert contract.subject.split(".")[0] in {"visits", "cases", "notifications"}
        for field in contract.model_fields:
            assert not any(word in field for word in PERSONAL_FIELD_WORDS), (contract, field)


def test_a_second_contract_on_a_subject_already_taken_is_refused() -> None:
    with pytest.raises(TypeError, match="duplicate contract type"):

        class ContactMadeAgainV1(IntegrationEvent, subject=ContactMadeV1.subject):
            pass

    assert registered_contracts()[ContactMadeV1.event_type] is ContactMadeV1


def test_a_consumer_ignores_fields_added_by_a_newer_producer() -> None:
    payload = json.loads(wire(EXAMPLES[0], position=1))
    payload["data"]["added_later"] = "x"
    assert decode(json.dumps(payload).encode()).event == EXAMPLES[0]


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d["data"].pop("contact_id"), "data.contact_id: Field required"),
        (lambda d: d["data"].update(language="not a language tag"), "data.language"),
        (lambda d: d["data"].update(occurred_at="2026-11-28T12:00:00"), "data.occurred_at"),
        (lambda d: d.update(type="org.waymark.visits.unknown.v9"), "not a known event type"),
        (lambda d: d.pop("position"), "position"),
        (lambda d: d.update(position=0), "position"),
        (lambda d: d.update(position=2**70), "position: must be between 1 and"),
        (lambda d: d.update(position=MAX_POSITION + 1), "position: must be between 1 and"),
        (lambda d: d.update(position=-(2**70)), "position"),
        (lambda d: d.update(position=True), "position"),
        (lambda d: d.update(position=4.0), "position"),
        (lambda d: d.update(position="42"), "position"),
        (lambda d: d.update(id="x" * 300), "id: longer than"),
        (lambda d: d.update(source="/elsewhere/visits"), "source"),
        (lambda d: d.update(data="text"), "data"),
    ],
)
def test_a_message_that_breaks_its_contract_is_a_violation_with_a_reason(mutate, reason) -> None:
    document = json.loads(wire(EXAMPLES[0]))
    mutate(document)
    with pytest.raises(ContractViolation) as caught:
        decode(json.dumps(document).encode())
    assert reason in str(caught.value)


@pytest.mark.parametrize("payload", [b"", b"not json", b"[]", b'{"specversion": "1.0"}'])
def test_garbage_is_a_violation(payload: bytes) -> None:
    with pytest.raises(ContractViolation):
        decode(payload)


def test_a_violation_reason_never_repeats_the_offending_input() -> None:
    document = json.loads(wire(EXAMPLES[0]))
    document["data"]["contact_id"] = "Maria from flat 3"
    with pytest.raises(ContractViolation) as caught:
        decode(json.dumps(document).encode())
    assert "Maria" not in str(caught.value)


def test_the_published_asyncapi_document_is_generated_from_the_contracts() -> None:
    from pathlib import Path

    from shared.contracts.asyncapi import build_asyncapi

    published = json.loads((Path(__file__).parents[2] / "docs" / "asyncapi.json").read_text())
    assert published == build_asyncapi(), "regenerate with: waymark asyncapi > docs/asyncapi.json"
    assert set(published["channels"]) == {
        c.subject.replace(".", "_") for c in registered_contracts().values()
    }


def test_the_asyncapi_document_is_valid_asyncapi_3() -> None:
    """Against the official AsyncAPI 3.0.0 JSON schema, vendored from the npm package
    @asyncapi/specs 6.11.1 (schemas/3.0.0-without-$id.json, Apache-2.0)."""
    from pathlib import Path

    import jsonschema

    from shared.contracts.asyncapi import build_asyncapi

    schema = json.loads(
        (Path(__file__).parents[1] / "fixtures" / "asyncapi-3.0.0.json").read_text()
    )
    validator = jsonschema.Draft7Validator(schema)
    document = build_asyncapi()
    assert list(validator.iter_errors(document)) == []
    document["operations"]["publishContactMadeV1"]["action"] = "publish"  # AsyncAPI 2 wording
    assert list(validator.iter_errors(document)) != []


def test_a_position_as_large_as_a_store_can_track_is_accepted() -> None:
    assert decode(wire(EXAMPLES[0], position=MAX_POSITION)).position == MAX_POSITION


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("poison", "reason"),
    [
        # The shapes that once escaped decode (RecursionError) or overflowed the store.
        (lambda d: d.update(data=json.loads("{}") | {"x": "NESTED:50000"}), "larger than"),
        (lambda d: d.update(data={"x": "NESTED:5000"}), "nested deeper than"),
        (lambda d: d.update(subject="NESTED:5000"), "nested deeper than"),
        (lambda d: d["data"].update(padding="x" * MAX_ENVELOPE_BYTES), "larger than"),
    ],
    ids=["50000-deep", "5000-deep-data", "5000-deep-attribute", "oversized"],
)
def test_an_oversized_or_deeply_nested_message_is_a_violation_never_a_crash(poison, reason) -> None:
    document = json.loads(wire(EXAMPLES[0]))
    poison(document)
    raw = json.dumps(document)
    for depth in (50000, 5000):
        raw = raw.replace(f'"NESTED:{depth}"', nested(depth))
    with pytest.raises(ContractViolation) as caught:
        decode(raw.encode())
    assert reason in str(caught.value)


def test_brackets_inside_strings_are_not_nesting() -> None:
    document = json.loads(wire(EXAMPLES[0]))
    document["data"]["added_later"] = '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{ \\" [[[['
    assert decode(json.dumps(document).encode()).event == EXAMPLES[0]


@pytest.mark.parametrize("count", [2**63, 2**70, -1])
def test_an_integer_out_of_range_in_the_data_is_a_violation(count: int) -> None:
    completed = next(e for e in EXAMPLES if isinstance(e, VisitCompletedV1))
    document = json.loads(wire(completed))
    document["data"]["contact_count"] = count
    with pytest.raises(ContractViolation) as caught:
        decode(json.dumps(document).encode())
    assert "data.contact_count" in str(caught.value)
    assert str(count) not in str(caught.value)


def test_an_integer_too_long_to_parse_is_a_violation() -> None:
    payload = wire(EXAMPLES[0]).replace(b'"position":7', b'"position":' + b"9" * 5000)
    assert b"9" * 5000 in payload
    with pytest.raises(ContractViolation):
        decode(payload)


def test_the_same_position_in_two_installs_is_two_different_events() -> None:
    event = EXAMPLES[0]
    here = encode(event, service="visits", origin=uuid4(), version=1, position=1, time=NOW)
    there = encode(event, service="visits", origin=uuid4(), version=1, position=1, time=NOW)
    assert decode(here).position == decode(there).position
    assert decode(here).id != decode(there).id


# The cloudevents SDK judges the envelope: it reads ours as the same event, we read what it
# writes the same, and what it refuses is refused.
SDK = JSONFormat()


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("time", [NOW, NOW.replace(microsecond=123456)], ids=["s", "µs"])
def test_the_envelope_is_the_event_the_cloudevents_sdk_reads_and_writes(
    event: IntegrationEvent, time: datetime
) -> None:
    ours = encode(event, service="cases", origin=ORIGIN, version=3, position=9, time=time)
    read = SDK.read(None, ours)
    attributes = {**read.get_attributes()}
    assert attributes == {
        "id": f"cases:{ORIGIN}:3",
        "source": "/waymark/cases",
        "type": event.event_type,
        "specversion": "1.0",
        "subject": event.aggregate_id(),
        "time": time,
        "datacontenttype": "application/json",
        "position": 9,
    }
    assert read.get_data() == event.model_dump(mode="json")
    theirs = SDK.write(CloudEvent(attributes, event.model_dump(mode="json")))
    assert decode(theirs) == decode(ours)
    assert decode(ours).time == time and decode(ours).event == event


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(id=""),
        lambda d: d.update(id=5),
        lambda d: d.pop("source"),
        lambda d: d.update(source=None),
        lambda d: d.update(type=""),
        lambda d: d.update(specversion="2.0"),
        lambda d: d.update(subject=""),
        lambda d: d.update(subject=["a"]),
        lambda d: d.update(datacontenttype=7),
        lambda d: d.update(dataschema=""),
        lambda d: d.update(Bad_Name="x"),
        lambda d: d.update(time="yesterday"),
        lambda d: d.update(time="2026-11-28T12:00:00"),
        lambda d: d.update(time=1764331200),
    ],
)
def test_an_envelope_the_cloudevents_sdk_refuses_is_refused(mutate) -> None:
    document = json.loads(wire(EXAMPLES[0]))
    mutate(document)
    payload = json.dumps(document).encode()
    with pytest.raises(Exception):  # noqa: B017 - the SDK raises several kinds
        SDK.read(None, payload)
    with pytest.raises(ContractViolation):
        decode(payload)


def test_an_extension_attribute_the_sdk_accepts_is_accepted() -> None:
    document = json.loads(wire(EXAMPLES[0]))
    document["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    payload = json.dumps(document).encode()
    sdk = SDK.read(None, payload)
    envelope = decode(payload)
    assert (envelope.id, envelope.time) == (sdk.get_id(), sdk.get_time())
    assert envelope.event == EXAMPLES[0]


@pytest.mark.parametrize("attribute", ["id", "specversion"])
def test_an_envelope_without_id_or_specversion_is_refused_where_the_sdk_would_invent_one(
    attribute: str,
) -> None:
    # The SDK fills in a random id and version 1.0; a consumer that invented an id could not
    # tell a redelivery from a new event.
    document = json.loads(wire(EXAMPLES[0]))
    del document[attribute]
    with pytest.raises(ContractViolation) as caught:
        decode(json.dumps(document).encode())
    assert attribute in str(caught.value)
