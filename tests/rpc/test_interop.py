"""Interoperability: the examples (on ``ocpp_core.aio``) against peers built with ``ocpp``.

* our CSMS example (a subprocess) against a charge point built with
  ``ocpp`` (mobilityhouse), for 1.6 and 2.0.1;
* our charging-station example (a subprocess) against a central system built
  with ``ocpp``, for 1.6 and 2.0.1;
* our two examples against each other.

A whole charging session each time: boot, heartbeat, status, authorize, a
transaction with meter values (1.6 Start/StopTransaction, 2.0.1
TransactionEvent), a SetChargingProfile from the CSMS and a
GetCompositeSchedule (our station answers it from its smart-charging engine). Every message must
be accepted on both sides: ``ocpp`` raises on any CALLERROR or on a response
its schemas refuse (``suppress=False``); our side's frames are checked with
the session-based log checker, and our station exits non-zero on any failure.

Loopback only, a free port chosen by the OS, every wait bounded; the
processes are killed if anything goes wrong.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ocpp = pytest.importorskip("ocpp")
websockets = pytest.importorskip("websockets")

from ocpp.routing import on  # noqa: E402
from ocpp.v16 import ChargePoint as MhChargePoint16  # noqa: E402
from ocpp.v16 import call as call16  # noqa: E402
from ocpp.v16 import call_result as result16  # noqa: E402
from ocpp.v16.enums import Action as Action16  # noqa: E402
from ocpp.v201 import ChargePoint as MhChargePoint201  # noqa: E402
from ocpp.v201 import call as call201  # noqa: E402
from ocpp.v201 import call_result as result201  # noqa: E402
from ocpp.v201.enums import Action as Action201  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from websockets.asyncio.server import serve  # noqa: E402

from ocpp_core import OcppVersion  # noqa: E402
from ocpp_core._cli.check import check_lines, format_text  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BOUND = 60.0  # seconds for one whole scenario, start to stop


def now() -> str:
    return datetime.now(UTC).isoformat()


async def start_process(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def stop_process(process: asyncio.subprocess.Process) -> tuple[str, str]:
    """Wait (bounded) for the process to end by itself; kill it otherwise."""
    try:
        out, err = await asyncio.wait_for(process.communicate(), 20)
    except BaseException:  # a timeout here, or the test's own bound cancelling us
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    return out.decode(), err.decode()


@asynccontextmanager
async def example_csms() -> AsyncIterator[tuple[int, asyncio.subprocess.Process]]:
    process = await start_process(
        str(EXAMPLES / "csms.py"), "--port", "0", "--once", "--timeout", str(BOUND)
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        assert line.startswith("# listening on ws://127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1].strip("/\n"))
        yield port, process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def assert_clean_log(text: str, version: OcppVersion, frames: int) -> None:
    report = check_lines(text.splitlines(), version=version)
    shown = "\n".join(format_text(report))
    assert report.ok, shown
    assert report.problems == (), shown
    assert report.frames >= frames
    assert report.calls * 2 == report.frames  # every CALL answered


# --- ocpp (mobilityhouse) charge points against our CSMS ------------------------------


class MhStation16(MhChargePoint16):  # type: ignore[misc]
    profiles: list[Any]

    @on(Action16.set_charging_profile)
    def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: Any, **kw: Any
    ) -> Any:
        self.profiles.append(cs_charging_profiles)
        return result16.SetChargingProfile(status="Accepted")

    @on(Action16.get_composite_schedule)
    def on_get_composite_schedule(self, connector_id: int, duration: int, **kw: Any) -> Any:
        return result16.GetCompositeSchedule(status="Rejected")


class MhStation201(MhChargePoint201):  # type: ignore[misc]
    profiles: list[Any]

    @on(Action201.set_charging_profile)
    def on_set_charging_profile(self, evse_id: int, charging_profile: Any, **kw: Any) -> Any:
        self.profiles.append(charging_profile)
        return result201.SetChargingProfile(status="Accepted")

    @on(Action201.get_composite_schedule)
    def on_get_composite_schedule(self, duration: int, evse_id: int, **kw: Any) -> Any:
        return result201.GetCompositeSchedule(status="Rejected")


async def wait_for_profile(station: Any) -> None:
    for _ in range(100):
        if station.profiles:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no SetChargingProfile received")


async def session_16(station: MhStation16) -> None:
    boot = await station.call(
        call16.BootNotification(charge_point_model="M1", charge_point_vendor="mh"), suppress=False
    )
    assert boot.status == "Accepted"
    await station.call(call16.Heartbeat(), suppress=False)
    status = {"connector_id": 1, "error_code": "NoError", "timestamp": now()}
    await station.call(call16.StatusNotification(status="Available", **status), suppress=False)
    auth = await station.call(call16.Authorize(id_tag="TAG-1"), suppress=False)
    assert auth.id_tag_info["status"] == "Accepted"
    await station.call(call16.StatusNotification(status="Preparing", **status), suppress=False)
    started = await station.call(
        call16.StartTransaction(connector_id=1, id_tag="TAG-1", meter_start=0, timestamp=now()),
        suppress=False,
    )
    await station.call(call16.StatusNotification(status="Charging", **status), suppress=False)
    meter = {
        "timestamp": now(),
        "sampled_value": [
            {"value": "1200", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": "16.0", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
        ],
    }
    await station.call(
        call16.MeterValues(
            connector_id=1, transaction_id=started.transaction_id, meter_value=[meter]
        ),
        suppress=False,
    )
    await wait_for_profile(station)
    await station.call(
        call16.StopTransaction(
            meter_stop=2400, timestamp=now(), transaction_id=started.transaction_id, id_tag="TAG-1"
        ),
        suppress=False,
    )
    await station.call(call16.StatusNotification(status="Available", **status), suppress=False)


async def session_201(station: MhStation201) -> None:
    boot = await station.call(
        call201.BootNotification(
            charging_station={"model": "M1", "vendor_name": "mh"}, reason="PowerUp"
        ),
        suppress=False,
    )
    assert boot.status == "Accepted"
    await station.call(call201.Heartbeat(), suppress=False)
    status = {"timestamp": now(), "evse_id": 1, "connector_id": 1}
    await station.call(
        call201.StatusNotification(connector_status="Available", **status), suppress=False
    )
    token = {"id_token": "TAG-1", "type": "ISO14443"}
    auth = await station.call(call201.Authorize(id_token=token), suppress=False)
    assert auth.id_token_info["status"] == "Accepted"
    await station.call(
        call201.StatusNotification(connector_status="Occupied", **status), suppress=False
    )
    meter = [
        {
            "timestamp": now(),
            "sampled_value": [
                {
                    "value": 1200.0,
                    "measurand": "Energy.Active.Import.Register",
                    "unit_of_measure": {"unit": "Wh"},
                }
            ],
        }
    ]
    transaction = {"transaction_id": "mh-tx-1", "charging_state": "Charging"}
    await station.call(
        call201.TransactionEvent(
            event_type="Started",
            timestamp=now(),
            trigger_reason="Authorized",
            seq_no=0,
            transaction_info=transaction,
            evse={"id": 1, "connector_id": 1},
            id_token=token,
            meter_value=meter,
        ),
        suppress=False,
    )
    await station.call(call201.MeterValues(evse_id=1, meter_value=meter), suppress=False)
    await wait_for_profile(station)
    await station.call(
        call201.TransactionEvent(
            event_type="Updated",
            timestamp=now(),
            trigger_reason="MeterValuePeriodic",
            seq_no=1,
            transaction_info=transaction,
            meter_value=meter,
        ),
        suppress=False,
    )
    await station.call(
        call201.TransactionEvent(
            event_type="Ended",
            timestamp=now(),
            trigger_reason="StopAuthorized",
            seq_no=2,
            transaction_info={**transaction, "charging_state": "Idle", "stopped_reason": "Local"},
            id_token=token,
        ),
        suppress=False,
    )
    await station.call(
        call201.StatusNotification(connector_status="Available", **status), suppress=False
    )


async def mh_station_against_our_csms(version: OcppVersion) -> str:
    async with example_csms() as (port, process):
        async with connect(
            f"ws://127.0.0.1:{port}/MH_1",
            subprotocols=[version.subprotocol],  # type: ignore[list-item]
            open_timeout=10,
        ) as websocket:
            assert websocket.subprotocol == version.subprotocol
            cls = MhStation16 if version is OcppVersion.V16 else MhStation201
            station = cls("MH_1", websocket, response_timeout=10)
            station.profiles = []
            reader = asyncio.ensure_future(station.start())
            try:
                if version is OcppVersion.V16:
                    await session_16(station)
                else:
                    await session_201(station)
            finally:
                await websocket.close()
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)
            assert len(station.profiles) == 1
        out, err = await stop_process(process)
        assert process.returncode == 0, err
        return out


@pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201])
def test_ocpp_charge_point_against_our_csms(version: OcppVersion) -> None:
    out = asyncio.run(asyncio.wait_for(mh_station_against_our_csms(version), BOUND))
    # Every frame our CSMS saw and sent, replayed through two sessions: clean.
    assert_clean_log(out, version, frames=20)
    assert '"SetChargingProfile"' in out
    assert '"GetCompositeSchedule"' in out


# --- our charging station against an ocpp (mobilityhouse) central system ---------------


class MhCsms16(MhChargePoint16):  # type: ignore[misc]
    tasks: list[asyncio.Task[Any]]

    async def limit(self, request: Any, composite: Any) -> tuple[Any, Any]:
        """SetChargingProfile, then GetCompositeSchedule; raises on any CALLERROR."""
        return await self.call(request, suppress=False), await self.call(composite, suppress=False)

    @on(Action16.boot_notification)
    def boot(self, **kw: Any) -> Any:
        return result16.BootNotification(current_time=now(), interval=300, status="Accepted")

    @on(Action16.heartbeat)
    def heartbeat(self, **kw: Any) -> Any:
        return result16.Heartbeat(current_time=now())

    @on(Action16.authorize)
    def authorize(self, **kw: Any) -> Any:
        return result16.Authorize(id_tag_info={"status": "Accepted"})

    @on(Action16.status_notification)
    def status(self, **kw: Any) -> Any:
        return result16.StatusNotification()

    @on(Action16.meter_values)
    def meter_values(self, **kw: Any) -> Any:
        return result16.MeterValues()

    @on(Action16.start_transaction)
    def start_transaction(self, connector_id: int, **kw: Any) -> Any:
        profile = {
            "charging_profile_id": 8,
            "transaction_id": 42,
            "stack_level": 0,
            "charging_profile_purpose": "TxProfile",
            "charging_profile_kind": "Relative",
            "charging_schedule": {
                "charging_rate_unit": "A",
                "charging_schedule_period": [{"start_period": 0, "limit": 21.4}],
            },
        }
        request = call16.SetChargingProfile(connector_id=connector_id, cs_charging_profiles=profile)
        composite = call16.GetCompositeSchedule(connector_id=connector_id, duration=3600)
        self.tasks.append(asyncio.ensure_future(self.limit(request, composite)))
        return result16.StartTransaction(transaction_id=42, id_tag_info={"status": "Accepted"})

    @on(Action16.stop_transaction)
    def stop_transaction(self, **kw: Any) -> Any:
        return result16.StopTransaction(id_tag_info={"status": "Accepted"})


class MhCsms201(MhChargePoint201):  # type: ignore[misc]
    tasks: list[asyncio.Task[Any]]
    limit = MhCsms16.limit

    @on(Action201.boot_notification)
    def boot(self, **kw: Any) -> Any:
        return result201.BootNotification(current_time=now(), interval=300, status="Accepted")

    @on(Action201.heartbeat)
    def heartbeat(self, **kw: Any) -> Any:
        return result201.Heartbeat(current_time=now())

    @on(Action201.authorize)
    def authorize(self, **kw: Any) -> Any:
        return result201.Authorize(id_token_info={"status": "Accepted"})

    @on(Action201.status_notification)
    def status(self, **kw: Any) -> Any:
        return result201.StatusNotification()

    @on(Action201.meter_values)
    def meter_values(self, **kw: Any) -> Any:
        return result201.MeterValues()

    @on(Action201.transaction_event)
    def transaction_event(self, event_type: str, transaction_info: Any, **kw: Any) -> Any:
        if event_type == "Started":
            profile = {
                "id": 9,
                "stack_level": 0,
                "charging_profile_purpose": "TxProfile",
                "charging_profile_kind": "Relative",
                "transaction_id": transaction_info["transaction_id"],
                "charging_schedule": [
                    {
                        "id": 1,
                        "charging_rate_unit": "W",
                        "charging_schedule_period": [{"start_period": 0, "limit": 7400.0}],
                    }
                ],
            }
            request = call201.SetChargingProfile(evse_id=1, charging_profile=profile)
            composite = call201.GetCompositeSchedule(evse_id=1, duration=3600)
            self.tasks.append(asyncio.ensure_future(self.limit(request, composite)))
        return result201.TransactionEvent(id_token_info={"status": "Accepted"})


async def our_station_against_mh_csms(version: OcppVersion) -> str:
    connections: list[Any] = []

    async def handler(websocket: Any) -> None:
        cls = MhCsms16 if version is OcppVersion.V16 else MhCsms201
        csms = cls("CP_1", websocket, response_timeout=10)
        csms.tasks = []
        connections.append(csms)
        with suppress(websockets.exceptions.ConnectionClosed):
            await csms.start()

    async with serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=[version.subprotocol],  # type: ignore[list-item]
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        process = await start_process(
            str(EXAMPLES / "charging_station.py"),
            "--url",
            f"ws://127.0.0.1:{port}/CP_1",
            "--version",
            version.value,
            "--require-profile",
            "--timeout",
            "30",
        )
        out, err = await stop_process(process)
    assert process.returncode == 0, err
    [csms] = connections
    [task] = csms.tasks
    assert task.done()
    profile, composite = task.result()  # raises if ocpp refused one of our CALLRESULTs
    assert profile.status == "Accepted"
    assert composite.status == "Accepted"  # computed by our station's engine
    assert composite.schedule if version is OcppVersion.V201 else composite.charging_schedule
    return out


@pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201])
def test_our_charging_station_against_ocpp_csms(version: OcppVersion) -> None:
    out = asyncio.run(asyncio.wait_for(our_station_against_mh_csms(version), BOUND))
    assert_clean_log(out, version, frames=20)


# --- our examples against each other -----------------------------------------------------


async def examples_together(version: OcppVersion) -> tuple[str, str]:
    async with example_csms() as (port, process):
        station = await start_process(
            str(EXAMPLES / "charging_station.py"),
            "--url",
            f"ws://127.0.0.1:{port}/CP_7",
            "--version",
            version.value,
            "--require-profile",
            "--timeout",
            "30",
        )
        station_out, station_err = await stop_process(station)
        assert station.returncode == 0, station_err
        csms_out, csms_err = await stop_process(process)
        assert process.returncode == 0, csms_err
        return station_out, csms_out


@pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201])
def test_examples_against_each_other(version: OcppVersion) -> None:
    station_out, csms_out = asyncio.run(asyncio.wait_for(examples_together(version), BOUND))
    assert_clean_log(station_out, version, frames=20)
    assert_clean_log(csms_out, version, frames=20)
