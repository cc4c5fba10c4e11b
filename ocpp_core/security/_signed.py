"""Station side of CertificateSigned (A02/A03): is the new certificate acceptable?

The station checks the certificate it receives in CertificateSignedRequest
(A02.FR.06, A03.FR.06): within its validity period, with the certificate
properties (key size, A00.FR.501-503; a positive serial, A00.FR.508; CN and
O, A00.FR.509/511), and part of the operator's hierarchy (chains to an
installed CSMSRootCertificate). If not, it discards it, answers Rejected
and raises InvalidChargingStationCertificate (A02.FR.07; 1.6:
InvalidChargePointCertificate). A certificate that is not yet valid is
accepted and used from its start (A02.FR.08): pass ``allow_not_yet_valid``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import attrs
from cryptography import x509

from ocpp_core.errors import SecurityCheckError, SecurityRule
from ocpp_core.security._certs import (
    CertificateLike,
    check_station_certificate,
    key_info,
    load_certificate_chain,
    load_many,
    verify_chain,
)
from ocpp_core.security._common import version_module
from ocpp_core.security._events import SecurityEvent
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = ["SignedCertificateCheck", "check_signed_certificate"]

_MAX_CHAIN_TEXT = 10_000  # certificateChain maxLength (1.6 whitepaper; 2.0.1; 2.1)


@attrs.frozen(kw_only=True)
class SignedCertificateCheck:
    """The verdict on a CertificateSignedRequest.

    Attributes:
        status: the ``CertificateSignedStatusEnum`` of the version to answer.
        leaf: the new certificate when accepted, else ``None``.
        chain: the certificates of the chain as received.
        security_event: the event to raise when rejected (A02.FR.07).
        rule: the rule that failed, or ``None``.
        reason: why it was rejected, or ``None``.
        starts: when the certificate becomes usable (switch then, A02.FR.08).
    """

    status: enum.StrEnum
    leaf: x509.Certificate | None
    chain: tuple[x509.Certificate, ...]
    security_event: SecurityEvent | None
    rule: SecurityRule | None = None
    reason: str | None = None
    starts: datetime | None = None

    @property
    def ok(self) -> bool:
        """True when the certificate is accepted."""
        return self.leaf is not None


def check_signed_certificate(
    certificate_chain: str | bytes,
    *,
    csms_roots: Iterable[CertificateLike] | bytes | str,
    at: datetime,
    version: VersionLike,
    identity: str | None = None,
    organization: str | None = None,
    allow_not_yet_valid: bool = True,
) -> SignedCertificateCheck:
    """Check ``CertificateSignedRequest.certificateChain`` on the station.

    Args:
        certificate_chain: the PEM text (the station's certificate first,
            then any sub-CA certificates).
        csms_roots: the roots of the operator's hierarchy.
        at: the current time.
        version: the OCPP version (for the status enum).
        identity: the station's identity/serial the CN must be (when given).
        organization: the operator name the O must be (1.6 ``CpoName``,
            2.x ``OrganizationName``), when given.
        allow_not_yet_valid: accept a certificate whose validity starts later
            (it is used from then on, A02.FR.08); otherwise reject it.

    Returns:
        Accepted with the leaf, or Rejected with the event to raise. Peer
        data never raises.

    Raises:
        SecurityCheckError: the roots (host configuration) are unreadable or empty.
    """
    ver = OcppVersion.parse(version)
    status = version_module(ver).CertificateSignedStatusEnum
    roots = load_many(csms_roots)
    if not roots:
        raise SecurityCheckError(SecurityRule.MISSING_FIELD, "no CSMS root certificate given")

    def reject(
        rule: SecurityRule, reason: str, chain: tuple[x509.Certificate, ...] = ()
    ) -> SignedCertificateCheck:
        return SignedCertificateCheck(
            status=status("Rejected"),
            leaf=None,
            chain=chain,
            security_event=SecurityEvent.INVALID_CHARGING_STATION_CERTIFICATE,
            rule=rule,
            reason=reason,
        )

    if len(certificate_chain) > _MAX_CHAIN_TEXT:
        return reject(SecurityRule.TOO_LARGE, f"the chain is longer than {_MAX_CHAIN_TEXT}")
    try:
        chain = load_certificate_chain(certificate_chain)
    except SecurityCheckError as exc:
        return reject(exc.rule, exc.detail)
    leaf = chain[0]
    try:
        key_info(leaf.public_key())
        if identity is not None or organization is not None:
            check_station_certificate(
                leaf, identity=identity or _cn(leaf), organization=organization
            )
        check_at = at
        if allow_not_yet_valid and at < leaf.not_valid_before_utc:
            check_at = leaf.not_valid_before_utc
        verify_chain(leaf, intermediates=chain[1:], roots=roots, at=check_at)
    except SecurityCheckError as exc:
        return reject(exc.rule, exc.detail, chain)
    except ValueError:
        return reject(
            SecurityRule.UNSUPPORTED_KEY_TYPE, "the certificate's key cannot be read", chain
        )
    return SignedCertificateCheck(
        status=status("Accepted"),
        leaf=leaf,
        chain=chain,
        security_event=None,
        starts=leaf.not_valid_before_utc,
    )


def _cn(cert: x509.Certificate) -> str:
    values = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    value = values[0].value if values else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")
