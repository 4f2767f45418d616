"""Snapshots that never hold personal data in plaintext.

An aggregate's state holds personal values (a pseudonym, notes, a safety plan's summary…), often
under other names or nested in value objects, so a snapshot seals its *whole* state as one
personal field: the state is encoded as a plain JSON tree (value objects, enums, tuples and
non-string keys tagged) and ``PersonalDataMapper`` seals it with the subject's key (the aggregate
id). After erasure the state reads as ``ERASED``: the snapshot is then skipped and the aggregate
is folded from its events, whose personal fields read as ``ERASED`` as designed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Snapshot
from eventsourcing.utils import get_topic, resolve_topic


class SnapshotUnusable(Exception):
    """The snapshot cannot give the aggregate back as it was: fold it from its events."""


class SnapshotErased(SnapshotUnusable):
    """The key that sealed this snapshot was erased."""


class SnapshotOutdated(SnapshotUnusable):
    """Sealed by an older encoding, which turned string enums into plain strings."""


# The encoding of the state a snapshot seals; a snapshot without it is read from the events.
_FORMAT = "~tree-v2"


@dataclasses.dataclass(frozen=True)
class SealedSnapshot(Snapshot):
    personal_fields: ClassVar[tuple[str, ...]] = ("state",)

    @classmethod
    def take(cls, aggregate: Any) -> SealedSnapshot:
        taken = super().take(aggregate)
        return dataclasses.replace(taken, state={_FORMAT: encode_tree(taken.state)})

    def mutate(self, _: None) -> Any:
        sealed: Any = self.state
        if isinstance(sealed, str):  # ERASED: the key is gone
            raise SnapshotErased(str(self.originator_id))
        if not isinstance(sealed, dict) or _FORMAT not in sealed:
            raise SnapshotOutdated(str(self.originator_id))
        opened = dataclasses.replace(self, state=decode_tree(sealed[_FORMAT]))
        return Snapshot.mutate(opened, None)


def encode_tree(value: Any) -> Any:
    # Enums first: a StrEnum is a str too, and must come back as its enum.
    if isinstance(value, Enum):
        return {"~enum": get_topic(type(value)), "v": value.value}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, UUID):
        return {"~uuid": str(value)}
    if isinstance(value, datetime):
        return {"~datetime": value.isoformat()}
    if isinstance(value, date):
        return {"~date": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode_tree(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"~dataclass": get_topic(type(value)), "f": fields}
    if isinstance(value, dict):
        return {"~map": [[encode_tree(k), encode_tree(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"~tuple": [encode_tree(item) for item in value]}
    if isinstance(value, frozenset | set):
        return {"~" + type(value).__name__: [encode_tree(item) for item in value]}
    if isinstance(value, list):
        return [encode_tree(item) for item in value]
    raise TypeError(f"cannot snapshot a {type(value).__name__}")


def decode_tree(value: Any) -> Any:
    if isinstance(value, list):
        return [decode_tree(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "~enum" in value:
        return resolve_topic(value["~enum"])(value["v"])
    if "~uuid" in value:
        return UUID(value["~uuid"])
    if "~datetime" in value:
        return datetime.fromisoformat(value["~datetime"])
    if "~date" in value:
        return date.fromisoformat(value["~date"])
    if "~dataclass" in value:
        cls = resolve_topic(value["~dataclass"])
        return cls(**{name: decode_tree(item) for name, item in value["f"].items()})
    if "~map" in value:
        return {decode_tree(k): decode_tree(v) for k, v in value["~map"]}
    if "~tuple" in value:
        return tuple(decode_tree(item) for item in value["~tuple"])
    if "~frozenset" in value:
        return frozenset(decode_tree(item) for item in value["~frozenset"])
    if "~set" in value:
        return {decode_tree(item) for item in value["~set"]}
    return {key: decode_tree(item) for key, item in value.items()}  # the top-level state


class TolerantRepository(Repository[UUID]):
    """Folds from the events alone when the latest snapshot cannot be used: its key was
    erased, or an older encoding sealed it."""

    def _reconstruct_aggregate(
        self, aggregate_id: UUID, version: int | None, projector_func: Any
    ) -> Any:
        try:
            return super()._reconstruct_aggregate(aggregate_id, version, projector_func)
        except SnapshotUnusable:
            events = cast(Iterable[Any], self.event_store.get(aggregate_id, lte=version))
            aggregate = projector_func(None, events)
            if aggregate is None:
                raise AggregateNotFoundError(str(aggregate_id)) from None
            return aggregate
