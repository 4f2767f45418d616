"""A durable consumer must not resume on a store that never saw what it acknowledged.

JetStream remembers how far a durable consumer got (its ack floor); the store remembers every
upstream position it applied (its tracking rows). A consumer that has acknowledged messages
while this store has tracked none of them from that upstream is almost certainly pointed at the
wrong store — a lost ``WAYMARK_DATABASE_URL`` that fell back to a new SQLite file, say. Resuming
would acknowledge the rest into it, lost to the real store, so the consumer refuses instead and
says why. A deliberately new store (a rebuilt test system) may be accepted with
``WAYMARK_ALLOW_EMPTY_STORE_WITH_CONSUMER_PROGRESS=true``.
"""

from __future__ import annotations

import structlog
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from shared.messaging.consumer import Subscription
from shared.settings import Settings
from shared.storage.eventstore import WaymarkApplication
from shared.threads import in_thread

log = structlog.get_logger(__name__)

OVERRIDE = "WAYMARK_ALLOW_EMPTY_STORE_WITH_CONSUMER_PROGRESS"


class StoreBehindConsumer(RuntimeError):
    """The durable consumer has acknowledged messages this store has no trace of."""


async def acknowledged_up_to(js: JetStreamContext, subscription: Subscription) -> int:
    """The stream sequence below which the durable has acknowledged everything; 0 if none."""
    try:
        info = await js.consumer_info(subscription.stream.name, subscription.durable)
    except NotFoundError:  # no stream or no durable yet: nothing was ever acknowledged
        return 0
    return info.ack_floor.stream_seq if info.ack_floor is not None else 0


def has_tracked(app: WaymarkApplication, upstream: str) -> bool:
    return app.process_recorder.max_tracking_id(upstream) is not None


async def check_store_matches_consumer(
    js: JetStreamContext,
    app: WaymarkApplication,
    subscription: Subscription,
    settings: Settings,
) -> None:
    """Raise ``StoreBehindConsumer`` when resuming would feed the wrong store."""
    upstream = subscription.stream.owner
    if await in_thread(has_tracked, app, upstream):
        return
    acknowledged = await acknowledged_up_to(js, subscription)
    if acknowledged == 0:
        return
    if settings.allow_empty_store_with_consumer_progress:
        log.warning(
            "consumer.empty_store_accepted",
            consumer=subscription.durable,
            acknowledged_up_to=acknowledged,
        )
        return
    raise StoreBehindConsumer(
        f"durable consumer {subscription.durable} has acknowledged {subscription.stream.name} "
        f"messages up to sequence {acknowledged}, but this store has applied none from "
        f"{upstream}: it is not the store that received them. Point WAYMARK_DATABASE_URL "
        f"(or WAYMARK_VAR_DIR) at the real store; if this new store is deliberate, delete the "
        f"durable to replay everything into it, or set {OVERRIDE}=true to resume where it was."
    )
