"""An asyncio connection layer over the sans-I/O session (not part of the I/O-free core).

* :class:`Connection` runs one :class:`~ocpp_core.rpc.Session` over any
  transport with ``async send(text)``, ``async recv()`` and ``async close()``:
  ``await connection.call(request)`` returns the typed response or raises a
  typed error; the peer's CALLs go to the handlers of a :class:`Router`, sync
  or ``async``, each given the typed request and a :class:`Context`.
* :func:`memory_pair`: two connected in-memory transports, for tests.
* Logging: one record per frame on ``ocpp_core.aio.frames`` in the line format
  ``ocpp-core check`` reads (:class:`FrameFormatter`, :func:`log_frames`).
* :mod:`ocpp_core.aio.websockets` (extra ``websockets``): ``serve`` for a CSMS
  and ``connect`` for a charging station.

This package imports no WebSocket library; the core never imports it. See
``docs/aio.md`` (reference) and ``docs/tutorial-aio.md``.
"""

from __future__ import annotations

from ocpp_core.aio._connection import (
    CONCURRENT_VERSIONS,
    DEFAULT_MAX_OWED,
    Connection,
    Context,
    Handler,
    Router,
    Transport,
)
from ocpp_core.aio._logging import (
    FRAME_LOGGER,
    LOGGER,
    FrameFormatter,
    IdentityFilter,
    log_frames,
)
from ocpp_core.aio._memory import MemoryTransport, memory_pair
from ocpp_core.errors import (
    AioError,
    CallTimeoutError,
    ConnectionClosedError,
    HandshakeRefusedError,
    InvalidResponseError,
    RemoteCallError,
)
from ocpp_core.rpc import CallErrorReply

__all__ = [
    "CONCURRENT_VERSIONS",
    "DEFAULT_MAX_OWED",
    "FRAME_LOGGER",
    "LOGGER",
    "AioError",
    "CallErrorReply",
    "CallTimeoutError",
    "Connection",
    "ConnectionClosedError",
    "Context",
    "FrameFormatter",
    "Handler",
    "HandshakeRefusedError",
    "IdentityFilter",
    "InvalidResponseError",
    "MemoryTransport",
    "RemoteCallError",
    "Router",
    "Transport",
    "log_frames",
    "memory_pair",
]
