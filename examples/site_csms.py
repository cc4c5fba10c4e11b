"""A CSMS for a small site, on the planner, the reactions and ``ocpp_core.aio``.

Run it, then the stations (``examples/site_stations.py``) against it::

    python examples/site_csms.py --port 9000
    python examples/site_stations.py --url ws://127.0.0.1:9000/

The site: a 32 A three-phase grid connection, a 1.6 charge point (``CP16``)
and two 2.0.1 stations (``CS201-A``, whose EVs speak ISO 15118, and
``CS201-B`` with two EVSEs). Every message that matters goes to a reaction of
``ocpp_core.energy`` (transactions, meter values, ISO 15118 needs and
schedules, external limits); the requests it decides go out in order, the
answers to SetChargingProfile come back to it (a Rejected one gets a
fallback). Whenever nothing is left to send, the CSMS asks every station with
a session for its composite schedule and checks that it matches what it
planned (the CSMS's own copy of the station engine, fed with the profiles it
sent). ``--timeout`` bounds the run; ``--once`` stops when the last station
leaves.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ocpp_core import OcppVersion, v16, v201
from ocpp_core import energy as en
from ocpp_core import smart_charging as sc
from ocpp_core.aio import AioError, Context, Router
from ocpp_core.aio.websockets import serve

LOG = logging.getLogger("site_csms")
ACCEPTED_16 = v16.IdTagInfo(status=v16.AuthorizationStatus.ACCEPTED)
ACCEPTED_201 = v201.IdTokenInfo(status=v201.AuthorizationStatusEnum.ACCEPTED)
CHECK_S = 600


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def example_site(grid_a: float = 32.0) -> en.Site:
    """The example site: a grid limit and three stations mixing 1.6 and 2.0.1."""
    return en.Site(
        circuits=[en.Circuit(id="grid", max_current_a=grid_a)],
        stations=[
            en.SiteStation(id="CP16", version="1.6", station=sc.Station(evses=(sc.Evse(id=1),))),
            en.SiteStation(
                id="CS201-A", version="2.0.1", station=sc.Station(evses=(sc.Evse(id=1),))
            ),
            en.SiteStation(
                id="CS201-B",
                version="2.0.1",
                station=sc.Station(evses=(sc.Evse(id=1), sc.Evse(id=2))),
            ),
        ],
        evses=[
            en.SiteEvse(station_id="CP16", evse_id=1, circuit="grid"),
            en.SiteEvse(station_id="CS201-A", evse_id=1, circuit="grid"),
            en.SiteEvse(station_id="CS201-B", evse_id=1, circuit="grid", phases=("L2", "L3", "L1")),
            en.SiteEvse(station_id="CS201-B", evse_id=2, circuit="grid"),
        ],
    )


class SiteCsms:
    """The CSMS: the site's state, the reactions wired to handlers, delivery and checks."""

    def __init__(self, site: en.Site, settings: en.CsmsSettings | None = None) -> None:
        self.state = en.SiteState(site=site, settings=settings or en.CsmsSettings())
        self.connections: dict[str, Any] = {}
        self.transaction_ids = itertools.count(1)
        self.queue: asyncio.Queue[tuple[en.Outgoing, ...]] = asyncio.Queue()
        self.idle = asyncio.Event()
        self.idle.set()
        self.checks: list[tuple[str, int, float, float]] = []
        self.mismatches: list[str] = []
        self.worker: asyncio.Task[None] | None = None

    # --- reactions ----------------------------------------------------------------------

    def apply(self, reaction: en.Reaction) -> Any:
        """Keep the new state, log why, queue the requests; return the response."""
        self.state = reaction.state
        for line in reaction.explanation:
            LOG.info("%s", line)
        if reaction.requests:
            self.idle.clear()
            self.queue.put_nowait(reaction.requests)
        return reaction.response

    def react(self, function: Callable[..., en.Reaction]) -> Callable[[Any, Context], Any]:
        def handler(request: Any, context: Context) -> Any:
            return self.apply(function(self.state, context.identity, request, now()))

        return handler

    def router(self) -> Router:
        router = Router()
        simple: dict[type, Callable[[], Any]] = {
            v16.BootNotificationRequest: lambda: v16.BootNotificationResponse(
                status=v16.RegistrationStatus.ACCEPTED, current_time=now(), interval=300
            ),
            v16.HeartbeatRequest: lambda: v16.HeartbeatResponse(current_time=now()),
            v16.AuthorizeRequest: lambda: v16.AuthorizeResponse(id_tag_info=ACCEPTED_16),
            v16.StatusNotificationRequest: v16.StatusNotificationResponse,
            v201.BootNotificationRequest: lambda: v201.BootNotificationResponse(
                status=v201.RegistrationStatusEnum.ACCEPTED, current_time=now(), interval=300
            ),
            v201.HeartbeatRequest: lambda: v201.HeartbeatResponse(current_time=now()),
            v201.AuthorizeRequest: lambda: v201.AuthorizeResponse(id_token_info=ACCEPTED_201),
            v201.StatusNotificationRequest: v201.StatusNotificationResponse,
            v201.MeterValuesRequest: v201.MeterValuesResponse,
        }
        for request_type, answer in simple.items():
            router.register(request_type, lambda request, context, answer=answer: answer())
        router.register(v16.StartTransactionRequest, self.start_16)
        router.register(
            v16.StopTransactionRequest,
            lambda r, c: self.apply(en.on_stop_transaction(self.state, c.identity, r)),
        )
        router.register(
            v16.MeterValuesRequest,
            lambda r, c: self.apply(en.on_meter_values(self.state, c.identity, r, now())),
        )
        router.register(v201.TransactionEventRequest, self.transaction_201)
        router.register(v201.NotifyEVChargingNeedsRequest, self.react(en.on_ev_charging_needs))
        router.register(
            v201.NotifyEVChargingScheduleRequest, self.react(en.on_ev_charging_schedule)
        )
        router.register(v201.NotifyChargingLimitRequest, self.react(en.on_notify_charging_limit))
        router.register(v201.ClearedChargingLimitRequest, self.react(en.on_cleared_charging_limit))
        return router

    def start_16(self, request: v16.StartTransactionRequest, context: Context) -> Any:
        reaction = en.on_start_transaction(
            self.state, context.identity, request, next(self.transaction_ids)
        )
        return self.apply(reaction)

    def transaction_201(self, request: v201.TransactionEventRequest, context: Context) -> Any:
        response = self.apply(en.on_transaction_event(self.state, context.identity, request, now()))
        if request.id_token is not None:  # authorization is the CSMS's own business
            response = v201.TransactionEventResponse(id_token_info=ACCEPTED_201)
        return response

    # --- delivery and checks ------------------------------------------------------------

    async def deliver(self) -> None:
        """Send every batch in order; feed SetChargingProfile answers back; check when idle."""
        while True:
            batch = await self.queue.get()
            for outgoing in batch:
                connection = self.connections.get(outgoing.station_id)
                if connection is None:
                    LOG.info("%s: not connected, %s dropped", outgoing.station_id, outgoing.action)
                    continue
                try:
                    answer = await connection.call(outgoing.request, timeout=10.0)
                except AioError as exc:
                    LOG.info("%s: %s failed: %s", outgoing.station_id, outgoing.action, exc)
                    continue
                if outgoing.action == "SetChargingProfile":
                    self.apply(
                        en.on_set_charging_profile_response(
                            self.state, outgoing.station_id, outgoing.request, answer, now()
                        )
                    )
            if self.queue.empty():
                await self.check()
                if self.queue.empty():
                    self.idle.set()

    async def check(self) -> None:
        """Ask each station with a session for its composite; compare with the CSMS's own.

        The expectation is the state when the check starts (every decided request
        delivered and answered). If a station's message changes the state during
        the round, the round is inconclusive and dropped: the next one tells.
        """
        snapshot = self.state
        found: list[tuple[str, int, float, float]] = []
        wrong: list[str] = []
        for track in sorted(snapshot.tracks, key=lambda t: t.key):
            station_id, evse_id = track.key
            connection = self.connections.get(station_id)
            store = snapshot.store(station_id)
            held = [e for e in store.entries if e.evse_id == evse_id]
            if connection is None or not held:
                continue
            site_station = snapshot.site.station(station_id)
            unit = held[-1].profile.schedules[0].charging_rate_unit
            model = sc.Station(
                evses=site_station.station.evses, transactions=snapshot.transactions(station_id)
            )
            expected = sc.composite_schedule(store, model, evse_id, now(), CHECK_S, unit)
            if site_station.version is OcppVersion.V16:
                request: Any = v16.GetCompositeScheduleRequest(
                    connector_id=evse_id, duration=CHECK_S, charging_rate_unit=unit.value
                )
            else:
                request = v201.GetCompositeScheduleRequest(
                    evse_id=evse_id, duration=CHECK_S, charging_rate_unit=unit.value
                )
            try:
                answer = await connection.call(request, timeout=10.0)
            except AioError as exc:
                wrong.append(f"{station_id}#{evse_id}: no composite ({exc})")
                continue
            reported = sc.composite_from_ocpp(answer)
            if reported.schedule is None or expected.schedule is None:
                wrong.append(f"{station_id}#{evse_id}: composite refused")
                continue
            got = reported.schedule.periods[0].limit
            want = expected.schedule.periods[0].limit
            found.append((station_id, evse_id, want, got))
            if abs(got - want) > 0.1:
                wrong.append(f"{station_id}#{evse_id}: station {got:g}, plan {want:g}")
            LOG.info("check %s#%d: station %g %s, plan %g", station_id, evse_id, got, unit, want)
        if self.state is not snapshot:
            LOG.info("the site changed during the check: round dropped")
            return
        self.checks.extend(found)
        self.mismatches.extend(wrong)

    async def settled(self) -> None:
        """Wait until every decided request is delivered and checked."""
        await asyncio.sleep(0)
        await self.idle.wait()

    async def on_connect(self, connection: Any) -> None:
        self.connections[connection.context.identity] = connection
        if self.worker is None:
            self.worker = asyncio.create_task(self.deliver())

    def on_close(self, connection: Any) -> None:
        self.connections.pop(connection.context.identity, None)

    async def stop(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            await asyncio.gather(self.worker, return_exceptions=True)
            self.worker = None


def site_server(csms: SiteCsms, host: str = "127.0.0.1", port: int = 0) -> Any:
    """The WebSocket server of ``csms`` (use it with ``async with``)."""
    return serve(
        csms.on_connect,
        host,
        port,
        router=csms.router(),
        on_close=csms.on_close,
        versions=["1.6", "2.0.1"],
    )


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000, help="0 picks a free port")
    parser.add_argument("--grid", type=float, default=32.0, help="grid limit in A per phase")
    parser.add_argument("--timeout", type=float, help="stop after this many seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="# %(message)s")
    csms = SiteCsms(example_site(args.grid))
    async with site_server(csms, args.host, args.port) as server:
        print(f"# listening on ws://{args.host}:{server.port}/", flush=True)
        try:
            await asyncio.wait_for(asyncio.Event().wait(), args.timeout)
        except TimeoutError:
            LOG.info("timeout: stopping")
        finally:
            await csms.stop()
    print(f"# {len(csms.checks)} composite check(s), {len(csms.mismatches)} mismatch(es)")
    return 1 if csms.mismatches else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
