"""Keyset pages of a read model's list: one page of rows, sought through the list's index.

A page starts just after the sort key of the last row of the page before (``after_key``), so
page 500 costs what page 1 costs, where ``offset`` reads and drops every row before it; the
total is counted only when asked (a count grows with the list, and a walk by cursor does
without). ``shared/http/paging.py`` turns a request's cursor into a window and rows into a page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NotRequired, TypedDict

from shared.storage.sql import Row, SqlCursor, count_rows

#: A piece of a WHERE clause and the values of its placeholders.
Condition = tuple[str, Sequence[Any]]


class PageWindow(TypedDict, total=False):
    """Which rows of a list one page holds: at most ``limit`` (50), from just after
    ``after_key`` (the sort key of the last row of the page before) when walking by cursor,
    skipping ``offset`` (0) more; the total is counted only when ``with_total`` (True)."""

    limit: int
    offset: int
    after_key: tuple[Any, ...] | None
    with_total: bool


class PageQuery(TypedDict):
    """What ``read_page`` reads a page of, beside its window: a read model hands it on whole."""

    select: str
    source: str
    params: Sequence[Any]
    order: str
    after: NotRequired[Callable[[Sequence[Any]], Condition] | None]
    select_params: NotRequired[Sequence[Any]]
    order_params: NotRequired[Sequence[Any]]


def later_than(columns: str) -> Callable[[Sequence[Any]], Condition]:
    """The rows whose ``columns`` (the list's order, all ascending) sort after a key."""

    def condition(key: Sequence[Any]) -> Condition:
        return f"({columns}) > ({', '.join(['%s'] * len(key))})", list(key)

    return condition


def read_page(
    cursor: SqlCursor,
    window: PageWindow,
    *,
    select: str,
    source: str,
    params: Sequence[Any],
    order: str,
    after: Callable[[Sequence[Any]], Condition] | None = None,
    select_params: Sequence[Any] = (),
    order_params: Sequence[Any] = (),
) -> tuple[list[Row], int | None]:
    """One page of the rows ``source`` (``FROM … WHERE …``) holds, in ``order``, and how many
    it holds in all (None unless the window asks: a count grows with the list, and a walk by
    cursor does without). ``after`` turns the window's ``after_key`` into the condition that
    seeks past it through the list's index, so a late page costs what the first costs; a list
    without one is paged by offset alone."""
    total = count_rows(cursor, source, params) if window.get("with_total", True) else None
    page, page_params = source, [*params]
    after_key = window.get("after_key")
    if after_key is not None:
        if after is None:
            raise ValueError("this list is paged by offset, not walked by cursor")
        condition, more = after(after_key)
        page, page_params = f"{page} AND {condition}", [*page_params, *more]
    cursor.execute(
        f"{select} {page} ORDER BY {order} LIMIT %s OFFSET %s",
        [
            *select_params,
            *page_params,
            *order_params,
            window.get("limit", 50),
            window.get("offset", 0),
        ],
    )
    return cursor.fetchall(), total


def read_numbered_page(
    cursor: SqlCursor, *, source: str, params: Sequence[Any], order: str, limit: int, offset: int
) -> tuple[list[Row], int]:
    """One page of the rows ``source`` holds, by ``offset``, and how many it holds in all: for
    the lists that are short enough to be paged by number, every page with its total."""
    total = count_rows(cursor, source, params)
    window: PageWindow = {"limit": limit, "offset": offset, "with_total": False}
    rows, _ = read_page(
        cursor, window, select="SELECT *", source=source, params=params, order=order
    )
    return rows, total
