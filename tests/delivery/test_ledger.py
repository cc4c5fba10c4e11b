"""The CSMS-side ledger: literal examples per version and a test for every anomaly."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpp_core import OcppVersion, v16, v21, v201
from ocpp_core.delivery import (
    AnomalyKind,
    DeliveryValueError,
    EnergySource,
    Ledger,
    LedgerSettings,
    Severity,
    apply_event,
    normalise,
)
from tests.delivery._build import at, meter16, start16, stop16, tx_event

V2X = [OcppVersion.V20, OcppVersion.V201, OcppVersion.V21]
LATER = at(24 * 60)  # arrival long after every event of the day


def kinds(result_anomalies: object) -> list[AnomalyKind]:
    return [a.kind for a in result_anomalies]  # type: ignore[attr-defined]


def feed(ledger: Ledger, version: OcppVersion, events: list[tuple[str, object]]) -> None:
    for message_id, message in events:
        ledger.ingest("CS1", message, message_id=message_id, received_at=LATER)
    del version


def full_2x(version: OcppVersion, tx: str = "tx-1") -> list[tuple[str, object]]:
    return [
        ("m0", tx_event(version, "Started", tx, 0, seq_no=0, wh=1000.0,
                        context="Transaction.Begin", state="EVConnected", token="04A1")),
        ("m1", tx_event(version, "Updated", tx, 1, seq_no=1, trigger="ChargingStateChanged",
                        state="Charging")),
        ("m2", tx_event(version, "Updated", tx, 31, seq_no=2, wh=4500.0,
                        context="Sample.Periodic")),
        ("m3", tx_event(version, "Updated", tx, 50, seq_no=3, trigger="ChargingStateChanged",
                        state="SuspendedEV")),
        ("m4", tx_event(version, "Ended", tx, 61, seq_no=4, wh=7000.0,
                        context="Transaction.End", state="Idle", stopped_reason="EVDisconnected")),
    ]  # fmt: skip


# --- literal examples per version -------------------------------------------------


@pytest.mark.parametrize("version", V2X)
def test_complete_2x_transaction(version: OcppVersion) -> None:
    ledger = Ledger()
    feed(ledger, version, full_2x(version))
    record = ledger.record("CS1", "tx-1")
    assert record is not None
    assert record.complete
    assert record.energy_source is EnergySource.REGISTER
    assert record.energy_wh == 7000.0 - 1000.0
    assert (record.meter_start_wh, record.meter_stop_wh) == (1000.0, 7000.0)
    assert record.start_trigger == "CablePluggedIn"
    assert record.end_trigger == "EVCommunicationLost"
    assert record.stopped_reason == "EVDisconnected"
    assert record.id_token == "04A1"
    assert (record.evse_id, record.connector_id) == (1, 1)
    # Charging from minute 1 to 50, the rest connected but idle: 60 s + 11 min.
    assert record.charging_seconds == 49 * 60
    assert record.idle_seconds == 60 + 11 * 60
    assert [a.kind for a in ledger.anomalies(final=True)] == []
    export = record.to_json()
    assert json.loads(json.dumps(export)) == export
    assert export["complete"] is True
    assert export["energy_wh"] == 6000.0
    summary = ledger.station_summary("CS1")
    assert summary["transactions"] == 1
    assert summary["complete"] == 1
    assert summary["energy_wh"] == 6000.0


def test_complete_16_transaction() -> None:
    ledger = Ledger()
    start = ledger.ingest(
        "CP1", start16(0, meter=2000), message_id="a", received_at=LATER, transaction_id=77
    )
    assert start.transaction_id == "77"
    assert not start.duplicate
    ledger.ingest("CP1", meter16(77, 30, "2.5", unit="kWh"), message_id="b", received_at=LATER)
    ledger.ingest("CP1", stop16(77, 60, 5200, reason="EVDisconnected", tag="TAG2"),
                  message_id="c", received_at=LATER)  # fmt: skip
    record = ledger.record("CP1", 77)
    assert record is not None
    assert record.complete
    assert record.energy_wh == 5200 - 2000
    assert record.registers[1][1] == 2500.0  # kWh read as Wh
    assert record.stopped_reason == "EVDisconnected"
    assert (record.id_token, record.stop_id_token) == ("TAG1", "TAG2")
    assert record.periods == ()  # 1.6 has no charging states in transaction messages
    assert ledger.anomalies(final=True) == []


def test_16_reason_defaults_to_local() -> None:
    ledger = Ledger()
    ledger.ingest("CP1", start16(0), message_id="a", transaction_id=1)
    ledger.ingest("CP1", stop16(1, 5, 1100), message_id="b")
    record = ledger.record("CP1", 1)
    assert record is not None
    assert record.stopped_reason == "Local"


def test_energy_from_intervals_states_the_source() -> None:
    version = OcppVersion.V201
    ledger = Ledger()
    measurand = "Energy.Active.Import.Interval"
    feed(ledger, version, [
        ("a", tx_event(version, "Started", "t", 0, seq_no=0)),
        ("b", tx_event(version, "Updated", "t", 15, seq_no=1, wh=0.75, unit="kWh",
                       measurand=measurand)),
        ("c", tx_event(version, "Updated", "t", 30, seq_no=2, wh=800.0, measurand=measurand)),
        ("d", tx_event(version, "Ended", "t", 45, seq_no=3, wh=700.0, measurand=measurand)),
    ])  # fmt: skip
    record = ledger.record("CS1", "t")
    assert record is not None
    assert record.energy_source is EnergySource.INTERVAL
    assert record.energy_wh == pytest.approx(750.0 + 800.0 + 700.0)


def test_no_energy_measured() -> None:
    ledger = Ledger()
    ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 0), message_id="a")
    record = ledger.record("CS1", "t")
    assert record is not None
    assert record.energy_source is EnergySource.NONE
    assert record.energy_wh is None


def test_limits_are_recorded_21() -> None:
    ledger = Ledger()
    offered21 = v21.SampledValue(value=7400.0, measurand="Power.Offered")
    ledger.ingest("CS1", tx_event("2.1", "Started", "t", 0, limit={"max_energy": 20000.0},
                                  extra_samples=(offered21,)), message_id="a")  # fmt: skip
    record = ledger.record("CS1", "t")
    assert record is not None
    assert {(x.name, x.value) for x in record.limits} == {
        ("maxEnergy", 20000.0),
        ("Power.Offered", 7400.0),
    }


def test_enum_inputs_accept_strings_and_every_versions_enums() -> None:
    ledger = Ledger()
    # The same event built from v201 enums and from plain strings is one event.
    plain = v201.TransactionEventRequest(
        event_type="Started",
        timestamp=at(0),
        trigger_reason="CablePluggedIn",
        seq_no=0,
        transaction_info=v201.Transaction(transaction_id="t"),
        evse=v201.EVSE(id=1, connector_id=1),
    )
    typed = attrs.evolve(
        plain,
        event_type=v201.TransactionEventEnum.STARTED,
        trigger_reason=v21.TriggerReasonEnum.CABLE_PLUGGED_IN,  # another version's enum
    )
    first = ledger.ingest("CS1", typed, message_id="a")
    assert first.record is not None
    assert first.record.start_trigger == "CablePluggedIn"
    assert ledger.ingest("CS1", plain, message_id="b").duplicate


# --- idempotency -----------------------------------------------------------------


@pytest.mark.parametrize("version", V2X)
def test_every_redelivery_changes_nothing(version: OcppVersion) -> None:
    once, twice = Ledger(), Ledger()
    events = full_2x(version)
    feed(once, version, events)
    for message_id, message in events:
        twice.ingest("CS1", message, message_id=message_id, received_at=LATER)
        # a retry under a new id, with the offline flag a station sets on resend (E11.FR.07)
        again = twice.ingest(
            "CS1", attrs_offline(message), message_id=message_id + "-retry", received_at=LATER
        )
        assert again.duplicate
        assert kinds(again.anomalies) == [AnomalyKind.DUPLICATE]
    a, b = once.record("CS1", "tx-1"), twice.record("CS1", "tx-1")
    assert a is not None
    assert b is not None
    assert b.duplicates == len(events)
    assert a.to_json() | {"duplicates": 0, "offline": False} == b.to_json() | {
        "duplicates": 0,
        "offline": False,
    }


def attrs_offline(message: object) -> object:
    return attrs.evolve(message, offline=True)  # type: ignore[misc]


def test_16_duplicate_start_returns_the_first_transaction_id() -> None:
    ledger = Ledger()
    first = ledger.ingest("CP1", start16(0), message_id="a", transaction_id=5)
    again = ledger.ingest("CP1", start16(0), message_id="b", transaction_id=6)
    assert (first.transaction_id, again.transaction_id, again.duplicate) == ("5", "5", True)
    assert len(ledger) == 1
    same_id = ledger.ingest("CP1", start16(0), message_id="a", transaction_id=5)
    assert same_id.duplicate
    assert same_id.transaction_id == "5"


# --- every anomaly -----------------------------------------------------------------


def anomaly_kinds(ledger: Ledger, *, final: bool = True) -> set[AnomalyKind]:
    return {a.kind for a in ledger.anomalies(final=final)}


def test_anomaly_duplicate() -> None:
    ledger = Ledger()
    ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 0), message_id="a")
    result = ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 0), message_id="a")
    assert result.duplicate
    (anomaly,) = result.anomalies
    assert anomaly.kind is AnomalyKind.DUPLICATE
    assert anomaly.severity is Severity.INFO


def test_anomaly_message_id_reused() -> None:
    ledger = Ledger()
    ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 0), message_id="a")
    result = ledger.ingest("CS1", tx_event("2.0.1", "Updated", "t", 1, seq_no=1), message_id="a")
    assert kinds(result.anomalies) == [AnomalyKind.MESSAGE_ID_REUSED]
    assert not result.duplicate


def test_anomaly_malformed_touches_no_record() -> None:
    ledger = Ledger()
    ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 0), message_id="a")
    before = ledger.record("CS1", "t")
    result = ledger.ingest_payload("CS1", "2.0.1", "TransactionEvent", {"eventType": "Nope"},
                                   message_id="b")  # fmt: skip
    assert kinds(result.anomalies) == [AnomalyKind.MALFORMED]
    assert "eventType" in result.anomalies[0].detail or "required" in result.anomalies[0].detail
    assert ledger.record("CS1", "t") is before
    ignored = ledger.ingest_payload("CS1", "2.0.1", "Heartbeat", {}, message_id="c")
    assert ignored.record is None
    assert ignored.anomalies == ()


def test_anomaly_seq_no_gap_and_completeness() -> None:
    version = OcppVersion.V201
    ledger = Ledger()
    events = full_2x(version)
    feed(ledger, version, [events[0], events[1], events[3], events[4]])  # seqNo 2 lost
    record = ledger.record("CS1", "tx-1")
    assert record is not None
    assert not record.complete
    assert record.missing_seq_nos == (2,)
    (gap,) = [a for a in ledger.anomalies() if a.kind is AnomalyKind.SEQ_NO_GAP]
    assert gap.evidence["missing"] == [2]
    # The late message heals it.
    feed(ledger, version, [events[2]])
    healed = ledger.record("CS1", "tx-1")
    assert healed is not None
    assert healed.complete
    assert AnomalyKind.SEQ_NO_GAP not in anomaly_kinds(ledger)


def test_anomaly_seq_no_duplicate() -> None:
    ledger = Ledger()
    ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 0), message_id="a")
    ledger.ingest("CS1", tx_event("2.0.1", "Updated", "t", 1, seq_no=1), message_id="b")
    result = ledger.ingest(
        "CS1", tx_event("2.0.1", "Updated", "t", 2, seq_no=1, wh=5.0), message_id="c"
    )
    assert kinds(result.anomalies) == [AnomalyKind.SEQ_NO_DUPLICATE]
    record = ledger.record("CS1", "t")
    assert record is not None
    assert record.registers == ()


def test_anomaly_seq_no_reordered() -> None:
    ledger = Ledger()
    ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 0), message_id="a")
    ledger.ingest("CS1", tx_event("2.0.1", "Updated", "t", 2, seq_no=2), message_id="c")
    result = ledger.ingest("CS1", tx_event("2.0.1", "Updated", "t", 1, seq_no=1), message_id="b")
    assert kinds(result.anomalies) == [AnomalyKind.SEQ_NO_REORDERED]
    assert result.anomalies[0].evidence == {"seq_no": 1, "max_seq_no": 2}


@pytest.mark.parametrize("seq_no", [-1, 2**31])
def test_anomaly_seq_no_out_of_range(seq_no: int) -> None:
    ledger = Ledger()
    result = ledger.ingest(
        "CS1", tx_event("2.0.1", "Started", "t", 0, seq_no=seq_no, wh=10.0), message_id="a"
    )
    assert AnomalyKind.SEQ_NO_OUT_OF_RANGE in kinds(result.anomalies)
    record = ledger.record("CS1", "t")
    assert record is not None
    assert record.started
    assert record.max_seq_no is None


def test_anomaly_meter_backwards_in_time_order_not_arrival_order() -> None:
    ledger = Ledger()
    ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 0, wh=100.0), message_id="a")
    # Arrives out of order but consistent: no anomaly.
    ledger.ingest("CS1", tx_event("2.0.1", "Updated", "t", 20, seq_no=2, wh=300.0), message_id="c")
    ok = ledger.ingest(
        "CS1", tx_event("2.0.1", "Updated", "t", 10, seq_no=1, wh=200.0), message_id="b"
    )
    assert AnomalyKind.METER_BACKWARDS not in kinds(ok.anomalies)
    bad = ledger.ingest(
        "CS1", tx_event("2.0.1", "Updated", "t", 30, seq_no=3, wh=250.0), message_id="d"
    )
    (anomaly,) = [a for a in bad.anomalies if a.kind is AnomalyKind.METER_BACKWARDS]
    assert anomaly.evidence["earlier"][1] == 300.0
    assert anomaly.evidence["reading"][1] == 250.0


def test_anomaly_meter_backwards_16_stop_below_start() -> None:
    ledger = Ledger()
    ledger.ingest("CP1", start16(0, meter=5000), message_id="a", transaction_id=1)
    result = ledger.ingest("CP1", stop16(1, 30, 4000), message_id="b")
    assert AnomalyKind.METER_BACKWARDS in kinds(result.anomalies)


def test_anomaly_meter_jump() -> None:
    ledger = Ledger(LedgerSettings(max_power_w=50_000.0))
    ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 0, wh=0.0), message_id="a")
    # 100 kWh in one minute is 6 MW.
    result = ledger.ingest(
        "CS1", tx_event("2.0.1", "Updated", "t", 1, seq_no=1, wh=100_000.0), message_id="b"
    )
    (jump,) = [a for a in result.anomalies if a.kind is AnomalyKind.METER_JUMP]
    assert jump.severity is Severity.WARNING


def test_huge_multiplier_is_an_impossible_value_20() -> None:
    from ocpp_core import v20

    sample = v20.SampledValue(value=1.0, unit_of_measure=v20.UnitOfMeasure(multiplier=400))
    message = tx_event("2.0", "Started", "t", 0, extra_samples=(sample,))
    result = Ledger().ingest("CS1", message, message_id="a")
    assert kinds(result.anomalies) == [AnomalyKind.METER_IMPOSSIBLE]


@pytest.mark.parametrize("value", [-5.0, float("inf")])
def test_anomaly_meter_impossible_2x(value: float) -> None:
    ledger = Ledger()
    result = ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 0, wh=value), message_id="a")
    assert kinds(result.anomalies) == [AnomalyKind.METER_IMPOSSIBLE]
    record = ledger.record("CS1", "t")
    assert record is not None
    assert record.registers == ()
    assert record.started


def test_anomaly_meter_impossible_16() -> None:
    ledger = Ledger()
    start = ledger.ingest("CP1", start16(0, meter=-20), message_id="a", transaction_id=1)
    assert kinds(start.anomalies) == [AnomalyKind.METER_IMPOSSIBLE]
    unreadable = ledger.ingest("CP1", meter16(1, 5, "12,5"), message_id="b")
    assert kinds(unreadable.anomalies) == [AnomalyKind.METER_IMPOSSIBLE]
    stop = ledger.ingest("CP1", stop16(1, 9, -1), message_id="c")
    assert kinds(stop.anomalies) == [AnomalyKind.METER_IMPOSSIBLE]


def test_impossible_values_never_corrupt_another_record() -> None:
    ledger = Ledger()
    feed(ledger, OcppVersion.V201, full_2x(OcppVersion.V201, "good"))
    good = ledger.record("CS1", "good")
    ledger.ingest("CS1", tx_event("2.0.1", "Started", "bad", 0, seq_no=-3, wh=-1.0),
                  message_id="x", received_at=at(0))  # fmt: skip
    ledger.ingest_payload("CS1", "2.0.1", "TransactionEvent", [], message_id="y")
    ledger.ingest("CS1", tx_event("2.0.1", "Updated", "bad", 10**6, seq_no=5, wh=1e300),
                  message_id="z", received_at=at(0))  # fmt: skip
    assert ledger.record("CS1", "good") is good


def test_anomaly_event_after_end_2x() -> None:
    ledger = Ledger()
    ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 0), message_id="a")
    ledger.ingest("CS1", tx_event("2.0.1", "Ended", "t", 5, seq_no=1), message_id="b")
    result = ledger.ingest("CS1", tx_event("2.0.1", "Updated", "t", 6, seq_no=2), message_id="c")
    assert kinds(result.anomalies) == [AnomalyKind.EVENT_AFTER_END]
    # And the other way round: the later event arrives before the Ended.
    other = Ledger()
    other.ingest("CS1", tx_event("2.0.1", "Started", "u", 0), message_id="a")
    other.ingest("CS1", tx_event("2.0.1", "Updated", "u", 6, seq_no=2), message_id="c")
    ended = other.ingest("CS1", tx_event("2.0.1", "Ended", "u", 5, seq_no=1), message_id="b")
    assert AnomalyKind.EVENT_AFTER_END in kinds(ended.anomalies)


def test_anomaly_event_after_end_16() -> None:
    ledger = Ledger()
    ledger.ingest("CP1", start16(0), message_id="a", transaction_id=1)
    ledger.ingest("CP1", stop16(1, 10, 1500), message_id="b")
    result = ledger.ingest("CP1", meter16(1, 12, 1600), message_id="c")
    assert AnomalyKind.EVENT_AFTER_END in kinds(result.anomalies)


def test_anomaly_conflicting_event() -> None:
    ledger = Ledger()
    ledger.ingest("CP1", start16(0), message_id="a", transaction_id=1)
    ledger.ingest("CP1", stop16(1, 10, 1500), message_id="b")
    result = ledger.ingest("CP1", stop16(1, 11, 1600), message_id="c")
    assert AnomalyKind.CONFLICTING_EVENT in kinds(result.anomalies)
    record = ledger.record("CP1", 1)
    assert record is not None
    assert record.meter_stop_wh == 1500
    started = Ledger()
    started.ingest("CS1", tx_event("2.0.1", "Started", "t", 0, seq_no=0), message_id="a")
    second = started.ingest("CS1", tx_event("2.0.1", "Started", "t", 1, seq_no=1), message_id="b")
    assert kinds(second.anomalies) == [AnomalyKind.CONFLICTING_EVENT]


def test_anomaly_never_ended() -> None:
    ledger = Ledger(LedgerSettings(stale_after=3600.0))
    ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 0), message_id="a", received_at=at(0))
    assert AnomalyKind.NEVER_ENDED not in anomaly_kinds(ledger, final=False)
    assert AnomalyKind.NEVER_ENDED not in {a.kind for a in ledger.anomalies(now=at(30))}
    assert AnomalyKind.NEVER_ENDED in {a.kind for a in ledger.anomalies(now=at(61))}
    assert AnomalyKind.NEVER_ENDED in anomaly_kinds(ledger, final=True)


def test_anomaly_missing_start() -> None:
    ledger = Ledger()
    ledger.ingest("CS1", tx_event("2.0.1", "Updated", "t", 3, seq_no=3), message_id="a")
    found = anomaly_kinds(ledger, final=False)
    assert AnomalyKind.MISSING_START in found
    assert AnomalyKind.SEQ_NO_GAP in found


def test_anomaly_unknown_transaction_and_not_issued_16() -> None:
    ledger = Ledger()
    result = ledger.ingest("CP1", stop16(999, 10, 1500), message_id="a")
    assert set(kinds(result.anomalies)) == {
        AnomalyKind.UNKNOWN_TRANSACTION,
        AnomalyKind.TRANSACTION_ID_NOT_ISSUED,
    }
    record = ledger.record("CP1", 999)
    assert record is not None
    assert not record.complete
    assert record.ended
    # An id issued outside the ledger is not "never issued", but still unknown.
    ledger.issued("CP1", 1000)
    other = ledger.ingest("CP1", meter16(1000, 1, 10), message_id="b")
    assert kinds(other.anomalies) == [AnomalyKind.UNKNOWN_TRANSACTION]
    # A StartTransaction without an issued id cannot be filed.
    lost = ledger.ingest("CP1", start16(3), message_id="c")
    assert lost.record is None
    assert kinds(lost.anomalies) == [AnomalyKind.UNKNOWN_TRANSACTION]


def test_anomaly_transaction_id_not_issued_only() -> None:
    ledger = Ledger()
    ledger.ingest("CP1", stop16(5, 10, 1500), message_id="a")  # creates the record
    result = ledger.ingest("CP1", meter16(5, 9, 1400), message_id="b")
    assert kinds(result.anomalies) == [AnomalyKind.TRANSACTION_ID_NOT_ISSUED]


def test_anomaly_clock_skew_future_timestamp() -> None:
    ledger = Ledger()
    arrival = at(0)
    near = ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 10), message_id="a",
                         received_at=arrival)  # fmt: skip
    (skew,) = near.anomalies
    assert skew.kind is AnomalyKind.CLOCK_SKEW
    assert skew.severity is Severity.WARNING
    assert skew.evidence["ahead_s"] == 600.0
    far = ledger.ingest("CS1", tx_event("2.0.1", "Started", "u", 3 * 24 * 60), message_id="b",
                        received_at=arrival)  # fmt: skip
    assert far.anomalies[0].severity is Severity.ERROR


def test_anomaly_clock_skew_against_sequence_2x() -> None:
    ledger = Ledger()
    ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 60), message_id="a")
    result = ledger.ingest("CS1", tx_event("2.0.1", "Updated", "t", 0, seq_no=1), message_id="b")
    assert kinds(result.anomalies) == [AnomalyKind.CLOCK_SKEW]


def test_anomaly_clock_skew_against_arrival_16() -> None:
    ledger = Ledger()
    ledger.ingest("CP1", start16(60), message_id="a", transaction_id=1)
    result = ledger.ingest("CP1", meter16(1, 0, 1200), message_id="b")
    assert AnomalyKind.CLOCK_SKEW in kinds(result.anomalies)


def test_every_anomaly_kind_has_a_test() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    for kind in AnomalyKind:
        assert f"def test_anomaly_{kind.value.replace('-', '_')}" in source, kind


# --- the pure fold and bad use --------------------------------------------------------


def test_apply_event_is_pure() -> None:
    event = normalise(tx_event("2.0.1", "Started", "t", 0, wh=1.0), message_id="a")
    record, anomalies, duplicate = apply_event(None, event, station="CS1")
    again, _, dup = apply_event(record, event, station="CS1")
    assert not duplicate
    assert dup
    assert anomalies == ()
    assert record.duplicates == 0
    assert again.duplicates == 1
    with pytest.raises(DeliveryValueError, match="transaction_id"):
        apply_event(None, normalise(start16(0), message_id="x"), station="CP1")


def test_host_errors_are_typed() -> None:
    ledger = Ledger()
    with pytest.raises(DeliveryValueError, match="message"):
        ledger.ingest("CS1", object(), message_id="a")
    with pytest.raises(DeliveryValueError, match="not a transaction message"):
        ledger.ingest("CS1", v16.HeartbeatRequest(), message_id="a")
    with pytest.raises(DeliveryValueError, match="version"):
        ledger.ingest_payload("CS1", "9.9", "TransactionEvent", {}, message_id="a")


def test_bounded_per_record_samples() -> None:
    ledger = Ledger(LedgerSettings(max_samples=10))
    ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 0, wh=0.0), message_id="s")
    for n in range(1, 40):
        ledger.ingest("CS1", tx_event("2.0.1", "Updated", "t", n, seq_no=n, wh=100.0 * n),
                      message_id=f"m{n}")  # fmt: skip
    ledger.ingest("CS1", tx_event("2.0.1", "Ended", "t", 40, seq_no=40, wh=4000.0,
                                  context="Transaction.End"), message_id="e")  # fmt: skip
    record = ledger.record("CS1", "t")
    assert record is not None
    assert len(record.registers) <= 11
    assert len(record.seq_nos) <= 10
    assert record.energy_wh == 4000.0
    assert record.messages == 41
    assert record.complete  # which numbers were seen is kept beyond the bound
    assert record.seq_ranges == ((0, 40),)
    again = ledger.ingest("CS1", tx_event("2.0.1", "Updated", "t", 30, seq_no=30, wh=3000.0),
                          message_id="m30-retry")  # fmt: skip
    assert again.duplicate


@given(seen=st.sets(st.integers(0, 60)), start=st.none() | st.integers(0, 5))
def test_missing_seq_nos_against_a_set_oracle(seen: set[int], start: int | None) -> None:
    ledger = Ledger(LedgerSettings(max_samples=7))
    if start is not None:
        ledger.ingest("CS1", tx_event("2.0.1", "Started", "t", 0, seq_no=start), message_id="s")
        seen = seen | {start}
    for n in sorted(seen - {start}, key=lambda x: (x * 7919) % 61):  # a scrambled order
        ledger.ingest("CS1", tx_event("2.0.1", "Updated", "t", n, seq_no=n), message_id=f"m{n}")
    record = ledger.record("CS1", "t")
    if not seen:
        assert record is None
        return
    assert record is not None
    low = start if start is not None else 0
    expected = tuple(n for n in range(low, max(seen) + 1) if n not in seen)
    assert record.missing_seq_nos == expected
    flat = [n for lo, hi in record.seq_ranges for n in range(lo, hi + 1)]
    assert flat == sorted(seen)


def test_summary_counts_open_and_offline() -> None:
    ledger = Ledger()
    ledger.ingest("CS1", tx_event("2.0.1", "Started", "a", 0, offline=True), message_id="1")
    feed(ledger, OcppVersion.V201, full_2x(OcppVersion.V201, "b"))
    summary = ledger.station_summary("CS1")
    assert (summary["transactions"], summary["open"], summary["offline"]) == (2, 1, 1)
    assert ledger.stations() == ["CS1"]
    assert [r.transaction_id for r in ledger.records("CS1")] == ["a", "b"]
    assert summary["energy_unknown"] == 1
    assert LATER - at(0) == timedelta(days=1)


# --- hostile input -----------------------------------------------------------------------

_TX_ACTIONS = [
    ("1.6", "StartTransaction"),
    ("1.6", "StopTransaction"),
    ("1.6", "MeterValues"),
    ("2.0", "TransactionEvent"),
    ("2.0.1", "TransactionEvent"),
    ("2.1", "TransactionEvent"),
]


@pytest.mark.parametrize(("version", "action"), _TX_ACTIONS)
@given(data=st.data())
def test_any_valid_message_is_taken_without_raising(
    version: str, action: str, data: st.DataObject
) -> None:
    """Every schema-valid message (strategies.messages) is filed or reported, never raised."""
    from ocpp_core import strategies

    ledger = Ledger()
    for message_id, message in full_2x(OcppVersion.V201, "keep"):
        ledger.ingest("CS1", message, message_id=message_id)
    kept = ledger.record("CS1", "keep")
    touched = set()
    for n in range(3):
        message = data.draw(strategies.messages(version, action, "request"))
        arrival = data.draw(st.none() | st.just(at(n)))
        result = ledger.ingest(
            "CS1", message, message_id=f"x{n}", received_at=arrival, transaction_id=n
        )
        touched.add(result.transaction_id)
        for anomaly in result.anomalies:
            json.dumps(anomaly.to_json())
    for record in ledger:
        json.dumps(record.to_json())
        record.derived_anomalies(final=True)
    if "keep" not in touched:  # another transaction's messages never touch this record
        assert ledger.record("CS1", "keep") is kept
