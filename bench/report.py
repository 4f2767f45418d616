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


def print_against_raw(
    rates: Mapping[str, list[float]],
    labels: Mapping[str, str],
    cpu: Mapping[str, list[float]] | None = None,
) -> None:
    """One line per way (``labels``: its key in ``rates`` → what it measured), the first
    being ``raw``, the library alone; every other line ends with its ratio to raw, and with
    the median CPU microseconds a message when ``cpu`` gives them."""
    raw = statistics.median(rates["raw"])
    width = max(len(label) for label in labels.values())
    for kind, label in labels.items():
        rate = statistics.median(rates[kind])
        ratio = "" if kind == "raw" else f"  ratio {rate / raw:.2f}"
        per_message = "" if cpu is None else f"  CPU {statistics.median(cpu[kind]):4.0f} µs/msg"
        print(f"{label:<{width}}  {rate:8,.0f} msg/s{per_message}{ratio}")
