"""Where the journey used to live, and where its stored events still point.

Events and snapshots stored before the journey was split by concept name their classes by the
topics ``services.cases.domain:Journey`` and ``services.cases.domain:Journey.<Event>``. Those
topics are registered here for the classes in ``services.cases.journey``, so old events decode
to them and every log follower selects them too (``shared.storage.topics``). The library imports
this module to resolve an old topic, and the cases application imports it, so the registration
is in place before anything is read.
"""

from __future__ import annotations

from services.cases.journey import ContactAlreadyRecorded, Journey, JourneyError, JourneyStatus
from shared.storage.topics import events_of, register_former_topics

__all__ = ["JOURNEY_EVENTS", "ContactAlreadyRecorded", "Journey", "JourneyError", "JourneyStatus"]

#: Every event a journey can record (for followers that read them all).
JOURNEY_EVENTS = events_of(Journey)

_FORMER_MODULE = "services.cases.domain"

register_former_topics(
    {
        f"{_FORMER_MODULE}:Journey": Journey,
        **{f"{_FORMER_MODULE}:Journey.{cls.__name__}": cls for cls in JOURNEY_EVENTS},
    }
)
