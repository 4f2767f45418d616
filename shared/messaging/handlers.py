"""Handlers that pass an inbound message straight to one application command.

Most inbound contracts carry exactly what their command takes, under the same names: such a
handler calls the command with each parameter it requires read from the message field of that
name, and the message's upstream position as ``upstream``. A parameter the message lacks is
found when the subscription is built (the service does not start), not on the first message.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from shared.contracts.base import IntegrationEvent
from shared.messaging.consumer import Handler, Upstream

Command = Callable[..., object]
#: The parameters a message's field can be passed to by name (not ``*args`` or ``**kwargs``).
_BY_NAME = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def handlers_calling(
    commands: Mapping[type[IntegrationEvent], Command],
) -> dict[type[IntegrationEvent], Handler]:
    """For each message type, a handler that calls its command with the message's fields."""
    return {kind: calling(kind, command) for kind, command in commands.items()}


def calling(kind: type[IntegrationEvent], command: Command) -> Handler:
    """A handler for messages of ``kind`` that calls ``command`` with their fields."""
    names = [
        name
        for name, parameter in inspect.signature(command).parameters.items()
        if name != "upstream"
        and parameter.default is inspect.Parameter.empty
        and parameter.kind in _BY_NAME
    ]
    missing = [name for name in names if name not in kind.model_fields]
    if missing:
        raise TypeError(f"{kind.__name__} has no {', '.join(missing)} for {command.__name__}")

    # A bound method is looked up on its object at each call, as a hand-written handler's
    # ``app.command(...)`` would be: what the object holds then (a stand-in, say) is called.
    owner, attribute = getattr(command, "__self__", None), command.__name__

    def handle(message: Any, upstream: Upstream) -> None:
        current = command if owner is None else getattr(owner, attribute)
        current(**{name: getattr(message, name) for name in names}, upstream=upstream)

    return handle
