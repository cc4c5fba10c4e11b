"""A whole site end to end over real WebSockets on loopback.

``examples/site_csms.py`` (the planner, the reactions, ``ocpp_core.aio``) serves
on 127.0.0.1; the stations of ``examples/site_stations.py`` (the station-side
engine) connect, EVs arrive (one with ISO 15118 needs) and leave. After every
step the CSMS has sent its profiles and asked each station with a session for
its composite schedule: each must match the CSMS's plan, and together they
must keep the grid limit. Bounded in time; nothing is left running.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("websockets")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


site_csms = _load("site_csms")
site_stations = _load("site_stations")


async def _run(stations: list[Any] | None = None) -> Any:
    csms = site_csms.SiteCsms(site_csms.example_site(32.0))
    try:
        async with site_csms.site_server(csms) as server:
            url = f"ws://127.0.0.1:{server.port}/"

            async def settle() -> None:
                await asyncio.wait_for(csms.settled(), 10)

            failures = await site_stations.scenario(url, settle, stations)
    finally:
        await csms.stop()
    return csms, failures


def test_the_site_follows_its_plan_over_websockets() -> None:
    csms, failures = asyncio.run(asyncio.wait_for(_run(), 60))
    assert failures == []
    assert csms.mismatches == []
    checked = {(station, evse) for station, evse, _, _ in csms.checks}
    assert checked == {("CP16", 1), ("CS201-A", 1), ("CS201-B", 1), ("CS201-B", 2)}
    # The plan shared the 32 A grid: with four EVs on it no EV got more than a quarter.
    assert min(got for *_, got in csms.checks) <= 8.0
    assert all(got <= 32.0 for *_, got in csms.checks)
    assert csms.state.tracks == ()


# --- the same site with a charge point built on the ``ocpp`` package ------------------

ocpp = pytest.importorskip("ocpp")

from ocpp.charge_point import (  # noqa: E402
    camel_to_snake_case,
    remove_nones,
    snake_to_camel_case,
)
from ocpp.routing import on  # noqa: E402
from ocpp.v16 import ChargePoint as MhChargePoint16  # noqa: E402
from ocpp.v16 import call as call16  # noqa: E402
from ocpp.v16 import call_result as result16  # noqa: E402
from ocpp.v16.enums import Action as Action16  # noqa: E402
from ocpp.v201 import ChargePoint as MhChargePoint201  # noqa: E402
from ocpp.v201 import call as call201  # noqa: E402
from ocpp.v201 import call_result as result201  # noqa: E402
from ocpp.v201.enums import Action as Action201  # noqa: E402
from websockets.asyncio.client import connect as ws_connect  # noqa: E402

from ocpp_core import OcppVersion, decode_payload, encode_payload  # noqa: E402


class _Context:
    def __init__(self, version: OcppVersion) -> None:
        self.version = version


def _to_ours(version: OcppVersion, action: str, kind: str, fields: dict[str, Any]) -> Any:
    """An ``ocpp``-package payload (snake_case) as our typed message."""
    wire = snake_to_camel_case(remove_nones(fields))
    # ``ocpp`` reads JSON numbers as Decimal: back to plain JSON numbers.
    plain = json.loads(json.dumps(wire, default=float))
    return decode_payload(version, action, kind, plain)


def _to_theirs(module: Any, message: Any) -> Any:
    """Our typed message as the ``ocpp`` package's call or call_result dataclass."""
    action = type(message).ocpp_meta.action
    return getattr(module, action)(**camel_to_snake_case(encode_payload(message)))


def _mh_station(engine: Any) -> Any:
    """An ``ocpp`` charge point whose smart charging is ``engine``'s (our station engine)."""
    version = engine.version
    v16 = version is OcppVersion.V16
    base, results = (MhChargePoint16, result16) if v16 else (MhChargePoint201, result201)
    actions = Action16 if v16 else Action201

    class MhEngineStation(base):  # type: ignore[misc, valid-type]
        @on(actions.set_charging_profile)
        async def set_profile(self, **fields: Any) -> Any:
            ours = _to_ours(version, "SetChargingProfile", "request", fields)
            return _to_theirs(results, await engine.set_profile(ours, _Context(version)))

        @on(actions.get_composite_schedule)
        def composite(self, **fields: Any) -> Any:
            ours = _to_ours(version, "GetCompositeSchedule", "request", fields)
            return _to_theirs(results, engine.composite(ours, _Context(version)))

    return MhEngineStation


class _Bridge:
    """Gives an EngineStation's ``call`` to an ``ocpp`` charge point."""

    def __init__(self, charge_point: Any, version: OcppVersion) -> None:
        self.charge_point = charge_point
        self.version = version

    async def call(self, message: Any, timeout: float = 10.0) -> Any:
        calls = call16 if self.version is OcppVersion.V16 else call201
        action = type(message).ocpp_meta.action
        result = await asyncio.wait_for(
            self.charge_point.call(_to_theirs(calls, message), suppress=False), timeout
        )
        return _to_ours(self.version, action, "response", dict(vars(result)))


async def _run_with_mh(identity: str) -> Any:
    stations = site_stations.site_stations()
    chosen = next(s for s in stations if s.identity == identity)
    csms = site_csms.SiteCsms(site_csms.example_site(32.0))
    try:
        async with site_csms.site_server(csms) as server:
            url = f"ws://127.0.0.1:{server.port}/"
            subprotocol = "ocpp1.6" if chosen.version is OcppVersion.V16 else "ocpp2.0.1"
            async with ws_connect(url + identity, subprotocols=[subprotocol]) as ws:  # type: ignore[list-item]
                charge_point = _mh_station(chosen)(identity, ws)
                runner = asyncio.create_task(charge_point.start())
                bridge = _Bridge(charge_point, chosen.version)
                original = site_stations.connect

                def connect(url_: str, **kwargs: Any) -> Any:
                    if url_.endswith("/" + identity):
                        return _Connected(bridge)
                    return original(url_, **kwargs)

                site_stations.connect = connect
                try:

                    async def settle() -> None:
                        await asyncio.wait_for(csms.settled(), 10)

                    failures = await site_stations.scenario(url, settle, stations)
                finally:
                    site_stations.connect = original
                    runner.cancel()
                    await asyncio.gather(runner, return_exceptions=True)
    finally:
        await csms.stop()
    return csms, failures


class _Connected:
    def __init__(self, bridge: _Bridge) -> None:
        self.bridge = bridge

    async def __aenter__(self) -> _Bridge:
        return self.bridge

    async def __aexit__(self, *exc: object) -> None:
        return None


@pytest.mark.parametrize("identity", ["CP16", "CS201-B"])
def test_the_site_with_a_charge_point_of_the_ocpp_package(identity: str) -> None:
    csms, failures = asyncio.run(asyncio.wait_for(_run_with_mh(identity), 60))
    assert failures == []
    assert csms.mismatches == []
    checked = {(station, evse) for station, evse, _, _ in csms.checks}
    assert checked == {("CP16", 1), ("CS201-A", 1), ("CS201-B", 1), ("CS201-B", 2)}
