"""The base of an aggregate written as parts: one mixin class per concept, combined in one
aggregate class (``Journey``, ``Visit``).

To the type checker each part is an aggregate (``self.id``, ``trigger_event``); at run time the
parts are plain classes, so the library defines their events on the combined aggregate alone and
every event keeps one topic, ``…:Journey.<Event>`` or ``…:Visit.<Event>``.

A domain module may import this one: it imports only ``eventsourcing.domain``, as they do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventsourcing.domain import Aggregate

if TYPE_CHECKING:
    AggregatePart = Aggregate
else:
    AggregatePart = object
