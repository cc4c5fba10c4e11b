"""One OCPP-J connection on asyncio: a :class:`~ocpp_core.rpc.Session` over a transport.

Theory of operation
-------------------
A :class:`Connection` owns one sans-I/O session and three tasks:

* the **reader** takes every text from ``transport.recv()``, logs it, gives it
  to ``session.receive(text, now)`` with ``now`` from the event loop's clock
  (the only clock in the library), writes what the session queued by itself
  (``data_to_send()``: its own CALLERRORs, a released CALL), and acts on the
  events: an answer to one of our CALLs resolves the future of that
  :meth:`Connection.call`; a CALL of the peer's goes to the inbox;
* the **worker** takes the peer's CALLs (and 2.1 SENDs) from the inbox in
  order of arrival and runs their handlers, sync or ``async``, one at a time
  (OCPP-J section 4.1.1 lets each side have one CALL unanswered, so the
  versions give nothing to run side by side; see :data:`CONCURRENT_VERSIONS`);
* the **timer** sleeps until ``session.next_deadline()`` and calls
  ``session.expire(now)``, which fails the call in flight with a timeout and
  releases the next queued one.

All writes go through one lock, in the order the session produced them, and
each is logged just before it is written. When the reader ends (the peer
closed, the transport failed) or :meth:`Connection.close` is called, the
connection shuts down: every pending call fails with
:class:`~ocpp_core.errors.ConnectionClosedError`, every task (its own and those
started with :meth:`Connection.spawn`) is cancelled and awaited, and the
transport is closed.

What the peer is owed always gets written: a handler that raises, or returns
something that is not the action's response or cannot be written, is
answered ``InternalError`` (and logged); :class:`~ocpp_core.rpc.CallErrorReply`
gives its own code; a CALL without a handler gets ``NotSupported`` (the
session's policy for a recognised action this side does not support); a CALL
beyond ``max_owed`` unanswered ones gets ``GenericError`` at once, so a peer
that floods gets a clear error and memory stays bounded.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Final, Protocol, TypeVar

import attrs

from ocpp_core._api import add_request_handler
from ocpp_core.aio._logging import FRAME_LOGGER, LOGGER, one_line
from ocpp_core.errors import (
    CallTimeoutError,
    ConnectionClosedError,
    ErrorCode,
    InvalidResponseError,
    LocalProtocolError,
    RemoteCallError,
)
from ocpp_core.rpc import (
    CallErrorReceived,
    CallErrorReply,
    CallReceived,
    CallResultErrorReceived,
    CallResultReceived,
    CallTimedOut,
    Event,
    InvalidResponseReceived,
    ProtocolViolation,
    SendReceived,
    Session,
)
from ocpp_core.versions import OcppVersion, Role

__all__ = [
    "CONCURRENT_VERSIONS",
    "DEFAULT_MAX_OWED",
    "Connection",
    "Context",
    "Handler",
    "Router",
    "Transport",
]

T = TypeVar("T")
H = TypeVar("H", bound=Callable[..., Any])

DEFAULT_MAX_OWED: Final = 16
"""How many of the peer's CALLs may wait for their answer at once, by default."""

CONCURRENT_VERSIONS: Final[frozenset[OcppVersion]] = frozenset()
"""Versions whose peer CALLs may be handled side by side. None: OCPP-J 1.6, 2.0,
2.0.1 and 2.1 section 4.1.1 all let a sender have one CALL unanswered, so a
second one is a peer's mistake and is handled after the first, in order."""

_INTERNAL: Final = "the receiver failed to handle the request"


class Transport(Protocol):
    """What a :class:`Connection` needs from a WebSocket (or any message pipe).

    ``recv()`` returns one whole text message and raises any exception once the
    pipe is closed; ``send()`` writes one; ``close()`` closes (and may wait for
    the closing handshake). A ``websockets`` connection is one as it is.
    """

    async def send(self, message: str, /) -> None:
        """Write one text message."""

    async def recv(self) -> str | bytes:
        """Return the next message; raise once the connection is closed."""
        ...  # pragma: no cover - protocol

    async def close(self) -> None:
        """Close the connection."""


Handler = Callable[[Any, "Context"], Any]
"""A handler: ``(request, context) -> response``, or ``async def`` returning it.

For a 2.1 SEND the return value is ignored."""


class Router:
    """Handlers per request type, for any OCPP version; share one between connections.

    Example::

        router = Router()

        @router.on(v201.HeartbeatRequest)
        async def heartbeat(request, context):
            return v201.HeartbeatResponse(current_time=datetime.now(UTC))

    Args:
        guard: called (and awaited, when ``async``) as ``guard(request, context)``
            before the handler of every CALL; raise
            :class:`~ocpp_core.rpc.CallErrorReply` to refuse the CALL, e.g.
            ``SecurityError`` while the station's BootNotification is not
            accepted (OCPP 2.0.1 B02.FR.09). Not called for 2.1 SENDs.
    """

    def __init__(self, *, guard: Callable[[Any, Context], Any] | None = None) -> None:
        self._handlers: dict[type, Handler] = {}
        self.guard = guard

    def register(self, request_type: type, handler: Handler) -> None:
        """Use ``handler`` for received CALLs (or 2.1 SENDs) of ``request_type``.

        Raises:
            LocalProtocolError: ``request_type`` is not a generated request class,
                or already has a handler.
        """
        add_request_handler(self._handlers, request_type, handler)

    def on(self, request_type: type) -> Callable[[H], H]:
        """Register the decorated function (sync or ``async``) to handle ``request_type``."""

        def decorate(handler: H) -> H:
            self.register(request_type, handler)
            return handler

        return decorate

    def handler_for(self, request_type: type) -> Handler | None:
        """Return the handler registered for ``request_type``, if any."""
        return self._handlers.get(request_type)


@attrs.frozen(kw_only=True, eq=False)
class Context:
    """What a handler knows about its connection (the second argument of every handler).

    Attributes:
        identity: the charging station's identity (from the URL path on a CSMS).
        version: the OCPP version of the connection.
        subprotocol: the negotiated WebSocket subprotocol, if known.
        state: the user's object for this connection (anything; ``None`` by default).
        connection: the connection itself, to send CALLs from a handler.
        peer_certificate: the peer's TLS certificate (DER), when there is one.
    """

    identity: str
    version: OcppVersion
    subprotocol: str | None
    state: Any
    connection: Connection
    peer_certificate: bytes | None = None

    async def call(self, request: Any, *, timeout: float | None = None) -> Any:
        """Send a CALL to the peer and return its typed response (see :meth:`Connection.call`).

        Awaiting it inside a handler delays that handler's own answer; to send a
        CALL after answering (a SetChargingProfile after StartTransaction), use
        :meth:`spawn`.
        """
        return await self.connection.call(request, timeout=timeout)

    def spawn(self, job: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``job`` beside the connection; it is cancelled when the connection closes."""
        return self.connection.spawn(job)


class Connection:
    """Run one OCPP-J session over a transport, on asyncio.

    Args:
        transport: anything with ``async send(text)``, ``async recv()`` and
            ``async close()`` (:class:`Transport`).
        session: the sans-I/O session (its version and role are the connection's).
        router: the handlers of the peer's CALLs; ``None`` answers every CALL
            ``NotSupported``.
        identity: the charging station's identity (for the context and logs).
        subprotocol: the negotiated subprotocol, if any.
        state: a user object handed to every handler in the context.
        peer_certificate: the peer's TLS certificate (DER), if any.
        max_owed: how many of the peer's CALLs may wait for an answer at once;
            one more is answered ``GenericError`` at once (default 16).

    Use it as an async context manager (``async with Connection(...) as c:``,
    which starts it and closes it on exit), or ``await connection.run()``,
    which returns once the connection is closed.
    """

    def __init__(
        self,
        transport: Transport,
        session: Session,
        *,
        router: Router | None = None,
        identity: str = "",
        subprotocol: str | None = None,
        state: Any = None,
        peer_certificate: bytes | None = None,
        max_owed: int = DEFAULT_MAX_OWED,
    ) -> None:
        if max_owed < 1:
            raise ValueError("max_owed must be at least 1")
        self._transport = transport
        self._session = session
        self._router = router
        self._max_owed = max_owed
        self._context = Context(
            identity=identity,
            version=session.version,
            subprotocol=subprotocol,
            state=state,
            connection=self,
            peer_certificate=peer_certificate,
        )
        me = "CSMS" if session.role is Role.CSMS else "CS"
        peer = "CS" if me == "CSMS" else "CSMS"
        self._log_extra = {"ocpp_identity": identity, "ocpp_role": session.role.value}
        self._sent_marker = f"{me}->{peer}"
        self._received_marker = f"{peer}->{me}"
        self._concurrent = session.version in CONCURRENT_VERSIONS
        self._waiting: dict[str, asyncio.Future[Event]] = {}
        self._inbox: deque[CallReceived | SendReceived] = deque()
        self._inbox_ready = asyncio.Event()
        self._wake = asyncio.Event()
        self._write_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._own: list[asyncio.Task[None]] = []
        self._closing = False
        self._closed = asyncio.Event()
        self._closer: asyncio.Task[None] | None = None
        self._reason = "closed locally"

    # --- introspection -----------------------------------------------------------

    @property
    def session(self) -> Session:
        """The sans-I/O session (read its state; do not send through it directly)."""
        return self._session

    @property
    def context(self) -> Context:
        """The context handed to every handler."""
        return self._context

    @property
    def identity(self) -> str:
        """The charging station's identity."""
        return self._context.identity

    @property
    def version(self) -> OcppVersion:
        """The OCPP version of the connection."""
        return self._session.version

    @property
    def closed(self) -> bool:
        """Whether the connection has shut down."""
        return self._closed.is_set()

    @property
    def close_reason(self) -> str | None:
        """Why the connection closed (``None`` while it is open)."""
        return self._reason if self._closing else None

    # --- life cycle --------------------------------------------------------------

    def start(self) -> None:
        """Start the reader, worker and timer tasks (once; later calls do nothing).

        Raises:
            ConnectionClosedError: the connection was closed already.
        """
        if self._closing:
            raise ConnectionClosedError(self._reason)
        if self._own:
            return
        self._own = [
            asyncio.create_task(self._read(), name=f"ocpp-reader-{self.identity}"),
            asyncio.create_task(self._work(), name=f"ocpp-worker-{self.identity}"),
            asyncio.create_task(self._timer(), name=f"ocpp-timer-{self.identity}"),
        ]

    async def run(self) -> None:
        """Start the connection and return once it is closed (by either side).

        Cancelling ``run()`` closes the connection first.
        """
        self.start()
        try:
            await self._closed.wait()
        except asyncio.CancelledError:
            await asyncio.shield(self.close())
            raise

    async def wait_closed(self) -> None:
        """Return once the connection has shut down."""
        await self._closed.wait()

    async def __aenter__(self) -> Connection:
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self, reason: str = "closed locally") -> None:
        """Shut down: fail pending calls, cancel and await every task, close the transport.

        Safe to call more than once and from anywhere; called from one of the
        connection's own tasks (a handler), it schedules the shutdown and
        returns at once.
        """
        if self._closed.is_set():
            return
        if not self._closing:
            self._closing = True
            self._reason = reason
            self._closer = asyncio.create_task(self._shutdown(), name="ocpp-close")
        current = asyncio.current_task()
        if current is not None and (current in self._tasks or current in self._own):
            return
        assert self._closer is not None
        await asyncio.shield(self._closer)

    def _close_soon(self, reason: str) -> None:
        if not self._closing:
            self._closing = True
            self._reason = reason
            self._closer = asyncio.create_task(self._shutdown(), name="ocpp-close")

    async def _shutdown(self) -> None:
        tasks = [task for task in (*self._own, *self._tasks) if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        error = ConnectionClosedError(self._reason)
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(error)
        self._waiting.clear()
        try:
            await self._transport.close()
        except Exception as exc:  # closing a broken transport may fail; nothing is owed
            LOGGER.debug("%s: closing the transport failed: %r", self.identity, exc)
        LOGGER.info("%s: connection closed (%s)", self.identity, self._reason)
        self._closed.set()

    def spawn(self, job: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``job`` as a task tied to the connection.

        The task is cancelled and awaited when the connection closes; an
        exception it raises is logged.

        Raises:
            ConnectionClosedError: the connection is closing or closed (``job`` is closed).
        """
        if self._closing:
            job.close()
            raise ConnectionClosedError(self._reason)
        task = asyncio.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            LOGGER.error(
                "%s: a task of the connection failed",
                self.identity,
                exc_info=task.exception(),
            )

    # --- writing -----------------------------------------------------------------

    async def _write(self, texts: list[str]) -> None:
        if not texts:
            return
        async with self._write_lock:
            for text in texts:
                if self._closing:  # nothing more leaves once the shutdown began
                    raise ConnectionClosedError(self._reason)
                if FRAME_LOGGER.isEnabledFor(logging.DEBUG):
                    FRAME_LOGGER.debug(
                        "%s %s",
                        self._sent_marker,
                        text,
                        extra={**self._log_extra, "ocpp_direction": "sent"},
                    )
                try:
                    await self._transport.send(text)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self._close_soon(f"sending failed: {exc!r}"[:200])
                    raise ConnectionClosedError(self._reason) from exc

    async def _flush(self) -> None:
        await self._write(self._session.data_to_send())

    # --- our CALLs ---------------------------------------------------------------

    async def call(self, request: Any, *, timeout: float | None = None) -> Any:
        """Send a CALL and return the peer's typed response.

        Only one CALL is in flight at a time; further calls wait in the
        session's queue and leave in order (OCPP-J section 4.1.1).

        Args:
            request: a generated request of the connection's version that this
                side may send, e.g. ``v201.HeartbeatRequest()``.
            timeout: seconds to wait for the answer, counted from the moment
                the CALL leaves; ``None`` takes the session's ``call_timeout``.

        Returns:
            The decoded response, e.g. a ``v201.HeartbeatResponse``.

        Raises:
            RemoteCallError: the peer answered with a CALLERROR (code,
                description, details).
            CallTimeoutError: no answer before the deadline (a ``TimeoutError``).
            InvalidResponseError: the answer was broken (malformed, or its
                payload breaks the schema).
            ConnectionClosedError: the connection is closed, or closed while
                the call waited.
            LocalProtocolError: the request is not one this side may send in
                this version (nothing was sent).
            EncodeError: a value of the request cannot be written, naming the
                field (nothing was sent).
        """
        if self._closing:
            raise ConnectionClosedError(self._reason)
        if not self._own:
            raise LocalProtocolError(
                "the connection is not running: use 'async with connection' or run()"
            )
        loop = asyncio.get_running_loop()
        text = self._session.send_call(request, loop.time(), timeout=timeout)
        pending = self._session.in_flight if text is not None else self._session.queued[-1]
        assert pending is not None
        uid = pending.unique_id
        future: asyncio.Future[Event] = loop.create_future()
        self._waiting[uid] = future
        try:
            if text is not None:
                self._wake.set()
                await self._write([text])
            outcome = await future
        finally:
            self._waiting.pop(uid, None)
        return _unwrap(outcome, timeout)

    async def send(self, message: Any) -> None:
        """Send an OCPP 2.1 unconfirmed message (SEND); nothing is awaited back.

        Raises:
            ConnectionClosedError: the connection is closed.
            LocalProtocolError: the session is not 2.1, or the message is not a
                SEND-only request this side may send.
        """
        if self._closing:
            raise ConnectionClosedError(self._reason)
        await self._write([self._session.send(message)])

    # --- reading -----------------------------------------------------------------

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                text = await self._transport.recv()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._close_soon(f"closed by the peer ({type(exc).__name__}: {exc})"[:200])
                return
            try:
                if FRAME_LOGGER.isEnabledFor(logging.DEBUG):
                    FRAME_LOGGER.debug(
                        "%s %s",
                        self._received_marker,
                        one_line(text),
                        extra={**self._log_extra, "ocpp_direction": "received"},
                    )
                events = self._session.receive(text, loop.time())
                await self._flush()
                await self._dispatch(events)
            except ConnectionClosedError:
                return
            except Exception as exc:  # a transport handing over neither str nor bytes
                LOGGER.exception("%s: cannot take a received message", self.identity)
                self._close_soon(f"unreadable message from the transport: {exc!r}"[:200])
                return

    async def _dispatch(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, CallReceived):
                if len(self._session.owed) > self._max_owed:
                    LOGGER.warning(
                        "%s: %s refused: more than %d CALLs of the peer unanswered",
                        self.identity,
                        event.call.action,
                        self._max_owed,
                    )
                    await self._write(
                        [
                            self._session.send_error(
                                event,
                                ErrorCode.GENERIC_ERROR,
                                f"too many unanswered CALLs (limit {self._max_owed})",
                            )
                        ]
                    )
                    continue
                self._enqueue(event)
            elif isinstance(event, SendReceived):
                if len(self._inbox) >= self._max_owed:
                    LOGGER.warning("%s: SEND dropped: the inbox is full", self.identity)
                    continue
                self._enqueue(event)
            elif isinstance(event, ProtocolViolation):
                LOGGER.warning(
                    "%s: %s: %s", self.identity, event.kind.value, one_line(event.description)
                )
            elif isinstance(event, CallResultErrorReceived):
                LOGGER.warning(
                    "%s: the peer refused our answer to %s (%s): %s",
                    self.identity,
                    event.call.action,
                    event.error.error_code,
                    one_line(event.error.error_description),
                )
            else:
                future = self._waiting.get(event.call.unique_id)  # an outcome of our CALL
                if future is not None and not future.done():
                    future.set_result(event)

    def _enqueue(self, event: CallReceived | SendReceived) -> None:
        if self._concurrent:
            self.spawn(self._handle(event))
        else:
            self._inbox.append(event)
            self._inbox_ready.set()

    # --- the peer's CALLs --------------------------------------------------------

    async def _work(self) -> None:
        while True:
            while not self._inbox:
                self._inbox_ready.clear()
                await self._inbox_ready.wait()
            try:
                await self._handle(self._inbox.popleft())
            except ConnectionClosedError:
                return
            except Exception:  # pragma: no cover - _handle answers every failure itself
                LOGGER.exception("%s: handling a CALL failed", self.identity)

    async def _handle(self, event: CallReceived | SendReceived) -> None:
        request = event.request if isinstance(event, CallReceived) else event.message
        handler = None if self._router is None else self._router.handler_for(type(request))
        if isinstance(event, SendReceived):
            if handler is None:
                LOGGER.info("%s: no handler for the SEND %s", self.identity, event.send.action)
                return
            try:
                result = handler(request, self._context)
                if inspect.isawaitable(result):
                    await result
            except Exception:  # a SEND is never answered; the failure is logged
                LOGGER.exception("%s: the handler of %s failed", self.identity, event.send.action)
            return
        await self._write([await self._answer(event, handler)])

    async def _answer(self, event: CallReceived, handler: Handler | None) -> str:
        session, action = self._session, event.call.action
        guard = None if self._router is None else self._router.guard
        try:
            if guard is not None:
                checked = guard(event.request, self._context)
                if inspect.isawaitable(checked):
                    await checked
            if handler is None:
                return session.send_error(
                    event,
                    ErrorCode.NOT_SUPPORTED,
                    f"{action} is recognised but not supported by the receiver",
                )
            result = handler(event.request, self._context)
            if inspect.isawaitable(result):
                result = await result
        except CallErrorReply as reply:
            try:
                return session.send_error(
                    event, reply.code or ErrorCode.GENERIC_ERROR, reply.description, reply.details
                )
            except LocalProtocolError:  # a code the version lacks, a long text, bad details
                LOGGER.exception(
                    "%s: the CallErrorReply of %s cannot be sent", self.identity, action
                )
                return session.send_error(event, ErrorCode.INTERNAL_ERROR, _INTERNAL)
        except Exception:  # every CALL gets an answer, whatever the handler does
            LOGGER.exception("%s: the handler of %s failed", self.identity, action)
            return session.send_error(event, ErrorCode.INTERNAL_ERROR, _INTERNAL)
        try:
            return session.send_result(event, result)
        except Exception:  # the wrong class, or a value that cannot be written
            LOGGER.exception(
                "%s: the answer of the handler of %s cannot be sent (%s)",
                self.identity,
                action,
                type(result).__qualname__,
            )
            return session.send_error(event, ErrorCode.INTERNAL_ERROR, _INTERNAL)

    # --- timeouts ----------------------------------------------------------------

    async def _timer(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            deadline = self._session.next_deadline()
            if deadline is None:
                await self._wake.wait()
                continue
            delay = deadline - loop.time()
            if delay > 0:
                try:
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                except TimeoutError:
                    pass
                continue
            events = self._session.expire(loop.time())
            try:
                await self._flush()
                await self._dispatch(events)
            except ConnectionClosedError:
                return


def _unwrap(outcome: Event, timeout: float | None) -> Any:
    if type(outcome) is CallResultReceived:
        return outcome.response
    if type(outcome) is CallErrorReceived:
        error = outcome.error
        raise RemoteCallError(
            code=outcome.code,
            error_code=error.error_code,
            description=error.error_description,
            details=dict(error.error_details),
            action=outcome.call.action,
            unique_id=outcome.call.unique_id,
        )
    if type(outcome) is CallTimedOut:
        raise CallTimeoutError(
            action=outcome.call.action, unique_id=outcome.call.unique_id, timeout=timeout
        )
    assert type(outcome) is InvalidResponseReceived
    raise InvalidResponseError(
        error=outcome.error, action=outcome.call.action, unique_id=outcome.call.unique_id
    )
