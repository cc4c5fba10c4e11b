"""CertificateSigned on the station side, and firmware checks on typed update requests."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ocpp_core import v16, v20, v21, v201
from ocpp_core.errors import SecurityCheckError, SecurityRule
from ocpp_core.security import (
    FirmwareOutcome,
    SecurityEvent,
    check_signed_certificate,
    check_update_firmware_request,
    verify_update_firmware_image,
)
from tests.security._pki import NOW, OPERATOR, issue, name, root_ca, rsa_key

ROOT = root_ca()
SUB = issue(name("Operator Sub CA", OPERATOR), issuer=ROOT, ca=True, serial=5)
NEW = issue(name("CP_1", OPERATOR), issuer=SUB, client=True, serial=6)
VERSIONS = {"1.6": v16, "2.0": v20, "2.0.1": v201, "2.1": v21}


@pytest.mark.parametrize("version", list(VERSIONS))
def test_a_good_chain_is_accepted(version: str) -> None:
    result = check_signed_certificate(
        (NEW.pem + SUB.pem).decode(),
        csms_roots=ROOT.pem,
        at=NOW,
        version=version,
        identity="CP_1",
        organization=OPERATOR,
    )
    assert result.ok
    assert result.status == VERSIONS[version].CertificateSignedStatusEnum.ACCEPTED
    assert result.leaf == NEW.cert
    assert result.security_event is None


def test_a_not_yet_valid_certificate_is_accepted_for_later_unless_refused() -> None:
    later = issue(name("CP_1", OPERATOR), issuer=ROOT, serial=7, not_before=NOW + timedelta(days=2))
    result = check_signed_certificate(later.pem, csms_roots=ROOT.pem, at=NOW, version="2.0.1")
    assert result.ok
    assert result.starts == later.cert.not_valid_before_utc
    strict = check_signed_certificate(
        later.pem, csms_roots=ROOT.pem, at=NOW, version="2.0.1", allow_not_yet_valid=False
    )
    assert strict.rule is SecurityRule.NOT_YET_VALID


@pytest.mark.parametrize(
    ("chain", "kw", "rule"),
    [
        (NEW.pem, {}, SecurityRule.ISSUER_MISMATCH),
        (NEW.pem + SUB.pem, {"identity": "CP_2"}, SecurityRule.COMMON_NAME_MISMATCH),
        (NEW.pem + SUB.pem, {"organization": "Other"}, SecurityRule.ORGANIZATION_MISMATCH),
        (b"garbage", {}, SecurityRule.MALFORMED_PEM),
        (b"A" * 10_001, {}, SecurityRule.TOO_LARGE),
    ],
    ids=["no-sub-ca", "identity", "organization", "garbage", "too-large"],
)
def test_bad_chains_are_rejected_with_the_event(
    chain: bytes, kw: dict[str, str], rule: SecurityRule
) -> None:
    result = check_signed_certificate(chain, csms_roots=ROOT.pem, at=NOW, version="1.6", **kw)
    assert not result.ok
    assert result.status == v16.CertificateSignedStatusEnum.REJECTED
    assert result.security_event is SecurityEvent.INVALID_CHARGING_STATION_CERTIFICATE
    assert result.rule is rule


def test_small_keys_and_expired_certificates_are_rejected() -> None:
    weak = issue(name("CP_1", OPERATOR), issuer=ROOT, key=rsa_key(1024), serial=8)
    assert check_signed_certificate(weak.pem, csms_roots=ROOT.pem, at=NOW, version="2.1").rule is (
        SecurityRule.KEY_TOO_SMALL
    )
    old = issue(name("CP_1", OPERATOR), issuer=ROOT, serial=9, not_after=NOW - timedelta(days=1))
    assert check_signed_certificate(old.pem, csms_roots=ROOT.pem, at=NOW, version="2.1").rule is (
        SecurityRule.EXPIRED
    )
    with pytest.raises(SecurityCheckError):
        check_signed_certificate(NEW.pem, csms_roots=b"", at=NOW, version="2.1")


MAKER = root_ca("Maker Root")
SIGNER = issue(name("Signer", "Maker"), issuer=MAKER, serial=0x40)
IMAGE = b"firmware image " * 100
SIGNATURE = base64.b64encode(SIGNER.key.sign(IMAGE, ec.ECDSA(hashes.SHA256()))).decode()


def firmware(module, **kw):
    return module.Firmware(location="https://example.test/fw.bin", retrieve_date_time=NOW, **kw)


def requests():
    fw16 = firmware(v16, signing_certificate=SIGNER.pem.decode(), signature=SIGNATURE)
    yield v16.SignedUpdateFirmwareRequest(request_id=1, firmware=fw16)
    for module in (v20, v201, v21):
        fw = firmware(module, signing_certificate=SIGNER.pem.decode(), signature=SIGNATURE)
        yield module.UpdateFirmwareRequest(request_id=1, firmware=fw)


@pytest.mark.parametrize("request_", list(requests()), ids=["1.6", "2.0", "2.0.1", "2.1"])
def test_typed_requests(request_) -> None:
    step1 = check_update_firmware_request(request_, manufacturer_roots=MAKER.pem, at=NOW)
    assert step1.ok
    assert step1.version is request_.ocpp_meta.version
    step2 = verify_update_firmware_image(request_, IMAGE, manufacturer_roots=MAKER.pem, at=NOW)
    assert step2.outcome is FirmwareOutcome.SIGNATURE_VERIFIED
    bad = verify_update_firmware_image(request_, IMAGE + b"!")
    assert bad.outcome is FirmwareOutcome.INVALID_SIGNATURE


def test_unsigned_and_wrong_requests() -> None:
    unsigned = v201.UpdateFirmwareRequest(request_id=2, firmware=firmware(v201))
    assert not check_update_firmware_request(unsigned, manufacturer_roots=MAKER.pem, at=NOW).ok
    assert (
        verify_update_firmware_image(unsigned, IMAGE).outcome is FirmwareOutcome.INVALID_CERTIFICATE
    )
    plain16 = v16.UpdateFirmwareRequest(location="ftp://x/fw", retrieve_date=NOW)
    with pytest.raises(SecurityCheckError) as info:
        check_update_firmware_request(plain16, manufacturer_roots=MAKER.pem, at=NOW)
    assert info.value.rule is SecurityRule.VERSION
    with pytest.raises(SecurityCheckError):
        verify_update_firmware_image(object(), IMAGE)
