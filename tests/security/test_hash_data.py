"""CertificateHashData and OCSPRequestData against independently computed values.

Three oracles, none sharing code with the library:

* ``hashlib`` field by field: the issuer name's DER taken from the
  certificate's own DER (walked here), the issuer key bits taken from the
  issuer's SubjectPublicKeyInfo DER (walked here);
* OpenSSL's OCSP CertID through ``cryptography``'s OCSP request builder;
* the ``openssl ocsp`` command, when it is on the machine.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core import v16, v20, v21, v201
from ocpp_core.errors import CertificateError, SecurityCheckError, SecurityRule
from ocpp_core.security import (
    HashAlgorithm,
    certificate_hash_data,
    find_matching_certificate,
    hash_data_matches,
    ocsp_request_data,
)
from tests.security._pki import der, ec_key, issue, name, pem, root_ca, rsa_key

ROOT_EC = root_ca("EC Root")
ROOT_RSA = root_ca("RSA Root", key=rsa_key())


def tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first & 0x80:
        n = first & 0x7F
        length = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    else:
        length = first
    return tag, pos, pos + length


def children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    out = []
    pos = start
    while pos < end:
        tag, s, e = tlv(data, pos)
        out.append((tag, pos, s, e))
        pos = e
    return out


def issuer_name_der(cert_der: bytes) -> bytes:
    _, s, _e = tlv(cert_der, 0)  # Certificate
    _, ts, te = tlv(cert_der, s)  # TBSCertificate
    fields = children(cert_der, ts, te)
    if fields[0][0] == 0xA0:
        fields = fields[1:]
    _, start, _, end = fields[2]  # serial, signature, issuer
    return cert_der[start:end]


def key_bits(spki_der: bytes) -> bytes:
    _, s, e = tlv(spki_der, 0)
    (_, _, _, _), (tag, _, bs, be) = children(spki_der, s, e)
    assert tag == 0x03
    return spki_der[bs + 1 : be]


HASHLIB = {"SHA256": hashlib.sha256, "SHA384": hashlib.sha384, "SHA512": hashlib.sha512}
CRYPTO = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}


def hashlib_oracle(cert, issuer, algorithm: str) -> tuple[str, str, str]:
    spki = issuer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    h = HASHLIB[algorithm]
    serial = format(cert.serial_number, "x").upper()
    return (h(issuer_name_der(der(cert))).hexdigest(), h(key_bits(spki)).hexdigest(), serial)


def ocsp_oracle(cert, issuer, algorithm: str) -> tuple[str, str, int]:
    req = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, CRYPTO[algorithm]()).build()
    return req.issuer_name_hash.hex(), req.issuer_key_hash.hex(), req.serial_number


@pytest.mark.parametrize("root", [ROOT_EC, ROOT_RSA], ids=["ec", "rsa"])
@pytest.mark.parametrize("algorithm", ["SHA256", "SHA384", "SHA512"])
def test_hash_data_matches_hashlib_and_ocsp(root, algorithm: str) -> None:
    leaf = issue(name("CP_1", "Example CPO"), issuer=root, serial=0x00FF_0000_0000_00AB)
    data = certificate_hash_data(leaf.pem, issuer=root.pem, hash_algorithm=algorithm)
    name_hash, key_hash, serial = hashlib_oracle(leaf.cert, root.cert, algorithm)
    assert (data.issuer_name_hash, data.issuer_key_hash, data.serial_number) == (
        name_hash,
        key_hash,
        serial,
    )
    o_name, o_key, o_serial = ocsp_oracle(leaf.cert, root.cert, algorithm)
    assert (data.issuer_name_hash, data.issuer_key_hash, int(data.serial_number, 16)) == (
        o_name,
        o_key,
        o_serial,
    )
    assert data.hash_algorithm is HashAlgorithm(algorithm)


def test_serial_encoding_of_the_spec_example() -> None:
    leaf = issue(name("CP_1", "O"), issuer=ROOT_EC, serial=4095)
    assert certificate_hash_data(leaf.cert, issuer=ROOT_EC.cert).serial_number == "FFF"
    # a serial whose DER needs a leading zero byte has no leading zero digits
    high = issue(name("CP_1", "O"), issuer=ROOT_EC, serial=0x80)
    assert certificate_hash_data(high.cert, issuer=ROOT_EC.cert).serial_number == "80"


def test_self_signed_root_needs_no_issuer() -> None:
    data = certificate_hash_data(ROOT_EC.pem)
    assert data.issuer_key_hash == hashlib_oracle(ROOT_EC.cert, ROOT_EC.cert, "SHA256")[1]


def test_issuer_is_required_for_an_issued_certificate() -> None:
    leaf = issue(name("CP_1", "O"), issuer=ROOT_EC)
    with pytest.raises(CertificateError) as info:
        certificate_hash_data(leaf.pem)
    assert info.value.rule is SecurityRule.HASH_DATA
    with pytest.raises(CertificateError) as info:
        certificate_hash_data(leaf.pem, issuer=ROOT_RSA.pem)
    assert info.value.rule is SecurityRule.ISSUER_MISMATCH


@pytest.mark.parametrize("module", [v16, v20, v201, v21], ids=["1.6", "2.0", "2.0.1", "2.1"])
def test_to_message_per_version(module) -> None:
    leaf = issue(name("CP_1", "O"), issuer=ROOT_EC, serial=0xABCDEF)
    data = certificate_hash_data(leaf.cert, issuer=ROOT_EC.cert)
    version = module.__name__.rsplit(".v", 1)[1]
    msg = data.to_message({"16": "1.6", "20": "2.0", "201": "2.0.1", "21": "2.1"}[version])
    assert isinstance(msg, module.CertificateHashData)
    assert msg.serial_number == "ABCDEF"
    assert msg.hash_algorithm == "SHA256"
    assert hash_data_matches(msg, leaf.cert, issuer=ROOT_EC.cert)


def test_serial_too_long_for_2_0() -> None:
    leaf = issue(name("CP_1", "O"), issuer=ROOT_EC, serial=(1 << 159) - 1)
    data = certificate_hash_data(leaf.cert, issuer=ROOT_EC.cert)
    assert len(data.serial_number) == 40
    data.to_message("2.0.1")
    with pytest.raises(CertificateError):
        data.to_message("2.0")


def test_matching_tolerates_case_and_leading_zeroes_and_finds_among_installed() -> None:
    leaf = issue(name("CP_1", "O"), issuer=ROOT_EC, serial=0xFFF)
    data = certificate_hash_data(leaf.cert, issuer=ROOT_EC.cert)
    peer = v201.CertificateHashData(
        hash_algorithm=v201.HashAlgorithmEnum.SHA256,
        issuer_name_hash=data.issuer_name_hash.upper(),
        issuer_key_hash=data.issuer_key_hash.upper(),
        serial_number="0fff",
    )
    assert hash_data_matches(peer, leaf.cert, issuer=ROOT_EC.cert)
    other = issue(name("CP_2", "O"), issuer=ROOT_EC, serial=0x1000)
    assert not hash_data_matches(peer, other.cert, issuer=ROOT_EC.cert)
    found = find_matching_certificate(peer, [ROOT_RSA.pem, other.pem, ROOT_EC.pem, leaf.pem])
    assert found == leaf.cert
    root_data = certificate_hash_data(ROOT_RSA.cert).to_message("1.6")
    assert find_matching_certificate(root_data, [ROOT_EC.pem, ROOT_RSA.pem]) == ROOT_RSA.cert
    assert find_matching_certificate(root_data, [ROOT_EC.pem]) is None


def test_ocsp_request_data_reads_the_responder_from_aia() -> None:
    leaf = issue(name("CP_1", "O"), issuer=ROOT_EC, ocsp_url="http://ocsp.example.test/")
    data = ocsp_request_data(leaf.pem, issuer=ROOT_EC.pem)
    assert data.responder_url == "http://ocsp.example.test/"
    msg = data.to_message("2.0.1")
    assert isinstance(msg, v201.OCSPRequestData)
    assert msg.responder_url == "http://ocsp.example.test/"
    assert msg.issuer_key_hash == ocsp_oracle(leaf.cert, ROOT_EC.cert, "SHA256")[1]
    assert isinstance(data.to_message("2.1"), v21.OCSPRequestData)
    with pytest.raises(SecurityCheckError) as info:
        data.to_message("1.6")
    assert info.value.rule is SecurityRule.VERSION


def test_ocsp_request_data_without_responder() -> None:
    leaf = issue(name("CP_1", "O"), issuer=ROOT_EC)
    data = ocsp_request_data(leaf.cert, issuer=ROOT_EC.cert)
    assert data.responder_url is None
    assert data.to_message("2.0").responder_url is None
    with pytest.raises(CertificateError) as info:
        data.to_message("2.0.1")
    assert info.value.rule is SecurityRule.MISSING_FIELD


def test_unknown_hash_algorithm() -> None:
    with pytest.raises(CertificateError) as info:
        certificate_hash_data(ROOT_EC.pem, hash_algorithm="MD5")
    assert info.value.rule is SecurityRule.HASH_DATA


@settings(max_examples=25, deadline=None)
@given(
    serial=st.integers(min_value=1, max_value=(1 << 159) - 1),
    algorithm=st.sampled_from(["SHA256", "SHA384", "SHA512"]),
    use_rsa_root=st.booleans(),
)
def test_property_hash_data_equals_ocsp_cert_id(
    serial: int, algorithm: str, use_rsa_root: bool
) -> None:
    root = ROOT_RSA if use_rsa_root else ROOT_EC
    leaf = issue(name("CP_X", "O"), issuer=root, serial=serial, key=LEAF_KEY)
    data = certificate_hash_data(leaf.cert, issuer=root.cert, hash_algorithm=algorithm)
    o_name, o_key, o_serial = ocsp_oracle(leaf.cert, root.cert, algorithm)
    assert data.issuer_name_hash == o_name
    assert data.issuer_key_hash == o_key
    assert int(data.serial_number, 16) == o_serial
    assert data.serial_number == data.serial_number.upper()
    assert not data.serial_number.startswith("0")
    assert hash_data_matches(data, leaf.cert, issuer=root.cert)


LEAF_KEY = ec_key()

OPENSSL = shutil.which("openssl")


@pytest.mark.skipif(OPENSSL is None, reason="the openssl command is not installed")
@pytest.mark.parametrize("root", [ROOT_EC, ROOT_RSA], ids=["ec", "rsa"])
def test_hash_data_matches_the_openssl_command(root, tmp_path: Path) -> None:
    leaf = issue(name("CP_1", "Example CPO"), issuer=root, serial=0x0A0B0C0D)
    (tmp_path / "leaf.pem").write_bytes(pem(leaf.cert))
    (tmp_path / "ca.pem").write_bytes(pem(root.cert))
    assert OPENSSL is not None
    subprocess.run(
        [
            OPENSSL,
            "ocsp",
            "-sha256",
            "-issuer",
            "ca.pem",
            "-cert",
            "leaf.pem",
            "-no_nonce",
            "-reqout",
            "req.der",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=30,
    )
    text = subprocess.run(
        [OPENSSL, "ocsp", "-reqin", "req.der", "-req_text"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    name_hash = re.search(r"Issuer Name Hash: ([0-9A-F]+)", text)
    key_hash = re.search(r"Issuer Key Hash: ([0-9A-F]+)", text)
    serial = re.search(r"Serial Number: ([0-9A-F]+)", text)
    assert name_hash, text
    assert key_hash, text
    assert serial, text
    data = certificate_hash_data(leaf.pem, issuer=root.pem)
    assert data.issuer_name_hash == name_hash[1].lower()
    assert data.issuer_key_hash == key_hash[1].lower()
    assert data.serial_number == serial[1].lstrip("0")
