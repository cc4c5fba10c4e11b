"""The ``ocpp-core check`` command: check a log of OCPP-J frames.

:func:`register` adds the subcommand; :func:`check_lines` is the logic, with
no I/O, and the command's ``func`` reads the file line by line, with a bound on
each line, and prints. See ``docs/cli.md``.

Exit status: 0 when no line is invalid, 1 when any is (warnings do not count),
2 on a usage or file error (missing or unreadable file, not UTF-8), reported in
one line on standard error, never as a traceback.

Theory of operation
-------------------
A log is a sequence of lines; each line that is not blank and not a ``#``
comment carries one OCPP-J frame, optionally preceded by a timestamp and a
direction marker (the grammar is in :data:`LINE_GRAMMAR` and ``docs/cli.md``).
:func:`check_lines` reads the lines once, in order, splits each into its
prefix and its frame, and hands the frame to the session-based replay engine,
:class:`ocpp_core._cli._replay.Replay`: one :class:`~ocpp_core.rpc.Session`
per role, each frame received by the side it was sent to, as in a live
connection. So every problem a session would see is reported: the envelope,
the action and its direction, the payload (a CALLRESULT decoded as the
response of its CALL), answers to unknown ids, duplicate and late answers,
answers to answers, CALLs overtaking unanswered ones, answers that differ from
the CALLERROR a conforming peer owes, and CALLs left unanswered.

The sender of a frame comes from its role marker (``CS->CSMS``); for the
logger's markers (``>``, ``send``, ...) which role the logger is, is decided
from the first CALL in those lanes whose action only one role sends (lines
are held back, at most :data:`LANE_WINDOW` of them, until it is known); a
frame without a marker has its sender inferred by the engine.

When no version is given, every version is replayed on the same pass. An
action that exists in one version only decides: when the log's CALLs and
SENDs use such actions, only the versions they belong to are candidates.
Among the candidates, the one under which the fewest lines are invalid wins,
not counting lines invalid only for an unknown property (OCPP 2.0's schemas
allow unknown properties almost everywhere, so such a line does not tell 2.0
from 2.0.1); ties go to the preferred version in :data:`DETECTION_ORDER`.

This module does no I/O: the caller reads the file and hands over its lines;
a line longer than the caller's bound is handed over as a :class:`LongLine`
(its length only), so that a huge line is a reported problem, never a crash
or a memory spike. State is bounded: the engine keeps at most ``max_problems``
problems and :data:`MAX_PENDING` unanswered CALLs per side and version.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any, BinaryIO, Final

import attrs

from ocpp_core._api import actions
from ocpp_core._cli._replay import MAX_PENDING, CheckRule, Problem, Replay, Severity
from ocpp_core._runtime import DecodeOptions
from ocpp_core._text import clip
from ocpp_core.errors import FrameRule, LogFileError, frame_error_code
from ocpp_core.versions import OcppVersion, Role, VersionLike

__all__ = [
    "DETECTION_ORDER",
    "LANE_WINDOW",
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
    "register",
    "report_to_json",
]

MAX_LINE_BYTES: Final = 1 << 20
"""The default bound on one line (1 MiB of UTF-8); longer lines are a problem."""

LANE_WINDOW: Final = 100
"""At most this many frame lines are held back while the logger's role is unknown."""

DETECTION_ORDER: Final = (
    OcppVersion.V201,
    OcppVersion.V21,
    OcppVersion.V20,
    OcppVersion.V16,
)
"""Which version wins when several versions find the same number of invalid lines.

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


@attrs.frozen(kw_only=True)
class LongLine:
    """A line the reader did not hand over because it is longer than its bound."""

    length: int
    """The line's length in bytes (without the line break)."""


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
    answered: int = 0
    """CALLs that got a well-formed answer in the log."""
    invalid: int = 0
    """Lines with an error-severity problem (each counts once)."""
    unmatched: int = 0
    """Answers whose CALL is not waiting in the log (``unknown-response``, a warning)."""
    unanswered: int = 0
    """CALLs still waiting for an answer at the end of the log (``unanswered``, a warning)."""
    problems: tuple[Problem, ...] = ()
    """The problems in line order, at most ``max_problems`` of them."""
    omitted: int = 0
    """Problems found beyond ``max_problems`` and not listed."""
    scores: Mapping[str, int] = attrs.field(factory=dict)
    """Invalid lines per version tried (only the given version when not detected)."""

    @property
    def ok(self) -> bool:
        """Whether no line is invalid (warnings do not count)."""
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


def _stamp_seconds(stamp: str | None) -> float | None:
    """The timestamp as seconds (any origin: only differences matter), or ``None``."""
    if stamp is None:
        return None
    text = stamp.strip("[]").replace(",", ".")
    if ":" not in text:
        return float(text)  # epoch
    if "-" not in text[:5]:
        hours, minutes, seconds = text.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    try:
        when = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:  # a shape the grammar accepts but the calendar does not
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


@attrs.frozen(kw_only=True)
class _Line:
    """One frame line, split once and shared by the replays of every version."""

    number: int
    text: str = ""
    lane: str | None = None  # "sent"/"received" relative to the logger
    sender: Role | None = None
    time: float | None = None
    failure: str | None = None  # the bad-line message when the line is no frame line


def _read_line(number: int, text: str) -> _Line | None:
    """Split a line into prefix and frame; ``None`` for a blank or comment line."""
    stripped = text.strip()
    if not stripped or stripped.startswith("#"):
        return None
    match = _PREFIX.match(stripped)
    assert match is not None  # every part is optional
    rest = stripped[match.end() :]
    lane: str | None = None
    sender: Role | None = None
    if match["src"] is not None:
        src, dst = match["src"], match["dst"]
        sender = _role(src, dst)
        receiver = _role(dst, src)
        if sender is None or receiver is None or sender is receiver:
            marker = json.dumps(clip(src + "->" + dst))
            return _Line(
                number=number,
                failure=f"direction marker {marker} does not name a charging station and a CSMS",
            )
    elif match["dir"] is not None:
        lane = "sent" if match["dir"].lower() in _SENT else "received"
    if not rest.startswith("["):
        try:  # any JSON value is a frame (a wrong one); anything else is no frame line
            json.loads(rest)
        except (ValueError, RecursionError):
            shown = json.dumps(clip(rest), ensure_ascii=False)
            return _Line(
                number=number,
                failure=f"expected [timestamp] [direction] and a JSON array, got {shown}",
            )
    return _Line(
        number=number, text=rest, lane=lane, sender=sender, time=_stamp_seconds(match["ts"])
    )


# --- which role the logger is ---------------------------------------------------------


@cache
def _single_sender(action: str) -> Role | None:
    """The one role that sends ``action`` in every version that has it, if any."""
    senders: set[Role] = set()
    for version in OcppVersion:
        info = actions(version).get(action)
        if info is not None:
            senders |= info.senders
    return next(iter(senders)) if len(senders) == 1 else None


def _lane_vote(line: _Line) -> Role | None:
    """The role of the logger when ``line`` is a CALL it shows, in a lane, of a one-way action."""
    if line.lane is None or not line.text.startswith("[2,"):
        return None
    try:
        value = json.loads(line.text)
    except (ValueError, RecursionError):
        return None
    if not (isinstance(value, list) and len(value) > 2 and isinstance(value[2], str)):
        return None
    sender = _single_sender(value[2])
    if sender is None:
        return None
    return sender if line.lane == "sent" else sender.peer


# --- the entry point ----------------------------------------------------------------


def check_lines(
    lines: Iterable[str | LongLine],
    *,
    version: VersionLike | None = None,
    options: DecodeOptions | None = None,
    max_problems: int = 10_000,
    timeout: float | None = None,
) -> Report:
    """Check a log, one OCPP-J frame per line, and return the report.

    Args:
        lines: the log's lines in order (line breaks may be kept), or
            :class:`LongLine` for a line the reader refused as too long.
            Consumed once; nothing but bounded state is kept.
        version: the OCPP version to check against; ``None`` tries every
            version in the same pass and reports the detected one (see the
            module's theory of operation).
        options: decoding options (:class:`~ocpp_core.DecodeOptions`); strict
            by default.
        max_problems: at most this many problems are listed per version; the
            rest are counted in :attr:`Report.omitted`.
        timeout: report answers that come more than this many seconds after
            their CALL, by the lines' timestamps; ``None`` (the default): no
            timeout.

    Returns:
        The :class:`Report` for the version given or detected.

    Raises:
        ValueError: ``version`` names no known version, or ``timeout`` is not positive.

    >>> report = check_lines([
    ...     '2026-01-05T08:00:00Z CS->CSMS [2,"1","Heartbeat",{}]',
    ...     '2026-01-05T08:00:00Z CSMS->CS [3,"1",{"currentTime":"2026-01-05T08:00:00Z"}]',
    ... ], version="2.0.1")
    >>> report.ok, report.calls, report.results
    (True, 1, 1)
    """
    candidates = list(DETECTION_ORDER) if version is None else [OcppVersion.parse(version)]
    replays = [
        Replay(v, options=options, timeout=timeout, max_problems=max_problems) for v in candidates
    ]
    logger: Role | None = None  # the role of the sent lane, once known
    held: list[tuple[int, _Line | LongLine]] = []  # lines held back until it is known

    def replay(number: int, item: _Line | LongLine) -> None:
        for engine in replays:
            if isinstance(item, LongLine):
                code = frame_error_code(engine.version, FrameRule.TOO_LARGE, id_known=False)
                engine.line_problem(
                    number,
                    FrameRule.TOO_LARGE,
                    f"the line is {item.length} bytes long, over the bound",
                    code=code,
                )
            elif item.failure is not None:
                engine.line_problem(number, CheckRule.BAD_LINE, item.failure)
            else:
                sender = item.sender
                if sender is None and item.lane is not None:
                    sent = logger or Role.CHARGING_STATION
                    sender = sent if item.lane == "sent" else sent.peer
                engine.feed(number, item.text, sender, item.time)

    def release() -> None:
        for number, item in held:
            replay(number, item)
        held.clear()

    number = 0
    for raw in lines:
        number += 1
        item: _Line | LongLine
        if isinstance(raw, LongLine):
            item = raw
        else:
            text = raw[1:] if number == 1 and raw.startswith("\ufeff") else raw
            parsed = _read_line(number, text)
            if parsed is None:
                continue
            item = parsed
            if logger is None:
                logger = _lane_vote(parsed)
        if logger is None and (held or (isinstance(item, _Line) and item.lane is not None)):
            held.append((number, item))
            if len(held) >= LANE_WINDOW:
                release()
            continue
        release()
        replay(number, item)
    release()
    for engine in replays:
        engine.finish()
    scores = {engine.version.value: engine.invalid for engine in replays}
    # An action of one version only decides; then the fewest invalid lines that
    # tell versions apart. min() keeps the first of equals: DETECTION_ORDER.
    deciding = [engine for engine in replays if engine.own_actions] or replays
    best = min(deciding, key=lambda engine: engine.telling)
    return Report(
        version=best.version,
        detected=version is None,
        frames=best.frames,
        calls=best.calls,
        results=best.results,
        errors=best.errors,
        result_errors=best.result_errors,
        sends=best.sends,
        answered=best.answered,
        invalid=best.invalid,
        unmatched=best.unmatched,
        unanswered=best.unanswered,
        problems=tuple(best.problems),
        omitted=best.omitted,
        scores=scores,
    )


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
        "answered": report.answered,
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


# ---- the command ----------------------------------------------------------------

_PROG: Final = "ocpp-core check"


def _version(text: str) -> OcppVersion:
    try:
        return OcppVersion.parse(text)
    except ValueError:
        known = ", ".join(v.value for v in OcppVersion)
        raise argparse.ArgumentTypeError(
            f"unknown OCPP version {text[:20]!r} (known: {known})"
        ) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text[:20]!r}")
    return value


def _read_lines(stream: BinaryIO, limit: int) -> Iterator[str | LongLine]:
    """Yield the decoded lines of ``stream``; a line over ``limit`` bytes as :class:`LongLine`.

    Never holds more than ``limit + 1`` bytes of one line.

    Raises:
        LogFileError: a line is not valid UTF-8.
    """
    number = 0
    while True:
        chunk = stream.readline(limit + 1)
        if not chunk:
            return
        number += 1
        if len(chunk) > limit and not chunk.endswith(b"\n"):
            length = len(chunk)
            while chunk and not chunk.endswith(b"\n"):
                chunk = stream.readline(1 << 16)
                length += len(chunk)
            yield LongLine(length=length - (1 if chunk.endswith(b"\n") else 0))
            continue
        try:
            yield chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LogFileError(
                f"line {number} is not valid UTF-8 (byte {exc.start + 1} of the line)"
            ) from None


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(
            f"expected a positive number of seconds, got {text[:20]!r}"
        )
    return value


def _run(args: argparse.Namespace) -> int:
    options = DecodeOptions.lenient() if args.lenient else None
    name: str = args.log

    from ocpp_core._cli import transactions  # noqa: PLC0415 - it imports this module

    collector = transactions.Collector()

    def check(stream: BinaryIO) -> Report:
        return check_lines(
            collector.tap(_read_lines(stream, args.max_line_bytes)),
            version=args.ocpp_version,
            options=options,
            max_problems=args.max_problems,
            timeout=args.timeout,
        )

    try:
        if name == "-":
            report = check(sys.stdin.buffer)
            name = "<stdin>"
        else:
            with open(name, "rb") as stream:
                report = check(stream)
    except LogFileError as exc:
        print(f"{_PROG}: {name}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        print(f"{_PROG}: cannot read {name}: {reason}", file=sys.stderr)
        return 2
    if args.format == "json":
        doc = report_to_json(report)
        doc["transactions"] = transactions.check_findings_json(collector, report.version)
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        texts = list(format_text(report, name))
        texts[-2:-2] = transactions.check_findings(collector, report.version, name)
        for text in texts:
            print(text)
    return 0 if report.ok else 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``check`` subcommand to ``subparsers`` (its ``func`` runs it)."""
    check = subparsers.add_parser(
        "check",
        help="check a log of OCPP-J frames against the OCPP schemas",
        description=(
            "Check a log with one OCPP-J frame per line, each optionally preceded by a "
            "timestamp and a direction marker (> < -> <- send recv CS->CSMS ...), by "
            "replaying it through a session per role. Blank lines and # comments are "
            "ignored. Exit status: 0 nothing invalid, 1 anything invalid, 2 usage or "
            "file error."
        ),
    )
    check.add_argument("log", metavar="LOG", help="the log file ('-' for standard input)")
    check.add_argument(
        "--version",
        dest="ocpp_version",
        type=_version,
        default=None,
        metavar="VERSION",
        help="OCPP version: 1.6, 2.0, 2.0.1 or 2.1 (default: detect from the log)",
    )
    check.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    check.add_argument(
        "--lenient",
        action="store_true",
        help=(
            "accept the departures from the schemas that DecodeOptions.lenient() accepts "
            "(null for absent, unknown enum values, numbers as strings, ...) and report each "
            "as a warning naming its option"
        ),
    )
    check.add_argument(
        "--max-line-bytes",
        type=_positive,
        default=MAX_LINE_BYTES,
        metavar="N",
        help=f"longer lines are reported as too large (default: {MAX_LINE_BYTES})",
    )
    check.add_argument(
        "--max-problems",
        type=_positive,
        default=10_000,
        metavar="N",
        help="list at most N problems; the rest are counted (default: 10000)",
    )
    check.add_argument(
        "--timeout",
        type=_timeout,
        default=None,
        metavar="SECONDS",
        help="report answers that come later than this after their CALL, by the "
        "lines' timestamps (default: no timeout)",
    )
    check.set_defaults(func=_run)
