"""The transaction ledger's ingest rate and its memory per open transaction.

Run: ``python bench/bench_ledger.py``.

Corpus: 500 transactions of 2.0.1 TransactionEvents (a Started with a
``Transaction.Begin`` register, 18 ``MeterValuePeriodic`` updates with an
energy register, power and current, one charging-state change, an Ended with
``Transaction.End``: 20 events each, 10,000 messages), interleaved over 50
stations as a CSMS receives them, plus the same shape in 1.6
(StartTransaction, MeterValues, StopTransaction). Typed messages are built
before timing; what is timed is ingesting them all into a fresh ledger.

Columns, measured in one run and interleaved round by round:

* ``ledger``: :meth:`ocpp_core.delivery.Ledger.ingest` of every message
  (normalising, duplicate detection, sequence and meter checks, clock checks,
  the record update);
* ``dict``: a plain dict-based baseline a CSMS might write by hand: one dict
  per transaction keyed by (station, id), a set of (transaction, seqNo) for
  duplicates, first/last register, start/end times; no anomaly checks.

The figure of merit is the ledger's messages per second (target: 10,000 or
more on one core) and the ratio of the two columns' times. Memory: with
``tracemalloc``, the bytes one open transaction holds after its Started and
N updated events (N = 10, 100, 1,000), i.e. the growth of the ledger's
records divided by the number of transactions. Nothing is asserted.
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import ROUNDS, calibrate, timed

from ocpp_core import v16, v201
from ocpp_core.delivery import Ledger

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
STATIONS = 50
TRANSACTIONS = 500
UPDATES = 18


def _meter(minute: int, wh: float, context: str) -> tuple[Any, ...]:
    return (
        v201.MeterValue(
            timestamp=T0 + timedelta(minutes=minute),
            sampled_value=(
                v201.SampledValue(value=wh, context=context),
                v201.SampledValue(value=7200.0, measurand="Power.Active.Import", context=context),
                v201.SampledValue(value=16.0, measurand="Current.Import", phase="L1"),
            ),
        ),
    )


def _event(tx: str, seq: int, kind: str, trigger: str, minute: int, wh: float, **info: Any) -> Any:
    context = {"Started": "Transaction.Begin", "Ended": "Transaction.End"}.get(
        kind, "Sample.Periodic"
    )
    return v201.TransactionEventRequest(
        event_type=kind,
        timestamp=T0 + timedelta(minutes=minute),
        trigger_reason=trigger,
        seq_no=seq,
        transaction_info=v201.Transaction(transaction_id=tx, **info),
        meter_value=_meter(minute, wh, context),
        evse=v201.EVSE(id=1, connector_id=1) if kind == "Started" else None,
        id_token=v201.IdToken(id_token="04A1B2", type="ISO14443") if kind == "Started" else None,
    )


def transaction_201(tx: str, updates: int) -> list[Any]:
    events = [_event(tx, 0, "Started", "Authorized", 0, 1000.0, charging_state="EVConnected")]
    events.append(
        _event(tx, 1, "Updated", "ChargingStateChanged", 1, 1000.0, charging_state="Charging")
    )
    for n in range(updates):
        events.append(
            _event(tx, n + 2, "Updated", "MeterValuePeriodic", n + 2, 1000.0 + 120.0 * (n + 1))
        )
    last = updates + 2
    events.append(
        _event(
            tx,
            last,
            "Ended",
            "EVCommunicationLost",
            last,
            1000.0 + 120.0 * (updates + 1),
            charging_state="Idle",
        )
    )
    return events


def transaction_16(tx: int, updates: int) -> list[Any]:
    start = v16.StartTransactionRequest(
        connector_id=1, id_tag=f"TAG{tx}", meter_start=1000, timestamp=T0
    )
    out: list[Any] = [start]
    for n in range(updates + 1):
        sample = v16.SampledValue(value=str(1000 + 120 * (n + 1)), context="Sample.Periodic")
        out.append(
            v16.MeterValuesRequest(
                connector_id=1,
                transaction_id=tx,
                meter_value=(
                    v16.MeterValue(
                        timestamp=T0 + timedelta(minutes=n + 1), sampled_value=(sample,)
                    ),
                ),
            )
        )
    out.append(
        v16.StopTransactionRequest(
            transaction_id=tx,
            meter_stop=1000 + 120 * (updates + 2),
            timestamp=T0 + timedelta(minutes=updates + 2),
        )
    )
    return out


def corpus(version: str) -> list[tuple[str, str, Any, int | None]]:
    """(station, message id, message, issued id) in the interleaved order a CSMS sees."""
    per_tx: list[list[tuple[str, str, Any, int | None]]] = []
    for t in range(TRANSACTIONS):
        station = f"CS{t % STATIONS}"
        messages = (
            transaction_201(f"tx-{t}", UPDATES)
            if version == "2.0.1"
            else (transaction_16(t, UPDATES))
        )
        per_tx.append(
            [
                (station, f"{t}-{i}", m, t if version == "1.6" and i == 0 else None)
                for i, m in enumerate(messages)
            ]
        )
    out = []
    for step in range(max(len(x) for x in per_tx)):
        for messages in per_tx:
            if step < len(messages):
                out.append(messages[step])
    return out


def run_ledger(items: list[tuple[str, str, Any, int | None]]) -> Ledger:
    ledger = Ledger()
    received = T0 + timedelta(hours=2)
    for station, message_id, message, issued in items:
        ledger.ingest(
            station, message, message_id=message_id, received_at=received, transaction_id=issued
        )
    return ledger


def run_dict(items: list[tuple[str, str, Any, int | None]]) -> dict[Any, Any]:
    """The hand-written baseline: the least a CSMS stores, no checks."""
    records: dict[tuple[str, str], dict[str, Any]] = {}
    seen: set[tuple[str, str, int]] = set()
    for station, _message_id, m, issued in items:
        if isinstance(m, v201.TransactionEventRequest):
            tx = m.transaction_info.transaction_id
            key = (station, tx, m.seq_no)
            if key in seen:
                continue
            seen.add(key)
            record = records.setdefault((station, tx), {"registers": []})
            if m.event_type == "Started":
                record["start"] = m.timestamp
            elif m.event_type == "Ended":
                record["end"] = m.timestamp
            for mv in m.meter_value or ():
                for sv in mv.sampled_value:
                    if sv.measurand is None and sv.phase is None:
                        record["registers"].append((mv.timestamp, sv.value))
        elif isinstance(m, v16.StartTransactionRequest):
            records[station, str(issued)] = {"start": m.timestamp, "meter_start": m.meter_start}
        elif isinstance(m, v16.StopTransactionRequest):
            record = records.setdefault((station, str(m.transaction_id)), {})
            record["end"], record["meter_stop"] = m.timestamp, m.meter_stop
        else:
            record = records.setdefault((station, str(m.transaction_id)), {})
            record.setdefault("registers", []).append(m.meter_value[0].timestamp)
    return records


def measure(columns: dict[str, Callable[[], Any]]) -> dict[str, float]:
    loops = {name: calibrate(fn) for name, fn in columns.items()}
    samples: dict[str, list[float]] = {name: [] for name in columns}
    for _ in range(ROUNDS):
        for name, fn in columns.items():
            samples[name].append(timed(fn, loops[name]))
    return {name: statistics.median(values) for name, values in samples.items()}


def memory_per_open_transaction(updates: int, count: int = 200) -> float:
    items = []
    for t in range(count):
        items.extend(("CS", f"{t}-{i}", m, None) for i, m in enumerate(
            transaction_201(f"tx-{t}", updates)[:-1]  # leave it open: no Ended
        ))  # fmt: skip
    ledger = Ledger()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    received = T0 + timedelta(hours=2)
    for station, message_id, message, _ in items:
        ledger.ingest(station, message, message_id=message_id, received_at=received)
    # The message-id memory (for duplicate detection) is per ledger and bounded
    # by settings.remember_ids; count the records only.
    ledger._ids.clear()
    ledger._anomalies.clear()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(ledger) == count
    return (after - before) / count


def cpu_seconds(fn: Callable[[], Any], rounds: int = 5) -> float:
    """The median CPU time of one call (immune to other processes sharing the machine)."""
    values = []
    for _ in range(rounds):
        start = time.process_time()
        fn()
        values.append(time.process_time() - start)
    return statistics.median(values)


def bench_version(version: str) -> None:
    items = corpus(version)
    ledger = run_ledger(items)
    assert all(r.complete for r in ledger), "every corpus transaction is complete"
    assert not ledger.anomalies(final=True), "the corpus is clean"
    times = measure({"ledger": lambda: run_ledger(items), "dict": lambda: run_dict(items)})
    cpu = cpu_seconds(lambda: run_ledger(items))
    rate = len(items) / cpu
    print(
        f"OCPP {version}: {len(items)} messages; wall: ledger {times['ledger'] * 1e3:.1f} ms, "
        f"dict baseline {times['dict'] * 1e3:.1f} ms, ledger/dict time ratio "
        f"{times['ledger'] / times['dict']:.1f}x; CPU: ledger {cpu * 1e3:.1f} ms = "
        f"{rate:,.0f} msg/s ({1e6 / rate:.1f} us/msg) on one core; target 10,000 msg/s: "
        f"{'met' if rate >= 10_000 else 'NOT met'}"
    )


def main() -> None:
    print(
        f"ledger ingest: {TRANSACTIONS} transactions x {UPDATES + 3} messages, "
        f"{STATIONS} stations, interleaved"
    )
    for version in ("2.0.1", "1.6"):
        bench_version(version)
    for updates in (10, 100, 1000):
        size = memory_per_open_transaction(updates, count=200 if updates < 1000 else 20)
        print(f"memory per open transaction after {updates + 2} events: {size / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
