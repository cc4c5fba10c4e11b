"""``ocpp-core check LOG``: replay a captured conversation through two sessions.

Theory of operation
-------------------
A log is a sequence of frames, each sent by the charging station or by the
CSMS. The checker keeps one :class:`~ocpp_core.rpc.Session` per role and
feeds every frame to the *receiving* side's session, exactly as a live host
would: everything the session reports (a malformed frame, an unknown or
wrong-direction action, an invalid payload, an answer to an unknown id, an
answer to an answer, a CALL that overtakes an unanswered one) becomes a
finding on that line. The sending side's session is told that the frame left
(so that it can correlate the answer later). Where the receiving session
would have answered a CALL itself, the log's actual answer is compared with
the one owed.

Log format (one frame per line; blank lines and ``#`` comments skipped)::

    # ocpp2.0.1                      <- optional: the version (or "# version: 2.0.1")
    [TIME] SENDER[->RECEIVER][:] FRAME
    {"time": ..., "from": "CSMS", "frame": [2, "1", "Reset", {...}]}

``TIME`` is optional: seconds, or an ISO 8601 timestamp. ``SENDER`` is
``ChargingStation``, ``ChargePoint``, ``CP``, ``Station`` (the charging
station) or ``CSMS``, ``CentralSystem``, ``Central``, ``Server`` (the CSMS),
in any case. ``CS`` is refused as ambiguous (OCPP 1.6 uses it for the Central
System). A bare frame has its sender inferred: a CALL from the action's
direction, an answer from the CALL it answers.

Without a version, the version whose schemas accept the most CALLs of the
log is used.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final

import attrs

from ocpp_core._api import actions, decode_payload
from ocpp_core.errors import FrameError, OcppError
from ocpp_core.rpc._events import (
    CallErrorReceived,
    CallReceived,
    CallResultReceived,
    CallTimedOut,
    InvalidResponseReceived,
    ProtocolViolation,
    Violation,
)
from ocpp_core.rpc._frames import (
    Call,
    CallError,
    CallResult,
    Frame,
    clip,
    parse_frame,
)
from ocpp_core.rpc._session import Session
from ocpp_core.versions import OcppVersion, Role

__all__ = ["LogFinding", "LogReport", "Severity", "check_log", "format_report"]


class Severity(enum.StrEnum):
    """How bad a finding is."""

    ERROR = "error"
    """The protocol is broken."""
    WARNING = "warning"
    """Allowed but suspicious, or a difference from the answer this library owes."""
    INFO = "info"
    """A note about the log itself (a skipped line, the version chosen)."""


@attrs.frozen(kw_only=True)
class LogFinding:
    """One problem found on one line of the log.

    Attributes:
        line: the 1-based line number.
        severity: how bad it is.
        kind: a short machine-readable name (a session ``Violation`` value,
            or one of the checker's own: ``wrong-answer``, ``unanswered``,
            ``bad-line``, ``unknown-sender``).
        message: a bounded human-readable description.
        unique_id: the message id concerned, if any.
    """

    line: int
    severity: Severity
    kind: str
    message: str
    unique_id: str | None = None


@attrs.frozen(kw_only=True)
class LogReport:
    """The result of checking one log.

    Attributes:
        version: the OCPP version the log was checked against.
        version_detected: whether the version was detected (not given).
        frames: how many frames were checked.
        calls: how many CALLs (both directions) the log holds.
        answered: how many of those CALLs got a well-formed answer.
        findings: the findings in line order.
    """

    version: OcppVersion
    version_detected: bool
    frames: int
    calls: int
    answered: int
    findings: tuple[LogFinding, ...]

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity is Severity.ERROR for f in self.findings)


_STATION_NAMES: Final = frozenset({"cp", "chargepoint", "chargingstation", "station"})
_CSMS_NAMES: Final = frozenset({"csms", "centralsystem", "central", "server"})
_SENT_MARKS: Final = frozenset({">", "->", ">>", "send", "sent", "tx", "out"})
_TIME = (
    r"\[?\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)?"
    r"(?:Z|[+-]\d\d(?::?\d\d)?)?\]?"
    r"|\d\d:\d\d:\d\d(?:\.\d+)?|\d{1,11}(?:\.\d+)?"
)
_PREFIX: Final = re.compile(
    rf"""\s*
    (?:(?P<time>{_TIME})\s+)?
    (?:
        (?P<mark>->|<-|>>|<<|>|<|(?i:send|sent|recv|received|tx|rx|out|in)\b):?\s*(?=\[)
      | (?P<src>[A-Za-z_]{{2,20}})\s*(?:->\s*(?P<dst>[A-Za-z_]{{2,20}}))?\s*:?\s*(?=\[)
    )?
    """,
    re.VERBOSE | re.ASCII,
)
_VERSION_HEADER = re.compile(
    r"^#\s*(?:version\s*:?\s*)?(?:ocpp)?(1\.6|2\.0\.1|2\.0|2\.1)\s*$", re.I
)
_SEVERITY: Final = {
    Violation.CONCURRENT_CALL: Severity.WARNING,
    Violation.UNKNOWN_ERROR_CODE: Severity.WARNING,
}


@attrs.define
class _Line:
    number: int
    time: float | None
    sender: Role | None
    lane: str | None  # "sent"/"received" relative to the logger, when only that is known
    text: str


def _role(name: str, other: str | None) -> Role | None:
    low = name.lower().replace("_", "")
    if low in _STATION_NAMES:
        return Role.CHARGING_STATION
    if low in _CSMS_NAMES:
        return Role.CSMS
    if low == "cs" and other is not None:
        # 2.x: CS is the charging station (opposite CSMS); 1.6: the central
        # system (opposite CP). Alone it is ambiguous.
        other_low = other.lower().replace("_", "")
        if other_low in _CSMS_NAMES:
            return Role.CHARGING_STATION
        if other_low in _STATION_NAMES:
            return Role.CSMS
    return None


def _parse_time(text: str | None) -> float | None:
    if text is None:
        return None
    text = text.strip("[]")
    try:
        return float(text)
    except ValueError:
        pass
    if len(text) <= 15 and text[2:3] == ":":
        hours, minutes, seconds = text.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def _read_lines(
    lines: Iterable[object], findings: list[LogFinding]
) -> tuple[list[_Line], OcppVersion | None]:
    out: list[_Line] = []
    header: OcppVersion | None = None
    for number, raw in enumerate(lines, 1):
        if not isinstance(raw, str):
            # The CLI hands over a line above its bound as a placeholder
            # (``ocpp_core._check.LongLine``) that only knows its length.
            length = getattr(raw, "length", "?")
            findings.append(_bad_line(number, f"line of {length} bytes is too long to check"))
            continue
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            match = _VERSION_HEADER.match(line)
            if match and header is None:
                header = OcppVersion(match.group(1))
            continue
        sender: Role | None = None
        lane: str | None = None
        if line.startswith("{"):
            try:
                obj = json.loads(line)
                frame_value = obj.get("frame", obj.get("message"))
                text = frame_value if isinstance(frame_value, str) else json.dumps(frame_value)
                name = str(obj.get("from", obj.get("sender", "")))
                time = _parse_time(None if obj.get("time") is None else str(obj["time"]))
            except (ValueError, AttributeError, TypeError):
                findings.append(_bad_line(number, "not a JSON object with a frame"))
                continue
            sender = _role(name, None) if name else None
        else:
            match = _PREFIX.match(line)
            assert match is not None  # every part is optional
            text = line[match.end() :]
            if not text.startswith("["):
                findings.append(_bad_line(number, "no frame found on the line"))
                continue
            time = _parse_time(match.group("time"))
            if match.group("src") is not None:
                src, dst = match.group("src"), match.group("dst")
                sender = _role(src, dst)
                if sender is None:
                    findings.append(
                        LogFinding(
                            line=number,
                            severity=Severity.INFO,
                            kind="unknown-sender",
                            message=f"sender {clip(src)!r} not recognised; inferring it",
                        )
                    )
            elif match.group("mark") is not None:
                lane = "sent" if match.group("mark").lower() in _SENT_MARKS else "received"
        out.append(_Line(number=number, time=time, sender=sender, lane=lane, text=text))
    return out, header


def _bad_line(number: int, what: str) -> LogFinding:
    return LogFinding(line=number, severity=Severity.INFO, kind="bad-line", message=what)


def _lane_roles(lines: list[_Line], version: OcppVersion) -> dict[str, Role]:
    """Decide which role the logger's "sent" lane is, from the actions sent in it."""
    votes = 0
    table = actions(version)
    for line in lines:
        if line.lane is None:
            continue
        try:
            value = json.loads(line.text)
        except ValueError:
            continue
        if isinstance(value, list) and len(value) > 2 and value[0] == 2:
            info = table.get(value[2]) if isinstance(value[2], str) else None
            if info is not None and len(info.senders) == 1:
                station = Role.CHARGING_STATION in info.senders
                votes += 1 if station == (line.lane == "sent") else -1
    sent = Role.CSMS if votes < 0 else Role.CHARGING_STATION
    return {"sent": sent, "received": sent.peer}


def _detect_version(lines: list[_Line]) -> OcppVersion:
    """Pick the version whose schemas accept the most of the first CALLs."""
    calls: list[tuple[str, Any]] = []
    for line in lines:
        try:
            value = json.loads(line.text)
        except ValueError:
            continue
        if (
            isinstance(value, list)
            and len(value) == 4
            and value[0] == 2
            and isinstance(value[2], str)
        ):
            calls.append((value[2], value[3]))
        if len(calls) >= 20:
            break
    best, best_score = OcppVersion.V201, -1
    for version in (OcppVersion.V201, OcppVersion.V16, OcppVersion.V21, OcppVersion.V20):
        table = actions(version)
        score = 0
        for action, payload in calls:
            if action in table and table[action].response is not None:
                try:
                    decode_payload(version, action, "request", payload)
                except OcppError:
                    continue
                score += 1
        if score > best_score:
            best, best_score = version, score
    return best


def _infer_sender(frame: Frame, version: OcppVersion, sessions: dict[Role, Session]) -> Role | None:
    if isinstance(frame, Call):
        info = actions(version).get(frame.action)
        if info is not None and len(info.senders) == 1:
            return next(iter(info.senders))
        return None
    # An answer comes from the side that owes it.
    for role, session in sessions.items():
        if any(c.unique_id == frame.unique_id for c in session.owed):
            return role
        if any(c.unique_id == frame.unique_id for c in (session.in_flight, *session.queued) if c):
            return role.peer
    return None


def check_log(
    lines: Iterable[str] | Iterable[object],
    version: OcppVersion | None,
    *,
    timeout: float | None = None,
) -> LogReport:
    """Check a captured OCPP-J conversation (see the module docs for the format).

    Args:
        lines: the log's lines; an item that is not a ``str`` (the CLI's
            placeholder for a line above its length bound) is reported as a
            ``bad-line`` and skipped.
        version: the OCPP version, or ``None`` to read it from a ``# ocpp2.0.1``
            header or detect it from the CALLs.
        timeout: report answers that come later than this many seconds after
            their CALL (needs timestamps); default: no timeout.

    Returns:
        The report. Nothing is raised for any content of the log.
    """
    findings: list[LogFinding] = []
    parsed, header = _read_lines(lines, findings)
    detected = version is None and header is None
    ver = version or header or _detect_version(parsed)
    lanes = _lane_roles(parsed, ver)
    sessions = {
        role: Session(ver, role, call_timeout=timeout if timeout else 1e15, remember=1 << 16)
        for role in Role
    }
    refused: dict[tuple[Role, str], str] = {}
    calls = answered = frames = 0
    clock = 0.0
    for line in parsed:
        clock = line.time if line.time is not None else clock + 1e-3
        try:
            frame: Frame | None = parse_frame(line.text, ver)
        except FrameError:
            frame = None
        sender = line.sender
        if sender is None and line.lane is not None:
            sender = lanes[line.lane]
        if sender is None and frame is not None:
            sender = _infer_sender(frame, ver, sessions)
        if sender is None:
            findings.append(
                LogFinding(
                    line=line.number,
                    severity=Severity.INFO,
                    kind="unknown-sender",
                    message="cannot tell who sent this frame; line skipped",
                )
            )
            continue
        frames += 1
        receiver = sessions[sender.peer]
        owed_reply = None  # the CALLERROR owed, when this answers a CALL the receiver refused
        if frame is not None and isinstance(frame, CallResult | CallError):
            owed_reply = refused.pop((sender, frame.unique_id), None)
        events = receiver.receive(line.text, clock)
        auto = receiver.data_to_send()
        request = None
        for event in events:
            if isinstance(event, CallReceived):
                request = event.request
            elif isinstance(event, CallResultReceived | CallErrorReceived):
                answered += 1
            elif isinstance(event, InvalidResponseReceived):
                answered += 1
                if owed_reply is not None:
                    continue  # compared with the owed answer below
                findings.append(
                    LogFinding(
                        line=line.number,
                        severity=Severity.ERROR,
                        kind="invalid-response",
                        message=f"{sender.value} answered {event.call.action} "
                        f"{event.call.unique_id!r} badly: {clip(str(event.error), 200)}",
                        unique_id=event.call.unique_id,
                    )
                )
            elif isinstance(event, ProtocolViolation):
                if owed_reply is not None and event.kind is Violation.UNKNOWN_RESPONSE:
                    continue  # the answer to a CALL too broken to be tracked
                findings.append(
                    LogFinding(
                        line=line.number,
                        severity=_SEVERITY.get(event.kind, Severity.ERROR),
                        kind=event.kind.value,
                        message=_describe(sender, event),
                        unique_id=event.unique_id,
                    )
                )
            elif isinstance(event, CallTimedOut):
                findings.append(
                    LogFinding(
                        line=line.number,
                        severity=Severity.ERROR,
                        kind="timeout",
                        message=f"no answer to {event.call.action} {event.call.unique_id!r} "
                        f"within {timeout} s",
                        unique_id=event.call.unique_id,
                    )
                )
        if frame is None:
            if auto:
                # A CALL too broken to parse that the receiver answers itself.
                uid = json.loads(auto[0])[1]
                refused[sender.peer, uid] = auto[0]
            continue
        if isinstance(frame, Call):
            calls += 1
            if request is None and auto:
                # The receiver answers this CALL itself: remember what it owes.
                refused[sender.peer, frame.unique_id] = auto[0]
            sessions[sender]._observe_sent(frame, request, clock)
        elif isinstance(frame, CallResult | CallError) and owed_reply is not None:
            _compare_answer(line.number, sender, frame, owed_reply, findings)
        else:
            sessions[sender]._observe_sent(frame, None, clock)
    end = parsed[-1].number if parsed else 0
    for role, session in sessions.items():
        for call in (*(c for c in [session.in_flight] if c), *session.queued):
            findings.append(
                LogFinding(
                    line=end,
                    severity=Severity.WARNING,
                    kind="unanswered",
                    message=f"{call.action} {call.unique_id!r} from the {role.value} "
                    "got no answer in the log",
                    unique_id=call.unique_id,
                )
            )
    findings.sort(key=lambda f: f.line)
    return LogReport(
        version=ver,
        version_detected=detected,
        frames=frames,
        calls=calls,
        answered=answered,
        findings=tuple(findings),
    )


def _describe(sender: Role, event: ProtocolViolation) -> str:
    if event.kind is Violation.CONCURRENT_CALL:
        return (
            f"the {sender.value} sent a CALL while one of its CALLs was unanswered "
            "(OCPP-J section 4.1.1)"
        )
    return f"from the {sender.value}: {event.description}"


def _compare_answer(
    number: int,
    sender: Role,
    frame: CallResult | CallError,
    expected: str,
    findings: list[LogFinding],
) -> None:
    """Compare the log's answer to a CALL the session would have refused."""
    owed = json.loads(expected)
    if isinstance(frame, CallResult):
        findings.append(
            LogFinding(
                line=number,
                severity=Severity.ERROR,
                kind="wrong-answer",
                message=f"{sender.value} answered with a CALLRESULT where a CALLERROR "
                f"{owed[2]} is owed",
                unique_id=frame.unique_id,
            )
        )
    elif frame.error_code != owed[2]:
        findings.append(
            LogFinding(
                line=number,
                severity=Severity.WARNING,
                kind="wrong-answer",
                message=f"{sender.value} answered with CALLERROR {clip(frame.error_code)} "
                f"where {owed[2]} is owed",
                unique_id=frame.unique_id,
            )
        )


def format_report(report: LogReport) -> str:
    """Render a report as text, one finding per line, with a summary line last."""
    out = [f"line {f.line}: {f.severity.value}: {f.kind}: {f.message}" for f in report.findings]
    how = "detected" if report.version_detected else "given"
    errors = sum(f.severity is Severity.ERROR for f in report.findings)
    out.append(
        f"OCPP {report.version.value} ({how}): {report.frames} frames, {report.calls} calls, "
        f"{report.answered} answered, {errors} errors, "
        f"{len(report.findings) - errors} other findings"
    )
    return "\n".join(out) + "\n"
