"""OCPP-J over the ``websockets`` package: :func:`serve` for a CSMS, :func:`connect` for a station.

Theory of operation
-------------------
:func:`serve` runs a ``websockets`` server (its asyncio API) and decides the
opening handshake itself, in ``process_request``, with the pure helpers of
:mod:`ocpp_core.rpc`:

1. the station's identity is the last segment of the URL path, percent-decoded
   (OCPP-J puts it at the end of the connection URL); a path without one is
   refused with HTTP 404;
2. the subprotocol is the newest version both sides speak
   (:func:`~ocpp_core.rpc.choose_subprotocol`);
3. with ``password``, HTTP Basic authentication (security profiles 1 and 2):
   an identity it knows no password for gets HTTP 404 (OCPP-J: the CSMS does
   not know the station), a missing or wrong ``Authorization`` header gets
   HTTP 401 with a ``WWW-Authenticate`` challenge; the username must be the
   identity; both compared in constant time;
4. the ``accept`` hook has the last word (for instance on the TLS client
   certificate of security profile 3, in :attr:`Handshake.peer_certificate`):
   ``False`` gives HTTP 403, :class:`~ocpp_core.errors.HandshakeRefusedError`
   its own status.

When the station offers no subprotocol the server speaks, the handshake
completes without one and the connection is closed at once with code 1002
(protocol error), as OCPP-J asks of a CSMS that agrees on no subprotocol,
rather than refusing the upgrade; a TLS context (``ssl=``) is handed to ``websockets`` untouched. A
connection the CSMS ends is closed with 1000; a server shutting down closes
its connections with 1001 (going away). A second connection with the same
identity replaces the first, which is closed.

:func:`connect` opens a station's connection: it offers the subprotocols of
``versions``, sends Basic credentials when given a password, and refuses a
CSMS that picked none of them (:class:`~ocpp_core.errors.HandshakeRefusedError`).
``async with connect(...) as connection`` gives one connection;
``async for connection in connect(...)`` reconnects with exponential backoff
whenever the connection closes or cannot be opened.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import random
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Mapping
from http import HTTPStatus
from ssl import SSLContext
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import attrs
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.asyncio.server import Server as WsServer
from websockets.asyncio.server import ServerConnection
from websockets.asyncio.server import serve as ws_serve
from websockets.exceptions import InvalidHandshake, InvalidStatus
from websockets.frames import CloseCode
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from ocpp_core._runtime import DecodeOptions
from ocpp_core.aio._connection import DEFAULT_MAX_OWED, Connection, Router
from ocpp_core.aio._logging import LOGGER
from ocpp_core.errors import HandshakeError, HandshakeRefusedError
from ocpp_core.rpc import (
    DEFAULT_LIMITS,
    BasicCredentials,
    FrameLimits,
    Session,
    basic_auth_header,
    choose_subprotocol,
    parse_basic_auth,
    subprotocol_for,
    version_for_subprotocol,
)
from ocpp_core.versions import OcppVersion, Role, VersionLike

__all__ = ["Backoff", "Connector", "Handshake", "Server", "connect", "identity_from_path", "serve"]

ALL_VERSIONS: Final = (OcppVersion.V16, OcppVersion.V20, OcppVersion.V201, OcppVersion.V21)
_CHALLENGE: Final = 'Basic realm="OCPP", charset="UTF-8"'


def identity_from_path(path: str) -> str:
    """Return the station identity in a request path: its last segment, percent-decoded.

    ``"/ocpp/CP%201?x=1"`` gives ``"CP 1"``; a path with no segment gives ``""``.
    """
    return unquote(urlsplit(path).path.rstrip("/").rpartition("/")[2])


@attrs.frozen(kw_only=True)
class Handshake:
    """What a CSMS knows of a station's opening handshake, before it accepts.

    Attributes:
        identity: the station identity from the URL path.
        path: the request path as sent.
        version: the OCPP version chosen, or ``None`` when no offered one is spoken.
        subprotocol: the subprotocol chosen, or ``None``.
        offered: the subprotocols the station offered, in its order.
        headers: the request headers.
        credentials: the HTTP Basic credentials, when sent and readable.
        peer_certificate: the station's TLS client certificate (DER), if any.
        remote_address: the peer's address as the socket reports it.
    """

    identity: str
    path: str
    version: OcppVersion | None
    subprotocol: str | None
    offered: tuple[str, ...]
    headers: Mapping[str, str]
    credentials: BasicCredentials | None
    peer_certificate: bytes | None
    remote_address: Any


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _peer_certificate(transport: Any) -> bytes | None:
    ssl_object = None if transport is None else transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    certificate: bytes | None = ssl_object.getpeercert(binary_form=True)
    return certificate


def _session(
    version: OcppVersion,
    role: Role,
    call_timeout: float,
    limits: FrameLimits,
    decode_options: DecodeOptions | None,
) -> Session:
    return Session(
        version,
        role,
        new_id=lambda: str(uuid.uuid4()),
        call_timeout=call_timeout,
        limits=limits,
        decode_options=decode_options,
    )


class Server:
    """A CSMS's WebSocket server (made by :func:`serve`); an async context manager.

    ``async with serve(...) as server:`` listens; leaving the block closes every
    connection (1001, going away) and stops listening.
    """

    def __init__(
        self,
        on_connect: Callable[[Connection], Any] | None,
        on_close: Callable[[Connection], Any] | None,
        host: str,
        port: int,
        *,
        router: Router | Callable[[Handshake], Router] | None,
        versions: Iterable[VersionLike],
        prefer: str,
        password: Callable[[str], Any] | None,
        accept: Callable[[Handshake], Any] | None,
        state: Callable[[Handshake], Any] | None,
        ssl: SSLContext | None,
        call_timeout: float,
        max_owed: int,
        limits: FrameLimits,
        decode_options: DecodeOptions | None,
        options: dict[str, Any],
    ) -> None:
        self._on_connect = on_connect
        self._on_close = on_close
        self._host = host
        self._port = port
        self._router = router
        self._versions = tuple(OcppVersion.parse(v) for v in versions)
        if not self._versions:
            raise ValueError("versions must name at least one OCPP version")
        self._prefer = prefer
        self._password = password
        self._accept = accept
        self._state = state
        self._ssl = ssl
        self._call_timeout = call_timeout
        self._max_owed = max_owed
        self._limits = limits
        self._decode_options = decode_options
        self._options = options
        self._pending: weakref.WeakKeyDictionary[ServerConnection, Handshake] = (
            weakref.WeakKeyDictionary()
        )
        self._connections: dict[str, Connection] = {}
        self._server: WsServer | None = None

    @property
    def port(self) -> int:
        """The TCP port listened on (useful with ``port=0``)."""
        assert self._server is not None, "the server is not started"
        port: int = next(iter(self._server.sockets)).getsockname()[1]
        return port

    @property
    def connections(self) -> Mapping[str, Connection]:
        """The open connections by station identity."""
        return self._connections

    async def start(self) -> None:
        """Start listening."""
        if self._server is None:
            self._server = await ws_serve(
                self._handle,
                self._host,
                self._port,
                process_request=self._process_request,
                select_subprotocol=self._select_subprotocol,
                ssl=self._ssl,
                **self._options,
            )

    async def close(self) -> None:
        """Close every connection (code 1001) and stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for connection in list(self._connections.values()):
            await connection.close("the server closed")

    async def serve_forever(self) -> None:
        """Serve until cancelled."""
        await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    async def __aenter__(self) -> Server:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- the handshake -----------------------------------------------------------

    def _refuse(self, ws: ServerConnection, status: int, reason: str, identity: str) -> Response:
        LOGGER.info("refused %r: HTTP %d %s", identity, status, reason)
        response = ws.respond(status, reason + "\n")
        if status == HTTPStatus.UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = _CHALLENGE
        return response

    async def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        identity = identity_from_path(request.path)
        if not identity:
            return self._refuse(ws, 404, "no charging station identity in the path", identity)
        offer = request.headers.get_all("Sec-WebSocket-Protocol")
        version = choose_subprotocol(offer, self._versions, prefer=self._prefer)  # type: ignore[arg-type]
        offered = tuple(p.strip() for value in offer for p in value.split(",") if p.strip())
        header = request.headers.get("Authorization")
        credentials: BasicCredentials | None = None
        if self._password is not None:
            expected = await _maybe_await(self._password(identity))
            if expected is None:
                return self._refuse(ws, 404, "unknown charging station", identity)
            if header is None:
                return self._refuse(ws, 401, "authentication required", identity)
            try:
                credentials = parse_basic_auth(header, version or self._versions[-1])
            except HandshakeError as exc:
                return self._refuse(ws, 401, f"unusable credentials: {exc}"[:120], identity)
            expected_bytes = expected.encode() if isinstance(expected, str) else bytes(expected)
            good = hmac.compare_digest(credentials.username.encode(), identity.encode())
            good &= hmac.compare_digest(credentials.password, expected_bytes)
            if not good:
                return self._refuse(ws, 401, "wrong credentials", identity)
        elif header is not None:
            try:
                credentials = parse_basic_auth(header, version or self._versions[-1])
            except HandshakeError:
                credentials = None
        handshake = Handshake(
            identity=identity,
            path=request.path,
            version=version,
            subprotocol=None if version is None else version.subprotocol,
            offered=offered,
            headers=request.headers,
            credentials=credentials,
            peer_certificate=_peer_certificate(ws.transport),
            remote_address=ws.remote_address,
        )
        if self._accept is not None:
            try:
                accepted = await _maybe_await(self._accept(handshake))
            except HandshakeRefusedError as exc:
                return self._refuse(ws, exc.status or 403, exc.reason, identity)
            if not accepted:
                return self._refuse(ws, 403, "refused", identity)
        self._pending[ws] = handshake
        return None

    def _select_subprotocol(self, ws: ServerConnection, subprotocols: Any) -> Subprotocol | None:
        handshake = self._pending.get(ws)
        if handshake is None or handshake.subprotocol is None:
            return None
        if handshake.subprotocol not in subprotocols:
            return None
        return Subprotocol(handshake.subprotocol)

    # --- a connection ------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        handshake = self._pending.pop(ws, None)
        if handshake is None or handshake.version is None or ws.subprotocol is None:
            offered = "none" if handshake is None else ", ".join(handshake.offered) or "none"
            LOGGER.info(
                "closing a connection without a supported subprotocol (offered: %s)", offered
            )
            await ws.close(CloseCode.PROTOCOL_ERROR, "no supported OCPP subprotocol")
            return
        router = (
            self._router(handshake)
            if callable(self._router) and not isinstance(self._router, Router)
            else self._router
        )
        connection = Connection(
            ws,
            _session(
                handshake.version,
                Role.CSMS,
                self._call_timeout,
                self._limits,
                self._decode_options,
            ),
            router=router,
            identity=handshake.identity,
            subprotocol=handshake.subprotocol,
            state=None if self._state is None else self._state(handshake),
            peer_certificate=handshake.peer_certificate,
            max_owed=self._max_owed,
        )
        identity = handshake.identity
        previous = self._connections.get(identity)
        if previous is not None:
            await previous.close("replaced by a new connection of the same station")
        self._connections[identity] = connection
        LOGGER.info("%s connected with %s", identity, handshake.subprotocol)
        try:
            connection.start()
            if self._on_connect is not None:
                result = self._on_connect(connection)
                if inspect.iscoroutine(result):
                    connection.spawn(result)
            await connection.run()
        finally:
            if self._connections.get(identity) is connection:
                del self._connections[identity]
            await connection.close()
            if self._on_close is not None:
                await _maybe_await(self._on_close(connection))


def serve(
    on_connect: Callable[[Connection], Coroutine[Any, Any, Any] | None] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    on_close: Callable[[Connection], Awaitable[None] | None] | None = None,
    router: Router | Callable[[Handshake], Router] | None = None,
    versions: Iterable[VersionLike] = ALL_VERSIONS,
    prefer: str = "newest",
    password: Callable[[str], str | bytes | Awaitable[str | bytes | None] | None] | None = None,
    accept: Callable[[Handshake], bool | Awaitable[bool]] | None = None,
    state: Callable[[Handshake], Any] | None = None,
    ssl: SSLContext | None = None,
    call_timeout: float = 30.0,
    max_owed: int = DEFAULT_MAX_OWED,
    limits: FrameLimits = DEFAULT_LIMITS,
    decode_options: DecodeOptions | None = None,
    **websockets_options: Any,
) -> Server:
    """Make a CSMS server for charging stations; use it with ``async with``.

    Args:
        on_connect: called with each new :class:`~ocpp_core.aio.Connection`,
            once it runs; a coroutine it returns runs as a task of the
            connection (cancelled when the connection closes).
        on_close: called (and awaited, when it returns an awaitable) with
            each connection once it has closed.
        host: the interface to listen on (default loopback only).
        port: the TCP port; 0 picks a free one (see :attr:`Server.port`).
        router: the handlers of the stations' CALLs, or a function of the
            :class:`Handshake` returning them (e.g. one router per version).
        versions: the OCPP versions served (default all).
        prefer: ``"newest"`` (default) or ``"client"``, as in
            :func:`~ocpp_core.rpc.choose_subprotocol`.
        password: ``identity -> password`` (or ``None`` for an unknown
            station; may be ``async``); given, HTTP Basic authentication is
            required (security profiles 1 and 2).
        accept: ``handshake -> bool`` (may be ``async``), the last word on a
            connection; raise :class:`~ocpp_core.errors.HandshakeRefusedError`
            to refuse with a status of your choice.
        state: ``handshake -> object`` making each connection's user state.
        ssl: a server TLS context (security profiles 2 and 3), passed to
            ``websockets`` as it is.
        call_timeout: seconds to wait for the answer to each CALL.
        max_owed: the limit on unanswered CALLs of one station.
        limits: bounds on received frames.
        decode_options: named leniencies for decoding payloads.
        **websockets_options: passed to ``websockets.asyncio.server.serve``
            (``ping_interval``, ``max_size``, ...).
    """
    return Server(
        on_connect,
        on_close,
        host,
        port,
        router=router,
        versions=versions,
        prefer=prefer,
        password=password,
        accept=accept,
        state=state,
        ssl=ssl,
        call_timeout=call_timeout,
        max_owed=max_owed,
        limits=limits,
        decode_options=decode_options,
        options=websockets_options,
    )


# --- the station's side ------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Backoff:
    """Delays between reconnection attempts: exponential, capped, with jitter.

    Attributes:
        initial: the first delay in seconds.
        factor: each delay is the previous one times this.
        maximum: the cap on a delay.
        jitter: each delay is multiplied by a random factor in ``[1 - jitter, 1 + jitter]``.
    """

    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 60.0
    jitter: float = 0.1

    def delays(self) -> Iterable[float]:
        """Yield the delays, for ever."""
        delay = self.initial
        while True:
            yield delay * random.uniform(1 - self.jitter, 1 + self.jitter)
            delay = min(self.maximum, delay * self.factor)


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, InvalidStatus):
        return exc.response.status_code >= 500
    return isinstance(exc, OSError | TimeoutError | EOFError | InvalidHandshake)


class Connector:
    """Opens a station's connection (made by :func:`connect`).

    ``async with`` gives one :class:`~ocpp_core.aio.Connection`, closed on
    exit; ``async for`` gives one after another, reconnecting with
    :class:`Backoff` delays when a connection closes or cannot be opened.
    """

    def __init__(
        self,
        url: str,
        *,
        versions: Iterable[VersionLike],
        identity: str | None,
        password: str | None,
        router: Router | None,
        state: Any,
        ssl: SSLContext | None,
        call_timeout: float,
        max_owed: int,
        limits: FrameLimits,
        decode_options: DecodeOptions | None,
        backoff: Backoff,
        options: dict[str, Any],
    ) -> None:
        self._url = url
        self._versions = tuple(OcppVersion.parse(v) for v in versions)
        if not self._versions:
            raise ValueError("versions must name at least one OCPP version")
        self._identity = identity_from_path(urlsplit(url).path) if identity is None else identity
        self._password = password
        self._router = router
        self._state = state
        self._ssl = ssl
        self._call_timeout = call_timeout
        self._max_owed = max_owed
        self._limits = limits
        self._decode_options = decode_options
        self._backoff = backoff
        self._options = options
        self._connection: Connection | None = None

    async def open(self) -> Connection:
        """Open one connection and start it.

        Raises:
            HandshakeRefusedError: the CSMS refused (HTTP status), or accepted
                none of the offered subprotocols (status ``None``).
            OSError: the CSMS could not be reached.
        """
        headers = {}
        if self._password is not None:
            headers["Authorization"] = basic_auth_header(
                self._identity, self._password, self._versions[0]
            )
        try:
            ws: ClientConnection = await ws_connect(
                self._url,
                subprotocols=[Subprotocol(subprotocol_for(v)) for v in self._versions],
                additional_headers=headers,
                ssl=self._ssl,
                **self._options,
            )
        except InvalidStatus as exc:
            if exc.response.status_code >= 500:
                raise
            body = exc.response.body.decode("utf-8", "replace").strip()[:200]
            raise HandshakeRefusedError(exc.response.status_code, body or str(exc)) from exc
        version = None if ws.subprotocol is None else version_for_subprotocol(ws.subprotocol)
        if version is None or version not in self._versions:
            await ws.close(CloseCode.PROTOCOL_ERROR, "no OCPP subprotocol agreed")
            raise HandshakeRefusedError(
                None, f"the CSMS accepted none of the subprotocols offered ({ws.subprotocol!r})"
            )
        connection = Connection(
            ws,
            _session(
                version,
                Role.CHARGING_STATION,
                self._call_timeout,
                self._limits,
                self._decode_options,
            ),
            router=self._router,
            identity=self._identity,
            subprotocol=ws.subprotocol,
            state=self._state,
            peer_certificate=_peer_certificate(ws.transport),
            max_owed=self._max_owed,
        )
        connection.start()
        LOGGER.info("%s connected to %s with %s", self._identity, self._url, ws.subprotocol)
        return connection

    async def __aenter__(self) -> Connection:
        self._connection = await self.open()
        return self._connection

    async def __aexit__(self, *exc_info: object) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def __aiter__(self) -> AsyncIterator[Connection]:
        delays = iter(self._backoff.delays())
        while True:
            try:
                connection = await self.open()
            except Exception as exc:
                if not _retryable(exc):
                    raise
                delay = next(delays)
                LOGGER.info(
                    "%s: cannot connect (%r); retrying in %.1f s", self._identity, exc, delay
                )
                await asyncio.sleep(delay)
                continue
            delays = iter(self._backoff.delays())
            try:
                yield connection
            finally:
                await connection.close()
            delay = next(delays)
            LOGGER.info("%s: connection over; reconnecting in %.1f s", self._identity, delay)
            await asyncio.sleep(delay)


def connect(
    url: str,
    *,
    versions: Iterable[VersionLike] = (OcppVersion.V201,),
    identity: str | None = None,
    password: str | None = None,
    router: Router | None = None,
    state: Any = None,
    ssl: SSLContext | None = None,
    call_timeout: float = 30.0,
    max_owed: int = DEFAULT_MAX_OWED,
    limits: FrameLimits = DEFAULT_LIMITS,
    decode_options: DecodeOptions | None = None,
    backoff: Backoff = Backoff(),
    **websockets_options: Any,
) -> Connector:
    """Connect a charging station to a CSMS (``async with`` once, ``async for`` to reconnect).

    Args:
        url: the CSMS URL ending in the station identity,
            e.g. ``ws://csms.example:9000/ocpp/CP_1``.
        versions: the versions to offer, in order of preference.
        identity: the station identity (default: the URL's last path segment).
        password: the Basic-authentication password (security profiles 1, 2).
        router: the handlers of the CSMS's CALLs.
        state: the user state in the connection's context.
        ssl: a client TLS context (security profiles 2 and 3).
        call_timeout: seconds to wait for the answer to each CALL.
        max_owed: the limit on the CSMS's unanswered CALLs.
        limits: bounds on received frames.
        decode_options: named leniencies for decoding payloads.
        backoff: the delays between reconnection attempts (``async for``).
        **websockets_options: passed to ``websockets.asyncio.client.connect``
            (``open_timeout``, ``ping_interval``, ...).
    """
    return Connector(
        url,
        versions=versions,
        identity=identity,
        password=password,
        router=router,
        state=state,
        ssl=ssl,
        call_timeout=call_timeout,
        max_owed=max_owed,
        limits=limits,
        decode_options=decode_options,
        backoff=backoff,
        options=websockets_options,
    )
