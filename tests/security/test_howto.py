"""The certificate commands of docs/howto-security-profiles.md work as written.

The shell block that makes the test certificates is run with the ``openssl``
command in a temporary directory, and its output is checked with the library:
chains, identities, the CSR, and a TLS handshake between the two contexts.
"""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ocpp_core.security import (
    certificate_hash_data,
    check_csms_certificate,
    check_csr,
    check_station_certificate,
    csms_ssl_context,
    station_ssl_context,
    verify_chain,
)

HOWTO = Path(__file__).resolve().parents[2] / "docs" / "howto-security-profiles.md"
OPENSSL = shutil.which("openssl")
BASH = shutil.which("bash")


def shell_blocks() -> list[str]:
    text = HOWTO.read_text(encoding="utf-8")
    return [b for b in re.findall(r"```sh\n(.*?)```", text, re.DOTALL) if "openssl" in b]


def test_the_howto_has_the_commands() -> None:
    blocks = shell_blocks()
    assert len(blocks) == 1
    assert "CN=CP_1" in blocks[0]
    assert "CN=localhost" in blocks[0]


@pytest.mark.skipif(OPENSSL is None or BASH is None, reason="needs the openssl command and bash")
def test_howto_commands_make_working_certificates(tmp_path: Path) -> None:
    assert BASH is not None
    subprocess.run(
        [BASH, "-e", "-c", shell_blocks()[0]],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=60,
    )
    now = datetime.now(UTC)
    root = (tmp_path / "root.pem").read_bytes()
    station = (tmp_path / "CP_1.pem").read_bytes()
    csms = (tmp_path / "csms.pem").read_bytes()
    assert verify_chain(station, roots=root, at=now).root
    assert verify_chain(csms, roots=root, at=now).root
    assert check_station_certificate(station, identity="CP_1", organization="Example CPO")
    assert check_csms_certificate(csms, fqdn="localhost") == "localhost"
    info = check_csr(
        (tmp_path / "CP_1.csr").read_text(), identity="CP_1", organization="Example CPO"
    )
    assert info.key.kind == "EC"
    assert certificate_hash_data(station, issuer=root).serial_number == "2001"

    # a profile-3 handshake between the two contexts, over a socket pair
    server_ctx = csms_ssl_context(3, "2.0.1", client_roots=root)
    server_ctx.load_cert_chain(tmp_path / "csms.pem", tmp_path / "csms.key")
    client_ctx = station_ssl_context(3, "2.0.1", csms_roots=root)
    client_ctx.load_cert_chain(tmp_path / "CP_1.pem", tmp_path / "CP_1.key")
    a, b = socket.socketpair()
    a.settimeout(20)
    b.settimeout(20)
    peer: list[bytes | None] = []

    def serve() -> None:
        with server_ctx.wrap_socket(a, server_side=True) as tls:
            peer.append(tls.getpeercert(binary_form=True))

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client_ctx.wrap_socket(b, server_hostname="localhost") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
            assert isinstance(tls, ssl.SSLSocket)
    finally:
        thread.join(timeout=20)
    assert peer
    assert peer[0] is not None
    check_station_certificate(peer[0], identity="CP_1", organization="Example CPO")
