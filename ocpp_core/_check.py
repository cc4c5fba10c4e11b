"""Check a log of OCPP-J frames: the logic behind ``ocpp-core check``.

Theory of operation
-------------------
A log is a sequence of lines; each line that is not blank and not a ``#``
comment carries one OCPP-J frame, optionally preceded by a timestamp and a
direction marker (the grammar is in :data:`LINE_GRAMMAR` and ``docs/cli.md``).
:func:`check_lines` reads the lines once, in order, and keeps only bounded
state: the CALLs still waiting for their answer (at most
:data:`MAX_PENDING`, oldest dropped first) and at most ``max_problems``
problems per version (the rest are counted).

Each line is split into its prefix and its frame, and the frame text is read
as JSON once (duplicate keys and ``NaN``/``Infinity`` are refused, as an
OCPP-J peer must). Then one checker per candidate version looks at the frame:
the envelope (message type, id, element count), the action, and the payload,
which is decoded with :func:`ocpp_core.decode_payload` (a CALLRESULT is
decoded as the response of the CALL with the same message id). When no
version is given, every version is tried on the same pass and the one under
which the fewest frames are invalid wins; ties go to the preferred version
in :data:`DETECTION_ORDER`.

This module does no I/O: the caller reads the file and hands over its lines;
a line longer than the caller's bound is handed over as a :class:`LongLine`
(its length only), so that a huge line is a reported problem, never a crash
or a memory spike.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

import attrs

from ocpp_core._api import actions, decode_payload
from ocpp_core._runtime import DecodeOptions
from ocpp_core.errors import (
    ErrorCode,
    FrameRule,
    PayloadError,
    error_codes_for,
    frame_error_code,
)
from ocpp_core.versions import OcppVersion, Role, VersionLike

__all__ = [
    "DETECTION_ORDER",
    "LINE_GRAMMAR",
    "MAX_LINE_BYTES",
    "MAX_PENDING",
    "CheckRule",
    "LongLine",
    "Problem",
    "Report",
    "Severity",
    "check_lines",
    "format_text",
    "report_to_json",
]

MAX_LINE_BYTES: Final = 1 << 20
"""The default bound on one line (1 MiB of UTF-8); longer lines are a problem."""

MAX_PENDING: Final = 100_000
"""At most this many unanswered CALLs are remembered; the oldest are dropped first."""

MAX_ID_LENGTH: Final = 36
"""The longest message id OCPP-J allows (1.6 and 2.x section 4.1.4)."""

DETECTION_ORDER: Final = (
    OcppVersion.V201,
    OcppVersion.V21,
    OcppVersion.V20,
    OcppVersion.V16,
)
"""Which version wins when several versions find the same number of invalid frames.

Newest first, except that 2.0.1 goes before 2.1: most 2.0.1 traffic is also
valid 2.1, and a log that gives no evidence for 2.1 is far more likely to be
2.0.1, the version in the field. 2.0 (2018, superseded) comes after both.
"""

LINE_GRAMMAR: Final = r"""
line       = blank | comment | [timestamp WS] [direction [":"] WS*] frame
comment    = *WS "#" *any
timestamp  = date-time | "[" date-time "]" | time | epoch
date-time  = YYYY-MM-DD [("T" | " ") hh:mm[:ss[.fraction]]] ["Z" | ("+" | "-") hh[[":"]mm]]
time       = hh:mm:ss[.fraction]
epoch      = 9 to 11 digits [. fraction]            (Unix seconds)
direction  = ">" | "->" | ">>" | "send" | "sent" | "tx" | "out"     (sent by the logger)
           | "<" | "<-" | "<<" | "recv" | "received" | "rx" | "in"  (received by it)
           | role "->" role                           (sender -> receiver)
role       = "CP" | "ChargePoint" | "ChargingStation" | "Station"     (charging station)
           | "CSMS" | "CentralSystem" | "Central"                     (management system)
           | "CS"    (the station opposite CSMS; the central system opposite CP)
frame      = an OCPP-J JSON array, to the end of the line
"""
"""The accepted line grammar (words are case-insensitive)."""

_ECHO: Final = 40


def _clip(text: str, limit: int = _ECHO) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(_clip(value), ensure_ascii=False)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _clip(repr(value))
    if isinstance(value, list):
        return "an array"
    return "an object"


class Severity(enum.StrEnum):
    """How bad a problem is."""

    ERROR = "error"
    """The frame is invalid for the version: the check fails."""
    WARNING = "warning"
    """Worth a look, but not invalid (e.g. a response whose CALL is not in the log)."""


class CheckRule(enum.StrEnum):
    """The checker's own rules, beside ``PayloadRule`` and ``FrameRule``."""

    BAD_LINE = "bad-line"
    """The line is not ``[timestamp] [direction] frame`` (see :data:`LINE_GRAMMAR`)."""
    UNKNOWN_ACTION = "unknown-action"
    """The version has no such action."""
    WRONG_DIRECTION = "wrong-direction"
    """A role marker (``CS->CSMS``) names a sender the action does not allow."""
    NOT_A_SEND = "not-a-send"
    """A SEND (type 6) for an action that has a response, or a CALL for one that has none."""
    UNKNOWN_ERROR_CODE = "unknown-error-code"
    """A CALLERROR or CALLRESULTERROR code the version does not define."""
    UNMATCHED = "unmatched-response"
    """A response whose message id matches no CALL waiting for an answer in the log."""
    REUSED_ID = "reused-id"
    """A CALL reuses the message id of a CALL still waiting for its answer."""


@attrs.frozen(kw_only=True)
class LongLine:
    """A line the reader did not hand over because it is longer than its bound."""

    length: int
    """The line's length in bytes (without the line break)."""


@attrs.frozen(kw_only=True)
class Problem:
    """One thing wrong with one line of the log."""

    line: int
    """The line number, counting from 1."""
    severity: Severity
    """Whether the problem makes the frame invalid."""
    rule: str
    """The rule broken: a :class:`~ocpp_core.PayloadRule`, a
    :class:`~ocpp_core.errors.FrameRule` or a :class:`CheckRule` value."""
    message: str
    """What is wrong; for a payload, the :class:`~ocpp_core.PayloadError` text
    (JSON path, detail, rule). Bounded in length: input is never echoed in full."""
    code: ErrorCode | None = None
    """The CallError code the failure calls for in the version, or ``None`` where
    the version defines none (e.g. a broken 1.6 frame whose id cannot be read)."""
    message_id: str | None = None
    """The frame's message id, when it could be read (clipped to 40 characters)."""
    action: str | None = None
    """The action: the CALL's own, or for a response that of its CALL."""
    kind: str | None = None
    """``request``, ``response``, ``error`` (CALLERROR/CALLRESULTERROR) or ``send``."""


@attrs.frozen(kw_only=True)
class Report:
    """The outcome of checking a log under one version."""

    version: OcppVersion
    """The version the log was checked against."""
    detected: bool
    """Whether the version was detected (``True``) or given by the caller."""
    frames: int = 0
    """Lines that carry a frame (lines that are not blank and not comments)."""
    calls: int = 0
    """CALL frames (type 2)."""
    results: int = 0
    """CALLRESULT frames (type 3)."""
    errors: int = 0
    """CALLERROR frames (type 4)."""
    result_errors: int = 0
    """CALLRESULTERROR frames (type 5, OCPP 2.1)."""
    sends: int = 0
    """SEND frames (type 6, OCPP 2.1)."""
    invalid: int = 0
    """Lines with an error-severity problem (each counts once)."""
    unmatched: int = 0
    """Responses whose CALL is not waiting in the log (not decoded; a warning)."""
    unanswered: int = 0
    """CALLs still waiting for an answer at the end of the log."""
    problems: tuple[Problem, ...] = ()
    """The problems in line order, at most ``max_problems`` of them."""
    omitted: int = 0
    """Problems found beyond ``max_problems`` and not listed."""
    scores: Mapping[str, int] = attrs.field(factory=dict)
    """Invalid lines per version tried (only the given version when not detected)."""

    @property
    def ok(self) -> bool:
        """Whether every frame is valid (warnings do not count)."""
        return self.invalid == 0


# --- the line prefix --------------------------------------------------------------

_DATE_TIME = (
    r"\d{4}-\d\d-\d\d(?:[Tt ]\d\d:\d\d(?::\d\d(?:[.,]\d{1,9})?)?)?(?:[Zz]|[+-]\d\d(?::?\d\d)?)?"
)
_TIME = r"\d\d:\d\d:\d\d(?:[.,]\d{1,9})?"
_EPOCH = r"\d{9,11}(?:\.\d{1,9})?"
_TIMESTAMP = rf"(?:{_DATE_TIME}|\[{_DATE_TIME}\]|{_TIME}|{_EPOCH})"
_PREFIX: Final = re.compile(
    # Possessive quantifiers (*+ ++): no backtracking over long runs of blanks.
    rf"""\s*+
    (?:(?P<ts>{_TIMESTAMP})\s++)?
    (?:
        (?P<src>[A-Za-z]{{2,16}})\s*+->\s*+(?P<dst>[A-Za-z]{{2,16}}):?\s*+
      | (?P<dir>->|<-|>>|<<|>|<|(?i:send|sent|recv|received|tx|rx|out|in)\b):?\s*+
    )?
    """,
    re.VERBOSE | re.ASCII,
)
_SENT: Final = frozenset({">", "->", ">>", "send", "sent", "tx", "out"})
_STATION_NAMES: Final = frozenset({"cp", "chargepoint", "chargingstation", "station"})
_CSMS_NAMES: Final = frozenset({"csms", "centralsystem", "central"})

# A lane names who sent a frame: "sent"/"received" relative to the logger, or
# the sending role. A response travels in the lane opposite to its CALL's.
_OPPOSITE: Final = {
    "sent": "received",
    "received": "sent",
    Role.CHARGING_STATION.value: Role.CSMS.value,
    Role.CSMS.value: Role.CHARGING_STATION.value,
}


def _role(name: str, other: str) -> Role | None:
    low, other_low = name.lower(), other.lower()
    if low in _STATION_NAMES:
        return Role.CHARGING_STATION
    if low in _CSMS_NAMES:
        return Role.CSMS
    if low == "cs":
        # 2.x: CS is the Charging Station (opposite CSMS); 1.6: the Central System
        # (opposite CP, the Charge Point).
        if other_low in _CSMS_NAMES:
            return Role.CHARGING_STATION
        if other_low in _STATION_NAMES:
            return Role.CSMS
    return None


@attrs.frozen(kw_only=True)
class _Line:
    """One frame line, read once and shared by the checkers of every version."""

    number: int
    lane: str | None = None
    sender: Role | None = None
    value: Any = None
    failure: tuple[str, str] | None = None  # (rule, message) when the text is not a frame


class _DuplicateKey(Exception):  # noqa: N818 - internal signal
    pass


class _Constant(Exception):  # noqa: N818 - internal signal
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _reject_constant(name: str) -> Any:
    raise _Constant(name)


def _finite(literal: str) -> float:
    value = float(literal)
    if value - value != 0:  # 1e999 overflows to inf
        raise _Constant(_clip(literal))
    return value


_JSON: Final = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_reject_constant, parse_float=_finite
)


def _read_line(number: int, text: str) -> _Line | None:
    """Split a line into prefix and frame; ``None`` for a blank or comment line."""
    stripped = text.strip()
    if not stripped or stripped.startswith("#"):
        return None
    match = _PREFIX.match(stripped)
    lane: str | None = None
    sender: Role | None = None
    rest = stripped
    if match is not None:
        rest = stripped[match.end() :]
        if match["src"] is not None:
            src, dst = match["src"], match["dst"]
            sender = _role(src, dst)
            receiver = _role(dst, src)
            if sender is None or receiver is None or sender is receiver:
                return _Line(
                    number=number,
                    failure=(
                        CheckRule.BAD_LINE,
                        f"direction marker {_show(src + '->' + dst)} does not name "
                        "a charging station and a CSMS",
                    ),
                )
            lane = sender.value
        elif match["dir"] is not None:
            lane = "sent" if match["dir"].lower() in _SENT else "received"
    try:
        value = _JSON.decode(rest)
    except _DuplicateKey as exc:
        # Read again, keeping the last of each key, to learn the type and id.
        try:
            envelope = json.loads(rest)
        except (ValueError, RecursionError):  # broken after the repeated key
            envelope = None
        return _Line(
            number=number,
            lane=lane,
            sender=sender,
            value=envelope,
            failure=(FrameRule.DUPLICATE_KEY, f"property {_show(exc.args[0])} appears twice"),
        )
    except _Constant as exc:
        return _Line(
            number=number,
            lane=lane,
            sender=sender,
            failure=(FrameRule.NOT_JSON, f"{_clip(str(exc.args[0]))} is not a JSON number"),
        )
    except RecursionError:
        return _Line(
            number=number,
            lane=lane,
            sender=sender,
            failure=(FrameRule.TOO_DEEP, "the frame is nested too deeply"),
        )
    except ValueError as exc:  # JSONDecodeError, or an integer of too many digits
        if not rest.startswith("["):
            return _Line(
                number=number,
                failure=(
                    CheckRule.BAD_LINE,
                    f"expected [timestamp] [direction] and a JSON array, got {_show(rest)}",
                ),
            )
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "unreadable number"
        return _Line(
            number=number,
            lane=lane,
            sender=sender,
            failure=(FrameRule.NOT_JSON, f"the frame is not valid JSON: {_clip(detail, 80)}"),
        )
    return _Line(number=number, lane=lane, sender=sender, value=value)


# --- the per-version checker ------------------------------------------------------

_LENGTHS: Final = {2: 4, 3: 3, 4: 5, 5: 5, 6: 4}
_KINDS: Final = {2: "request", 3: "response", 4: "error", 5: "error", 6: "send"}


@attrs.define
class _Pending:
    lane: str | None
    action: str
    line: int


class _Checker:
    """The state of checking one log under one version."""

    def __init__(self, version: OcppVersion, options: DecodeOptions, max_problems: int) -> None:
        self.version = version
        self.options = options
        self.max_problems = max_problems
        self.actions = actions(version)
        self.codes = {code.value for code in error_codes_for(version)}
        self.types = {2, 3, 4, 5, 6} if version is OcppVersion.V21 else {2, 3, 4}
        self.counts = dict.fromkeys(
            ("frames", "calls", "results", "errors", "result_errors", "sends", "invalid"), 0
        )
        self.unmatched = 0
        self.problems: list[Problem] = []
        self.omitted = 0
        # message id -> CALLs waiting for an answer with that id (usually one).
        self.pending: dict[str, list[_Pending]] = {}
        self.pending_count = 0

    # -- recording ----------------------------------------------------------------

    def _add(self, problem: Problem) -> None:
        if problem.severity is Severity.ERROR:
            self.counts["invalid"] += 1
        if len(self.problems) < self.max_problems:
            self.problems.append(problem)
        else:
            self.omitted += 1

    def _error(
        self,
        line: int,
        rule: str,
        message: str,
        *,
        code: ErrorCode | None = None,
        message_id: str | None = None,
        action: str | None = None,
        kind: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        self._add(
            Problem(
                line=line,
                severity=severity,
                rule=str(rule),
                message=message,
                code=code,
                message_id=None if message_id is None else _clip(message_id),
                action=None if action is None else _clip(action),
                kind=kind,
            )
        )

    def _frame_error(
        self,
        line: int,
        rule: FrameRule,
        message: str,
        *,
        message_type: int | None = None,
        message_id: str | None = None,
    ) -> None:
        code = frame_error_code(
            self.version, rule, message_type=message_type, id_known=message_id is not None
        )
        kind = None if message_type is None else _KINDS.get(message_type)
        self._error(line, rule, message, code=code, message_id=message_id, kind=kind)

    # -- feeding ----------------------------------------------------------------------

    def long_line(self, number: int, length: int) -> None:
        self.counts["frames"] += 1
        self._frame_error(
            number, FrameRule.TOO_LARGE, f"the line is {length} bytes long, over the bound"
        )

    def feed(self, line: _Line) -> None:
        self.counts["frames"] += 1
        number = line.number
        if line.failure is not None:
            rule, message = line.failure
            if rule == CheckRule.BAD_LINE:
                self._error(number, rule, message)
                return
            message_type: int | None = None
            message_id: str | None = None
            envelope = line.value
            if isinstance(envelope, list) and len(envelope) > 1 and type(envelope[0]) is int:
                message_type = envelope[0]
                if type(envelope[1]) is str and 0 < len(envelope[1]) <= MAX_ID_LENGTH:
                    message_id = envelope[1]
            self._frame_error(
                number,
                FrameRule(rule),
                message,
                message_type=message_type,
                message_id=message_id,
            )
            return
        frame = line.value
        if not isinstance(frame, list):
            self._frame_error(number, FrameRule.NOT_AN_ARRAY, f"the frame is {_show(frame)}")
            return
        if not frame:
            self._frame_error(number, FrameRule.BAD_MESSAGE_TYPE, "the array is empty")
            return
        message_type = frame[0]
        if type(message_type) is not int:
            self._frame_error(
                number,
                FrameRule.BAD_MESSAGE_TYPE,
                f"message type {_show(message_type)} is not an integer",
            )
            return
        if message_type not in self.types:
            self._frame_error(
                number,
                FrameRule.UNSUPPORTED_MESSAGE_TYPE,
                f"OCPP {self.version} has no message type {_show(message_type)}",
                message_type=message_type,
            )
            return
        unique_id = frame[1] if len(frame) > 1 else None
        if type(unique_id) is not str or not 0 < len(unique_id) <= MAX_ID_LENGTH:
            self._frame_error(
                number,
                FrameRule.BAD_MESSAGE_ID,
                f"message id {_show(unique_id)} is not a string of 1 to 36 characters",
                message_type=message_type,
            )
            return
        expected = _LENGTHS[message_type]
        if len(frame) != expected:
            self._frame_error(
                number,
                FrameRule.BAD_LENGTH,
                f"a message of type {message_type} has {expected} elements, not {len(frame)}",
                message_type=message_type,
                message_id=unique_id,
            )
            return
        if message_type in (2, 6):
            self._call(line, frame, unique_id, message_type)
        elif message_type == 3:
            self.counts["results"] += 1
            self._result(line, frame[2], unique_id)
        else:
            self.counts["errors" if message_type == 4 else "result_errors"] += 1
            self._call_error(line, frame, unique_id, message_type)

    def _call(self, line: _Line, frame: list[Any], unique_id: str, message_type: int) -> None:
        number = line.number
        kind = _KINDS[message_type]
        self.counts["calls" if message_type == 2 else "sends"] += 1
        action = frame[2]
        if type(action) is not str or not action:
            self._frame_error(
                number,
                FrameRule.BAD_ACTION,
                f"action {_show(action)} is not a non-empty string",
                message_type=message_type,
                message_id=unique_id,
            )
            return
        if message_type == 2:
            # Remembered even when invalid, so that its answer is matched, not "unmatched".
            self._remember(line, unique_id, action)
        info = self.actions.get(action)
        if info is None:
            self._error(
                number,
                CheckRule.UNKNOWN_ACTION,
                f"OCPP {self.version} has no action {_show(action)}",
                code=ErrorCode.NOT_IMPLEMENTED if message_type == 2 else None,
                message_id=unique_id,
                action=action,
                kind=kind,
            )
            return
        if (info.response is None) != (message_type == 6):
            what = "a SEND (type 6)" if message_type == 6 else "a CALL (type 2)"
            self._error(
                number,
                CheckRule.NOT_A_SEND,
                f"{action} is not sent as {what} in OCPP {self.version}",
                code=ErrorCode.NOT_SUPPORTED if message_type == 2 else None,
                message_id=unique_id,
                action=action,
                kind=kind,
            )
            return
        if line.sender is not None and line.sender not in info.senders:
            self._error(
                number,
                CheckRule.WRONG_DIRECTION,
                f"{action} is not sent by the {line.sender.value} in OCPP {self.version}",
                code=ErrorCode.NOT_SUPPORTED if message_type == 2 else None,
                message_id=unique_id,
                action=action,
                kind=kind,
            )
            return
        payload = frame[3]
        if not isinstance(payload, dict):
            self._frame_error(
                number,
                FrameRule.PAYLOAD_NOT_AN_OBJECT,
                f"the payload is {_show(payload)}, not an object",
                message_type=message_type,
                message_id=unique_id,
            )
            return
        try:
            decode_payload(self.version, action, "request", payload, options=self.options)
        except PayloadError as exc:
            code = exc.code if message_type == 2 else None
            self._error(
                number,
                exc.rule,
                str(exc),
                code=code,
                message_id=unique_id,
                action=action,
                kind=kind,
            )

    def _remember(self, line: _Line, unique_id: str, action: str) -> None:
        waiting = self.pending.setdefault(unique_id, [])
        if any(_opposite_ok(p.lane, line.lane, same=True) for p in waiting):
            first = next(p for p in waiting if _opposite_ok(p.lane, line.lane, same=True))
            self._error(
                line.number,
                CheckRule.REUSED_ID,
                f"message id reused while the CALL of line {first.line} waits for its answer",
                message_id=unique_id,
                action=action,
                kind="request",
                severity=Severity.WARNING,
            )
        waiting.append(_Pending(lane=line.lane, action=action, line=line.number))
        self.pending_count += 1
        if self.pending_count > MAX_PENDING:
            oldest = next(iter(self.pending))
            entries = self.pending[oldest]
            entries.pop(0)
            if not entries:
                del self.pending[oldest]
            self.pending_count -= 1

    def _match(self, line: _Line, unique_id: str) -> _Pending | None:
        waiting = self.pending.get(unique_id)
        if not waiting:
            return None
        for index, entry in enumerate(waiting):
            if _opposite_ok(entry.lane, line.lane, same=False):
                del waiting[index]
                if not waiting:
                    del self.pending[unique_id]
                self.pending_count -= 1
                return entry
        return None

    def _unmatched(self, line: _Line, unique_id: str, kind: str) -> None:
        self.unmatched += 1
        self._error(
            line.number,
            CheckRule.UNMATCHED,
            "no CALL with this message id waits for an answer in the log; not decoded",
            message_id=unique_id,
            kind=kind,
            severity=Severity.WARNING,
        )

    def _result(self, line: _Line, payload: object, unique_id: str) -> None:
        if not isinstance(payload, dict):
            self._frame_error(
                line.number,
                FrameRule.PAYLOAD_NOT_AN_OBJECT,
                f"the payload is {_show(payload)}, not an object",
                message_type=3,
                message_id=unique_id,
            )
            self._match(line, unique_id)
            return
        call = self._match(line, unique_id)
        if call is None:
            self._unmatched(line, unique_id, "response")
            return
        info = self.actions.get(call.action)
        if info is None or info.response is None:
            return  # the CALL is already reported (unknown action, or not a CALL)
        try:
            decode_payload(self.version, call.action, "response", payload, options=self.options)
        except PayloadError as exc:
            self._error(
                line.number,
                exc.rule,
                str(exc),
                code=exc.code,
                message_id=unique_id,
                action=call.action,
                kind="response",
            )

    def _call_error(self, line: _Line, frame: list[Any], unique_id: str, message_type: int) -> None:
        number = line.number
        _, _, code, description, details = frame
        call = self._match(line, unique_id)
        action = None if call is None else call.action
        rule: FrameRule | None = None
        if type(code) is not str or not code:
            rule, message = FrameRule.BAD_ERROR_CODE, f"error code {_show(code)} is not a string"
        elif type(description) is not str:
            rule = FrameRule.BAD_ERROR_DESCRIPTION
            message = f"error description {_show(description)} is not a string"
        elif not isinstance(details, dict):
            rule = FrameRule.BAD_ERROR_DETAILS
            message = f"error details {_show(details)} are not an object"
        if rule is not None:
            self._frame_error(
                number, rule, message, message_type=message_type, message_id=unique_id
            )
        elif code not in self.codes:
            self._error(
                number,
                CheckRule.UNKNOWN_ERROR_CODE,
                f"OCPP {self.version} defines no error code {_show(code)}",
                message_id=unique_id,
                action=action,
                kind="error",
            )
        if call is None:
            self._unmatched(line, unique_id, "error")

    def report(self, detected: bool, scores: Mapping[str, int]) -> Report:
        return Report(
            version=self.version,
            detected=detected,
            unmatched=self.unmatched,
            unanswered=self.pending_count,
            problems=tuple(self.problems),
            omitted=self.omitted,
            scores=dict(scores),
            **self.counts,
        )


def _opposite_ok(call_lane: str | None, lane: str | None, *, same: bool) -> bool:
    """Whether a frame in ``lane`` relates to a CALL in ``call_lane``.

    With ``same`` false: can the frame answer the CALL (opposite lanes, or a
    lane unknown on either side). With ``same`` true: does it travel the same
    way as the CALL (used to spot a reused id).
    """
    if call_lane is None or lane is None:
        return True
    return call_lane == lane if same else _OPPOSITE.get(call_lane) == lane


# --- the entry point ----------------------------------------------------------------


def check_lines(
    lines: Iterable[str | LongLine],
    *,
    version: VersionLike | None = None,
    options: DecodeOptions | None = None,
    max_problems: int = 10_000,
) -> Report:
    """Check a log, one OCPP-J frame per line, and return the report.

    Args:
        lines: the log's lines in order (line breaks may be kept), or
            :class:`LongLine` for a line the reader refused as too long.
            Consumed once; nothing but bounded state is kept.
        version: the OCPP version to check against; ``None`` tries every
            version in the same pass and reports the one with the fewest
            invalid frames (ties: :data:`DETECTION_ORDER`).
        options: decoding options (:class:`~ocpp_core.DecodeOptions`); strict
            by default.
        max_problems: at most this many problems are listed per version; the
            rest are counted in :attr:`Report.omitted`.

    Returns:
        The :class:`Report` for the version given or detected.

    Raises:
        ValueError: ``version`` names no known version.

    >>> report = check_lines([
    ...     '2026-01-05T08:00:00Z CS->CSMS [2,"1","Heartbeat",{}]',
    ...     '2026-01-05T08:00:00Z CSMS->CS [3,"1",{"currentTime":"2026-01-05T08:00:00Z"}]',
    ... ], version="2.0.1")
    >>> report.ok, report.calls, report.results
    (True, 1, 1)
    """
    opts = options or DecodeOptions()
    candidates = list(DETECTION_ORDER) if version is None else [OcppVersion.parse(version)]
    checkers = [_Checker(v, opts, max_problems) for v in candidates]
    number = 0
    for item in lines:
        number += 1
        if isinstance(item, LongLine):
            for checker in checkers:
                checker.long_line(number, item.length)
            continue
        text = item[1:] if number == 1 and item.startswith("\ufeff") else item
        parsed = _read_line(number, text)
        if parsed is None:
            continue
        for checker in checkers:
            checker.feed(parsed)
    scores = {c.version.value: c.counts["invalid"] for c in checkers}
    # min() keeps the first of equals, so DETECTION_ORDER breaks ties.
    best = min(checkers, key=lambda c: c.counts["invalid"])
    return best.report(detected=version is None, scores=scores)


# --- rendering (pure: the CLI prints) -------------------------------------------------


def _describe(problem: Problem) -> str:
    parts = []
    if problem.message_id is not None:
        parts.append(f"id {json.dumps(problem.message_id, ensure_ascii=False)}")
    if problem.action is not None:
        parts.append(problem.action if problem.kind is None else f"{problem.action} {problem.kind}")
    elif problem.kind is not None:
        parts.append(problem.kind)
    head = " ".join(parts)
    code = "" if problem.code is None else f"{problem.code.value}: "
    label = "" if problem.severity is Severity.ERROR else "warning: "
    return f"{label}{head + ': ' if head else ''}{code}{problem.message}"


def format_text(report: Report, name: str = "<log>") -> Iterator[str]:
    """Yield the human-readable report, one line at a time.

    One line per problem (``name:line: id "..." Action kind: Code: message``;
    warnings start with ``warning:``, and the code is left out where none
    applies), then two summary lines.
    """
    for problem in report.problems:
        yield f"{name}:{problem.line}: {_describe(problem)}"
    if report.omitted:
        yield f"... {report.omitted} more problems not listed"
    how = "detected" if report.detected else "given"
    counts = f"frames {report.frames}, calls {report.calls}, results {report.results}, "
    counts += f"errors {report.errors}"
    if report.version is OcppVersion.V21:
        counts += f", result errors {report.result_errors}, sends {report.sends}"
    yield f"{name}: OCPP {report.version} ({how}): {counts}"
    status = "OK" if report.ok else "FAILED"
    yield (
        f"{status}: invalid {report.invalid}, unmatched responses {report.unmatched}, "
        f"unanswered calls {report.unanswered}"
    )


def report_to_json(report: Report) -> dict[str, Any]:
    """Return the report as a JSON-ready dict (the ``--format json`` output)."""
    return {
        "ok": report.ok,
        "version": report.version.value,
        "detected": report.detected,
        "scores": dict(report.scores),
        "frames": report.frames,
        "calls": report.calls,
        "results": report.results,
        "errors": report.errors,
        "result_errors": report.result_errors,
        "sends": report.sends,
        "invalid": report.invalid,
        "unmatched": report.unmatched,
        "unanswered": report.unanswered,
        "omitted": report.omitted,
        "problems": [
            {
                "line": p.line,
                "severity": p.severity.value,
                "message_id": p.message_id,
                "action": p.action,
                "kind": p.kind,
                "code": None if p.code is None else p.code.value,
                "rule": p.rule,
                "message": p.message,
            }
            for p in report.problems
        ],
    }
