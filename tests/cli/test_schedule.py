"""The ``ocpp-core schedule`` command, and the charts in ``docs/images`` made with it.

``REGENERATE_CHARTS=1 pytest tests/cli/test_schedule.py`` rewrites
the charts from the example scenarios; without it the test fails when a chart
drifts from what the command produces.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpp_core import decode_payload
from ocpp_core._cli import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "examples" / "scenarios").glob("*.json"))
IMAGES = ROOT / "docs" / "images"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["schedule", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_example_scenarios_exist() -> None:
    versions = {json.loads(p.read_text(encoding="utf-8"))["ocppVersion"] for p in SCENARIOS}
    assert versions == {"1.6", "2.0", "2.0.1", "2.1"}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_table(capsys: pytest.CaptureFixture[str], scenario: Path) -> None:
    status, out, err = run(capsys, str(scenario))
    assert status == 0, err
    assert err == ""
    assert "Requests:" in out
    assert ": Accepted" in out
    assert "Rejected: " in out  # every example shows a refused request with its rule
    assert "Composite schedule for " in out


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_json_is_the_version_response(capsys: pytest.CaptureFixture[str], scenario: Path) -> None:
    version = json.loads(scenario.read_text(encoding="utf-8"))["ocppVersion"]
    status, out, _ = run(capsys, str(scenario), "--format", "json")
    assert status == 0
    payload = json.loads(out)
    decode_payload(version, "GetCompositeSchedule", "response", payload)  # strict
    assert payload["status"] == "Accepted"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_docs_charts_are_current(
    capsys: pytest.CaptureFixture[str], scenario: Path, tmp_path: Path
) -> None:
    target = tmp_path / "chart.svg"
    status, out, _ = run(capsys, str(scenario), "--format", "svg", "-o", str(target))
    assert status == 0
    assert out == ""
    fresh = target.read_text(encoding="utf-8")
    assert fresh.startswith("<svg")
    committed = IMAGES / f"{scenario.stem}.svg"
    if os.environ.get("REGENERATE_CHARTS"):
        committed.parent.mkdir(parents=True, exist_ok=True)
        committed.write_text(fresh, encoding="utf-8")
    assert committed.read_text(encoding="utf-8") == fresh, f"regenerate {committed.name}"


def test_options_override_the_query(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = str(ROOT / "examples" / "scenarios" / "v16-home-and-office.json")
    status, out, _ = run(
        capsys,
        scenario,
        "--evse",
        "2",
        "--start",
        "2025-06-02T20:00:00Z",
        "--duration",
        "7200",
        "--unit",
        "W",
        "--format",
        "json",
    )
    assert status == 0
    payload = json.loads(out)
    assert payload["connectorId"] == 2
    assert payload["chargingSchedule"]["duration"] == 7200
    assert payload["chargingSchedule"]["chargingRateUnit"] == "W"


def test_rejected_composite_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = str(ROOT / "examples" / "scenarios" / "v201-depot.json")
    status, out, _ = run(capsys, scenario, "--evse", "9")
    assert status == 1
    assert "Rejected: UnknownEVSE" in out


def _write(tmp_path: Path, content: str | bytes) -> str:
    path = tmp_path / "scenario.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "invalid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        ("[]", "expected an object"),
        ('{"ocppVersion": "9.9"}', "ocppVersion"),
        ("{}", "ocppVersion: missing"),
        ('{"ocppVersion": 1.6}', "ocppVersion: a string"),
        ('{"ocppVersion": "1.6", "station": {"evses": "x"}}', "station.evses"),
        ('{"ocppVersion": "1.6", "station": {"bogus": 1}}', "unknown key"),
        ('{"ocppVersion": "1.6", "transactions": [{"evseId": 1}]}', "transactions[0].start"),
        ('{"ocppVersion": "1.6", "requests": [{"connectorId": 1}]}', "requests[0]"),
        ('{"ocppVersion": "2.0.1", "requests": [{"payload": {}, "source": "x"}]}', "source"),
        ('{"ocppVersion": "2.0.1"}', "--evse, --start and --duration"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | bytes, message: str
) -> None:
    status, out, err = run(capsys, _write(tmp_path, content))
    assert status == 2
    assert out == ""
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_missing_file_and_bad_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(capsys, str(tmp_path / "absent.json"))
    assert status == 2
    assert "cannot read" in err
    scenario = str(ROOT / "examples" / "scenarios" / "v21-v2x-evening.json")
    status, _, err = run(capsys, scenario, "--start", "yesterday")
    assert status == 2
    assert "--start" in err
    status, _, err = run(capsys, scenario, "--duration", "soon")
    assert status == 2
    status, _, err = run(capsys, scenario, "-o", str(tmp_path / "missing" / "out.svg"))
    assert status == 2
    assert "cannot write" in err


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    st.fixed_dictionaries(
        {"ocppVersion": st.sampled_from(["1.6", "2.0.1", "2.1", "x"])},
        optional={
            "station": _JSON,
            "transactions": _JSON,
            "requests": _JSON,
            "query": st.just({"evseId": 1, "start": "2025-01-01T00:00:00Z", "duration": 60}),
        },
    )
)
def test_any_scenario_gives_an_answer_not_a_traceback(scenario: dict[str, object]) -> None:
    import contextlib
    import io
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.json"
        path.write_text(json.dumps(scenario), encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["schedule", str(path)])
    assert status in (0, 1, 2)
    assert "Traceback" not in err.getvalue()


# --------------------------------------------------------------------------------------
# Scenario files: strict keys, field paths in errors, each version's own names.
# --------------------------------------------------------------------------------------

V16 = ROOT / "examples" / "scenarios" / "v16-home-and-office.json"
V201 = ROOT / "examples" / "scenarios" / "v201-depot.json"


def _scenario(tmp_path: Path, base: Path, **changes: object) -> str:
    data = json.loads(base.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return _write(tmp_path, json.dumps(data))


def _error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    status, out, err = run(capsys, *args)
    assert status == 2, (out, err)
    assert out == ""
    assert err.count("\n") == 1
    return err


def test_scenario_query_accepts_connector_id_in_1_6(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    query = {"connectorId": 2, "start": "2025-06-02T20:00:00Z", "duration": 3600}
    status, out, err = run(capsys, _scenario(tmp_path, V16, query=query), "--format", "json")
    assert status == 0, err
    assert json.loads(out)["connectorId"] == 2
    query = {"connectorId": 1, "start": "2025-06-02T06:00:00Z", "duration": 3600}
    err = _error(capsys, _scenario(tmp_path, V201, query=query))
    assert "query.connectorId" in err
    assert "evseId" in err


def test_scenario_value_errors_name_the_scenario_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = {"evseId": 1, "start": "yesterday", "duration": 3600}
    err = _error(capsys, _scenario(tmp_path, V201, query=bad))
    assert "query.start" in err
    assert "--start" not in err
    bad = {"evseId": 1, "start": "2025-06-02T06:00:00Z", "duration": "long"}
    assert "query.duration" in _error(capsys, _scenario(tmp_path, V201, query=bad))
    bad = {"evseId": "one", "start": "2025-06-02T06:00:00Z", "duration": 60}
    assert "query.evseId" in _error(capsys, _scenario(tmp_path, V201, query=bad))
    bad = {"evseId": 1, "start": "2025-06-02T06:00:00Z", "duration": 60, "unit": "kW"}
    assert "query.unit" in _error(capsys, _scenario(tmp_path, V201, query=bad))
    # a value given on the command line is reported under its option
    assert "--start" in _error(capsys, str(V201), "--start", "yesterday")


def test_missing_ocpp_version_says_what_is_missing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    err = _error(capsys, _scenario(tmp_path, V201, ocppVersion=None))
    assert "ocppVersion: missing" in err
    assert "2.0.1" in err
    assert "''" not in err


@pytest.mark.parametrize(
    ("change", "path", "key"),
    [
        ({"transaction": []}, "at the top level", "transaction"),
        ({"station": {"evses": 1, "voltage": 230}}, "in station", "voltage"),
        ({"station": {"evses": [{"id": 1, "phase": "AC"}]}}, "in station.evses[0]", "phase"),
        (
            {"transactions": [{"evseId": 1, "start": "2025-06-02T06:00:00Z", "tx": "a"}]},
            "in transactions[0]",
            "tx",
        ),
        ({"requests": [{"payload": {}, "when": 1}]}, "in requests[0]", "when"),
        ({"query": {"evseId": 1, "begin": "x"}}, "in query", "begin"),
    ],
)
def test_unknown_keys_are_refused_at_every_level_naming_key_and_path(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    change: dict[str, object],
    path: str,
    key: str,
) -> None:
    err = _error(capsys, _scenario(tmp_path, V201, **change))
    assert f"unknown key {key!r} {path}" in err


def test_1_6_transaction_id_given_as_a_string_is_refused_clearly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    transactions = [{"connectorId": 1, "transactionId": "1234", "start": "2025-06-02T16:30:00Z"}]
    err = _error(capsys, _scenario(tmp_path, V16, transactions=transactions))
    assert "transactions[0].transactionId" in err
    assert "integers" in err
    transactions = [{"evseId": 1, "transactionId": 7, "start": "2025-06-02T07:30:00Z"}]
    err = _error(capsys, _scenario(tmp_path, V201, transactions=transactions))
    assert "transactions[0].transactionId" in err
    assert "strings" in err


def test_1_6_output_uses_1_6_words(capsys: pytest.CaptureFixture[str]) -> None:
    status, table, _ = run(capsys, str(V16))
    assert status == 0
    assert "ChargePointMaxProfile" in table
    assert "connector 1" in table
    assert "ChargingStationMaxProfile" not in table
    assert "EVSE" not in table
    status, chart, _ = run(capsys, str(V16), "--format", "svg")
    assert status == 0
    assert "ChargePointMaxProfile" in chart
    assert "ChargingStation" not in chart  # no Max or external-constraints names
    assert "EVSE" not in chart
    status, chart, _ = run(capsys, str(V201), "--format", "svg")
    assert "ChargingStationExternalConstraints" in chart


def _texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_chart_title_says_hours_not_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    status, chart, _ = run(capsys, str(V16), "--format", "svg")
    assert status == 0
    title = _texts(chart)[0]
    assert "16 h" in title
    assert " s," not in title
    assert "57600" not in title


def test_multi_day_chart_axis_shows_dates(capsys: pytest.CaptureFixture[str]) -> None:
    status, chart, _ = run(
        capsys,
        str(V201),
        "--format",
        "svg",
        "--start",
        "2025-06-02T00:00:00Z",
        "--duration",
        str(3 * 86_400),
    )
    assert status == 0
    texts = _texts(chart)
    for day in ("Mon 02 Jun", "Tue 03 Jun", "Wed 04 Jun"):
        assert day in texts, day


def test_short_periods_keep_their_labels(capsys: pytest.CaptureFixture[str]) -> None:
    """Every composite period is labelled, however narrow (narrow ones upright)."""
    status, out, _ = run(capsys, str(V16), "--format", "json", "--duration", str(7 * 86_400))
    assert status == 0
    periods = json.loads(out)["chargingSchedule"]["chargingSchedulePeriod"]
    status, chart, _ = run(capsys, str(V16), "--format", "svg", "--duration", str(7 * 86_400))
    labels = re.findall(r'<text [^>]*fill="#000000">([^<]*)</text>', chart)
    assert len(labels) == len(periods)
    assert any("rotate(-90" in line for line in chart.splitlines() if 'fill="#000000"' in line)


def test_tz_shows_the_table_and_the_chart_in_local_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, table, _ = run(capsys, str(V16), "--tz", "Europe/Berlin")
    assert status == 0
    assert "time (CEST)" in table
    assert "2025-06-02 16:00:00" in table  # 14:00 UTC
    status, chart, _ = run(capsys, str(V16), "--format", "svg", "--tz", "Europe/Berlin")
    assert "2025-06-02 16:00 CEST" in _texts(chart)[0]
    assert "16:00" in _texts(chart)
    assert "unknown time zone" in _error(capsys, str(V16), "--tz", "Mars/Olympus")


def test_chart_caption_matches_lane_order(capsys: pytest.CaptureFixture[str]) -> None:
    """The caption says how lanes are ordered; the lanes are ordered so."""
    from ocpp_core._cli.schedule import load_scenario

    status, chart, _ = run(capsys, str(V201), "--format", "svg")
    assert status == 0
    caption = next(t for t in _texts(chart) if t.startswith("Profiles"))
    assert "by purpose (caps first, then TxDefaultProfile, then TxProfile)" in caption
    assert "highest stack level first within a purpose" in caption
    shown = [int(m[1]) for m in re.finditer(r">#(\d+) s\d+<", chart)]
    scenario = load_scenario(str(V201))
    order = [
        "ChargingStationMaxProfile",
        "ChargingStationExternalConstraints",
        "TxDefaultProfile",
        "TxProfile",
    ]
    by_id = {entry.profile.id: entry for entry in scenario.store.entries}
    keys = [
        (order.index(by_id[i].profile.purpose.value), -by_id[i].profile.stack_level) for i in shown
    ]
    assert len(shown) >= 3
    assert keys == sorted(keys)
