"""The ``ocpp-core schedule`` command, and the charts in ``docs/images`` made with it.

``REGENERATE_CHARTS=1 pytest tests/cli/test_schedule.py`` rewrites
the charts from the example scenarios; without it the test fails when a chart
drifts from what the command produces.
"""

from __future__ import annotations

import json
import os
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
    assert versions == {"1.6", "2.0.1", "2.1"}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_table(capsys: pytest.CaptureFixture[str], scenario: Path) -> None:
    status, out, err = run(capsys, str(scenario))
    assert status == 0, err
    assert err == ""
    assert "Requests:" in out
    assert ": Accepted" in out
    assert "Rejected: " in out  # every example shows a refused request with its rule
    assert "Composite schedule for EVSE" in out


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
        ('{"ocppVersion": "2.0"}', "not supported"),
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
