"""``waymark subject-access``: everything the services hold about one woman (UK GDPR Art. 15;
see docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer


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
