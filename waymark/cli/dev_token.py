"""``waymark dev-token``: a development bearer token, for trying the services from a shell."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from shared.security.roles import Role
from shared.security.tokens import issue_dev_token
from shared.settings import ServiceName
from waymark.cli.secret_files import DEV_KEY_IN_VAR
from waymark.cli.settings import START_FIRST, VarDir, refuse, service_settings


def dev_token(
    role: Annotated[list[Role], typer.Argument(help="One or more roles")],
    subject: Annotated[str, typer.Option(help="The user's opaque id (never a name)")] = "dev-user",
    team: Annotated[str | None, typer.Option(help="Her team, for caseworkers")] = None,
    hours: Annotated[float, typer.Option(min=0.05, max=24)] = 8,
    var_dir: VarDir = Path("var"),
) -> None:
    """Print a development bearer token for ROLE: signed with WAYMARK_AUTH_DEV_KEY[_FILE] when
    set (as for the services), else with the embedded run's key; never production."""
    settings = service_settings(ServiceName.VISITS)
    if settings.auth_dev_key is None and settings.auth_dev_key_file is None:
        key_file = var_dir / DEV_KEY_IN_VAR
        if not key_file.exists():
            refuse(
                f"No development key at {key_file.resolve()}: {START_FIRST}, or, if it runs"
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
