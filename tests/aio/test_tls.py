"""``ssl=`` passes through ``serve`` and ``connect``; the peer certificate reaches the hooks.

A throwaway CA (``trustme``) issues the CSMS's certificate and a station's
client certificate; the CSMS requires client certificates (as security
profile 3 does) and its ``accept`` hook sees the station's certificate.
The TLS profiles themselves are ``ocpp_core.security``'s.
"""

from __future__ import annotations

import ssl
from typing import Any

import pytest

trustme = pytest.importorskip("trustme")

from ocpp_core.aio import HandshakeRefusedError  # noqa: E402
from ocpp_core.aio.websockets import Handshake, connect, serve  # noqa: E402
from tests.aio._support import run  # noqa: E402
from tests.aio.test_connection import BOOT  # noqa: E402
from tests.aio.test_websockets import csms_router  # noqa: E402


def contexts() -> tuple[ssl.SSLContext, ssl.SSLContext, bytes]:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    ca.configure_trust(server)
    server.verify_mode = ssl.CERT_REQUIRED
    client = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(client)
    station_cert = ca.issue_cert("cp-1.stations.example")
    station_cert.configure_cert(client)
    der = ssl.PEM_cert_to_DER_cert(station_cert.cert_chain_pems[0].bytes().decode())
    return server, client, der


def test_tls_with_a_client_certificate() -> None:
    server_context, client_context, station_der = contexts()
    seen: list[Handshake] = []

    def accept(handshake: Handshake) -> bool:
        seen.append(handshake)
        if handshake.peer_certificate != station_der:
            raise HandshakeRefusedError(403, "unknown certificate")
        return True

    async def main() -> None:
        async with serve(router=csms_router(), ssl=server_context, accept=accept) as server:
            url = f"wss://127.0.0.1:{server.port}/CP_1"
            async with connect(url, ssl=client_context, open_timeout=10) as station:
                assert (await station.call(BOOT)).interval == 60
                assert station.context.peer_certificate is not None  # the CSMS's
                csms_side: Any = server.connections["CP_1"]
                assert csms_side.context.peer_certificate == station_der

    run(main)
    assert seen[0].peer_certificate == station_der
