"""What a request names is not recorded at all (404): a visit, a premises, or an item on a visit.

These are not rules of the visit (``errors``): they say the thing asked about is not there.
"""

from __future__ import annotations


class NotFound(Exception):
    """What the path names does not exist (404)."""


class VisitNotFound(NotFound):
    """No such visit."""


class ContactNotFound(NotFound):
    """No such contact on this visit."""


class ConcernNotFound(NotFound):
    """No such concern on this visit."""


class PremisesNotFound(NotFound):
    """No such premises."""
