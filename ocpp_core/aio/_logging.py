"""Frame logging in the line format ``ocpp-core check`` reads.

Every frame a :class:`~ocpp_core.aio.Connection` sends or receives is one
record on the logger ``ocpp_core.aio.frames`` at level ``DEBUG``, whose
message is ``SENDER->RECEIVER FRAME`` (``CS->CSMS`` or ``CSMS->CS``). With
:class:`FrameFormatter` in front (a UTC timestamp with milliseconds), each
record is one line of the grammar of ``ocpp-core check``::

    2026-01-05T08:00:00.120Z CS->CSMS [2,"1","Heartbeat",{}]

Each record also carries ``ocpp_identity`` (the station identity),
``ocpp_role`` (the logging side: ``"CSMS"`` or ``"ChargingStation"``) and
``ocpp_direction`` (``"sent"`` or ``"received"``), so a CSMS can write one
file per station with :class:`IdentityFilter` (the checker reads one
connection, seen from one side, per log). Other events (violations, handler failures, connections
opening and closing) go to the logger ``ocpp_core.aio``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import IO, Final

__all__ = [
    "FRAME_LOGGER",
    "LOGGER",
    "FrameFormatter",
    "IdentityFilter",
    "log_frames",
    "one_line",
]

LOGGER: Final = logging.getLogger("ocpp_core.aio")
"""Events of the connection layer: connections, violations, handler failures."""

FRAME_LOGGER: Final = logging.getLogger("ocpp_core.aio.frames")
"""One ``DEBUG`` record per frame sent or received."""


def one_line(text: str | bytes) -> str:
    """Return a frame as one log line, keeping what it means.

    A raw line break in a frame can only be JSON whitespace (inside a string it
    is invalid): in a valid frame it becomes a space; in an invalid one it
    becomes the control character U+0001, which is invalid everywhere in JSON,
    so the frame stays invalid. Bytes are decoded as UTF-8 with replacement.
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", "replace")
    if "\n" not in text and "\r" not in text:
        return text
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        filler = "\x01"
    else:
        filler = " "
    return text.replace("\r", filler).replace("\n", filler)


class FrameFormatter(logging.Formatter):
    """Format frame records as ``TIMESTAMP SENDER->RECEIVER FRAME`` (UTC, milliseconds).

    Records of other loggers are written as ``# TIMESTAMP message`` (a comment
    line for the checker).
    """

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
        message = record.getMessage()
        if record.name != FRAME_LOGGER.name:
            return f"# {stamp} {one_line(message)}"
        return f"{stamp} {message}"


class IdentityFilter(logging.Filter):
    """Pass only the frame records of one charging station, optionally seen from one side.

    Args:
        identity: the station identity.
        role: ``"CSMS"`` or ``"ChargingStation"`` (the side that logs), or
            ``None`` for both (one process running both sides logs each frame
            twice).
    """

    def __init__(self, identity: str, role: str | None = None) -> None:
        super().__init__()
        self.identity = identity
        self.role = role

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "ocpp_identity", None) != self.identity:
            return False
        return self.role is None or getattr(record, "ocpp_role", None) == self.role


def log_frames(
    stream: IO[str], *, identity: str | None = None, role: str | None = None
) -> logging.Handler:
    """Write every frame to ``stream``, one checkable line each; return the handler.

    Sets ``ocpp_core.aio.frames`` to ``DEBUG``, stops its records from also
    reaching the root logger's handlers, and adds a stream handler with
    :class:`FrameFormatter` (and :class:`IdentityFilter` when ``identity`` is
    given, with ``role`` to keep one side's view). Remove it with
    ``FRAME_LOGGER.removeHandler(handler)``.
    """
    handler = logging.StreamHandler(stream)
    handler.setFormatter(FrameFormatter())
    if identity is not None:
        handler.addFilter(IdentityFilter(identity, role))
    FRAME_LOGGER.setLevel(logging.DEBUG)
    FRAME_LOGGER.propagate = False
    FRAME_LOGGER.addHandler(handler)
    return handler
