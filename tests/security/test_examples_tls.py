"""The example CSMS and charging station with ``--security-profile 2`` and ``3``.

Both examples run as processes on loopback with certificates made in the
test; a whole charging session must pass (the station exits 0 only when
every CALL was answered). A station whose certificate names another identity
is refused by the CSMS's accept hook. Every wait is bounded; the processes
are killed if anything goes wrong.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

pytest.importorskip("websockets")

from tests.security._pki import OPERATOR, Pki

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BOUND = 60.0
PASSWORD = "0123456789abcdef-secret"


async def run_pair(csms_args: list[str], station_args: list[str]) -> tuple[int, str, str]:
    csms = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / "csms.py"),
        "--port", "0", "--once", "--timeout", str(BOUND),
        *csms_args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    station: asyncio.subprocess.Process | None = None
    try:
        assert csms.stdout is not None
        line = (await asyncio.wait_for(csms.stdout.readline(), 30)).decode()
        assert line.startswith("# listening on wss://127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1].strip("/\n"))
        station = await asyncio.create_subprocess_exec(
            sys.executable,
            str(EXAMPLES / "charging_station.py"),
            "--url", f"wss://localhost:{port}/CP_1", "--timeout", "30", "--profile-wait", "1",
            *station_args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, station_err = await asyncio.wait_for(station.communicate(), 45)
        try:  # --once: the CSMS stops when the station leaves; not after a refusal
            await asyncio.wait_for(csms.wait(), 5)
        except TimeoutError:
            csms.kill()
            await csms.wait()
        assert csms.stderr is not None
        csms_err = await asyncio.wait_for(csms.stderr.read(), 15)
        assert station.returncode is not None
        return station.returncode, station_err.decode(), csms_err.decode()
    finally:
        for process in (station, csms):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path)


def test_examples_profile_2(pki: Pki) -> None:
    code, station_err, csms_err = asyncio.run(
        run_pair(
            ["--security-profile", "2", "--password", PASSWORD,
             "--cert", str(pki.csms_cert), "--key", str(pki.csms_key)],
            ["--security-profile", "2", "--password", PASSWORD, "--ca", str(pki.root_file)],
        )
    )  # fmt: skip
    assert code == 0, station_err + csms_err
    assert "# done: 0 failures" in station_err


def test_examples_profile_3_and_a_wrong_identity(pki: Pki) -> None:
    csms_args = [
        "--security-profile", "3", "--cert", str(pki.csms_cert), "--key", str(pki.csms_key),
        "--ca", str(pki.root_file), "--organization", OPERATOR,
    ]  # fmt: skip
    cert, key = pki.station_files("CP_1")
    code, station_err, csms_err = asyncio.run(
        run_pair(
            csms_args,
            ["--security-profile", "3", "--ca", str(pki.root_file),
             "--cert", str(cert), "--key", str(key)],
        )
    )  # fmt: skip
    assert code == 0, station_err + csms_err
    # CP_2's certificate used to connect as CP_1: the CSMS refuses the upgrade
    cert2, key2 = pki.station_files("CP_2")
    code, station_err, csms_err = asyncio.run(
        run_pair(
            csms_args,
            ["--security-profile", "3", "--ca", str(pki.root_file),
             "--cert", str(cert2), "--key", str(key2)],
        )
    )  # fmt: skip
    assert code != 0
    assert "refused CP_1" in csms_err
    assert "common-name-mismatch" in csms_err


def test_example_options_are_checked() -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "charging_station.py"), "--security-profile", "3"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--security-profile 3 needs" in result.stderr
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "csms.py"),
         "--security-profile", "2", "--password", PASSWORD],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "needs --cert and --key" in result.stderr
