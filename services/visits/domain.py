"""Where the visit used to live, and where its stored events still point.

Events stored before the visit was split by concept name their classes by the topics
``services.visits.domain:Visit.<Event>``, and each visit's first names its aggregate
``services.visits.domain:Visit``. Those topics are registered here for the classes in
``services.visits.visit``, so old events decode to them and every log follower selects them
too (``shared.storage.topics``). The library imports this module to resolve an old topic, and
the visits application imports it, so the registration is in place before anything is read.
"""

from __future__ import annotations

from services.visits.visit import Visit, default_outcome
from shared.storage.topics import events_of, register_former_topics

__all__ = ["VISIT_EVENTS", "Visit", "default_outcome"]

#: Every event a visit can record (for followers that read them all).
VISIT_EVENTS = events_of(Visit)

_FORMER_MODULE = "services.visits.domain"

register_former_topics(
    {
        f"{_FORMER_MODULE}:Visit": Visit,
        **{f"{_FORMER_MODULE}:Visit.{cls.__name__}": cls for cls in VISIT_EVENTS},
    }
)
