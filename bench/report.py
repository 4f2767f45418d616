"""How the message benchmarks print their figures: each way's median rate beside the raw
library's, and the ratio between them."""

from __future__ import annotations

import statistics
from collections.abc import Mapping


def print_against_raw(rates: Mapping[str, list[float]], labels: Mapping[str, str]) -> None:
    """One line per way (``labels``: its key in ``rates`` → what it measured), the first
    being ``raw``, the library alone; every other line ends with its ratio to raw."""
    raw = statistics.median(rates["raw"])
    width = max(len(label) for label in labels.values())
    for kind, label in labels.items():
        rate = statistics.median(rates[kind])
        ratio = "" if kind == "raw" else f"  ratio {rate / raw:.2f}"
        print(f"{label:<{width}}  {rate:8,.0f} msg/s{ratio}")
