"""The ``ocpp-core plan`` command and the site-file reader."""

from __future__ import annotations

import contextlib
import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core import decode_payload, validate_payload
from ocpp_core._cli import main
from ocpp_core.energy import FairUnit, site_from_json
from ocpp_core.errors import SiteError

ROOT = Path(__file__).resolve().parents[2]
SITES = sorted((ROOT / "examples" / "sites").glob("*.json"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["plan", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_example_sites_exist() -> None:
    assert {p.stem for p in SITES} >= {"apartment-63a", "depot-dc", "workplace-garage"}


@pytest.mark.parametrize("site", SITES, ids=[p.stem for p in SITES])
def test_table_json_and_svg(capsys: pytest.CaptureFixture[str], site: Path, tmp_path: Path) -> None:
    status, out, err = run(capsys, str(site))
    assert status == 0, err
    assert "SetChargingProfile frames:" in out
    status, out, err = run(capsys, str(site), "--format", "json")
    assert status == 0, err
    document = json.loads(out)
    versions = {
        s["id"]: s["ocppVersion"] for s in json.loads(site.read_text(encoding="utf-8"))["stations"]
    }
    assert document["requests"]
    for item in document["requests"]:
        kind, _, action, payload = item["frame"]
        assert (kind, action) == (2, "SetChargingProfile")
        decode_payload(versions[item["station"]], action, "request", payload)
    chart = tmp_path / "plan.svg"
    status, _, err = run(capsys, str(site), "--format", "svg", "-o", str(chart))
    assert status == 0, err
    assert chart.read_text(encoding="utf-8").startswith("<svg")


def test_lp_method_and_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("highspy")
    site = ROOT / "examples" / "sites" / "apartment-63a.json"
    status, out, err = run(
        capsys,
        str(site),
        "--method",
        "lp",
        "--at",
        "2025-06-02T18:00:00Z",
        "--horizon",
        "7200",
        "--format",
        "json",
    )
    assert status == 0, err
    document = json.loads(out)
    assert document["method"] == "lp"
    assert document["slots"] == 8


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["circuits"][1].update(parent="nowhere"), "$.circuits[1].parent"),
        (lambda d: d["circuits"][0].update(parent="feeder-a"), "$.circuits"),
        (
            lambda d: d["stations"][0]["evses"][2].update(circuit="attic"),
            "$.stations[0].evses[2].circuit",
        ),
        (lambda d: d["circuits"][0].update(maxCurrentA=-5), "$.circuits[0].maxCurrentA"),
        (
            lambda d: d["sessions"][0].update(departure="2025-06-02T08:00:00Z"),
            "$.sessions[0].departure",
        ),
        (lambda d: d["sessions"][0].update(colour="red"), "$.sessions[0].colour"),
        (lambda d: d["stations"][1].update(rateUnits=["kW"]), "$.stations[1].rateUnits[0]"),
        (lambda d: d["policy"].update(objective="cheapest"), "$.policy.objective"),
        (lambda d: d["policy"].update(fairUnit="amps"), "$.policy.fairUnit"),
        (lambda d: d["sessions"][0].update(evse=9), "$.sessions[0].evse"),
        (lambda d: d.update(horizon="a day"), "$.horizon"),
    ],
)
def test_bad_site_files_name_the_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, mutate: Any, path: str
) -> None:
    document = json.loads((ROOT / "examples" / "sites" / "apartment-63a.json").read_text())
    mutate(document)
    with pytest.raises(SiteError) as caught:
        site_from_json(copy.deepcopy(document))
    assert caught.value.field.startswith(path), caught.value.field
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    status, out, err = run(capsys, str(bad))
    assert status == 2
    assert out == ""
    assert path.split("[")[0] in err
    assert "Traceback" not in err


def test_unit_the_station_does_not_support(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    document = json.loads((ROOT / "examples" / "sites" / "depot-dc.json").read_text())
    document["stations"][0]["rateUnits"] = ["A"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    status, _, err = run(capsys, str(bad))
    assert status == 2
    assert "rate_units" in err


def test_unreadable_and_not_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(capsys, str(tmp_path / "missing.json"))
    assert status == 2
    assert "cannot read" in err
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\xff\xfe{")
    status, _, err = run(capsys, str(junk))
    assert status == 2
    status, _, err = run(capsys, str(ROOT / "examples" / "sites" / "depot-dc.json"), "--at", "soon")
    assert status == 2
    assert "--at" in err


@settings(max_examples=30)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
        max_leaves=8,
    )
)
def test_any_json_is_refused_with_a_site_error_or_read(document: object) -> None:
    with contextlib.suppress(SiteError):
        site_from_json(document)


def test_lp_json_output_is_only_json() -> None:
    """The LP solver writes nothing of its own on standard output (its banner broke JSON)."""
    import subprocess
    import sys

    site = ROOT / "examples" / "sites" / "apartment-63a.json"
    code = "import sys; from ocpp_core._cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, "plan", str(site), "--method", "lp", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["method"] == "lp"


# ---------------------------------------------------------------- V2G


V2G = ROOT / "examples" / "sites" / "home-v2g.json"
IMAGES = ROOT / "docs" / "images"
# docs/images chart -> (site file, extra arguments); greedy plans are deterministic
# everywhere (the LP chart is not compared: another HiGHS may pick another optimum).
CHARTS = {
    "energy-apartment-plan": ("apartment-63a", ()),
    "energy-depot-plan": ("depot-dc", ()),
    "energy-v2g-plan": ("home-v2g", ()),
}


@pytest.mark.parametrize("chart", sorted(CHARTS))
def test_energy_charts_are_current(
    capsys: pytest.CaptureFixture[str], chart: str, tmp_path: Path
) -> None:
    stem, extra = CHARTS[chart]
    target = tmp_path / "chart.svg"
    site = ROOT / "examples" / "sites" / f"{stem}.json"
    status, _, err = run(capsys, str(site), *extra, "--format", "svg", "-o", str(target))
    assert status == 0, err
    fresh = target.read_text(encoding="utf-8")
    committed = IMAGES / f"{chart}.svg"
    if os.environ.get("REGENERATE_CHARTS"):
        committed.write_text(fresh, encoding="utf-8")
    assert committed.read_text(encoding="utf-8") == fresh, f"regenerate {committed.name}"


@pytest.mark.parametrize("method", ["greedy", "lp"])
def test_v2g_example_in_every_format(capsys: pytest.CaptureFixture[str], method: str) -> None:
    if method == "lp":
        pytest.importorskip("highspy")
    status, out, err = run(capsys, str(V2G), "--method", method)
    assert status == 0, err
    assert "discharge: covers the base load's deficit under circuit 'grid' power" in out
    assert "no discharge: station 'wb-c' speaks OCPP 1.6" in out
    assert '"operationMode":"CentralSetpoint"' in out
    if method == "lp":
        assert "price arbitrage" in out
    status, out, err = run(capsys, str(V2G), "--method", method, "--format", "json")
    assert status == 0, err
    document = json.loads(out)
    assert document["violations"] == []
    discharges = [p for e in document["evses"] for p in e["periods"] if p["powerW"] < 0]
    assert discharges
    assert all(p["discharge"] in ("deficit", "arbitrage", "peak-shaving") for p in discharges)
    assert all(p["why"] for p in discharges)
    assert {
        e["station"] for e in document["evses"] if any(p["powerW"] < 0 for p in e["periods"])
    } <= {"wb-a", "wb-b"}
    notes = {s["station"]: s.get("v2xNote") for s in document["sessions"]}
    assert notes["wb-c"] is not None
    assert notes["wb-a"] is None
    assert any(s.get("dischargedWh", 0) > 0 for s in document["sessions"])
    for item in document["requests"]:
        _, _, action, payload = item["frame"]
        version = "1.6" if item["station"] == "wb-c" else "2.1"
        decode_payload(version, action, "request", payload)
        assert validate_payload(version, action, "request", payload) == []
    status, out, err = run(capsys, str(V2G), "--method", method, "--format", "svg")
    assert status == 0, err
    assert "export limit" in out
    assert "site net power" in out
    assert "discharging" in out


def test_fair_unit_in_site_files() -> None:
    document = json.loads((ROOT / "examples" / "sites" / "apartment-63a.json").read_text())
    assert site_from_json(document).policy.fair_unit is FairUnit.POWER
    document["policy"]["fairUnit"] = "current"
    assert site_from_json(document).policy.fair_unit is FairUnit.CURRENT


def test_v2g_policy_keys_in_site_files(tmp_path: Path) -> None:
    document = json.loads(V2G.read_text(encoding="utf-8"))
    read = site_from_json(document)
    assert read.policy.prices is not None
    assert read.policy.cycle_cost_per_kwh == 0.02
    document["policy"]["allowDischarge"] = False
    assert site_from_json(document).policy.allow_discharge is False
    for key, value, path in (
        ("cycleCostPerKwh", -1, "$.policy.cycleCostPerKwh"),
        ("dischargeHeadroom", 2, "$.policy.dischargeHeadroom"),
        ("allowDischarge", "yes", "$.policy.allowDischarge"),
        (
            "prices",
            [{"start": "2025-06-02T16:00:00Z", "price": "dear"}],
            "$.policy.prices[0].price",
        ),
        ("prices", [{"start": "2025-06-02T16:00:00Z"}], "$.policy.prices[0].price"),
    ):
        bad = copy.deepcopy(document)
        bad["policy"][key] = value
        with pytest.raises(SiteError) as caught:
            site_from_json(bad)
        assert caught.value.field == path
    bad = copy.deepcopy(document)
    bad["sessions"][0]["dischargeMaxPowerW"] = -1
    with pytest.raises(SiteError) as caught:
        site_from_json(bad)
    assert caught.value.field == "$.sessions[0].dischargeMaxPowerW"
    bad = copy.deepcopy(document)
    bad["sessions"][0]["minEnergyWh"] = 40000
    with pytest.raises(SiteError) as caught:
        site_from_json(bad)
    assert caught.value.field == "$.sessions[0].minEnergyWh"
