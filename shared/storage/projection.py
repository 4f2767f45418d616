"""Read models: one table (or a few) per query, rebuilt from the service's own log.

A projection applies events to its tables and moves its position in the same transaction, so a
crash never leaves a row applied twice or skipped. Projections never notify or publish anything:
rebuilding one from zero is always safe.

A read model with one table declares it (``columns``, ``indexes``) and the base makes it; one with
several tables, or tables shared with another read model, writes its own ``create_statements``.

A projection built with ``shadow_suffix`` writes to tables beside the live ones (``caseload`` →
``caseload__rebuild``) under its own position, so it can be rebuilt from zero while the live one
keeps serving; ``shared.admin.rebuild`` swaps them when it has caught up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import UnionType
from typing import Any, ClassVar, TypeVar, Union, Unpack, get_args, get_origin, get_type_hints
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification

from shared.observability import tracing
from shared.storage.eventstore import WaymarkApplication
from shared.storage.log_follower import LogFollower
from shared.storage.pages import PageQuery, PageWindow, read_numbered_page, read_page
from shared.storage.positions import LogPositions
from shared.storage.sql import Row, SqlCursor, SqlStore, Where
from shared.threads import in_thread


class ShadowStore(SqlStore):
    """The same store, with a projection's own tables renamed to shadow tables beside them.

    Indexes are not created on shadow tables (building is faster without them); the swap
    creates them under their usual names once the shadow tables have become the live ones.
    """

    def __init__(self, live: SqlStore, suffix: str, tables: Iterable[str]) -> None:
        super().__init__(live._datastore, live.dialect, live._schema)
        self.live = live
        self.suffix = suffix
        self.shadowed = frozenset(tables)

    def table(self, name: str) -> str:
        return super().table(name + self.suffix if name in self.shadowed else name)

    def execute_script(self, statements: Sequence[str]) -> None:
        super().execute_script(
            [s for s in statements if not s.lstrip().upper().startswith("CREATE INDEX")]
        )

    def close(self) -> None:
        pass  # the live store owns the connections


Handler = TypeVar("Handler", bound=Callable[..., None])
_HANDLES = "__projection_handles__"


def handler(method: Handler) -> Handler:
    """Mark a projection's method ``(self, event, cursor)`` as what the projection does to its
    tables with an event of the class its ``event`` parameter names (``A | B``: of either)."""
    setattr(method, _HANDLES, True)
    return method


def handled_classes(method: Callable[..., None]) -> tuple[type[object], ...]:
    """The event classes a ``@handler`` method's ``event`` parameter names."""
    named = get_type_hints(method)["event"]
    return get_args(named) if get_origin(named) in (Union, UnionType) else (named,)


class Projection(LogFollower):
    #: The tables this projection writes (default: one named after it); a rebuild swaps these.
    tables: ClassVar[Sequence[str]] = ()
    #: Each event class this projection changes its tables for → its ``@handler`` method.
    handlers: ClassVar[dict[type[object], Callable[..., None]]] = {}
    #: Its own table's columns and constraints (what CREATE TABLE holds between its parentheses),
    #: for the default ``create_statements``.
    columns: ClassVar[str] = ""
    #: That table's indexes: each one's name → what it indexes (``"state, due_at"``).
    indexes: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, *, shared_base: bool = False, **kwargs: Any) -> None:
        """``shared_base=True`` marks a base that only shares handlers among read models: its
        subclasses, not it, declare the tables."""
        super().__init_subclass__(**kwargs)
        handlers = dict(cls.handlers)
        for method in vars(cls).values():
            if getattr(method, _HANDLES, False):
                handlers.update(dict.fromkeys(handled_classes(method), method))
        cls.handlers = handlers
        if handlers and "event_classes" not in vars(cls):
            # Unless it says otherwise, a projection reads the events it has handlers for.
            cls.event_classes = tuple(handlers)
        if shared_base:
            return
        if cls.create_statements is Projection.create_statements and not cls.columns:
            raise TypeError(f"{cls.__name__}: declare its table's columns or its create_statements")

    def __init__(
        self,
        app: WaymarkApplication,
        store: SqlStore,
        positions: LogPositions,
        *,
        batch_size: int = 256,
        poll_interval: float = 0.5,
        shadow_suffix: str | None = None,
    ) -> None:
        super().__init__(app, batch_size=batch_size, poll_interval=poll_interval)
        if shadow_suffix is not None:
            store = ShadowStore(store, shadow_suffix, self.owned_tables())
        self.store = store
        self.positions = positions
        self._position_key = self.name + (shadow_suffix or "")
        self._topic_set = frozenset(self.topics)
        store.execute_script(self.create_statements())
        self.prepare()

    @property
    def position_key(self) -> str:
        """The key of this projection's durable position (its own for a shadow)."""
        return self._position_key

    def prepare(self) -> None:
        """Bring tables made by an older version up to date (after the idempotent DDL)."""

    @property
    def rebuilding(self) -> bool:
        """True for a shadow that a rebuild folds beside the live read model."""
        return isinstance(self.store, ShadowStore)

    def before_going_live(self, cursor: SqlCursor) -> None:
        """Called on a rebuilt shadow in the transaction that swaps it in, before its tables
        take the live names: what it leaves to that moment (nothing by default)."""

    @classmethod
    def owned_tables(cls) -> tuple[str, ...]:
        return tuple(cls.tables) or (cls.name,)

    def create_statements(self) -> list[str]:
        """Idempotent DDL for this read model's tables: by default its own table, as
        ``columns`` and ``indexes`` declare it."""
        return self.table_statements(self.store)

    @classmethod
    def table_statements(cls, store: SqlStore) -> list[str]:
        """Idempotent DDL for the table ``columns`` and ``indexes`` declare, as ``store`` names
        it (a read model that joins this one's table may create it too)."""
        table = store.table(cls.name)
        return [
            f"CREATE TABLE IF NOT EXISTS {table} ( {cls.columns})",
            *(
                f"CREATE INDEX IF NOT EXISTS {index} ON {table} ({on})"
                for index, on in cls.indexes.items()
            ),
        ]

    @property
    def table(self) -> str:
        """This read model's own table (the one named after it), as the store names it."""
        return self.store.table(self.name)

    def apply(self, cursor: SqlCursor, event: DomainEventProtocol[UUID]) -> None:
        """Fold one event into the read model: the handler of its class (or of the nearest
        class it derives from) does; an event it has none for changes nothing."""
        for event_class in type(event).__mro__:
            handle = self.handlers.get(event_class)
            if handle is not None:
                handle(self, event, cursor)
                return

    def position(self) -> int:
        return self.positions.get(self.position_key)

    def numbered_page(
        self, where: Where, *, order: str, limit: int, offset: int
    ) -> tuple[list[Row], int]:
        """The rows of this read model's own table that ``where`` keeps, one page of them by
        number (``read_numbered_page``), and how many there are in all."""
        with self.store.transaction(commit=False) as cursor:
            return read_numbered_page(
                cursor,
                source=f"FROM {self.table} WHERE {where}",
                params=where.params,
                order=order,
                limit=limit,
                offset=offset,
            )

    def keyset_page(
        self, window: PageWindow, **query: Unpack[PageQuery]
    ) -> tuple[list[Row], int | None]:
        """One page of a list of this read model (``read_page``, given the ``query``: select,
        source, params, order…), read in a transaction of its own."""
        with self.store.transaction(commit=False) as cursor:
            return read_page(cursor, window, **query)

    def apply_batch(
        self,
        batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]],
        last_id: int,
        after: int | None = None,
    ) -> bool:
        """Apply a batch read after ``after`` (the position it was read from) and move the
        position to ``last_id``, in one transaction; False when the position had moved back
        before ``after`` meanwhile (nothing applied: read again from the position)."""
        with self.store.transaction() as cursor:
            position = self.positions.get_locked(self.position_key, cursor)
            return self.fold(cursor, batch, position, last_id, after)

    def fold(
        self,
        cursor: SqlCursor,
        batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]],
        position: int,
        last_id: int,
        after: int | None = None,
    ) -> bool:
        """Inside the caller's transaction, with ``position`` read locked in it: apply the
        events of ``batch`` (read after ``after``) that are ours and beyond ``position``, and
        record ``last_id``.

        The position is re-read rather than trusted because a rebuild may have swapped its
        tables in since the batch was read: applying what they already hold would count it
        twice, so only what lies beyond their position is applied. A position *before*
        ``after`` (set back meanwhile) leaves a gap this batch cannot fill: False.
        """
        if after is not None and position < after:
            return False
        if position >= last_id:
            return True
        topics = self._topic_set
        self.apply_all(cursor, [e for n, e in batch if n.id > position and n.topic in topics])
        self.positions.set(self.position_key, last_id, cursor)
        return True

    def apply_all(self, cursor: SqlCursor, events: Sequence[DomainEventProtocol[UUID]]) -> None:
        """Fold a batch's events in order; a projection may fold several per row at once."""
        for event in events:
            self.apply(cursor, event)

    async def handle(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]], last_id: int
    ) -> None:
        apply = tracing.projected(self.name, self.app.name, batch, self.apply_batch)
        await in_thread(apply, batch, last_id)

    async def handle_from(
        self,
        batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]],
        after: int,
        last_id: int,
    ) -> None:
        apply = tracing.projected(self.name, self.app.name, batch, self.apply_batch)
        await in_thread(apply, batch, last_id, after)

    def catch_up(self) -> None:
        """Synchronously apply everything recorded so far (tests, CLI)."""
        while True:
            after = self.position()
            batch, last = self.read_upto(after)
            if last <= after:
                return
            self.apply_batch(batch, last, after)
