"""The whole running system a bench measures, in a temporary folder of its own."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from tests.e2e.system import System

S = TypeVar("S", bound=System)


@contextmanager
def running(kind: Callable[[Path], S]) -> Iterator[S]:
    """``kind`` (``System``, ``WebSystem``: NATS and the services as real processes) started
    in a new temporary folder; stopped, and the folder removed, when the bench is done."""
    with tempfile.TemporaryDirectory() as root:
        system = kind(Path(root))
        system.start()
        try:
            yield system
        finally:
            system.stop()
