"""Security profiles 2 and 3 over real ``wss://`` on loopback.

A throwaway PKI (operator root, CSMS certificate for ``localhost``, station
certificates) is made in the test; the contexts come from
:func:`csms_ssl_context` / :func:`station_ssl_context`. The CSMS is the
``websockets`` server with our sans-I/O :class:`Session`; it checks Basic
authentication (profile 2) or the client certificate's subject against the
identity in the URL (profile 3), and the negotiated TLS version and suite.

Also: a station presenting another identity's certificate is refused, a
profile-3 station without a certificate is refused by the TLS layer, a client
that only offers TLS 1.1 is refused, and a charge point built with the
``ocpp`` package runs a BootNotification over profile 3.

Loopback only, OS-chosen ports, every scenario bounded by ``asyncio.timeout``.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest

websockets = pytest.importorskip("websockets")

from websockets.asyncio.client import connect  # noqa: E402
from websockets.asyncio.server import ServerConnection, serve  # noqa: E402
from websockets.exceptions import InvalidStatus  # noqa: E402
from websockets.http11 import Request, Response  # noqa: E402

from ocpp_core import OcppVersion, Role, v201  # noqa: E402
from ocpp_core.errors import SecurityCheckError  # noqa: E402
from ocpp_core.rpc import (  # noqa: E402
    CallReceived,
    CallResultReceived,
    Session,
    basic_auth_header,
    parse_basic_auth,
)
from ocpp_core.security import (  # noqa: E402
    check_negotiated_tls,
    check_station_certificate,
    csms_ssl_context,
    station_ssl_context,
)
from tests.security._pki import OPERATOR, Pki, root_ca  # noqa: E402

BOUND = 30.0
PASSWORD = "0123456789abcdef-secret"
VERSION = OcppVersion.V201


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path)


class Csms:
    """A profile 2 or 3 CSMS: checks credentials, answers BootNotification."""

    def __init__(self, profile: int, pki: Pki) -> None:
        self.profile = profile
        self.pki = pki
        self.booted: list[str] = []
        self.refused: list[str] = []

    def context(self) -> ssl.SSLContext:
        ctx = csms_ssl_context(
            self.profile, VERSION, client_roots=self.pki.root.pem if self.profile == 3 else None
        )
        ctx.load_cert_chain(self.pki.csms_cert, self.pki.csms_key)
        return ctx

    def check(self, connection: ServerConnection, request: Request) -> Response | None:
        identity = request.path.rsplit("/", 1)[-1]
        ssl_object = connection.transport.get_extra_info("ssl_object")
        try:
            cipher = ssl_object.cipher()
            check_negotiated_tls(ssl_object.version(), cipher[0] if cipher else None, VERSION)
            if self.profile == 2:
                header = request.headers.get("Authorization", "")
                creds = parse_basic_auth(header, VERSION)
                if creds.username != identity or creds.password_text() != PASSWORD:
                    raise PermissionError("wrong credentials")
            else:
                der = ssl_object.getpeercert(binary_form=True)
                check_station_certificate(der, identity=identity, organization=OPERATOR)
        except (SecurityCheckError, PermissionError, ValueError) as exc:
            self.refused.append(f"{identity}: {exc}")
            status = HTTPStatus.UNAUTHORIZED if self.profile == 2 else HTTPStatus.FORBIDDEN
            return connection.respond(status, "refused\n")
        return None

    async def handler(self, ws: ServerConnection) -> None:
        identity = ws.request.path.rsplit("/", 1)[-1] if ws.request else "?"
        session = Session(VERSION, Role.CSMS)
        async for text in ws:
            for event in session.receive(text, time.monotonic()):
                if isinstance(event, CallReceived) and isinstance(
                    event.request, v201.BootNotificationRequest
                ):
                    self.booted.append(identity)
                    reply = session.send_result(
                        event,
                        v201.BootNotificationResponse(
                            current_time=datetime.now(UTC),
                            interval=300,
                            status=v201.RegistrationStatusEnum.ACCEPTED,
                        ),
                    )
                    await ws.send(reply)
            for out in session.data_to_send():
                await ws.send(out)


@asynccontextmanager
async def running(csms: Csms) -> AsyncIterator[int]:
    async with serve(
        csms.handler,
        "127.0.0.1",
        0,
        ssl=csms.context(),
        subprotocols=[VERSION.subprotocol],  # type: ignore[list-item]
        process_request=csms.check,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        yield port


async def boot(port: int, identity: str, ctx: ssl.SSLContext, headers: dict[str, str]) -> Any:
    async with connect(
        f"wss://127.0.0.1:{port}/{identity}",
        ssl=ctx,
        server_hostname="localhost",
        subprotocols=[VERSION.subprotocol],  # type: ignore[list-item]
        additional_headers=headers,
        open_timeout=10,
    ) as ws:
        assert ws.subprotocol == VERSION.subprotocol
        session = Session(VERSION, Role.CHARGING_STATION)
        text = session.send_call(
            v201.BootNotificationRequest(
                charging_station=v201.ChargingStation(model="M", vendor_name="V"),
                reason=v201.BootReasonEnum.POWER_UP,
            ),
            time.monotonic(),
        )
        assert text is not None
        await ws.send(text)
        async for text in ws:
            for event in session.receive(text, time.monotonic()):
                if isinstance(event, CallResultReceived):
                    return event.response
    raise AssertionError("no answer")


def station_context(profile: int, pki: Pki, identity: str | None = None) -> ssl.SSLContext:
    ctx = station_ssl_context(profile, VERSION, csms_roots=pki.root.pem)
    if identity is not None:
        ctx.load_cert_chain(*pki.station_files(identity))
    return ctx


def test_profile_2_session(pki: Pki) -> None:
    asyncio.run(_profile_2_session(pki))


async def _profile_2_session(pki: Pki) -> None:
    csms = Csms(2, pki)
    async with asyncio.timeout(BOUND), running(csms) as port:
        headers = {"Authorization": basic_auth_header("CP_1", PASSWORD, VERSION)}
        response = await boot(port, "CP_1", station_context(2, pki), headers)
        assert response.status == v201.RegistrationStatusEnum.ACCEPTED
        wrong = {"Authorization": basic_auth_header("CP_1", PASSWORD + "x", VERSION)}
        with pytest.raises(InvalidStatus) as info:
            await boot(port, "CP_1", station_context(2, pki), wrong)
        assert info.value.response.status_code == HTTPStatus.UNAUTHORIZED
    assert csms.booted == ["CP_1"]
    assert len(csms.refused) == 1


def test_profile_3_session_and_wrong_identity(pki: Pki) -> None:
    asyncio.run(_profile_3_session_and_wrong_identity(pki))


async def _profile_3_session_and_wrong_identity(pki: Pki) -> None:
    csms = Csms(3, pki)
    async with asyncio.timeout(BOUND), running(csms) as port:
        response = await boot(port, "CP_1", station_context(3, pki, "CP_1"), {})
        assert response.status == v201.RegistrationStatusEnum.ACCEPTED
        # CP_2's valid certificate, presented by a station claiming to be CP_1
        with pytest.raises(InvalidStatus) as info:
            await boot(port, "CP_1", station_context(3, pki, "CP_2"), {})
        assert info.value.response.status_code == HTTPStatus.FORBIDDEN
    assert csms.booted == ["CP_1"]
    assert csms.refused
    assert "common-name-mismatch" in csms.refused[0]


def test_profile_3_without_client_certificate_is_refused(pki: Pki) -> None:
    asyncio.run(_profile_3_without_client_certificate_is_refused(pki))


async def _profile_3_without_client_certificate_is_refused(pki: Pki) -> None:
    csms = Csms(3, pki)
    async with asyncio.timeout(BOUND), running(csms) as port:
        with pytest.raises(
            (ssl.SSLError, ConnectionError, OSError, websockets.exceptions.WebSocketException)
        ):
            await boot(port, "CP_1", station_context(3, pki), {})
    assert csms.booted == []


def test_station_refuses_untrusted_csms(pki: Pki) -> None:
    asyncio.run(_station_refuses_untrusted_csms(pki))


async def _station_refuses_untrusted_csms(pki: Pki) -> None:
    csms = Csms(2, pki)
    other = station_ssl_context(2, VERSION, csms_roots=root_ca("Another Root").pem)
    async with asyncio.timeout(BOUND), running(csms) as port:
        headers = {"Authorization": basic_auth_header("CP_1", PASSWORD, VERSION)}
        with pytest.raises(ssl.SSLCertVerificationError):
            await boot(port, "CP_1", other, headers)
    assert csms.booted == []


def _tls11_only_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: that is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


def test_client_offering_only_tls_1_1_is_refused(pki: Pki) -> None:
    asyncio.run(_client_offering_only_tls_1_1_is_refused(pki))


async def _client_offering_only_tls_1_1_is_refused(pki: Pki) -> None:
    csms = Csms(2, pki)
    async with asyncio.timeout(BOUND), running(csms) as port:
        headers = {"Authorization": basic_auth_header("CP_1", PASSWORD, VERSION)}
        # the server's TLS layer refuses the handshake (an alert or a reset)
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            await boot(port, "CP_1", _tls11_only_context(), headers)
        # the same client allowed TLS 1.2 gets through: the refusal was the version
        ok = _tls11_only_context()
        ok.maximum_version = ssl.TLSVersion.TLSv1_2
        response = await boot(port, "CP_1", ok, headers)
        assert response.status == v201.RegistrationStatusEnum.ACCEPTED
    assert csms.booted == ["CP_1"]


def test_interop_ocpp_package_charge_point_profile_3(pki: Pki) -> None:
    asyncio.run(_interop_ocpp_package_charge_point_profile_3(pki))


async def _interop_ocpp_package_charge_point_profile_3(pki: Pki) -> None:
    ocpp = pytest.importorskip("ocpp")
    from ocpp.v201 import ChargePoint as MhChargePoint
    from ocpp.v201 import call as mh_call

    del ocpp
    csms = Csms(3, pki)
    async with (
        asyncio.timeout(BOUND),
        running(csms) as port,
        connect(
            f"wss://127.0.0.1:{port}/CP_2",
            ssl=station_context(3, pki, "CP_2"),
            server_hostname="localhost",
            subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
            open_timeout=10,
        ) as ws,
    ):
        cp = MhChargePoint("CP_2", ws)
        runner = asyncio.create_task(cp.start())
        try:
            result = await cp.call(
                mh_call.BootNotification(
                    charging_station={"model": "M", "vendor_name": "V"},
                    reason="PowerUp",
                ),
                suppress=False,
            )
        finally:
            runner.cancel()
        assert result.status == "Accepted"
    assert csms.booted == ["CP_2"]
