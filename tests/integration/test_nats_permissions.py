"""The bus as deployed: each service connects with its own credentials (deploy/nats), may publish
only on its own subjects, and has every right it needs to run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import nats
import pytest
from nats.errors import Error as NatsError

from services.cases.application import CasesApplication
from services.cases.main import assemble as assemble_cases
from services.visits.application import VisitsApplication
from services.visits.main import assemble as assemble_visits
from shared.contracts.streams import CASES_STREAM, VISITS_STREAM
from shared.messaging.streams import ensure_streams
from shared.nats_server import NatsServer, free_port
from shared.settings import ServiceName
from tests.integration.harness import eventually, journey_exists, start_runtime
from tests.support import hour_visit, make_settings

CONFIG = Path(__file__).parents[2] / "deploy" / "nats" / "nats.conf"
PASSWORDS = {
    "visits": "visits-test-pw",
    "cases": "cases-test-pw",
    "notifications": "notifications-test-pw",
    "ops": "ops-test-pw",
    "system": "system-test-pw",
}
T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


@pytest.fixture
def secured_nats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NatsServer]:
    for user, password in PASSWORDS.items():
        monkeypatch.setenv(f"NATS_{user.upper()}_PASSWORD", password)
    # The deployed configuration as it is, but for where it keeps its store and its ports.
    deployed = CONFIG.read_text()
    assert "store_dir: /data/jetstream" in deployed and "include accounts.conf" in deployed
    config = tmp_path / "nats.conf"
    (tmp_path / "accounts.conf").write_text((CONFIG.parent / "accounts.conf").read_text())
    config.write_text(
        deployed.replace("store_dir: /data/jetstream", f'store_dir: "{tmp_path / "js"}"').replace(
            "http: 0.0.0.0:8222", f"http: 127.0.0.1:{free_port()}"
        )
    )
    server = NatsServer(tmp_path / "nats", free_port(), config_file=config).start()
    yield server
    server.stop()


async def connect_as(server: NatsServer, user: str, errors: list[str]) -> nats.NATS:
    async def on_error(error: Exception) -> None:
        errors.append(str(error))

    return await nats.connect(
        server.url, user=user, password=PASSWORDS[user], error_cb=on_error, allow_reconnect=False
    )


async def test_a_service_cannot_publish_on_another_services_subjects(
    secured_nats: NatsServer,
) -> None:
    ops_errors: list[str] = []
    ops = await connect_as(secured_nats, "ops", ops_errors)
    await ensure_streams(
        ops.jetstream(),
        (VISITS_STREAM, CASES_STREAM),
        make_settings(ServiceName.VISITS, Path("unused")),
    )
    for user, own, foreign in [
        ("visits", "visits.contact_made.v1", "cases.journey_opened.v1"),
        ("cases", "cases.journey_opened.v1", "visits.contact_made.v1"),
        ("notifications", None, "cases.journey_opened.v1"),
    ]:
        errors: list[str] = []
        client = await connect_as(secured_nats, user, errors)
        js = client.jetstream(timeout=2)
        if own is not None:
            ack = await js.publish(own, b"{}", headers={"Nats-Msg-Id": f"{user}-own"})
            assert ack.seq >= 1
        with pytest.raises(Exception):  # noqa: B017 - refused: no stream ack ever comes
            await js.publish(foreign, b"{}", headers={"Nats-Msg-Id": f"{user}-foreign"})
        await eventually(
            lambda: any("permissions violation" in e.lower() for e in errors),  # noqa: B023
            message=f"{user}'s permissions violation reported",
        )
        await client.close()
    info = await ops.jetstream().stream_info("CASES")
    assert info.state.messages == 1  # only the cases service's own message got in
    await ops.close()


async def test_a_wrong_password_is_refused(secured_nats: NatsServer) -> None:
    with pytest.raises(NatsError):
        await nats.connect(
            secured_nats.url,
            user="visits",
            password="guess",
            allow_reconnect=False,
            max_reconnect_attempts=0,
        )


async def test_the_services_run_end_to_end_with_only_their_own_rights(
    secured_nats: NatsServer,
    tmp_path: Path,
) -> None:
    sqlite = (None, None)
    visits_runtime = await start_runtime(
        ServiceName.VISITS,
        assemble_visits,
        tmp_path / "visits",
        secured_nats.url,
        sqlite,
        nats_user="visits",
        nats_password=PASSWORDS["visits"],
    )
    cases_runtime = await start_runtime(
        ServiceName.CASES,
        assemble_cases,
        tmp_path / "cases",
        secured_nats.url,
        sqlite,
        nats_user="cases",
        nats_password=PASSWORDS["cases"],
    )
    try:
        visits, cases = visits_runtime.app, cases_runtime.app
        assert isinstance(visits, VisitsApplication) and isinstance(cases, CasesApplication)
        contact = uuid4()
        visits.record_visit(hour_visit("Alias", contact_ids=[contact]), actor="v-1")

        await eventually(
            lambda: journey_exists(cases, contact),
            message="the journey opened through the secured bus",
        )
        await eventually(
            lambda: cases_runtime.relay is not None and cases_runtime.relay.published,
            message="cases published on its own subjects",
        )
    finally:
        await cases_runtime.stop()
        await visits_runtime.stop()
