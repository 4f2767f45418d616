"""docs/events.md is the code's own catalogue, and every contract has a place in it."""

from __future__ import annotations

from pathlib import Path

from shared.contracts import registered_contracts
from shared.contracts.base import as_contract_types
from waymark.catalogue import (
    SERVICES,
    aggregates_of,
    build_catalogue,
    consumed_contracts,
    events_of,
)

DOC = Path(__file__).parents[2] / "docs" / "events.md"


def test_the_committed_catalogue_is_the_generated_one() -> None:
    assert DOC.read_text() == build_catalogue(), (
        "regenerate with: waymark events-doc > docs/events.md"
    )


def test_every_contract_is_published_by_one_service_from_its_own_events() -> None:
    publishers: dict[type, list[str]] = {}
    for service, modules, integration in SERVICES:
        own_events = {
            event
            for module in modules
            for aggregate in aggregates_of(module)
            for event in events_of(aggregate)
        }
        for event, contracts in getattr(integration, "PUBLISHED", {}).items():
            assert event in own_events, (service, event)
            for contract in as_contract_types(contracts):
                assert contract.subject.split(".")[0] == service
                publishers.setdefault(contract, []).append(service)
    assert set(publishers) == set(registered_contracts().values())
    assert all(len(set(services)) == 1 for services in publishers.values())


def test_every_consumed_contract_is_published() -> None:
    published = {
        contract
        for _, _, integration in SERVICES
        for contracts in getattr(integration, "PUBLISHED", {}).values()
        for contract in as_contract_types(contracts)
    }
    for _, _, integration in SERVICES:
        assert consumed_contracts(integration) <= published
