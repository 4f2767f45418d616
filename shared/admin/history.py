"""History and as-of for any aggregate of any ``WaymarkApplication``.

History lists every stored event of an aggregate in order, with its version, type, actor,
``occurred_at`` (when it happened), ``recorded_at`` (the event's ``timestamp``: when it was
stored) and its data. As-of folds the aggregate with the same code that folds it today, up to a
version, or up to the last event recorded at or before a given time.

Personal fields (those named in any event class's ``personal_fields``) are shown only when asked
for with ``include_personal=True``; otherwise they read as ``WITHHELD``. Every read is logged
(ids only) as an audit line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError

from shared.storage.eventstore import WaymarkApplication
from shared.storage.personal_data import personal_fields_of

log = structlog.get_logger(__name__)

WITHHELD = "<withheld>"
_EVENT_HEADER = frozenset({"originator_id", "originator_version", "timestamp"})


class AggregateUnknown(LookupError):
    """No aggregate with this id (or none yet at the time asked for)."""


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    type: str
    actor: str | None
    occurred_at: datetime | None
    recorded_at: datetime
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "type": self.type,
            "actor": self.actor,
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
            "recorded_at": self.recorded_at.isoformat(),
            "data": self.data,
        }


@dataclass(frozen=True)
class AsOf:
    aggregate_id: UUID
    type: str
    version: int
    created_on: datetime | None
    modified_on: datetime | None
    state: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "aggregate_id": str(self.aggregate_id),
            "type": self.type,
            "version": self.version,
            "created_on": self.created_on.isoformat() if self.created_on else None,
            "modified_on": self.modified_on.isoformat() if self.modified_on else None,
            "state": self.state,
        }


def _events(app: WaymarkApplication, aggregate_id: UUID, lte: int | None = None) -> list[Any]:
    return list(app.repository.event_store.get(aggregate_id, lte=lte))


def personal_names(event_classes: Iterable[type[object]]) -> frozenset[str]:
    """Every field name declared personal by these event classes or their siblings."""
    names: set[str] = set()
    for event_class in event_classes:
        names.update(personal_fields_of(event_class))
        owner = _owner_of(event_class)
        if owner is not None:
            for member in vars(owner).values():
                if isinstance(member, type):
                    names.update(personal_fields_of(member))
    return frozenset(names)


def _owner_of(event_class: type[object]) -> type[object] | None:
    module = __import__(event_class.__module__, fromlist=["_"])
    owner: Any = module
    for part in event_class.__qualname__.split(".")[:-1]:
        owner = getattr(owner, part, None)
        if owner is None:
            return None
    return owner if isinstance(owner, type) else None


@dataclass(frozen=True)
class Withheld:
    """What to hide: keys by name, and any string equal to a personal value in the history
    (state may copy a personal value under another name, e.g. ``alias_as_made``)."""

    keys: frozenset[str] = frozenset()
    values: frozenset[str] = frozenset()


NOTHING = Withheld()


def withheld_for(events: list[Any]) -> Withheld:
    keys = personal_names(type(e) for e in events)
    values: set[str] = set()
    for event in events:
        for field in personal_fields_of(type(event)):
            _strings(getattr(event, field, None), values)
    return Withheld(keys=keys, values=frozenset(values))


def _strings(value: Any, into: set[str]) -> None:
    if isinstance(value, str):
        into.add(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            _strings(item, into)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _strings(item, into)


def plain(value: Any, withheld: Withheld = NOTHING) -> Any:
    """A JSON-ready copy of ``value`` with personal keys and values read as ``WITHHELD``."""
    if isinstance(value, str):
        return WITHHELD if value in withheld.values else value
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {
            _key(key): (
                WITHHELD if key in withheld.keys and item is not None else plain(item, withheld)
            )
            for key, item in value.items()
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return plain(fields, withheld)
    if isinstance(value, set | frozenset):
        return sorted((plain(item, withheld) for item in value), key=str)
    if isinstance(value, list | tuple):
        return [plain(item, withheld) for item in value]
    if hasattr(value, "__dict__"):
        return plain({k: v for k, v in vars(value).items() if not k.startswith("_")}, withheld)
    return str(value)


def _key(key: Any) -> str:
    """A readable key: ``(visit id, contact id)`` → ``"<visit id>/<contact id>"``, never a repr."""
    if isinstance(key, tuple):
        return "/".join(_key(part) for part in key)
    plain_key = plain(key)
    return plain_key if isinstance(plain_key, str) else str(plain_key)


def history(
    app: WaymarkApplication,
    aggregate_id: UUID,
    *,
    include_personal: bool = False,
    reader: str = "unknown",
) -> list[HistoryEntry]:
    events = _events(app, aggregate_id)
    if not events:
        raise AggregateUnknown(str(aggregate_id))
    withheld = NOTHING if include_personal else withheld_for(events)
    log.info(
        "admin.history_read",
        application=app.name,
        aggregate_id=str(aggregate_id),
        include_personal=include_personal,
        reader=reader,
    )
    entries = []
    for event in events:
        state = vars(event)
        data = {k: v for k, v in state.items() if k not in _EVENT_HEADER and k != "actor"}
        occurred = state.get("occurred_at")
        entries.append(
            HistoryEntry(
                version=int(event.originator_version),
                type=type(event).__qualname__,
                actor=state.get("actor"),
                occurred_at=occurred if isinstance(occurred, datetime) else None,
                recorded_at=event.timestamp,
                data=plain(data, withheld),
            )
        )
    return entries


def version_at(app: WaymarkApplication, aggregate_id: UUID, at: datetime) -> int:
    """The highest version whose event was recorded at or before ``at``."""
    events = _events(app, aggregate_id)
    if not events:
        raise AggregateUnknown(str(aggregate_id))
    if at.tzinfo is None:
        raise ValueError("the time must carry a time zone")
    versions = [int(e.originator_version) for e in events if e.timestamp <= at]
    if not versions:
        raise AggregateUnknown(f"{aggregate_id} did not exist at {at.isoformat()}")
    return max(versions)


def as_of(
    app: WaymarkApplication,
    aggregate_id: UUID,
    *,
    version: int | None = None,
    at: datetime | None = None,
    include_personal: bool = False,
    reader: str = "unknown",
) -> AsOf:
    """The aggregate folded up to ``version``, or as it was known at ``at`` (not both)."""
    if version is not None and at is not None:
        raise ValueError("give a version or a time, not both")
    if at is not None:
        version = version_at(app, aggregate_id, at)
    try:
        aggregate: Any = app.repository.get(aggregate_id, version=version)
    except AggregateNotFoundError:
        raise AggregateUnknown(str(aggregate_id)) from None
    withheld = (
        NOTHING
        if include_personal
        else withheld_for(_events(app, aggregate_id, lte=aggregate.version))
    )
    log.info(
        "admin.as_of_read",
        application=app.name,
        aggregate_id=str(aggregate_id),
        version=aggregate.version,
        include_personal=include_personal,
        reader=reader,
    )
    state = {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
    return AsOf(
        aggregate_id=aggregate_id,
        type=type(aggregate).__qualname__,
        version=int(aggregate.version),
        created_on=aggregate.created_on,
        modified_on=aggregate.modified_on,
        state=plain(state, withheld),
    )
