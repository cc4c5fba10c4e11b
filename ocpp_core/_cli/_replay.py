"""The replay engine behind ``ocpp-core check``: a log through two sessions.

Theory of operation
-------------------
A captured conversation is a sequence of frames, each sent by the charging
station or by the CSMS. :class:`Replay` keeps one
:class:`~ocpp_core.rpc.Session` per role and feeds every frame to the
*receiving* side's session, exactly as a live host would: everything the
session reports (a malformed frame, an unknown or wrong-direction action, an
invalid payload, an answer to an unknown id, a duplicate or late answer, an
answer to an answer, a CALL that overtakes an unanswered one of the same side)
becomes a :class:`Problem` on that line. The sending side's session is then
told that the frame left (:meth:`~ocpp_core.rpc.Session.record_sent`), so that
it can correlate the answer later. A side that sends a CALL while one of its
CALLs is unanswered (OCPP-J forbids it, real chargers do it) gets the
receiver's concurrency warning, and its further CALL is tracked by a further
session of that side that holds only that CALL: so every answer is matched to
its CALL, whatever order the answers come in. Answers go to the session that
holds the CALL with their id, anything else to the side's main session. Where
the receiving session would have answered a CALL itself, the log's actual
answer is compared with the CALLERROR it owes (``wrong-answer``); CALLs still
unanswered at the end are listed (``unanswered``).

The engine knows nothing of lines, files or version detection: its caller
(:func:`ocpp_core._cli.check.check_lines`, which reads the line grammar and
detects the version) hands over each frame's text, its line number, its sender
when the log says it, and its time when the log has one. A frame whose sender
is not given has it inferred: a CALL from its action's direction, an answer
from the CALL it answers. The engine does no I/O and keeps bounded state: at
most ``max_problems`` problems (the rest are counted) and at most
``max_pending`` unanswered CALLs per side (the oldest are forgotten).
"""

from __future__ import annotations

import contextlib
import enum
import functools
import json
from typing import Any, Final

import attrs

from ocpp_core._api import actions
from ocpp_core._runtime import DecodeOptions, Departure
from ocpp_core._text import clip
from ocpp_core.errors import (
    ErrorCode,
    FrameError,
    LocalProtocolError,
    OcppError,
    PayloadError,
    PayloadRule,
    error_codes_for,
    respell_error_code,
)
from ocpp_core.rpc import (
    Call,
    CallError,
    CallErrorReceived,
    CallResult,
    CallResultError,
    CallResultErrorReceived,
    CallResultReceived,
    CallTimedOut,
    Frame,
    FrameLimits,
    InvalidResponseReceived,
    MessageType,
    ProtocolViolation,
    Send,
    Session,
    Violation,
    parse_frame,
)
from ocpp_core.versions import OcppVersion, Role, VersionLike

__all__ = ["MAX_PENDING", "CheckRule", "Problem", "Replay", "Severity"]

MAX_PENDING: Final = 100_000
"""At most this many unanswered CALLs are remembered per side; the oldest are dropped."""

_NO_LIMIT: Final = FrameLimits(max_chars=1 << 62)  # the caller bounds the lines


class Severity(enum.StrEnum):
    """How bad a problem is."""

    ERROR = "error"
    """The protocol is broken: the check fails."""
    WARNING = "warning"
    """Worth a look, but not invalid (e.g. an answer whose CALL is not in the log)."""


class CheckRule(enum.StrEnum):
    """The checker's own rules, beside ``PayloadRule``, ``FrameRule`` and ``Violation``."""

    BAD_LINE = "bad-line"
    """The line is not ``[timestamp] [direction] frame`` (see ``docs/cli.md``)."""
    WRONG_ANSWER = "wrong-answer"
    """The answer to a CALL the receiver must refuse is not the CALLERROR it owes."""
    UNANSWERED = "unanswered"
    """A CALL got no answer by the end of the log."""
    TIMEOUT = "timeout"
    """A CALL got no answer within the timeout (only with a timeout and timestamps)."""
    ACCEPTED_DEPARTURE = "accepted-departure"
    """A payload departs from its schema, and a :class:`~ocpp_core.DecodeOptions`
    switch (named in the message) accepted it: a warning (``check --lenient``)."""


_WARNINGS: Final = frozenset(
    {
        Violation.CONCURRENT_CALL.value,
        Violation.UNKNOWN_RESPONSE.value,
        Violation.ERROR_CODE_SPELLING.value,
        CheckRule.UNANSWERED.value,
        CheckRule.ACCEPTED_DEPARTURE.value,
    }
)
_CODE_CHECKS: Final = frozenset({Violation.UNKNOWN_ERROR_CODE, Violation.ERROR_CODE_SPELLING})
_KINDS: Final[dict[int, str]] = {
    MessageType.CALL: "request",
    MessageType.CALL_RESULT: "response",
    MessageType.CALL_ERROR: "error",
    MessageType.CALL_RESULT_ERROR: "error",
    MessageType.SEND: "send",
}


@attrs.frozen(kw_only=True)
class Problem:
    """One thing wrong with one line of the log."""

    line: int
    """The line number, counting from 1."""
    severity: Severity
    """Whether the problem makes the log invalid."""
    rule: str
    """The rule broken: a :class:`~ocpp_core.PayloadRule`, a
    :class:`~ocpp_core.errors.FrameRule`, a :class:`~ocpp_core.rpc.Violation`
    or a :class:`CheckRule` value."""
    message: str
    """What is wrong; for a payload, the :class:`~ocpp_core.PayloadError` text
    (JSON path, detail, rule). Bounded in length: input is never echoed in full."""
    code: ErrorCode | None = None
    """The CallError code the failure calls for in the version, or ``None`` where
    the version owes no reply (e.g. a broken 1.6 frame whose id cannot be read)."""
    message_id: str | None = None
    """The frame's message id, when it could be read (clipped to 40 characters)."""
    action: str | None = None
    """The action: the CALL's own, or for an answer that of its CALL when known."""
    kind: str | None = None
    """``request``, ``response``, ``error`` (CALLERROR/CALLRESULTERROR) or ``send``."""


def _reply_code(reply: str | None) -> ErrorCode | None:
    if reply is None:
        return None
    code = json.loads(reply)[2]
    return ErrorCode(code) if code in ErrorCode._value2member_map_ else None


def _rule_and_message(error: OcppError | None, fallback: str, description: str) -> tuple[str, str]:
    if isinstance(error, PayloadError):
        return error.rule.value, clip(str(error), 240)
    if isinstance(error, FrameError):
        return error.rule.value, error.detail
    return fallback, description


class Replay:
    """One log replayed under one version through two sessions.

    Feed the frames in log order with :meth:`feed` (and lines that carry no
    frame with :meth:`line_problem`), then call :meth:`finish` once. The
    counts and :attr:`problems` are then final.

    Args:
        version: the OCPP version to check against.
        options: decoding options for payloads (strict by default).
        timeout: report answers that come more than this many seconds after
            their CALL (needs the frames' times); ``None``: no timeout.
        max_problems: at most this many problems are kept; the rest are
            counted in :attr:`omitted`.
        max_pending: at most this many unanswered CALLs per side are kept.

    Raises:
        ValueError: ``version`` names no known version, or ``timeout`` is not positive.
    """

    def __init__(
        self,
        version: VersionLike,
        *,
        options: DecodeOptions | None = None,
        timeout: float | None = None,
        max_problems: int = 10_000,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.version: OcppVersion = OcppVersion.parse(version)
        """The version the log is checked against."""
        if timeout is not None and not timeout > 0:
            raise ValueError("timeout must be a positive number of seconds")
        self._timeout = timeout
        self._max_problems = max_problems
        self._max_pending = max_pending
        self._actions = actions(self.version)
        self._codes = frozenset(code.value for code in error_codes_for(self.version))
        # Departures the options accepted while decoding the current frame.
        self._departures: list[Departure] = []
        if options is not None:
            options = attrs.evolve(options, on_departure=self._departures.append)
        self._options = options
        # The main session of each side: it receives every CALL and SEND, and
        # sends this side's CALLs while it has none in flight.
        self._sessions = {role: self._new_session(role) for role in Role}
        # Further sessions of each side, each holding one CALL sent while the
        # main session had one in flight (oldest first).
        self._extra: dict[Role, list[Session]] = {role: [] for role in Role}
        # (calling role, id) -> the session that sent that CALL.
        self._holder: dict[tuple[Role, str], Session] = {}
        # (answering role, id) -> the CALLERROR it owes for a CALL it refused.
        # The flag tells whether the refusal tells versions apart (see ``telling``).
        self._refused: dict[tuple[Role, str], tuple[str, bool]] = {}
        # (calling role, id) -> the lines of its CALLs with that id waiting for an answer.
        self._call_lines: dict[tuple[Role, str], list[int]] = {}
        # (calling role, id) -> when its latest CALL with that id was sent.
        self._call_times: dict[tuple[Role, str], float] = {}
        # (calling role, id) -> the line of the next CALL its side sent after this
        # one timed out unanswered (OCPP-J 4.1.1 lets a side go on after a timeout).
        self._gave_up: dict[tuple[Role, str], int] = {}
        self._clock = 0.0
        self._invalid_lines: set[int] = set()
        self._telling_lines: set[int] = set()
        self._only_here = _only_in(self.version)
        self._last_line = 0
        self.frames = 0
        """Lines that carry a frame (or a line too long to read)."""
        self.calls = 0
        """CALL frames (type 2)."""
        self.results = 0
        """CALLRESULT frames (type 3)."""
        self.errors = 0
        """CALLERROR frames (type 4)."""
        self.result_errors = 0
        """CALLRESULTERROR frames (type 5, OCPP 2.1)."""
        self.sends = 0
        """SEND frames (type 6, OCPP 2.1)."""
        self.answered = 0
        """CALLs that got a well-formed answer."""
        self.invalid = 0
        """Lines with an error-severity problem (each counts once)."""
        self.telling = 0
        """Invalid lines that tell versions apart: all but those invalid only for an
        unknown property (OCPP 2.0's schemas allow unknown properties almost
        everywhere, 2.0.1's nowhere, so such a line does not say which version a
        log is) and the answers to the CALLs refused for one."""
        self.own_actions = 0
        """CALL and SEND frames whose action exists in this version only."""
        self.unmatched = 0
        """Answers whose CALL is not waiting in the log (``unknown-response``)."""
        self.unanswered = 0
        """CALLs without an answer at the end of the log (after :meth:`finish`)."""
        self.problems: list[Problem] = []
        """The problems kept, in the order found (sorted by line by :meth:`finish`)."""
        self.omitted = 0
        """Problems found beyond ``max_problems`` and not kept."""

    def _new_session(self, role: Role) -> Session:
        return Session(
            self.version,
            role,
            call_timeout=self._timeout if self._timeout is not None else 1e15,
            limits=_NO_LIMIT,
            decode_options=self._options,
            remember=1 << 16,
        )

    # --- recording -------------------------------------------------------------------

    def _add(self, problem: Problem, *, telling: bool = True) -> None:
        if problem.severity is Severity.ERROR:
            if problem.line not in self._invalid_lines:
                self._invalid_lines.add(problem.line)
                self.invalid += 1
            if (
                telling
                and problem.rule != PayloadRule.UNKNOWN_PROPERTY
                and problem.line not in self._telling_lines
            ):
                self._telling_lines.add(problem.line)
                self.telling += 1
        if problem.rule == Violation.UNKNOWN_RESPONSE:
            self.unmatched += 1
        if len(self.problems) < self._max_problems:
            self.problems.append(problem)
        else:
            self.omitted += 1

    def _problem(
        self,
        line: int,
        rule: str,
        message: str,
        *,
        code: ErrorCode | None = None,
        message_id: str | None = None,
        action: str | None = None,
        kind: str | None = None,
        severity: Severity | None = None,
        telling: bool = True,
    ) -> None:
        if severity is None:
            severity = Severity.WARNING if rule in _WARNINGS else Severity.ERROR
        self._add(
            Problem(
                line=line,
                severity=severity,
                rule=str(rule),
                message=message,
                code=code,
                message_id=None if message_id is None else clip(message_id),
                action=None if action is None else clip(action),
                kind=kind,
            ),
            telling=telling,
        )

    def line_problem(
        self, line: int, rule: str, message: str, *, code: ErrorCode | None = None
    ) -> None:
        """Record a line that carries no frame the engine can read (an error).

        Args:
            line: the line number.
            rule: the rule broken (``bad-line``, or ``too-large`` for a line
                over the reader's bound).
            message: what is wrong, bounded in length.
            code: the CallError code the failure calls for, if any.
        """
        self.frames += 1
        self._last_line = line
        self._problem(line, rule, message, code=code)

    # --- feeding ---------------------------------------------------------------------

    def feed(self, line: int, text: str, sender: Role | None, time: float | None = None) -> None:
        """Replay one frame of the log.

        Args:
            line: the line number, counting from 1.
            text: the frame as it was sent (the JSON array).
            sender: who sent it, or ``None`` to infer it.
            time: when it was sent, in seconds; ``None``: just after the previous frame.
        """
        self.frames += 1
        self._last_line = line
        self._clock = time if time is not None else self._clock + 1e-3
        frame: Frame | None = None
        broken: FrameError | None = None
        try:
            frame = parse_frame(text, self.version, limits=_NO_LIMIT)
        except FrameError as error:
            broken = error
        if sender is None:
            sender = self._infer_sender(frame, broken)
        self._count(frame)
        uid = _unique_id(frame, broken)
        receiver = self._sessions[sender.peer]
        if uid is not None and _is_answer(frame, broken):
            receiver = self._holder.get((sender.peer, uid), receiver)
        # The CALL of the receiver that this frame may answer, for naming its action.
        answering = receiver.in_flight
        answered_action = (
            answering.action if answering is not None and answering.unique_id == uid else None
        )
        # The CALLERROR owed, when this answers a CALL the sender must refuse.
        owed: tuple[str, bool] | None = None
        if isinstance(frame, CallResult | CallError):
            owed = self._refused.pop((sender, frame.unique_id), None)
        owed_reply = None if owed is None else owed[0]
        if isinstance(frame, Call | Send) and frame.action in self._only_here:
            self.own_actions += 1
        events = [
            event for extra in self._extra[sender.peer] for event in extra.expire(self._clock)
        ]
        events += receiver.receive(text, self._clock)
        auto = receiver.data_to_send()
        for departure in self._departures:
            self._problem(
                line,
                CheckRule.ACCEPTED_DEPARTURE,
                clip(str(departure), 240),
                message_id=uid,
                action=frame.action if isinstance(frame, Call | Send) else answered_action,
                kind=_KINDS.get(frame.message_type) if frame is not None else None,
            )
        self._departures.clear()
        request: Any = None
        delivered = False
        code_checked = False
        extra_property = False  # the receiver refused the CALL for an unknown property
        for event in events:
            if isinstance(event, CallResultReceived | CallErrorReceived):
                self.answered += 1
                self._call_line((sender.peer, event.call.unique_id))
            elif isinstance(event, InvalidResponseReceived):
                self.answered += 1
                self._call_line((sender.peer, event.call.unique_id))
                if owed_reply is None:
                    self._invalid_response(line, event)
            elif isinstance(event, ProtocolViolation):
                code_checked |= event.kind in _CODE_CHECKS
                extra_property |= (
                    isinstance(event.error, PayloadError)
                    and event.error.rule is PayloadRule.UNKNOWN_PROPERTY
                )
                if owed_reply is not None and event.kind is Violation.UNKNOWN_RESPONSE:
                    continue  # the answer to a CALL too broken to be tracked
                if (
                    event.kind is Violation.CONCURRENT_CALL
                    and isinstance(frame, Call)
                    and self._after_timeout(line, sender, frame)
                ):
                    continue  # the earlier CALL had timed out: going on is allowed
                self._violation(line, event, answered_action, sender)
            elif isinstance(event, CallTimedOut):
                self._call_line((sender.peer, event.call.unique_id))
                self._problem(
                    line,
                    CheckRule.TIMEOUT,
                    f"no answer within {self._timeout:g} s",
                    message_id=event.call.unique_id,
                    action=event.call.action,
                    kind="request",
                )
            elif isinstance(event, CallResultErrorReceived):
                pass
            else:
                delivered = True
                request = getattr(event, "request", None)
        if (
            isinstance(frame, CallError | CallResultError)
            and not code_checked
            and frame.error_code not in self._codes
        ):
            # The session checks the code of an answer it takes; a stray one's here.
            read = respell_error_code(frame.error_code, self.version)
            self._problem(
                line,
                Violation.UNKNOWN_ERROR_CODE if read is None else Violation.ERROR_CODE_SPELLING,
                f"error code {clip(frame.error_code)!r} is not defined in OCPP "
                f"{self.version.value}"
                + ("" if read is None else f"; read as {read.value}, its spelling there"),
                message_id=frame.unique_id,
                kind="error",
            )
        if frame is None:
            if auto and json.loads(auto[0])[0] == MessageType.CALL_ERROR:
                # A frame too broken to parse that the receiver answers itself
                # (with id "-1" when it has none): its answer is owed, not unknown.
                self._owe(sender.peer, json.loads(auto[0])[1], auto[0])
            return
        if isinstance(frame, Call):
            if not delivered and auto:
                # The receiver answers this CALL itself: remember what it owes.
                self._owe(sender.peer, frame.unique_id, auto[0], telling=not extra_property)
            self._record_call(sender, frame, request)
            self._remember_call(sender, frame.unique_id, line)
        elif isinstance(frame, CallResult | CallError) and owed is not None:
            self._call_line((sender.peer, frame.unique_id))
            self._compare_answer(line, sender, frame, owed, answered_action)
        else:
            with contextlib.suppress(LocalProtocolError):  # an answer that is not owed
                self._sessions[sender].record_sent(frame, self._clock)

    def _owe(self, role: Role, unique_id: str, reply: str, *, telling: bool = True) -> None:
        """Remember the CALLERROR ``role`` owes for the frame with ``unique_id``."""
        self._refused[role, unique_id] = (reply, telling)
        if len(self._refused) > self._max_pending:
            del self._refused[next(iter(self._refused))]

    def _record_call(self, sender: Role, call: Call, request: Any) -> None:
        """Tell a session of ``sender`` that ``call`` left: the main one, or one that is free."""
        sessions = [self._sessions[sender], *self._extra[sender]]
        session = next((s for s in sessions if s.in_flight is None), None)
        if session is None:
            extra = self._extra[sender]
            if len(extra) >= self._max_pending:
                extra.pop(0)  # bounded state: forget the oldest concurrent CALL
            session = self._new_session(sender)
            extra.append(session)
        session.record_sent(call, self._clock, request=request)
        self._holder[sender, call.unique_id] = session
        if len(self._holder) > 2 * self._max_pending:
            del self._holder[next(iter(self._holder))]

    def _count(self, frame: Frame | None) -> None:
        if isinstance(frame, Call):
            self.calls += 1
        elif isinstance(frame, CallResult):
            self.results += 1
        elif isinstance(frame, CallError):
            self.errors += 1
        elif isinstance(frame, CallResultError):
            self.result_errors += 1
        elif isinstance(frame, Send):
            self.sends += 1

    def _infer_sender(self, frame: Frame | None, broken: FrameError | None) -> Role:
        """Who sent a frame the log does not attribute; the charging station by default."""
        if isinstance(frame, Call | Send):
            info = self._actions.get(frame.action)
            if info is not None and len(info.senders) == 1:
                return next(iter(info.senders))
            return Role.CHARGING_STATION
        uid = _unique_id(frame, broken)
        if uid is None or (frame is None and broken is not None and broken.message_type == 2):
            return Role.CHARGING_STATION
        # An answer comes from the side that owes it, or the peer of the side that waits.
        for role, session in self._sessions.items():
            if any(c.unique_id == uid for c in session.owed):
                return role
            holder = self._holder.get((role, uid))
            in_flight = None if holder is None else holder.in_flight
            if in_flight is not None and in_flight.unique_id == uid:
                return role.peer
        if (Role.CSMS, uid) in self._call_lines:
            return Role.CHARGING_STATION
        return Role.CSMS

    def _call_line(self, key: tuple[Role, str]) -> int | None:
        """Take the line of the oldest waiting CALL of ``key`` (role, id), if known."""
        lines = self._call_lines.get(key)
        if not lines:
            return None
        number = lines.pop(0)
        if not lines:
            del self._call_lines[key]
        return number

    def _remember_call(self, sender: Role, unique_id: str, line: int) -> None:
        self._call_lines.setdefault((sender, unique_id), []).append(line)
        self._call_times[sender, unique_id] = self._clock
        for table in (self._call_lines, self._call_times, self._gave_up):
            if len(table) > 2 * self._max_pending:
                del table[next(iter(table))]
        # Bounded state: a side that keeps calling without answers would make its
        # peer owe answers without end; the peer gives up on the oldest.
        receiver = self._sessions[sender.peer]
        owed = receiver.owed
        for call in owed[: max(len(owed) - self._max_pending, 0)]:
            receiver.send_error(call, ErrorCode.GENERIC_ERROR)

    def _side(self, role: Role) -> str:
        """The name of ``role`` in this version's words (1.6: Charge Point, Central System)."""
        if self.version is OcppVersion.V16:
            return "Central System" if role is Role.CSMS else "Charge Point"
        return role.value

    def _earlier_call(self, sender: Role, call: Call) -> Call | None:
        """The latest CALL of ``sender`` before ``call`` that its peer has not answered."""
        owed = [c for c in self._sessions[sender.peer].owed if c.unique_id != call.unique_id]
        return owed[-1] if owed else None

    def _after_timeout(self, line: int, sender: Role, call: Call) -> bool:
        """Whether ``call`` follows an unanswered CALL of its side that had timed out.

        OCPP-J section 4.1.1 lets a side send its next CALL once the previous one
        timed out, so with a timeout given that is no concurrent CALL: the earlier
        CALL is listed as unanswered at the end, naming the line that went on.
        """
        earlier = self._earlier_call(sender, call)
        if earlier is None or self._timeout is None:
            return False
        sent = self._call_times.get((sender, earlier.unique_id))
        if sent is None or self._clock - sent < self._timeout:
            return False
        self._gave_up[sender, earlier.unique_id] = line
        return True

    def _concurrent_message(self, sender: Role, call: Call) -> str:
        """The warning for a CALL sent while another CALL of its side is unanswered."""
        message = "a CALL while a CALL of the same side is unanswered (OCPP-J section 4.1.1)"
        earlier = self._earlier_call(sender, call)
        if earlier is None or (earlier.action, earlier.payload) != (call.action, call.payload):
            return message
        lines = self._call_lines.get((sender, earlier.unique_id))
        where = f" of line {lines[0]}" if lines else ""
        message = (
            f"a CALL while the CALL{where} is unanswered (OCPP-J section 4.1.1); it repeats "
            "that CALL's action and payload with a new id, as a retry after a timeout does"
        )
        if self._timeout is None:
            return message + ": give --timeout to check the timing"
        sent = self._call_times.get((sender, earlier.unique_id), self._clock)
        return message + f", but {self._clock - sent:g} s after it, within the timeout"

    def _violation(
        self, line: int, event: ProtocolViolation, answered: str | None, sender: Role
    ) -> None:
        frame = event.frame
        action: str | None = answered
        message_type: int | None = None
        if isinstance(frame, Call | Send):
            action = frame.action
        if frame is not None:
            message_type = frame.message_type
        elif isinstance(event.error, FrameError):
            message_type = event.error.message_type
        rule, message = _rule_and_message(event.error, event.kind.value, event.description)
        if event.kind is Violation.INVALID_SEND and not isinstance(event.error, PayloadError):
            rule = event.kind.value
        if event.kind is Violation.CONCURRENT_CALL and isinstance(frame, Call):
            message = self._concurrent_message(sender, frame)
        self._problem(
            line,
            rule,
            message,
            code=_reply_code(event.reply),
            message_id=event.unique_id,
            action=action,
            kind=None if message_type is None else _KINDS.get(message_type),
            severity=Severity.WARNING if event.kind.value in _WARNINGS else Severity.ERROR,
        )

    def _invalid_response(self, line: int, event: InvalidResponseReceived) -> None:
        error = event.error
        rule, message = _rule_and_message(error, "invalid-response", str(error))
        code = error.code if isinstance(error, PayloadError) else _reply_code(event.reply)
        self._problem(
            line,
            rule,
            message,
            code=code,
            message_id=event.call.unique_id,
            action=event.call.action,
            kind="response",
        )

    def _compare_answer(
        self,
        line: int,
        sender: Role,
        frame: CallResult | CallError,
        owed: tuple[str, bool],
        action: str | None,
    ) -> None:
        """Compare the log's answer to a CALL the answering side must refuse."""
        expected, telling = owed
        code = _reply_code(expected)
        if isinstance(frame, CallResult):
            self._problem(
                line,
                CheckRule.WRONG_ANSWER,
                f"the {self._side(sender)} answered with a CALLRESULT, not the CALLERROR it owes",
                code=code,
                message_id=frame.unique_id,
                action=action,
                kind="response",
                telling=telling,
            )
        elif respell_error_code(frame.error_code, self.version) != code:
            self._problem(
                line,
                CheckRule.WRONG_ANSWER,
                f"the {self._side(sender)} answered with CALLERROR {clip(frame.error_code)}, "
                "not the one it owes",
                code=code,
                message_id=frame.unique_id,
                action=action,
                kind="error",
                severity=Severity.WARNING,
            )

    def finish(self) -> None:
        """End the log: list the CALLs still unanswered and sort the problems by line."""
        for role in Role:
            for session in (self._sessions[role], *self._extra[role]):
                call = session.in_flight
                if call is None:
                    continue
                self.unanswered += 1
                message = f"no answer from the {self._side(role.peer)} in the log"
                went_on = self._gave_up.get((role, call.unique_id))
                if went_on is not None:
                    message = (
                        f"no answer from the {self._side(role.peer)} within {self._timeout:g} s; "
                        f"the {self._side(role)} went on with its next CALL at line {went_on}, "
                        "as OCPP-J section 4.1.1 allows after a timeout"
                    )
                self._problem(
                    self._call_line((role, call.unique_id)) or self._last_line,
                    CheckRule.UNANSWERED,
                    message,
                    message_id=call.unique_id,
                    action=call.action,
                    kind="request",
                )
        self.problems.sort(key=lambda p: p.line)


@functools.cache
def _only_in(version: OcppVersion) -> frozenset[str]:
    """The actions of ``version`` that no other version has."""
    others = {name for other in OcppVersion if other is not version for name in actions(other)}
    return frozenset(set(actions(version)) - others)


def _is_answer(frame: Frame | None, broken: FrameError | None) -> bool:
    if frame is not None:
        return isinstance(frame, CallResult | CallError)
    return broken is not None and broken.message_type in _ANSWER_TYPES


_ANSWER_TYPES: Final = frozenset({MessageType.CALL_RESULT, MessageType.CALL_ERROR})


def _unique_id(frame: Frame | None, broken: FrameError | None) -> str | None:
    if frame is not None:
        return frame.unique_id
    return None if broken is None else broken.unique_id
