"""The stations of the example site, each running the station-side smart-charging engine.

Run them against ``examples/site_csms.py``::

    python examples/site_stations.py --url ws://127.0.0.1:9000/

Three stations connect (``CP16`` in OCPP 1.6, ``CS201-A`` and ``CS201-B`` in
2.0.1). EVs arrive one after the other (the one at ``CS201-A`` states its
ISO 15118 charging needs), then leave. Each station installs the CSMS's
SetChargingProfile in its own ``ProfileStore`` (with its version's acceptance
rules) and answers GetCompositeSchedule from ``composite_schedule``. Exit
status 0 when every CALL got a CALLRESULT; ``--timeout`` bounds the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ocpp_core import OcppVersion, v16, v201
from ocpp_core import smart_charging as sc
from ocpp_core.aio import AioError, Context, Router
from ocpp_core.aio.websockets import connect

LOG = logging.getLogger("site_stations")
TOKEN_16 = "04A2C93A7B5E81"
TOKEN_201 = v201.IdToken(id_token="04A2C93A7B5E81", type=v201.IdTokenEnum.ISO14443)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class EngineStation:
    """One station: its smart-charging engine, its EVSEs and its transactions."""

    def __init__(self, identity: str, version: OcppVersion, evses: int) -> None:
        self.identity = identity
        self.version = version
        self.evses = tuple(sc.Evse(id=k) for k in range(1, evses + 1))
        self.store = sc.ProfileStore(version=version)
        self.transactions: dict[int, sc.Transaction] = {}
        self.connection: Any = None
        self.failures: list[str] = []
        self.seq = 0

    def model(self) -> sc.Station:
        return sc.Station(evses=self.evses, transactions=tuple(self.transactions.values()))

    # --- what the CSMS asks ---------------------------------------------------------------

    def router(self) -> Router:
        router = Router()
        mod: Any = v16 if self.version is OcppVersion.V16 else v201
        router.register(mod.SetChargingProfileRequest, self.set_profile)
        router.register(mod.GetCompositeScheduleRequest, self.composite)
        return router

    async def set_profile(self, request: Any, context: Context) -> Any:
        # Let a StartTransaction answered just before record its transaction first.
        await asyncio.sleep(0)
        neutral = sc.set_charging_profile_from_ocpp(request)
        result = self.store.install(neutral.profile, neutral.evse_id, self.model(), now=now())
        self.store = result.store
        LOG.info("%s: SetChargingProfile %s", self.identity, result.validation.describe())
        return sc.set_charging_profile_response(result.validation, context.version)

    def composite(self, request: Any, context: Context) -> Any:
        evse_id = request.connector_id if self.version is OcppVersion.V16 else request.evse_id
        result = sc.composite_schedule(
            self.store, self.model(), evse_id, now(), request.duration, request.charging_rate_unit
        )
        return sc.composite_to_ocpp(result, context.version)

    # --- what the station sends -----------------------------------------------------------

    async def call(self, message: Any) -> Any:
        try:
            return await self.connection.call(message, timeout=10.0)
        except AioError as exc:
            self.failures.append(f"{self.identity}: {type(message).__name__}: {exc}")
            return None

    async def boot(self) -> None:
        if self.version is OcppVersion.V16:
            await self.call(
                v16.BootNotificationRequest(
                    charge_point_vendor="ocpp_core", charge_point_model="site"
                )
            )
        else:
            await self.call(
                v201.BootNotificationRequest(
                    charging_station=v201.ChargingStation(model="site", vendor_name="ocpp_core"),
                    reason=v201.BootReasonEnum.POWER_UP,
                )
            )

    async def arrive(self, evse_id: int, *, iso15118: bool = False) -> None:
        """An EV plugs in and charges (and, with ISO 15118, states its needs)."""
        if self.version is OcppVersion.V16:
            answer = await self.call(
                v16.StartTransactionRequest(
                    connector_id=evse_id, id_tag=TOKEN_16, meter_start=0, timestamp=now()
                )
            )
            if answer is not None:
                self.transactions[evse_id] = sc.Transaction(
                    evse_id=evse_id, started_at=now(), transaction_id=answer.transaction_id
                )
            return
        transaction_id = f"{self.identity}-{evse_id}-{self.seq}"
        self.transactions[evse_id] = sc.Transaction(
            evse_id=evse_id, started_at=now(), transaction_id=transaction_id
        )
        await self.call(self.event(evse_id, v201.TransactionEventEnum.STARTED, id_token=TOKEN_201))
        if iso15118:
            needs = v201.ChargingNeeds(
                requested_energy_transfer=v201.EnergyTransferModeEnum.AC_THREE_PHASE,
                departure_time=now() + timedelta(hours=3),
                ac_charging_parameters=v201.ACChargingParameters(
                    energy_amount=15000, ev_min_current=6, ev_max_current=32, ev_max_voltage=400
                ),
            )
            await self.call(
                v201.NotifyEVChargingNeedsRequest(
                    evse_id=evse_id, max_schedule_tuples=3, charging_needs=needs
                )
            )

    async def leave(self, evse_id: int) -> None:
        """The EV on ``evse_id`` stops and leaves."""
        transaction = self.transactions.get(evse_id)
        if transaction is None:
            return
        if self.version is OcppVersion.V16:
            assert isinstance(transaction.transaction_id, int)
            await self.call(
                v16.StopTransactionRequest(
                    transaction_id=transaction.transaction_id, meter_stop=5000, timestamp=now()
                )
            )
        else:
            await self.call(self.event(evse_id, v201.TransactionEventEnum.ENDED))
        del self.transactions[evse_id]
        self.store = self.store.end_transaction(transaction)

    def event(
        self, evse_id: int, kind: v201.TransactionEventEnum, id_token: Any = None
    ) -> v201.TransactionEventRequest:
        self.seq += 1
        transaction = self.transactions[evse_id]
        return v201.TransactionEventRequest(
            event_type=kind,
            timestamp=now(),
            trigger_reason=v201.TriggerReasonEnum.CABLE_PLUGGED_IN
            if kind is v201.TransactionEventEnum.STARTED
            else v201.TriggerReasonEnum.EV_DEPARTED,
            seq_no=self.seq,
            transaction_info=v201.Transaction(transaction_id=str(transaction.transaction_id)),
            evse=v201.EVSE(id=evse_id, connector_id=1),
            number_of_phases_used=3,
            id_token=id_token,
        )


def site_stations() -> list[EngineStation]:
    """The stations of ``examples/site_csms.py``'s site."""
    return [
        EngineStation("CP16", OcppVersion.V16, 1),
        EngineStation("CS201-A", OcppVersion.V201, 1),
        EngineStation("CS201-B", OcppVersion.V201, 2),
    ]


@contextlib.asynccontextmanager
async def connected(url: str, stations: list[EngineStation]) -> AsyncIterator[None]:
    """Connect every station to the CSMS at ``url`` (a base URL ending with ``/``)."""
    async with contextlib.AsyncExitStack() as stack:
        for station in stations:
            station.connection = await stack.enter_async_context(
                connect(
                    url + station.identity,
                    versions=[station.version],
                    router=station.router(),
                    open_timeout=10,
                )
            )
            await station.boot()
        yield


async def scenario(
    url: str,
    settle: Callable[[], Awaitable[None]] | None = None,
    stations: list[EngineStation] | None = None,
) -> list[str]:
    """Sessions arrive, one with ISO 15118 needs, then leave; the failures, if any.

    ``settle`` is awaited between steps (default: half a second), e.g. until the
    CSMS has sent and checked everything it decided.
    """

    async def pause() -> None:
        await (settle() if settle is not None else asyncio.sleep(0.5))

    by_id = {s.identity: s for s in (stations or site_stations())}
    async with connected(url, list(by_id.values())):
        await by_id["CP16"].arrive(1)
        await pause()
        await by_id["CS201-A"].arrive(1, iso15118=True)
        await pause()
        await by_id["CS201-B"].arrive(1)
        await by_id["CS201-B"].arrive(2)
        await pause()
        await by_id["CP16"].leave(1)
        await pause()
        for station in by_id.values():
            for evse_id in list(station.transactions):
                await station.leave(evse_id)
        await pause()
    return [f for s in by_id.values() for f in s.failures]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="ws://127.0.0.1:9000/")
    parser.add_argument("--timeout", type=float, default=60.0, help="bound on the whole run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="# %(message)s")
    base = args.url if args.url.endswith("/") else args.url + "/"
    try:
        failures = asyncio.run(asyncio.wait_for(scenario(base), args.timeout))
    except TimeoutError:
        print(f"# timeout after {args.timeout} s", file=sys.stderr)
        return 1
    except (OSError, AioError) as exc:
        print(f"# cannot connect: {exc}", file=sys.stderr)
        return 1
    for failure in failures:
        print(f"# failed: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
