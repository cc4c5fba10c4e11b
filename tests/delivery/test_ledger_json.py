"""Persisting the transaction ledger: save, reload, and keep recognising re-deliveries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core import OcppVersion
from ocpp_core.delivery import LEDGER_FORMAT, Ledger, LedgerSettings
from ocpp_core.errors import DeliveryError, DeliveryValueError
from tests.delivery._build import at, meter16, start16, stop16, tx_event

ROOT = Path(__file__).resolve().parents[2]
V2X = [OcppVersion.V20, OcppVersion.V201, OcppVersion.V21]

# (station, message id, message, 1.6 transaction id to issue)
Item = tuple[str, str, Any, int | None]


def pool(version: OcppVersion) -> list[Item]:
    """Messages of two stations, two transactions each, with odd ones (gaps, bad values)."""
    items: list[Item] = []
    for station in ("CS1", "CS2"):
        for n in range(2):
            if version is OcppVersion.V16:
                tx = 100 + n + (10 if station == "CS2" else 0)
                items.append((station, f"{station}-{n}-s", start16(n, 1000 + n), tx))
                for k in range(3):
                    wh = 1500 + 500 * k if k != 1 else 900  # one reading runs backwards
                    items.append((station, f"{station}-{n}-m{k}", meter16(tx, n + k + 1, wh), None))
                items.append((station, f"{station}-{n}-e", stop16(tx, n + 9, 4000 + n), None))
                items.append((station, f"{station}-{n}-x", stop16(999, n + 9, 10), None))
            else:
                tx = f"{station}-tx{n}"
                items.append(
                    (station, f"{tx}-0", tx_event(version, "Started", tx, n, seq_no=0,
                                                  wh=1000.0, context="Transaction.Begin",
                                                  state="EVConnected", token="04A1"), None)
                )  # fmt: skip
                for seq in (1, 2, 4):  # 3 never comes: a gap
                    items.append(
                        (station, f"{tx}-{seq}", tx_event(version, "Updated", tx, n + seq,
                                                          seq_no=seq, wh=1000.0 + 700 * seq,
                                                          state="Charging"), None)
                    )  # fmt: skip
                items.append(
                    (station, f"{tx}-5", tx_event(version, "Ended", tx, n + 20, seq_no=5,
                                                  wh=6000.0, context="Transaction.End",
                                                  stopped_reason="EVDisconnected"), None)
                )  # fmt: skip
    return items


def ingest(ledger: Ledger, item: Item, minute: float) -> tuple[Any, ...]:
    station, message_id, message, tx = item
    result = ledger.ingest(
        station, message, message_id=message_id, received_at=at(minute), transaction_id=tx
    )
    return result.transaction_id, result.duplicate, result.anomalies, result.record


def reload(ledger: Ledger) -> Ledger:
    """Save, pass through text as a host would store it, and load."""
    text = json.dumps(json.loads(ledger.to_json()))
    return Ledger.from_json(text)


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[OcppVersion, list[tuple[Item, bool]], list[int]]:
    """A delivery order with re-deliveries (same or new message id) and restart points."""
    version = draw(st.sampled_from([OcppVersion.V16, *V2X]))
    items = pool(version)
    order = draw(st.permutations(items))
    # Any order: a 1.6 message before its start is an anomaly, the same in both ledgers.
    sequence: list[tuple[Item, bool]] = []
    for item in order:
        sequence.append((item, False))
        if draw(st.booleans()):
            sequence.append((item, draw(st.booleans())))  # True: resent under a new id
    restarts = draw(st.lists(st.integers(0, len(sequence)), max_size=3))
    return version, sequence, sorted(set(restarts))


@settings(max_examples=60, deadline=None)
@given(deliveries())
def test_round_trip_equals_a_ledger_that_never_restarted(
    case: tuple[OcppVersion, list[tuple[Item, bool]], list[int]],
) -> None:
    _, sequence, restarts = case
    steady = Ledger()
    restarted = Ledger()
    for step, ((station, message_id, message, tx), new_id) in enumerate(sequence):
        if step in restarts:
            restarted = reload(restarted)
        item = (station, message_id + ("-again" * new_id), message, tx)
        assert ingest(restarted, item, step) == ingest(steady, item, step)
    restarted = reload(restarted)
    assert restarted.records() == steady.records()
    assert restarted.anomalies(final=True) == steady.anomalies(final=True)
    assert restarted.messages == steady.messages
    assert restarted.to_json() == steady.to_json()
    # Every message delivered again after the last restart is still recognised.
    for step, ((station, message_id, message, tx), _) in enumerate(sequence):
        item = (station, message_id, message, tx)
        assert ingest(restarted, item, 1000 + step) == ingest(steady, item, 1000 + step)


@pytest.mark.parametrize("version", V2X)
def test_restart_then_duplicate_2x(version: OcppVersion) -> None:
    ledger = Ledger()
    event = tx_event(version, "Started", "t1", 0, seq_no=0, wh=10.0, context="Transaction.Begin")
    ledger.ingest("CS1", event, message_id="a", received_at=at(0))
    ledger = reload(ledger)
    same_id = ledger.ingest("CS1", event, message_id="a", received_at=at(1))
    new_id = ledger.ingest("CS1", event, message_id="b", received_at=at(2))
    assert same_id.duplicate
    assert new_id.duplicate
    record = ledger.record("CS1", "t1")
    assert record is not None
    assert (record.messages, record.duplicates) == (1, 2)


def test_restart_then_duplicate_16_start_answers_the_first_id() -> None:
    ledger = Ledger()
    ledger.ingest("CS1", start16(0), message_id="s", received_at=at(0), transaction_id=7)
    ledger = reload(ledger)
    again = ledger.ingest("CS1", start16(0), message_id="s2", received_at=at(1), transaction_id=8)
    assert again.duplicate
    assert again.transaction_id == "7"
    stop = ledger.ingest("CS1", stop16(7, 5, 2000), message_id="e", received_at=at(5))
    assert not stop.anomalies  # 7 is still known as issued and started
    assert ledger.ingest("CS1", stop16(7, 5, 2000), message_id="e", received_at=at(6)).duplicate


def test_saved_settings_come_back_unless_overridden() -> None:
    ledger = Ledger(LedgerSettings(max_power_w=5.0, max_samples=7))
    assert Ledger.from_json(ledger.to_json()).settings == ledger.settings
    other = LedgerSettings(clock_tolerance=1.0)
    assert Ledger.from_json(ledger.to_json(), settings=other).settings == other


_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
from tests.delivery.test_ledger_json import pool, ingest
from ocpp_core import OcppVersion
from ocpp_core.delivery import Ledger
ledger = Ledger()
for version in OcppVersion:
    for step, item in enumerate(pool(version)):
        ingest(ledger, (item[0] + version.value, *item[1:]), step)
print(ledger.to_json())
"""


def test_fingerprints_are_stable_across_processes() -> None:
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(ROOT)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1]
    fingerprints = [fp for _, _, fp in outputs[0]["ids"]]
    assert len(set(fingerprints)) > 50  # distinct contents get distinct fingerprints
    # And this process (another hash seed again) computes the same ones.
    ledger = Ledger.from_json(outputs[0])
    for version in OcppVersion:
        for step, item in enumerate(pool(version)):
            result = ingest(ledger, (item[0] + version.value, *item[1:]), 500 + step)
            assert result[1], item[1]  # every message is recognised as a duplicate


# --- malformed documents ------------------------------------------------------------


def saved() -> dict[str, Any]:
    ledger = Ledger()
    for step, item in enumerate(pool(OcppVersion.V201) + pool(OcppVersion.V16)):
        ingest(ledger, item, step)
    doc: dict[str, Any] = json.loads(ledger.to_json())
    return doc


def _set(path: list[Any], value: Any) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _delete(path: list[Any]) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_set(["format"], "ocpp_core.delivery.queue/1"), "format"),
        (_delete(["records"]), "records"),
        (_set(["records"], {}), "records"),
        (_set(["records", 0], []), "records[0]"),
        (_delete(["records", 1, "seq_nos"]), "records[1].seq_nos"),
        (_set(["records", 0, "seq_nos"], [[0, "x", None]]), "records[0].seq_nos"),
        (_set(["records", 0, "started_at"], "yesterday"), "records[0].started_at"),
        (_set(["records", 0, "started_at"], 12), "records[0].started_at"),
        (_set(["records", 0, "version"], "9.9"), "records[0].version"),
        (_set(["records", 0, "registers"], [[1, 2, 3]]), "records[0].registers"),
        (_set(["records", 0, "messages"], "3"), "records[0].messages"),
        (_set(["records", 0, "messages"], True), "records[0].messages"),
        (_set(["records", 0, "offline"], 0), "records[0].offline"),
        (_set(["records", 0, "meter_start_wh"], "1000"), "records[0].meter_start_wh"),
        (_set(["records", 0, "fingerprints"], [None]), "records[0].fingerprints"),
        (_set(["records", 0, "limits"], [{"name": "x"}]), "records[0].limits"),
        (_set(["records", 0, "anomalies"], [{"kind": "nonsense"}]), "records[0].anomalies[0]"),
        (_set(["issued"], []), "issued"),
        (_set(["issued", "CS1"], [1]), "issued.CS1"),
        (_set(["starts", 0], ["CS1", 1]), "starts[0]"),
        (_set(["ids", 0], ["CS1", "m", "fp"]), "ids[0]"),
        (_set(["anomalies", 0, "evidence"], []), "anomalies[0]"),
        (_set(["anomalies", 0, "severity"], "fatal"), "anomalies[0]"),
        (_set(["settings", "max_samples"], 1.5), "settings.max_samples"),
        (_delete(["settings", "stale_after"]), "settings.stale_after"),
        (_delete(["messages"]), "messages"),
    ],
)
def test_malformed_document_names_the_field(mutate: Any, field: str) -> None:
    doc = saved()
    assert doc["format"] == LEDGER_FORMAT
    assert doc["anomalies"]
    assert doc["starts"]
    mutate(doc)
    for data in (doc, json.dumps(doc)):
        with pytest.raises(DeliveryValueError) as info:
            Ledger.from_json(data)
        assert info.value.field == field


def test_a_second_record_of_one_transaction_is_refused() -> None:
    doc = saved()
    doc["records"].append(doc["records"][0])
    with pytest.raises(DeliveryValueError) as info:
        Ledger.from_json(doc)
    assert info.value.field == f"records[{len(doc['records']) - 1}]"


@pytest.mark.parametrize("text", ["", "{", "[]", "null", b"\xff", "[" * 100_000, '{"format": 1}'])
def test_not_a_ledger_document(text: str | bytes) -> None:
    with pytest.raises(DeliveryError):
        Ledger.from_json(text)


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@given(JUNK)
@settings(max_examples=80, deadline=None)
def test_any_json_in_any_field_raises_only_delivery_errors(junk: Any) -> None:
    doc = saved()
    for key in ("records", "issued", "starts", "ids", "anomalies", "settings", "messages"):
        broken = json.loads(json.dumps(doc))
        broken[key] = junk
        field = key
        try:
            ledger: Ledger | None = Ledger.from_json(broken)
        except DeliveryValueError as exc:
            ledger, field = None, exc.field
        assert field.split("[")[0].split(".")[0] == key
        assert ledger is None or len(ledger) == len(doc["records"]) or key == "records"
