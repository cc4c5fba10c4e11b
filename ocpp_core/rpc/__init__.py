"""OCPP-J RPC framing and a sans-I/O session.

* Framing: :func:`parse_frame` and :func:`serialize_frame` between WebSocket
  texts and the frozen frame values :class:`Call`, :class:`CallResult`,
  :class:`CallError` and, for OCPP 2.1, :class:`CallResultError` and
  :class:`Send`. Failures raise :class:`~ocpp_core.errors.FrameError` with the
  CallError code owed for the version and the ready reply.
* Session: :class:`Session` turns received texts into typed events
  (:class:`CallReceived`, :class:`CallResultReceived`, ...), answers what it
  must answer itself, keeps one CALL in flight per direction and computes
  timeouts from the ``now`` it is given. It does no I/O, reads no clock and
  draws no random numbers.
* Dispatch: :class:`Dispatcher` routes received CALLs to typed handlers.
* Handshake: subprotocol choice (:func:`choose_subprotocol`) and HTTP Basic
  authentication for security profiles 1 and 2 (:func:`basic_auth_header`,
  :func:`parse_basic_auth`).
* State: :attr:`Session.state` is a :class:`SessionState`, the :class:`State`
  of each channel. The transition table that drives it is private and
  documented in :mod:`ocpp_core.rpc._state` and ``docs/rpc.md``.

See ``docs/rpc.md`` for the reply policy per version and the state diagram,
and ``docs/bring-your-own-websocket.md`` for a tutorial.
"""

from __future__ import annotations

from ocpp_core.errors import (
    CallErrorReply,
    FrameError,
    FrameRule,
    HandlerError,
    HandshakeError,
    LocalProtocolError,
)
from ocpp_core.rpc._dispatch import Dispatcher
from ocpp_core.rpc._events import (
    CallErrorReceived,
    CallOutcome,
    CallReceived,
    CallResultErrorReceived,
    CallResultReceived,
    CallTimedOut,
    Event,
    InvalidResponseReceived,
    ProtocolViolation,
    SendReceived,
    Violation,
)
from ocpp_core.rpc._frames import (
    DEFAULT_LIMITS,
    MAX_ID_LENGTH,
    Call,
    CallError,
    CallResult,
    CallResultError,
    Frame,
    FrameLimits,
    MessageType,
    Send,
    message_types_for,
    parse_frame,
    serialize_frame,
)
from ocpp_core.rpc._handshake import (
    SUBPROTOCOLS,
    BasicCredentials,
    authorization_key_to_password,
    basic_auth_header,
    choose_subprotocol,
    parse_basic_auth,
    parse_subprotocols,
    password_to_authorization_key,
    subprotocol_for,
    version_for_subprotocol,
)
from ocpp_core.rpc._session import Session
from ocpp_core.rpc._state import SessionState, State

__all__ = [
    "BasicCredentials",
    "Call",
    "CallError",
    "CallErrorReceived",
    "CallErrorReply",
    "CallOutcome",
    "CallReceived",
    "CallResult",
    "CallResultError",
    "CallResultErrorReceived",
    "CallResultReceived",
    "CallTimedOut",
    "DEFAULT_LIMITS",
    "Dispatcher",
    "Event",
    "Frame",
    "FrameError",
    "FrameLimits",
    "FrameRule",
    "HandlerError",
    "HandshakeError",
    "InvalidResponseReceived",
    "LocalProtocolError",
    "MAX_ID_LENGTH",
    "MessageType",
    "ProtocolViolation",
    "SUBPROTOCOLS",
    "Send",
    "SendReceived",
    "Session",
    "SessionState",
    "State",
    "Violation",
    "authorization_key_to_password",
    "basic_auth_header",
    "choose_subprotocol",
    "message_types_for",
    "parse_basic_auth",
    "parse_frame",
    "parse_subprotocols",
    "password_to_authorization_key",
    "serialize_frame",
    "subprotocol_for",
    "version_for_subprotocol",
]
