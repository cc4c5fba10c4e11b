"""CSR building (station side) and checking (CSMS side): every refusal reason."""

from __future__ import annotations

import ipaddress
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core import v16, v20, v21, v201
from ocpp_core.errors import CertificateError, CsrError, SecurityCheckError, SecurityRule
from ocpp_core.security import (
    CertificateUse,
    build_csr,
    check_csr,
    sign_certificate_request,
)
from tests.security._pki import ec_key, key_pem, rsa_key

OPERATOR = "Example CPO"
EC_KEY = ec_key()


def raw_csr(key, subject: list[tuple[x509.ObjectIdentifier, str]], algorithm=None) -> str:
    name = x509.Name([x509.NameAttribute(oid, value) for oid, value in subject])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, algorithm)
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    head = (
        bytes([n])
        if n < 0x80
        else bytes([0x80 | ((n.bit_length() + 7) // 8)])
        + n.to_bytes((n.bit_length() + 7) // 8, "big")
    )
    return bytes([tag]) + head + body


def sha1_csr(key: ec.EllipticCurvePrivateKey, subject) -> bytes:
    """A CSR signed with ECDSA-with-SHA1, assembled by hand (cryptography no longer signs SHA-1)."""
    tbs = x509.load_pem_x509_csr(
        raw_csr(key, subject, hashes.SHA256()).encode()
    ).tbs_certrequest_bytes
    signature = key.sign(tbs, ec.ECDSA(hashes.SHA1()))
    ecdsa_with_sha1 = _der(0x30, bytes.fromhex("06072a8648ce3d0401"))
    return _der(0x30, tbs + ecdsa_with_sha1 + _der(0x03, b"\x00" + signature))


GOOD_SUBJECT = [(NameOID.COMMON_NAME, "CP_1"), (NameOID.ORGANIZATION_NAME, OPERATOR)]


@pytest.mark.parametrize("key", [EC_KEY, rsa_key()], ids=["ec", "rsa"])
def test_built_csr_passes_the_check(key) -> None:
    text = build_csr(key_pem(key), common_name="CP_1", organization=OPERATOR, country="NL")
    info = check_csr(text, identity="CP_1", organization=OPERATOR)
    assert (info.common_name, info.organization, info.signature_hash) == (
        "CP_1",
        OPERATOR,
        "sha256",
    )
    assert info.key.kind in ("EC", "RSA")
    req = x509.load_der_x509_csr(info.der)
    assert req.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "NL"


def refusals(text: str | bytes, **kw) -> tuple[SecurityRule, ...]:
    with pytest.raises(CsrError) as info:
        check_csr(text, **kw)
    assert info.value.rule is info.value.refusals[0]
    return info.value.refusals


def test_refusal_too_large() -> None:
    assert refusals("A" * 5501) == (SecurityRule.TOO_LARGE,)
    good = build_csr(key_pem(EC_KEY), common_name="CP_1", organization=OPERATOR)
    assert len(good) < 800
    assert refusals(good + " " * (801 - len(good)), version="2.0") == (SecurityRule.TOO_LARGE,)


def test_refusal_malformed() -> None:
    assert refusals(
        "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"
    ) == (SecurityRule.MALFORMED_PEM,)
    assert refusals(b"\x30\x03\x02\x01") == (SecurityRule.MALFORMED_DER,)


def test_refusal_bad_signature() -> None:
    good = build_csr(key_pem(EC_KEY), common_name="CP_1", organization=OPERATOR)
    der = bytearray(x509.load_pem_x509_csr(good.encode()).public_bytes(serialization.Encoding.DER))
    der[-3] ^= 0x01  # inside the signature value
    assert SecurityRule.BAD_SIGNATURE in refusals(bytes(der))


def test_refusal_unsupported_key_type() -> None:
    text = raw_csr(ed25519.Ed25519PrivateKey.generate(), GOOD_SUBJECT)
    got = refusals(text)
    assert SecurityRule.UNSUPPORTED_KEY_TYPE in got
    dsa_csr = raw_csr(dsa.generate_private_key(2048), GOOD_SUBJECT, hashes.SHA256())
    assert SecurityRule.UNSUPPORTED_KEY_TYPE in refusals(dsa_csr)


@pytest.mark.parametrize("key", [rsa_key(1024), ec_key(ec.SECP192R1())], ids=["rsa1024", "p192"])
def test_refusal_key_too_small(key) -> None:
    assert refusals(raw_csr(key, GOOD_SUBJECT, hashes.SHA256())) == (SecurityRule.KEY_TOO_SMALL,)


def test_refusal_weak_signature_hash() -> None:
    text = sha1_csr(EC_KEY, GOOD_SUBJECT)
    assert refusals(text) == (SecurityRule.WEAK_SIGNATURE_HASH,)


def test_refusal_missing_common_name_and_organization() -> None:
    assert refusals(raw_csr(EC_KEY, [(NameOID.ORGANIZATION_NAME, OPERATOR)], hashes.SHA256())) == (
        SecurityRule.MISSING_FIELD,
    )
    assert refusals(raw_csr(EC_KEY, [(NameOID.COMMON_NAME, "CP_1")], hashes.SHA256())) == (
        SecurityRule.MISSING_FIELD,
    )


@pytest.mark.parametrize("cn", ["https://cp.example.test/", "192.0.2.7", "2001:db8::1"])
def test_refusal_common_name_is_url_or_ip(cn: str) -> None:
    text = raw_csr(
        EC_KEY, [(NameOID.COMMON_NAME, cn), (NameOID.ORGANIZATION_NAME, OPERATOR)], hashes.SHA256()
    )
    assert refusals(text) == (SecurityRule.COMMON_NAME_IS_URL_OR_IP,)


def test_refusal_common_name_mismatch() -> None:
    text = build_csr(key_pem(EC_KEY), common_name="CP_2", organization=OPERATOR)
    assert refusals(text, identity="CP_1") == (SecurityRule.COMMON_NAME_MISMATCH,)


def test_refusal_organization_mismatch() -> None:
    text = build_csr(key_pem(EC_KEY), common_name="CP_1", organization="Someone Else")
    assert refusals(text, identity="CP_1", organization=OPERATOR) == (
        SecurityRule.ORGANIZATION_MISMATCH,
    )


def test_all_refusals_are_reported_together() -> None:
    text = sha1_csr(ec_key(ec.SECP192R1()), [(NameOID.COMMON_NAME, "CP_9")])
    assert refusals(text, identity="CP_1") == (
        SecurityRule.WEAK_SIGNATURE_HASH,
        SecurityRule.KEY_TOO_SMALL,
        SecurityRule.COMMON_NAME_MISMATCH,
        SecurityRule.MISSING_FIELD,
    )


def test_build_csr_refuses_bad_keys_and_names() -> None:
    with pytest.raises(CertificateError) as info:
        build_csr(b"junk", common_name="CP_1", organization=OPERATOR)
    assert info.value.rule is SecurityRule.MALFORMED_PEM
    with pytest.raises(CertificateError) as info:
        build_csr(key_pem(rsa_key(1024)), common_name="CP_1", organization=OPERATOR)
    assert info.value.rule is SecurityRule.KEY_TOO_SMALL
    with pytest.raises(CertificateError):
        build_csr(key_pem(EC_KEY), common_name="", organization=OPERATOR)
    with pytest.raises(CertificateError):
        build_csr(key_pem(EC_KEY), common_name="CP_1", organization=OPERATOR, country="NLD")


def test_sign_certificate_request_per_version() -> None:
    text = build_csr(key_pem(EC_KEY), common_name="CP_1", organization=OPERATOR)
    assert isinstance(sign_certificate_request(text, "1.6"), v16.SignCertificateRequest)
    req201 = sign_certificate_request(text, "2.0.1", certificate_type="ChargingStationCertificate")
    assert isinstance(req201, v201.SignCertificateRequest)
    assert req201.certificate_type == v201.CertificateSigningUseEnum.CHARGING_STATION_CERTIFICATE
    req20 = sign_certificate_request(
        text, "2.0", certificate_type=v21.CertificateSigningUseEnum.V2G_CERTIFICATE
    )
    assert isinstance(req20, v20.SignCertificateRequest)
    assert req20.type_of_certificate == v20.CertificateSigningUseEnum.V2G_CERTIFICATE
    req21 = sign_certificate_request(text, "2.1", certificate_type=CertificateUse.V2G20_CERTIFICATE)
    assert isinstance(req21, v21.SignCertificateRequest)
    with pytest.raises(SecurityCheckError):
        sign_certificate_request(text, "2.0.1", certificate_type="V2G20Certificate")
    with pytest.raises(SecurityCheckError):
        sign_certificate_request(text, "1.6", certificate_type="V2GCertificate")


PROPERTY_KEYS = [ec_key(), ec_key(ec.SECP384R1())]


@settings(max_examples=40, deadline=None)
@given(
    identity=st.text(min_size=1, max_size=48),
    organization=st.text(min_size=1, max_size=48),
    key_index=st.sampled_from([0, 1]),
)
def test_property_built_csrs_check_back_or_refuse_cleanly(
    identity: str, organization: str, key_index: int
) -> None:
    key = key_pem(PROPERTY_KEYS[key_index])
    try:
        text = build_csr(key, common_name=identity, organization=organization)
    except CertificateError:
        return  # a name the X.509 encoder refuses, reported as such
    if re.match(r"^[a-z][a-z0-9+.-]*://", identity, re.IGNORECASE) or _is_ip(identity):
        with pytest.raises(CsrError) as caught:
            check_csr(text, identity=identity, organization=organization)
        assert caught.value.refusals == (SecurityRule.COMMON_NAME_IS_URL_OR_IP,)
        return
    info = check_csr(text, identity=identity, organization=organization)
    assert (info.common_name, info.organization) == (identity, organization)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
