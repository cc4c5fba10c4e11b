"""The asyncio connection over an in-memory transport pair.

Calls both ways, crossing calls, timeouts, CALLERRORs, a peer leaving in the
middle of a call, slow and async handlers, failing handlers, hostile frames,
back-pressure and shutdown. Every test runs in a fresh loop, bounded in time,
and fails if a task is left running (``_support.run``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any

import pytest

from ocpp_core import EncodeError, ErrorCode, OcppVersion, Role, v16, v21, v201
from ocpp_core.aio import (
    CallErrorReply,
    CallTimeoutError,
    Connection,
    ConnectionClosedError,
    Context,
    InvalidResponseError,
    RemoteCallError,
    Router,
    memory_pair,
)
from ocpp_core.aio import _connection as connection_module
from ocpp_core.errors import LocalProtocolError
from tests.aio._support import connected, now_utc, raw_peer, run, session

BOOT = v201.BootNotificationRequest(
    charging_station=v201.ChargingStation(model="M", vendor_name="V"),
    reason=v201.BootReasonEnum.POWER_UP,
)


def csms_router() -> Router:
    router = Router()

    @router.on(v201.BootNotificationRequest)
    def boot(request: v201.BootNotificationRequest, context: Context) -> Any:
        return v201.BootNotificationResponse(
            current_time=now_utc(), interval=300, status=v201.RegistrationStatusEnum.ACCEPTED
        )

    @router.on(v201.HeartbeatRequest)
    async def heartbeat(request: v201.HeartbeatRequest, context: Context) -> Any:
        await asyncio.sleep(0)
        return v201.HeartbeatResponse(current_time=now_utc())

    return router


def station_router() -> Router:
    router = Router()

    @router.on(v201.ClearCacheRequest)
    async def clear(request: v201.ClearCacheRequest, context: Context) -> Any:
        await asyncio.sleep(0.01)
        return v201.ClearCacheResponse(status=v201.ClearCacheStatusEnum.ACCEPTED)

    return router


async def read_frame(transport: Any) -> list[Any]:
    value = json.loads(await transport.recv())
    assert isinstance(value, list)
    return value


# --- calls -------------------------------------------------------------------------


def test_calls_both_ways_sync_and_async_handlers() -> None:
    async def main() -> None:
        async with connected(csms_router=csms_router(), station_router=station_router()) as (
            csms,
            station,
        ):
            boot = await station.call(BOOT)
            assert boot.status is v201.RegistrationStatusEnum.ACCEPTED
            beat = await station.call(v201.HeartbeatRequest())
            assert beat.current_time == now_utc()
            cleared = await csms.call(v201.ClearCacheRequest())
            assert cleared.status is v201.ClearCacheStatusEnum.ACCEPTED

    run(main)


def test_context_carries_identity_version_subprotocol_state() -> None:
    seen: list[Context] = []
    router = Router()

    @router.on(v201.HeartbeatRequest)
    def heartbeat(request: Any, context: Context) -> Any:
        seen.append(context)
        context.state["beats"] += 1
        return v201.HeartbeatResponse(current_time=now_utc())

    async def main() -> None:
        state = {"beats": 0}
        async with connected(csms_router=router, subprotocol="ocpp2.0.1", state=state) as (
            csms,
            station,
        ):
            await station.call(v201.HeartbeatRequest())
            await station.call(v201.HeartbeatRequest())
        assert state == {"beats": 2}
        assert seen[0] is csms.context
        assert (seen[0].identity, seen[0].version, seen[0].subprotocol) == (
            "CP_1",
            OcppVersion.V201,
            "ocpp2.0.1",
        )

    run(main)


def test_calls_queue_one_in_flight() -> None:
    """Five calls at once: one in flight at a time, all answered, in order."""
    in_flight = 0
    most = 0
    order: list[int] = []
    router = Router()

    @router.on(v201.HeartbeatRequest)
    async def heartbeat(request: Any, context: Context) -> Any:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        order.append(len(order))
        await asyncio.sleep(0.01)
        in_flight -= 1
        return v201.HeartbeatResponse(current_time=now_utc())

    async def main() -> None:
        async with connected(csms_router=router) as (_csms, station):
            results = await asyncio.gather(
                *(station.call(v201.HeartbeatRequest()) for _ in range(5))
            )
            assert len(results) == 5
            assert station.session.in_flight is None
        assert most == 1
        assert order == [0, 1, 2, 3, 4]

    run(main)


def test_crossing_calls() -> None:
    """The CSMS calls the station while answering the station's CALL."""
    router = Router()

    @router.on(v201.HeartbeatRequest)
    async def heartbeat(request: Any, context: Context) -> Any:
        cleared = await context.call(v201.ClearCacheRequest())
        assert cleared.status is v201.ClearCacheStatusEnum.ACCEPTED
        return v201.HeartbeatResponse(current_time=now_utc())

    async def main() -> None:
        async with connected(csms_router=router, station_router=station_router()) as (
            _csms,
            station,
        ):
            beat = await station.call(v201.HeartbeatRequest())
            assert beat.current_time == now_utc()

    run(main)


def test_spawned_call_after_answer() -> None:
    """A handler spawns a CALL that leaves after its own answer."""
    router = Router()
    done = asyncio.Event()

    @router.on(v201.HeartbeatRequest)
    def heartbeat(request: Any, context: Context) -> Any:
        async def clear() -> None:
            await context.call(v201.ClearCacheRequest())
            done.set()

        context.spawn(clear())
        return v201.HeartbeatResponse(current_time=now_utc())

    async def main() -> None:
        async with connected(csms_router=router, station_router=station_router()) as (_, station):
            await station.call(v201.HeartbeatRequest())
            await done.wait()

    run(main)


# --- outcomes that are errors -------------------------------------------------------


def test_timeout_then_late_answer_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    release = asyncio.Event()
    router = Router()

    @router.on(v201.HeartbeatRequest)
    async def slow(request: Any, context: Context) -> Any:
        await release.wait()
        return v201.HeartbeatResponse(current_time=now_utc())

    @router.on(v201.BootNotificationRequest)
    def boot(request: Any, context: Context) -> Any:
        return v201.BootNotificationResponse(
            current_time=now_utc(), interval=1, status=v201.RegistrationStatusEnum.ACCEPTED
        )

    async def main() -> None:
        async with connected(csms_router=router) as (_csms, station):
            with pytest.raises(CallTimeoutError) as caught:
                await station.call(v201.HeartbeatRequest(), timeout=0.05)
            assert isinstance(caught.value, TimeoutError)
            assert caught.value.action == "Heartbeat"
            assert caught.value.timeout == 0.05
            release.set()
            # The late answer arrives and is dropped; the next call is served
            # after it (handlers run in order).
            boot = await station.call(BOOT)
            assert boot.interval == 1

    with caplog.at_level(logging.WARNING, logger="ocpp_core.aio"):
        run(main)
    assert any("late-response" in record.getMessage() for record in caplog.records)


def test_callerror_reply_gives_its_code() -> None:
    router = Router()

    @router.on(v201.HeartbeatRequest)
    def refuse(request: Any, context: Context) -> Any:
        raise CallErrorReply(ErrorCode.SECURITY_ERROR, "not registered", {"hint": "boot first"})

    async def main() -> None:
        async with connected(csms_router=router) as (_, station):
            with pytest.raises(RemoteCallError) as caught:
                await station.call(v201.HeartbeatRequest())
        error = caught.value
        assert error.code is ErrorCode.SECURITY_ERROR
        assert (error.error_code, error.description, error.details) == (
            "SecurityError",
            "not registered",
            {"hint": "boot first"},
        )
        assert error.action == "Heartbeat"

    run(main)


def test_callerror_reply_with_a_code_the_version_lacks_is_internal_error() -> None:
    router = Router()

    @router.on(v16.HeartbeatRequest)
    def refuse(request: Any, context: Context) -> Any:
        raise CallErrorReply(ErrorCode.RPC_FRAMEWORK_ERROR, "2.x only")

    async def main() -> None:
        async with connected("1.6", csms_router=router) as (_, station):
            with pytest.raises(RemoteCallError) as caught:
                await station.call(v16.HeartbeatRequest())
        assert caught.value.code is ErrorCode.INTERNAL_ERROR

    run(main)


@pytest.mark.parametrize(
    "outcome",
    ["raises", "returns None", "returns the wrong class", "returns a naive datetime"],
)
def test_failing_handler_is_internal_error_and_logged(
    outcome: str, caplog: pytest.LogCaptureFixture
) -> None:
    router = Router()

    @router.on(v201.HeartbeatRequest)
    async def broken(request: Any, context: Context) -> Any:
        if outcome == "raises":
            raise RuntimeError("boom")
        if outcome == "returns None":
            return None
        if outcome == "returns the wrong class":
            return v201.StatusNotificationResponse()
        return v201.HeartbeatResponse(current_time=datetime(2026, 1, 1))

    async def main() -> None:
        async with connected(csms_router=router, station_router=station_router()) as (
            csms,
            station,
        ):
            with pytest.raises(RemoteCallError) as caught:
                await station.call(v201.HeartbeatRequest())
            assert caught.value.code is ErrorCode.INTERNAL_ERROR
            # Nothing of the failure reaches the peer; the connection goes on.
            assert "boom" not in caught.value.description
            assert (await csms.call(v201.ClearCacheRequest())).status.value == "Accepted"

    with caplog.at_level(logging.ERROR, logger="ocpp_core.aio"):
        run(main)
    [record] = [r for r in caplog.records if r.name == "ocpp_core.aio"]
    assert "Heartbeat" in record.getMessage()
    assert record.exc_info is not None


def test_no_handler_is_not_supported() -> None:
    async def main() -> None:
        async with connected(csms_router=Router()) as (_, station):
            with pytest.raises(RemoteCallError) as caught:
                await station.call(v201.HeartbeatRequest())
        assert caught.value.code is ErrorCode.NOT_SUPPORTED

    run(main)


def test_invalid_response_ends_the_call() -> None:
    async def main() -> None:
        async with raw_peer(role=Role.CHARGING_STATION) as (station, peer):
            call = asyncio.create_task(station.call(v201.HeartbeatRequest()))
            frame = await read_frame(peer)
            await peer.send(json.dumps([3, frame[1], {"currentTime": "yesterday"}]))
            with pytest.raises(InvalidResponseError) as caught:
                await call
            assert caught.value.action == "Heartbeat"

    run(main)


def test_outgoing_naive_datetime_is_refused_before_the_wire() -> None:
    async def main() -> None:
        async with raw_peer(role=Role.CSMS) as (csms, peer):
            request = v201.SetChargingProfileRequest(
                evse_id=1,
                charging_profile=v201.ChargingProfile(
                    id=1,
                    stack_level=0,
                    charging_profile_purpose=v201.ChargingProfilePurposeEnum.TX_DEFAULT_PROFILE,
                    charging_profile_kind=v201.ChargingProfileKindEnum.ABSOLUTE,
                    charging_schedule=(
                        v201.ChargingSchedule(
                            id=1,
                            start_schedule=datetime(2026, 1, 1),
                            charging_rate_unit=v201.ChargingRateUnitEnum.A,
                            charging_schedule_period=(
                                v201.ChargingSchedulePeriod(start_period=0, limit=16.0),
                            ),
                        ),
                    ),
                ),
            )
            with pytest.raises(EncodeError):
                await csms.call(request)
            # Nothing was written, and the session is free for the next call.
            assert csms.session.in_flight is None
            call = asyncio.create_task(csms.call(v201.ClearCacheRequest()))
            frame = await read_frame(peer)
            assert frame[2] == "ClearCache"
            await peer.send(json.dumps([3, frame[1], {"status": "Accepted"}]))
            assert (await call).status is v201.ClearCacheStatusEnum.ACCEPTED

    run(main)


# --- the peer leaves ------------------------------------------------------------------


def test_peer_disconnecting_mid_call() -> None:
    async def main() -> None:
        async with raw_peer(role=Role.CHARGING_STATION) as (station, peer):
            call = asyncio.create_task(station.call(v201.HeartbeatRequest()))
            await read_frame(peer)
            await peer.close()
            with pytest.raises(ConnectionClosedError) as caught:
                await call
            assert "peer" in caught.value.reason
            await station.wait_closed()
            assert station.closed
            with pytest.raises(ConnectionClosedError):
                await station.call(v201.HeartbeatRequest())

    run(main)


def test_close_fails_pending_and_queued_calls_and_cancels_tasks() -> None:
    cancelled = asyncio.Event()

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    async def main() -> None:
        async with raw_peer(role=Role.CHARGING_STATION) as (station, peer):
            calls = [asyncio.create_task(station.call(v201.HeartbeatRequest())) for _ in range(3)]
            await read_frame(peer)
            assert len(station.session.queued) == 2
            station.spawn(forever())
            await station.close()
            results = await asyncio.gather(*calls, return_exceptions=True)
            assert all(isinstance(r, ConnectionClosedError) for r in results)
            assert cancelled.is_set()
            assert station.close_reason == "closed locally"
            with pytest.raises(ConnectionClosedError):
                station.spawn(forever())

    run(main)


def test_handler_closing_its_own_connection() -> None:
    router = Router()

    @router.on(v201.HeartbeatRequest)
    async def bye(request: Any, context: Context) -> Any:
        await context.connection.close("the CSMS said goodbye")
        return v201.HeartbeatResponse(current_time=now_utc())

    async def main() -> None:
        async with connected(csms_router=router) as (csms, station):
            with pytest.raises(ConnectionClosedError):
                await station.call(v201.HeartbeatRequest())
            await csms.wait_closed()
            assert csms.close_reason == "the CSMS said goodbye"

    run(main)


def test_run_returns_when_the_peer_closes_and_cancelling_run_closes() -> None:
    async def main() -> None:
        a, b = memory_pair()
        connection = Connection(a, session("2.0.1", Role.CSMS, "csms"), identity="X")
        runner = asyncio.create_task(connection.run())
        await asyncio.sleep(0)
        await b.close()
        await asyncio.wait_for(runner, 5)
        assert connection.closed

        c, d = memory_pair()
        other = Connection(c, session("2.0.1", Role.CSMS, "csms"), identity="Y")
        runner = asyncio.create_task(other.run())
        await asyncio.sleep(0)
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner
        assert other.closed
        await d.close()

    run(main)


def test_call_before_start_is_refused() -> None:
    async def main() -> None:
        a, b = memory_pair()
        connection = Connection(a, session("2.0.1", Role.CSMS, "csms"))
        with pytest.raises(LocalProtocolError):
            await connection.call(v201.ClearCacheRequest())
        await connection.close()
        with pytest.raises(ConnectionClosedError):
            connection.start()
        await b.close()

    run(main)


# --- hostile peers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not json", [4, "-1", "RpcFrameworkError"]),
        ('[2,"a1","heartbeat",{}]', [4, "a1", "NotImplemented"]),
        ('[2,"a2","Heartbeat",{"x":1}]', [4, "a2", "ProtocolError"]),
        ('[2,"a3","Reset",{"type":"Immediate"}]', [4, "a3", "NotSupported"]),
        ('[2,"a4","Heartbeat",{},{}]', [4, "a4", "RpcFrameworkError"]),
        ("[" * 100 + "]" * 100, [4, "-1", "RpcFrameworkError"]),
    ],
)
def test_hostile_frames_are_answered_and_the_connection_goes_on(
    text: str, expected: list[Any]
) -> None:
    async def main() -> None:
        async with raw_peer(router=csms_router()) as (csms, peer):
            await peer.send(text)
            assert (await read_frame(peer))[:3] == expected
            # Answers are never answered; unsolicited ones are dropped.
            await peer.send('[3,"nobody",{}]')
            await peer.send(b"\xff\xfe not utf-8")
            assert (await read_frame(peer))[:3] == [4, "-1", "RpcFrameworkError"]
            await peer.send('[2,"ok","Heartbeat",{}]')
            answer = await read_frame(peer)
            assert answer[:2] == [3, "ok"]
            assert not csms.closed

    run(main)


def test_back_pressure_limit_on_owed_calls() -> None:
    """A peer that sends CALLs without waiting gets GenericError past the limit."""
    release = asyncio.Event()
    router = Router()

    @router.on(v201.HeartbeatRequest)
    async def slow(request: Any, context: Context) -> Any:
        await release.wait()
        return v201.HeartbeatResponse(current_time=now_utc())

    async def main() -> None:
        async with raw_peer(router=router, max_owed=3) as (csms, peer):
            for n in range(6):
                await peer.send(f'[2,"c{n}","Heartbeat",{{}}]')
            refused = [await read_frame(peer) for _ in range(3)]
            assert [frame[:3] for frame in refused] == [
                [4, f"c{n}", "GenericError"] for n in (3, 4, 5)
            ]
            assert "limit 3" in refused[0][3]
            assert len(csms.session.owed) == 3
            release.set()
            answered = [await read_frame(peer) for _ in range(3)]
            assert [frame[:2] for frame in answered] == [[3, "c0"], [3, "c1"], [3, "c2"]]

    run(main)


def test_peer_calls_are_handled_in_order_one_at_a_time() -> None:
    active = 0
    most = 0
    router = Router()

    @router.on(v201.HeartbeatRequest)
    async def slow(request: Any, context: Context) -> Any:
        nonlocal active, most
        active += 1
        most = max(most, active)
        await asyncio.sleep(0.01)
        active -= 1
        return v201.HeartbeatResponse(current_time=now_utc())

    async def main() -> None:
        async with raw_peer(router=router) as (_, peer):
            for n in range(4):
                await peer.send(f'[2,"c{n}","Heartbeat",{{}}]')
            ids = [(await read_frame(peer))[1] for _ in range(4)]
            assert ids == ["c0", "c1", "c2", "c3"]
        assert most == 1

    run(main)


def test_concurrent_handling_where_a_version_allows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mechanism for a version that allows it (none does today): handlers overlap."""
    monkeypatch.setattr(connection_module, "CONCURRENT_VERSIONS", frozenset({OcppVersion.V201}))
    both = asyncio.Event()
    started = 0
    router = Router()

    @router.on(v201.HeartbeatRequest)
    async def wait_for_each_other(request: Any, context: Context) -> Any:
        nonlocal started
        started += 1
        if started == 2:
            both.set()
        await both.wait()
        return v201.HeartbeatResponse(current_time=now_utc())

    async def main() -> None:
        async with raw_peer(router=router) as (_, peer):
            await peer.send('[2,"c0","Heartbeat",{}]')
            await peer.send('[2,"c1","Heartbeat",{}]')
            ids = {(await read_frame(peer))[1] for _ in range(2)}
            assert ids == {"c0", "c1"}

    run(main)


# --- OCPP 2.1 SEND ---------------------------------------------------------------------


def test_send_21() -> None:
    received: list[Any] = []
    router = Router()

    @router.on(v21.NotifyPeriodicEventStreamRequest)
    async def stream(request: Any, context: Context) -> None:
        received.append(request)

    message = v21.NotifyPeriodicEventStreamRequest(
        data=(v21.StreamDataElement(t=0.5, v="230.1"),), id=1, pending=0, basetime=now_utc()
    )

    async def main() -> None:
        async with connected("2.1", csms_router=router) as (csms, station):
            await station.send(message)
            await station.send(message)
            beat = asyncio.Event()  # a round trip orders the SENDs before it
            with pytest.raises(RemoteCallError):
                await station.call(v21.HeartbeatRequest())
            beat.set()
            with pytest.raises(LocalProtocolError):
                await csms.send(message)  # the CSMS does not send it

    run(main)
    assert received == [message, message]


def test_send_is_2_1_only() -> None:
    async def main() -> None:
        async with connected() as (_, station):
            with pytest.raises(LocalProtocolError):
                await station.send(v201.HeartbeatRequest())

    run(main)


# --- the router --------------------------------------------------------------------------


def test_router_refuses_bad_registrations() -> None:
    router = Router()
    router.register(v201.HeartbeatRequest, lambda request, context: None)
    with pytest.raises(LocalProtocolError):
        router.register(v201.HeartbeatRequest, lambda request, context: None)
    with pytest.raises(LocalProtocolError):
        router.register(v201.HeartbeatResponse, lambda request, context: None)
    with pytest.raises(LocalProtocolError):
        router.register(dict, lambda request, context: None)
    assert router.handler_for(v16.HeartbeatRequest) is None
    with pytest.raises(ValueError, match="max_owed"):
        Connection(memory_pair()[0], session("2.0.1", Role.CSMS, "x"), max_owed=0)


# --- outgoing messages are checked before they reach the wire ---------------------------

_BAD_VALUES: dict[str, tuple[str, dict[str, Any]]] = {
    # case: (the field, the keyword arguments that put a wrong value in it)
    "str for int": ("evse_id", {"evse_id": "1"}),
    "invalid enum string": ("connector_status", {"connector_status": "Sleeping"}),
    "naive datetime": ("timestamp", {"timestamp": datetime(2026, 1, 1)}),
    "str for datetime": ("timestamp", {"timestamp": "2026-01-01T00:00:00Z"}),
}
_BAD_NESTED = ("evse", {"evse": {"id": 1}})  # a dict where a nested class is due


def _status(**wrong: Any) -> Any:
    fields: dict[str, Any] = {
        "timestamp": now_utc(),
        "connector_status": v201.ConnectorStatusEnum.AVAILABLE,
        "evse_id": 1,
        "connector_id": 1,
    }
    fields.update(wrong)
    return v201.StatusNotificationRequest(**fields)


def _cases() -> list[Any]:
    return [pytest.param(case, id=case) for case in _BAD_VALUES]


def _names(field: str) -> tuple[str, str]:
    head, *rest = field.split("_")
    return field, head + "".join(word.title() for word in rest)


@pytest.mark.parametrize("case", _cases())
def test_outgoing_call_with_a_wrong_type_raises_encode_error(case: str) -> None:
    field, wrong = _BAD_VALUES[case]

    async def main() -> None:
        async with raw_peer(role=Role.CHARGING_STATION) as (station, peer):
            with pytest.raises(EncodeError) as caught:
                await station.call(_status(**wrong), timeout=0.5)
            assert any(name in str(caught.value) for name in _names(field))
            assert station.session.in_flight is None
            await peer.close()
            with pytest.raises(EOFError):
                await peer.recv()  # nothing was written

    run(main)


def test_outgoing_call_with_a_dict_for_a_nested_class_raises_encode_error() -> None:
    field, wrong = _BAD_NESTED
    request = v201.TransactionEventRequest(
        event_type=v201.TransactionEventEnum.STARTED,
        timestamp=now_utc(),
        trigger_reason=v201.TriggerReasonEnum.AUTHORIZED,
        seq_no=0,
        transaction_info=v201.Transaction(transaction_id="t1"),
        **wrong,
    )

    async def main() -> None:
        async with raw_peer(role=Role.CHARGING_STATION) as (station, _):
            with pytest.raises(EncodeError) as caught:
                await station.call(request, timeout=0.5)
            assert field in str(caught.value)

    run(main)


_BAD_ANSWERS: dict[str, dict[str, Any]] = {
    "str for int": {"interval": "300"},
    "invalid enum string": {"status": "Maybe"},
    "naive datetime": {"current_time": datetime(2026, 1, 1)},
    "str for datetime": {"current_time": "2026-01-01T00:00:00Z"},
    "dict for a nested class": {"status_info": {"reasonCode": "x"}},
}


@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=case) for case in _BAD_ANSWERS],
)
def test_handler_answer_with_a_wrong_type_is_internal_error_and_logged(
    case: str, caplog: pytest.LogCaptureFixture
) -> None:
    router = Router()

    @router.on(v201.BootNotificationRequest)
    def boot(request: Any, context: Context) -> Any:
        fields: dict[str, Any] = {
            "current_time": now_utc(),
            "interval": 300,
            "status": v201.RegistrationStatusEnum.ACCEPTED,
        }
        fields.update(_BAD_ANSWERS[case])
        return v201.BootNotificationResponse(**fields)

    async def main() -> None:
        async with connected(csms_router=router) as (_, station):
            with pytest.raises(RemoteCallError) as caught:
                await station.call(BOOT)
            assert caught.value.code is ErrorCode.INTERNAL_ERROR

    with caplog.at_level(logging.ERROR, logger="ocpp_core.aio"):
        run(main)
    [record] = [r for r in caplog.records if r.name == "ocpp_core.aio"]
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], EncodeError)


def test_a_transport_handing_over_something_else_closes_the_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Odd:
        async def send(self, message: str, /) -> None:
            pass

        async def recv(self) -> Any:
            return 42  # neither str nor bytes

        async def close(self) -> None:
            pass

    async def main() -> None:
        connection = Connection(Odd(), session("2.0.1", Role.CSMS, "csms"), identity="odd")
        await asyncio.wait_for(connection.run(), 5)
        assert "unreadable" in (connection.close_reason or "")

    with caplog.at_level(logging.ERROR, logger="ocpp_core.aio"):
        run(main)
    assert any(r.exc_info for r in caplog.records)


def test_a_peer_that_does_not_read_is_held_back() -> None:
    """Our answers wait for the peer to read them, so we stop reading its frames."""

    async def main() -> None:
        async with raw_peer(router=csms_router()) as (csms, peer):
            sent = 0

            async def flood() -> None:
                nonlocal sent
                while True:  # never reads: every frame is answered with a CALLERROR
                    await peer.send("not json")
                    sent += 1

            with pytest.raises(TimeoutError):
                await asyncio.wait_for(flood(), 1.0)
            # Both directions hold at most 16 texts; one more is in our hands.
            assert sent <= 2 * 16 + 2
            last = asyncio.create_task(peer.send('[2,"ok","Heartbeat",{}]'))
            answers = 0
            while (await read_frame(peer))[1] != "ok":
                answers += 1
            await last
            assert answers == sent
            assert not csms.closed

    run(main)


def test_guard_refuses_calls_before_the_boot_is_accepted() -> None:
    """2.0.1 B02.FR.09: SecurityError for CALLs before BootNotification is accepted."""

    async def guard(request: Any, context: Context) -> None:
        if not context.state["booted"] and not isinstance(request, v201.BootNotificationRequest):
            raise CallErrorReply(ErrorCode.SECURITY_ERROR, "boot first")

    router = Router(guard=guard)

    @router.on(v201.BootNotificationRequest)
    def boot(request: Any, context: Context) -> Any:
        context.state["booted"] = True
        return v201.BootNotificationResponse(
            current_time=now_utc(), interval=300, status=v201.RegistrationStatusEnum.ACCEPTED
        )

    @router.on(v201.HeartbeatRequest)
    def heartbeat(request: Any, context: Context) -> Any:
        return v201.HeartbeatResponse(current_time=now_utc())

    async def main() -> None:
        async with connected(csms_router=router, state={"booted": False}) as (_, station):
            with pytest.raises(RemoteCallError) as caught:
                await station.call(v201.HeartbeatRequest())
            assert caught.value.code is ErrorCode.SECURITY_ERROR
            with pytest.raises(RemoteCallError) as caught:  # the guard runs before "no handler"
                await station.call(
                    v201.AuthorizeRequest(
                        id_token=v201.IdToken(id_token="T", type=v201.IdTokenEnum.ISO14443)
                    )
                )
            assert caught.value.code is ErrorCode.SECURITY_ERROR
            await station.call(BOOT)
            assert (await station.call(v201.HeartbeatRequest())).current_time == now_utc()

    run(main)
