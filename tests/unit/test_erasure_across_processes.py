"""An erasure made by one process reaches the keys cached by another: two processes of one
service (two replicas, or the HTTP process beside the one running the background work) share a
key table but each keeps its own cache of keys."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from uuid import uuid4

from shared.runtime import open_stores
from shared.settings import ServiceName
from shared.storage.keyring import Keyring
from tests.support import make_settings


def two_processes(tmp_path: Path, database: tuple[str | None, str | None]):
    dsn, prefix = database
    settings = make_settings(ServiceName.CASES, tmp_path, database_url=dsn, schema_prefix=prefix)
    return open_stores(settings), open_stores(settings)


def wait_past_the_check(keyring: Keyring) -> None:
    time.sleep(keyring._erasure_check_s + 0.05)


def test_a_key_destroyed_by_another_process_is_no_longer_handed_out_here(
    tmp_path: Path, database: tuple[str | None, str | None]
) -> None:
    here, there = two_processes(tmp_path, database)
    her, someone_else = uuid4(), uuid4()
    # Given both processes hold her key in their caches
    assert here.keyring.key_for(her, create=True) is not None
    here.keyring.key_for(someone_else, create=True)
    assert there.keyring.key_for(her, create=False) is not None
    # When the other process erases her
    there.keyring.forget(her)
    wait_past_the_check(here.keyring)
    # Then this process has dropped her key, whether asked for it alone or in a batch
    assert here.keyring.key_for(her, create=False) is None
    here.keyring.preload([her])
    assert here.keyring.key_for(her, create=False) is None
    assert here.keyring.key_for(someone_else, create=False) is not None
    here.close()
    there.close()


def test_an_erasure_committed_with_an_earlier_time_than_one_already_seen_is_still_seen(
    tmp_path: Path, database: tuple[str | None, str | None]
) -> None:
    here, there = two_processes(tmp_path, database)
    first, second = uuid4(), uuid4()
    for subject in (first, second):
        here.keyring.key_for(subject, create=True)
    there.keyring.forget(second)
    wait_past_the_check(here.keyring)
    assert here.keyring.key_for(second, create=False) is None
    # When an erasure commits whose time is a minute before the one already seen (two erasures
    # at once, or another process's clock a little behind)
    earlier = datetime.fromisoformat(here.keyring._erasures_seen_to) - timedelta(minutes=1)
    with there.keyring._store.transaction() as cursor:
        cursor.execute(
            f"UPDATE {there.keyring._table} SET wrapped_key = NULL, master_key_id = NULL,"
            " erased_at = %s WHERE subject_id = %s",
            (earlier.isoformat(), str(first)),
        )
    # Then this process drops that key too
    wait_past_the_check(here.keyring)
    assert here.keyring.key_for(first, create=False) is None
    here.close()
    there.close()
