"""The FastAPI/Starlette and aiohttp recipes of the docs, run on loopback.

Each how-to's first ``python`` block is executed as a module; the app it
defines is served on 127.0.0.1 (uvicorn for FastAPI, aiohttp's own runner),
and a station from ``ocpp_core.aio.websockets.connect`` boots against it,
then one that offers no version the app speaks is closed with 1002.
Bounded in time, and no task is left running.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("websockets")

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from ocpp_core import v201
from ocpp_core.aio import HandshakeRefusedError
from ocpp_core.aio.websockets import connect
from tests.aio._support import run
from tests.aio.test_connection import BOOT

DOCS = Path(__file__).resolve().parents[2] / "docs"


def recipe(name: str) -> dict[str, Any]:
    text = (DOCS / name).read_text(encoding="utf-8")
    match = re.search(r"```python\n(.*?)```", text, re.DOTALL)
    assert match is not None, f"no python block in {name}"
    namespace: dict[str, Any] = {"__name__": f"recipe_{name.replace('-', '_')}"}
    exec(compile(match.group(1), str(DOCS / name), "exec"), namespace)
    return namespace


async def exercise(port: int) -> None:
    url = f"ws://127.0.0.1:{port}/ocpp/CP_1"
    async with connect(url, versions=["2.1", "2.0.1"], open_timeout=10) as station:
        assert station.version.value == "2.0.1"
        boot = await station.call(BOOT)
        assert boot.status is v201.RegistrationStatusEnum.ACCEPTED
    async with ws_connect(url, subprotocols=["ocpp2.1"], open_timeout=10) as raw:  # type: ignore[list-item]
        assert raw.subprotocol is None
        with pytest.raises(ConnectionClosed):
            await raw.recv()
        assert raw.close_code == 1002
    with pytest.raises(HandshakeRefusedError):
        async with connect(url, versions=["2.1"], open_timeout=10):
            pass


@asynccontextmanager
async def uvicorn_server(app: Any) -> AsyncIterator[int]:
    uvicorn = pytest.importorskip("uvicorn")
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def aiohttp_server(app: Any) -> AsyncIterator[int]:
    web = pytest.importorskip("aiohttp.web")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("page", "server"),
    [("howto-fastapi.md", uvicorn_server), ("howto-aiohttp.md", aiohttp_server)],
)
def test_recipe(page: str, server: Callable[[Any], Any]) -> None:
    pytest.importorskip("fastapi" if "fastapi" in page else "aiohttp")
    app = recipe(page)["app"]

    async def main() -> None:
        async with server(app) as port:
            await exercise(port)

    run(main, bound=30.0)
