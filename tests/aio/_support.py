"""Helpers for the asyncio layer's tests: bounded runs that check for leaked tasks."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from ocpp_core import OcppVersion, Role
from ocpp_core.aio import Connection, MemoryTransport, Router, memory_pair
from ocpp_core.rpc import Session

BOUND = 10.0  # seconds for one test, start to stop


def run(main: Callable[[], Awaitable[None]], *, bound: float = BOUND) -> None:
    """Run ``main`` in a fresh loop, bounded in time; fail if any task is left running."""

    async def wrapper() -> None:
        async with asyncio.timeout(bound):
            await main()
        for _ in range(3):
            await asyncio.sleep(0)
        leftover = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        assert leftover == [], f"leaked tasks: {leftover}"

    asyncio.run(wrapper())


def now_utc() -> datetime:
    return datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def session(version: OcppVersion | str, role: Role, prefix: str, **kw: Any) -> Session:
    ids = itertools.count(1)
    return Session(version, role, new_id=lambda: f"{prefix}-{next(ids)}", **kw)


@asynccontextmanager
async def connected(
    version: OcppVersion | str = "2.0.1",
    *,
    csms_router: Router | None = None,
    station_router: Router | None = None,
    call_timeout: float = 5.0,
    **kw: Any,
) -> AsyncIterator[tuple[Connection, Connection]]:
    """A CSMS and a station connected in memory, both running; closed on exit."""
    a, b = memory_pair()
    csms = Connection(
        a,
        session(version, Role.CSMS, "csms", call_timeout=call_timeout),
        router=csms_router,
        identity="CP_1",
        **kw,
    )
    station = Connection(
        b,
        session(version, Role.CHARGING_STATION, "cs", call_timeout=call_timeout),
        router=station_router,
        identity="CP_1@station",  # the station's own log; the CSMS logs as CP_1
    )
    async with csms, station:
        yield csms, station


@asynccontextmanager
async def raw_peer(
    version: OcppVersion | str = "2.0.1",
    *,
    router: Router | None = None,
    role: Role = Role.CSMS,
    **kw: Any,
) -> AsyncIterator[tuple[Connection, MemoryTransport]]:
    """Our connection (as ``role``) against a raw transport the test drives by hand."""
    a, b = memory_pair()
    connection = Connection(a, session(version, role, "us"), router=router, identity="CP_1", **kw)
    async with connection:
        yield connection, b
    await b.close()
