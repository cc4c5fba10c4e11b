"""Signed firmware: the signing certificate against the manufacturer root, the image's signature.

Theory of operation
    A signed update (1.6 SignedUpdateFirmware, 2.x UpdateFirmware with
    ``signingCertificate`` and ``signature``) is checked in two steps, as use
    case L01 describes:

    1. On receipt, before accepting the request (L01.FR.23): the signing
       certificate must chain to an installed ManufacturerRootCertificate and
       be valid now (L01.FR.12; the manufacturer uses no intermediate
       certificates, L01 remarks, so the root must have signed it directly).
       Failure answers ``InvalidCertificate`` (L01.FR.24; 2.0 has no such
       response status, so ``Rejected`` with firmware status
       ``InvalidCertificate``) and raises the InvalidFirmwareSigningCertificate
       event (L01.FR.02). Revocation (``RevokedCertificate``, L01.FR.25) needs
       an OCSP answer and stays with the host.
    2. After the download: the base64 ``signature`` must verify over the whole
       image with the certificate's key and SHA-256 (L01.FR.04). The
       specification names RSA-PSS (and ECSchnorr, which no common library
       implements); what manufacturers and the conformance tool use in
       practice is RSA PKCS #1 v1.5 and ECDSA. The accepted schemes are a
       parameter; by default RSA-PSS, RSA PKCS #1 v1.5 and ECDSA are all
       tried. Failure gives firmware status ``InvalidSignature`` and the
       InvalidFirmwareSignature event (L01.FR.03); success ``SignatureVerified``.

    Nothing here raises for bad data from the peer: every outcome is a value
    carrying the statuses to send and the event to raise. Cost is bounded: the
    image size is limited (``max_image_size``), or the host hashes the image
    itself while downloading and passes the SHA-256 digest
    (:func:`verify_firmware_digest`).
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Final

import attrs
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from ocpp_core.errors import CertificateError, SecurityCheckError, SecurityRule
from ocpp_core.security._certs import CertificateLike, load_certificate, load_many, verify_chain
from ocpp_core.security._common import version_module
from ocpp_core.security._events import SecurityEvent
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = [
    "MAX_FIRMWARE_IMAGE",
    "FirmwareCheck",
    "FirmwareOutcome",
    "SignatureScheme",
    "check_firmware_certificate",
    "check_update_firmware_request",
    "verify_firmware",
    "verify_firmware_digest",
    "verify_update_firmware_image",
]

MAX_FIRMWARE_IMAGE: Final = 256 * 1024 * 1024
"""Default bound on an image passed as bytes (256 MiB); hash larger ones yourself."""

_MAX_SIGNATURE_TEXT: Final = 800  # Firmware.signature maxLength in every version


class SignatureScheme(enum.StrEnum):
    """A firmware signature scheme, always with SHA-256 (L01.FR.04)."""

    RSA_PSS = "RSA-PSS"
    """RSASSA-PSS, MGF1 with SHA-256, any salt length (the scheme L01.FR.04 names)."""
    RSA_PKCS1V15 = "RSA-PKCS1v15"
    """RSASSA-PKCS1-v1_5 (common practice)."""
    ECDSA = "ECDSA"
    """ECDSA over the certificate's curve, DER-encoded signature (common practice)."""


class FirmwareOutcome(enum.StrEnum):
    """The result of a firmware check."""

    CERTIFICATE_VALID = "certificate-valid"
    """Step 1 passed: the signing certificate chains to a manufacturer root."""
    INVALID_CERTIFICATE = "invalid-certificate"
    """The signing certificate is unreadable, untrusted, expired or not yet valid."""
    SIGNATURE_VERIFIED = "signature-verified"
    """Step 2 passed: the signature verifies over the image."""
    INVALID_SIGNATURE = "invalid-signature"
    """The signature is missing, malformed, truncated or does not verify."""


@attrs.frozen(kw_only=True)
class FirmwareCheck:
    """What a firmware check found and what the station sends for it.

    Attributes:
        outcome: the result.
        version: the OCPP version the statuses are for.
        update_status: the ``status`` of the (Signed)UpdateFirmware response
            for a step-1 result (``Accepted``, ``InvalidCertificate``; 2.0:
            ``Rejected``), else ``None``.
        firmware_status: the status for (Signed)FirmwareStatusNotification
            (``SignatureVerified``, ``InvalidSignature``; 2.0 also
            ``CertificateVerified``/``InvalidCertificate``), or ``None``.
        security_event: the event to raise, or ``None`` on success.
        scheme: the scheme that verified the signature, on success.
        reason: a short text saying why a check failed (``None`` on success).
        rule: the rule behind a certificate failure, if any.
    """

    outcome: FirmwareOutcome
    version: OcppVersion
    update_status: enum.StrEnum | None
    firmware_status: enum.StrEnum | None
    security_event: SecurityEvent | None
    scheme: SignatureScheme | None = None
    reason: str | None = None
    rule: SecurityRule | None = None

    @property
    def ok(self) -> bool:
        """True when the check passed."""
        return self.outcome in (
            FirmwareOutcome.CERTIFICATE_VALID,
            FirmwareOutcome.SIGNATURE_VERIFIED,
        )


def _enums(ver: OcppVersion) -> tuple[type[enum.StrEnum], type[enum.StrEnum]]:
    """(UpdateFirmwareStatusEnum, FirmwareStatusEnum) of a version."""
    mod = version_module(ver)
    return mod.UpdateFirmwareStatusEnum, mod.FirmwareStatusEnum


def _certificate_result(
    ver: OcppVersion, ok: bool, reason: str | None = None, rule: SecurityRule | None = None
) -> FirmwareCheck:
    update, status = _enums(ver)
    if ok:
        return FirmwareCheck(
            outcome=FirmwareOutcome.CERTIFICATE_VALID,
            version=ver,
            update_status=update("Accepted"),
            firmware_status=status("CertificateVerified") if ver is OcppVersion.V20 else None,
            security_event=None,
        )
    return FirmwareCheck(
        outcome=FirmwareOutcome.INVALID_CERTIFICATE,
        version=ver,
        update_status=update("Rejected")
        if ver is OcppVersion.V20
        else update("InvalidCertificate"),
        firmware_status=status("InvalidCertificate") if ver is OcppVersion.V20 else None,
        security_event=SecurityEvent.INVALID_FIRMWARE_SIGNING_CERTIFICATE,
        reason=reason,
        rule=rule,
    )


def _signature_result(
    ver: OcppVersion, scheme: SignatureScheme | None, reason: str | None = None
) -> FirmwareCheck:
    _, status = _enums(ver)
    if scheme is not None:
        return FirmwareCheck(
            outcome=FirmwareOutcome.SIGNATURE_VERIFIED,
            version=ver,
            update_status=None,
            firmware_status=status("SignatureVerified"),
            security_event=None,
            scheme=scheme,
        )
    return FirmwareCheck(
        outcome=FirmwareOutcome.INVALID_SIGNATURE,
        version=ver,
        update_status=None,
        firmware_status=status("InvalidSignature"),
        security_event=SecurityEvent.INVALID_FIRMWARE_SIGNATURE,
        reason=reason,
    )


def check_firmware_certificate(
    signing_certificate: CertificateLike | None,
    *,
    manufacturer_roots: Iterable[CertificateLike] | bytes | str,
    at: datetime,
    version: VersionLike,
) -> FirmwareCheck:
    """Step 1: check the signing certificate of an update request (L01.FR.23).

    Args:
        signing_certificate: ``firmware.signingCertificate`` (PEM text), or
            ``None`` when the request has none.
        manufacturer_roots: the installed ManufacturerRootCertificates.
        at: the current time (aware).
        version: the OCPP version of the connection.

    Returns:
        ``CERTIFICATE_VALID`` with update status ``Accepted``, or
        ``INVALID_CERTIFICATE`` with the statuses and event to send.

    Raises:
        CertificateError: the *roots* (the host's own configuration) are
            unreadable or empty. Problems of the peer's certificate never raise.
    """
    ver = OcppVersion.parse(version)
    roots = load_many(manufacturer_roots)
    if not roots:
        raise CertificateError(SecurityRule.MISSING_FIELD, "no ManufacturerRootCertificate given")
    if signing_certificate is None:
        return _certificate_result(
            ver, False, "the request has no signing certificate", SecurityRule.MISSING_FIELD
        )
    try:
        verify_chain(signing_certificate, roots=roots, at=at, max_length=2)
    except SecurityCheckError as exc:
        return _certificate_result(ver, False, exc.detail, exc.rule)
    return _certificate_result(ver, True)


def _decode_signature(signature: str | bytes | None) -> bytes | None:
    if signature is None:
        return None
    if isinstance(signature, bytes):
        text = signature
    else:
        try:
            text = signature.encode("ascii")
        except UnicodeEncodeError:
            return None
    if len(text) > _MAX_SIGNATURE_TEXT * 2:
        return None
    try:
        raw = base64.b64decode(b"".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw or None


def verify_firmware_digest(
    digest: bytes,
    *,
    signing_certificate: CertificateLike,
    signature: str | bytes | None,
    version: VersionLike,
    schemes: Iterable[SignatureScheme | str] = tuple(SignatureScheme),
) -> FirmwareCheck:
    """Step 2 with a precomputed SHA-256 digest of the image.

    For hosts that hash the image while downloading it. Check the certificate
    with :func:`check_firmware_certificate` first; this step assumes it.

    Args:
        digest: the 32-byte SHA-256 of the whole image.
        signing_certificate: ``firmware.signingCertificate``.
        signature: ``firmware.signature`` (base64), or ``None`` if absent.
        version: the OCPP version.
        schemes: the schemes to accept (default: all three).

    Returns:
        ``SIGNATURE_VERIFIED`` or ``INVALID_SIGNATURE``.

    Raises:
        SecurityCheckError: ``digest`` is not 32 bytes or a scheme is unknown
            (host errors).
    """
    ver = OcppVersion.parse(version)
    if not isinstance(digest, bytes) or len(digest) != 32:
        raise SecurityCheckError(SecurityRule.MISSING_FIELD, "the digest must be 32 SHA-256 bytes")
    wanted = [SignatureScheme(s) for s in schemes]
    raw = _decode_signature(signature)
    if raw is None:
        return _signature_result(ver, None, "the signature is missing or not base64")
    try:
        key = load_certificate(signing_certificate).public_key()
    except (CertificateError, ValueError, UnsupportedAlgorithm):
        return _signature_result(ver, None, "the signing certificate's key cannot be read")
    prehashed = utils.Prehashed(hashes.SHA256())
    for scheme in wanted:
        try:
            if scheme is SignatureScheme.ECDSA and isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(raw, digest, ec.ECDSA(prehashed))
            elif scheme is SignatureScheme.RSA_PKCS1V15 and isinstance(key, rsa.RSAPublicKey):
                key.verify(raw, digest, padding.PKCS1v15(), prehashed)
            elif scheme is SignatureScheme.RSA_PSS and isinstance(key, rsa.RSAPublicKey):
                pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
                key.verify(raw, digest, pss, prehashed)
            else:
                continue
        except (InvalidSignature, ValueError, UnsupportedAlgorithm):
            continue
        return _signature_result(ver, scheme)
    return _signature_result(ver, None, "the signature does not verify over the image")


def verify_firmware(
    image: bytes | bytearray | memoryview,
    *,
    signing_certificate: CertificateLike,
    signature: str | bytes | None,
    version: VersionLike,
    manufacturer_roots: Iterable[CertificateLike] | bytes | str | None = None,
    at: datetime | None = None,
    schemes: Iterable[SignatureScheme | str] = tuple(SignatureScheme),
    max_image_size: int = MAX_FIRMWARE_IMAGE,
) -> FirmwareCheck:
    """Check a downloaded image: the certificate (when roots are given), then the signature.

    Args:
        image: the whole firmware file.
        signing_certificate: ``firmware.signingCertificate``.
        signature: ``firmware.signature`` (base64).
        version: the OCPP version.
        manufacturer_roots: when given (with ``at``), step 1 runs first and an
            invalid certificate is returned as such.
        at: the time for step 1.
        schemes: the signature schemes to accept.
        max_image_size: the bound on ``image``.

    Returns:
        ``INVALID_CERTIFICATE`` (step 1 failed), ``INVALID_SIGNATURE`` or
        ``SIGNATURE_VERIFIED``.

    Raises:
        SecurityCheckError: the image is larger than ``max_image_size``
            (``too-large``; hash it yourself and use
            :func:`verify_firmware_digest`), or roots without ``at``.
    """
    ver = OcppVersion.parse(version)
    if len(image) > max_image_size:
        raise SecurityCheckError(
            SecurityRule.TOO_LARGE, f"the image is larger than {max_image_size} bytes"
        )
    if manufacturer_roots is not None:
        if at is None:
            raise SecurityCheckError(
                SecurityRule.MISSING_FIELD, "checking the certificate needs `at`"
            )
        cert_check = check_firmware_certificate(
            signing_certificate, manufacturer_roots=manufacturer_roots, at=at, version=ver
        )
        if not cert_check.ok:
            return cert_check
    digest = hashlib.sha256(image).digest()
    return verify_firmware_digest(
        digest,
        signing_certificate=signing_certificate,
        signature=signature,
        version=ver,
        schemes=schemes,
    )


def _request_parts(request: object) -> tuple[OcppVersion, object]:
    meta = getattr(type(request), "ocpp_meta", None)
    firmware = getattr(request, "firmware", None)
    action = getattr(meta, "action", None)
    if (
        meta is None
        or firmware is None
        or (action, meta.kind)
        not in (("SignedUpdateFirmware", "request"), ("UpdateFirmware", "request"))
        or (meta.version is OcppVersion.V16 and action != "SignedUpdateFirmware")
    ):
        raise SecurityCheckError(
            SecurityRule.VERSION,
            "expected a 1.6 SignedUpdateFirmwareRequest or a 2.x UpdateFirmwareRequest"
            " (1.6 UpdateFirmware carries no signature, L01.FR.20)",
        )
    return meta.version, firmware


def check_update_firmware_request(
    request: object,
    *,
    manufacturer_roots: Iterable[CertificateLike] | bytes | str,
    at: datetime,
) -> FirmwareCheck:
    """Step 1 on a typed request: 1.6 SignedUpdateFirmware or 2.x UpdateFirmware.

    The version comes from the request's class; a request without
    ``signingCertificate`` gives ``INVALID_CERTIFICATE`` (call this only for
    updates that must be signed).

    Raises:
        SecurityCheckError: ``request`` is not one of those messages, or the
            roots are unusable.
    """
    version, firmware = _request_parts(request)
    return check_firmware_certificate(
        getattr(firmware, "signing_certificate", None),
        manufacturer_roots=manufacturer_roots,
        at=at,
        version=version,
    )


def verify_update_firmware_image(
    request: object,
    image: bytes | bytearray | memoryview,
    *,
    manufacturer_roots: Iterable[CertificateLike] | bytes | str | None = None,
    at: datetime | None = None,
    schemes: Iterable[SignatureScheme | str] = tuple(SignatureScheme),
    max_image_size: int = MAX_FIRMWARE_IMAGE,
) -> FirmwareCheck:
    """Step 2 (and step 1 when roots are given) on a typed request and the downloaded image.

    Raises:
        SecurityCheckError: as :func:`verify_firmware`, or a wrong request type.
    """
    version, firmware = _request_parts(request)
    certificate = getattr(firmware, "signing_certificate", None)
    if certificate is None:
        return _certificate_result(
            version, False, "the request has no signing certificate", SecurityRule.MISSING_FIELD
        )
    return verify_firmware(
        image,
        signing_certificate=certificate,
        signature=getattr(firmware, "signature", None),
        version=version,
        manufacturer_roots=manufacturer_roots,
        at=at,
        schemes=schemes,
        max_image_size=max_image_size,
    )
