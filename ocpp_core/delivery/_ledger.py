"""The CSMS side: a transaction ledger that turns received messages into billing records.

Theory of operation
-------------------
The unit is the *fold*: :func:`apply_event` takes a frozen
:class:`TransactionRecord` (or ``None``) and one normalised
:class:`TxEvent`, and returns the new record with the anomalies the event
revealed. It is pure and touches one record only, so a hostile message can
never corrupt another transaction's record. :class:`Ledger` is the container
a CSMS (or the ``ocpp-core transactions`` command) feeds: it normalises each
received message (every version's typed request), recognises re-deliveries,
keeps one record per ``(station, transaction)`` and the station-level facts
(1.6 ids issued, 1.6 StartTransaction fingerprints). The container is a plain
object with dict lookups, not a frozen value, so that ingesting stays O(1) per
message at CSMS scale; everything it holds and returns is frozen.

Idempotency. A message is a *duplicate* when its content (ignoring the 2.x
``offline`` flag, which E11.FR.07 lets a station set on a resend) was already
applied: same message id and content, or, whatever its id, the same 2.x
``(transactionId, seqNo)`` with the same content, or an identical 1.6
message of the same transaction. A duplicate changes nothing and is reported
as :attr:`AnomalyKind.DUPLICATE` (information, not an error): retries are the
protocol working.

Persistence. :meth:`Ledger.to_json` / :meth:`Ledger.from_json` save and
reload everything the ledger knows, duplicate detection included. Content
fingerprints are 64-bit BLAKE2b digests of a canonical text of the message
(not ``hash()``, which is salted per process), so they mean the same in the
process that reloads the ledger.

Completeness follows the specification. 2.x: the ``Started`` and ``Ended``
events and every ``seqNo`` between them are present (2.0.1 section E 1.3.2.1:
the CSMS can check completeness from ``Started``, ``Ended`` and the
contiguous sequence numbers). 1.6 has no sequence numbers: a record is
complete when its StartTransaction and StopTransaction are in; lost
intermediate MeterValues cannot be detected.

Energy. From the ``Energy.Active.Import.Register`` (the default measurand):
1.6 ``meterStop - meterStart``; 2.x the ``Transaction.End`` (else the last)
reading minus the ``Transaction.Begin`` (else the first), by timestamp. When
no register reading exists, the sum of ``Energy.Active.Import.Interval``
values (one per timestamp). :attr:`TransactionRecord.energy_source` says which.
Per-phase and EV-side readings are not used.

Bounds. A record keeps at most ``max_samples`` register readings and as
many per-event sequence entries (beyond that, readings are still checked
against the neighbours kept and the first and last are kept, intermediate
ones are forgotten; which sequence numbers were seen is always kept, as
ranges, so gaps stay exact), at most 100 anomalies (the rest are counted),
100 limit changes and 1,000 charging-state changes. So an open transaction
costs about 3 KiB plus 0.3 KiB per event up to ``max_samples`` (default
2,000: at most about 0.6 MiB), as ``bench/bench_ledger.py`` measures.
"""

from __future__ import annotations

import bisect
import enum
import hashlib
import itertools
import json
import math
import operator
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final, cast

import attrs

from ocpp_core._api import decode_payload, message_meta
from ocpp_core.errors import DeliveryValueError, OcppError
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = [
    "LEDGER_FORMAT",
    "Anomaly",
    "AnomalyKind",
    "EnergySource",
    "IngestResult",
    "Ledger",
    "LedgerSettings",
    "Limit",
    "Period",
    "Severity",
    "TransactionRecord",
    "TxEvent",
    "apply_event",
    "normalise",
]

_MAX_RECORD_ANOMALIES: Final = 100
_MAX_LIMITS: Final = 100
_MAX_STATES: Final = 1000
_SEQ_MAX: Final = 2**31 - 1
_CHARGING: Final = "Charging"


class Severity(enum.StrEnum):
    """How much an anomaly matters for billing."""

    INFO = "info"
    """Expected in a healthy deployment (a retry's duplicate, a reordered event)."""
    WARNING = "warning"
    """Worth a look; the record may still be billable."""
    ERROR = "error"
    """The record cannot be billed as is (data missing, impossible or contradictory)."""


class AnomalyKind(enum.StrEnum):
    """What the ledger found; each :class:`Anomaly` carries its evidence."""

    DUPLICATE = "duplicate"
    """A message already applied came again (a retry or a replay); nothing changed."""
    MESSAGE_ID_REUSED = "message-id-reused"
    """A message id already seen came with different content."""
    MALFORMED = "malformed"
    """A payload that is no valid request of its action; no record was touched."""
    SEQ_NO_GAP = "seq-no-gap"
    """2.x: sequence numbers are missing between the start and the last/ended event."""
    SEQ_NO_DUPLICATE = "seq-no-duplicate"
    """2.x: two different events carry the same ``seqNo``."""
    SEQ_NO_REORDERED = "seq-no-reordered"
    """2.x: an event arrived after one with a higher ``seqNo`` (a retry or replay)."""
    SEQ_NO_OUT_OF_RANGE = "seq-no-out-of-range"
    """2.x: a ``seqNo`` below 0 or above 2^31-1; the event is kept, its number ignored."""
    METER_BACKWARDS = "meter-backwards"
    """An energy register reading is lower than an earlier one (by timestamp)."""
    METER_JUMP = "meter-jump"
    """An energy register rose faster than ``max_power_w`` allows."""
    METER_IMPOSSIBLE = "meter-impossible"
    """A negative, non-finite or unreadable energy value; ignored."""
    EVENT_AFTER_END = "event-after-end"
    """An event of a transaction after its end (higher ``seqNo``, or later 1.6 readings)."""
    CONFLICTING_EVENT = "conflicting-event"
    """A second, different start or end of the same transaction; the first is kept."""
    NEVER_ENDED = "never-ended"
    """A transaction with no end by the end of the log (or older than ``stale_after``)."""
    MISSING_START = "missing-start"
    """2.x: events of a transaction whose ``Started`` never arrived."""
    UNKNOWN_TRANSACTION = "unknown-transaction"
    """1.6: a StopTransaction (or transaction MeterValues) for a transaction never started."""
    TRANSACTION_ID_NOT_ISSUED = "transaction-id-not-issued"
    """1.6: a ``transactionId`` this CSMS never issued."""
    CLOCK_SKEW = "clock-skew"
    """Message timestamps contradict arrival or sequence order, or lie in the future."""


_SEVERITY: Final = {
    AnomalyKind.DUPLICATE: Severity.INFO,
    AnomalyKind.SEQ_NO_REORDERED: Severity.INFO,
    AnomalyKind.MESSAGE_ID_REUSED: Severity.WARNING,
    AnomalyKind.CLOCK_SKEW: Severity.WARNING,
    AnomalyKind.NEVER_ENDED: Severity.WARNING,
    AnomalyKind.METER_JUMP: Severity.WARNING,
}


def _evidence(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class Anomaly:
    """One thing the ledger found, with its evidence.

    Attributes:
        kind: what it is.
        severity: how much it matters.
        station: the station's identity.
        transaction_id: the transaction concerned, when known.
        message_id: the message that revealed it, when there is one.
        detail: one line of explanation.
        evidence: the values that show it (JSON-ready: strings, numbers, lists).
    """

    kind: AnomalyKind = attrs.field(converter=AnomalyKind)
    severity: Severity = attrs.field(converter=Severity)
    station: str
    transaction_id: str | None
    message_id: str | None
    detail: str
    evidence: Mapping[str, Any] = attrs.field(factory=dict, converter=_evidence)

    def to_json(self) -> dict[str, Any]:
        """Return the anomaly as a JSON-ready dict."""
        return {
            "kind": self.kind.value,
            "severity": self.severity.value,
            "station": self.station,
            "transaction_id": self.transaction_id,
            "message_id": self.message_id,
            "detail": self.detail,
            "evidence": dict(self.evidence),
        }


class EnergySource(enum.StrEnum):
    """Where a record's energy figure comes from."""

    REGISTER = "register"
    """The difference of two ``Energy.Active.Import.Register`` readings (1.6 meterStart/Stop)."""
    INTERVAL = "interval"
    """The sum of ``Energy.Active.Import.Interval`` values."""
    NONE = "none"
    """No energy measurement was received."""


@attrs.frozen(kw_only=True)
class Limit:
    """A limit known to have applied to a transaction.

    Attributes:
        name: ``maxEnergy``/``maxTime``/``maxCost``/``maxSoC`` (2.1 transaction
            limit) or an offered measurand (``Power.Offered``, ``Current.Offered``).
        value: its value (the measurand's unit: W, A; Wh, s, currency, %).
        at: when it was reported.
    """

    name: str
    value: float
    at: datetime


@attrs.frozen(kw_only=True)
class Period:
    """A stretch of a transaction in one charging state (2.x ``chargingState``).

    Attributes:
        state: ``Charging``, ``EVConnected``, ``SuspendedEV``, ``SuspendedEVSE`` or ``Idle``.
        start: when it began.
        end: when it ended (the next state, or the transaction's end), or ``None`` if open.
    """

    state: str
    start: datetime
    end: datetime | None

    @property
    def seconds(self) -> float:
        """Its length in seconds (0 while open)."""
        return 0.0 if self.end is None else max((self.end - self.start).total_seconds(), 0.0)


@attrs.frozen(kw_only=True)
class LedgerSettings:
    """Thresholds of the ledger's checks.

    Attributes:
        max_power_w: a register rising faster than this is an implausible jump.
        clock_tolerance: seconds of disagreement between clocks ignored.
        max_future: seconds a timestamp may lie beyond its arrival before the
            clock-skew anomaly becomes an error.
        stale_after: seconds after its last message an open transaction is
            reported as never ended by :meth:`Ledger.anomalies` given ``now``.
        max_samples: register readings and sequence entries kept per record.
        remember_ids: message ids remembered per ledger for duplicate detection.
    """

    max_power_w: float = 1_000_000.0
    clock_tolerance: float = 300.0
    max_future: float = 86_400.0
    stale_after: float = 7 * 86_400.0
    max_samples: int = 2_000
    remember_ids: int = 200_000


@attrs.frozen(kw_only=True)
class TxEvent:
    """One received transaction message, normalised across versions (see :func:`normalise`).

    Attributes:
        version: the OCPP version.
        action: the action.
        kind: ``start``, ``update``, ``meter`` or ``end``.
        transaction_id: the transaction (1.6: the decimal id); ``None`` for a
            1.6 StartTransaction before an id is issued, or meter values
            outside a transaction.
        message_id: the CALL's message id.
        received_at: when it arrived, if known.
        timestamp: the message's own timestamp (a 1.6 MeterValues: its first reading's).
        seq_no: the 2.x ``seqNo``.
        trigger: 2.x ``triggerReason`` (1.6: the action).
        stopped_reason: the reason given for the end.
        offline: the 2.x ``offline`` flag.
        id_token: the id token (1.6 ``idTag``) and its type, when given.
        evse_id: the EVSE (2.x) or connector (1.6).
        connector_id: the connector (2.x ``evse.connectorId``).
        charging_state: 2.x ``chargingState``.
        time_spent_charging: 2.x ``timeSpentCharging``.
        meter_start: 1.6 ``meterStart`` (Wh).
        meter_stop: 1.6 ``meterStop`` (Wh).
        registers: ``(timestamp, Wh, context)`` register readings.
        intervals: ``(timestamp, Wh)`` interval readings.
        limits: limits reported.
        bad_values: descriptions of unusable values.
        fingerprint: identifies the content (without the ``offline`` flag).
    """

    version: OcppVersion
    action: str
    kind: str
    transaction_id: str | None
    message_id: str
    received_at: datetime | None
    timestamp: datetime | None
    seq_no: int | None = None
    trigger: str | None = None
    stopped_reason: str | None = None
    offline: bool = False
    id_token: tuple[str, str | None] | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    charging_state: str | None = None
    time_spent_charging: int | None = None
    meter_start: float | None = None
    meter_stop: float | None = None
    registers: tuple[tuple[datetime, float, str | None], ...] = ()
    intervals: tuple[tuple[datetime, float], ...] = ()
    limits: tuple[Limit, ...] = ()
    bad_values: tuple[str, ...] = ()
    fingerprint: int = 0


@attrs.frozen(kw_only=True)
class TransactionRecord:
    """Everything the ledger knows about one transaction (a frozen value).

    Build with :func:`apply_event`; export with :meth:`to_json`.

    Attributes:
        station: the station's identity.
        transaction_id: the transaction id (1.6: decimal).
        version: the OCPP version of its messages.
        started_at: the start's timestamp.
        start_trigger: 2.x ``triggerReason`` of ``Started``; 1.6 ``StartTransaction``.
        start_seq_no: 2.x ``seqNo`` of ``Started``.
        ended_at: the end's timestamp.
        end_trigger: 2.x ``triggerReason`` of ``Ended``; 1.6 ``StopTransaction``.
        stopped_reason: 2.x ``stoppedReason``; 1.6 ``reason`` (``Local`` when absent).
        end_seq_no: 2.x ``seqNo`` of ``Ended``.
        id_token: the id token that started it (1.6 ``idTag``).
        id_token_type: its type (2.x).
        stop_id_token: 1.6: the ``idTag`` of StopTransaction.
        evse_id: the EVSE (2.x) or connector (1.6).
        connector_id: the connector (2.x).
        meter_start_wh: 1.6 ``meterStart``, or 2.x ``Transaction.Begin`` register reading.
        meter_stop_wh: 1.6 ``meterStop``, or 2.x ``Transaction.End`` register reading.
        registers: register readings ``(time, Wh)`` by time.
        intervals: interval readings ``(time, Wh)`` by time.
        states: charging-state changes ``(time, state)`` by time.
        time_spent_charging: the station's own charging time (2.x), seconds.
        offline: whether any event was flagged offline.
        limits: the limits reported (changes only).
        seq_nos: 2.x: ``seqNo -> (fingerprint, POSIX time)`` of the events kept.
        seq_ranges: 2.x: every ``seqNo`` seen, as sorted inclusive ranges.
        max_seq_no: 2.x: the highest ``seqNo`` seen.
        fingerprints: 1.6: fingerprints of the messages applied.
        messages: distinct messages applied.
        duplicates: duplicates recognised.
        first_received_at: arrival of the first message.
        last_received_at: arrival of the latest message.
        last_timestamp: the latest message timestamp in arrival order (1.6 skew check).
        anomalies: anomalies found while applying (at most 100).
        anomalies_omitted: anomalies beyond those.
    """

    station: str
    transaction_id: str
    version: OcppVersion
    started_at: datetime | None = None
    start_trigger: str | None = None
    start_seq_no: int | None = None
    ended_at: datetime | None = None
    end_trigger: str | None = None
    stopped_reason: str | None = None
    end_seq_no: int | None = None
    id_token: str | None = None
    id_token_type: str | None = None
    stop_id_token: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    meter_start_wh: float | None = None
    meter_stop_wh: float | None = None
    registers: tuple[tuple[datetime, float], ...] = ()
    intervals: tuple[tuple[datetime, float], ...] = ()
    states: tuple[tuple[datetime, str], ...] = ()
    time_spent_charging: int | None = None
    offline: bool = False
    limits: tuple[Limit, ...] = ()
    seq_nos: Mapping[int, tuple[int, float | None]] = attrs.field(factory=dict)
    seq_ranges: tuple[tuple[int, int], ...] = ()
    max_seq_no: int | None = None
    fingerprints: frozenset[int] = frozenset()
    messages: int = 0
    duplicates: int = 0
    first_received_at: datetime | None = None
    last_received_at: datetime | None = None
    last_timestamp: datetime | None = None
    anomalies: tuple[Anomaly, ...] = ()
    anomalies_omitted: int = 0

    # --- derived ---------------------------------------------------------------------

    @property
    def started(self) -> bool:
        """Whether the start was received."""
        return self.started_at is not None

    @property
    def ended(self) -> bool:
        """Whether the end was received."""
        return self.ended_at is not None

    @property
    def missing_seq_nos(self) -> tuple[int, ...]:
        """2.x: the sequence numbers missing between the first expected and the last known.

        From the ``Started`` event's number (0 when it is missing) to the
        ``Ended`` event's (else the highest seen). At most 1,000 are listed.
        """
        if self.version is OcppVersion.V16 or self.max_seq_no is None:
            return ()
        low = self.start_seq_no if self.start_seq_no is not None else 0
        high = self.end_seq_no if self.end_seq_no is not None else self.max_seq_no
        missing: list[int] = []
        cursor = low
        for lo, hi in (*self.seq_ranges, (high + 1, high + 1)):
            if hi < cursor:
                continue
            for number in range(cursor, min(lo, high + 1)):
                missing.append(number)
                if len(missing) >= 1000:
                    return tuple(missing)
            cursor = max(cursor, hi + 1)
            if cursor > high:
                break
        return tuple(missing)

    @property
    def complete(self) -> bool:
        """Whether the record is complete as the specification defines it (module docs)."""
        if not (self.started and self.ended):
            return False
        if self.version is OcppVersion.V16:
            return True
        return not self.missing_seq_nos

    @property
    def energy_source(self) -> EnergySource:
        """Where :attr:`energy_wh` comes from."""
        if self._register_bounds() is not None:
            return EnergySource.REGISTER
        if self.intervals:
            return EnergySource.INTERVAL
        return EnergySource.NONE

    def _register_bounds(self) -> tuple[float, float] | None:
        first = self.meter_start_wh
        if first is None and self.registers:
            first = self.registers[0][1]
        last = self.meter_stop_wh
        if last is None and self.registers:
            last = self.registers[-1][1]
        if first is None or last is None:
            return None
        if self.meter_start_wh is None and self.meter_stop_wh is None and len(self.registers) < 2:
            return None
        return first, last

    @property
    def energy_wh(self) -> float | None:
        """Energy delivered in Wh (see :attr:`energy_source`), or ``None`` when unknown."""
        bounds = self._register_bounds()
        if bounds is not None:
            return bounds[1] - bounds[0]
        if self.intervals:
            return math.fsum(value for _, value in self.intervals)
        return None

    @property
    def periods(self) -> tuple[Period, ...]:
        """The charging-state periods, in time order (2.x; 1.6 reports none)."""
        out: list[Period] = []
        for index, (start, state) in enumerate(self.states):
            end = self.states[index + 1][0] if index + 1 < len(self.states) else self.ended_at
            out.append(Period(state=state, start=start, end=end))
        return tuple(out)

    @property
    def charging_seconds(self) -> float:
        """Seconds in state ``Charging``."""
        return sum(p.seconds for p in self.periods if p.state == _CHARGING)

    @property
    def idle_seconds(self) -> float:
        """Seconds in any other state (connected but not charging)."""
        return sum(p.seconds for p in self.periods if p.state != _CHARGING)

    def derived_anomalies(
        self, *, final: bool = False, now: datetime | None = None, stale_after: float = 7 * 86_400.0
    ) -> tuple[Anomaly, ...]:
        """Anomalies that follow from the record as it stands (gaps, never ended).

        Args:
            final: no more messages will come (the end of a log): an open
                transaction is reported as never ended.
            now: the current time; an open transaction whose last message is
                older than ``stale_after`` seconds is reported as never ended.
            stale_after: see ``now``.
        """
        out: list[Anomaly] = []
        missing = self.missing_seq_nos
        if missing:
            out.append(
                self._anomaly(
                    AnomalyKind.SEQ_NO_GAP,
                    None,
                    f"{len(missing)} sequence number(s) missing",
                    {"missing": list(missing[:50]), "max_seq_no": self.max_seq_no},
                )
            )
        if self.version is not OcppVersion.V16 and self.max_seq_no is not None and not self.started:
            out.append(
                self._anomaly(
                    AnomalyKind.MISSING_START,
                    None,
                    "no Started event was received",
                    {"seq_nos_seen": len(self.seq_nos)},
                )
            )
        if not self.ended:
            last = self.last_received_at
            stale = (
                now is not None and last is not None and (now - last).total_seconds() > stale_after
            )
            if final or stale:
                out.append(
                    self._anomaly(
                        AnomalyKind.NEVER_ENDED,
                        None,
                        "the transaction has no end",
                        {"last_received_at": _iso(last), "messages": self.messages},
                    )
                )
        return tuple(out)

    def _anomaly(
        self, kind: AnomalyKind, message_id: str | None, detail: str, evidence: dict[str, Any]
    ) -> Anomaly:
        return Anomaly(
            kind=kind,
            severity=_SEVERITY.get(kind, Severity.ERROR),
            station=self.station,
            transaction_id=self.transaction_id,
            message_id=message_id,
            detail=detail,
            evidence=evidence,
        )

    def to_json(self) -> dict[str, Any]:
        """Return the billing-ready export of the record (a JSON-ready dict)."""
        energy = self.energy_wh
        return {
            "station": self.station,
            "transaction_id": self.transaction_id,
            "ocpp_version": self.version.value,
            "complete": self.complete,
            "started_at": _iso(self.started_at),
            "start_trigger": self.start_trigger,
            "ended_at": _iso(self.ended_at),
            "end_trigger": self.end_trigger,
            "stopped_reason": self.stopped_reason,
            "id_token": self.id_token,
            "id_token_type": self.id_token_type,
            "stop_id_token": self.stop_id_token,
            "evse_id": self.evse_id,
            "connector_id": self.connector_id,
            "meter_start_wh": self.meter_start_wh,
            "meter_stop_wh": self.meter_stop_wh,
            "energy_wh": energy,
            "energy_source": self.energy_source.value,
            "charging_seconds": self.charging_seconds,
            "idle_seconds": self.idle_seconds,
            "time_spent_charging": self.time_spent_charging,
            "periods": [
                {"state": p.state, "start": _iso(p.start), "end": _iso(p.end)} for p in self.periods
            ],
            "offline": self.offline,
            "limits": [{"name": x.name, "value": x.value, "at": _iso(x.at)} for x in self.limits],
            "missing_seq_nos": list(self.missing_seq_nos),
            "messages": self.messages,
            "duplicates": self.duplicates,
            "anomalies": [a.to_json() for a in self.anomalies],
            "anomalies_omitted": self.anomalies_omitted,
        }


_RECORD_FIELDS: Final = tuple(f.name for f in attrs.fields(TransactionRecord))
_RECORD_VALUES: Final = operator.attrgetter(*_RECORD_FIELDS)


def _replace(record: TransactionRecord, changes: Mapping[str, Any]) -> TransactionRecord:
    """``attrs.evolve`` for the hot path: one kwargs dict, no per-field introspection."""
    values = dict(zip(_RECORD_FIELDS, _RECORD_VALUES(record), strict=True))
    values.update(changes)
    return TransactionRecord(**values)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


# --- normalising received messages ---------------------------------------------------

_WH: Final = {"Wh": 1.0, "kWh": 1000.0}
_REGISTER: Final = "Energy.Active.Import.Register"
_INTERVAL: Final = "Energy.Active.Import.Interval"
_OFFERED: Final = frozenset({"Power.Offered", "Current.Offered"})
_METER_LOCATIONS: Final = frozenset({"Outlet", "Inlet"})
_LIMIT_FIELDS: Final = (
    ("max_energy", "maxEnergy"),
    ("max_time", "maxTime"),
    ("max_cost", "maxCost"),
    ("max_soc", "maxSoC"),
)


_CONTENT: dict[type, Callable[[object], tuple[Any, ...]]] = {}
_ENUM_REPR: Final = re.compile(
    r"<[A-Za-z_]\w*\.[A-Za-z_]\w*: (-?\d+|'[^'\\]*(?:\\.[^'\\]*)*'|\"[^\"\\]*(?:\\.[^\"\\]*)*\")>"
)


def _fingerprint(message: object) -> int:
    """A digest of the message's content without its ``offline`` flag (E11.FR.07 resends).

    Stable across processes (unlike ``hash()``, salted per process for
    strings), so a saved ledger still recognises re-deliveries after a
    restart: a 64-bit BLAKE2b digest of the content's ``repr`` (the generated
    classes' fields in declaration order; numbers, strings and timestamps all
    have a canonical ``repr``), computed once per message.
    """
    cls = type(message)
    getter = _CONTENT.get(cls)
    if getter is None:
        names = [f.name for f in attrs.fields(cast(Any, cls)) if f.name != "offline"]
        getter = _CONTENT[cls] = operator.attrgetter(*names) if names else (lambda _: ())
    text = f"{cls.__module__}.{cls.__qualname__}{getter(message)!r}"
    if "<" in text:  # enum members (of any version) stand for their plain value
        text = _ENUM_REPR.sub(r"\1", text)
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _meter_values(
    meter_values: object, *, v16: bool
) -> tuple[
    list[tuple[datetime, float, str | None]], list[tuple[datetime, float]], list[Limit], list[str]
]:
    registers: list[tuple[datetime, float, str | None]] = []
    intervals: list[tuple[datetime, float]] = []
    limits: list[Limit] = []
    bad: list[str] = []
    for meter_value in meter_values or ():  # type: ignore[attr-defined]
        when = meter_value.timestamp
        for sample in meter_value.sampled_value:
            measurand = str(sample.measurand) if sample.measurand is not None else _REGISTER
            if sample.phase is not None:
                continue
            location = None if sample.location is None else str(sample.location)
            if location is not None and location not in _METER_LOCATIONS:
                continue
            context = None if sample.context is None else str(sample.context)
            if v16:
                if sample.format is not None and str(sample.format) == "SignedData":
                    continue
                unit = "Wh" if sample.unit is None else str(sample.unit)
                scale = _WH.get(unit)
                try:
                    number = float(sample.value)
                except ValueError:
                    if measurand in (_REGISTER, _INTERVAL):
                        bad.append(f"{measurand} value {sample.value[:20]!r} is not a number")
                    continue
            else:
                uom = sample.unit_of_measure
                unit = "Wh" if uom is None or uom.unit is None else str(uom.unit)
                multiplier = 0 if uom is None or uom.multiplier is None else uom.multiplier
                scale = _WH.get(unit)
                if scale is not None:
                    try:
                        scale *= 10.0**multiplier
                    except OverflowError:  # 2.0 does not bound the multiplier
                        scale = math.inf
                number = float(sample.value)
            if measurand in _OFFERED:
                limits.append(Limit(name=measurand, value=number, at=when))
                continue
            if measurand not in (_REGISTER, _INTERVAL) or scale is None:
                continue
            value = number * scale
            if not math.isfinite(value) or value < 0:
                bad.append(f"{measurand} value {number!r} {unit} is impossible")
                continue
            if measurand == _REGISTER:
                registers.append((when, value, context))
            else:
                intervals.append((when, value))
    return registers, intervals, limits, bad


def normalise(
    message: object,
    *,
    message_id: str,
    received_at: datetime | None = None,
    transaction_id: int | str | None = None,
) -> TxEvent:
    """Normalise one received transaction request of any version into a :class:`TxEvent`.

    Args:
        message: a typed 2.x ``TransactionEventRequest`` or 1.6
            ``StartTransactionRequest`` / ``StopTransactionRequest`` /
            ``MeterValuesRequest``.
        message_id: the CALL's message id.
        received_at: its arrival time (aware).
        transaction_id: 1.6 StartTransaction: the id the CSMS issued for it.

    Raises:
        DeliveryValueError: the message is not one of those requests.
    """
    try:
        meta = message_meta(message)
    except TypeError:
        raise DeliveryValueError(
            "message", f"expected a generated request, got {type(message).__name__}"
        ) from None
    version, action = meta.version, meta.action
    m: Any = message
    fingerprint = _fingerprint(message)
    if version is OcppVersion.V16:
        if action == "StartTransaction":
            return TxEvent(
                version=version,
                action=action,
                kind="start",
                transaction_id=None if transaction_id is None else str(transaction_id),
                message_id=message_id,
                received_at=received_at,
                timestamp=m.timestamp,
                trigger=action,
                id_token=(m.id_tag, None),
                evse_id=m.connector_id,
                meter_start=float(m.meter_start),
                fingerprint=fingerprint,
            )
        if action == "StopTransaction":
            registers, intervals, limits, bad = _meter_values(m.transaction_data, v16=True)
            return TxEvent(
                version=version,
                action=action,
                kind="end",
                transaction_id=str(m.transaction_id),
                message_id=message_id,
                received_at=received_at,
                timestamp=m.timestamp,
                trigger=action,
                stopped_reason="Local" if m.reason is None else str(m.reason),
                id_token=None if m.id_tag is None else (m.id_tag, None),
                meter_stop=float(m.meter_stop),
                registers=tuple(registers),
                intervals=tuple(intervals),
                limits=tuple(limits),
                bad_values=tuple(bad),
                fingerprint=fingerprint,
            )
        if action == "MeterValues":
            registers, intervals, limits, bad = _meter_values(m.meter_value, v16=True)
            first = m.meter_value[0].timestamp if m.meter_value else None
            return TxEvent(
                version=version,
                action=action,
                kind="meter",
                transaction_id=None if m.transaction_id is None else str(m.transaction_id),
                message_id=message_id,
                received_at=received_at,
                timestamp=first,
                trigger=action,
                evse_id=m.connector_id,
                registers=tuple(registers),
                intervals=tuple(intervals),
                limits=tuple(limits),
                bad_values=tuple(bad),
                fingerprint=fingerprint,
            )
    elif action == "TransactionEvent" and meta.kind == "request":
        info = m.transaction_data if version is OcppVersion.V20 else m.transaction_info
        tx_id = info.id if version is OcppVersion.V20 else info.transaction_id
        registers, intervals, limits, bad = _meter_values(m.meter_value, v16=False)
        tx_limit = getattr(info, "transaction_limit", None)
        if tx_limit is not None:
            for attr, name in _LIMIT_FIELDS:
                value = getattr(tx_limit, attr)
                if value is not None:
                    limits.append(Limit(name=name, value=float(value), at=m.timestamp))
        event_type = str(m.event_type)
        kind = {"Started": "start", "Ended": "end"}.get(event_type, "update")
        token = m.id_token
        return TxEvent(
            version=version,
            action=action,
            kind=kind,
            transaction_id=str(tx_id),
            message_id=message_id,
            received_at=received_at,
            timestamp=m.timestamp,
            seq_no=m.seq_no,
            trigger=str(m.trigger_reason),
            stopped_reason=None if info.stopped_reason is None else str(info.stopped_reason),
            offline=bool(m.offline),
            id_token=None if token is None else (token.id_token, str(token.type)),
            evse_id=None if m.evse is None else m.evse.id,
            connector_id=None if m.evse is None else m.evse.connector_id,
            charging_state=None if info.charging_state is None else str(info.charging_state),
            time_spent_charging=info.time_spent_charging,
            registers=tuple(registers),
            intervals=tuple(intervals),
            limits=tuple(limits),
            bad_values=tuple(bad),
            fingerprint=fingerprint,
        )
    raise DeliveryValueError(
        "message", f"OCPP {version} {action} {meta.kind} is not a transaction message"
    )


# --- the fold -----------------------------------------------------------------------


class _Fold:
    """Collects the changes and anomalies of applying one event to one record."""

    __slots__ = ("anomalies", "changes", "event", "record", "settings")

    def __init__(self, record: TransactionRecord, event: TxEvent, settings: LedgerSettings):
        self.record = record
        self.event = event
        self.settings = settings
        self.changes: dict[str, Any] = {}
        self.anomalies: list[Anomaly] = []

    def get(self, name: str) -> Any:
        return self.changes[name] if name in self.changes else getattr(self.record, name)

    def flag(self, kind: AnomalyKind, detail: str, **evidence: Any) -> None:
        self.anomalies.append(self.record._anomaly(kind, self.event.message_id, detail, evidence))


def _in_ranges(ranges: tuple[tuple[int, int], ...], number: int) -> bool:
    index = bisect.bisect_right(ranges, (number, _SEQ_MAX + 1)) - 1
    return index >= 0 and ranges[index][0] <= number <= ranges[index][1]


def _add_to_ranges(ranges: tuple[tuple[int, int], ...], number: int) -> tuple[tuple[int, int], ...]:
    """Add ``number`` to sorted disjoint inclusive ranges, merging neighbours."""
    index = bisect.bisect_right(ranges, (number, _SEQ_MAX + 1))
    lo, hi = number, number
    start, end = index, index
    if index > 0 and ranges[index - 1][1] >= number - 1:
        start = index - 1
        lo = ranges[start][0]
        hi = max(hi, ranges[start][1])
    if index < len(ranges) and ranges[index][0] <= number + 1:
        end = index + 1
        hi = max(hi, ranges[index][1])
    return (*ranges[:start], (lo, hi), *ranges[end:])


def _seconds(value: datetime) -> float:
    return value.timestamp()


def apply_event(
    record: TransactionRecord | None,
    event: TxEvent,
    *,
    station: str,
    settings: LedgerSettings | None = None,
) -> tuple[TransactionRecord, tuple[Anomaly, ...], bool]:
    """Apply one normalised event to its transaction's record (pure).

    Args:
        record: the record so far, or ``None`` for a transaction not seen yet.
        event: the event (its ``transaction_id`` must be set).
        station: the station's identity (used for a new record).
        settings: the thresholds (defaults when ``None``).

    Returns:
        ``(record, anomalies, duplicate)``: the new record (the same object
        when the event is a duplicate), the anomalies the event revealed, and
        whether it was a duplicate.

    Raises:
        DeliveryValueError: the event has no ``transaction_id``.
    """
    settings = settings or LedgerSettings()
    if event.transaction_id is None:
        raise DeliveryValueError("event.transaction_id", "the event names no transaction")
    if record is None:
        record = TransactionRecord(
            station=station, transaction_id=event.transaction_id, version=event.version
        )
    fold = _Fold(record, event, settings)
    # --- duplicates and sequence numbers
    seq = event.seq_no
    when = None if event.timestamp is None else _seconds(event.timestamp)
    if event.version is OcppVersion.V16:
        if event.fingerprint in record.fingerprints:
            return _duplicate(fold)
        if len(record.fingerprints) < settings.max_samples:
            fold.changes["fingerprints"] = record.fingerprints | {event.fingerprint}
    elif seq is not None and not 0 <= seq <= _SEQ_MAX:
        fold.flag(
            AnomalyKind.SEQ_NO_OUT_OF_RANGE,
            f"seqNo {seq} is outside 0..{_SEQ_MAX}; the event is kept without its number",
            seq_no=seq,
        )
        seq = None
    elif seq is not None:
        known = record.seq_nos.get(seq)
        if known is None and _in_ranges(record.seq_ranges, seq):
            return _duplicate(fold)  # beyond the bound: seen, its content no longer kept
        if known is not None:
            if known[0] == event.fingerprint:
                return _duplicate(fold)
            fold.flag(
                AnomalyKind.SEQ_NO_DUPLICATE,
                f"seqNo {seq} was already used by a different event; this one is ignored",
                seq_no=seq,
                trigger=event.trigger,
            )
            return _finish(fold)
        if record.end_seq_no is not None and seq > record.end_seq_no:
            fold.flag(
                AnomalyKind.EVENT_AFTER_END,
                f"seqNo {seq} comes after the Ended event's {record.end_seq_no}",
                seq_no=seq,
                end_seq_no=record.end_seq_no,
            )
        elif record.max_seq_no is not None and seq < record.max_seq_no:
            fold.flag(
                AnomalyKind.SEQ_NO_REORDERED,
                f"seqNo {seq} arrived after seqNo {record.max_seq_no}",
                seq_no=seq,
                max_seq_no=record.max_seq_no,
            )
        _check_sequence_clock(fold, seq, when)
        if len(record.seq_nos) < settings.max_samples:
            fold.changes["seq_nos"] = {**record.seq_nos, seq: (event.fingerprint, when)}
        fold.changes["seq_ranges"] = _add_to_ranges(record.seq_ranges, seq)
        if record.max_seq_no is None or seq > record.max_seq_no:
            fold.changes["max_seq_no"] = seq
    # --- clocks
    _check_clock(fold, when)
    # --- start and end
    if event.kind == "start":
        _apply_start(fold)
    elif event.kind == "end":
        _apply_end(fold, seq)
    elif (
        event.version is OcppVersion.V16
        and record.ended_at is not None
        and event.timestamp is not None
        and event.timestamp > record.ended_at
    ):
        fold.flag(
            AnomalyKind.EVENT_AFTER_END,
            "meter values stamped after the StopTransaction",
            timestamp=_iso(event.timestamp),
            ended_at=_iso(record.ended_at),
        )
    # --- common facts
    if event.id_token is not None and fold.get("id_token") is None:
        fold.changes["id_token"] = event.id_token[0]
        fold.changes["id_token_type"] = event.id_token[1]
    if event.evse_id is not None and fold.get("evse_id") is None:
        fold.changes["evse_id"] = event.evse_id
    if event.connector_id is not None and fold.get("connector_id") is None:
        fold.changes["connector_id"] = event.connector_id
    if event.offline and not record.offline:
        fold.changes["offline"] = True
    if event.time_spent_charging is not None:
        fold.changes["time_spent_charging"] = event.time_spent_charging
    if event.charging_state is not None and event.timestamp is not None:
        _apply_state(fold, event.timestamp, event.charging_state)
    for text in event.bad_values:
        fold.flag(AnomalyKind.METER_IMPOSSIBLE, text)
    for when_r, value, context in event.registers:
        _apply_register(fold, when_r, value, context)
    if event.intervals:
        merged = dict(fold.get("intervals"))
        for when_i, value in event.intervals:
            merged.setdefault(when_i, value)
        fold.changes["intervals"] = tuple(sorted(merged.items()))
    if event.limits:
        _apply_limits(fold)
    return _finish(fold)


def _duplicate(fold: _Fold) -> tuple[TransactionRecord, tuple[Anomaly, ...], bool]:
    fold.flag(
        AnomalyKind.DUPLICATE,
        "the same message was already applied",
        seq_no=fold.event.seq_no,
        action=fold.event.action,
    )
    record = attrs.evolve(fold.record, duplicates=fold.record.duplicates + 1)
    return record, tuple(fold.anomalies), True


def _finish(fold: _Fold) -> tuple[TransactionRecord, tuple[Anomaly, ...], bool]:
    record, event = fold.record, fold.event
    changes = fold.changes
    changes["messages"] = record.messages + 1
    if event.received_at is not None:
        if record.first_received_at is None:
            changes["first_received_at"] = event.received_at
        changes["last_received_at"] = event.received_at
    kept = [a for a in fold.anomalies if a.kind is not AnomalyKind.DUPLICATE]
    if kept:
        room = _MAX_RECORD_ANOMALIES - len(record.anomalies)
        changes["anomalies"] = record.anomalies + tuple(kept[: max(room, 0)])
        if len(kept) > room:
            changes["anomalies_omitted"] = record.anomalies_omitted + len(kept) - max(room, 0)
    return _replace(record, changes), tuple(fold.anomalies), False


def _check_clock(fold: _Fold, when: float | None) -> None:
    event, settings = fold.event, fold.settings
    if when is None:
        return
    if event.received_at is not None:
        ahead = when - _seconds(event.received_at)
        if ahead > settings.clock_tolerance:
            fold.anomalies.append(
                attrs.evolve(
                    fold.record._anomaly(
                        AnomalyKind.CLOCK_SKEW,
                        event.message_id,
                        f"the message is stamped {ahead:.0f} s after its arrival",
                        {
                            "timestamp": _iso(event.timestamp),
                            "received_at": _iso(event.received_at),
                            "ahead_s": round(ahead, 3),
                        },
                    ),
                    severity=Severity.ERROR if ahead > settings.max_future else Severity.WARNING,
                )
            )
    if event.version is OcppVersion.V16:
        last = fold.record.last_timestamp
        if last is not None and event.timestamp is not None:
            behind = _seconds(last) - when
            if behind > settings.clock_tolerance:
                fold.flag(
                    AnomalyKind.CLOCK_SKEW,
                    f"stamped {behind:.0f} s before a message that arrived earlier",
                    timestamp=_iso(event.timestamp),
                    earlier_arrival_timestamp=_iso(last),
                )
        if event.timestamp is not None and (last is None or event.timestamp > last):
            fold.changes["last_timestamp"] = event.timestamp


def _check_sequence_clock(fold: _Fold, seq: int, when: float | None) -> None:
    if when is None:
        return
    tolerance = fold.settings.clock_tolerance
    before = fold.record.seq_nos.get(seq - 1)
    if before is not None and before[1] is not None and before[1] - when > tolerance:
        fold.flag(
            AnomalyKind.CLOCK_SKEW,
            f"seqNo {seq} is stamped {before[1] - when:.0f} s before seqNo {seq - 1}",
            seq_no=seq,
            timestamp=_iso(fold.event.timestamp),
        )
    after = fold.record.seq_nos.get(seq + 1)
    if after is not None and after[1] is not None and when - after[1] > tolerance:
        fold.flag(
            AnomalyKind.CLOCK_SKEW,
            f"seqNo {seq} is stamped {when - after[1]:.0f} s after seqNo {seq + 1}",
            seq_no=seq,
            timestamp=_iso(fold.event.timestamp),
        )


def _apply_start(fold: _Fold) -> None:
    record, event = fold.record, fold.event
    if record.started_at is not None:
        fold.flag(
            AnomalyKind.CONFLICTING_EVENT,
            "a second, different start of the transaction; the first is kept",
            started_at=_iso(record.started_at),
            timestamp=_iso(event.timestamp),
        )
        return
    fold.changes["started_at"] = event.timestamp
    fold.changes["start_trigger"] = event.trigger
    fold.changes["start_seq_no"] = event.seq_no
    if event.meter_start is not None:
        if not math.isfinite(event.meter_start) or event.meter_start < 0:
            fold.flag(
                AnomalyKind.METER_IMPOSSIBLE,
                f"meterStart {event.meter_start:g} Wh is impossible",
                meter_start=event.meter_start,
            )
        else:
            fold.changes["meter_start_wh"] = event.meter_start
            _apply_register(fold, event.timestamp, event.meter_start, None)


def _apply_end(fold: _Fold, seq: int | None) -> None:
    record, event = fold.record, fold.event
    if record.ended_at is not None:
        fold.flag(
            AnomalyKind.CONFLICTING_EVENT,
            "a second, different end of the transaction; the first is kept",
            ended_at=_iso(record.ended_at),
            timestamp=_iso(event.timestamp),
        )
        return
    if record.version is not OcppVersion.V16 and record.max_seq_no is not None and seq is not None:
        later = list(
            itertools.islice(
                (n for lo, hi in record.seq_ranges for n in range(max(lo, seq + 1), hi + 1)), 20
            )
        )
        if later:
            fold.flag(
                AnomalyKind.EVENT_AFTER_END,
                f"events with seqNo above the Ended event's {seq} were received",
                end_seq_no=seq,
                later=later,
            )
    fold.changes["ended_at"] = event.timestamp
    fold.changes["end_trigger"] = event.trigger
    fold.changes["stopped_reason"] = event.stopped_reason
    fold.changes["end_seq_no"] = seq
    if event.version is OcppVersion.V16 and event.id_token is not None:
        fold.changes["stop_id_token"] = event.id_token[0]
    if event.meter_stop is not None:
        if not math.isfinite(event.meter_stop) or event.meter_stop < 0:
            fold.flag(
                AnomalyKind.METER_IMPOSSIBLE,
                f"meterStop {event.meter_stop:g} Wh is impossible",
                meter_stop=event.meter_stop,
            )
        else:
            fold.changes["meter_stop_wh"] = event.meter_stop
            if event.timestamp is not None:
                _apply_register(fold, event.timestamp, event.meter_stop, None)


def _apply_register(fold: _Fold, when: datetime | None, value: float, context: str | None) -> None:
    if when is None:
        return
    if context == "Transaction.Begin" and fold.get("meter_start_wh") is None:
        fold.changes["meter_start_wh"] = value
    if (
        context == "Transaction.End"
        and fold.event.kind == "end"
        and fold.get("meter_stop_wh") is None
    ):
        fold.changes["meter_stop_wh"] = value
    registers: tuple[tuple[datetime, float], ...] = fold.get("registers")
    index = bisect.bisect_left(registers, (when, value))
    if index < len(registers) and registers[index] == (when, value):
        return
    prev = registers[index - 1] if index > 0 else None
    nxt = registers[index] if index < len(registers) else None
    if prev is not None and value < prev[1]:
        fold.flag(
            AnomalyKind.METER_BACKWARDS,
            f"the register reads {value:g} Wh at {_iso(when)}, below {prev[1]:g} Wh at "
            f"{_iso(prev[0])}",
            reading=[_iso(when), value],
            earlier=[_iso(prev[0]), prev[1]],
        )
    elif nxt is not None and value > nxt[1]:
        fold.flag(
            AnomalyKind.METER_BACKWARDS,
            f"the register reads {nxt[1]:g} Wh at {_iso(nxt[0])}, below {value:g} Wh at "
            f"{_iso(when)}",
            reading=[_iso(nxt[0]), nxt[1]],
            earlier=[_iso(when), value],
        )
    elif prev is not None:
        seconds = (when - prev[0]).total_seconds()
        rise = value - prev[1]
        limit = fold.settings.max_power_w
        if rise > 0 and (seconds <= 0 or rise * 3600.0 / seconds > limit):
            fold.flag(
                AnomalyKind.METER_JUMP,
                f"the register rose {rise:g} Wh in {seconds:g} s (over {limit:g} W)",
                reading=[_iso(when), value],
                earlier=[_iso(prev[0]), prev[1]],
            )
    reading = (when, value)
    if len(registers) >= fold.settings.max_samples:
        # Keep the first and the last reading; forget intermediates beyond the bound.
        if index == 0:
            fold.changes["registers"] = (
                (reading, *registers[2:])
                if len(registers) > 1
                else (
                    reading,
                    *registers,
                )
            )
        elif index == len(registers):
            fold.changes["registers"] = (*registers[:-1], reading)
        return
    fold.changes["registers"] = (*registers[:index], reading, *registers[index:])


def _apply_state(fold: _Fold, when: datetime, state: str) -> None:
    states: tuple[tuple[datetime, str], ...] = fold.get("states")
    index = bisect.bisect_right(states, (when, "\uffff"))
    if index > 0 and states[index - 1][1] == state:
        return
    if len(states) >= _MAX_STATES:
        return
    fold.changes["states"] = (*states[:index], (when, state), *states[index:])


def _apply_limits(fold: _Fold) -> None:
    limits: tuple[Limit, ...] = fold.get("limits")
    latest = {x.name: x.value for x in limits}
    new = list(limits)
    for limit in fold.event.limits:
        if latest.get(limit.name) != limit.value and len(new) < _MAX_LIMITS:
            new.append(limit)
            latest[limit.name] = limit.value
    fold.changes["limits"] = tuple(new)


# --- the container ------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class IngestResult:
    """What one received message did to the ledger.

    Attributes:
        station: the station.
        transaction_id: the transaction the message belongs to (1.6
            StartTransaction: the id the CSMS issued, or, for a duplicate, the
            id issued the first time, which the CSMS should answer again).
        duplicate: whether the message was recognised as already applied.
        anomalies: the anomalies it revealed.
        record: the transaction's record after it, if it concerns one.
    """

    station: str
    transaction_id: str | None
    duplicate: bool
    anomalies: tuple[Anomaly, ...]
    record: TransactionRecord | None


class Ledger:
    """The CSMS's transaction ledger: one record per (station, transaction).

    Feed every received transaction message with :meth:`ingest` (typed
    requests) or :meth:`ingest_payload` (wire payloads); it never raises about
    what a station sent. Read :meth:`records`, :meth:`anomalies`,
    :meth:`station_summary` and each record's :meth:`TransactionRecord.to_json`.

    Args:
        settings: thresholds of the checks.
    """

    def __init__(self, settings: LedgerSettings | None = None) -> None:
        self.settings: LedgerSettings = settings or LedgerSettings()
        """The thresholds in use."""
        self._records: dict[tuple[str, str], TransactionRecord] = {}
        self._issued: dict[str, set[str]] = {}
        self._starts: dict[tuple[str, int], str] = {}  # 1.6 StartTransaction fingerprint -> id
        self._ids: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._anomalies: list[Anomaly] = []
        self.anomalies_omitted = 0
        """Anomalies beyond 100,000 not kept by :meth:`anomalies`."""
        self.messages = 0
        """Messages ingested."""

    # --- reading ----------------------------------------------------------------------

    def records(self, station: str | None = None) -> list[TransactionRecord]:
        """The records (of ``station``, or all), in the order their transactions appeared."""
        return [r for (s, _), r in self._records.items() if station is None or s == station]

    def record(self, station: str, transaction_id: str | int) -> TransactionRecord | None:
        """The record of one transaction, or ``None``."""
        return self._records.get((station, str(transaction_id)))

    def stations(self) -> list[str]:
        """The stations seen, in order of appearance."""
        return list(dict.fromkeys(s for s, _ in self._records))

    def anomalies(self, *, final: bool = False, now: datetime | None = None) -> list[Anomaly]:
        """Every anomaly found, then those derived from the records (gaps, never ended).

        Args:
            final: no more messages will come (e.g. the end of a log).
            now: the current time, to report transactions open for longer
                than ``settings.stale_after``.
        """
        derived = [
            anomaly
            for record in self._records.values()
            for anomaly in record.derived_anomalies(
                final=final, now=now, stale_after=self.settings.stale_after
            )
        ]
        return [*self._anomalies, *derived]

    def station_summary(self, station: str) -> dict[str, Any]:
        """Return a JSON-ready summary of one station's transactions."""
        records = self.records(station)
        energy = [r.energy_wh for r in records if r.energy_wh is not None]
        kinds: dict[str, int] = {}
        for anomaly in self.anomalies(final=False):
            if anomaly.station == station:
                kinds[anomaly.kind.value] = kinds.get(anomaly.kind.value, 0) + 1
        return {
            "station": station,
            "transactions": len(records),
            "complete": sum(1 for r in records if r.complete),
            "open": sum(1 for r in records if not r.ended),
            "offline": sum(1 for r in records if r.offline),
            "energy_wh": math.fsum(energy),
            "energy_unknown": sum(1 for r in records if r.energy_wh is None),
            "duplicates": sum(r.duplicates for r in records),
            "anomalies": dict(sorted(kinds.items())),
        }

    # --- feeding ----------------------------------------------------------------------

    def issued(self, station: str, transaction_id: int | str) -> None:
        """Record that the CSMS issued a 1.6 ``transactionId`` outside :meth:`ingest`."""
        self._issued.setdefault(station, set()).add(str(transaction_id))

    def ingest(
        self,
        station: str,
        message: object,
        *,
        message_id: str,
        received_at: datetime | None = None,
        transaction_id: int | str | None = None,
    ) -> IngestResult:
        """Apply one received transaction request.

        Args:
            station: the station's identity.
            message: a typed 2.x ``TransactionEventRequest`` or 1.6
                ``StartTransactionRequest`` / ``StopTransactionRequest`` /
                ``MeterValuesRequest``.
            message_id: the CALL's message id.
            received_at: when it arrived (aware); ``None`` skips the checks
                that need it.
            transaction_id: 1.6 StartTransaction: the id the CSMS issues (or
                issued) for it. When the result says ``duplicate``, answer with
                the result's ``transaction_id`` instead.

        Raises:
            DeliveryValueError: ``message`` is not one of those requests (a
                programming error of the host; what the station sent never raises).
        """
        event = normalise(
            message, message_id=message_id, received_at=received_at, transaction_id=transaction_id
        )
        return self._apply(station, event)

    def ingest_payload(
        self,
        station: str,
        version: VersionLike,
        action: str,
        payload: object,
        *,
        message_id: str,
        received_at: datetime | None = None,
        transaction_id: int | str | None = None,
    ) -> IngestResult:
        """Apply one received request given as its wire payload (``json.loads`` output).

        A payload that is not a valid request of its action is reported as
        :attr:`AnomalyKind.MALFORMED` and changes no record; an action that is
        not transaction-related is ignored (an empty result).

        Args:
            station: the station's identity.
            version: the OCPP version.
            action: the action name.
            payload: the payload.
            message_id: the CALL's message id.
            received_at: when it arrived.
            transaction_id: see :meth:`ingest`.

        Raises:
            DeliveryValueError: ``version`` names no OCPP version.
        """
        try:
            parsed = OcppVersion.parse(version)
        except ValueError as exc:
            raise DeliveryValueError("version", str(exc)) from None
        wanted = (
            {"StartTransaction", "StopTransaction", "MeterValues"}
            if parsed is OcppVersion.V16
            else {"TransactionEvent"}
        )
        if action not in wanted:
            return IngestResult(
                station=station, transaction_id=None, duplicate=False, anomalies=(), record=None
            )
        try:
            message = decode_payload(parsed, action, "request", payload)
        except OcppError as exc:
            anomaly = Anomaly(
                kind=AnomalyKind.MALFORMED,
                severity=Severity.ERROR,
                station=station,
                transaction_id=None,
                message_id=message_id,
                detail=f"{action}: {str(exc)[:200]}",
                evidence={"action": action},
            )
            self._remember([anomaly])
            self.messages += 1
            return IngestResult(
                station=station,
                transaction_id=None,
                duplicate=False,
                anomalies=(anomaly,),
                record=None,
            )
        return self.ingest(
            station,
            message,
            message_id=message_id,
            received_at=received_at,
            transaction_id=transaction_id,
        )

    def _remember(self, anomalies: tuple[Anomaly, ...] | list[Anomaly]) -> None:
        room = 100_000 - len(self._anomalies)
        self._anomalies.extend(anomalies[: max(room, 0)])
        if len(anomalies) > room:
            self.anomalies_omitted += len(anomalies) - max(room, 0)

    def _apply(self, station: str, event: TxEvent) -> IngestResult:
        self.messages += 1
        pre: list[Anomaly] = []
        # Message ids: the same id with the same content is a duplicate at once.
        id_key = (station, event.message_id)
        seen = self._ids.get(id_key)
        if seen is not None and seen == event.fingerprint:
            tx = event.transaction_id
            if event.version is OcppVersion.V16 and event.kind == "start":
                tx = self._starts.get((station, event.fingerprint), tx)
            record = None if tx is None else self._records.get((station, tx))
            anomaly = Anomaly(
                kind=AnomalyKind.DUPLICATE,
                severity=Severity.INFO,
                station=station,
                transaction_id=tx,
                message_id=event.message_id,
                detail="the same message id and content were already applied",
                evidence={"action": event.action, "seq_no": event.seq_no},
            )
            if record is not None:
                record = attrs.evolve(record, duplicates=record.duplicates + 1)
                self._records[station, record.transaction_id] = record
            self._remember([anomaly])
            return IngestResult(
                station=station,
                transaction_id=tx,
                duplicate=True,
                anomalies=(anomaly,),
                record=record,
            )
        if seen is not None:
            pre.append(
                Anomaly(
                    kind=AnomalyKind.MESSAGE_ID_REUSED,
                    severity=Severity.WARNING,
                    station=station,
                    transaction_id=event.transaction_id,
                    message_id=event.message_id,
                    detail="a message id already used came with different content",
                    evidence={"action": event.action},
                )
            )
        self._ids[id_key] = event.fingerprint
        if len(self._ids) > self.settings.remember_ids:
            self._ids.popitem(last=False)
        # 1.6: which transaction; ids issued.
        if event.version is OcppVersion.V16:
            resolved = self._resolve_16(station, event, pre)
            if resolved is None:
                self._remember(pre)
                return IngestResult(
                    station=station,
                    transaction_id=None,
                    duplicate=False,
                    anomalies=tuple(pre),
                    record=None,
                )
            if isinstance(resolved, IngestResult):
                self._remember([*pre, *resolved.anomalies])
                return attrs.evolve(resolved, anomalies=(*pre, *resolved.anomalies))
            event = resolved
        assert event.transaction_id is not None
        key = (station, event.transaction_id)
        old = self._records.get(key)
        record, anomalies, duplicate = apply_event(
            old, event, station=station, settings=self.settings
        )
        self._records[key] = record
        found = (*pre, *anomalies)
        self._remember(found)
        return IngestResult(
            station=station,
            transaction_id=event.transaction_id,
            duplicate=duplicate,
            anomalies=found,
            record=record,
        )

    def _resolve_16(
        self, station: str, event: TxEvent, pre: list[Anomaly]
    ) -> TxEvent | IngestResult | None:
        issued = self._issued.setdefault(station, set())
        if event.kind == "start":
            earlier = self._starts.get((station, event.fingerprint))
            if earlier is not None:
                record = self._records.get((station, earlier))
                if record is not None:
                    record = attrs.evolve(record, duplicates=record.duplicates + 1)
                    self._records[station, earlier] = record
                anomaly = Anomaly(
                    kind=AnomalyKind.DUPLICATE,
                    severity=Severity.INFO,
                    station=station,
                    transaction_id=earlier,
                    message_id=event.message_id,
                    detail=f"the same StartTransaction was already given transactionId {earlier}",
                    evidence={"transaction_id": earlier},
                )
                return IngestResult(
                    station=station,
                    transaction_id=earlier,
                    duplicate=True,
                    anomalies=(anomaly,),
                    record=record,
                )
            if event.transaction_id is None:
                pre.append(
                    Anomaly(
                        kind=AnomalyKind.UNKNOWN_TRANSACTION,
                        severity=Severity.ERROR,
                        station=station,
                        transaction_id=None,
                        message_id=event.message_id,
                        detail="a StartTransaction without the transactionId issued for it",
                        evidence={},
                    )
                )
                return None
            issued.add(event.transaction_id)
            self._starts[station, event.fingerprint] = event.transaction_id
            return event
        if event.transaction_id is None:
            return None  # meter values outside a transaction: not billing data
        if event.transaction_id not in issued:
            pre.append(
                Anomaly(
                    kind=AnomalyKind.TRANSACTION_ID_NOT_ISSUED,
                    severity=Severity.ERROR,
                    station=station,
                    transaction_id=event.transaction_id,
                    message_id=event.message_id,
                    detail=f"transactionId {event.transaction_id} was never issued by this CSMS",
                    evidence={"action": event.action},
                )
            )
        if (station, event.transaction_id) not in self._records:
            pre.append(
                Anomaly(
                    kind=AnomalyKind.UNKNOWN_TRANSACTION,
                    severity=Severity.ERROR,
                    station=station,
                    transaction_id=event.transaction_id,
                    message_id=event.message_id,
                    detail=f"{event.action} for a transaction that was never started",
                    evidence={"action": event.action},
                )
            )
        return event

    def __iter__(self) -> Iterator[TransactionRecord]:
        return iter(self._records.values())

    def __len__(self) -> int:
        return len(self._records)

    # --- persistence ------------------------------------------------------------------

    def to_json(self) -> str:
        """Return the whole ledger as a JSON document (see :meth:`from_json`).

        It holds everything the ledger knows: the settings, every record with
        all its fields, the 1.6 transaction ids issued, the remembered
        anomalies and counters, and the duplicate-detection state (message ids
        with their content fingerprints, 1.6 StartTransaction fingerprints,
        each record's ``seqNo`` entries and ranges). Fingerprints are stable
        across processes, so a reloaded ledger recognises a message delivered
        again after a restart.
        """
        doc = {
            "format": LEDGER_FORMAT,
            "settings": {name: getattr(self.settings, name) for name in _SETTINGS_FIELDS},
            "messages": self.messages,
            "anomalies_omitted": self.anomalies_omitted,
            "records": [_record_doc(r) for r in self._records.values()],
            "issued": {station: sorted(ids) for station, ids in self._issued.items()},
            "starts": [[s, fp, tx] for (s, fp), tx in self._starts.items()],
            "ids": [[s, mid, fp] for (s, mid), fp in self._ids.items()],
            "anomalies": [a.to_json() for a in self._anomalies],
        }
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(
        cls, data: str | bytes | Mapping[str, Any], settings: LedgerSettings | None = None
    ) -> Ledger:
        """Read a ledger written by :meth:`to_json` (e.g. after the CSMS restarted).

        Args:
            data: the document, as text or already parsed (``json.loads`` output).
            settings: thresholds to use from now on; ``None`` keeps the saved ones.

        Raises:
            DeliveryValueError: the data is not such a document; the field at
                fault is named (e.g. ``records[3].seq_nos``).
        """
        if isinstance(data, str | bytes | bytearray):
            try:
                doc = json.loads(data)
            except (ValueError, RecursionError) as exc:
                raise DeliveryValueError("ledger", f"not JSON: {exc}") from None
        else:
            doc = data
        if not isinstance(doc, Mapping) or doc.get("format") != LEDGER_FORMAT:
            raise DeliveryValueError("format", f"expected a {LEDGER_FORMAT!r} document")
        reader = _Reader()
        try:
            saved = reader.mapping(doc, "settings")
            reader.field = "settings"
            if settings is None:
                values: dict[str, Any] = {}
                for name in _SETTINGS_FIELDS:
                    reader.field = f"settings.{name}"
                    check = _int if name in ("max_samples", "remember_ids") else _float
                    values[name] = check(saved[name])
                settings = LedgerSettings(**values)
            ledger = cls(settings)
            reader.field = "messages"
            ledger.messages = _int(doc["messages"])
            reader.field = "anomalies_omitted"
            ledger.anomalies_omitted = _int(doc["anomalies_omitted"])
            for index, item in enumerate(reader.sequence(doc, "records")):
                record = reader.record(item, f"records[{index}]")
                key = (record.station, record.transaction_id)
                if key in ledger._records:
                    reader.field = f"records[{index}]"
                    raise ValueError(f"a second record of transaction {key[1]!r} of {key[0]!r}")
                ledger._records[key] = record
            for station, ids in reader.mapping(doc, "issued").items():
                reader.field = f"issued.{station}"
                ledger._issued[station] = {_str(x) for x in _list(ids)}
            for index, item in enumerate(reader.sequence(doc, "starts")):
                reader.field = f"starts[{index}]"
                station, fp, tx = _list(item, 3)
                ledger._starts[_str(station), _int(fp)] = _str(tx)
            for index, item in enumerate(reader.sequence(doc, "ids")):
                reader.field = f"ids[{index}]"
                station, mid, fp = _list(item, 3)
                ledger._ids[_str(station), _str(mid)] = _int(fp)
            for index, item in enumerate(reader.sequence(doc, "anomalies")):
                ledger._anomalies.append(reader.anomaly(item, f"anomalies[{index}]"))
        except DeliveryValueError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            detail = f"missing {exc}" if isinstance(exc, KeyError) else f"{exc!s:.160}"
            raise DeliveryValueError(
                reader.field, f"malformed ledger document ({detail})"
            ) from None
        return ledger


LEDGER_FORMAT: Final = "ocpp_core.delivery.ledger/1"
"""The ``format`` tag of :meth:`Ledger.to_json` documents."""

_SETTINGS_FIELDS: Final = tuple(f.name for f in attrs.fields(LedgerSettings))


def _record_doc(record: TransactionRecord) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for name in _RECORD_FIELDS:
        value = getattr(record, name)
        if isinstance(value, datetime):
            value = value.isoformat()
        doc[name] = value
    doc["version"] = record.version.value
    doc["registers"] = [[t.isoformat(), v] for t, v in record.registers]
    doc["intervals"] = [[t.isoformat(), v] for t, v in record.intervals]
    doc["states"] = [[t.isoformat(), s] for t, s in record.states]
    doc["limits"] = [
        {"name": x.name, "value": x.value, "at": x.at.isoformat()} for x in record.limits
    ]
    doc["seq_nos"] = [[seq, fp, when] for seq, (fp, when) in record.seq_nos.items()]
    doc["seq_ranges"] = [[lo, hi] for lo, hi in record.seq_ranges]
    doc["fingerprints"] = sorted(record.fingerprints)
    doc["anomalies"] = [a.to_json() for a in record.anomalies]
    return doc


# Strict converters for saved documents: a wrong type is an error, never coerced.


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r:.40}")
    return value


def _float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r:.40}")
    return float(value)


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r:.40}")
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r:.40}")
    return value


def _time(value: object) -> datetime:
    return datetime.fromisoformat(_str(value))


def _list(value: object, length: int | None = None) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    if length is not None and len(value) != length:
        raise ValueError(f"expected {length} items, got {len(value)}")
    return value


def _optional(check: Callable[[object], Any]) -> Callable[[object], Any]:
    return lambda value: None if value is None else check(value)


def _pairs(
    first: Callable[[object], Any], second: Callable[[object], Any]
) -> Callable[[object], Any]:
    def read(value: object) -> tuple[tuple[Any, Any], ...]:
        out = []
        for item in _list(value):
            a, b = _list(item, 2)
            out.append((first(a), second(b)))
        return tuple(out)

    return read


def _limits(value: object) -> tuple[Limit, ...]:
    out = []
    for item in _list(value):
        if not isinstance(item, Mapping):
            raise TypeError("a limit is not an object")
        out.append(
            Limit(name=_str(item["name"]), value=_float(item["value"]), at=_time(item["at"]))
        )
    return tuple(out)


def _seq_nos(value: object) -> dict[int, tuple[int, float | None]]:
    out: dict[int, tuple[int, float | None]] = {}
    for item in _list(value):
        seq, fp, when = _list(item, 3)
        out[_int(seq)] = (_int(fp), None if when is None else _float(when))
    return out


def _fingerprints(value: object) -> frozenset[int]:
    return frozenset(_int(x) for x in _list(value))


def _version_of(value: object) -> OcppVersion:
    return OcppVersion.parse(_str(value))


_OPT_STR: Final = _optional(_str)
_OPT_INT: Final = _optional(_int)
_OPT_FLOAT: Final = _optional(_float)
_OPT_TIME: Final = _optional(_time)
_RECORD_READERS: Final[dict[str, Callable[[object], Any]]] = {
    "station": _str,
    "transaction_id": _str,
    "version": _version_of,
    "started_at": _OPT_TIME,
    "start_trigger": _OPT_STR,
    "start_seq_no": _OPT_INT,
    "ended_at": _OPT_TIME,
    "end_trigger": _OPT_STR,
    "stopped_reason": _OPT_STR,
    "end_seq_no": _OPT_INT,
    "id_token": _OPT_STR,
    "id_token_type": _OPT_STR,
    "stop_id_token": _OPT_STR,
    "evse_id": _OPT_INT,
    "connector_id": _OPT_INT,
    "meter_start_wh": _OPT_FLOAT,
    "meter_stop_wh": _OPT_FLOAT,
    "registers": _pairs(_time, _float),
    "intervals": _pairs(_time, _float),
    "states": _pairs(_time, _str),
    "time_spent_charging": _OPT_INT,
    "offline": _bool,
    "limits": _limits,
    "seq_nos": _seq_nos,
    "seq_ranges": _pairs(_int, _int),
    "max_seq_no": _OPT_INT,
    "fingerprints": _fingerprints,
    "messages": _int,
    "duplicates": _int,
    "first_received_at": _OPT_TIME,
    "last_received_at": _OPT_TIME,
    "last_timestamp": _OPT_TIME,
    "anomalies_omitted": _int,
}


class _Reader:
    """Reads a saved ledger document, remembering the field being read for errors."""

    def __init__(self) -> None:
        self.field = "ledger"

    def mapping(self, doc: Mapping[str, Any], name: str) -> Mapping[str, Any]:
        self.field = name
        value = doc[name]
        if not isinstance(value, Mapping):
            raise TypeError(f"expected an object, got {type(value).__name__}")
        return value

    def sequence(self, doc: Mapping[str, Any], name: str) -> list[Any]:
        self.field = name
        return _list(doc[name])

    def record(self, item: object, where: str) -> TransactionRecord:
        self.field = where
        if not isinstance(item, Mapping):
            raise TypeError("a record is not an object")
        values: dict[str, Any] = {}
        for name, read in _RECORD_READERS.items():
            self.field = f"{where}.{name}"
            values[name] = read(item[name])
        anomalies = []
        for index, doc in enumerate(_list(item["anomalies"])):
            anomalies.append(self.anomaly(doc, f"{where}.anomalies[{index}]"))
        self.field = where
        return TransactionRecord(**values, anomalies=tuple(anomalies))

    def anomaly(self, item: object, where: str) -> Anomaly:
        self.field = where
        if not isinstance(item, Mapping):
            raise TypeError("an anomaly is not an object")
        evidence = item["evidence"]
        if not isinstance(evidence, Mapping):
            raise TypeError("evidence is not an object")
        return Anomaly(
            kind=_str(item["kind"]),
            severity=_str(item["severity"]),
            station=_str(item["station"]),
            transaction_id=_OPT_STR(item["transaction_id"]),
            message_id=_OPT_STR(item["message_id"]),
            detail=_str(item["detail"]),
            evidence=evidence,
        )
