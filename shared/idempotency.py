"""``Idempotency-Key`` claims, stored as tiny aggregates in the service's own event store.

A claim's id is derived from the key, and it is saved in the same transaction as the command's
effects, so two racing retries cannot both succeed and a crash cannot leave half a claim.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "urn:waymark:idempotency-key")


class IdempotencyClaim(Aggregate):
    @staticmethod
    def create_id(scope: str, key: str) -> UUID:
        return uuid5(_NAMESPACE, f"{scope}\x00{key}")

    @event("Claimed")
    def __init__(self, scope: str, key: str, resource_id: UUID) -> None:
        self.scope = scope
        self.resource_id = resource_id
