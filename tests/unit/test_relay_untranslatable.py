"""An event no contract can carry stops the relay at it, in order: what came before it is
published and recorded, it is named once in the log by position, class and refused fields
(never a value), nothing is sent again while the relay waits, and a fixed release publishes it
and everything after it, once each."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from shared.contracts import ContactMadeV2
from shared.messaging.relay import Untranslatable, as_contracts
from tests.unit.test_relay_window import StandInJetStream, relay_over


class AcknowledgingJetStream(StandInJetStream):
    """Acknowledges every publish at once."""

    async def publish_async(self, subject: str, payload: bytes, **kwargs: Any) -> Any:
        ack = await super().publish_async(subject, payload, **kwargs)
        ack.set_result(None)
        return ack


def sent_ids(js: StandInJetStream) -> list[str]:
    return [msg_id for msg_id, _ in js.published]


async def test_an_event_its_contract_refuses_holds_the_relay_at_it_until_translated(
    tmp_path: Path,
) -> None:
    relay, _, app = relay_over(tmp_path, visits=3)
    js = AcknowledgingJetStream()
    relay._connection.js = js  # type: ignore[attr-defined]
    contacts = [
        n
        for n in app.recorder.select_notifications(start=1, limit=100)
        if n.topic.endswith("ContactMade")
    ]
    poison = contacts[1]  # the second visit's contact
    translate = relay._translate
    broken = True

    def translate_or_refuse(event: Any) -> Any:
        translated = translate(event)
        if broken and (event.originator_id, event.originator_version) == (
            poison.originator_id,
            poison.originator_version,
        ):
            # As a contract that refuses what the domain took would: here, no languages.
            (v2,) = [c for c in as_contracts(translated) if isinstance(c, ContactMadeV2)]
            ContactMadeV2.model_validate({**v2.model_dump(), "languages": []})
        return translated

    relay._translate = translate_or_refuse
    # When the relay reaches it, and the follower tries again twice
    with capture_logs() as logs:
        with pytest.raises(Untranslatable) as raised:
            while await relay.catch_up_once():
                pass
        before = sent_ids(js)
        for _ in range(2):
            with pytest.raises(Untranslatable):
                await relay.catch_up_once()
            await asyncio.sleep(0.01)
    # Then it is named by position, class and field, once, with no value from the event
    refused = raised.value
    assert (refused.position, refused.topic, refused.fields) == (
        poison.id,
        "services.visits.visit:Visit.ContactMade",
        ("languages",),
    )
    assert [line for line in logs if line["event"] == "relay.untranslatable"] == [
        {
            "event": "relay.untranslatable",
            "log_level": "error",
            "position": poison.id,
            "topic": "services.visits.visit:Visit.ContactMade",
            "fields": ["languages"],
        }
    ]
    # And everything before it went out and is recorded; nothing was sent again while waiting
    assert relay.acknowledged_position() == poison.id - 1
    assert sent_ids(js) == before
    assert before and len(before) == len(set(before))
    assert not any(str(poison.originator_id) in msg_id for msg_id in before)
    # When a fixed release translates it
    broken = False
    while await relay.catch_up_once():
        pass
    await relay.flush()
    # Then it and everything after it go out, each message once, and the position is the end
    ids = sent_ids(js)
    assert len(ids) == len(set(ids)) > len(before)
    assert any(str(poison.originator_id) in msg_id for msg_id in ids[len(before) :])
    assert relay.acknowledged_position() == app.max_notification_id()
