"""``serve`` and ``connect`` over real WebSockets on loopback.

Handshake decisions (identity, subprotocol, Basic authentication, the accept
hook) and their HTTP statuses, close codes, reconnection, replacement of a
station's older connection, and no leaked tasks or sockets.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

websockets = pytest.importorskip("websockets")

from websockets.asyncio.client import connect as ws_connect  # noqa: E402
from websockets.exceptions import InvalidStatus  # noqa: E402

from ocpp_core import OcppVersion, v16, v201  # noqa: E402
from ocpp_core.aio import (  # noqa: E402
    ConnectionClosedError,
    Context,
    HandshakeRefusedError,
    Router,
)
from ocpp_core.aio.websockets import (  # noqa: E402
    Backoff,
    Handshake,
    connect,
    identity_from_path,
    serve,
)
from ocpp_core.rpc import basic_auth_header  # noqa: E402
from tests.aio._support import now_utc  # noqa: E402
from tests.aio._support import run as run_bounded  # noqa: E402
from tests.aio.test_connection import BOOT, station_router  # noqa: E402

PASSWORD = "s3cret-s3cret-s3cret"


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Bounded, no leaked tasks (``_support.run``), and no leaked sockets."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        run_bounded(main, bound=20.0)
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == [], [str(w.message) for w in leaks]


def csms_router() -> Router:
    router = Router()

    @router.on(v201.BootNotificationRequest)
    def boot201(request: Any, context: Context) -> Any:
        return v201.BootNotificationResponse(
            current_time=now_utc(), interval=60, status=v201.RegistrationStatusEnum.ACCEPTED
        )

    @router.on(v16.BootNotificationRequest)
    def boot16(request: Any, context: Context) -> Any:
        return v16.BootNotificationResponse(
            current_time=now_utc(), interval=60, status=v16.RegistrationStatus.ACCEPTED
        )

    return router


def url(server: Any, identity: str = "CP_1") -> str:
    return f"ws://127.0.0.1:{server.port}/ocpp/{identity}"


def test_identity_from_path() -> None:
    assert identity_from_path("/ocpp/CP%201?x=1") == "CP 1"
    assert identity_from_path("/ocpp/CP_1/") == "CP_1"
    assert identity_from_path("/") == ""


@pytest.mark.parametrize(
    ("offered", "served", "expected"),
    [
        (["2.0.1"], ["1.6", "2.0.1"], OcppVersion.V201),
        (["1.6"], ["1.6", "2.0.1"], OcppVersion.V16),
        (["1.6", "2.0.1", "2.1"], ["1.6", "2.0.1"], OcppVersion.V201),
    ],
)
def test_serve_and_connect(offered: list[str], served: list[str], expected: OcppVersion) -> None:
    seen: list[Handshake] = []
    cleared = asyncio.Event()

    async def on_connect(connection: Any) -> None:
        if connection.version is OcppVersion.V201:
            answer = await connection.call(v201.ClearCacheRequest())
            assert answer.status is v201.ClearCacheStatusEnum.ACCEPTED
        cleared.set()

    def state(handshake: Handshake) -> dict[str, Any]:
        seen.append(handshake)
        return {"identity": handshake.identity}

    async def main() -> None:
        async with serve(on_connect, router=csms_router(), versions=served, state=state) as server:
            async with connect(url(server), versions=offered, router=station_router()) as station:
                assert station.version is expected
                assert station.context.subprotocol == expected.subprotocol
                boot = (
                    BOOT
                    if expected is OcppVersion.V201
                    else v16.BootNotificationRequest(
                        charge_point_vendor="V", charge_point_model="M"
                    )
                )
                assert (await station.call(boot)).interval == 60
                await cleared.wait()
                csms_side = server.connections["CP_1"]
                assert csms_side.context.state == {"identity": "CP_1"}
                assert csms_side.version is expected
            await csms_side.wait_closed()
            assert server.connections == {}
        assert seen[0].version is expected
        assert seen[0].peer_certificate is None

    run(main)


def test_no_common_subprotocol_closes_with_1002() -> None:
    async def main() -> None:
        async with serve(router=csms_router(), versions=["1.6"]) as server:
            async with ws_connect(url(server), subprotocols=["ocpp2.0.1"]) as raw:  # type: ignore[list-item]
                assert raw.subprotocol is None
                with pytest.raises(websockets.exceptions.ConnectionClosed):
                    await raw.recv()
                assert raw.close_code == 1002
            with pytest.raises(HandshakeRefusedError) as caught:
                async with connect(url(server), versions=["2.0.1"]):
                    pass
            assert caught.value.status is None
            assert server.connections == {}

    run(main)


async def status_of(address: str, **kw: Any) -> int:
    with pytest.raises(InvalidStatus) as caught:
        async with ws_connect(address, **kw):
            pass
    return caught.value.response.status_code


def test_basic_authentication() -> None:
    def password(identity: str) -> str | None:
        return PASSWORD if identity == "CP_1" else None

    async def main() -> None:
        async with serve(router=csms_router(), password=password) as server:
            offer = {"subprotocols": ["ocpp2.0.1"]}
            good = basic_auth_header("CP_1", PASSWORD, "2.0.1")
            wrong = basic_auth_header("CP_1", "x" * 20, "2.0.1")
            other = basic_auth_header("CP_2", PASSWORD, "2.0.1")
            assert await status_of(url(server), **offer) == 401  # no header
            assert (
                await status_of(url(server), additional_headers={"Authorization": wrong}, **offer)
                == 401
            )
            assert (
                await status_of(url(server), additional_headers={"Authorization": other}, **offer)
                == 401
            )
            assert (
                await status_of(
                    url(server), additional_headers={"Authorization": "Basic !!"}, **offer
                )
                == 401
            )
            assert (
                await status_of(
                    url(server, "CP_9"), additional_headers={"Authorization": good}, **offer
                )
                == 404
            )
            with pytest.raises(InvalidStatus) as caught:
                async with ws_connect(url(server), **offer):
                    pass
            assert caught.value.response.headers["WWW-Authenticate"].startswith("Basic")
            with pytest.raises(HandshakeRefusedError) as refused:
                async with connect(url(server), password="y" * 20):
                    pass
            assert refused.value.status == 401
            async with connect(url(server), password=PASSWORD) as station:
                assert (await station.call(BOOT)).interval == 60
            assert await status_of(f"ws://127.0.0.1:{server.port}/", **offer) == 404

    run(main)


def test_accept_hook() -> None:
    async def accept(handshake: Handshake) -> bool:
        if handshake.identity == "banned":
            raise HandshakeRefusedError(451, "unavailable for legal reasons")
        return handshake.identity != "stranger"

    async def main() -> None:
        async with serve(router=csms_router(), accept=accept) as server:
            offer = {"subprotocols": ["ocpp2.0.1"]}
            assert await status_of(url(server, "stranger"), **offer) == 403
            assert await status_of(url(server, "banned"), **offer) == 451
            async with connect(url(server, "friend")) as station:
                assert (await station.call(BOOT)).interval == 60

    run(main)


def test_server_close_ends_connections_with_1001() -> None:
    async def main() -> None:
        server = serve(router=csms_router())
        async with server:
            station_cm = connect(url(server))
            station = await station_cm.__aenter__()
            try:
                await station.call(BOOT)
                await server.close()
                await asyncio.wait_for(station.wait_closed(), 5)
                assert "1001" in (station.close_reason or "")
                with pytest.raises(ConnectionClosedError):
                    await station.call(BOOT)
            finally:
                await station_cm.__aexit__(None, None, None)

    run(main)


def test_a_new_connection_replaces_the_old_one() -> None:
    async def main() -> None:
        async with serve(router=csms_router()) as server, connect(url(server)) as first:
            await first.call(BOOT)
            old = server.connections["CP_1"]
            async with connect(url(server)) as second:
                await second.call(BOOT)
                await asyncio.wait_for(first.wait_closed(), 5)
                assert old.closed
                assert server.connections["CP_1"] is not old

    run(main)


def test_reconnection_with_backoff() -> None:
    async def main() -> None:
        async with serve(router=csms_router()) as server:
            rounds = 0
            async for station in connect(url(server), backoff=Backoff(initial=0.01, maximum=0.02)):
                rounds += 1
                assert (await station.call(BOOT)).interval == 60
                if rounds == 3:
                    break
                await server.connections["CP_1"].close("go away")
                await asyncio.wait_for(station.wait_closed(), 5)
                with pytest.raises(ConnectionClosedError):
                    await station.call(BOOT)
            assert rounds == 3

    run(main)


def test_backoff_delays() -> None:
    delays = iter(Backoff(initial=1.0, factor=2.0, maximum=5.0, jitter=0.0).delays())
    assert [next(delays) for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_connect_to_nothing_is_refused() -> None:
    async def main() -> None:
        async with serve() as server:
            port = server.port
        with pytest.raises(ConnectionRefusedError):
            async with connect(f"ws://127.0.0.1:{port}/CP_1", open_timeout=5):
                pass

    run(main)


def test_reconnection_waits_for_a_csms_that_is_not_up_yet() -> None:
    async def main() -> None:
        async with serve() as probe:
            port = probe.port  # free now that the probe is closed
        address = f"ws://127.0.0.1:{port}/CP_1"
        connected = asyncio.Event()

        async def station() -> None:
            async for connection in connect(address, backoff=Backoff(initial=0.05, maximum=0.1)):
                assert (await connection.call(BOOT)).interval == 60
                connected.set()
                break

        task = asyncio.create_task(station())
        await asyncio.sleep(0.2)  # a few refused attempts
        assert not connected.is_set()
        async with serve(router=csms_router(), port=port):
            await asyncio.wait_for(task, 10)
        assert connected.is_set()

    run(main)


def test_reconnection_gives_up_on_a_refusal() -> None:
    async def main() -> None:
        async with serve(router=csms_router(), password=lambda identity: None) as server:
            with pytest.raises(HandshakeRefusedError) as caught:
                async for _ in connect(url(server), backoff=Backoff(initial=0.01)):
                    pass
            assert caught.value.status == 404

    run(main)
