"""A sans-I/O OCPP-J session: text and times in, typed events and texts out.

Theory of operation
-------------------
The session is the protocol logic of one WebSocket connection, for one OCPP
version and one role, with no I/O of its own (the h11 pattern):

* the host feeds every received text message to :meth:`Session.receive` with
  the current time, and gets back a list of typed events;
* the host sends CALLs with :meth:`Session.send_call`, answers the peer's CALLs
  with :meth:`Session.send_result` / :meth:`Session.send_error`, and (2.1)
  sends unconfirmed messages with :meth:`Session.send`; each returns the text
  to write to the WebSocket;
* texts the session decides to send by itself (the CALLERROR for a CALL it
  refuses, a queued CALL whose turn came, a 2.1 CALLRESULTERROR) wait in
  :meth:`Session.data_to_send`;
* the host asks :meth:`Session.next_deadline` when to wake up and calls
  :meth:`Session.expire` then.

The session never reads the clock (``now`` is passed in, in seconds on any
monotonic scale), never draws random numbers (message ids come from the
``new_id`` callable; the default counts ``"1"``, ``"2"``, ...) and never starts
threads. Its channels' states live in a :class:`~ocpp_core.rpc._state.Channels`
whose ``fire(channel, input)`` applies a row of the one transition table in
:mod:`ocpp_core.rpc._state` and returns the row's effect; the session carries
the effect out. There is no other way to change a state.

What the session answers by itself, and with which code for each version, is
in ``docs/rpc.md``; in short (OCPP-J 1.6 section 4.2.3, 2.x section 4.3):

* a malformed CALL: the code of :func:`~ocpp_core.errors.frame_error_code`;
* an action no version defines: ``NotImplemented`` ("not known");
* an action of another version, a 2.1 SEND-only action sent as a CALL, or an
  action this side's peer may not send (wrong direction): ``NotSupported``
  ("recognised but not supported");
* a payload that breaks its schema: the ``PayloadError`` code;
* a CALL reusing the id of a CALL still being handled: 1.6 ``ProtocolError``,
  2.x ``RpcFrameworkError`` (OCPP-J 1.6 section 4.2.3 lists "an existing call
  with the same unique identifier is being handled already").

A CALLRESULT, CALLERROR, CALLRESULTERROR or SEND is never answered with a
CALLERROR. Answers that match no call in flight (unsolicited, duplicate, late
after a timeout, or answering one of our answers) are reported as a
``ProtocolViolation`` and dropped; the call in flight, if any, stays pending
with its own deadline. In 2.1 a CALLRESULT that the session cannot accept is
refused with a CALLRESULTERROR.

Memory is bounded: the ids of finished calls and of answered peer calls (for
telling a late answer from an unknown one, and for duplicate detection) are
kept for the last ``remember`` calls only.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

from ocpp_core._api import ActionInfo, actions, decode_payload, encode_payload, message_meta
from ocpp_core._runtime import DecodeOptions
from ocpp_core._text import clip
from ocpp_core.errors import (
    ErrorCode,
    FrameError,
    FrameRule,
    LocalProtocolError,
    OcppError,
    PayloadError,
    error_codes_for,
    respell_error_code,
)
from ocpp_core.rpc._events import (
    CallErrorReceived,
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
    MAX_DESCRIPTION_LENGTH,
    Call,
    CallError,
    CallResult,
    CallResultError,
    Frame,
    FrameLimits,
    JsonObject,
    MessageType,
    Send,
    call_error_text,
    parse_frame,
    serialize_frame,
    valid_id,
)
from ocpp_core.rpc._state import Channel, Channels, Effect, Input, SessionState
from ocpp_core.versions import OcppVersion, Role, VersionLike

__all__ = ["Session"]

_OUT, _IN = Channel.OUTBOUND, Channel.INBOUND
_ANSWER_TYPES: Final = frozenset({MessageType.CALL_RESULT, MessageType.CALL_ERROR})
_NOTICE_TYPES: Final = frozenset({MessageType.CALL_RESULT_ERROR, MessageType.SEND})


@functools.cache
def _all_action_names() -> frozenset[str]:
    """Every action name of every version (for telling NotSupported from NotImplemented)."""
    return frozenset(name for version in OcppVersion for name in actions(version))


def _count() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: str(next(counter))


@attrs.define
class _Outgoing:
    """One CALL of ours: queued, or in flight with a deadline."""

    call: Call
    request: Any
    text: str
    timeout: float
    deadline: float = 0.0


class _Recent:
    """A bounded map from id to value that forgets the oldest entries first."""

    __slots__ = ("_items", "_size")

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: dict[str, Any] = {}

    def add(self, key: str, value: Any) -> None:
        items = self._items
        items.pop(key, None)
        items[key] = value
        if len(items) > self._size:
            del items[next(iter(items))]

    def get(self, key: str) -> Any:
        return self._items.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._items


_TIMED_OUT: Final = "timed out"
_ANSWERED: Final = "answered"
_UNCONFIRMED: Final = "unconfirmed"


class Session:
    """The OCPP-J protocol state of one connection, without I/O.

    Args:
        version: the OCPP version of the connection (from the negotiated
            subprotocol, see :func:`ocpp_core.rpc.choose_subprotocol`).
        role: the side this session plays: :attr:`Role.CHARGING_STATION` or
            :attr:`Role.CSMS`.
        new_id: returns a fresh message id (a string of 1 to 36 characters)
            for each CALL and SEND; the default counts ``"1"``, ``"2"``, ...
            A host that reconnects should use ids unique across connections,
            e.g. ``lambda: str(uuid.uuid4())``.
        call_timeout: seconds to wait for the answer to a CALL (default 30),
            counted from the moment the CALL leaves (not when it is queued).
        limits: bounds on received texts (:class:`FrameLimits`).
        decode_options: named leniencies for decoding payloads (strict by default).
        remember: how many finished calls and answered peer calls to remember
            for classifying stray answers and duplicate ids (default 256).
        spell_error_codes_as: write the two CallError codes that 1.6 and 2.x
            spell differently (``FormationViolation``/``FormatViolation``,
            ``OccurenceConstraintViolation``/``OccurrenceConstraintViolation``)
            as this version spells them, for a peer that insists on the other
            spelling; received codes in that spelling are then read without a
            warning. Default: the session's version, as its specification prints.

    Raises:
        ValueError: for an unknown version or role, or a timeout that is not positive.
    """

    __slots__ = (
        "_actions",
        "_answered",
        "_channels",
        "_codes",
        "_decode_options",
        "_finished",
        "_in_flight",
        "_limits",
        "_new_id",
        "_outbox",
        "_owed",
        "_pending_ids",
        "_queue",
        "_role",
        "_spelling",
        "_timeout",
        "_version",
    )

    def __init__(
        self,
        version: VersionLike,
        role: Role | str,
        *,
        new_id: Callable[[], str] | None = None,
        call_timeout: float = 30.0,
        limits: FrameLimits = DEFAULT_LIMITS,
        decode_options: DecodeOptions | None = None,
        remember: int = 256,
        spell_error_codes_as: VersionLike | None = None,
    ) -> None:
        if not call_timeout > 0:
            raise ValueError("call_timeout must be a positive number of seconds")
        if remember < 1:
            raise ValueError("remember must be at least 1")
        self._version = OcppVersion.parse(version)
        self._role = Role.parse(role)
        self._new_id = new_id if new_id is not None else _count()
        self._timeout = float(call_timeout)
        self._limits = limits
        self._decode_options = decode_options
        self._actions: Mapping[str, ActionInfo] = actions(self._version)
        self._codes = error_codes_for(self._version)
        self._spelling = (
            self._version
            if spell_error_codes_as is None
            else OcppVersion.parse(spell_error_codes_as)
        )
        self._channels = Channels()
        self._in_flight: _Outgoing | None = None
        self._queue: deque[_Outgoing] = deque()
        self._pending_ids: set[str] = set()
        self._owed: dict[str, Call] = {}
        self._finished = _Recent(remember)
        self._answered = _Recent(remember)
        self._outbox: list[str] = []

    # --- introspection -----------------------------------------------------------

    @property
    def version(self) -> OcppVersion:
        """The OCPP version of the connection."""
        return self._version

    @property
    def role(self) -> Role:
        """The side this session plays."""
        return self._role

    @property
    def state(self) -> SessionState:
        """The state of both channels (see :mod:`ocpp_core.rpc._state`)."""
        return self._channels.snapshot()

    @property
    def in_flight(self) -> Call | None:
        """Our CALL awaiting its answer, if any."""
        return None if self._in_flight is None else self._in_flight.call

    @property
    def queued(self) -> tuple[Call, ...]:
        """Our CALLs waiting for the one in flight to finish, oldest first."""
        return tuple(item.call for item in self._queue)

    @property
    def owed(self) -> tuple[Call, ...]:
        """The peer's CALLs that await our answer, oldest first."""
        return tuple(self._owed.values())

    # --- receiving ---------------------------------------------------------------

    def receive(self, text: str | bytes, now: float) -> list[Event]:
        """Take one received WebSocket message; return what it means.

        Deadlines that passed by ``now`` are expired first (as
        :meth:`expire` would), so an answer that comes after its call's
        deadline is reported as late whatever order the host checks in.

        Args:
            text: the message as received (``bytes`` are read as UTF-8).
            now: the current time in seconds, on the same clock as every other
                ``now`` given to this session.

        Returns:
            The events, in order. Texts the session wants sent in reaction
            (a CALLERROR, a released CALL) are in :meth:`data_to_send`.

        Raises:
            LocalProtocolError: ``text`` is neither ``str`` nor ``bytes``. Any
                text at all is otherwise reported as events, never raised.
        """
        events: list[Event] = []
        if self._in_flight is not None and self._in_flight.deadline <= now:
            events.extend(self.expire(now))
        try:
            frame = parse_frame(text, self._version, limits=self._limits)
        except FrameError as error:
            self._on_frame_error(error, now, events)
            return events
        if type(frame) is Call:
            self._on_call(frame, events)
        elif type(frame) is CallResult or type(frame) is CallError:
            self._on_answer(frame, now, events)
        elif type(frame) is CallResultError:
            self._on_result_error(frame, events)
        else:
            assert type(frame) is Send
            self._on_send(frame, events)
        return events

    def _on_frame_error(self, error: FrameError, now: float, events: list[Event]) -> None:
        mt, uid = error.message_type, error.unique_id
        in_flight = self._in_flight
        is_answer = mt is not None and mt in _ANSWER_TYPES
        if is_answer and in_flight is not None and in_flight.call.unique_id == uid:
            # A broken answer to our call ends it (a malformed CALLERROR must
            # not leave the call hanging until its timeout).
            reply = None
            if mt == MessageType.CALL_RESULT and self._version is OcppVersion.V21:
                code = (
                    ErrorCode.FORMAT_VIOLATION
                    if error.rule in (FrameRule.PAYLOAD_NOT_AN_OBJECT, FrameRule.DUPLICATE_KEY)
                    else ErrorCode.RPC_FRAMEWORK_ERROR
                )
                reply = self._error_text(
                    uid, code, error.detail, message_type=MessageType.CALL_RESULT_ERROR
                )
            if reply is not None:
                self._outbox.append(reply)
            self._finish(
                InvalidResponseReceived(
                    call=in_flight.call, request=in_flight.request, error=error, reply=reply
                ),
                _ANSWERED,
                now,
                events,
            )
            return
        if is_answer:
            self._notify(_OUT, Input.STRAY_RESPONSE, self._violation(error), events)
            return
        if error.reply is None and mt in _NOTICE_TYPES:
            self._notify(_IN, Input.NOTICE, self._violation(error), events)
            return
        reply = error.reply
        if reply is not None and error.code is not None and self._spelling is not self._version:
            uid, _, description, details = json.loads(reply)[1:]
            reply = self._error_text(uid, error.code, description, details)
        self._auto_reply(self._violation(error, reply=reply), events)

    def _notify(self, channel: Channel, event: Input, report: Event, events: list[Event]) -> None:
        """Fire an input whose effect is NOTIFY (report ``report``, send nothing)."""
        if self._channels.fire(channel, event) is Effect.NOTIFY:  # pragma: no branch
            events.append(report)

    def _auto_reply(self, violation: ProtocolViolation, events: list[Event]) -> None:
        """Fire CALL_REFUSED; its effect AUTO_REPLY reports and queues the CALLERROR owed."""
        if self._channels.fire(_IN, Input.CALL_REFUSED) is Effect.AUTO_REPLY:  # pragma: no branch
            events.append(violation)
            if violation.reply is not None:
                self._outbox.append(violation.reply)

    @staticmethod
    def _violation(error: FrameError, reply: str | None = None) -> ProtocolViolation:
        return ProtocolViolation(
            kind=Violation.MALFORMED_FRAME,
            description=error.detail,
            unique_id=error.unique_id,
            error=error,
            reply=reply,
        )

    def _refuse(
        self,
        call: Call,
        kind: Violation,
        code: ErrorCode,
        description: str,
        events: list[Event],
        *,
        error: OcppError | None = None,
        details: JsonObject | None = None,
    ) -> None:
        reply = self._error_text(call.unique_id, code, description, details)
        if call.unique_id not in self._owed:
            # Remembered as answered: a later answer to this CALLERROR is an
            # answer to an answer, and a reuse of the id a duplicate.
            self._answered.add(call.unique_id, (call, False))
        violation = ProtocolViolation(
            kind=kind,
            description=clip(description, MAX_DESCRIPTION_LENGTH),
            unique_id=call.unique_id,
            frame=call,
            error=error,
            reply=reply,
        )
        self._auto_reply(violation, events)

    def _on_call(self, call: Call, events: list[Event]) -> None:
        uid, action = call.unique_id, call.action
        if uid in self._owed:
            # OCPP-J 1.6 section 4.2.3: "an existing call with the same unique
            # identifier is being handled already" is answered with a CALLERROR.
            code = (
                ErrorCode.PROTOCOL_ERROR
                if self._version is OcppVersion.V16
                else ErrorCode.RPC_FRAMEWORK_ERROR
            )
            self._refuse(
                call,
                Violation.DUPLICATE_CALL_ID,
                code,
                f"message id {clip(uid)!r} is in use by a CALL still being handled",
                events,
            )
            return
        info = self._actions.get(action)
        if info is None:
            if action in _all_action_names():
                self._refuse(
                    call,
                    Violation.UNSUPPORTED_ACTION,
                    ErrorCode.NOT_SUPPORTED,
                    f"{clip(action)} is not an action of OCPP {self._version.value}",
                    events,
                )
            else:
                self._refuse(
                    call,
                    Violation.UNKNOWN_ACTION,
                    ErrorCode.NOT_IMPLEMENTED,
                    f"unknown action {clip(action)!r}",
                    events,
                )
            return
        if self._role.peer not in info.senders:
            self._refuse(
                call,
                Violation.WRONG_DIRECTION,
                ErrorCode.NOT_SUPPORTED,
                f"{action} is not sent by the {self._role.peer.value}",
                events,
            )
            return
        if info.response is None:
            self._refuse(
                call,
                Violation.UNSUPPORTED_ACTION,
                ErrorCode.NOT_SUPPORTED,
                f"{action} is sent with SEND (message type 6), never as a CALL",
                events,
            )
            return
        try:
            request = decode_payload(
                self._version, action, "request", call.payload, options=self._decode_options
            )
        except PayloadError as error:
            self._refuse(
                call,
                Violation.INVALID_PAYLOAD,
                error.code,
                f"{clip(error.path, 80)}: {error.detail}",
                events,
                error=error,
                details={"path": clip(error.path, 80), "rule": error.rule.value},
            )
            return
        effect = self._channels.fire(_IN, Input.CALL_DELIVERED)
        if effect is Effect.DELIVER_CONCURRENT:
            events.append(
                ProtocolViolation(
                    kind=Violation.CONCURRENT_CALL,
                    description="CALL received while another CALL of the peer is unanswered",
                    unique_id=uid,
                    frame=call,
                )
            )
        if uid in self._answered:
            events.append(
                ProtocolViolation(
                    kind=Violation.DUPLICATE_CALL_ID,
                    description=f"message id {clip(uid)!r} was used by an earlier CALL",
                    unique_id=uid,
                    frame=call,
                )
            )
        self._owed[uid] = call
        events.append(CallReceived(call=call, request=request))

    def _on_answer(self, frame: CallResult | CallError, now: float, events: list[Event]) -> None:
        uid = frame.unique_id
        in_flight = self._in_flight
        if in_flight is None or in_flight.call.unique_id != uid:
            self._stray(frame, events)
            return
        outcome: Event
        if type(frame) is CallResult:
            try:
                response = decode_payload(
                    self._version,
                    in_flight.call.action,
                    "response",
                    frame.payload,
                    options=self._decode_options,
                )
            except OcppError as error:
                # A PayloadError; or, for a call recorded by the log checker with
                # an action the version lacks, an UnknownActionError.
                reply = None
                if self._version is OcppVersion.V21 and isinstance(error, PayloadError):
                    reply = self._error_text(
                        uid,
                        error.code,
                        f"{clip(error.path, 80)}: {error.detail}",
                        {"path": clip(error.path, 80), "rule": error.rule.value},
                        message_type=MessageType.CALL_RESULT_ERROR,
                    )
                    self._outbox.append(reply)
                outcome = InvalidResponseReceived(
                    call=in_flight.call, request=in_flight.request, error=error, reply=reply
                )
                self._finish(outcome, _ANSWERED, now, events)
                return
            outcome = CallResultReceived(
                call=in_flight.call, request=in_flight.request, result=frame, response=response
            )
        else:
            assert type(frame) is CallError
            code = self._known_code(frame.error_code, uid, frame, events)
            outcome = CallErrorReceived(
                call=in_flight.call, request=in_flight.request, error=frame, code=code
            )
        self._finish(outcome, _ANSWERED, now, events)

    def _spell(self, code: ErrorCode) -> str:
        """``code`` as this session writes it (see ``spell_error_codes_as``)."""
        return respell_error_code(code, self._spelling) or code

    def _error_text(
        self,
        uid: str,
        code: ErrorCode,
        description: str,
        details: JsonObject | None = None,
        *,
        message_type: int = MessageType.CALL_ERROR,
    ) -> str:
        """A CALLERROR (or CALLRESULTERROR) of ours, its code spelled as configured."""
        return call_error_text(
            uid, self._spell(code), description, details, message_type=message_type
        )

    def _known_code(
        self, code: str, uid: str, frame: CallError | CallResultError, events: list[Event]
    ) -> ErrorCode | None:
        if code in self._codes:
            return ErrorCode(code)
        read = respell_error_code(code, self._version)
        if read is not None:
            if code != self._spell(read):
                events.append(
                    ProtocolViolation(
                        kind=Violation.ERROR_CODE_SPELLING,
                        description=f"error code {code!r} is spelled as in another OCPP "
                        f"version; read as {read.value}",
                        unique_id=uid,
                        frame=frame,
                    )
                )
            return read
        events.append(
            ProtocolViolation(
                kind=Violation.UNKNOWN_ERROR_CODE,
                description=f"error code {clip(code)!r} is not defined in OCPP "
                f"{self._version.value}",
                unique_id=uid,
                frame=frame,
            )
        )
        return None

    def _stray(self, frame: CallResult | CallError, events: list[Event]) -> None:
        uid = frame.unique_id
        status = self._finished.get(uid)
        if status == _TIMED_OUT:
            kind, what = Violation.LATE_RESPONSE, "a CALL that already timed out"
        elif status == _ANSWERED:
            kind, what = Violation.DUPLICATE_RESPONSE, "a CALL that was already answered"
        elif status == _UNCONFIRMED:
            kind, what = Violation.UNKNOWN_RESPONSE, "a SEND, which is never answered"
        elif uid in self._answered:
            kind, what = Violation.RESPONSE_TO_RESPONSE, "an answer this side sent"
        else:
            kind, what = Violation.UNKNOWN_RESPONSE, "no CALL of this side"
        name = "CALLRESULT" if type(frame) is CallResult else "CALLERROR"
        violation = ProtocolViolation(
            kind=kind,
            description=f"{name} with id {clip(uid)!r} answers {what}; dropped",
            unique_id=uid,
            frame=frame,
        )
        self._notify(_OUT, Input.STRAY_RESPONSE, violation, events)

    def _on_result_error(self, frame: CallResultError, events: list[Event]) -> None:
        uid = frame.unique_id
        entry = self._answered.get(uid)
        report: Event
        if entry is not None and entry[1]:
            code = self._known_code(frame.error_code, uid, frame, events)
            report = CallResultErrorReceived(error=frame, call=entry[0], code=code)
        else:
            kind = Violation.UNKNOWN_RESPONSE if entry is None else Violation.RESPONSE_TO_RESPONSE
            what = "no CALLRESULT of this side" if entry is None else "a CALLERROR of this side"
            report = ProtocolViolation(
                kind=kind,
                description=f"CALLRESULTERROR with id {clip(uid)!r} refers to {what}; dropped",
                unique_id=uid,
                frame=frame,
            )
        self._notify(_IN, Input.NOTICE, report, events)

    def _on_send(self, frame: Send, events: list[Event]) -> None:
        action = frame.action
        info = self._actions.get(action)
        problem: str | None = None
        error: OcppError | None = None
        message: Any = None
        if info is None:
            problem = f"unknown action {clip(action)!r}"
        elif info.response is not None:
            problem = f"{action} is a CALL action, not sent with SEND"
        elif self._role.peer not in info.senders:
            problem = f"{action} is not sent by the {self._role.peer.value}"
        else:
            try:
                message = decode_payload(
                    self._version, action, "request", frame.payload, options=self._decode_options
                )
            except PayloadError as exc:
                problem, error = f"{clip(exc.path, 80)}: {exc.detail}", exc
        report: Event = SendReceived(send=frame, message=message)
        if problem is not None:
            report = ProtocolViolation(
                kind=Violation.INVALID_SEND,
                description=clip(problem, MAX_DESCRIPTION_LENGTH),
                unique_id=frame.unique_id,
                frame=frame,
                error=error,
            )
        self._notify(_IN, Input.NOTICE, report, events)

    # --- our CALLs ---------------------------------------------------------------

    def _check_message(self, message: object, kind: str) -> tuple[str, ActionInfo]:
        try:
            meta = message_meta(message)
        except TypeError:
            raise LocalProtocolError(
                f"{type(message).__qualname__} is not a generated OCPP message"
            ) from None
        if meta.version is not self._version:
            raise LocalProtocolError(
                f"{type(message).__qualname__} is an OCPP {meta.version.value} message; "
                f"this session speaks OCPP {self._version.value}"
            )
        if meta.kind != kind:
            raise LocalProtocolError(f"{type(message).__qualname__} is not a {kind}")
        info = self._actions[meta.action]
        return meta.action, info

    def _fresh_id(self, unique_id: str | None) -> str:
        uid = self._new_id() if unique_id is None else unique_id
        if not valid_id(uid):
            raise LocalProtocolError(f"message id {uid!r} is not a string of 1 to 36 characters")
        if uid in self._pending_ids or uid in self._finished:
            # OCPP-J 1.6 section 4.1.4: a CALL's id must differ from every id
            # the sender used before on the connection.
            raise LocalProtocolError(f"message id {uid!r} was already used by this side")
        return uid

    def send_call(
        self,
        message: object,
        now: float,
        *,
        unique_id: str | None = None,
        timeout: float | None = None,
    ) -> str | None:
        """Send a CALL carrying a typed request.

        Only one CALL is in flight at a time (OCPP-J section 4.1.1): when one is
        already waiting for its answer, this one is queued and leaves, through
        :meth:`data_to_send`, when that answer (or its timeout) comes. Its
        message id is fixed now (see :attr:`queued`).

        Args:
            message: a generated request of this session's version, e.g.
                ``ocpp_core.v201.HeartbeatRequest()``, that this role may send.
            now: the current time; the timeout starts now if the CALL leaves now.
            unique_id: the message id to use instead of a new one from ``new_id``.
            timeout: seconds to wait for the answer instead of ``call_timeout``.

        Returns:
            The CALL text to send now, or ``None`` when it was queued.

        Raises:
            LocalProtocolError: the message is not a request of this version, this
                role may not send it, it is a 2.1 SEND-only message, or the id is
                invalid or already used. Nothing changes.
            EncodeError: a value of the message cannot be written.
        """
        action, info = self._check_message(message, "request")
        if self._role not in info.senders:
            raise LocalProtocolError(f"{action} is not sent by the {self._role.value}")
        if info.response is None:
            raise LocalProtocolError(f"{action} is an unconfirmed message: use send()")
        if timeout is not None and not timeout > 0:
            raise LocalProtocolError("timeout must be a positive number of seconds")
        uid = self._fresh_id(unique_id)
        try:
            payload = encode_payload(message)
        except TypeError as exc:  # pragma: no cover - message_meta accepted the class
            raise LocalProtocolError(str(exc)) from None
        call = Call(unique_id=uid, action=action, payload=payload)
        text = serialize_frame(call)
        item = _Outgoing(
            call=call,
            request=message,
            text=text,
            timeout=self._timeout if timeout is None else float(timeout),
        )
        return self._start_call(item, now)

    def _start_call(self, item: _Outgoing, now: float) -> str | None:
        """Fire SEND_CALL for ``item``; return its text when it is transmitted, else queue it."""
        effect = self._channels.fire(_OUT, Input.SEND_CALL)
        self._pending_ids.add(item.call.unique_id)
        if effect is Effect.ENQUEUE:
            self._queue.append(item)
            return None
        self._transmit(item, now)
        return item.text

    def _transmit(self, item: _Outgoing, now: float) -> None:
        """The TRANSMIT effect: the CALL is in flight and its timeout starts."""
        item.deadline = now + item.timeout
        self._in_flight = item

    def _finish(self, outcome: Event, status: str, now: float, events: list[Event]) -> None:
        """Fire RESPONSE or TIMEOUT for the call in flight and carry out FINISH_CALL.

        FINISH_CALL reports ``outcome``, then releases the oldest queued CALL
        (SEND_CALL from IDLE: TRANSMIT, its text goes to :meth:`data_to_send`).
        """
        in_flight = self._in_flight
        assert in_flight is not None
        event = Input.TIMEOUT if status == _TIMED_OUT else Input.RESPONSE
        if self._channels.fire(_OUT, event) is Effect.FINISH_CALL:  # pragma: no branch
            uid = in_flight.call.unique_id
            self._pending_ids.discard(uid)
            self._finished.add(uid, status)
            self._in_flight = None
            events.append(outcome)
        if self._queue:
            item = self._queue.popleft()
            if self._channels.fire(_OUT, Input.SEND_CALL) is Effect.TRANSMIT:  # pragma: no branch
                self._transmit(item, now)
                self._outbox.append(item.text)

    def next_deadline(self) -> float | None:
        """Return when the CALL in flight times out, or ``None`` when none is in flight."""
        return None if self._in_flight is None else self._in_flight.deadline

    def expire(self, now: float) -> list[Event]:
        """Time out the CALL in flight if its deadline is ``now`` or earlier.

        A queued CALL then leaves (through :meth:`data_to_send`) with its own
        timeout counted from ``now``.

        Returns:
            ``[CallTimedOut(...)]``, or ``[]`` when nothing was due.
        """
        in_flight = self._in_flight
        if in_flight is None or in_flight.deadline > now:
            return []
        events: list[Event] = []
        outcome = CallTimedOut(
            call=in_flight.call, request=in_flight.request, deadline=in_flight.deadline
        )
        self._finish(outcome, _TIMED_OUT, now, events)
        return events

    # --- our answers -------------------------------------------------------------

    def _take_owed(self, call: Call | CallReceived | CallResult | CallError) -> tuple[Call, Input]:
        if isinstance(call, CallReceived):
            call = call.call
        owed = self._owed.get(call.unique_id)
        if owed is None:
            raise LocalProtocolError(
                f"no CALL with id {clip(str(call.unique_id))!r} awaits an answer"
            )
        event = Input.ANSWER_LAST if len(self._owed) == 1 else Input.ANSWER_ONE_OF_SEVERAL
        return owed, event

    def _answered_with(self, owed: Call, event: Input, result: bool) -> None:
        """Fire ANSWER_*; TRANSMIT_ANSWER: the CALL is no longer owed (the caller sends)."""
        if self._channels.fire(_IN, event) is Effect.TRANSMIT_ANSWER:  # pragma: no branch
            del self._owed[owed.unique_id]
            self._answered.add(owed.unique_id, (owed, result))

    def send_result(self, call: Call | CallReceived, message: object) -> str:
        """Answer one of the peer's CALLs with a CALLRESULT.

        Args:
            call: the CALL (or its :class:`CallReceived` event) being answered.
            message: the generated response of the CALL's action, e.g.
                ``ocpp_core.v201.HeartbeatResponse(current_time=...)``.

        Returns:
            The CALLRESULT text to send.

        Raises:
            LocalProtocolError: the CALL is not owed an answer (never received, or
                already answered), or the message is not the response of its
                action in this version. Nothing changes.
            EncodeError: a value of the message cannot be written.
        """
        owed, event = self._take_owed(call)
        action, _ = self._check_message(message, "response")
        if action != owed.action:
            raise LocalProtocolError(
                f"{type(message).__qualname__} does not answer a {owed.action} CALL"
            )
        text = serialize_frame(
            CallResult(unique_id=owed.unique_id, payload=encode_payload(message))
        )
        self._answered_with(owed, event, result=True)
        return text

    def send_error(
        self,
        call: Call | CallReceived,
        code: ErrorCode | str,
        description: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> str:
        """Answer one of the peer's CALLs with a CALLERROR.

        Args:
            call: the CALL (or its :class:`CallReceived` event) being answered.
            code: a CallError code the version defines (e.g. 1.6
                ``FormationViolation``, 2.x ``FormatViolation``; either spelling
                is accepted and written as ``spell_error_codes_as`` says).
            description: free text for the peer (OCPP-J 2.x limits it to 255
                characters; longer text is refused).
            details: a JSON object with details (default ``{}``).

        Returns:
            The CALLERROR text to send.

        Raises:
            LocalProtocolError: the CALL is not owed an answer, the code is not
                defined in this version, or the description is too long.
        """
        owed, event = self._take_owed(call)
        known = respell_error_code(code, self._version)
        if known is None:
            raise LocalProtocolError(
                f"{code!s} is not a CallError code of OCPP {self._version.value}"
            )
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_LENGTH:
            raise LocalProtocolError(
                f"the error description must be a string of at most {MAX_DESCRIPTION_LENGTH} "
                "characters"
            )
        text = serialize_frame(
            CallError(
                unique_id=owed.unique_id,
                error_code=self._spell(known),
                error_description=description,
                error_details={} if details is None else dict(details),
            )
        )
        self._answered_with(owed, event, result=False)
        return text

    def send(self, message: object) -> str:
        """Send a 2.1 unconfirmed message (SEND, message type 6).

        Nothing is owed back and the one-CALL-in-flight rule does not apply.

        Args:
            message: a generated SEND-only request of OCPP 2.1 that this role
                may send (e.g. ``NotifyPeriodicEventStream``).

        Returns:
            The SEND text to send.

        Raises:
            LocalProtocolError: the session is not 2.1, or the message is not a
                SEND-only request this role may send.
        """
        if self._version is not OcppVersion.V21:
            raise LocalProtocolError(f"SEND does not exist in OCPP {self._version.value}")
        action, info = self._check_message(message, "request")
        if info.response is not None:
            raise LocalProtocolError(f"{action} is answered: use send_call()")
        if self._role not in info.senders:
            raise LocalProtocolError(f"{action} is not sent by the {self._role.value}")
        uid = self._fresh_id(None)
        text = serialize_frame(Send(unique_id=uid, action=action, payload=encode_payload(message)))
        self._finished.add(uid, _UNCONFIRMED)
        return text

    def record_sent(self, frame: Frame, now: float, *, request: object = None) -> None:
        """Record that this side sent ``frame`` by other means than this session.

        For hosts that replay a captured conversation (``ocpp-core check``
        does) or take over a connection whose frames were written elsewhere.
        The session's state then is as if the frame had been sent with
        :meth:`send_call`, :meth:`send_result`, :meth:`send_error` or
        :meth:`send`; the frame itself is not checked, encoded or returned.

        * a CALL goes in flight, its timeout counted from ``now``; its answer is
          decoded as the response of its action, and the outcome event carries
          ``request`` (the typed request, ``None`` when unknown);
        * a CALLRESULT or CALLERROR answers the owed CALL with its id;
        * a SEND is remembered, so that an answer to it is reported as such;
        * a CALLRESULTERROR changes nothing.

        Args:
            frame: the frame this side sent.
            now: when it was sent.
            request: for a CALL, its typed request if known.

        Raises:
            LocalProtocolError: a CALL while another CALL of this side is in flight
                (OCPP-J allows one at a time, so the session tracks one), or a
                CALLRESULT or CALLERROR for a CALL that is not owed. Nothing changes.
        """
        uid = frame.unique_id
        if type(frame) is Call:
            if self._in_flight is not None:
                busy = self._in_flight.call.unique_id
                raise LocalProtocolError(
                    f"cannot record CALL {clip(uid)!r}: CALL {clip(busy)!r} of this side "
                    "is in flight"
                )
            self._start_call(
                _Outgoing(call=frame, request=request, text="", timeout=self._timeout), now
            )
        elif type(frame) is CallResult or type(frame) is CallError:
            owed, event = self._take_owed(frame)
            self._answered_with(owed, event, result=type(frame) is CallResult)
        elif type(frame) is Send:
            self._finished.add(uid, _UNCONFIRMED)

    def data_to_send(self) -> list[str]:
        """Return, and forget, the texts the session decided to send by itself.

        These are the CALLERRORs for CALLs it refused, CALLs released from the
        queue, and (2.1) CALLRESULTERRORs, in the order they were decided.
        Send them in this order.
        """
        out, self._outbox = self._outbox, []
        return out
