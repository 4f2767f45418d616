"""Each service's composition root, loaded by name, and its parts on its stores for the admin
commands (nothing started, no NATS)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from shared.runtime import ServiceParts, Stores
from shared.settings import ServiceName
from waymark.cli.settings import admin_settings

#: Each service's ``create_app`` (serve) and ``assemble`` (the admin commands). Imported by name
#: so that a command loads only the service it works on.
SERVICE_MAIN = {
    ServiceName.VISITS: "services.visits.main",
    ServiceName.CASES: "services.cases.main",
    ServiceName.NOTIFICATIONS: "services.notifications.main",
}


def service_main(service: ServiceName) -> ModuleType:
    return importlib.import_module(SERVICE_MAIN[service])


@contextmanager
def service_parts(
    service: ServiceName, var_dir: Path
) -> Iterator[tuple[Stores, ServiceParts[Any, Any]]]:
    """The service's parts on its stores, from the same settings as the service; nothing
    started."""
    from shared.logging import configure_logging
    from shared.runtime import open_stores

    settings = admin_settings(service, var_dir)
    configure_logging(settings)  # to stderr: stdout is the command's JSON
    assemble = service_main(service).assemble
    stores = open_stores(settings)
    try:
        parts: ServiceParts[Any, Any] = assemble(stores)
        try:
            yield stores, parts
        finally:
            parts.application.close()
    finally:
        stores.close()
