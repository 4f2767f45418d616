"""The progress bar of the long admin commands (rebuild, republish, key rotation)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress


def progress_bar(label: str = "{task.description}") -> Progress:
    """A bar with ``done/total`` beside it, under ``label`` (the task's description by
    default)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn())
