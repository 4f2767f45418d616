"""``waymark``: run the whole system locally, or one service.

``waymark run`` is the embedded default: a NATS server with JetStream from the wheel (store in
``var/nats``), and the three services on SQLite stores under ``var/``. Ctrl-C stops all of it
cleanly; starting again keeps all data.
"""

from __future__ import annotations

import base64
import getpass
import importlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, NoReturn
from uuid import UUID

import typer
import uvicorn
from pydantic import ValidationError
from starlette.types import ASGIApp

from services.web.settings import DEFAULT_WEB_PORT
from shared.nats_server import NatsServer, port_open, wait_for_port
from shared.runtime import ServiceParts, Stores
from shared.security.roles import Role
from shared.security.tokens import issue_dev_token
from shared.settings import DEFAULT_NATS_PORT, DEFAULT_PORTS, ServiceName, Settings

# No locals in tracebacks: they could hold keys or personal data.
cli = typer.Typer(
    help="Waymark: event-sourced support-journey services.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


#: Each service's composition root: its ``create_app`` (serve) and ``assemble`` (the admin
#: commands). Imported by name so that a command loads only the service it works on.
SERVICE_MAIN = {
    ServiceName.VISITS: "services.visits.main",
    ServiceName.CASES: "services.cases.main",
    ServiceName.NOTIFICATIONS: "services.notifications.main",
}


def service_main(service: ServiceName) -> ModuleType:
    return importlib.import_module(SERVICE_MAIN[service])


#: Where the embedded run keeps its secrets, inside its data directory; the admin commands
#: find them there when nothing else is configured.
MASTER_KEY_IN_VAR = Path("secrets") / "master.key"
DEV_KEY_IN_VAR = Path("secrets") / "dev-jwt.key"

#: Every command that reads the embedded run's data takes the same option, so a shell in another
#: directory can point at it.
VarDir = Annotated[
    Path,
    typer.Option(
        envvar="WAYMARK_VAR_DIR",
        help="The data directory of the embedded run (`waymark run --var-dir`)",
    ),
]
_START_FIRST = "start the system once first (bash scripts/run.sh)"


def refuse(message: str) -> NoReturn:
    """An expected problem (a missing setting or directory): one line and exit code 2, not a
    traceback."""
    typer.echo(message, err=True)
    raise typer.Exit(2)


def _settings_problem(error: ValidationError) -> str:
    # hide_input_in_errors: the messages name the setting and the rule, never the value.
    def one(loc: tuple[int | str, ...], message: str) -> str:
        return f"WAYMARK_{str(loc[0]).upper()}: {message}" if loc else message

    return "Invalid settings: " + "; ".join(
        one(problem["loc"], problem["msg"]) for problem in error.errors()
    )


def _ensure_secret_file(path: Path, make: Callable[[], str]) -> Path:
    """A secret created once, owner-only from the first byte (O_EXCL: never overwritten)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make() + "\n")
    return path


def ensure_master_key(path: Path) -> Path:
    """A development master key (base64 of 32 random bytes)."""
    return _ensure_secret_file(path, lambda: base64.b64encode(secrets.token_bytes(32)).decode())


def ensure_dev_signing_key(path: Path) -> Path:
    """The embedded run's HS256 development secret."""
    return _ensure_secret_file(path, lambda: secrets.token_urlsafe(48))


@cli.command("dev-token")
def dev_token(
    role: Annotated[list[Role], typer.Argument(help="One or more roles")],
    subject: Annotated[str, typer.Option(help="The user's opaque id (never a name)")] = "dev-user",
    team: Annotated[str | None, typer.Option(help="Her team, for caseworkers")] = None,
    hours: Annotated[float, typer.Option(min=0.05, max=24)] = 8,
    var_dir: VarDir = Path("var"),
) -> None:
    """Print a development bearer token for ROLE: signed with WAYMARK_AUTH_DEV_KEY[_FILE] when
    set (as for the services), else with the embedded run's key; never production."""
    try:
        settings = Settings(service=ServiceName.VISITS)
    except ValidationError as error:
        refuse(_settings_problem(error))
    if settings.auth_dev_key is None and settings.auth_dev_key_file is None:
        key_file = var_dir / DEV_KEY_IN_VAR
        if not key_file.exists():
            refuse(
                f"No development key at {key_file.resolve()}: {_START_FIRST}, or, if it runs"
                " with another data directory, pass that with --var-dir."
            )
        settings = settings.model_copy(update={"auth_dev_key_file": key_file})
    try:
        token = issue_dev_token(
            settings, role, subject=subject, team=team, lifetime=timedelta(hours=hours)
        )
    except (ValueError, OSError) as error:
        refuse(f"No development token: {error}.")
    typer.echo(token)


@cli.command()
def serve(service: ServiceName) -> None:
    """Run one service, configured by WAYMARK_* environment variables."""
    try:
        settings = Settings(service=service)
    except ValidationError as error:
        refuse(_settings_problem(error))
    app = service_main(service).create_app(settings)
    _serve(app, settings.host, settings.port, settings.log_level)


@cli.command()
def web() -> None:
    """Run the web app (the browser apps), configured by WAYMARK_WEB_* environment variables."""
    from services.web.main import create_app
    from services.web.settings import WebSettings

    settings = WebSettings()
    _serve(create_app(settings), settings.host, settings.port, settings.log_level)


def _serve(app: ASGIApp, host: str, port: int, log_level: str) -> None:
    # Access logs off: paths hold only ids, but the fewer lines about people the better.
    # No logging configuration of uvicorn's own: its lines go through the app's (structlog).
    uvicorn.run(
        app, host=host, port=port, access_log=False, log_level=log_level.lower(), log_config=None
    )


@cli.command()
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


@cli.command()
def asyncapi() -> None:
    """Print the AsyncAPI description of the integration events (docs/asyncapi.json)."""
    import json

    from shared.contracts.asyncapi import build_asyncapi

    typer.echo(json.dumps(build_asyncapi(), indent=2, sort_keys=True))


@cli.command("events-doc")
def events_doc() -> None:
    """Print the event catalogue (docs/events.md), generated from the code."""
    from waymark.catalogue import build_catalogue

    typer.echo(build_catalogue(), nl=False)


# --- admin: history and as-of, on the service's own stores, without NATS --------------------


def admin_settings(service: ServiceName, var_dir: Path) -> Settings:
    """The service's settings as `waymark serve` reads them (WAYMARK_*), and where nothing says
    otherwise the embedded run's: its data directory and the master key it made there. Refuses
    in one line when the data or the key is not there, before any store is created."""
    try:
        settings = Settings(service=service, var_dir=var_dir)
    except ValidationError as error:
        refuse(_settings_problem(error))
    if settings.master_key is None and settings.master_key_file is None:
        settings = settings.model_copy(update={"master_key_file": var_dir / MASTER_KEY_IN_VAR})
    # Opening the stores would create empty ones: a wrong directory must not look like no data.
    if not settings.uses_postgres and not settings.service_dir.is_dir():
        refuse(
            f"No {service.value} data in {var_dir.resolve()}: {_START_FIRST}, or pass its data"
            " directory with --var-dir (or set WAYMARK_DATABASE_URL for PostgreSQL)."
        )
    if settings.master_key_file is not None and not settings.master_key_file.is_file():
        refuse(
            f"No master key at {settings.master_key_file.resolve()}: set"
            " WAYMARK_MASTER_KEY_FILE (or WAYMARK_MASTER_KEY) to the service's key."
        )
    try:
        settings.master_key_bytes()
        settings.previous_master_key_bytes()
    except (ValueError, OSError) as error:
        refuse(f"The master key cannot be used: {error}.")
    return settings


@contextmanager
def service_parts(
    service: ServiceName, var_dir: Path
) -> Iterator[tuple[Stores, ServiceParts[Any, Any]]]:
    """The service's parts on its stores, from the same settings as the service; nothing
    started."""
    from shared.logging import configure_logging
    from shared.runtime import open_stores

    settings = admin_settings(service, var_dir)
    configure_logging(settings)  # to stderr: stdout is the command's JSON
    assemble = service_main(service).assemble
    stores = open_stores(settings)
    try:
        parts: ServiceParts[Any, Any] = assemble(stores)
        try:
            yield stores, parts
        finally:
            parts.application.close()
    finally:
        stores.close()


def _reader() -> str:
    """Who reads from a shell: the operating-system account (the audit's actor)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (a bare container)
        name = f"uid-{os.getuid()}" if hasattr(os, "getuid") else ""
    user = "".join(c for c in name if c.isalnum() or c in "._-")[:64]
    return f"cli:{user or 'unknown'}"


def _audit_read(
    stores: Stores, action: str, aggregate_id: UUID, personal: bool, found: bool
) -> None:
    """The CLI reads the stores directly, past the HTTP audit: it writes the entry itself
    (before printing), so a history read from a shell is as visible to auditors as one over
    HTTP."""
    from shared.security.audit import AuditEntry

    stores.audit.append(
        AuditEntry(
            service=stores.settings.service.value,
            actor=_reader(),
            roles=("cli",),
            action=f"CLI {action}",
            record_type="aggregate",
            record_id=str(aggregate_id),
            outcome=200 if found else 404,
            purpose="history-with-personal-data" if personal else None,
        )
    )


@cli.command()
def history(
    service: ServiceName,
    aggregate_id: UUID,
    personal: Annotated[
        bool, typer.Option("--personal", help="Show personal fields (the read is audited)")
    ] = False,
    var_dir: VarDir = Path("var"),
) -> None:
    """Print every event of an aggregate (visit, premises, journey, notification) as JSON."""
    import json

    from shared.admin.history import AggregateUnknown
    from shared.admin.history import history as read_history

    with service_parts(service, var_dir) as (stores, parts):
        try:
            entries = read_history(
                parts.application, aggregate_id, include_personal=personal, reader=_reader()
            )
        except AggregateUnknown:
            _audit_read(stores, "history", aggregate_id, personal, found=False)
            typer.echo(f"No aggregate {aggregate_id} in {service.value}.", err=True)
            raise typer.Exit(1) from None
        _audit_read(stores, "history", aggregate_id, personal, found=True)
    typer.echo(json.dumps([entry.as_json() for entry in entries], indent=2))


@cli.command("as-of")
def as_of(
    service: ServiceName,
    aggregate_id: UUID,
    version: Annotated[int | None, typer.Option(min=1, help="Fold up to this version")] = None,
    at: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S%z"],
            help="As it was known at this time (ISO 8601 with a zone, e.g. 2026-11-01T12:00:00Z)",
        ),
    ] = None,
    personal: Annotated[
        bool, typer.Option("--personal", help="Show personal fields (the read is audited)")
    ] = False,
    var_dir: VarDir = Path("var"),
) -> None:
    """Print an aggregate's state at a version, or as it was known at a time, as JSON."""
    import json

    from shared.admin.history import AggregateUnknown
    from shared.admin.history import as_of as read_as_of

    if (version is None) == (at is None):
        typer.echo("Give exactly one of --version or --at.", err=True)
        raise typer.Exit(2)
    with service_parts(service, var_dir) as (stores, parts):
        try:
            state = read_as_of(
                parts.application,
                aggregate_id,
                version=version,
                at=at,
                include_personal=personal,
                reader=_reader(),
            )
        except AggregateUnknown as error:
            _audit_read(stores, "as-of", aggregate_id, personal, found=False)
            typer.echo(f"Not found in {service.value}: {error}", err=True)
            raise typer.Exit(1) from None
        _audit_read(stores, "as-of", aggregate_id, personal, found=True)
    typer.echo(json.dumps(state.as_json(), indent=2))


@cli.command()
def rebuild(
    service: ServiceName,
    projection: Annotated[str, typer.Argument(help="The read model's name, e.g. caseload")],
    batch_size: Annotated[int, typer.Option(min=1, help="Events read and decoded at once")] = 5000,
    var_dir: VarDir = Path("var"),
) -> None:
    """Rebuild a read model from zero beside the live one and swap it in (safe while the
    service runs: it keeps serving the old one until the swap)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from shared.admin.rebuild import Rebuild, RebuildProgress

    with service_parts(service, var_dir) as (_stores, parts):
        by_name = {p.name: p for p in parts.projections}
        if projection not in by_name:
            typer.echo(
                f"No projection {projection!r} in {service.value}; there are: "
                + ", ".join(sorted(by_name)),
                err=True,
            )
            raise typer.Exit(2)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()) as bar:
            task = bar.add_task(f"{projection}: building", total=None)

            def show(progress: RebuildProgress) -> None:
                bar.update(
                    task,
                    completed=progress.position,
                    total=progress.target or None,
                    description=f"{projection}: {progress.state}",
                )

            outcome = Rebuild(by_name[projection], batch_size=batch_size, on_progress=show).run()
    rate = outcome.events_per_second
    typer.echo(
        f"Rebuilt {projection} up to log position {outcome.position}"
        + ("." if rate is None else f" at {rate:,.0f} events/s.")
    )


@cli.command()
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
    import asyncio

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

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
                with Progress(TextColumn("republish"), BarColumn(), MofNCompleteColumn()) as bar:
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


@cli.command()
def verify(service: ServiceName, var_dir: VarDir = Path("var")) -> None:
    """Re-fold every aggregate from its events and compare with the read models; print each
    difference (exit code 1 if there is any)."""
    from shared.admin.verify import Verifier

    with service_parts(service, var_dir) as (_stores, parts):
        check: Verifier | None = parts.verify
        if check is None:
            typer.echo(f"{service.value} has nothing to verify yet.", err=True)
            raise typer.Exit(2)
        differences = check()
    for difference in differences:
        typer.echo(str(difference))
    if differences:
        typer.echo(f"{len(differences)} difference(s) in {service.value}.", err=True)
        raise typer.Exit(1)
    typer.echo(f"{service.value}: the read models agree with the events.")


# --- admin: master-key rotation (see docs/operations.md, "Rotating the master key") ---------


@cli.command("rotate-master-key")
def rotate_master_key(
    service: ServiceName,
    batch_size: Annotated[int, typer.Option(min=1, help="Keys re-wrapped per transaction")] = 500,
    var_dir: VarDir = Path("var"),
) -> None:
    """Re-wrap the service's per-person keys with the current master key (events untouched;
    safe while the service runs; an interrupted run carries on where it stopped)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from shared.runtime import open_stores
    from shared.storage.keyring import MasterKeyUnavailableError

    stores = open_stores(admin_settings(service, var_dir))
    try:
        keyring = stores.keyring
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()) as bar:
            task = bar.add_task(f"{service.value}: re-wrapping", total=None)
            try:
                report = keyring.rewrap(
                    batch_size=batch_size,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
            except MasterKeyUnavailableError as error:
                typer.echo(str(error), err=True)
                raise typer.Exit(1) from None
    finally:
        stores.close()
    typer.echo(
        f"{service.value}: {report.rewrapped} re-wrapped, {report.already_current} already"
        f" under master key {keyring.current_key_id}, {report.erased_skipped} erased (skipped)."
    )


@cli.command("new-master-key")
def new_master_key(path: Path) -> None:
    """Write a new random master key to PATH (mode 0600); never overwrites a file."""
    from shared.storage.keyring import master_key_id

    if path.exists():
        typer.echo(f"{path} exists: a key is never overwritten.", err=True)
        raise typer.Exit(2)
    ensure_master_key(path)
    key = base64.b64decode(path.read_text().strip())
    # The id, not the key: it is what the keyring records and what its errors name.
    typer.echo(f"Wrote a new master key to {path} (id {master_key_id(key)}).")


# --- admin: subject access (UK GDPR Art. 15; see docs/operations.md) -----------------------


@cli.command("subject-access")
def subject_access(
    journey_id: Annotated[UUID, typer.Argument(help="Her journey id (her person id in cases)")],
    out: Annotated[Path, typer.Option(help="Directory for the JSON and HTML files")],
    visits_url: Annotated[str, typer.Option()] = "http://127.0.0.1:8001",
    cases_url: Annotated[str, typer.Option()] = "http://127.0.0.1:8002",
    notifications_url: Annotated[str, typer.Option()] = "http://127.0.0.1:8003",
    token: Annotated[
        str | None,
        typer.Option(envvar="WAYMARK_TOKEN", help="An admin bearer token (or $WAYMARK_TOKEN)"),
    ] = None,
) -> None:
    """Export everything the three services hold about one woman: a JSON file and a readable
    HTML document (both 0600). Each service audits the request."""
    from shared.admin import subject_access_document as document

    if not token:
        typer.echo("An admin token is needed: --token or WAYMARK_TOKEN.", err=True)
        raise typer.Exit(2)
    urls = {"visits": visits_url, "cases": cases_url, "notifications": notifications_url}
    try:
        parts = document.fetch(str(journey_id), urls, token, document.open_client)
    except document.ExportRefused as refused:
        typer.echo(f"Subject access export refused, nothing written: {refused}.", err=True)
        raise typer.Exit(1) from None
    json_path, html_path = document.write(out, str(journey_id), parts)
    typer.echo(f"Wrote {json_path} and {html_path} (readable by you only).")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
