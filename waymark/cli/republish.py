"""``waymark republish``: a range of a service's log sent to NATS again."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from shared.settings import ServiceName
from waymark.cli.progress import progress_bar
from waymark.cli.services import service_parts
from waymark.cli.settings import VarDir


def republish(
    service: ServiceName,
    start: Annotated[int, typer.Option("--from", min=1, help="First notification id")] = 1,
    stop: Annotated[
        int | None, typer.Option("--to", min=1, help="Last notification id (default: the head)")
    ] = None,
    connect_timeout: Annotated[float, typer.Option(help="Give up if NATS is not up by then")] = (
        30.0
    ),
    var_dir: VarDir = Path("var"),
) -> None:
    """Re-publish a range of the service's log to NATS with the relay's message ids (safe
    against duplicates: JetStream drops them in its window, consumers' tracking beyond it)."""
    from shared.admin.republish import republish as republish_range
    from shared.messaging.connection import NatsConnection

    with service_parts(service, var_dir) as (stores, parts):
        outbound = parts.outbound
        if outbound is None:
            typer.echo(f"{service.value} publishes nothing.", err=True)
            raise typer.Exit(2)
        settings = stores.settings

        async def go() -> int:
            connection = NatsConnection(settings, client_name=f"waymark-republish-{service}")
            await connection.start()
            try:
                async with asyncio.timeout(connect_timeout):
                    await connection.jetstream()
                with progress_bar("republish") as bar:
                    task = bar.add_task("republish", total=None)
                    return await republish_range(
                        parts.application,
                        outbound=outbound,
                        positions=stores.positions,
                        connection=connection,
                        settings=settings,
                        start=start,
                        stop=stop,
                        on_progress=lambda at, last: bar.update(task, completed=at, total=last),
                    )
            finally:
                await connection.close()

        try:
            published = asyncio.run(go())
        except TimeoutError:
            typer.echo("NATS is not reachable.", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"Re-published {published} messages from {service.value}.")
