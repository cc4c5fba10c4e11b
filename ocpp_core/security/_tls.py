"""TLS contexts per side and security profile, and checks of what a handshake negotiated.

Theory of operation
    Profiles 2 and 3 run OCPP over TLS with the CSMS as the server
    (A00.FR.306/A00.FR.409 in 2.0.1; A00.FR.305/A00.FR.409 in 1.6). The
    builders here return a :class:`ssl.SSLContext` configured with what the
    specification requires; building one is not I/O:

    * the TLS floor: 1.2 (A00.FR.313/A00.FR.416 in 2.0.1, A00.FR.312/A00.FR.416
      in 1.6). 1.6 alone lets a station that cannot do 1.2 use 1.0/1.1 with
      TLS_RSA_WITH_AES_128_CBC_SHA (A00.FR.312, A00.FR.324); that is the
      explicit ``allow_legacy_tls`` option, refused for 2.x. TLS 1.3 is
      allowed ("v1.2 or above") unless ``allow_tls13=False``.
    * the TLS 1.2 cipher suites the specification lists (A00.FR.318 in 2.0.1
      and 2.1, A00.FR.317 in 1.6): TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
      TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_RSA_WITH_AES_128_GCM_SHA256,
      TLS_RSA_WITH_AES_256_GCM_SHA384. Nothing else is offered by default
      (A00.FR.320/A00.FR.319: no unsuitable suites); ``forward_secret_rsa``
      adds the ECDHE_RSA GCM suites for an RSA-certified CSMS that wants
      forward secrecy, which the lists do not forbid. TLS 1.3 suites are
      OpenSSL's (all AEAD).
    * no TLS compression (A00.FR.321 in 2.0.1; A00.FR.320 in 1.6).
    * profile 3: the CSMS requires a client certificate that chains to the
      given roots (A00.FR.402, A00.FR.403); the CSMS then checks the subject
      with :func:`~ocpp_core.security.check_station_certificate` (A00.FR.404,
      A00.FR.405), because the TLS layer cannot know the station's identity
      before the HTTP request names it.
    * the station verifies the CSMS certificate against the installed
      CSMSRootCertificates (A00.FR.308) and that it names the CSMS's host
      (A00.FR.309): host-name checking is on, and falls back to the CN as
      OCPP wants the FQDN there (A00.FR.510).

    Trust roots come in as PEM/DER bytes. The side's own certificate and key
    are loaded by the host (``context.load_cert_chain(...)``): the standard
    library reads keys only from files, and this library reads none.

    After the handshake, :func:`check_negotiated_tls` checks the version and
    suite that were agreed (A00.FR.314, A00.FR.315/A00.FR.316), giving the
    security event a station raises when they are not allowed.
"""

from __future__ import annotations

import enum
import ssl
import warnings
from typing import Final

from cryptography.hazmat.primitives.serialization import Encoding

from ocpp_core.errors import CertificateError, SecurityProfileError, SecurityRule, TlsPolicyError
from ocpp_core.security._certs import load_many
from ocpp_core.security._profiles import SecurityProfile, parse_profile
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = [
    "CIPHER_SUITES",
    "LEGACY_CIPHER_SUITE",
    "TlsSide",
    "check_negotiated_tls",
    "csms_ssl_context",
    "openssl_cipher_name",
    "station_ssl_context",
]


class TlsSide(enum.StrEnum):
    """Which end of the TLS connection a context is for."""

    CSMS = "CSMS"
    """The TLS server."""
    CHARGING_STATION = "ChargingStation"
    """The TLS client."""


CIPHER_SUITES: Final = (
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
)
"""The TLS 1.2 suites every version lists (A00.FR.318 in 2.x; A00.FR.317 in 1.6)."""

LEGACY_CIPHER_SUITE: Final = "TLS_RSA_WITH_AES_128_CBC_SHA"
"""The one suite 1.6 allows for stations limited to TLS 1.0/1.1 (A00.FR.318, A00.FR.324 of 1.6)."""

_FORWARD_SECRET_RSA: Final = (
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
)

_OPENSSL_NAMES: Final = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
    "TLS_RSA_WITH_AES_128_CBC_SHA": "AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
}
_TLS13_SUITES: Final = frozenset(
    {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
)


def openssl_cipher_name(suite: str) -> str:
    """Return OpenSSL's name of an IANA TLS 1.2 suite name this module knows.

    >>> openssl_cipher_name("TLS_RSA_WITH_AES_128_GCM_SHA256")
    'AES128-GCM-SHA256'
    """
    try:
        return _OPENSSL_NAMES[suite]
    except KeyError:
        raise TlsPolicyError(
            SecurityRule.TLS_CIPHER_SUITE,
            f"unknown cipher suite {suite[:60]!r}",
            security_event="InvalidTLSCipherSuite",
        ) from None


def _tls_profile(profile: SecurityProfile | int | str, ver: OcppVersion) -> SecurityProfile:
    prof = parse_profile(profile, ver)
    if prof not in (SecurityProfile.TLS_BASIC_AUTH, SecurityProfile.TLS_CLIENT_CERTIFICATE):
        raise SecurityProfileError(
            SecurityRule.PROFILE_UNKNOWN, f"security profile {int(prof)} does not use TLS"
        )
    return prof


def _allowed_suites(ver: OcppVersion, *, legacy: bool, forward_secret_rsa: bool) -> list[str]:
    suites = list(CIPHER_SUITES)
    if forward_secret_rsa:
        suites += _FORWARD_SECRET_RSA
    if legacy:
        suites.append(LEGACY_CIPHER_SUITE)
    return suites


def _base_context(
    purpose: ssl.Purpose,
    ver: OcppVersion,
    *,
    allow_legacy_tls: bool,
    allow_tls13: bool,
    forward_secret_rsa: bool,
) -> ssl.SSLContext:
    if allow_legacy_tls and ver is not OcppVersion.V16:
        raise TlsPolicyError(
            SecurityRule.TLS_VERSION,
            f"OCPP {ver.value} allows no TLS below 1.2",
            security_event="InvalidTLSVersion",
        )
    protocol = (
        ssl.PROTOCOL_TLS_SERVER if purpose is ssl.Purpose.CLIENT_AUTH else ssl.PROTOCOL_TLS_CLIENT
    )
    ctx = ssl.SSLContext(protocol)
    if allow_legacy_tls:
        with warnings.catch_warnings():  # deliberate: 1.6 legacy stations (A00.FR.324)
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3 if allow_tls13 else ssl.TLSVersion.TLSv1_2
    names = ":".join(
        _OPENSSL_NAMES[s]
        for s in _allowed_suites(
            ver, legacy=allow_legacy_tls, forward_secret_rsa=forward_secret_rsa
        )
    )
    # OpenSSL 3 refuses TLS < 1.2 and SHA-1 suites at its default security level.
    ctx.set_ciphers(names + (":@SECLEVEL=0" if allow_legacy_tls else ""))
    ctx.options |= ssl.OP_NO_COMPRESSION
    return ctx


def _load_roots(ctx: ssl.SSLContext, trust_roots: bytes | str, what: str) -> None:
    certs = load_many(trust_roots)
    if not certs:
        raise CertificateError(SecurityRule.MISSING_FIELD, f"no {what} given")
    for cert in certs:
        ctx.load_verify_locations(cadata=cert.public_bytes(Encoding.DER))


def csms_ssl_context(
    profile: SecurityProfile | int | str,
    version: VersionLike,
    *,
    client_roots: bytes | str | None = None,
    allow_legacy_tls: bool = False,
    allow_tls13: bool = True,
    forward_secret_rsa: bool = False,
) -> ssl.SSLContext:
    """Build the CSMS's server context for security profile 2 or 3.

    Load the CSMS certificate chain and key afterwards with
    ``context.load_cert_chain(certfile, keyfile)`` (A00.FR.307/A00.FR.410:
    the CSMS authenticates with its certificate; one RSA and one ECDSA
    certificate may both be loaded to serve all four suites).

    Args:
        profile: 2 or 3 (the enum, the number or its text).
        version: the OCPP version served on this endpoint.
        client_roots: profile 3: the roots station certificates chain to
            (PEM bundle or DER); required for profile 3, refused for 2.
        allow_legacy_tls: 1.6 only: accept TLS 1.0/1.1 with
            TLS_RSA_WITH_AES_128_CBC_SHA for legacy stations (A00.FR.324).
        allow_tls13: accept TLS 1.3 (default).
        forward_secret_rsa: add the ECDHE_RSA GCM suites.

    Raises:
        SecurityProfileError: a profile without TLS, or roots given for profile 2.
        CertificateError: profile 3 without readable roots.
        TlsPolicyError: legacy TLS asked for a 2.x version.
    """
    ver = OcppVersion.parse(version)
    prof = _tls_profile(profile, ver)
    ctx = _base_context(
        ssl.Purpose.CLIENT_AUTH,
        ver,
        allow_legacy_tls=allow_legacy_tls,
        allow_tls13=allow_tls13,
        forward_secret_rsa=forward_secret_rsa,
    )
    if prof is SecurityProfile.TLS_CLIENT_CERTIFICATE:
        if client_roots is None:
            raise CertificateError(
                SecurityRule.MISSING_FIELD, "profile 3 needs the roots of station certificates"
            )
        _load_roots(ctx, client_roots, "station certificate root")
        ctx.verify_mode = ssl.CERT_REQUIRED  # A00.FR.402, A00.FR.403, A00.FR.407
    else:
        if client_roots is not None:
            raise SecurityProfileError(
                SecurityRule.PROFILE_MISMATCH, "profile 2 uses no client certificates"
            )
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def station_ssl_context(
    profile: SecurityProfile | int | str,
    version: VersionLike,
    *,
    csms_roots: bytes | str,
    allow_legacy_tls: bool = False,
    allow_tls13: bool = True,
    forward_secret_rsa: bool = True,
) -> ssl.SSLContext:
    """Build the charging station's client context for security profile 2 or 3.

    For profile 3 load the station certificate and key afterwards with
    ``context.load_cert_chain(certfile, keyfile)`` (A00.FR.401, A00.FR.402).

    Args:
        profile: 2 or 3.
        version: the OCPP version spoken.
        csms_roots: the installed CSMSRootCertificates (PEM bundle or DER),
            the only trust anchors (A00.FR.308; no system CA bundle).
        allow_legacy_tls: 1.6 only: a station that cannot do TLS 1.2.
        allow_tls13: offer TLS 1.3 (default).
        forward_secret_rsa: offer the ECDHE_RSA GCM suites too (default: a
            station accepts a CSMS that prefers forward secrecy).

    Raises:
        SecurityProfileError: a profile without TLS.
        CertificateError: no readable roots.
        TlsPolicyError: legacy TLS asked for a 2.x version.
    """
    ver = OcppVersion.parse(version)
    _tls_profile(profile, ver)
    ctx = _base_context(
        ssl.Purpose.SERVER_AUTH,
        ver,
        allow_legacy_tls=allow_legacy_tls,
        allow_tls13=allow_tls13,
        forward_secret_rsa=forward_secret_rsa,
    )
    ctx.verify_mode = ssl.CERT_REQUIRED  # A00.FR.308: verify the CSMS's path
    ctx.check_hostname = True  # A00.FR.309: the certificate names the CSMS
    ctx.hostname_checks_common_name = True  # A00.FR.510: the FQDN is in the CN
    _load_roots(ctx, csms_roots, "CSMSRootCertificate")
    return ctx


_VERSIONS: Final = {"TLSv1": 10, "TLSv1.1": 11, "TLSv1.2": 12, "TLSv1.3": 13}


def check_negotiated_tls(
    tls_version: str | None,
    cipher: str | None,
    version: VersionLike,
    *,
    allow_legacy_tls: bool = False,
    forward_secret_rsa: bool = True,
) -> None:
    """Check the TLS version and suite a handshake agreed on.

    Pass ``ssl_object.version()`` and ``ssl_object.cipher()[0]``. A station
    that finds either not allowed terminates the connection and raises the
    event the error names (A00.FR.316 InvalidTLSVersion, A00.FR.323
    InvalidTLSCipherSuite in 2.0.1); a CSMS terminates (A00.FR.315).

    Args:
        tls_version: ``"TLSv1.2"``, ``"TLSv1.3"``, ...
        cipher: OpenSSL's suite name (TLS 1.3 suites are always allowed).
        version: the OCPP version.
        allow_legacy_tls: 1.6 legacy stations (TLS 1.0/1.1 with AES128-SHA).
        forward_secret_rsa: accept the ECDHE_RSA GCM suites.

    Raises:
        TlsPolicyError: with ``security_event`` set.

    >>> check_negotiated_tls("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", "2.0.1")
    >>> check_negotiated_tls("TLSv1.1", "AES128-SHA", "2.0.1")
    Traceback (most recent call last):
    ...
    ocpp_core.errors.TlsPolicyError: TLSv1.1 is below TLS 1.2 (tls-version; ...)
    """
    ver = OcppVersion.parse(version)
    legacy = allow_legacy_tls and ver is OcppVersion.V16
    number = _VERSIONS.get(tls_version or "")
    if (number is None or number < 12) and not (legacy and number in (10, 11)):
        raise TlsPolicyError(
            SecurityRule.TLS_VERSION,
            f"{(tls_version or 'no TLS')[:20]} is below TLS 1.2",
            security_event="InvalidTLSVersion",
        )
    if number == 13 and cipher in _TLS13_SUITES:
        return
    allowed = {
        _OPENSSL_NAMES[s]
        for s in _allowed_suites(ver, legacy=legacy, forward_secret_rsa=forward_secret_rsa)
    }
    if cipher not in allowed:
        raise TlsPolicyError(
            SecurityRule.TLS_CIPHER_SUITE,
            f"the cipher suite {str(cipher)[:60]} is not one OCPP allows",
            security_event="InvalidTLSCipherSuite",
        )
