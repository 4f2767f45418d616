"""Lists paged by number (a journey's timeline, the erasure requests, the intake queue): each
page holds the rows at its offset, in the list's order, with the total of the whole list."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.storage.pages import read_numbered_page, read_page
from shared.storage.sql import SqlStore


@pytest.fixture
def store(tmp_path: Path) -> SqlStore:
    store = SqlStore.sqlite(tmp_path / "views.db")
    store.execute_script(["CREATE TABLE items (item_id TEXT PRIMARY KEY, kind TEXT, n INTEGER)"])
    with store.transaction() as cursor:
        for n in range(7):
            cursor.execute(
                "INSERT INTO items VALUES (%s, %s, %s)", (f"i{n}", "odd" if n % 2 else "even", n)
            )
    return store


def test_a_numbered_page_holds_the_rows_at_its_offset_with_the_total_of_the_list(
    store: SqlStore,
) -> None:
    with store.transaction(commit=False) as cursor:
        rows, total = read_numbered_page(
            cursor,
            source="FROM items WHERE kind = %s",
            params=["even"],
            order="n DESC",
            limit=2,
            offset=1,
        )
    assert [row["n"] for row in rows] == [4, 2]
    assert total == 4


def test_a_list_paged_by_number_cannot_be_walked_by_cursor(store: SqlStore) -> None:
    with store.transaction(commit=False) as cursor, pytest.raises(ValueError):
        read_page(
            cursor,
            {"after_key": ("i3",)},
            select="SELECT *",
            source="FROM items WHERE 1 = 1",
            params=[],
            order="item_id",
        )
