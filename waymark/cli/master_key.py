"""The master key that wraps the per-person keys: a new one, and the rotation to it (see
docs/operations.md, "Rotating the master key")."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated

import typer

from shared.settings import ServiceName
from waymark.cli.progress import progress_bar
from waymark.cli.secret_files import ensure_master_key
from waymark.cli.settings import VarDir, admin_settings


def rotate_master_key(
    service: ServiceName,
    batch_size: Annotated[int, typer.Option(min=1, help="Keys re-wrapped per transaction")] = 500,
    var_dir: VarDir = Path("var"),
) -> None:
    """Re-wrap the service's per-person keys with the current master key (events untouched;
    safe while the service runs; an interrupted run carries on where it stopped)."""
    from shared.runtime import open_stores
    from shared.storage.keyring import MasterKeyUnavailableError

    stores = open_stores(admin_settings(service, var_dir))
    try:
        keyring = stores.keyring
        with progress_bar() as bar:
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
