"""Provision JetStream streams idempotently from their specs."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from shared.contracts.streams import StreamSpec
from shared.settings import Settings

STREAM_NAME_IN_USE = 10058


def stream_config(spec: StreamSpec, settings: Settings) -> StreamConfig:
    return StreamConfig(
        name=spec.name,
        description=spec.description,
        subjects=list(spec.subjects),
        retention=RetentionPolicy.LIMITS,  # an event log: replays need every message
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        # De-duplication by Nats-Msg-Id must outlast a relay outage plus a NATS outage.
        duplicate_window=settings.stream_duplicate_window_s,
        num_replicas=settings.stream_replicas,
    )


async def ensure_streams(
    js: JetStreamContext, specs: tuple[StreamSpec, ...], settings: Settings
) -> None:
    for spec in specs:
        config = stream_config(spec, settings)
        try:
            await js.add_stream(config)
        except BadRequestError as error:
            if error.err_code != STREAM_NAME_IN_USE:
                raise
            await js.update_stream(config)
