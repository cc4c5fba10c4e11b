"""A small CSMS on ``ocpp_core.rpc.Session`` and the ``websockets`` package.

Run it::

    python examples/csms.py --port 9000

and point a charging station at ``ws://127.0.0.1:9000/<station id>`` with the
subprotocol ``ocpp1.6`` or ``ocpp2.0.1`` (``examples/charging_station.py`` is
one). It accepts every boot, authorises every token, answers status, meter
values and transactions (1.6 StartTransaction/StopTransaction, 2.0.1
TransactionEvent) and, once a transaction starts, sends the station a
SetChargingProfile that limits it to 16 A (1.6) or 11 kW (2.0.1).

Every frame is printed as one line in the log format ``ocpp-core check``
reads (``TIME SENDER->RECEIVER FRAME``), so a run can be checked afterwards.

Options: ``--port 0`` picks a free port (the first line printed says which);
``--once`` stops after the first station disconnects; ``--password`` requires
HTTP Basic authentication (security profile 1); ``--timeout`` stops the
server after that many seconds in any case.

This file shows the pattern, not a product: state lives in memory, and the
handlers are plain functions run by a small async adapter around the
session (see ``AsyncDispatcher``).
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import inspect
import itertools
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from ocpp_core import ErrorCode, OcppVersion, Role, v16, v201
from ocpp_core.rpc import (
    CallErrorReceived,
    CallErrorReply,
    CallReceived,
    CallResultReceived,
    CallTimedOut,
    Event,
    HandshakeError,
    InvalidResponseReceived,
    Session,
    choose_subprotocol,
    parse_basic_auth,
)

SUPPORTED = (OcppVersion.V16, OcppVersion.V201)
Handler = Callable[[Any], Any]


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def log(direction: str, text: str) -> None:
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    print(f"{stamp} {direction} {text}", flush=True)


class AsyncDispatcher:
    """Route received CALLs to handlers that may be coroutines, then answer.

    The core's ``ocpp_core.rpc.Dispatcher`` is synchronous; this adapter awaits
    a handler's result when it is awaitable and answers through the session,
    with the same rules (no handler: NotSupported; ``CallErrorReply``: that
    error; anything else: InternalError).
    """

    def __init__(self) -> None:
        self.handlers: dict[type, Handler] = {}

    def on(self, request_type: type) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.handlers[request_type] = handler
            return handler

        return register

    async def dispatch(self, session: Session, event: CallReceived) -> str:
        handler = self.handlers.get(type(event.request))
        if handler is None:
            return session.send_error(
                event, ErrorCode.NOT_SUPPORTED, f"{event.action} is not supported here"
            )
        try:
            result = handler(event.request)
            if inspect.isawaitable(result):
                result = await result
        except CallErrorReply as reply:
            return session.send_error(event, reply.code or "GenericError", reply.description)
        except Exception as exc:  # every CALL gets an answer
            print(f"# handler of {event.action} failed: {exc!r}", file=sys.stderr)
            return session.send_error(event, ErrorCode.INTERNAL_ERROR, "internal error")
        return session.send_result(event, result)


class Connection:
    """One WebSocket connection driven by one session: the I/O the core leaves out."""

    def __init__(self, websocket: Any, session: Session, dispatcher: AsyncDispatcher, name: str):
        self.websocket = websocket
        self.session = session
        self.dispatcher = dispatcher
        self.peer_name = "CS" if session.role is Role.CSMS else "CSMS"
        self.me = "CSMS" if session.role is Role.CSMS else "CS"
        self.name = name
        self.waiting: dict[str, asyncio.Future[Event]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.wakeup = asyncio.Event()

    def clock(self) -> float:
        return asyncio.get_running_loop().time()

    async def send_text(self, text: str) -> None:
        log(f"{self.me}->{self.peer_name}", text)
        await self.websocket.send(text)

    async def flush(self) -> None:
        for text in self.session.data_to_send():
            await self.send_text(text)
        self.wakeup.set()

    async def call(self, message: Any, timeout: float = 30.0) -> Event:
        """Send a CALL and wait for its outcome event (result, error or timeout)."""
        text = self.session.send_call(message, self.clock(), timeout=timeout)
        call = self.session.in_flight if text is not None else self.session.queued[-1]
        assert call is not None
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self.waiting[call.unique_id] = future
        if text is not None:
            await self.send_text(text)
        self.wakeup.set()
        return await future

    def spawn(self, job: Awaitable[None]) -> None:
        task = asyncio.ensure_future(job)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def handle(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, CallReceived):
                self.spawn(self.answer(event))
            elif isinstance(
                event,
                CallResultReceived | CallErrorReceived | CallTimedOut | InvalidResponseReceived,
            ):
                future = self.waiting.pop(event.call.unique_id, None)
                if future is not None and not future.done():
                    future.set_result(event)
            else:
                print(f"# {self.name}: {event!r}", file=sys.stderr)
        await self.flush()

    async def answer(self, event: CallReceived) -> None:
        await self.send_text(await self.dispatcher.dispatch(self.session, event))

    async def timers(self) -> None:
        """Expire CALLs when their deadline passes (``next_deadline`` / ``expire``)."""
        while True:
            deadline = self.session.next_deadline()
            delay = None if deadline is None else max(0.0, deadline - self.clock())
            self.wakeup.clear()
            try:
                await asyncio.wait_for(self.wakeup.wait(), delay)
            except TimeoutError:
                await self.handle(self.session.expire(self.clock()))

    async def run(self) -> None:
        timer = asyncio.ensure_future(self.timers())
        try:
            async for text in self.websocket:
                log(f"{self.peer_name}->{self.me}", text if isinstance(text, str) else repr(text))
                await self.handle(self.session.receive(text, self.clock()))
        finally:
            timer.cancel()
            for future in self.waiting.values():
                future.cancel()
            for task in list(self.tasks):
                task.cancel()


# --- the CSMS's handlers ---------------------------------------------------------------


def handlers_16(connection: Connection) -> AsyncDispatcher:
    dispatcher = AsyncDispatcher()
    transaction_ids = itertools.count(1)
    accepted = v16.IdTagInfo(status=v16.AuthorizationStatus.ACCEPTED)

    @dispatcher.on(v16.BootNotificationRequest)
    def boot(request: v16.BootNotificationRequest) -> v16.BootNotificationResponse:
        return v16.BootNotificationResponse(
            status=v16.RegistrationStatus.ACCEPTED, current_time=now_utc(), interval=300
        )

    @dispatcher.on(v16.HeartbeatRequest)
    def heartbeat(request: v16.HeartbeatRequest) -> v16.HeartbeatResponse:
        return v16.HeartbeatResponse(current_time=now_utc())

    @dispatcher.on(v16.AuthorizeRequest)
    def authorize(request: v16.AuthorizeRequest) -> v16.AuthorizeResponse:
        return v16.AuthorizeResponse(id_tag_info=accepted)

    @dispatcher.on(v16.StatusNotificationRequest)
    def status(request: v16.StatusNotificationRequest) -> v16.StatusNotificationResponse:
        return v16.StatusNotificationResponse()

    @dispatcher.on(v16.MeterValuesRequest)
    def meter_values(request: v16.MeterValuesRequest) -> v16.MeterValuesResponse:
        return v16.MeterValuesResponse()

    @dispatcher.on(v16.StartTransactionRequest)
    def start(request: v16.StartTransactionRequest) -> v16.StartTransactionResponse:
        transaction_id = next(transaction_ids)
        connection.spawn(limit_16(connection, request.connector_id, transaction_id))
        return v16.StartTransactionResponse(id_tag_info=accepted, transaction_id=transaction_id)

    @dispatcher.on(v16.StopTransactionRequest)
    def stop(request: v16.StopTransactionRequest) -> v16.StopTransactionResponse:
        return v16.StopTransactionResponse(id_tag_info=accepted)

    @dispatcher.on(v16.DataTransferRequest)
    def data_transfer(request: v16.DataTransferRequest) -> v16.DataTransferResponse:
        return v16.DataTransferResponse(status=v16.DataTransferStatus.UNKNOWN_VENDOR_ID)

    return dispatcher


async def limit_16(connection: Connection, connector_id: int, transaction_id: int) -> None:
    profile = v16.ChargingProfile(
        charging_profile_id=transaction_id,
        transaction_id=transaction_id,
        stack_level=0,
        charging_profile_purpose=v16.ChargingProfilePurposeType.TX_PROFILE,
        charging_profile_kind=v16.ChargingProfileKindType.RELATIVE,
        charging_schedule=v16.ChargingSchedule(
            charging_rate_unit=v16.ChargingRateUnitType.A,
            charging_schedule_period=(v16.ChargingSchedulePeriod(start_period=0, limit=16.0),),
        ),
    )
    outcome = await connection.call(
        v16.SetChargingProfileRequest(connector_id=connector_id, cs_charging_profiles=profile)
    )
    print(f"# {connection.name}: SetChargingProfile -> {type(outcome).__name__}", file=sys.stderr)


def handlers_201(connection: Connection) -> AsyncDispatcher:
    dispatcher = AsyncDispatcher()
    accepted = v201.IdTokenInfo(status=v201.AuthorizationStatusEnum.ACCEPTED)
    profile_ids = itertools.count(1)

    @dispatcher.on(v201.BootNotificationRequest)
    def boot(request: v201.BootNotificationRequest) -> v201.BootNotificationResponse:
        return v201.BootNotificationResponse(
            current_time=now_utc(), interval=300, status=v201.RegistrationStatusEnum.ACCEPTED
        )

    @dispatcher.on(v201.HeartbeatRequest)
    def heartbeat(request: v201.HeartbeatRequest) -> v201.HeartbeatResponse:
        return v201.HeartbeatResponse(current_time=now_utc())

    @dispatcher.on(v201.AuthorizeRequest)
    def authorize(request: v201.AuthorizeRequest) -> v201.AuthorizeResponse:
        return v201.AuthorizeResponse(id_token_info=accepted)

    @dispatcher.on(v201.StatusNotificationRequest)
    def status(request: v201.StatusNotificationRequest) -> v201.StatusNotificationResponse:
        return v201.StatusNotificationResponse()

    @dispatcher.on(v201.MeterValuesRequest)
    def meter_values(request: v201.MeterValuesRequest) -> v201.MeterValuesResponse:
        return v201.MeterValuesResponse()

    @dispatcher.on(v201.NotifyEventRequest)
    def notify_event(request: v201.NotifyEventRequest) -> v201.NotifyEventResponse:
        return v201.NotifyEventResponse()

    @dispatcher.on(v201.TransactionEventRequest)
    def transaction(request: v201.TransactionEventRequest) -> v201.TransactionEventResponse:
        if request.event_type is v201.TransactionEventEnum.STARTED:
            evse_id = request.evse.id if request.evse is not None else 1
            transaction_id = request.transaction_info.transaction_id
            connection.spawn(limit_201(connection, evse_id, transaction_id, next(profile_ids)))
        if request.id_token is not None:
            return v201.TransactionEventResponse(id_token_info=accepted)
        return v201.TransactionEventResponse()

    @dispatcher.on(v201.DataTransferRequest)
    def data_transfer(request: v201.DataTransferRequest) -> v201.DataTransferResponse:
        return v201.DataTransferResponse(status=v201.DataTransferStatusEnum.UNKNOWN_VENDOR_ID)

    return dispatcher


async def limit_201(
    connection: Connection, evse_id: int, transaction_id: str, profile_id: int
) -> None:
    profile = v201.ChargingProfile(
        id=profile_id,
        stack_level=0,
        charging_profile_purpose=v201.ChargingProfilePurposeEnum.TX_PROFILE,
        charging_profile_kind=v201.ChargingProfileKindEnum.RELATIVE,
        transaction_id=transaction_id,
        charging_schedule=(
            v201.ChargingSchedule(
                id=1,
                charging_rate_unit=v201.ChargingRateUnitEnum.W,
                charging_schedule_period=(
                    v201.ChargingSchedulePeriod(start_period=0, limit=11000.0),
                ),
            ),
        ),
    )
    outcome = await connection.call(
        v201.SetChargingProfileRequest(evse_id=evse_id, charging_profile=profile)
    )
    print(f"# {connection.name}: SetChargingProfile -> {type(outcome).__name__}", file=sys.stderr)


# --- the server ------------------------------------------------------------------------


def make_process_request(
    password: str | None,
) -> Callable[[ServerConnection, Request], Response | None]:
    def process_request(connection: ServerConnection, request: Request) -> Response | None:
        if password is None:
            return None
        header = request.headers.get("Authorization")
        station = request.path.rstrip("/").rpartition("/")[2]
        try:
            if header is None:
                raise HandshakeError("no Authorization header")
            version = choose_subprotocol(request.headers.get_all("Sec-WebSocket-Protocol"))
            credentials = parse_basic_auth(header, version or OcppVersion.V201)
        except HandshakeError as exc:
            print(f"# refused {station}: {exc}", file=sys.stderr)
            return connection.respond(HTTPStatus.UNAUTHORIZED, "authentication required\n")
        good = hmac.compare_digest(credentials.username.encode(), station.encode())
        good &= hmac.compare_digest(credentials.password, password.encode())
        if not good:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "bad credentials\n")
        return None

    return process_request


def select_subprotocol(connection: ServerConnection, offered: Any) -> Any:
    version = choose_subprotocol(list(offered), SUPPORTED)
    return None if version is None else version.subprotocol


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--once", action="store_true", help="stop after the first station")
    parser.add_argument("--password", help="require HTTP Basic authentication")
    parser.add_argument("--timeout", type=float, default=None, help="stop after N seconds")
    args = parser.parse_args(argv)
    done = asyncio.Event()

    async def serve_station(websocket: ServerConnection) -> None:
        station = websocket.request.path.rstrip("/").rpartition("/")[2] if websocket.request else ""
        if websocket.subprotocol is None:
            await websocket.close(1002, "no supported OCPP subprotocol")
            return
        version = OcppVersion.parse(websocket.subprotocol)
        session = Session(version, Role.CSMS, new_id=lambda: str(uuid.uuid4()))
        connection = Connection(websocket, session, AsyncDispatcher(), station)
        connection.dispatcher = (
            handlers_16(connection) if version is OcppVersion.V16 else handlers_201(connection)
        )
        print(f"# {station} connected with {websocket.subprotocol}", file=sys.stderr)
        try:
            await connection.run()
        finally:
            print(f"# {station} disconnected", file=sys.stderr)
            if args.once:
                done.set()

    async with serve(
        serve_station,
        args.host,
        args.port,
        subprotocols=[v.subprotocol for v in SUPPORTED],  # type: ignore[misc]
        select_subprotocol=select_subprotocol,
        process_request=make_process_request(args.password),
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"# listening on ws://{args.host}:{port}/", flush=True)
        try:
            await asyncio.wait_for(done.wait(), args.timeout)
        except TimeoutError:
            print("# timeout: stopping", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
