"""Settings as the commands read them, and how a command refuses when they are wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from shared.settings import ServiceName, Settings
from waymark.cli.secret_files import MASTER_KEY_IN_VAR

#: Every command that reads the embedded run's data takes the same option, so a shell in another
#: directory can point at it.
VarDir = Annotated[
    Path,
    typer.Option(
        envvar="WAYMARK_VAR_DIR",
        help="The data directory of the embedded run (`waymark run --var-dir`)",
    ),
]
START_FIRST = "start the system once first (bash scripts/run.sh)"


def refuse(message: str) -> NoReturn:
    """An expected problem (a missing setting or directory): one line and exit code 2, not a
    traceback."""
    typer.echo(message, err=True)
    raise typer.Exit(2)


def settings_problem(error: ValidationError) -> str:
    # hide_input_in_errors: the messages name the setting and the rule, never the value.
    def one(loc: tuple[int | str, ...], message: str) -> str:
        return f"WAYMARK_{str(loc[0]).upper()}: {message}" if loc else message

    return "Invalid settings: " + "; ".join(
        one(problem["loc"], problem["msg"]) for problem in error.errors()
    )


def service_settings(service: ServiceName) -> Settings:
    """The service's settings from WAYMARK_*, or a one-line refusal naming what is wrong."""
    try:
        return Settings(service=service)
    except ValidationError as error:
        refuse(settings_problem(error))


def admin_settings(service: ServiceName, var_dir: Path) -> Settings:
    """The service's settings as `waymark serve` reads them (WAYMARK_*), and where nothing says
    otherwise the embedded run's: its data directory and the master key it made there. Refuses
    in one line when the data or the key is not there, before any store is created."""
    try:
        settings = Settings(service=service, var_dir=var_dir)
    except ValidationError as error:
        refuse(settings_problem(error))
    if settings.master_key is None and settings.master_key_file is None:
        settings = settings.model_copy(update={"master_key_file": var_dir / MASTER_KEY_IN_VAR})
    # Opening the stores would create empty ones: a wrong directory must not look like no data.
    if not settings.uses_postgres and not settings.service_dir.is_dir():
        refuse(
            f"No {service.value} data in {var_dir.resolve()}: {START_FIRST}, or pass its data"
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
