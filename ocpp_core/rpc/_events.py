"""The events a :class:`~ocpp_core.rpc.Session` reports to its host.

Every event is a frozen, slotted, keyword-only attrs value. The typed payloads
are the generated message classes (``ocpp_core.v201.BootNotificationRequest``
...), typed here as ``Any`` because one session serves one version chosen at
run time.

Each CALL this side sends ends with exactly one *outcome* event:
:class:`CallResultReceived`, :class:`CallErrorReceived`, :class:`CallTimedOut`
or :class:`InvalidResponseReceived`. Each CALL the peer sends is either
delivered as :class:`CallReceived` (the host then owes the answer) or answered
by the session itself and reported as a :class:`ProtocolViolation` whose
``reply`` is that answer.
"""

from __future__ import annotations

import enum
from typing import Any, TypeAlias

import attrs

from ocpp_core.errors import ErrorCode, OcppError
from ocpp_core.rpc._frames import Call, CallError, CallResult, CallResultError, Frame, Send

__all__ = [
    "CallErrorReceived",
    "CallOutcome",
    "CallReceived",
    "CallResultErrorReceived",
    "CallResultReceived",
    "CallTimedOut",
    "Event",
    "InvalidResponseReceived",
    "ProtocolViolation",
    "SendReceived",
    "Violation",
]


class Violation(enum.StrEnum):
    """What the peer did wrong, as reported by :class:`ProtocolViolation`.

    The docs (``docs/rpc.md``) give the reply policy of each kind per version.
    """

    MALFORMED_FRAME = "malformed-frame"
    """The text is not a well-formed frame (see ``FrameError.rule``); a CALL that
    can be answered was answered with the code the version owes."""
    UNKNOWN_ACTION = "unknown-action"
    """A CALL names an action no OCPP version defines (matching is case-sensitive);
    answered ``NotImplemented``."""
    UNSUPPORTED_ACTION = "unsupported-action"
    """A CALL names an action of another OCPP version, or a 2.1 SEND-only action;
    answered ``NotSupported``."""
    WRONG_DIRECTION = "wrong-direction"
    """A CALL names an action that only this side may send; answered ``NotSupported``."""
    INVALID_PAYLOAD = "invalid-payload"
    """A CALL payload breaks its schema; answered with the ``PayloadError`` code."""
    DUPLICATE_CALL_ID = "duplicate-call-id"
    """A CALL reuses the id of a CALL of the peer's still being handled (answered
    with a CALLERROR, OCPP-J 1.6 section 4.2.3) or recently answered (delivered)."""
    CONCURRENT_CALL = "concurrent-call"
    """The peer sent a CALL while one of its CALLs was still unanswered (OCPP-J
    section 4.1.1: it should not); the CALL is delivered all the same."""
    UNKNOWN_RESPONSE = "unknown-response"
    """An answer whose id matches no call of this side: unsolicited. Dropped."""
    DUPLICATE_RESPONSE = "duplicate-response"
    """A second answer to a call that was already answered. Dropped."""
    LATE_RESPONSE = "late-response"
    """An answer to a call that already timed out. Dropped."""
    RESPONSE_TO_RESPONSE = "response-to-response"
    """An answer whose id is that of an answer this side sent (the peer answered
    our CALLRESULT or CALLERROR). Dropped, never answered."""
    INVALID_SEND = "invalid-send"
    """A 2.1 SEND with an unknown action, an action that is not SEND-only, the wrong
    direction or an invalid payload. SEND is never answered; dropped."""
    UNKNOWN_ERROR_CODE = "unknown-error-code"
    """A CALLERROR or CALLRESULTERROR carries a code the version does not define
    (reported besides the answer, which is still delivered)."""
    ERROR_CODE_SPELLING = "error-code-spelling"
    """A CALLERROR or CALLRESULTERROR carries a code in the other spelling OCPP
    has for it (1.6 ``OccurenceConstraintViolation`` and ``FormationViolation``,
    2.x ``OccurrenceConstraintViolation`` and ``FormatViolation``). The code is
    read as this version's code all the same; a warning. Not reported when the
    session was told the peer uses that spelling (``spell_error_codes_as``)."""


@attrs.frozen(kw_only=True)
class CallReceived:
    """The peer sent a valid CALL; the host owes the answer.

    Answer with :meth:`Session.send_result` (or :meth:`Session.send_error`),
    passing ``call``.

    Attributes:
        call: the CALL frame as received.
        request: the decoded typed request, e.g. ``ocpp_core.v201.HeartbeatRequest()``.
    """

    call: Call
    request: Any

    @property
    def action(self) -> str:
        """The action of the CALL."""
        return self.call.action

    @property
    def unique_id(self) -> str:
        """The message id of the CALL."""
        return self.call.unique_id


@attrs.frozen(kw_only=True)
class CallResultReceived:
    """The peer answered one of our CALLs with a valid CALLRESULT.

    Attributes:
        call: our CALL that this answers.
        request: the typed request we sent in that CALL.
        result: the CALLRESULT frame as received.
        response: the decoded typed response (decoded with the CALL's action).
    """

    call: Call
    request: Any
    result: CallResult
    response: Any


@attrs.frozen(kw_only=True)
class CallErrorReceived:
    """The peer answered one of our CALLs with a CALLERROR.

    Attributes:
        call: our CALL that this answers.
        request: the typed request we sent in that CALL.
        error: the CALLERROR frame as received.
        code: the error code when the version defines it, else ``None`` (a
            :class:`ProtocolViolation` of kind ``UNKNOWN_ERROR_CODE`` comes first).
    """

    call: Call
    request: Any
    error: CallError
    code: ErrorCode | None


@attrs.frozen(kw_only=True)
class CallTimedOut:
    """No answer to one of our CALLs came before its deadline.

    A later answer is reported as a :class:`ProtocolViolation` of kind
    ``LATE_RESPONSE``. Retry with a new CALL (it gets a new id).

    Attributes:
        call: our CALL that timed out.
        request: the typed request we sent in that CALL.
        deadline: the time the answer was due by, on the caller's clock.
    """

    call: Call
    request: Any
    deadline: float


@attrs.frozen(kw_only=True)
class InvalidResponseReceived:
    """The peer answered one of our CALLs, but the answer is broken.

    Either the frame is malformed (e.g. a CALLERROR with four elements, a
    CALLRESULT with the action added) or the CALLRESULT payload breaks the
    response schema. The call is over; it is not answered with a CALLERROR.
    In OCPP 2.1 a broken CALLRESULT payload is answered with a CALLRESULTERROR
    (``reply``).

    Attributes:
        call: our CALL that this answers.
        request: the typed request we sent in that CALL.
        error: what is wrong (a ``FrameError`` or a ``PayloadError``).
        reply: the CALLRESULTERROR the session queued (2.1), else ``None``.
    """

    call: Call
    request: Any
    error: OcppError
    reply: str | None


@attrs.frozen(kw_only=True)
class CallResultErrorReceived:
    """2.1: the peer refused a CALLRESULT we sent (CALLRESULTERROR); never answered.

    Attributes:
        error: the CALLRESULTERROR frame as received.
        call: the peer's CALL that our refused CALLRESULT answered.
        code: the error code when the version defines it, else ``None``.
    """

    error: CallResultError
    call: Call
    code: ErrorCode | None


@attrs.frozen(kw_only=True)
class SendReceived:
    """2.1: the peer sent a valid SEND (unconfirmed; nothing is owed).

    Attributes:
        send: the SEND frame as received.
        message: the decoded typed message.
    """

    send: Send
    message: Any


@attrs.frozen(kw_only=True)
class ProtocolViolation:
    """The peer broke the protocol; what the session did about it.

    Attributes:
        kind: what was wrong.
        description: a bounded description of the problem.
        unique_id: the message id concerned, when one could be read.
        frame: the frame concerned, when it could be parsed.
        error: the underlying error (``FrameError``, ``PayloadError``), if any.
        reply: the CALLERROR the session queued in :meth:`Session.data_to_send`
            as the answer, or ``None`` when nothing is sent.
    """

    kind: Violation
    description: str
    unique_id: str | None = None
    frame: Frame | None = None
    error: OcppError | None = None
    reply: str | None = None


CallOutcome: TypeAlias = (
    CallResultReceived | CallErrorReceived | CallTimedOut | InvalidResponseReceived
)
"""The events that end one of our CALLs; each CALL gets exactly one."""

Event: TypeAlias = (
    CallReceived
    | CallResultReceived
    | CallErrorReceived
    | CallTimedOut
    | InvalidResponseReceived
    | CallResultErrorReceived
    | SendReceived
    | ProtocolViolation
)
"""Any event a session reports."""
