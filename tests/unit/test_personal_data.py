"""Per-subject keys and the encrypting mapper: the seam for crypto-shredding."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.persistence import JSONTranscoder, StoredEvent
from eventsourcing.utils import get_topic

from services.visits.application import VisitsApplication
from services.visits.domain import Visit
from shared.storage.keyring import Keyring, SubjectErasedError
from shared.storage.personal_data import ERASED, NOT_OPENED, PersonalDataMapper
from shared.storage.sql import SqlStore

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


KEYS = "keys.sqlite"


@pytest.fixture
def master_key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def keyring(tmp_path: Path, master_key: bytes) -> Keyring:
    return Keyring(SqlStore.sqlite(tmp_path / KEYS), master_key)


def visits_mapper(keyring: Keyring) -> PersonalDataMapper:
    transcoder = JSONTranscoder()
    VisitsApplication.register_transcodings(None, transcoder)  # type: ignore[arg-type]
    return PersonalDataMapper(transcoder, keyring)


@pytest.fixture
def mapper(keyring: Keyring) -> PersonalDataMapper:
    return visits_mapper(keyring)


def contact_event(contact_id=None, alias="Ana Marker-7f3a") -> Visit.ContactMade:
    visit = Visit(
        id=uuid4(),
        premises_label="P",
        team="t",
        volunteers=[],
        languages_offered=[],
        occurred_at=NOW,
        actor="v",
    )
    visit.make_contact(contact_id or uuid4(), alias, "ro", NOW, "v")
    event = visit.collect_events()[-1]
    assert isinstance(event, Visit.ContactMade)
    return event


def test_the_alias_is_sealed_at_rest_and_opened_on_read(mapper: PersonalDataMapper) -> None:
    event = contact_event()
    stored = mapper.to_stored_event(event)
    assert b"Marker-7f3a" not in stored.state and b"wm1:" in stored.state
    assert event.contact_id.hex.encode() in stored.state  # ids stay readable for replays
    assert mapper.to_domain_event(stored).alias == "Ana Marker-7f3a"  # type: ignore[attr-defined]


def test_each_contact_has_its_own_key(keyring: Keyring) -> None:
    first, second = uuid4(), uuid4()
    assert keyring.key_for(first, create=True) != keyring.key_for(second, create=True)
    assert keyring.key_for(first, create=False) == keyring.key_for(first, create=True)


def test_forgetting_a_subject_erases_only_her_fields(
    mapper: PersonalDataMapper, keyring: Keyring
) -> None:
    hers, other = contact_event(alias="Hers"), contact_event(alias="Other")
    stored_hers, stored_other = mapper.to_stored_event(hers), mapper.to_stored_event(other)
    keyring.forget(hers.contact_id)
    erased = mapper.to_domain_event(stored_hers)
    assert erased.alias == ERASED  # type: ignore[attr-defined]
    assert erased.contact_id == hers.contact_id  # type: ignore[attr-defined]  # history folds
    assert mapper.to_domain_event(stored_other).alias == "Other"  # type: ignore[attr-defined]
    with pytest.raises(SubjectErasedError):
        mapper.to_stored_event(contact_event(contact_id=hers.contact_id))


def test_a_ciphertext_moved_onto_another_subject_is_rejected(mapper: PersonalDataMapper) -> None:
    first, second = contact_event(alias="First"), contact_event(alias="Second")
    stored_first, stored_second = mapper.to_stored_event(first), mapper.to_stored_event(second)
    swapped = stored_second.state.replace(
        str(second.contact_id).replace("-", "").encode(),
        str(first.contact_id).replace("-", "").encode(),
    )
    assert swapped != stored_second.state
    with pytest.raises(Exception, match="authentication"):
        mapper.to_domain_event(
            StoredEvent(
                stored_second.originator_id,
                stored_second.originator_version,
                get_topic(Visit.ContactMade),
                swapped,
            )
        )
    assert stored_first  # untouched


def test_the_keyring_refuses_a_wrong_master_key(tmp_path: Path) -> None:
    store = SqlStore.sqlite(tmp_path / KEYS)
    subject = uuid4()
    Keyring(store, secrets.token_bytes(32)).key_for(subject, create=True)
    with pytest.raises(Exception):  # noqa: B017 - InvalidTag from cryptography
        Keyring(store, secrets.token_bytes(32)).key_for(subject, create=False)


def test_the_master_key_must_be_256_bits(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Keyring(SqlStore.sqlite(tmp_path / "k.sqlite"), base64.b64decode("AAAA"))


def test_keys_for_everyone_in_a_save_are_made_together(keyring: Keyring) -> None:
    people = {uuid4() for _ in range(5)}
    keyring.ensure(people)
    keys = {keyring.key_for(person, create=False) for person in people}
    assert None not in keys and len(keys) == 5
    erased = uuid4()
    keyring.forget(erased)
    with pytest.raises(SubjectErasedError):
        keyring.ensure({erased, uuid4()})


def test_a_batch_is_opened_with_every_key_read_at_once_and_the_erased_stay_erased(
    mapper: PersonalDataMapper, tmp_path: Path, master_key: bytes
) -> None:
    events = [contact_event(alias=f"Ana {n}") for n in range(30)]
    stored = [mapper.to_stored_event(event) for event in events]
    mapper.keyring.forget(events[7].contact_id)
    # A fresh keyring (cold cache, as a rebuild in a new process).
    store = SqlStore.sqlite(tmp_path / KEYS)
    # (Not counted here: the hourly look for other processes' erasures.)
    reading = visits_mapper(Keyring(store, master_key, erasure_check_s=3600))
    queries = 0
    opened = store.transaction

    def counted(**kwargs: object) -> object:
        nonlocal queries
        queries += 1
        return opened(**kwargs)  # type: ignore[arg-type]

    store.transaction = counted  # type: ignore[method-assign,assignment]
    decoded = reading.to_domain_events(stored)
    assert queries == 2, "one query for every key, one for the erased woman's tombstone"
    aliases = [event.alias for event in decoded]  # type: ignore[attr-defined]
    assert aliases == [ERASED if n == 7 else f"Ana {n}" for n in range(30)]
    one_by_one = visits_mapper(Keyring(SqlStore.sqlite(tmp_path / KEYS), master_key))
    assert [one_by_one.to_domain_event(s).alias for s in stored] == aliases  # type: ignore[attr-defined]


def test_a_batch_for_a_reader_of_no_personal_field_reads_no_key_and_opens_nothing(
    mapper: PersonalDataMapper, tmp_path: Path, master_key: bytes
) -> None:
    events = [contact_event(alias=f"Ana {n}") for n in range(5)]
    stored = [mapper.to_stored_event(event) for event in events]
    store = SqlStore.sqlite(tmp_path / KEYS)
    reading = visits_mapper(Keyring(store, master_key))

    def no_query(**kwargs: object) -> object:
        raise AssertionError("a key was read")

    store.transaction = no_query  # type: ignore[method-assign,assignment]
    decoded = reading.to_domain_events(stored, open_personal=False)
    assert [e.alias for e in decoded] == [NOT_OPENED] * 5  # type: ignore[attr-defined]
    assert [e.contact_id for e in decoded] == [e.contact_id for e in events]  # type: ignore[attr-defined]
