"""Signed firmware: a good image verifies; a flipped byte, the wrong certificate and an
expired certificate each fail with the right status and event, in every version."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core import v16, v20, v21, v201
from ocpp_core.errors import SecurityCheckError, SecurityRule
from ocpp_core.security import (
    FirmwareOutcome,
    SecurityEvent,
    SignatureScheme,
    check_firmware_certificate,
    verify_firmware,
    verify_firmware_digest,
)
from tests.security._pki import NOW, ec_key, issue, name, root_ca, rsa_key

MANUFACTURER = root_ca("Manufacturer Root")
OTHER_ROOT = root_ca("Other Root")
IMAGE = bytes(range(256)) * 64
EC_SIGNER = issue(name("Firmware Signer", "Maker"), issuer=MANUFACTURER, serial=0x51)
RSA_SIGNER = issue(
    name("Firmware Signer RSA", "Maker"), issuer=MANUFACTURER, key=rsa_key(), serial=0x52
)
ROGUE_SIGNER = issue(name("Firmware Signer", "Maker"), issuer=OTHER_ROOT, serial=0x53)
EXPIRED_SIGNER = issue(
    name("Old Signer", "Maker"),
    issuer=MANUFACTURER,
    serial=0x54,
    not_before=NOW - timedelta(days=400),
    not_after=NOW - timedelta(days=1),
)

VERSIONS = {"1.6": v16, "2.0": v20, "2.0.1": v201, "2.1": v21}


def sign(signer, data: bytes, scheme: SignatureScheme = SignatureScheme.ECDSA) -> str:
    key = signer.key
    if scheme is SignatureScheme.ECDSA:
        raw = key.sign(data, ec.ECDSA(hashes.SHA256()))
    elif scheme is SignatureScheme.RSA_PSS:
        raw = key.sign(
            data,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH),
            hashes.SHA256(),
        )
    else:
        raw = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def check(signer, signature: str | None, version: str, image: bytes = IMAGE):
    return verify_firmware(
        image,
        signing_certificate=signer.pem.decode(),
        signature=signature,
        version=version,
        manufacturer_roots=MANUFACTURER.pem,
        at=NOW,
    )


@pytest.mark.parametrize("version", list(VERSIONS))
def test_good_image_verifies(version: str) -> None:
    result = check(EC_SIGNER, sign(EC_SIGNER, IMAGE), version)
    assert result.ok
    assert result.outcome is FirmwareOutcome.SIGNATURE_VERIFIED
    assert result.firmware_status == VERSIONS[version].FirmwareStatusEnum.SIGNATURE_VERIFIED
    assert result.security_event is None
    assert result.scheme is SignatureScheme.ECDSA


@pytest.mark.parametrize("scheme", [SignatureScheme.RSA_PSS, SignatureScheme.RSA_PKCS1V15])
def test_rsa_schemes(scheme: SignatureScheme) -> None:
    result = check(RSA_SIGNER, sign(RSA_SIGNER, IMAGE, scheme), "2.0.1")
    assert result.outcome is FirmwareOutcome.SIGNATURE_VERIFIED
    assert result.scheme is scheme
    only_other = verify_firmware(
        IMAGE,
        signing_certificate=RSA_SIGNER.pem,
        signature=sign(RSA_SIGNER, IMAGE, scheme),
        version="2.0.1",
        schemes=[s for s in SignatureScheme if s is not scheme],
    )
    assert only_other.outcome is FirmwareOutcome.INVALID_SIGNATURE


@pytest.mark.parametrize("version", list(VERSIONS))
def test_flipped_byte_is_invalid_signature(version: str) -> None:
    signature = sign(EC_SIGNER, IMAGE)
    flipped = bytearray(IMAGE)
    flipped[1000] ^= 0x40
    result = check(EC_SIGNER, signature, version, bytes(flipped))
    assert result.outcome is FirmwareOutcome.INVALID_SIGNATURE
    assert not result.ok
    assert result.firmware_status == VERSIONS[version].FirmwareStatusEnum.INVALID_SIGNATURE
    assert result.security_event is SecurityEvent.INVALID_FIRMWARE_SIGNATURE
    assert result.update_status is None


@pytest.mark.parametrize("version", list(VERSIONS))
@pytest.mark.parametrize("signer", [ROGUE_SIGNER, EXPIRED_SIGNER], ids=["wrong-root", "expired"])
def test_bad_certificate_is_invalid_certificate(version: str, signer) -> None:
    result = check(signer, sign(signer, IMAGE), version)
    assert result.outcome is FirmwareOutcome.INVALID_CERTIFICATE
    assert result.security_event is SecurityEvent.INVALID_FIRMWARE_SIGNING_CERTIFICATE
    enums = VERSIONS[version]
    if version == "2.0":  # 2.0's response has no InvalidCertificate; its firmware status has
        assert result.update_status == enums.UpdateFirmwareStatusEnum.REJECTED
        assert result.firmware_status == enums.FirmwareStatusEnum.INVALID_CERTIFICATE
    else:
        assert result.update_status == enums.UpdateFirmwareStatusEnum.INVALID_CERTIFICATE
        assert result.firmware_status is None
    expected = SecurityRule.UNTRUSTED if signer is ROGUE_SIGNER else SecurityRule.EXPIRED
    assert result.rule in (expected, SecurityRule.ISSUER_MISMATCH)


def test_signature_by_another_key_is_invalid_signature() -> None:
    other = issue(name("Firmware Signer", "Maker"), issuer=MANUFACTURER, serial=0x60)
    result = check(EC_SIGNER, sign(other, IMAGE), "2.0.1")
    assert result.outcome is FirmwareOutcome.INVALID_SIGNATURE


@pytest.mark.parametrize(
    "signature",
    [None, "", "not base64!", "QUJD", base64.b64encode(b"\x30\x02\x02").decode(), "A" * 2000],
    ids=["missing", "empty", "not-base64", "short", "truncated-der", "huge"],
)
def test_malformed_signatures_are_invalid_signature(signature: str | None) -> None:
    result = check(EC_SIGNER, signature, "1.6")
    assert result.outcome is FirmwareOutcome.INVALID_SIGNATURE
    assert result.firmware_status == v16.FirmwareStatusEnum.INVALID_SIGNATURE


def test_truncated_signature() -> None:
    raw = base64.b64decode(sign(RSA_SIGNER, IMAGE, SignatureScheme.RSA_PKCS1V15))
    truncated = base64.b64encode(raw[:-10]).decode()
    assert check(RSA_SIGNER, truncated, "2.1").outcome is FirmwareOutcome.INVALID_SIGNATURE


def test_certificate_step_on_its_own() -> None:
    ok = check_firmware_certificate(
        EC_SIGNER.pem, manufacturer_roots=[MANUFACTURER.cert], at=NOW, version="1.6"
    )
    assert ok.ok
    assert ok.update_status == v16.UpdateFirmwareStatusEnum.ACCEPTED
    ok20 = check_firmware_certificate(
        EC_SIGNER.pem, manufacturer_roots=MANUFACTURER.pem, at=NOW, version="2.0"
    )
    assert ok20.firmware_status == v20.FirmwareStatusEnum.CERTIFICATE_VERIFIED
    missing = check_firmware_certificate(
        None, manufacturer_roots=MANUFACTURER.pem, at=NOW, version="2.0.1"
    )
    assert missing.outcome is FirmwareOutcome.INVALID_CERTIFICATE
    garbage = check_firmware_certificate(
        b"garbage", manufacturer_roots=MANUFACTURER.pem, at=NOW, version="2.0.1"
    )
    assert garbage.outcome is FirmwareOutcome.INVALID_CERTIFICATE
    assert garbage.rule is SecurityRule.MALFORMED_DER
    not_yet = check_firmware_certificate(
        EC_SIGNER.pem,
        manufacturer_roots=MANUFACTURER.pem,
        at=NOW - timedelta(days=60),
        version="2.1",
    )
    assert not_yet.rule is SecurityRule.NOT_YET_VALID


def test_host_errors_raise() -> None:
    with pytest.raises(SecurityCheckError):
        check_firmware_certificate(EC_SIGNER.pem, manufacturer_roots=b"", at=NOW, version="2.0.1")
    with pytest.raises(SecurityCheckError) as info:
        verify_firmware(
            b"x" * 11,
            signing_certificate=EC_SIGNER.pem,
            signature="",
            version="2.0.1",
            max_image_size=10,
        )
    assert info.value.rule is SecurityRule.TOO_LARGE
    with pytest.raises(SecurityCheckError):
        verify_firmware_digest(
            b"short", signing_certificate=EC_SIGNER.pem, signature="", version="2.0.1"
        )
    with pytest.raises(SecurityCheckError):
        verify_firmware(
            IMAGE,
            signing_certificate=EC_SIGNER.pem,
            signature="",
            version="2.0.1",
            manufacturer_roots=MANUFACTURER.pem,
        )


def test_digest_path_equals_the_image_path() -> None:
    signature = sign(EC_SIGNER, IMAGE)
    digest = hashlib.sha256(IMAGE).digest()
    result = verify_firmware_digest(
        digest, signing_certificate=EC_SIGNER.pem, signature=signature, version="2.0.1"
    )
    assert result.outcome is FirmwareOutcome.SIGNATURE_VERIFIED


SIGN_KEY = ec_key()
SIGNER_FOR_PROPS = issue(
    name("Prop Signer", "Maker"), issuer=MANUFACTURER, key=SIGN_KEY, serial=0x70
)


@settings(max_examples=30, deadline=None)
@given(
    image=st.binary(min_size=1, max_size=2048),
    position=st.integers(min_value=0),
    bit=st.integers(0, 7),
)
def test_property_any_single_bit_flip_is_detected(image: bytes, position: int, bit: int) -> None:
    signature = sign(SIGNER_FOR_PROPS, image)
    good = check(SIGNER_FOR_PROPS, signature, "2.0.1", image)
    assert good.outcome is FirmwareOutcome.SIGNATURE_VERIFIED
    flipped = bytearray(image)
    flipped[position % len(image)] ^= 1 << bit
    bad = check(SIGNER_FOR_PROPS, signature, "2.0.1", bytes(flipped))
    assert bad.outcome is FirmwareOutcome.INVALID_SIGNATURE
