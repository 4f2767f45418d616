"""The notifications configuration is validated at start: a service with a broken one refuses
to start rather than fail to tell someone later."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.notifications.config import InvalidConfiguration, load_config
from services.notifications.main import create_app
from shared.settings import ServiceName, Settings
from tests.support import make_settings
from tests.unit.test_notifications_rules import config

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def settings_with(tmp_path: Path, document: Any, **overrides: Any) -> Settings:
    path = tmp_path / "notifications.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    values: dict[str, Any] = {"smtp_host": "127.0.0.1", "smtp_security": "none", **overrides}
    return make_settings(
        ServiceName.NOTIFICATIONS, tmp_path / "var", notifications_config_file=path, **values
    )


def with_webhook(**webhook: Any) -> dict[str, Any]:
    document = config()
    document["webhooks"] = {"team-chat": {"url": "https://chat.example.org/hooks/1", **webhook}}
    document["recipients"]["role:safeguarding_lead"] = {
        "channels": ["webhook"],
        "webhook": "team-chat",
    }
    return document


def test_the_packaged_default_is_valid_and_sends_to_the_inbox_only(tmp_path: Path) -> None:
    loaded = load_config(make_settings(ServiceName.NOTIFICATIONS, tmp_path))
    assert loaded.config.recipients == {} and loaded.smtp is None
    assert loaded.config.roles.intake == "role:caseworker"


def test_a_complete_configuration_loads_with_its_secrets_resolved(tmp_path: Path) -> None:
    secret_file = tmp_path / "team-chat.secret"
    secret_file.write_text(SECRET + "\n")
    loaded = load_config(settings_with(tmp_path, with_webhook(secret_file=str(secret_file))))
    assert loaded.webhook_secrets == {"team-chat": SECRET}
    assert loaded.smtp is not None and loaded.smtp.host == "127.0.0.1"


def test_staff_named_by_an_identity_provider_s_subject_can_be_on_call_and_be_emailed(
    tmp_path: Path,
) -> None:
    # Auth0 writes subjects as "auth0|…": whoever can sign in can be on the rota and be sent to.
    document = config()
    document["on_call"]["rota"][0].update(lead="auth0|65f0", deputy="google-oauth2|1170")
    document["recipients"]["user:auth0|65f0"] = {
        "channels": ["email"],
        "email": "lead@charity.example",
    }
    loaded = load_config(settings_with(tmp_path, document))
    assert loaded.config.on_call.rota[0].lead == "auth0|65f0"
    assert "user:auth0|65f0" in loaded.config.recipients


def test_a_webhook_secret_may_come_from_the_settings_instead(tmp_path: Path) -> None:
    settings = settings_with(
        tmp_path, with_webhook(), notifications_webhook_secrets={"team-chat": SECRET}
    )
    assert load_config(settings).webhook_secrets == {"team-chat": SECRET}


def broken(change: str) -> Any:
    document = config()
    if change == "overlapping rota":
        document["on_call"]["rota"].append(
            {"starts_on": "2026-11-29", "ends_on": "2026-11-30", "lead": "sg-9"}
        )
    elif change == "lead is deputy":
        document["on_call"]["rota"][0]["deputy"] = "sg-1"
    elif change == "shift ends before it starts":
        document["on_call"]["rota"][0]["ends_on"] = "2026-11-01"
    elif change == "unknown rule":
        document["rules"] = {"urgent_concern_typo": {"enabled": True}}
    elif change == "unknown field":
        document["recipient"] = {}
    elif change == "email chosen without an address":
        document["recipients"]["user:cw-2"] = {"channels": ["email"]}
    elif change == "unknown channel":
        document["recipients"]["user:cw-2"] = {"channels": ["sms"]}
    elif change == "undefined webhook":
        document["recipients"]["user:cw-2"] = {"channels": ["webhook"], "webhook": "nowhere"}
    elif change == "email address but no sender":
        del document["email"]
    elif change == "bad recipient address":
        document["recipients"]["Jane Doe"] = {}
    elif change == "unknown time zone":
        document["timezone"] = "Europe/Atlantis"
    elif change == "zero escalation":
        document["rules"] = {"urgent_concern": {"escalate_after_minutes": 0}}
    elif change == "not json":
        return "{ this is not json"
    elif change == "no base url":
        del document["base_url"]
    return document


@pytest.mark.parametrize(
    "change",
    [
        "overlapping rota",
        "lead is deputy",
        "shift ends before it starts",
        "unknown rule",
        "unknown field",
        "email chosen without an address",
        "unknown channel",
        "undefined webhook",
        "email address but no sender",
        "bad recipient address",
        "unknown time zone",
        "zero escalation",
        "not json",
        "no base url",
    ],
)
def test_a_broken_configuration_is_refused(tmp_path: Path, change: str) -> None:
    with pytest.raises(InvalidConfiguration):
        load_config(settings_with(tmp_path, broken(change)))


@pytest.mark.parametrize(
    ("webhook", "settings_secrets", "reason"),
    [
        ({}, {}, "no secret"),
        ({}, {"team-chat": "not-a-secret!"}, "whsec_"),
        ({}, {"team-chat": "whsec_c2hvcnQ="}, "too short"),
        ({"secret_file": "/nonexistent/secret"}, {}, "secret_file"),
    ],
)
def test_a_webhook_without_a_usable_secret_is_refused(
    tmp_path: Path, webhook: dict[str, str], settings_secrets: dict[str, str], reason: str
) -> None:
    settings = settings_with(
        tmp_path, with_webhook(**webhook), notifications_webhook_secrets=settings_secrets
    )
    with pytest.raises(InvalidConfiguration, match=reason):
        load_config(settings)


def test_email_without_an_smtp_server_is_refused(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, config(), smtp_host=None)
    with pytest.raises(InvalidConfiguration, match="WAYMARK_SMTP_HOST"):
        load_config(settings)


def test_smtp_credentials_are_never_sent_in_the_clear(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, config(), smtp_username="waymark", smtp_password="pw")
    with pytest.raises(InvalidConfiguration, match="TLS"):
        load_config(settings)


def test_the_reason_never_repeats_a_secret(tmp_path: Path) -> None:
    settings = settings_with(
        tmp_path, with_webhook(), notifications_webhook_secrets={"team-chat": "whsec_c2hvcnQ="}
    )
    with pytest.raises(InvalidConfiguration) as refused:
        load_config(settings)
    assert "c2hvcnQ" not in str(refused.value)


def test_the_service_refuses_to_start_with_a_broken_configuration(tmp_path: Path) -> None:
    app = create_app(settings_with(tmp_path, broken("overlapping rota")))
    with pytest.raises(InvalidConfiguration), TestClient(app):
        pass
