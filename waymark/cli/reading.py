"""``waymark history`` and ``as-of``: an aggregate's events, or its state at a point, read
from the service's own stores without NATS, and audited as a read over HTTP would be."""

from __future__ import annotations

import getpass
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from shared.runtime import Stores
from shared.settings import ServiceName
from waymark.cli.services import service_parts
from waymark.cli.settings import VarDir

Personal = Annotated[
    bool, typer.Option("--personal", help="Show personal fields (the read is audited)")
]


def history(
    service: ServiceName,
    aggregate_id: UUID,
    personal: Personal = False,
    var_dir: VarDir = Path("var"),
) -> None:
    """Print every event of an aggregate (visit, premises, journey, notification) as JSON."""
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
    personal: Personal = False,
    var_dir: VarDir = Path("var"),
) -> None:
    """Print an aggregate's state at a version, or as it was known at a time, as JSON."""
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
