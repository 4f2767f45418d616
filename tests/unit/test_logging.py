"""One log format: our structlog lines and the libraries' standard-library lines (uvicorn's,
the token verifier's reasons) come out alike, as JSON when asked."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import structlog

from shared.logging import configure_logging
from shared.security.tokens import InvalidToken, TokenVerifier
from shared.settings import ServiceName
from tests.support import make_settings


@dataclass(frozen=True)
class LogSettings:
    log_level: str = "INFO"
    log_json: bool = True


def lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_structlog_and_standard_library_lines_are_the_same_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(LogSettings())
    structlog.get_logger("shared.test").info("thing.done", count=3)
    logging.getLogger("uvicorn.error").info(
        "Started server process [%d]", 42, extra={"color_message": "Started [\x1b[36m%d\x1b[0m]"}
    )
    logging.getLogger("uvicorn.error").debug("below the level")
    ours, uvicorns = lines(capsys.readouterr().err)
    assert ours["event"] == "thing.done" and ours["count"] == 3 and ours["level"] == "info"
    assert uvicorns["event"] == "Started server process [42]"
    assert uvicorns["logger"] == "uvicorn.error" and uvicorns["level"] == "info"
    assert "timestamp" in ours and "timestamp" in uvicorns
    assert "color_message" not in uvicorns


def test_a_request_sent_with_httpx_is_not_logged_with_its_url(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The web app passes her searches and filters on to the services in the query string.
    configure_logging(LogSettings())
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    with httpx.Client(transport=transport) as client:
        client.get("http://visits.example/premises", params={"label": "Marker-typed"})
    assert "Marker-typed" not in capsys.readouterr().err
    logging.getLogger("httpx").warning("still said")
    assert [line["event"] for line in lines(capsys.readouterr().err)] == ["still said"]


def test_configuring_twice_writes_each_line_once(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LogSettings())
    configure_logging(LogSettings())
    logging.getLogger("eventsourcing").warning("once")
    assert [line["event"] for line in lines(capsys.readouterr().err)] == ["once"]


def test_a_refused_token_logs_its_reason_and_nothing_of_the_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(LogSettings())
    verifier = TokenVerifier(make_settings(ServiceName.CASES, tmp_path))
    with pytest.raises(InvalidToken):
        verifier.verify("not.a.jwt")
    (refused,) = [
        line for line in lines(capsys.readouterr().err) if line["event"] == "token.refused"
    ]
    assert refused["reason"] == "DecodeError"
    assert "not.a.jwt" not in json.dumps(refused)


def test_an_exception_is_logged_with_its_traceback_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(LogSettings())
    try:
        raise RuntimeError("store down")
    except RuntimeError:
        structlog.get_logger("shared.test").exception("audit.not_written")
    (line,) = lines(capsys.readouterr().err)
    assert line["exception"][0]["exc_type"] == "RuntimeError"  # type: ignore[index]
