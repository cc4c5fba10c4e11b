"""Chains, station and CSMS identities, certificate use types, bad input."""

from __future__ import annotations

import contextlib
import enum
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core import v16, v20, v21, v201
from ocpp_core.errors import (
    CertificateChainError,
    CertificateError,
    SecurityCheckError,
    SecurityRule,
    StationIdentityError,
)
from ocpp_core.security import (
    CertificateUse,
    certificate_hash_data,
    certificate_use_value,
    check_csms_certificate,
    check_station_certificate,
    key_info,
    load_certificate,
    load_certificate_chain,
    parse_certificate_use,
    verify_chain,
)
from tests.security._pki import NOW, OPERATOR, der, issue, name, root_ca, rsa_key

ROOT = root_ca()
SUB = issue(name("Example Sub CA", OPERATOR), issuer=ROOT, ca=True, path_length=0, serial=7)
LEAF = issue(name("CP_1", OPERATOR), issuer=SUB, client=True, serial=8)


def test_chain_through_an_intermediate() -> None:
    result = verify_chain(LEAF.pem, intermediates=SUB.pem, roots=ROOT.pem, at=NOW)
    assert result.path == (LEAF.cert, SUB.cert, ROOT.cert)
    assert result.root == ROOT.cert
    # one PEM text holding leaf + chain, as CertificateSigned.certificateChain does
    chain = load_certificate_chain(LEAF.pem + SUB.pem)
    assert (
        verify_chain(chain[0], intermediates=chain[1:], roots=[ROOT.cert], at=NOW).leaf == LEAF.cert
    )


def rule_of(**kw) -> SecurityRule:
    with pytest.raises(CertificateChainError) as info:
        verify_chain(**kw)
    return info.value.rule


def test_chain_failures_name_their_rule() -> None:
    assert rule_of(leaf=LEAF.pem, roots=ROOT.pem, at=NOW) is SecurityRule.ISSUER_MISMATCH
    assert (
        rule_of(leaf=LEAF.pem, intermediates=SUB.pem, roots=ROOT.pem, at=NOW + timedelta(days=400))
        is SecurityRule.EXPIRED
    )
    assert (
        rule_of(leaf=LEAF.pem, intermediates=SUB.pem, roots=ROOT.pem, at=NOW - timedelta(days=31))
        is SecurityRule.NOT_YET_VALID
    )
    other = root_ca("Another Root")
    assert rule_of(leaf=other.pem, roots=ROOT.pem, at=NOW) is SecurityRule.UNTRUSTED
    # an impostor with the root's name but another key
    impostor = root_ca()
    assert (
        rule_of(leaf=LEAF.pem, intermediates=SUB.pem, roots=impostor.pem, at=NOW)
        is SecurityRule.BAD_SIGNATURE
    )
    # a leaf used as an issuer
    below_leaf = issue(name("CP_2", OPERATOR), issuer=LEAF, serial=9)
    assert (
        rule_of(leaf=below_leaf.pem, intermediates=[LEAF.pem, SUB.pem], roots=ROOT.pem, at=NOW)
        is SecurityRule.NOT_A_CA
    )
    # path length 0 on the sub-CA forbids another CA below it
    sub2 = issue(name("Sub 2", OPERATOR), issuer=SUB, ca=True, serial=10)
    leaf2 = issue(name("CP_3", OPERATOR), issuer=sub2, serial=11)
    assert (
        rule_of(leaf=leaf2.pem, intermediates=[sub2.pem, SUB.pem], roots=ROOT.pem, at=NOW)
        is SecurityRule.NOT_A_CA
    )


def test_station_identity_checks() -> None:
    assert check_station_certificate(der(LEAF.cert), identity="CP_1", organization=OPERATOR) == (
        "CP_1",
        OPERATOR,
    )

    def rule(cert, **kw) -> SecurityRule:
        with pytest.raises(StationIdentityError) as info:
            check_station_certificate(cert, **kw)
        return info.value.rule

    assert rule(LEAF.pem, identity="CP_2") is SecurityRule.COMMON_NAME_MISMATCH
    assert (
        rule(LEAF.pem, identity="CP_1", organization="Other") is SecurityRule.ORGANIZATION_MISMATCH
    )
    no_org = issue(name("CP_1"), issuer=ROOT, serial=20)
    assert rule(no_org.pem, identity="CP_1", organization=OPERATOR) is SecurityRule.MISSING_FIELD
    url = issue(name("wss://csms.example.test", OPERATOR), issuer=ROOT, serial=21)
    assert (
        rule(url.pem, identity="wss://csms.example.test") is SecurityRule.COMMON_NAME_IS_URL_OR_IP
    )
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    no_cn = issue(
        x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, OPERATOR)]), issuer=ROOT, serial=22
    )
    assert rule(no_cn.pem, identity="CP_1") is SecurityRule.MISSING_FIELD


def test_csms_identity_checks() -> None:
    csms = issue(
        name("csms.example.test", OPERATOR),
        issuer=ROOT,
        server_names=("alt.example.test",),
        serial=30,
    )
    assert check_csms_certificate(csms.pem, fqdn="CSMS.example.test.") == "csms.example.test"
    assert check_csms_certificate(csms.pem, fqdn="alt.example.test") == "csms.example.test"
    with pytest.raises(StationIdentityError) as info:
        check_csms_certificate(csms.pem, fqdn="evil.example.test")
    assert info.value.rule is SecurityRule.COMMON_NAME_MISMATCH


def test_key_info_sizes_and_types() -> None:
    assert key_info(ROOT.cert.public_key()).kind == "EC"
    assert key_info(rsa_key().public_key()).bits == 2048
    with pytest.raises(CertificateError) as info:
        key_info(rsa_key(1024).public_key())
    assert info.value.rule is SecurityRule.KEY_TOO_SMALL
    with pytest.raises(CertificateError) as info:
        key_info(ed25519.Ed25519PrivateKey.generate().public_key())
    assert info.value.rule is SecurityRule.UNSUPPORTED_KEY_TYPE


class Foreign(enum.Enum):
    X = "CentralSystemRootCertificate"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("V2GRootCertificate", CertificateUse.V2G_ROOT_CERTIFICATE),
        ("V2GRootCertficate", CertificateUse.V2G_ROOT_CERTIFICATE),
        ("CentralSystemRootCertificate", CertificateUse.CSMS_ROOT_CERTIFICATE),
        (
            v16.CertificateUseEnum.MANUFACTURER_ROOT_CERTIFICATE,
            CertificateUse.MANUFACTURER_ROOT_CERTIFICATE,
        ),
        (v20.GetCertificateIdUseEnum.V2G_ROOT_CERTFICATE, CertificateUse.V2G_ROOT_CERTIFICATE),
        (v201.InstallCertificateUseEnum.MO_ROOT_CERTIFICATE, CertificateUse.MO_ROOT_CERTIFICATE),
        (
            v201.CertificateSigningUseEnum.CHARGING_STATION_CERTIFICATE,
            CertificateUse.CHARGING_STATION_CERTIFICATE,
        ),
        (v21.GetCertificateIdUseEnum.OEM_ROOT_CERTIFICATE, CertificateUse.OEM_ROOT_CERTIFICATE),
        (v21.CertificateSigningUseEnum.V2G20_CERTIFICATE, CertificateUse.V2G20_CERTIFICATE),
        ("ChargePointCertificate", CertificateUse.CHARGING_STATION_CERTIFICATE),
        (Foreign.X, CertificateUse.CSMS_ROOT_CERTIFICATE),
    ],
)
def test_parse_certificate_use(value: object, expected: CertificateUse) -> None:
    assert parse_certificate_use(value) is expected  # type: ignore[arg-type]


def test_every_generated_use_enum_member_is_classified() -> None:
    for module in (v16, v20, v201, v21):
        for enum_name in (
            "CertificateUseEnum",
            "InstallCertificateUseEnum",
            "GetCertificateIdUseEnum",
            "CertificateSigningUseEnum",
        ):
            for member in getattr(module, enum_name, ()):
                use = parse_certificate_use(member)
                version = module.__name__.rsplit(".", 1)[1]
                ver = {"v16": "1.6", "v20": "2.0", "v201": "2.0.1", "v21": "2.1"}[version]
                assert certificate_use_value(use, ver) == member.value


def test_certificate_use_refusals() -> None:
    with pytest.raises(SecurityCheckError) as info:
        parse_certificate_use("RootCertificate")
    assert info.value.rule is SecurityRule.CERTIFICATE_USE
    with pytest.raises(SecurityCheckError) as info:
        certificate_use_value("V2GRootCertificate", "1.6")
    assert info.value.rule is SecurityRule.VERSION
    assert CertificateUse.CSMS_ROOT_CERTIFICATE.is_root
    assert not CertificateUse.V2G_CERTIFICATE.is_root


# --- bad input -------------------------------------------------------------------

BAD_INPUTS = [
    (b"", SecurityRule.MALFORMED_DER),
    (b"\x30\x82\xff\xff", SecurityRule.MALFORMED_DER),
    ("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n", SecurityRule.MALFORMED_PEM),
    ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", SecurityRule.MALFORMED_PEM),
    ("caf\u00e9", SecurityRule.MALFORMED_PEM),
    (b"x" * 70_000, SecurityRule.TOO_LARGE),
    ("-----BEGIN CERTIFICATE-----\n" * 20, SecurityRule.CHAIN_TOO_LONG),
]


@pytest.mark.parametrize(("data", "rule"), BAD_INPUTS)
def test_malformed_certificates_raise_typed_errors(data: bytes | str, rule: SecurityRule) -> None:
    with pytest.raises(CertificateError) as info:
        load_certificate(data)
    assert info.value.rule is rule


def test_truncated_der_certificate() -> None:
    raw = der(LEAF.cert)
    for cut in (1, 10, len(raw) // 2, len(raw) - 1):
        with pytest.raises(CertificateError):
            load_certificate(raw[:cut])


def test_wrong_types_raise_typed_errors() -> None:
    with pytest.raises(CertificateError):
        load_certificate(12345)  # type: ignore[arg-type]
    with pytest.raises(CertificateError):
        certificate_hash_data(ROOT.pem, hash_algorithm=object())  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600) | st.text(max_size=600))
def test_property_arbitrary_input_never_crashes(data: bytes | str) -> None:
    with contextlib.suppress(CertificateError):
        load_certificate(data)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=len(der(LEAF.cert)) - 1), st.integers(1, 255))
def test_property_corrupted_der_is_refused_or_fails_the_chain(position: int, flip: int) -> None:
    raw = bytearray(der(LEAF.cert))
    raw[position] ^= flip
    assert_caught(bytes(raw), position, flip)


def assert_caught(raw: bytes, position: int, flip: int) -> None:
    """A corrupted certificate is refused, unless what is signed and the signature are unchanged.

    (The parser tolerates a non-zero unused-bits octet in the signature's BIT
    STRING: the certificate it reads is then the original one.)
    """
    try:
        cert = load_certificate(raw)
        verify_chain(cert, intermediates=SUB.pem, roots=ROOT.pem, at=NOW)
    except SecurityCheckError:
        return
    same = (
        cert.tbs_certificate_bytes == LEAF.cert.tbs_certificate_bytes
        and cert.signature == LEAF.cert.signature
    )
    assert same, f"corruption {flip:#x} at {position} went unnoticed"


@pytest.mark.parametrize("flip", [0x01, 0x80, 0xFF])
def test_every_position_of_a_corrupted_certificate_is_caught(flip: int) -> None:
    original = der(LEAF.cert)
    for position in range(len(original)):
        raw = bytearray(original)
        raw[position] ^= flip
        assert_caught(bytes(raw), position, flip)
