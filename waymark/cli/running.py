"""Running the system: one service (``serve``), the web app (``web``), or all of it with an
embedded NATS server (``run``)."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from starlette.types import ASGIApp

from services.web.settings import DEFAULT_WEB_PORT
from shared.nats_server import NatsServer, port_open, wait_for_port
from shared.settings import DEFAULT_NATS_PORT, DEFAULT_PORTS, ServiceName
from waymark.cli.secret_files import (
    DEV_KEY_IN_VAR,
    MASTER_KEY_IN_VAR,
    ensure_dev_signing_key,
    ensure_master_key,
)
from waymark.cli.services import service_main
from waymark.cli.settings import service_settings


def serve(service: ServiceName) -> None:
    """Run one service, configured by WAYMARK_* environment variables."""
    settings = service_settings(service)
    app = service_main(service).create_app(settings)
    _serve(app, settings.host, settings.port, settings.log_level)


def web() -> None:
    """Run the web app (the browser apps), configured by WAYMARK_WEB_* environment variables."""
    from services.web.main import create_app
    from services.web.settings import WebSettings

    settings = WebSettings()
    _serve(create_app(settings), settings.host, settings.port, settings.log_level)


def _serve(app: ASGIApp, host: str, port: int, log_level: str) -> None:
    settle_start_up_objects()
    # Access logs off: paths hold only ids, but the fewer lines about people the better.
    # No logging configuration of uvicorn's own: its lines go through the app's (structlog).
    uvicorn.run(
        app, host=host, port=port, access_log=False, log_level=log_level.lower(), log_config=None
    )


def settle_start_up_objects() -> None:
    """Keep the objects built at start-up (modules, schemas, routes: ~115,000 in a service)
    out of the garbage collector's full collections. They live as long as the process, yet
    each full collection walked them all — ~60 ms of CPU holding the GIL, a pause for every
    request and worker thread in flight; frozen, it walks only what came after."""
    gc.collect()
    gc.freeze()


def run(
    var_dir: Annotated[
        Path, typer.Option(envvar="WAYMARK_VAR_DIR", help="Where all data lives")
    ] = Path("var"),
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
    web_port: int = DEFAULT_WEB_PORT,
) -> None:
    """Run NATS and the three services on SQLite under VAR_DIR, until Ctrl-C."""
    var_dir = var_dir.resolve()
    master_key = ensure_master_key(var_dir / MASTER_KEY_IN_VAR)
    dev_key = ensure_dev_signing_key(var_dir / DEV_KEY_IN_VAR)
    nats: NatsServer | None = None
    if nats_url is None:
        nats = NatsServer(
            var_dir / "nats", nats_port, log_file=var_dir / "logs" / "nats.log", new_session=True
        )
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
    for service, port in [*ports.items(), ("web", web_port)]:
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
        if not (
            os.environ.get("WAYMARK_AUTH_JWKS_URL") or os.environ.get("WAYMARK_AUTH_JWKS_FILE")
        ):
            env["WAYMARK_AUTH_DEV_KEY_FILE"] = str(dev_key)
        processes.append(
            subprocess.Popen([sys.executable, "-m", "waymark.cli", "serve", service.value], env=env)
        )
    processes.append(
        subprocess.Popen(
            [sys.executable, "-m", "waymark.cli", "web"],
            env=web_environment(host, web_port, ports, var_dir, dev_key),
        )
    )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for port in [*ports.values(), web_port]:
            wait_for_port(host, port, timeout=60)
        typer.echo(f"Open http://{host}:{web_port} to use Waymark in a browser.")
        typer.echo(f"{'nats':<14}{nats_url}")
        for service, port in ports.items():
            typer.echo(f"{service.value:<14}http://{host}:{port}   docs: http://{host}:{port}/docs")
        typer.echo(f"Data in {var_dir}. Ctrl-C stops everything.")
        typer.echo("Tokens for trying it: .venv/bin/waymark dev-token caseworker (or another role)")
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.2)
    finally:
        stop_processes(processes)
        if nats:
            nats.stop()
        typer.echo("Stopped.")


def stop_processes(processes: Iterable[subprocess.Popen[bytes]], grace_s: float = 15) -> None:
    """SIGTERM to each process still running, so that all shut down at once; then a kill for
    any that has not stopped within ``grace_s``."""
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            process.kill()


def web_environment(
    host: str, port: int, ports: dict[ServiceName, int], var_dir: Path, dev_key: Path
) -> dict[str, str]:
    """The embedded run's web app: plain http on this machine, development sign-in unless
    an identity provider is configured."""
    env = {
        **os.environ,
        "WAYMARK_WEB_HOST": host,
        "WAYMARK_WEB_PORT": str(port),
        "WAYMARK_WEB_PUBLIC_URL": f"http://{host}:{port}",
        "WAYMARK_WEB_COOKIE_SECURE": "false",
        "WAYMARK_WEB_VISITS_URL": f"http://{host}:{ports[ServiceName.VISITS]}",
        "WAYMARK_WEB_CASES_URL": f"http://{host}:{ports[ServiceName.CASES]}",
        "WAYMARK_WEB_NOTIFICATIONS_URL": f"http://{host}:{ports[ServiceName.NOTIFICATIONS]}",
    }
    if not os.environ.get("WAYMARK_WEB_OIDC_ISSUER"):
        env["WAYMARK_WEB_DEV_KEY_FILE"] = str(dev_key)
    return env
