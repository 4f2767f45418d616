"""Applications built on a temporary store: SQLite by default, PostgreSQL for [postgres]."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, TypeVar
from uuid import UUID

import pytest

from services.cases.application import CasesApplication
from services.cases.main import CasesParts
from services.cases.main import assemble as assemble_cases
from services.cases.queries.caseload.projection import Caseload
from services.notifications.main import NotificationsParts
from services.notifications.main import assemble as assemble_notifications
from services.visits.main import VisitsParts
from services.visits.main import assemble as assemble_visits
from shared.runtime import Assemble, Stores, open_stores
from shared.settings import ServiceName
from shared.storage.eventstore import WaymarkApplication
from tests.support import contacts_from_visits, make_settings, new_master_key

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


def _assembled(assemble: Assemble[Any, Any], stores: Stores) -> Iterator[Any]:
    """A service's parts, as its ``main`` wires them, on ``stores``; its application closed
    after the test (before ``stores_for`` closes the stores)."""
    parts = assemble(stores)
    yield parts
    parts.application.close()


@pytest.fixture
def cases_parts(stores_for: StoresFactory) -> Iterator[CasesParts]:
    yield from _assembled(assemble_cases, stores_for(ServiceName.CASES))


@pytest.fixture
def visits_parts(stores_for: StoresFactory) -> Iterator[VisitsParts]:
    yield from _assembled(assemble_visits, stores_for(ServiceName.VISITS))


@pytest.fixture
def notifications_parts(stores_for: StoresFactory) -> Iterator[NotificationsParts]:
    yield from _assembled(assemble_notifications, stores_for(ServiceName.NOTIFICATIONS))


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
def premises_visited_once(visits_parts: VisitsParts) -> tuple[VisitsParts, UUID]:
    """A registered premises visited once (everything a visit can carry, completed), a visit
    elsewhere still open, and the premises history caught up: the visits parts and the
    premises' id."""
    from tests.unit.test_visits_application import premises_command, rich_visit

    visits = visits_parts.application
    premises_id = visits.register_premises(premises_command(), "v-1").premises.id
    visits.record_visit(rich_visit(premises_id), "v-1")
    visits.record_visit(rich_visit(completed=False), "v-1")
    visits_parts.queries.premises_history.catch_up()
    return visits_parts, premises_id


@pytest.fixture
def cli_caseload_of_two_women(cli_cases_parts: CasesParts) -> Caseload:
    """The caseload on the CLI's stores, caught up with two women met on visits."""
    contacts_from_visits(cli_cases_parts.application, 2)
    caseload = cli_cases_parts.queries.caseload
    caseload.catch_up()
    return caseload


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
