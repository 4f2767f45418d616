"""How the message benchmarks time and print their figures: each way's median rate beside the
raw library's, the ratio between them, and the CPU each message cost."""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass, field


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
    message (the unit ``print_against_raw`` prints)."""

    def __init__(self, *kinds: str) -> None:
        self.rates: dict[str, list[float]] = {kind: [] for kind in kinds}
        self.cpu: dict[str, list[float]] = {kind: [] for kind in kinds}

    def record(self, kind: str, messages: int, seconds: float, cpu_seconds: float) -> None:
        self.rates[kind].append(messages / seconds)
        self.cpu[kind].append(cpu_seconds / messages * 1e6)


def print_against_raw(figures: Figures, labels: Mapping[str, str]) -> None:
    """One line per way (``labels``: its key in ``figures`` → what it measured), the first
    being ``raw``, the library alone; every other line ends with its ratio to raw; each gives
    the median CPU microseconds a message."""
    raw = statistics.median(figures.rates["raw"])
    width = max(len(label) for label in labels.values())
    for kind, label in labels.items():
        rate = statistics.median(figures.rates[kind])
        ratio = "" if kind == "raw" else f"  ratio {rate / raw:.2f}"
        per_message = f"  CPU {statistics.median(figures.cpu[kind]):4.0f} µs/msg"
        print(f"{label:<{width}}  {rate:8,.0f} msg/s{per_message}{ratio}")
