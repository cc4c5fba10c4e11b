"""``ocpp-core transactions`` and the ledger's findings in ``ocpp-core check``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from ocpp_core._cli import main
from ocpp_core._cli.transactions import ledger_from_lines
from ocpp_core.delivery import AnomalyKind

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "examples" / "logs"
OFFLINE_201 = LOGS / "ocpp201-offline-replay.log"
OFFLINE_16 = LOGS / "ocpp16-offline-replay.log"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def frames(path: Path) -> list[list[object]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            out.append(json.loads(line[line.index("[") :]))
    return out


def test_example_201_has_an_offline_period_a_retry_a_gap_and_a_reboot() -> None:
    sent = frames(OFFLINE_201)
    events = [f[3] for f in sent if f[0] == 2 and f[2] == "TransactionEvent"]
    assert any(e.get("offline") for e in events)  # type: ignore[union-attr]
    boots = [f for f in sent if f[0] == 2 and f[2] == "BootNotification"]
    assert len(boots) == 2  # the reboot
    assert any(f[0] == 4 for f in sent)  # a CALLERROR, then the retry
    seq = sorted({e["seqNo"] for e in events})  # type: ignore[index]
    expected = set(range(seq[0], seq[-1] + 1))
    # An independent oracle: the gap is what the numbers in the log leave out.
    log = ledger_from_lines(OFFLINE_201.read_text(encoding="utf-8").splitlines())
    (record,) = log.ledger.records()
    assert set(record.missing_seq_nos) == expected - set(seq)
    assert record.missing_seq_nos
    assert record.offline
    assert record.duplicates == 0  # the retry follows a CALLERROR: the CSMS had not taken it
    begin = events[0]["meterValue"][0]["sampledValue"][0]["value"]  # type: ignore[index]
    end = events[-1]["meterValue"][0]["sampledValue"][0]["value"]  # type: ignore[index]
    assert record.energy_wh == end - begin


def test_example_16_offline_start_and_retried_stop() -> None:
    log = ledger_from_lines(OFFLINE_16.read_text(encoding="utf-8").splitlines())
    (record,) = log.ledger.records()
    sent = frames(OFFLINE_16)
    start = next(f[3] for f in sent if f[0] == 2 and f[2] == "StartTransaction")
    stop = next(f[3] for f in sent if f[0] == 2 and f[2] == "StopTransaction")
    issued = next(f[2]["transactionId"] for f in sent if f[0] == 3 and "transactionId" in f[2])  # type: ignore[index,operator]
    assert record.transaction_id == str(issued)
    assert record.complete
    assert record.energy_wh == stop["meterStop"] - start["meterStart"]  # type: ignore[index]
    assert record.duplicates == 1  # the retried StopTransaction
    assert [a.kind for a in log.anomalies() if a.kind is not AnomalyKind.DUPLICATE] == []


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "transactions", str(OFFLINE_201))
    assert err == ""
    assert status == 1  # the gap makes the record unbillable as is
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["transaction", "id"]
    assert "seq-no-gap" in lines[1]
    assert any(": error: transaction " in line and "seq-no-gap" in line for line in lines)
    assert lines[-1].endswith("1 transactions, 0 complete, 0 open, 49801.0 Wh")


def test_json_and_csv_outputs_agree(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "transactions", str(OFFLINE_16), "--format", "json")
    assert status == 0
    doc = json.loads(out)
    (tx,) = doc["transactions"]
    assert doc["version"] == "1.6"
    assert doc["stations"][0]["station"] == "ocpp16-offline-replay"
    status, out, _ = run(capsys, "transactions", str(OFFLINE_16), "--format", "csv")
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row["transaction_id"] == tx["transaction_id"]
    assert float(row["energy_wh"]) == tx["energy_wh"]
    assert row["duplicates"] == "1"


def test_station_name_and_version_options(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "transactions", str(OFFLINE_16), "--format", "json", "--station", "HOME-112",
        "--version", "1.6",
    )  # fmt: skip
    assert status == 0
    assert json.loads(out)["transactions"][0]["station"] == "HOME-112"


def test_never_ended_and_unknown_transactions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log = tmp_path / "cut.log"
    log.write_text(
        '2026-01-05T08:00:00Z CP->CS [2,"1","StartTransaction",{"connectorId":1,'
        '"idTag":"A","meterStart":10,"timestamp":"2026-01-05T08:00:00Z"}]\n'
        '2026-01-05T08:00:01Z CS->CP [3,"1",{"idTagInfo":{"status":"Accepted"},'
        '"transactionId":7}]\n'
        '2026-01-05T09:00:00Z CP->CS [2,"2","StopTransaction",{"meterStop":20,'
        '"timestamp":"2026-01-05T09:00:00Z","transactionId":8}]\n'
        '2026-01-05T09:00:01Z CS->CP [3,"2",{}]\n',
        encoding="utf-8",
    )
    status, out, _ = run(capsys, "transactions", str(log), "--format", "json")
    assert status == 1
    doc = json.loads(out)
    found = {(t["transaction_id"], a["kind"]) for t in doc["transactions"] for a in t["anomalies"]}
    assert ("7", "never-ended") in found
    assert ("8", "unknown-transaction") in found
    assert ("8", "transaction-id-not-issued") in found
    lines = {
        a["line"] for t in doc["transactions"] for a in t["anomalies"] if a["kind"] != "never-ended"
    }
    assert lines == {3}


def test_bad_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(capsys, "transactions", str(tmp_path / "missing.log"))
    assert status == 2
    assert "cannot read" in err
    bad = tmp_path / "bad.log"
    bad.write_bytes(b"\xff\xfe[2]\n")
    status, _, err = run(capsys, "transactions", str(bad))
    assert status == 2
    assert "UTF-8" in err
    empty = tmp_path / "empty.log"
    empty.write_text("# nothing\n", encoding="utf-8")
    status, out, _ = run(capsys, "transactions", str(empty), "--version", "2.0.1")
    assert status == 0
    assert out.strip().endswith("no transactions")


def test_check_reports_the_ledger_findings(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", str(OFFLINE_201))
    assert status == 0  # ledger findings are warnings; the protocol is fine
    lines = out.splitlines()
    (gap,) = [line for line in lines if "seq-no-gap" in line]
    assert ": warning: transaction " in gap
    assert lines[-1].startswith("OK:")
    status, out, _ = run(capsys, "check", str(OFFLINE_201), "--format", "json")
    kinds = [t["kind"] for t in json.loads(out)["transactions"]]
    assert kinds == ["seq-no-gap"]


def test_check_on_stdin_sees_the_same(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Stdin:
        buffer = io.BytesIO(OFFLINE_201.read_bytes())

    monkeypatch.setattr("sys.stdin", Stdin)
    status, out, _ = run(capsys, "check", "-")
    assert status == 0
    assert "seq-no-gap" in out
