"""A projection says which events it handles and what each does to its tables; the dispatch
from an event to its handler, and the events it reads from the log, follow from that."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from services.visits.application import VisitsApplication
from shared.storage.projection import Projection, handler
from shared.storage.sql import SqlCursor, insert, placeholders, write_row
from tests.unit.conftest import AppFactory


@dataclass(frozen=True)
class Greeting:
    who: str


class Met(Greeting):
    pass


class Parted(Greeting):
    pass


class PartedForGood(Parted):
    pass


class Waved(Greeting):
    pass


class Nodded(Greeting):
    """Handled by nothing: no handler names it or a class it derives from."""


class Acquaintances(Projection):
    name = "acquaintances"

    columns = "who TEXT PRIMARY KEY"

    @handler
    def _met(self, event: Met, cursor: SqlCursor) -> None:
        cursor.execute(f"INSERT INTO {self.table} VALUES (%s)", (event.who,))

    @handler
    def _parted(self, event: Parted | Waved, cursor: SqlCursor) -> None:
        cursor.execute(f"DELETE FROM {self.table} WHERE who = %s", (event.who,))


class CloseAcquaintances(Acquaintances):
    """A projection that also says which events it reads: its own list stands."""

    event_classes = (Met, Parted, Waved, PartedForGood)


@pytest.fixture
def acquaintances(app_for: AppFactory) -> Iterator[Acquaintances]:
    app, stores = app_for(VisitsApplication)
    yield Acquaintances(app, stores.views, stores.positions)


def names_after(view: Acquaintances, *events: Any) -> list[str]:
    """The acquaintances left once ``events`` are applied, in one transaction."""
    with view.store.transaction() as cursor:
        for event in events:
            view.apply(cursor, event)
        cursor.execute(f"SELECT who FROM {view.table} ORDER BY who")
        return [str(row["who"]) for row in cursor.fetchall()]


def test_given_handlers_then_each_event_class_they_name_maps_to_its_handler() -> None:
    assert Acquaintances.handlers == {
        Met: Acquaintances._met,
        Parted: Acquaintances._parted,
        Waved: Acquaintances._parted,
    }


def test_given_no_event_classes_then_the_projection_reads_the_events_it_handles() -> None:
    assert set(Acquaintances.event_classes) == {Met, Parted, Waved}
    assert CloseAcquaintances.event_classes == (Met, Parted, Waved, PartedForGood)
    assert CloseAcquaintances.handlers == Acquaintances.handlers


def test_when_events_are_applied_then_each_goes_to_the_handler_of_its_class(
    acquaintances: Acquaintances,
) -> None:
    events = [Met("ann"), Met("bea"), Met("cat"), Parted("ann"), Waved("bea")]
    assert names_after(acquaintances, *events) == ["cat"]


def test_when_an_event_derives_from_a_handled_class_then_that_class_handler_takes_it(
    acquaintances: Acquaintances,
) -> None:
    assert names_after(acquaintances, Met("ann"), PartedForGood("ann")) == []


def test_when_an_event_has_no_handler_then_it_changes_nothing(
    acquaintances: Acquaintances,
) -> None:
    assert names_after(acquaintances, Met("ann"), Nodded("ann")) == ["ann"]


def test_given_neither_its_table_nor_its_ddl_then_the_projection_is_refused() -> None:
    with pytest.raises(TypeError, match="Tableless: declare its table's columns"):

        class Tableless(Projection):
            name = "tableless"


def test_given_a_shared_base_then_it_needs_no_table_but_each_read_model_on_it_does() -> None:
    class Greeted(Projection, shared_base=True):
        @handler
        def _met(self, event: Met, cursor: SqlCursor) -> None:
            cursor.execute(f"INSERT INTO {self.table} VALUES (%s)", (event.who,))

    class Greetings(Greeted):
        name = "greetings"
        columns = "who TEXT PRIMARY KEY"

    assert Greetings.handlers == {Met: Greeted._met}
    with pytest.raises(TypeError, match="Tableless: declare its table's columns"):

        class Tableless(Greeted):
            name = "tableless"


def test_an_insert_keeps_the_row_already_there_or_with_update_takes_the_new_values() -> None:
    assert insert("t", "a, b, c", key="a") == (
        "INSERT INTO t (a, b, c) VALUES (%s, %s, %s) ON CONFLICT (a) DO NOTHING"
    )
    assert insert("t", "a, b, c, d", key="a, b", update=True) == (
        "INSERT INTO t (a, b, c, d) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (a, b) DO UPDATE SET c = excluded.c, d = excluded.d"
    )
    assert placeholders({"x"}) == "%s" and placeholders([]) == ""


class Statements:
    """A driver cursor that keeps what it is asked to run."""

    def __init__(self) -> None:
        self.executed: list[tuple[str, Any]] = []

    def execute(self, sql: str, params: Any = ()) -> None:
        self.executed.append((sql, params))


def test_a_written_row_puts_each_value_in_the_column_it_is_named_for() -> None:
    driver = Statements()
    write_row(SqlCursor(driver, "postgres"), "t", {"b": 2, "a": 1}, key="a", update=True)
    assert driver.executed == [(insert("t", "b, a", key="a", update=True), (2, 1))]
