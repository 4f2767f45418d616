"""Managers' statistics as server-drawn SVG bar charts and as CSV.

A chart is a picture of a table, never more: the page shows the same numbers in a table beside
it (the accessible version), and the CSV download carries them too. A suppressed cell (a count
under the service's threshold, published as null) is never drawn as nothing or as zero: it gets
a hatched bar of its own with the words "fewer than 11", so it is told apart by its text and
pattern, not by colour alone. Nothing is added up: the service publishes no totals, so neither
does this.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

#: Below this the service publishes no count (its ``k_anonymity``); the words used for it.
DEFAULT_THRESHOLD = 11

_WIDTH = 640
_LABEL_WIDTH = 230
_VALUE_SPACE = 120
_ROW = 28
_BAR = 18
_TOP = 8


@dataclass(frozen=True)
class Bar:
    """One published cell: a label in words and its count, or None where it is suppressed."""

    label: str
    count: int | None

    @property
    def suppressed(self) -> bool:
        return self.count is None


def fewer_than(threshold: int) -> str:
    return f"fewer than {threshold}"


def value_text(bar: Bar, threshold: int = DEFAULT_THRESHOLD) -> str:
    """The count as shown in a chart or table: a number, or "fewer than 11" — never 0 or blank."""
    return fewer_than(threshold) if bar.count is None else str(bar.count)


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    *,
    threshold: int = DEFAULT_THRESHOLD,
) -> Markup:
    """A horizontal bar chart as inline SVG: ``role="img"`` with a title and a description that
    says what it shows; each bar carries its number (or "fewer than 11") as text.

    ``chart_id`` must be unique on the page: the title, description and hatch pattern use it.
    """
    if not chart_id.replace("-", "").isalnum():
        raise ValueError("chart_id must be letters, digits and dashes")
    scale_max = max([bar.count for bar in bars if bar.count is not None] + [threshold])
    plot = _WIDTH - _LABEL_WIDTH - _VALUE_SPACE
    height = _TOP * 2 + _ROW * max(len(bars), 1)
    hatch = f"{chart_id}-suppressed"
    suppressed = sum(1 for bar in bars if bar.suppressed)
    desc = (
        f"{len(bars)} bars. "
        + (
            f"{suppressed} of them suppressed ({fewer_than(threshold)}), drawn hatched. "
            if suppressed
            else ""
        )
        + "The same numbers are in the table below the chart."
        if bars
        else "No counts for these months."
    )
    parts = [
        f'<svg class="waymark-chart" role="img" viewBox="0 0 {_WIDTH} {height}"'
        f' width="100%" preserveAspectRatio="xMinYMin meet"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        "<defs>",
        f'<pattern id="{hatch}" width="8" height="8" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)">',
        '<rect width="8" height="8" fill="#ffffff"/>',
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#505a5f" stroke-width="3"/>',
        "</pattern>",
        "</defs>",
    ]
    for index, bar in enumerate(bars):
        y = _TOP + index * _ROW
        text_y = y + _BAR - 4
        parts.append(
            f'<text class="waymark-chart__label" x="{_LABEL_WIDTH - 8}" y="{text_y}"'
            f' text-anchor="end">{escape(_clip(bar.label))}</text>'
        )
        if bar.count is None:
            # As long as the threshold would be: a small cell is "up to here", not nothing.
            width = max(round(plot * (threshold - 1) / scale_max), 4)
            parts.append(
                f'<rect class="waymark-chart__bar waymark-chart__bar--suppressed"'
                f' x="{_LABEL_WIDTH}" y="{y}" width="{width}" height="{_BAR}"'
                f' fill="url(#{hatch})" stroke="#505a5f" stroke-width="1"'
                f' stroke-dasharray="4 2"/>'
            )
        else:
            width = max(round(plot * bar.count / scale_max), 1 if bar.count else 0)
            parts.append(
                f'<rect class="waymark-chart__bar" x="{_LABEL_WIDTH}" y="{y}"'
                f' width="{width}" height="{_BAR}" fill="#1d3b4a"/>'
            )
        parts.append(
            f'<text class="waymark-chart__value" x="{_LABEL_WIDTH + width + 6}"'
            f' y="{text_y}">{escape(value_text(bar, threshold))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


def _clip(label: str, limit: int = 34) -> str:
    # The full label is in the table beside the chart.
    return label if len(label) <= limit else label[: limit - 1] + "…"


CSV_HEADER = ("measure", "month", "code", "count")


def statistics_csv(cells: Iterable[dict[str, Any]], threshold: int = DEFAULT_THRESHOLD) -> str:
    """The published cells as CSV, as the service gave them: a suppressed cell as ``<11``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for cell in cells:
        count = cell.get("count")
        shown = f"<{threshold}" if cell.get("suppressed") or count is None else str(int(count))
        writer.writerow(
            [_safe(str(cell["measure"])), str(cell["month"]), _safe(str(cell["code"])), shown]
        )
    return out.getvalue()


def _safe(value: str) -> str:
    # Codes are plain words, but a spreadsheet must never read a cell as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
