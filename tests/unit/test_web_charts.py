"""The web's pure helpers for the lead's and managers' screens: the statistics SVG bar charts
and CSV (suppressed cells marked, never 0 or blank; nothing in a chart that is not also in
words), notification links mapped to pages, and ids and page numbers from the address."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from services.web.charts import Bar, bar_chart, statistics_csv, value_text
from services.web.pages.inbox import address_words, page_for
from services.web.pages.statistics import cell_label, check_range, default_range

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    # The page embeds it in HTML; parsed as XML it must be well-formed too.
    namespaced = str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return ET.fromstring(namespaced)


def test_given_bars_when_drawn_then_the_chart_is_an_image_with_a_title_and_a_description() -> None:
    svg = parse(bar_chart("opened", "Journeys opened", [Bar("Mar 2026", 14), Bar("Apr 2026", 20)]))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "opened-title opened-desc"
    assert svg.find(f"{SVG}title").text == "Journeys opened"  # type: ignore[union-attr]
    assert "table below" in (svg.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts == ["Mar 2026", "14", "Apr 2026", "20"]
    widths = [int(r.get("width", "0")) for r in svg.iter(f"{SVG}rect") if r.get("y")]
    assert widths[0] < widths[1]  # the longer bar is the larger count


def test_given_a_suppressed_cell_then_its_bar_is_hatched_and_says_fewer_than_11() -> None:
    svg = parse(bar_chart("needs", "Needs", [Bar("Mar 2026 · housing", None), Bar("x", 30)]))
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("y")]
    suppressed, shown = bars
    assert suppressed.get("fill") == "url(#needs-suppressed)"
    assert "suppressed" in (suppressed.get("class") or "")
    assert int(suppressed.get("width", "0")) > 0  # drawn, never nothing
    assert shown.get("fill", "").startswith("#")
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "fewer than 11" in texts and "0" not in texts
    assert "1 of them suppressed" in (svg.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]
    assert svg.find(f"{SVG}defs/{SVG}pattern").get("id") == "needs-suppressed"  # type: ignore[union-attr]


def test_labels_are_escaped_and_an_unsafe_chart_id_is_refused() -> None:
    markup = bar_chart("c", "A <b> & c", [Bar("<script>", 12)])
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    parse(markup)
    with pytest.raises(ValueError):
        bar_chart('x" onload="', "t", [])


def test_value_text_is_a_number_or_fewer_than_the_threshold() -> None:
    assert value_text(Bar("a", 0)) == "0"
    assert value_text(Bar("a", None)) == "fewer than 11"
    assert value_text(Bar("a", None), 5) == "fewer than 5"


def test_given_published_cells_when_written_as_csv_then_suppressed_ones_say_under_11() -> None:
    cells: list[dict[str, object]] = [
        {
            "measure": "journeys_opened",
            "month": "2026-03",
            "code": "all",
            "count": 14,
            "suppressed": False,
        },
        {
            "measure": "needs_assessed",
            "month": "2026-03",
            "code": "housing",
            "count": None,
            "suppressed": True,
        },
        {
            "measure": "closures",
            "month": "2026-03",
            "code": "=cmd",
            "count": 12,
            "suppressed": False,
        },
    ]
    rows = list(csv.reader(io.StringIO(statistics_csv(cells))))
    assert rows == [
        ["measure", "month", "code", "count"],
        ["journeys_opened", "2026-03", "all", "14"],
        ["needs_assessed", "2026-03", "housing", "<11"],
        ["closures", "2026-03", "'=cmd", "12"],
    ]


def test_cell_labels_and_month_ranges() -> None:
    assert cell_label("journeys_opened", "2026-03", "all") == "Mar 2026"
    assert cell_label("referral_outcomes", "2026-03", "id_documents:accepted") == (
        "Mar 2026 · id documents: accepted"
    )
    assert check_range("2026-01", "2026-03") == {}
    assert set(check_range("2026-13", "x")) == {"from", "to"}
    assert "before" in check_range("2026-04", "2026-03")["to"]
    from datetime import UTC, datetime

    assert default_range(datetime(2026, 3, 5, tzinfo=UTC)) == ("2025-04", "2026-03")
    assert default_range(datetime(2026, 12, 5, tzinfo=UTC)) == ("2026-01", "2026-12")


def test_a_notification_link_becomes_this_apps_page_and_nothing_else_is_linked() -> None:
    journey = "3f1e2d4c-0000-4000-8000-000000000001"
    assert page_for(f"/journeys/{journey}") == (f"/journeys/{journey}", "Open the journey")
    assert page_for(f"/visits/{journey.upper()}") == (f"/visits/{journey}", "Open the visit")
    for other in (
        "/journeys/Jane",
        "https://elsewhere.example/visits/1",
        "",
        None,
        f"/visits/{journey}/x",
    ):
        assert page_for(other) is None
    assert address_words("user:sg-1") == "sg-1"
    assert address_words("role:safeguarding_lead") == "the safeguarding lead role"


def test_an_id_or_page_number_from_the_address_is_checked_without_repeating_it() -> None:
    from services.web.api import NotFound
    from services.web.pages.ids import record_id
    from services.web.pages.inbox import page_number

    journey = "3f1e2d4c-0000-4000-8000-000000000001"
    assert str(record_id(journey)) == journey
    with pytest.raises(NotFound):
        record_id("Jane Doe")
    assert [page_number(v) for v in ("3", "abc", "-2", "0", "99999999")] == [3, 1, 1, 1, 10_000]
