"""Ids that more than one service derives, so each can find the same record without asking.

A contact met on a visit opens a journey in cases whose id is ``uuid5`` of the contact id in
this namespace (``Journey.create_id``). Visits needs the same derivation to answer a subject
access request for a journey by itself; ``tests/service/test_subject_access.py`` checks both agree.
"""

from __future__ import annotations

from uuid import UUID, uuid5

JOURNEY_NAMESPACE = UUID("5d6c3c7e-6f0b-4c59-9a8e-0f4f7f1d9a11")


def journey_id_for_contact(contact_id: UUID) -> UUID:
    """The id of the journey that a first contact opens in cases."""
    return uuid5(JOURNEY_NAMESPACE, str(contact_id))
