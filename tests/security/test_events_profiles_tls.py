"""Security events, profile rules, TLS context settings and negotiated-TLS checks."""

from __future__ import annotations

import doctest
import ssl
from datetime import UTC, datetime, timedelta, timezone

import pytest

import ocpp_core.security._certs
import ocpp_core.security._events
import ocpp_core.security._profiles
import ocpp_core.security._tls
from ocpp_core import decode_payload, encode_payload, v16, v20, v21, v201
from ocpp_core.errors import (
    CertificateError,
    SecurityCheckError,
    SecurityProfileError,
    SecurityRule,
    TlsPolicyError,
)
from ocpp_core.security import (
    CIPHER_SUITES,
    SecurityEvent,
    SecurityProfile,
    check_connection_profile,
    check_negotiated_tls,
    check_profile_change,
    csms_ssl_context,
    openssl_cipher_name,
    parse_profile,
    parse_security_event,
    security_event_info,
    security_event_notification,
    security_event_wire_name,
    security_events,
    station_ssl_context,
)
from tests.security._pki import root_ca

T = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "module",
    [
        ocpp_core.security._events,
        ocpp_core.security._profiles,
        ocpp_core.security._tls,
        ocpp_core.security._certs,
    ],
)
def test_module_doctests(module) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


# --- events ---------------------------------------------------------------------


def test_catalogue_matches_the_2_0_enumeration() -> None:
    assert {security_event_wire_name(e, "2.0") for e in security_events("2.0")} == {
        m.value for m in v20.SecurityEventEnum
    }


def test_critical_flags_per_version() -> None:
    critical_16 = {e for e in security_events("1.6") if security_event_info(e, "1.6").critical}
    assert critical_16 == {
        SecurityEvent.FIRMWARE_UPDATED,
        SecurityEvent.SETTING_SYSTEM_TIME,
        SecurityEvent.STARTUP_OF_THE_DEVICE,
        SecurityEvent.RESET_OR_REBOOT,
        SecurityEvent.SECURITY_LOG_WAS_CLEARED,
        SecurityEvent.MEMORY_EXHAUSTION,
        SecurityEvent.TAMPER_DETECTION_ACTIVATED,
    }
    non_critical_201 = {
        e for e in security_events("2.0.1") if not security_event_info(e, "2.0.1").critical
    }
    assert non_critical_201 == {
        SecurityEvent.FAILED_TO_AUTHENTICATE_AT_CSMS,
        SecurityEvent.CSMS_FAILED_TO_AUTHENTICATE,
        SecurityEvent.RECONFIGURATION_OF_SECURITY_PARAMETERS,
        SecurityEvent.INVALID_MESSAGES,
        SecurityEvent.ATTEMPTED_REPLAY_ATTACKS,
    }
    assert security_event_info("DiscardedRenewedClientCertificate", "2.1").critical
    for version in ("1.6", "2.0", "2.0.1", "2.1"):
        for event in security_events(version):
            info = security_event_info(event, version)
            assert info.description
            assert len(info.wire_name) <= 50


def test_1_6_names_and_aliases() -> None:
    assert (
        security_event_wire_name(SecurityEvent.INVALID_CHARGING_STATION_CERTIFICATE, "1.6")
        == "InvalidChargePointCertificate"
    )
    assert (
        parse_security_event("FailedToAuthenticationAtCentralSystem")
        is SecurityEvent.FAILED_TO_AUTHENTICATE_AT_CSMS
    )
    assert (
        parse_security_event(v20.SecurityEventEnum.INVALID_TLS_VERSION)
        is SecurityEvent.INVALID_TLS_VERSION
    )
    with pytest.raises(SecurityCheckError):
        parse_security_event("NotAnEvent")
    with pytest.raises(SecurityCheckError) as info:
        security_event_info("MaintenanceLoginFailed", "1.6")
    assert info.value.rule is SecurityRule.VERSION


@pytest.mark.parametrize("version", ["1.6", "2.0", "2.0.1", "2.1"])
def test_notification_round_trips_through_the_codec(version: str) -> None:
    req = security_event_notification(
        SecurityEvent.INVALID_TLS_VERSION, timestamp=T, version=version, tech_info="TLSv1.1 offered"
    )
    wire = encode_payload(req)
    assert wire["type"] == "InvalidTLSVersion"
    assert wire["techInfo"] == "TLSv1.1 offered"
    assert decode_payload(version, "SecurityEventNotification", "request", wire) == req


def test_notification_rules() -> None:
    vendor = security_event_notification("VendorThing", timestamp=T, version="2.0.1")
    assert isinstance(vendor, v201.SecurityEventNotificationRequest)
    assert vendor.type == "VendorThing"
    assert isinstance(
        security_event_notification("StartupOfTheDevice", timestamp=T, version="2.1"),
        v21.SecurityEventNotificationRequest,
    )
    assert isinstance(
        security_event_notification("StartupOfTheDevice", timestamp=T, version="1.6"),
        v16.SecurityEventNotificationRequest,
    )
    with pytest.raises(SecurityCheckError):
        security_event_notification("VendorThing", timestamp=T, version="2.0")
    with pytest.raises(SecurityCheckError):
        security_event_notification("X" * 51, timestamp=T, version="2.0.1")
    with pytest.raises(SecurityCheckError):
        security_event_notification(
            "ResetOrReboot", timestamp=datetime(2026, 1, 1), version="2.0.1"
        )
    with pytest.raises(SecurityCheckError):
        security_event_notification(
            "ResetOrReboot", timestamp=T, version="2.0.1", tech_info="x" * 256
        )
    cut = security_event_notification(
        "ResetOrReboot",
        timestamp=T.astimezone(timezone(timedelta(hours=2))),
        version="2.0.1",
        tech_info="x" * 300,
        truncate_tech_info=True,
    )
    assert len(cut.tech_info or "") == 255


# --- profiles -------------------------------------------------------------------

PW16 = "4F43415F4F4354545F61646D696E5F74657374"  # AuthorizationKey, 19 bytes
PW2X = "0123456789abcdef"


def test_parse_profile() -> None:
    assert parse_profile(" 3 ", "2.0.1") is SecurityProfile.TLS_CLIENT_CERTIFICATE
    assert parse_profile(0, "1.6") is SecurityProfile.NONE
    for bad in (0, 4, "x", True, "-1", 2.0):
        with pytest.raises(SecurityProfileError):
            parse_profile(bad, "2.0.1")  # type: ignore[arg-type]


def test_1_6_only_ever_goes_up() -> None:
    assert check_profile_change(0, 1, "1.6", basic_auth_password=PW16) is SecurityProfile.BASIC_AUTH
    for cur, new in ((2, 2), (2, 1), (3, 2)):
        with pytest.raises(SecurityProfileError) as info:
            check_profile_change(
                cur,
                new,
                "1.6",
                basic_auth_password=PW16,
                csms_root_installed=True,
                allow_downgrade=True,
            )
        assert info.value.rule is SecurityRule.PROFILE_DOWNGRADE


def test_2x_downgrade_only_3_to_2_when_allowed() -> None:
    kw = {
        "basic_auth_password": PW2X,
        "csms_root_installed": True,
        "station_certificate_installed": True,
    }
    with pytest.raises(SecurityProfileError):
        check_profile_change(3, 2, "2.0.1", **kw)
    assert (
        check_profile_change(3, 2, "2.0.1", allow_downgrade=True, **kw)
        is SecurityProfile.TLS_BASIC_AUTH
    )
    with pytest.raises(SecurityProfileError) as info:
        check_profile_change(3, 1, "2.1", allow_downgrade=True, **kw)
    assert info.value.rule is SecurityRule.PROFILE_DOWNGRADE
    with pytest.raises(SecurityProfileError):
        check_profile_change(2, 1, "2.0.1", allow_downgrade=True, **kw)
    assert check_profile_change(2, 2, "2.0.1", **kw) is SecurityProfile.TLS_BASIC_AUTH


def test_prerequisites_reuse_the_password_rules() -> None:
    def rule(*args, **kw) -> SecurityRule:
        with pytest.raises(SecurityProfileError) as info:
            check_profile_change(*args, **kw)
        return info.value.rule

    assert rule(1, 2, "2.0.1", csms_root_installed=True) is SecurityRule.PROFILE_PREREQUISITE
    assert (
        rule(1, 2, "2.0.1", basic_auth_password="short", csms_root_installed=True)
        is SecurityRule.PROFILE_PREREQUISITE
    )
    assert (
        rule(1, 2, "1.6", basic_auth_password="ABCD", csms_root_installed=True)
        is SecurityRule.PROFILE_PREREQUISITE
    )
    assert rule(1, 2, "2.0.1", basic_auth_password=PW2X) is SecurityRule.PROFILE_PREREQUISITE
    assert rule(2, 3, "2.0.1", csms_root_installed=True) is SecurityRule.PROFILE_PREREQUISITE
    assert (
        check_profile_change(
            1, 2, "1.6", basic_auth_password=bytes.fromhex(PW16), csms_root_installed=True
        )
        is SecurityProfile.TLS_BASIC_AUTH
    )
    assert (
        check_profile_change(
            2, 3, "2.0.1", csms_root_installed=True, station_certificate_installed=True
        )
        is SecurityProfile.TLS_CLIENT_CERTIFICATE
    )


def test_connection_profile_must_match() -> None:
    check_connection_profile(3, configured="3", version="2.0.1")
    with pytest.raises(SecurityProfileError) as info:
        check_connection_profile(2, configured=3, version="2.0.1")
    assert info.value.rule is SecurityRule.PROFILE_MISMATCH


# --- TLS contexts -------------------------------------------------------------------

ROOT = root_ca()


def test_csms_context_settings() -> None:
    ctx2 = csms_ssl_context(2, "2.0.1")
    assert ctx2.minimum_version is ssl.TLSVersion.TLSv1_2
    assert ctx2.verify_mode is ssl.CERT_NONE
    assert ctx2.options & ssl.OP_NO_COMPRESSION
    tls12 = {c["name"] for c in ctx2.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert tls12 == {openssl_cipher_name(s) for s in CIPHER_SUITES}
    ctx3 = csms_ssl_context(SecurityProfile.TLS_CLIENT_CERTIFICATE, "1.6", client_roots=ROOT.pem)
    assert ctx3.verify_mode is ssl.CERT_REQUIRED
    assert ctx3.cert_store_stats()["x509_ca"] == 1
    assert csms_ssl_context(2, "2.0.1", allow_tls13=False).maximum_version is ssl.TLSVersion.TLSv1_2


def test_csms_context_refusals() -> None:
    with pytest.raises(SecurityProfileError):
        csms_ssl_context(1, "2.0.1")
    with pytest.raises(CertificateError):
        csms_ssl_context(3, "2.0.1")
    with pytest.raises(SecurityProfileError):
        csms_ssl_context(2, "2.0.1", client_roots=ROOT.pem)
    with pytest.raises(TlsPolicyError):
        csms_ssl_context(2, "2.0.1", allow_legacy_tls=True)


def test_legacy_tls_for_1_6_only() -> None:
    ctx = csms_ssl_context(2, "1.6", allow_legacy_tls=True)
    assert ctx.minimum_version is ssl.TLSVersion.TLSv1
    assert "AES128-SHA" in {c["name"] for c in ctx.get_ciphers()}
    check_negotiated_tls("TLSv1.1", "AES128-SHA", "1.6", allow_legacy_tls=True)
    with pytest.raises(TlsPolicyError):
        check_negotiated_tls("TLSv1.1", "AES128-SHA", "2.0.1", allow_legacy_tls=True)


def test_station_context_settings() -> None:
    ctx = station_ssl_context(3, "2.0.1", csms_roots=ROOT.pem)
    assert ctx.check_hostname
    assert ctx.verify_mode is ssl.CERT_REQUIRED
    assert ctx.hostname_checks_common_name
    with pytest.raises(CertificateError):
        station_ssl_context(2, "2.0.1", csms_roots=b"")


def test_negotiated_tls_checks() -> None:
    check_negotiated_tls("TLSv1.3", "TLS_AES_256_GCM_SHA384", "2.1")
    check_negotiated_tls("TLSv1.2", "AES256-GCM-SHA384", "1.6")
    check_negotiated_tls("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "2.0.1")
    with pytest.raises(TlsPolicyError) as info:
        check_negotiated_tls(
            "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "2.0.1", forward_secret_rsa=False
        )
    assert info.value.security_event == "InvalidTLSCipherSuite"
    with pytest.raises(TlsPolicyError) as info:
        check_negotiated_tls("TLSv1.2", "ECDHE-RSA-CHACHA20-POLY1305", "2.0.1")
    assert info.value.rule is SecurityRule.TLS_CIPHER_SUITE
    for bad in (None, "SSLv3", "TLSv1", "TLSv9"):
        with pytest.raises(TlsPolicyError) as info:
            check_negotiated_tls(bad, "AES128-GCM-SHA256", "2.0.1")
        assert info.value.security_event == "InvalidTLSVersion"
    with pytest.raises(TlsPolicyError):
        openssl_cipher_name("TLS_NULL_WITH_NULL_NULL")
