"""The ``ocpp-core transactions`` command: rebuild every transaction of a captured log.

The log grammar is that of ``ocpp-core check`` (``docs/cli.md``). Every
transaction-related CALL of the station (2.x TransactionEvent; 1.6
StartTransaction, StopTransaction, MeterValues) is fed to a
:class:`~ocpp_core.delivery.Ledger`, in log order, with its message id and the
line's timestamp as its arrival time; a 1.6 StartTransaction is fed when its
CALLRESULT (which carries the ``transactionId`` the CSMS issued) is seen. A
CALL answered with a CALLERROR is not fed: the CSMS failed to process it, and
the station's retry is what counts. A CALL without an answer is fed (the CSMS
may have taken it; a retry is then a recognised duplicate). The command
prints one row per transaction with its energy and anomalies, as a CSMS
operator reconciling a disputed bill would read it.

:class:`Collector` is the part ``ocpp-core check`` shares: it watches the
lines go by and, given the version, returns the ledger's findings.

Exit status: 0 when no transaction has an error-severity anomaly, 1 when any
has, 2 on a usage or file error.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import attrs

from ocpp_core._cli import check
from ocpp_core.delivery import Anomaly, AnomalyKind, Ledger, Severity
from ocpp_core.errors import LogFileError
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = ["Collector", "LogLedger", "ledger_from_lines", "register"]

_PROG: Final = "ocpp-core transactions"
_ACTIONS: Final = frozenset(
    {"TransactionEvent", "StartTransaction", "StopTransaction", "MeterValues"}
)
_EPOCH_MIN: Final = 946_684_800.0  # 2000-01-01: below it a line's time is a time of day


@attrs.frozen(kw_only=True)
class _Frame:
    line: int
    kind: int
    unique_id: str
    action: str | None
    payload: Any
    time: float | None


@attrs.frozen(kw_only=True)
class LogLedger:
    """A log's ledger and where each message came from.

    Attributes:
        version: the version the payloads were read as.
        ledger: the ledger, fed with every transaction message of the log.
        lines: message id -> the line of its CALL (the last one with that id).
    """

    version: OcppVersion
    ledger: Ledger
    lines: dict[str, int]

    def anomalies(self) -> list[Anomaly]:
        """The ledger's anomalies at the end of the log (open transactions never ended)."""
        return self.ledger.anomalies(final=True)

    def line_of(self, anomaly: Anomaly) -> int | None:
        """The log line of the message that revealed ``anomaly``, if any."""
        return None if anomaly.message_id is None else self.lines.get(anomaly.message_id)


class Collector:
    """Keeps the transaction frames of a log as its lines go by (bounded to those frames).

    Wrap the line iterator with :meth:`tap`, then call :meth:`build` with the
    version once it is known.

    Args:
        station: the name the records carry for the log's station.
    """

    def __init__(self, station: str = "station") -> None:
        self.station = station
        self._frames: list[_Frame] = []
        self._calls: set[str] = set()

    def tap(self, lines: Iterable[Any]) -> Iterator[Any]:
        """Yield ``lines`` unchanged, keeping the transaction frames among them."""
        for number, raw in enumerate(lines, 1):
            if isinstance(raw, str):
                self.feed(number, raw)
            yield raw

    def feed(self, number: int, raw: str) -> None:
        """Look at one line (numbered from 1)."""
        text = raw[1:] if number == 1 and raw.startswith("\ufeff") else raw
        line = check._read_line(number, text)
        if line is None or line.failure is not None or not line.text.startswith("["):
            return
        try:
            value = json.loads(line.text)
        except (ValueError, RecursionError):
            return
        if not isinstance(value, list) or len(value) < 3 or not isinstance(value[1], str):
            return
        kind = value[0]
        if kind == 2 and len(value) == 4 and value[2] in _ACTIONS:
            self._calls.add(value[1])
            self._frames.append(
                _Frame(
                    line=number,
                    kind=2,
                    unique_id=value[1],
                    action=value[2],
                    payload=value[3],
                    time=line.time,
                )
            )
        elif kind in (3, 4) and value[1] in self._calls:
            self._frames.append(
                _Frame(
                    line=number,
                    kind=kind,
                    unique_id=value[1],
                    action=None,
                    payload=value[2] if kind == 3 else None,
                    time=line.time,
                )
            )

    def build(self, version: VersionLike) -> LogLedger:
        """Feed the frames kept to a new ledger, reading payloads as ``version``."""
        parsed = OcppVersion.parse(version)
        ledger = Ledger()
        lines: dict[str, int] = {}
        starts: dict[str, _Frame] = {}  # 1.6 StartTransaction CALLs waiting for their answer
        refused: set[int] = set()  # CALL lines answered with a CALLERROR: the CSMS took nothing
        pending: dict[str, int] = {}
        for frame in self._frames:
            if frame.kind == 2:
                pending[frame.unique_id] = frame.line
            elif frame.unique_id in pending:
                line = pending.pop(frame.unique_id)
                if frame.kind == 4:
                    refused.add(line)
        for frame in self._frames:
            when = _arrival(frame.time)
            if frame.kind == 2 and frame.line in refused:
                continue
            if frame.kind == 2 and frame.action is not None:
                lines[frame.unique_id] = frame.line
                if parsed is OcppVersion.V16 and frame.action == "StartTransaction":
                    starts[frame.unique_id] = frame
                    continue
                ledger.ingest_payload(
                    self.station,
                    parsed,
                    frame.action,
                    frame.payload,
                    message_id=frame.unique_id,
                    received_at=when,
                )
                continue
            start = starts.pop(frame.unique_id, None)
            if start is None or frame.kind != 3:
                continue
            issued = frame.payload.get("transactionId") if isinstance(frame.payload, dict) else None
            if isinstance(issued, bool) or not isinstance(issued, int):
                issued = None
            ledger.ingest_payload(
                self.station,
                parsed,
                "StartTransaction",
                start.payload,
                message_id=start.unique_id,
                received_at=_arrival(start.time),
                transaction_id=issued,
            )
        for start in starts.values():  # never answered: no transactionId is known
            ledger.ingest_payload(
                self.station,
                parsed,
                "StartTransaction",
                start.payload,
                message_id=start.unique_id,
                received_at=_arrival(start.time),
            )
        return LogLedger(version=parsed, ledger=ledger, lines=lines)


def _arrival(time: float | None) -> datetime | None:
    if time is None or time < _EPOCH_MIN:
        return None
    return datetime.fromtimestamp(time, UTC)


def ledger_from_lines(
    lines: Iterable[str], *, version: VersionLike | None = None, station: str = "station"
) -> LogLedger:
    """Rebuild the transactions of a log given as lines (pure: no I/O).

    Args:
        lines: the log's lines.
        version: the OCPP version; ``None`` detects it as ``ocpp-core check`` does.
        station: the name the records carry for the log's station.
    """
    kept = list(lines)
    collector = Collector(station)
    for number, raw in enumerate(kept, 1):
        collector.feed(number, raw)
    if version is None:
        version = check.check_lines(kept).version
    return collector.build(version)


# --- output -------------------------------------------------------------------------

_COLUMNS: Final = (
    "transaction_id",
    "complete",
    "started_at",
    "ended_at",
    "id_token",
    "evse_id",
    "energy_wh",
    "energy_source",
    "charging_seconds",
    "idle_seconds",
    "offline",
    "stopped_reason",
    "duplicates",
    "anomalies",
)


def _rows(log: LogLedger) -> list[dict[str, Any]]:
    findings: dict[str | None, list[Anomaly]] = {}
    for anomaly in log.anomalies():
        findings.setdefault(anomaly.transaction_id, []).append(anomaly)
    rows = []
    for record in log.ledger:
        row = record.to_json()
        row["anomalies"] = [
            {**a.to_json(), "line": log.line_of(a)} for a in findings.get(record.transaction_id, [])
        ]
        rows.append(row)
    return rows


def _kinds(row: dict[str, Any]) -> str:
    kinds: dict[str, int] = {}
    for anomaly in row["anomalies"]:
        if anomaly["kind"] != "duplicate":
            kinds[anomaly["kind"]] = kinds.get(anomaly["kind"], 0) + 1
    return " ".join(f"{k}x{n}" if n > 1 else k for k, n in sorted(kinds.items())) or "-"


def _cell(row: dict[str, Any], column: str) -> str:
    if column == "anomalies":
        return _kinds(row)
    value = row[column]
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.0f}" if column != "energy_wh" else f"{value:.1f}"
    return str(value)


def format_table(log: LogLedger, name: str) -> Iterator[str]:
    """Yield the table output: one row per transaction, then the anomalies outside them."""
    rows = _rows(log)
    cells = [[c.replace("_", " ") for c in _COLUMNS]] + [
        [_cell(row, c) for c in _COLUMNS] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(_COLUMNS))]
    for row_cells in cells:
        yield "  ".join(c.ljust(w) for c, w in zip(row_cells, widths, strict=True)).rstrip()
    for row in rows:
        for anomaly in row["anomalies"]:
            if anomaly["kind"] == "duplicate":
                continue
            where = f"{name}:{anomaly['line']}" if anomaly["line"] is not None else name
            yield (
                f"{where}: {anomaly['severity']}: transaction {row['transaction_id']}: "
                f"{anomaly['kind']}: {anomaly['detail']}"
            )
    for anomaly in log.anomalies():
        if (
            anomaly.transaction_id is None
            or log.ledger.record(anomaly.station, anomaly.transaction_id) is None
        ):
            line = log.line_of(anomaly)
            where = f"{name}:{line}" if line is not None else name
            yield f"{where}: {anomaly.severity.value}: {anomaly.kind.value}: {anomaly.detail}"
    summary = log.ledger.station_summary(log.ledger.stations()[0]) if rows else None
    if summary is None:
        yield f"{name}: OCPP {log.version}: no transactions"
    else:
        yield (
            f"{name}: OCPP {log.version}: {summary['transactions']} transactions, "
            f"{summary['complete']} complete, {summary['open']} open, "
            f"{summary['energy_wh']:.1f} Wh"
        )


def to_csv(log: LogLedger) -> str:
    """Return the CSV output: a header and one row per transaction."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_COLUMNS)
    for row in _rows(log):
        writer.writerow(
            [
                _kinds(row) if c == "anomalies" else ("" if row[c] is None else row[c])
                for c in _COLUMNS
            ]
        )
    return out.getvalue()


def to_json(log: LogLedger) -> dict[str, Any]:
    """Return the JSON output: the billing export of every transaction and the summary."""
    stations = log.ledger.stations()
    return {
        "version": log.version.value,
        "transactions": _rows(log),
        "stations": [log.ledger.station_summary(s) for s in stations],
        "other_anomalies": [
            {**a.to_json(), "line": log.line_of(a)}
            for a in log.anomalies()
            if a.transaction_id is None or log.ledger.record(a.station, a.transaction_id) is None
        ],
    }


_CHECKED_ELSEWHERE: Final = frozenset({AnomalyKind.DUPLICATE, AnomalyKind.MALFORMED})
"""Left out of ``check``: retries are not problems, and check reports payloads itself."""


def check_findings(collector: Collector, version: VersionLike, name: str) -> list[str]:
    """The ledger's findings as ``ocpp-core check`` text lines (warnings; duplicates left out)."""
    log = collector.build(version)
    out = []
    for anomaly in log.anomalies():
        if anomaly.kind in _CHECKED_ELSEWHERE:
            continue
        line = log.line_of(anomaly)
        where = f"{name}:{line}" if line is not None else name
        tx = "" if anomaly.transaction_id is None else f"transaction {anomaly.transaction_id}: "
        out.append(f"{where}: warning: {tx}{anomaly.kind.value}: {anomaly.detail}")
    return out


def check_findings_json(collector: Collector, version: VersionLike) -> list[dict[str, Any]]:
    """The ledger's findings as JSON for ``ocpp-core check --format json``."""
    log = collector.build(version)
    return [
        {**a.to_json(), "line": log.line_of(a)}
        for a in log.anomalies()
        if a.kind not in _CHECKED_ELSEWHERE
    ]


# --- the command --------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    name: str = args.log
    station = args.station or (Path(name).stem if name != "-" else "station")
    try:
        if name == "-":
            lines = list(check._read_lines(sys.stdin.buffer, check.MAX_LINE_BYTES))
            name = "<stdin>"
        else:
            with open(name, "rb") as stream:
                lines = list(check._read_lines(stream, check.MAX_LINE_BYTES))
    except LogFileError as exc:
        print(f"{_PROG}: {name}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        print(f"{_PROG}: cannot read {name}: {reason}", file=sys.stderr)
        return 2
    texts = [line for line in lines if isinstance(line, str)]
    log = ledger_from_lines(texts, version=args.ocpp_version, station=station)
    if args.format == "json":
        print(json.dumps(to_json(log), indent=2, ensure_ascii=False))
    elif args.format == "csv":
        sys.stdout.write(to_csv(log))
    else:
        for text in format_table(log, name):
            print(text)
    bad = any(a.severity is Severity.ERROR for a in log.anomalies())
    return 1 if bad else 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``transactions`` subcommand to ``subparsers`` (its ``func`` runs it)."""
    parser = subparsers.add_parser(
        "transactions",
        help="rebuild every transaction of a log with its energy and anomalies",
        description=(
            "Rebuild every transaction in a log of OCPP-J frames (the grammar of "
            "'ocpp-core check') through the delivery ledger: start and end, id token, "
            "energy, charging and idle time, and the anomalies (gaps, duplicates, meter "
            "running backwards, events after the end, clock skew, ...). Exit status: 0 no "
            "error-severity anomaly, 1 any, 2 usage or file error."
        ),
    )
    parser.add_argument("log", metavar="LOG", help="the log file ('-' for standard input)")
    parser.add_argument(
        "--version",
        dest="ocpp_version",
        type=check._version,
        default=None,
        metavar="VERSION",
        help="OCPP version: 1.6, 2.0, 2.0.1 or 2.1 (default: detect from the log)",
    )
    parser.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="output format"
    )
    parser.add_argument(
        "--station",
        default=None,
        metavar="NAME",
        help="the station's name in the records (default: the log file's name)",
    )
    parser.set_defaults(func=_run)
