"""Documents generated from the code: the AsyncAPI description and the event catalogue."""

from __future__ import annotations

import typer


def asyncapi() -> None:
    """Print the AsyncAPI description of the integration events (docs/asyncapi.json)."""
    import json

    from shared.contracts.asyncapi import build_asyncapi

    typer.echo(json.dumps(build_asyncapi(), indent=2, sort_keys=True))


def events_doc() -> None:
    """Print the event catalogue (docs/events.md), generated from the code."""
    from waymark.catalogue import build_catalogue

    typer.echo(build_catalogue(), nl=False)
