"""The cluster tests run on PostgreSQL only: it is what replicas share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.settings import ServiceName, Settings
from tests.support import make_settings, new_master_key


@pytest.fixture
def backend() -> str:
    return "postgres"


def one_deployment(
    tmp_path: Path, database: tuple[str | None, str | None], **settings: Any
) -> list[Settings]:
    """Two replicas of the visits service on one database: each with its own folder, both
    unwrapping with the same master key, as the pods of one deployment do."""
    url, prefix = database
    key = new_master_key()
    return [
        make_settings(
            ServiceName.VISITS,
            tmp_path / name,
            database_url=url,
            schema_prefix=prefix,
            master_key=key,
            **settings,
        )
        for name in ("a", "b")
    ]
