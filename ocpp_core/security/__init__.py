"""OCPP security: TLS contexts per profile, certificates, CSRs, security events, signed firmware.

Everything here is a pure function over bytes, text and aware datetimes:
certificates, keys, CSRs and firmware images come in as bytes; nothing reads
files, opens sockets, reads the clock or draws random numbers. It needs the
``cryptography`` package, the ``security`` extra::

    pip install "ocpp-core[security]"

``import ocpp_core`` never imports this package.

* Profiles: :class:`SecurityProfile`, :func:`check_profile_change`,
  :func:`check_connection_profile`.
* TLS: :func:`csms_ssl_context`, :func:`station_ssl_context`,
  :func:`check_negotiated_tls`.
* Certificates: :func:`load_certificate`, :func:`certificate_hash_data`,
  :func:`ocsp_request_data`, :func:`hash_data_matches`,
  :func:`find_matching_certificate`, :func:`verify_chain`,
  :func:`check_station_certificate`, :func:`check_csms_certificate`,
  :class:`CertificateUse`.
* CSRs: :func:`build_csr`, :func:`sign_certificate_request`, :func:`check_csr`.
* Events: :class:`SecurityEvent`, :func:`security_event_info`,
  :func:`security_event_notification`.
* CertificateSigned (station side): :func:`check_signed_certificate`.
* Firmware: :func:`check_firmware_certificate`, :func:`verify_firmware`,
  :func:`verify_firmware_digest`, and on typed requests
  :func:`check_update_firmware_request`, :func:`verify_update_firmware_image`.

Errors are in :mod:`ocpp_core.errors` (:class:`~ocpp_core.errors.SecurityCheckError`
and its subclasses), each naming a :class:`~ocpp_core.errors.SecurityRule`.
"""

from __future__ import annotations

try:
    import cryptography  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "ocpp_core.security needs the 'cryptography' package: pip install 'ocpp-core[security]'"
    ) from exc

from ocpp_core.security._certs import (
    MAX_CERTIFICATE_TEXT,
    MAX_CHAIN_LENGTH,
    CertificateLike,
    CertificateUse,
    ChainResult,
    HashAlgorithm,
    HashData,
    HashDataLike,
    KeyInfo,
    OcspData,
    certificate_hash_data,
    certificate_use_value,
    check_csms_certificate,
    check_station_certificate,
    find_matching_certificate,
    hash_data_matches,
    key_info,
    load_certificate,
    load_certificate_chain,
    load_many,
    ocsp_request_data,
    parse_certificate_use,
    verify_chain,
)
from ocpp_core.security._csr import (
    MAX_CSR_TEXT,
    CsrInfo,
    build_csr,
    check_csr,
    load_private_key,
    sign_certificate_request,
)
from ocpp_core.security._events import (
    SecurityEvent,
    SecurityEventInfo,
    parse_security_event,
    security_event_info,
    security_event_notification,
    security_event_wire_name,
    security_events,
)
from ocpp_core.security._firmware import (
    MAX_FIRMWARE_IMAGE,
    FirmwareCheck,
    FirmwareOutcome,
    SignatureScheme,
    check_firmware_certificate,
    check_update_firmware_request,
    verify_firmware,
    verify_firmware_digest,
    verify_update_firmware_image,
)
from ocpp_core.security._profiles import (
    SecurityProfile,
    check_connection_profile,
    check_profile_change,
    parse_profile,
)
from ocpp_core.security._signed import SignedCertificateCheck, check_signed_certificate
from ocpp_core.security._tls import (
    CIPHER_SUITES,
    LEGACY_CIPHER_SUITE,
    TlsSide,
    check_negotiated_tls,
    csms_ssl_context,
    openssl_cipher_name,
    station_ssl_context,
)

__all__ = [
    "CIPHER_SUITES",
    "LEGACY_CIPHER_SUITE",
    "MAX_CERTIFICATE_TEXT",
    "MAX_CHAIN_LENGTH",
    "MAX_CSR_TEXT",
    "MAX_FIRMWARE_IMAGE",
    "CertificateLike",
    "CertificateUse",
    "ChainResult",
    "CsrInfo",
    "FirmwareCheck",
    "FirmwareOutcome",
    "HashAlgorithm",
    "HashData",
    "HashDataLike",
    "KeyInfo",
    "OcspData",
    "SecurityEvent",
    "SecurityEventInfo",
    "SecurityProfile",
    "SignatureScheme",
    "SignedCertificateCheck",
    "TlsSide",
    "build_csr",
    "certificate_hash_data",
    "certificate_use_value",
    "check_connection_profile",
    "check_csms_certificate",
    "check_csr",
    "check_firmware_certificate",
    "check_negotiated_tls",
    "check_profile_change",
    "check_signed_certificate",
    "check_station_certificate",
    "check_update_firmware_request",
    "csms_ssl_context",
    "find_matching_certificate",
    "hash_data_matches",
    "key_info",
    "load_certificate",
    "load_certificate_chain",
    "load_many",
    "load_private_key",
    "ocsp_request_data",
    "openssl_cipher_name",
    "parse_certificate_use",
    "parse_profile",
    "parse_security_event",
    "security_event_info",
    "security_event_notification",
    "security_event_wire_name",
    "security_events",
    "sign_certificate_request",
    "station_ssl_context",
    "verify_chain",
    "verify_firmware",
    "verify_firmware_digest",
    "verify_update_firmware_image",
]
