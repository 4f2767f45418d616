"""Applications built on a temporary store: SQLite by default, PostgreSQL for [postgres]."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.runtime import Stores, open_stores
from shared.settings import ServiceName
from tests.support import make_settings

StoresFactory = Callable[[ServiceName], Stores]


@pytest.fixture
def stores_for(tmp_path: Path, database: tuple[str | None, str | None]) -> Iterator[StoresFactory]:
    opened: list[Stores] = []
    apps: list[Any] = []
    url, prefix = database

    def factory(service: ServiceName) -> Stores:
        settings = make_settings(service, tmp_path / "var", database_url=url, schema_prefix=prefix)
        stores = open_stores(settings)
        opened.append(stores)
        return stores

    yield factory
    for app in apps:
        app.close()
    for stores in opened:
        stores.close()
