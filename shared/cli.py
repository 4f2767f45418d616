"""``waymark``: run the whole system locally, or one service.

``waymark run`` is the embedded default: a NATS server with JetStream from the wheel (store in
``var/nats``), and the three services on SQLite stores under ``var/``. Ctrl-C stops all of it
cleanly; starting again keeps all data.
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from shared.nats_server import NatsServer, port_open, wait_for_port
from shared.settings import DEFAULT_NATS_PORT, DEFAULT_PORTS, ServiceName, Settings

# No locals in tracebacks: they could hold keys or personal data.
cli = typer.Typer(
    help="Waymark: event-sourced support-journey services.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def ensure_master_key(path: Path) -> Path:
    """A development master key, created once with owner-only permissions."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    return path


@cli.command()
def serve(service: ServiceName) -> None:
    """Run one service, configured by WAYMARK_* environment variables."""
    settings = Settings(service=service)
    module = {
        ServiceName.VISITS: "services.visits.main",
        ServiceName.CASES: "services.cases.main",
        ServiceName.NOTIFICATIONS: "services.notifications.main",
    }[service]
    create_app = __import__(module, fromlist=["create_app"]).create_app
    # Access logs off: paths hold only ids, but the fewer lines about people the better.
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_level=settings.log_level.lower(),
    )


@cli.command()
def run(
    var_dir: Annotated[Path, typer.Option(help="Where all data lives")] = Path("var"),
    nats_port: Annotated[int, typer.Option(help="Port of the embedded NATS server")] = (
        DEFAULT_NATS_PORT
    ),
    nats_url: Annotated[
        str | None, typer.Option(help="Use this NATS server instead of starting one")
    ] = None,
    host: str = "127.0.0.1",
    visits_port: int = DEFAULT_PORTS[ServiceName.VISITS],
    cases_port: int = DEFAULT_PORTS[ServiceName.CASES],
    notifications_port: int = DEFAULT_PORTS[ServiceName.NOTIFICATIONS],
) -> None:
    """Run NATS and the three services on SQLite under VAR_DIR, until Ctrl-C."""
    var_dir = var_dir.resolve()
    master_key = ensure_master_key(var_dir / "secrets" / "master.key")
    nats: NatsServer | None = None
    if nats_url is None:
        nats = NatsServer(var_dir / "nats", nats_port, log_file=var_dir / "logs" / "nats.log")
        try:
            nats.start()
        except RuntimeError:
            typer.echo(f"Port {nats_port} is taken: pass --nats-port or --nats-url.", err=True)
            raise typer.Exit(2) from None
        nats_url = nats.url
    ports = {
        ServiceName.VISITS: visits_port,
        ServiceName.CASES: cases_port,
        ServiceName.NOTIFICATIONS: notifications_port,
    }
    for service, port in ports.items():
        if port_open(host, port):
            typer.echo(f"Port {port} for {service} is taken.", err=True)
            if nats:
                nats.stop()
            raise typer.Exit(2)
    processes: list[subprocess.Popen[bytes]] = []
    for service, port in ports.items():
        env = {
            **os.environ,
            "WAYMARK_SERVICE": service.value,
            "WAYMARK_HOST": host,
            "WAYMARK_PORT": str(port),
            "WAYMARK_VAR_DIR": str(var_dir),
            "WAYMARK_NATS_SERVERS": nats_url,
            "WAYMARK_MASTER_KEY_FILE": str(master_key),
        }
        processes.append(
            subprocess.Popen([sys.executable, "-m", "shared.cli", "serve", service.value], env=env)
        )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for port in ports.values():
            wait_for_port(host, port, timeout=60)
        typer.echo(f"{'nats':<14}{nats_url}")
        for service, port in ports.items():
            typer.echo(f"{service.value:<14}http://{host}:{port}   docs: http://{host}:{port}/docs")
        typer.echo(f"Data in {var_dir}. Ctrl-C stops everything.")
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.2)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        if nats:
            nats.stop()
        typer.echo("Stopped.")


@cli.command()
def asyncapi() -> None:
    """Print the AsyncAPI description of the integration events (docs/asyncapi.json)."""
    import json

    from shared.contracts.asyncapi import build_asyncapi

    typer.echo(json.dumps(build_asyncapi(), indent=2, sort_keys=True))


@cli.command("events-doc")
def events_doc() -> None:
    """Print the event catalogue (docs/events.md), generated from the code."""
    from services.catalogue import build_catalogue

    typer.echo(build_catalogue(), nl=False)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
