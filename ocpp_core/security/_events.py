"""The catalogue of security events and the SecurityEventNotification builder.

Theory of operation
    OCPP lists the security events a charging station logs (use case A04 and
    N01.FR.05): every event goes to the station's security log, and the
    *critical* ones are also pushed to the CSMS with SecurityEventNotification,
    queued with guaranteed delivery while offline (A04.FR.01, A04.FR.02,
    A04.FR.04).

    The same events carry different names per version: 1.6 (security
    whitepaper, edition 3, section 8) says *Central System* and *Charge Point*
    where 2.x says *Csms* and *ChargingStation*. :class:`SecurityEvent` names
    each event once, by its 2.x wire name, and :func:`security_event_wire_name`
    gives the spelling of a version. The critical flags differ per version
    too: the 2.0.1 appendix (v1.3, 2022, kept in edition 3) marks the
    certificate, firmware-signature and TLS events critical where the 1.6
    whitepaper does not. For 2.0 (2018), which has its own closed enumeration,
    this module uses the 1.6 whitepaper's flags: the whitepaper edition 2 was
    written from the 2.0 security text, before the 2022 change.

    The descriptions are this project's own short wording.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Final, TypeAlias, cast

import attrs

from ocpp_core._enums import enum_member
from ocpp_core._text import show
from ocpp_core.errors import SecurityCheckError, SecurityRule
from ocpp_core.security._common import version_module
from ocpp_core.versions import OcppVersion, VersionLike

if TYPE_CHECKING:
    from ocpp_core import v16, v20, v21, v201

    SecurityEventNotificationRequest: TypeAlias = (
        v16.SecurityEventNotificationRequest
        | v20.SecurityEventNotificationRequest
        | v201.SecurityEventNotificationRequest
        | v21.SecurityEventNotificationRequest
    )

__all__ = [
    "SecurityEvent",
    "SecurityEventInfo",
    "parse_security_event",
    "security_event_info",
    "security_event_notification",
    "security_event_wire_name",
    "security_events",
]


class SecurityEvent(enum.StrEnum):
    """A security event of the OCPP catalogue; the value is its 2.x wire name.

    Use :func:`security_event_wire_name` for the name a version sends (1.6
    spells four of them differently) and :func:`security_event_info` for its
    critical flag in a version.
    """

    FIRMWARE_UPDATED = "FirmwareUpdated"
    """New firmware was installed on the station."""
    FAILED_TO_AUTHENTICATE_AT_CSMS = "FailedToAuthenticateAtCsms"
    """The CSMS refused the station's credentials (1.6: ...AtCentralSystem)."""
    CSMS_FAILED_TO_AUTHENTICATE = "CsmsFailedToAuthenticate"
    """The station refused the CSMS's credentials (1.6: CentralSystem...)."""
    SETTING_SYSTEM_TIME = "SettingSystemTime"
    """The station's clock was set (2.x: by more than the reporting threshold)."""
    STARTUP_OF_THE_DEVICE = "StartupOfTheDevice"
    """The station booted."""
    RESET_OR_REBOOT = "ResetOrReboot"
    """The station was reset or rebooted."""
    SECURITY_LOG_WAS_CLEARED = "SecurityLogWasCleared"
    """Someone emptied the security log."""
    RECONFIGURATION_OF_SECURITY_PARAMETERS = "ReconfigurationOfSecurityParameters"
    """Keys, passwords or the security profile changed."""
    MEMORY_EXHAUSTION = "MemoryExhaustion"
    """Flash or RAM is running out."""
    INVALID_MESSAGES = "InvalidMessages"
    """Messages arrived that are not valid OCPP (or carry a bad message signature)."""
    ATTEMPTED_REPLAY_ATTACKS = "AttemptedReplayAttacks"
    """A message was replayed (beyond an ordinary resend after a network fault)."""
    TAMPER_DETECTION_ACTIVATED = "TamperDetectionActivated"
    """A physical tamper sensor fired."""
    INVALID_FIRMWARE_SIGNATURE = "InvalidFirmwareSignature"
    """A firmware image's signature did not verify."""
    INVALID_FIRMWARE_SIGNING_CERTIFICATE = "InvalidFirmwareSigningCertificate"
    """The certificate that should verify a firmware signature is not valid."""
    INVALID_CSMS_CERTIFICATE = "InvalidCsmsCertificate"
    """The CSMS's TLS certificate is not valid (1.6: InvalidCentralSystemCertificate)."""
    INVALID_CHARGING_STATION_CERTIFICATE = "InvalidChargingStationCertificate"
    """A certificate sent to the station for its own use is not valid (1.6: ...ChargePoint...)."""
    INVALID_TLS_VERSION = "InvalidTLSVersion"
    """The CSMS only offered a TLS version below the allowed floor."""
    INVALID_TLS_CIPHER_SUITE = "InvalidTLSCipherSuite"
    """The CSMS only offered cipher suites the specification does not allow."""
    MAINTENANCE_LOGIN_ACCEPTED = "MaintenanceLoginAccepted"
    """A login to the local maintenance interface succeeded (2.0.1 and later)."""
    MAINTENANCE_LOGIN_FAILED = "MaintenanceLoginFailed"
    """A login to the local maintenance interface failed (2.0.1 and later)."""
    DISCARDED_RENEWED_CLIENT_CERTIFICATE = "DiscardedRenewedClientCertificate"
    """A renewed client certificate was dropped because no connection worked with it (2.1)."""


@attrs.frozen(kw_only=True)
class SecurityEventInfo:
    """What the catalogue says about one event in one version.

    Attributes:
        event: the event.
        version: the OCPP version this entry is for.
        wire_name: the ``type`` value the version sends.
        critical: whether the station pushes it to the CSMS (A04.FR.01);
            non-critical events only go to the security log.
        description: a short description (this project's wording).
    """

    event: SecurityEvent
    version: OcppVersion
    wire_name: str
    critical: bool
    description: str


_E = SecurityEvent

_NAMES_16: Final = {
    _E.FAILED_TO_AUTHENTICATE_AT_CSMS: "FailedToAuthenticateAtCentralSystem",
    _E.CSMS_FAILED_TO_AUTHENTICATE: "CentralSystemFailedToAuthenticate",
    _E.INVALID_CSMS_CERTIFICATE: "InvalidCentralSystemCertificate",
    _E.INVALID_CHARGING_STATION_CERTIFICATE: "InvalidChargePointCertificate",
}

# Spellings found in circulation that mean the same 1.6 event (the edition 3
# table prints "FailedToAuthenticationAtCentralSystem"; implementations send
# the names above). Accepted when parsing, never produced.
_ALIASES_16: Final = {
    "FailedToAuthenticationAtCentralSystem": _E.FAILED_TO_AUTHENTICATE_AT_CSMS,
    "CentralSystemFailedToAuthentication": _E.CSMS_FAILED_TO_AUTHENTICATE,
}
# Every 1.6 spelling that is read as a catalogue event.
_READ_16: Final = {name: ev for ev, name in _NAMES_16.items()} | _ALIASES_16

# Critical flags of the 1.6 whitepaper (edition 3, section 8); also used for 2.0.
_CRITICAL_16: Final = frozenset(
    {
        _E.FIRMWARE_UPDATED,
        _E.SETTING_SYSTEM_TIME,
        _E.STARTUP_OF_THE_DEVICE,
        _E.RESET_OR_REBOOT,
        _E.SECURITY_LOG_WAS_CLEARED,
        _E.MEMORY_EXHAUSTION,
        _E.TAMPER_DETECTION_ACTIVATED,
    }
)
# 2.0.1 Part 2 appendix 1 (v1.3 and edition 3): the certificate, firmware-signature,
# TLS and maintenance-login events are critical too; 2.1 adds its new event as critical.
_CRITICAL_2X: Final = _CRITICAL_16 | {
    _E.INVALID_FIRMWARE_SIGNATURE,
    _E.INVALID_FIRMWARE_SIGNING_CERTIFICATE,
    _E.INVALID_CSMS_CERTIFICATE,
    _E.INVALID_CHARGING_STATION_CERTIFICATE,
    _E.INVALID_TLS_VERSION,
    _E.INVALID_TLS_CIPHER_SUITE,
    _E.MAINTENANCE_LOGIN_ACCEPTED,
    _E.MAINTENANCE_LOGIN_FAILED,
    _E.DISCARDED_RENEWED_CLIENT_CERTIFICATE,
}

_BASE: Final = tuple(
    e
    for e in SecurityEvent
    if e
    not in (
        _E.MAINTENANCE_LOGIN_ACCEPTED,
        _E.MAINTENANCE_LOGIN_FAILED,
        _E.DISCARDED_RENEWED_CLIENT_CERTIFICATE,
    )
)
_IN_VERSION: Final = {
    OcppVersion.V16: _BASE,
    OcppVersion.V20: _BASE,
    OcppVersion.V201: (*_BASE, _E.MAINTENANCE_LOGIN_ACCEPTED, _E.MAINTENANCE_LOGIN_FAILED),
    OcppVersion.V21: tuple(SecurityEvent),
}

_DESCRIPTIONS: Final = {
    _E.FIRMWARE_UPDATED: "new firmware was installed",
    _E.FAILED_TO_AUTHENTICATE_AT_CSMS: "the CSMS refused the station's credentials",
    _E.CSMS_FAILED_TO_AUTHENTICATE: "the station refused the CSMS's credentials",
    _E.SETTING_SYSTEM_TIME: "the station's clock was set",
    _E.STARTUP_OF_THE_DEVICE: "the station booted",
    _E.RESET_OR_REBOOT: "the station was reset or rebooted",
    _E.SECURITY_LOG_WAS_CLEARED: "the security log was emptied",
    _E.RECONFIGURATION_OF_SECURITY_PARAMETERS: "keys, passwords or the profile changed",
    _E.MEMORY_EXHAUSTION: "flash or RAM is running out",
    _E.INVALID_MESSAGES: "messages arrived that are not valid OCPP",
    _E.ATTEMPTED_REPLAY_ATTACKS: "a message was replayed",
    _E.TAMPER_DETECTION_ACTIVATED: "a physical tamper sensor fired",
    _E.INVALID_FIRMWARE_SIGNATURE: "a firmware signature did not verify",
    _E.INVALID_FIRMWARE_SIGNING_CERTIFICATE: "the firmware signing certificate is not valid",
    _E.INVALID_CSMS_CERTIFICATE: "the CSMS's TLS certificate is not valid",
    _E.INVALID_CHARGING_STATION_CERTIFICATE: "a certificate sent for the station is not valid",
    _E.INVALID_TLS_VERSION: "the CSMS only offered a TLS version below the floor",
    _E.INVALID_TLS_CIPHER_SUITE: "the CSMS only offered cipher suites that are not allowed",
    _E.MAINTENANCE_LOGIN_ACCEPTED: "a maintenance-interface login succeeded",
    _E.MAINTENANCE_LOGIN_FAILED: "a maintenance-interface login failed",
    _E.DISCARDED_RENEWED_CLIENT_CERTIFICATE: "a renewed client certificate did not work",
}


def security_events(version: VersionLike) -> tuple[SecurityEvent, ...]:
    """Return the events the catalogue of ``version`` lists, in catalogue order.

    >>> len(security_events("1.6")), len(security_events("2.0.1")), len(security_events("2.1"))
    (18, 20, 21)
    """
    return _IN_VERSION[OcppVersion.parse(version)]


def security_event_wire_name(event: SecurityEvent | str, version: VersionLike) -> str:
    """Return the ``type`` value ``version`` sends for ``event``.

    Args:
        event: a :class:`SecurityEvent`, or any spelling :func:`parse_security_event` reads.
        version: the OCPP version.

    Raises:
        SecurityCheckError: the event is unknown, or not in that version's catalogue.

    >>> security_event_wire_name(SecurityEvent.INVALID_CSMS_CERTIFICATE, "1.6")
    'InvalidCentralSystemCertificate'
    >>> security_event_wire_name("InvalidCentralSystemCertificate", "2.0.1")
    'InvalidCsmsCertificate'
    """
    return security_event_info(event, version).wire_name


def security_event_info(event: SecurityEvent | str, version: VersionLike) -> SecurityEventInfo:
    """Return the catalogue entry of ``event`` in ``version``.

    Raises:
        SecurityCheckError: the event is unknown, or not in that version's catalogue.

    >>> security_event_info("InvalidFirmwareSignature", "1.6").critical
    False
    >>> security_event_info("InvalidFirmwareSignature", "2.0.1").critical
    True
    """
    ver = OcppVersion.parse(version)
    ev = parse_security_event(event)
    if ev not in _IN_VERSION[ver]:
        raise SecurityCheckError(
            SecurityRule.VERSION, f"the security event {ev.value} is not in OCPP {ver.value}"
        )
    wire = _NAMES_16.get(ev, ev.value) if ver is OcppVersion.V16 else ev.value
    critical = ev in (_CRITICAL_16 if ver in (OcppVersion.V16, OcppVersion.V20) else _CRITICAL_2X)
    return SecurityEventInfo(
        event=ev, version=ver, wire_name=wire, critical=critical, description=_DESCRIPTIONS[ev]
    )


def parse_security_event(value: SecurityEvent | str | enum.Enum) -> SecurityEvent:
    """Read an event from any version's spelling (or a 2.0 ``SecurityEventEnum`` member).

    Matching is exact (the names are case-sensitive on the wire); the 1.6
    names and two misprints found in the 1.6 edition 3 table are accepted.

    Raises:
        SecurityCheckError: the text names no event of the catalogue (a
            vendor-specific event; send it as a plain string instead).

    >>> parse_security_event("FailedToAuthenticateAtCentralSystem")
    <SecurityEvent.FAILED_TO_AUTHENTICATE_AT_CSMS: 'FailedToAuthenticateAtCsms'>
    """
    member = enum_member(SecurityEvent, value, _READ_16)
    if member is None:
        raise SecurityCheckError(SecurityRule.VERSION, f"unknown security event {show(value, 60)}")
    return member


_MAX_TYPE = 50
_MAX_TECH_INFO = 255


def security_event_notification(
    event: SecurityEvent | str,
    *,
    timestamp: datetime,
    version: VersionLike,
    tech_info: str | None = None,
    truncate_tech_info: bool = False,
) -> SecurityEventNotificationRequest:
    """Build the SecurityEventNotification request of ``version`` for an event.

    Args:
        event: a catalogue event (any spelling). A vendor-specific event that
            is not in the catalogue may be given as a plain string for 1.6,
            2.0.1 and 2.1 (their ``type`` is a free string of at most 50
            characters); 2.0 only allows its closed enumeration.
        timestamp: when the event happened (aware datetime).
        version: the OCPP version of the connection.
        tech_info: extra information (at most 255 characters; 2.0 has no such field).
        truncate_tech_info: cut ``tech_info`` to 255 characters instead of refusing it.

    Returns:
        ``v16.SecurityEventNotificationRequest`` or the 2.x class of ``version``.

    Raises:
        SecurityCheckError: the timestamp is naive, the event is unknown in
            2.0 or not in the version's catalogue, the type is too long, or
            ``tech_info`` does not fit.

    >>> from datetime import datetime, timezone
    >>> req = security_event_notification(
    ...     SecurityEvent.INVALID_CSMS_CERTIFICATE,
    ...     timestamp=datetime(2026, 1, 1, tzinfo=timezone.utc), version="1.6")
    >>> req.type
    'InvalidCentralSystemCertificate'
    """
    ver = OcppVersion.parse(version)
    if not isinstance(timestamp, datetime) or timestamp.utcoffset() is None:
        raise SecurityCheckError(
            SecurityRule.MISSING_FIELD, "the event timestamp must be an aware datetime"
        )
    try:
        wire = security_event_wire_name(event, ver)
    except SecurityCheckError:
        if ver is OcppVersion.V20 or not isinstance(event, str) or isinstance(event, enum.Enum):
            raise
        wire = event  # a vendor-specific event name
    if not wire or len(wire) > _MAX_TYPE:
        raise SecurityCheckError(
            SecurityRule.TOO_LARGE, f"a security event type is 1 to {_MAX_TYPE} characters"
        )
    if tech_info is not None and len(tech_info) > _MAX_TECH_INFO:
        if not truncate_tech_info:
            raise SecurityCheckError(
                SecurityRule.TOO_LARGE, f"techInfo is at most {_MAX_TECH_INFO} characters"
            )
        tech_info = tech_info[:_MAX_TECH_INFO]
    mod = version_module(ver)
    if ver is OcppVersion.V20:
        extra = None if tech_info is None else {"techInfo": tech_info}
        return cast(
            "SecurityEventNotificationRequest",
            mod.SecurityEventNotificationRequest(
                type=mod.SecurityEventEnum(wire), timestamp=timestamp, extra=extra
            ),
        )
    return cast(
        "SecurityEventNotificationRequest",
        mod.SecurityEventNotificationRequest(type=wire, timestamp=timestamp, tech_info=tech_info),
    )
