"""Structured logs: ids, states and counts only — never a name, alias or note.

Our code logs with structlog. What libraries log through the standard library (uvicorn's server
and errors, the NATS client, eventsourcing) goes through the root logger's one handler, whose
formatter is structlog's: every line on stderr has the same shape, JSON or console.
"""

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


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Ours, so configuring again replaces it and leaves any other handler (a test runner's)."""


def _without_colour_copy(
    _: object, __: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    """Uvicorn passes its message again with terminal colours as ``color_message``."""
    event.pop("color_message", None)
    return event


class LogSettings(Protocol):
    """What logging needs of a service's or the web app's settings."""

    @property
    def log_level(self) -> str: ...

    @property
    def log_json(self) -> bool: ...


def configure_logging(settings: LogSettings) -> None:
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    renderer: structlog.types.Processor
    tracebacks: list[structlog.types.Processor] = []
    if settings.log_json:
        renderer = structlog.processors.JSONRenderer()
        tracebacks = [structlog.processors.dict_tracebacks]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)  # renders exc_info itself
    common: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*common, *tracebacks, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    handler = _Handler(_CurrentStderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            # The library's logger name, and what it passed as ``extra``.
            foreign_pre_chain=[
                *common,
                structlog.stdlib.add_logger_name,
                structlog.stdlib.ExtraAdder(),
                _without_colour_copy,
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *tracebacks,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for previous in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(level)
    # Uvicorn's loggers keep no handler of their own (the CLI starts it without a logging
    # configuration): their lines reach the root's.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # The NATS client logs reconnect tracebacks at ERROR; our callbacks already report them.
    logging.getLogger("nats.aio.client").setLevel(logging.CRITICAL)
    # httpx logs every request's URL at INFO, and a URL's query may hold what someone typed
    # (the web app's searches and filters, passed on to the services): only its warnings.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
