"""How the message benchmarks against the raw library run, time and print their figures: each
way's median rate beside the raw library's, the ratio between them, and the CPU each message
cost."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from shared.nats_server import NatsServer, free_port


@dataclass
class Clock:
    """Started when made: the wall-clock seconds since, and the CPU seconds of every thread of
    this process (not the NATS server's, which runs in its own)."""

    wall: float = field(default_factory=time.perf_counter)
    cpu: float = field(default_factory=time.process_time)

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


class Figures:
    """Each way's figures, one a run: the messages a second, and the CPU microseconds a
    message (the unit ``print_against_raw`` prints). Each way is named by its key and
    described by its label (what it measured); the first is ``raw``, the library alone."""

    def __init__(self, **labels: str) -> None:
        self.labels = labels
        self.rates: dict[str, list[float]] = {kind: [] for kind in labels}
        self.cpu: dict[str, list[float]] = {kind: [] for kind in labels}

    def record(self, kind: str, messages: int, seconds: float, cpu_seconds: float) -> None:
        self.rates[kind].append(messages / seconds)
        self.cpu[kind].append(cpu_seconds / messages * 1e6)


def print_against_raw(figures: Figures, heading: str) -> None:
    """The heading (what a run was), then one line per way, by its label; every line but raw's
    ends with its ratio to raw; each gives the median CPU microseconds a message."""
    print(heading)
    raw = statistics.median(figures.rates["raw"])
    width = max(len(label) for label in figures.labels.values())
    for kind, label in figures.labels.items():
        rate = statistics.median(figures.rates[kind])
        ratio = "" if kind == "raw" else f"  ratio {rate / raw:.2f}"
        per_message = f"  CPU {statistics.median(figures.cpu[kind]):4.0f} µs/msg"
        print(f"{label:<{width}}  {rate:8,.0f} msg/s{per_message}{ratio}")


def against_raw_arguments(doc: str, **counts: int) -> argparse.Namespace:
    """The command line of a benchmark against the raw library: its counts (``--name N``, each
    with its default), how many runs, and the store."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, default in counts.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL DSN (default: SQLite)")
    return parser.parse_args()


@contextmanager
def scratch_nats() -> Iterator[tuple[Path, NatsServer]]:
    """A temporary folder with a fresh nats-server of its own, stopped and removed after."""
    with tempfile.TemporaryDirectory() as tmp:
        server = NatsServer(Path(tmp) / "nats", free_port()).start()
        try:
            yield Path(tmp), server
        finally:
            server.stop()
