"""Applications built on a temporary store: SQLite by default, PostgreSQL for [postgres]."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest

from services.cases.application import CasesApplication
from services.cases.main import CasesParts
from services.cases.main import assemble as assemble_cases
from services.cases.queries.caseload.projection import Caseload
from shared.runtime import Stores, open_stores
from shared.settings import ServiceName
from shared.storage.eventstore import WaymarkApplication
from tests.support import make_settings, new_master_key

StoresFactory = Callable[[ServiceName], Stores]
App = TypeVar("App", bound=WaymarkApplication)


class AppFactory(Protocol):
    def __call__(self, kind: type[App]) -> tuple[App, Stores]: ...


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


@pytest.fixture
def cases_parts(stores_for: StoresFactory) -> Iterator[CasesParts]:
    parts = assemble_cases(stores_for(ServiceName.CASES))
    yield parts
    parts.application.close()


@pytest.fixture
def cases(cases_parts: CasesParts) -> CasesApplication:
    return cases_parts.application


@pytest.fixture
def caseload(cases_parts: CasesParts) -> Caseload:
    """The caseload read model of ``cases_parts``, as the running service keeps it."""
    return cases_parts.queries.caseload


@pytest.fixture
def cli_cases_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CasesParts]:
    """The cases service's parts on stores that the ``waymark`` CLI opens too (its environment
    names their folder and master key)."""
    key = new_master_key()
    stores = open_stores(make_settings(ServiceName.CASES, tmp_path / "var", master_key=key))
    monkeypatch.setenv("WAYMARK_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("WAYMARK_MASTER_KEY", key)
    parts = assemble_cases(stores)
    yield parts
    parts.application.close()
    stores.close()


@pytest.fixture
def app_for(stores_for: StoresFactory) -> Iterator[AppFactory]:
    """An application of a service (its ``name``) on that service's temporary stores, with
    its reference data; closed after the test, before its stores."""
    opened: list[WaymarkApplication] = []

    def factory(kind: type[App]) -> tuple[App, Stores]:
        stores = stores_for(ServiceName(kind.name))
        app = kind(  # type: ignore[call-arg]
            env=stores.event_store_env, keyring=stores.keyring, reference=stores.reference
        )
        opened.append(app)
        return app, stores

    yield factory
    for app in opened:
        app.close()
