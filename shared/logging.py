"""Structured logs: ids, states and counts only — never a name, alias or note."""

from __future__ import annotations

import logging
import sys
from typing import Protocol

import structlog


class _CurrentStderr:
    """Whatever ``sys.stderr`` is when a line is written, not when logging was set up: a CLI
    command run inside a test runner must not leave the loggers holding its closed stream."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class LogSettings(Protocol):
    """What logging needs of a service's or the web app's settings."""

    @property
    def log_level(self) -> str: ...

    @property
    def log_json(self) -> bool: ...


def configure_logging(settings: LogSettings) -> None:
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, stream=_CurrentStderr(), format="%(message)s")
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    # The NATS client logs reconnect tracebacks at ERROR; our callbacks already report them.
    logging.getLogger("nats.aio.client").setLevel(logging.CRITICAL)
