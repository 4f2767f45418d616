"""The admin commands as a newcomer types them: with nothing configured they read the embedded
run's data directory, and a missing directory or key is one line, not a traceback."""

from __future__ import annotations

import os
from pathlib import Path
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from shared.runtime import open_stores
from shared.settings import ServiceName, Settings
from waymark.cli import DEV_KEY_IN_VAR, MASTER_KEY_IN_VAR, cli, ensure_master_key


@pytest.fixture(autouse=True)
def nothing_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A shell in a fresh directory with no WAYMARK_* settings."""
    for name in list(os.environ):
        if name.startswith("WAYMARK_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def the_embedded_run_started_once(var_dir: Path, service: ServiceName) -> None:
    """What `waymark run` leaves behind: its master key, and the service's stores under it."""
    key = ensure_master_key(var_dir / MASTER_KEY_IN_VAR)
    settings = Settings(service=service, var_dir=var_dir, master_key_file=key)
    open_stores(settings).close()


def audit_actors(var_dir: Path, service: ServiceName) -> list[str]:
    settings = Settings(
        service=service, var_dir=var_dir, master_key_file=var_dir / MASTER_KEY_IN_VAR
    )
    stores = open_stores(settings)
    try:
        records, _ = stores.audit.query()
        return [record.entry.actor for record in records]
    finally:
        stores.close()


def test_given_the_embedded_runs_data_when_history_is_asked_with_no_settings_then_it_reads_it(
    tmp_path: Path,
) -> None:
    the_embedded_run_started_once(tmp_path / "var", ServiceName.CASES)

    result = CliRunner().invoke(cli, ["history", "cases", str(uuid4())])

    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("No aggregate ") and result.stderr.count("\n") == 1


def test_given_no_data_directory_when_history_is_asked_then_one_line_says_what_to_do(
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(cli, ["history", "cases", str(uuid4())])

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert str(tmp_path / "var") in result.stderr and "--var-dir" in result.stderr
    assert not (tmp_path / "var").exists()  # nothing created on the way


def test_given_data_in_another_directory_when_var_dir_names_it_then_it_is_read(
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "elsewhere" / "var"
    the_embedded_run_started_once(elsewhere, ServiceName.VISITS)

    result = CliRunner().invoke(cli, ["verify", "visits", "--var-dir", str(elsewhere)])

    assert result.exit_code == 0, result.output
    assert "the read models agree" in result.stdout


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("WAYMARK_MASTER_KEY_FILE", "missing.key", "No master key at"),
        ("WAYMARK_MASTER_KEY", "not-base64!", "the master key must be base64"),
        ("WAYMARK_PORT", "seventy", "WAYMARK_PORT"),
    ],
)
def test_given_a_bad_setting_when_a_command_runs_then_one_line_names_it_and_never_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, value: str, named: str
) -> None:
    the_embedded_run_started_once(tmp_path / "var", ServiceName.CASES)
    monkeypatch.setenv(setting, value)

    result = CliRunner().invoke(cli, ["as-of", "cases", str(uuid4()), "--version", "1"])

    assert result.exit_code == 2
    assert named in result.stderr and result.stderr.count("\n") == 1
    if setting != "WAYMARK_MASTER_KEY_FILE":  # a path is said, a key or a value never
        assert value not in result.stderr


def test_given_a_shell_user_when_the_cli_reads_a_history_then_the_audit_names_her(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    the_embedded_run_started_once(tmp_path / "var", ServiceName.CASES)
    monkeypatch.setenv("LOGNAME", "dpo.alice")

    CliRunner().invoke(cli, ["history", "cases", str(uuid4())])

    assert audit_actors(tmp_path / "var", ServiceName.CASES) == ["cli:dpo.alice"]


def test_given_no_login_name_in_the_environment_then_the_reader_is_still_the_os_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pwd

    the_embedded_run_started_once(tmp_path / "var", ServiceName.CASES)
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)

    CliRunner().invoke(cli, ["history", "cases", str(uuid4())])

    (actor,) = audit_actors(tmp_path / "var", ServiceName.CASES)
    assert actor == f"cli:{pwd.getpwuid(os.getuid()).pw_name}" != "cli:unknown"


def test_given_no_development_key_when_a_token_is_asked_then_it_names_the_path_and_var_dir(
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(cli, ["dev-token", "caseworker"])

    assert result.exit_code == 2
    assert str(tmp_path / "var" / DEV_KEY_IN_VAR) in result.stderr
    assert "--var-dir" in result.stderr and result.stderr.count("\n") == 1


def test_given_the_run_elsewhere_when_var_dir_names_it_then_a_token_is_printed(
    tmp_path: Path,
) -> None:
    from waymark.cli import ensure_dev_signing_key

    elsewhere = tmp_path / "checkout" / "var"
    ensure_dev_signing_key(elsewhere / DEV_KEY_IN_VAR)

    result = CliRunner().invoke(cli, ["dev-token", "admin", "--var-dir", str(elsewhere)])

    assert result.exit_code == 0, result.output
    assert result.stdout.count(".") == 2  # a JWT: header.payload.signature


def test_given_the_services_signing_key_in_the_environment_then_a_token_is_signed_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.security.tokens import TokenVerifier

    key = "compose-development-signing-key-" + "k" * 16
    monkeypatch.setenv("WAYMARK_AUTH_DEV_KEY", key)

    result = CliRunner().invoke(cli, ["dev-token", "auditor", "--subject", "au-1"])

    assert result.exit_code == 0, result.output
    verifier = TokenVerifier(Settings(service=ServiceName.CASES, auth_dev_key=key))
    assert verifier.verify(result.stdout.strip()).subject == "au-1"


@pytest.mark.parametrize("service", list(ServiceName))
def test_every_service_has_one_composition_root_that_serves_and_assembles(
    service: ServiceName,
) -> None:
    from waymark.cli import service_main

    main = service_main(service)
    assert main.__name__ == f"services.{service.value}.main"
    assert callable(main.create_app) and callable(main.assemble)


def test_when_a_service_is_served_then_its_start_up_objects_are_out_of_full_collections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    from waymark.cli import running

    frozen_when_served: list[int] = []
    monkeypatch.setattr(
        running.uvicorn, "run", lambda *a, **k: frozen_when_served.append(gc.get_freeze_count())
    )
    start_up_object = ["built before serving"]
    try:
        running._serve(object(), "127.0.0.1", 0, "INFO")  # type: ignore[arg-type]
        assert frozen_when_served and frozen_when_served[0] > 0
        assert gc.is_tracked(start_up_object)
        assert all(tracked is not start_up_object for tracked in gc.get_objects())
    finally:
        gc.unfreeze()
