"""OCPP-J over the ``websockets`` package (extra ``websockets``).

* :func:`serve` for a CSMS: the station identity from the URL path,
  subprotocol negotiation, HTTP Basic authentication, an ``accept`` hook (the
  TLS client certificate for security profile 3), ``ssl=`` passed through.
* :func:`connect` for a charging station: ``async with`` for one connection,
  ``async for`` to reconnect with :class:`Backoff`.

Importing this module imports ``websockets``; :mod:`ocpp_core.aio` does not.
"""

from __future__ import annotations

from ocpp_core.aio._ws import (
    Backoff,
    Connector,
    Handshake,
    Server,
    connect,
    identity_from_path,
    serve,
)

__all__ = [
    "Backoff",
    "Connector",
    "Handshake",
    "Server",
    "connect",
    "identity_from_path",
    "serve",
]
