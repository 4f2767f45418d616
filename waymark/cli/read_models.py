"""``waymark rebuild`` and ``verify``: a read model rebuilt from the events, and every read
model checked against them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shared.settings import ServiceName
from waymark.cli.progress import progress_bar
from waymark.cli.services import service_parts
from waymark.cli.settings import VarDir


def rebuild(
    service: ServiceName,
    projection: Annotated[str, typer.Argument(help="The read model's name, e.g. caseload")],
    batch_size: Annotated[int, typer.Option(min=1, help="Events read and decoded at once")] = 5000,
    var_dir: VarDir = Path("var"),
) -> None:
    """Rebuild a read model from zero beside the live one and swap it in (safe while the
    service runs: it keeps serving the old one until the swap)."""
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
        with progress_bar() as bar:
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
