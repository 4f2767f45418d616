"""The topics an event class is stored under: its own, and those it was stored under before
its class moved or was renamed.

A stored event names its class by topic (``module:Class.Nested``). When a class moves, its
former topics are registered with the library so old events and snapshots still decode to it,
and followers that select notifications by topic must ask for the former topics too, or they
would skip every event stored before the move.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic, register_topic

_lock = threading.Lock()
_former: dict[type[object], list[str]] = {}


def register_former_topics(former: Mapping[str, type[object]]) -> None:
    """Each former topic resolves to its class from now on (registering again is harmless)."""
    with _lock:
        for topic, cls in former.items():
            register_topic(topic, cls)
            known = _former.setdefault(cls, [])
            if topic not in known:
                known.append(topic)


def topics_of(cls: type[object]) -> list[str]:
    """The class's topic first, then every former topic registered for it."""
    with _lock:
        return [get_topic(cls), *_former.get(cls, ())]


def all_topics(classes: Iterable[type[object]]) -> list[str]:
    """Every topic the notifications of these classes may be stored under."""
    return [topic for cls in classes for topic in topics_of(cls)]


def events_of(aggregate: type[Aggregate]) -> tuple[type[Aggregate.Event], ...]:
    """Every event the aggregate can record: the event classes defined on it, less the
    library's own bases (``Event``, ``Created``)."""
    return tuple(
        value
        for value in vars(aggregate).values()
        if isinstance(value, type)
        and issubclass(value, Aggregate.Event)
        and value.__name__ not in ("Event", "Created")
    )
