"""The event catalogue (``docs/events.md``), generated from the code so it cannot drift.

It lists every domain event of every aggregate with its fields, which of them are personal
(sealed under the person's key), and the integration contract it is published as; then every
contract with its subject, fields, publisher and consumers. ``waymark events-doc`` prints it;
``tests/unit/test_event_catalogue.py`` fails when the committed file differs.
"""

from __future__ import annotations

import dataclasses
import inspect
from types import ModuleType
from typing import Any, cast

from eventsourcing.domain import Aggregate

from services.cases import integration as cases_integration
from services.cases import journey as cases_journey
from services.notifications import domain as notifications_domain
from services.notifications import integration as notifications_integration
from services.notifications import reminders as notifications_reminders
from services.visits import erasure as visits_erasure
from services.visits import integration as visits_integration
from services.visits import premises as visits_premises
from services.visits import visit as visits_visit
from shared.contracts.base import IntegrationEvent, as_contract_types, registered_contracts
from shared.storage.personal_data import personal_fields_of

SERVICES: list[tuple[str, list[ModuleType], ModuleType]] = [
    ("visits", [visits_visit, visits_premises, visits_erasure], visits_integration),
    ("cases", [cases_journey], cases_integration),
    ("notifications", [notifications_domain, notifications_reminders], notifications_integration),
]
_BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def aggregates_of(module: ModuleType) -> list[type[Aggregate]]:
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, Aggregate)
        and value.__module__ == module.__name__
    ]


def events_of(aggregate: type[Aggregate]) -> list[type[Any]]:
    return [
        value
        for name, value in vars(aggregate).items()
        if inspect.isclass(value)
        and issubclass(value, Aggregate.Event)
        and name not in {"Event", "Created", "Snapshot"}  # the library's bases
    ]


def fields_of(event: type[Any]) -> list[tuple[str, str]]:
    return [
        (field.name, str(field.type).replace("|", "\\|"))
        for field in dataclasses.fields(event)
        if field.name not in _BASE_FIELDS
    ]


class _NoApplication:
    """Stands in for a service's application where only its subscriptions' shape is read."""

    def __getattr__(self, name: str) -> Any:
        def not_here(*args: object, **kwargs: object) -> None:
            raise RuntimeError(f"{name}: no application behind the event catalogue")

        return not_here


def consumed_contracts(integration: ModuleType) -> set[type[IntegrationEvent]]:
    inbound = getattr(integration, "inbound", None)
    if inbound is None:
        return set()
    # The factory only closes over the application (its bound methods are taken, never called,
    # here): a stand-in lists the handlers. It gives one subscription, or one per stream.
    built = inbound(cast(Any, _NoApplication()))
    subscriptions = built if isinstance(built, list | tuple) else [built]
    return {contract for subscription in subscriptions for contract in subscription.handlers}


def _summary(cls: type[Any]) -> str:
    # The library may subclass an event class (@event); a dataclass writes its signature as
    # __doc__: the description is the first docstring up the MRO that is neither.
    for klass in cls.__mro__:
        own = klass.__dict__.get("__doc__") or ""
        if own and not own.startswith(f"{klass.__name__}("):
            return " ".join(own.split()) if klass.__name__ == cls.__name__ else ""
    return ""


def build_catalogue() -> str:
    published: dict[type[Any], tuple[type[IntegrationEvent], ...]] = {}
    publisher: dict[type[IntegrationEvent], str] = {}
    consumers: dict[type[IntegrationEvent], list[str]] = {}
    for service, _, integration in SERVICES:
        for event, contracts in getattr(integration, "PUBLISHED", {}).items():
            published[event] = as_contract_types(contracts)
            for contract in published[event]:
                publisher[contract] = service
        for contract in consumed_contracts(integration):
            consumers.setdefault(contract, []).append(service)

    lines = [
        "# Event catalogue",
        "",
        "Generated from the code by `waymark events-doc > docs/events.md`; a test fails when",
        "this file differs. Every event also records `occurred_at` (the device's or caseworker's",
        "clock, where the event has one), `recorded_at` (the server's: the stored timestamp) and",
        "the `actor`. **Personal** fields are sealed in the store under that person's own key",
        "(AES-256-GCM) and never leave the service; integration contracts carry ids, codes and",
        "dates only.",
        "",
    ]
    for service, modules, _ in SERVICES:
        lines += [f"## {service}", ""]
        for module in modules:
            for aggregate in aggregates_of(module):
                lines += [f"### {aggregate.__name__}", ""]
                if _summary(aggregate):
                    lines += [_summary(aggregate), ""]
                lines += ["| event | fields | personal | published as |", "|---|---|---|---|"]
                for event in events_of(aggregate):
                    personal = personal_fields_of(event)
                    fields = ", ".join(f"`{name}`: {kind}" for name, kind in fields_of(event))
                    contracts = published.get(event, ())
                    description = _summary(event)
                    lines.append(
                        f"| `{aggregate.__name__}.{event.__name__}`"
                        + (f" — {description}" if description else "")
                        + f" | {fields or '—'} | {', '.join(personal) or '—'} | "
                        + (", ".join(f"`{c.subject}`" for c in contracts) or "—")
                        + " |"
                    )
                lines.append("")
    lines += [
        "## Integration events (NATS JetStream, CloudEvents 1.0)",
        "",
        "| subject | CloudEvents type | fields | published by | consumed by |",
        "|---|---|---|---|---|",
    ]
    for contract in sorted(registered_contracts().values(), key=lambda c: c.subject):
        fields = ", ".join(
            f"`{name}`" + ("" if info.is_required() else "?")
            for name, info in contract.model_fields.items()
        )
        lines.append(
            f"| `{contract.subject}` | `{contract.event_type}` | {fields} | "
            f"{publisher.get(contract, '—')} | "
            f"{', '.join(sorted(consumers.get(contract, []))) or '—'} |"
        )
    lines += [
        "",
        "`?` marks an optional field. The AsyncAPI description is `docs/asyncapi.json`.",
        "",
    ]
    return "\n".join(lines)
