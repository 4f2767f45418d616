"""``waymark``: run the whole system locally, or one service.

``waymark run`` is the embedded default: a NATS server with JetStream from the wheel (store in
``var/nats``), and the three services on SQLite stores under ``var/``. Ctrl-C stops all of it
cleanly; starting again keeps all data.

The commands live in modules by concept; this table names them, in the order ``--help`` lists
them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from waymark.cli.dev_token import dev_token
from waymark.cli.documents import asyncapi, events_doc
from waymark.cli.master_key import new_master_key, rotate_master_key
from waymark.cli.read_models import rebuild, verify
from waymark.cli.reading import as_of, history
from waymark.cli.republish import republish
from waymark.cli.running import run, serve, web
from waymark.cli.secret_files import (
    DEV_KEY_IN_VAR,
    MASTER_KEY_IN_VAR,
    ensure_dev_signing_key,
    ensure_master_key,
)
from waymark.cli.services import service_main
from waymark.cli.subject_access import subject_access

__all__ = [
    "DEV_KEY_IN_VAR",
    "MASTER_KEY_IN_VAR",
    "cli",
    "ensure_dev_signing_key",
    "ensure_master_key",
    "main",
    "service_main",
]

COMMANDS: dict[str, Callable[..., Any]] = {
    "dev-token": dev_token,
    "serve": serve,
    "web": web,
    "run": run,
    "asyncapi": asyncapi,
    "events-doc": events_doc,
    "history": history,
    "as-of": as_of,
    "rebuild": rebuild,
    "republish": republish,
    "verify": verify,
    "rotate-master-key": rotate_master_key,
    "new-master-key": new_master_key,
    "subject-access": subject_access,
}

# No locals in tracebacks: they could hold keys or personal data.
cli = typer.Typer(
    help="Waymark: event-sourced support-journey services.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
for name, command in COMMANDS.items():
    cli.command(name)(command)


def main() -> None:
    cli()
