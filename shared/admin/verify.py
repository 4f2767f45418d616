"""Verify read models against the aggregates: re-fold every aggregate from its events and compare
the fields a projection holds, reporting any difference.

Each service says what to compare with a ``Verifier`` (``ServiceParts.verify``).
Aggregates are folded up to the projection's own position, so a projection that is merely
behind the log is not reported as different.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from shared.storage.eventstore import WaymarkApplication
from shared.storage.projection import Projection
from shared.storage.topics import all_topics


@dataclass(frozen=True)
class Difference:
    projection: str
    aggregate_id: str
    field: str
    expected: Any  # from the events
    found: Any  # in the read model

    def __str__(self) -> str:
        return (
            f"{self.projection} {self.aggregate_id} {self.field}:"
            f" events say {self.expected!r}, read model has {self.found!r}"
        )


#: (the app) -> every difference found
Verifier = Callable[[], list[Difference]]


def versions_at(
    app: WaymarkApplication, position: int, event_classes: Any, page: int = 1000
) -> dict[UUID, int]:
    """Each aggregate's last version among these event classes, up to a log position."""
    topics = all_topics(event_classes)
    versions: dict[UUID, int] = {}
    after = 0
    while after < position:
        notifications = app.recorder.select_notifications(
            start=after, limit=page, stop=position, topics=topics, inclusive_of_start=False
        )
        if not notifications:
            break
        for notification in notifications:
            originator = notification.originator_id
            key = originator if isinstance(originator, UUID) else UUID(str(originator))
            versions[key] = int(notification.originator_version)
        after = notifications[-1].id
    return versions


def compare_rows(
    projection: Projection,
    expected: Mapping[str, Mapping[str, Any]],
    found: Mapping[str, Mapping[str, Any]],
) -> Iterator[Difference]:
    """Rows keyed by aggregate id: each expected field against the read model's."""
    for key, fields in expected.items():
        row = found.get(key)
        if row is None:
            yield Difference(projection.name, key, "(row)", "present", "missing")
            continue
        for field, value in fields.items():
            if row.get(field) != value:
                yield Difference(projection.name, key, field, value, row.get(field))
    for key in found.keys() - expected.keys():
        yield Difference(projection.name, key, "(row)", "absent", "present")


def fold(app: WaymarkApplication, aggregate_id: UUID, version: int) -> Any:
    return app.repository.get(aggregate_id, version=version)
