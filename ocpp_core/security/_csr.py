"""Certificate signing requests for SignCertificate: building (station) and checking (CSMS).

Theory of operation
    A station renewing its certificate makes a new key pair, puts the public
    key in a PKCS #10 CSR (RFC 2986), PEM-encodes it and sends it in
    SignCertificateRequest (A02.FR.02/A02.FR.03, A03.FR.02/A03.FR.03). The
    subject carries the station's serial number (its identity) in CN
    (A00.FR.511) and the operator's name, the 1.6 ``CpoName`` key or the 2.x
    ``SecurityCtrlr.OrganizationName`` variable, in O (A02.FR.13, A00.FR.509).

    Key generation is the host's: this library takes randomness from nobody.
    :func:`build_csr` signs with a key given as PEM bytes, with SHA-256
    (A00.FR.506). (ECDSA signing draws its nonce inside OpenSSL.)

    The CSMS may check a CSR before forwarding it to its CA (A02 error
    handling). :func:`check_csr` checks, in order: size, PEM/DER form, the
    CSR's own signature, the key type and size (A00.FR.501-503), the
    signature hash (A00.FR.504/A00.FR.506: SHA-256 or stronger), and the
    subject (CN present, not a URL or IP, equal to the identity; O present
    and equal to the operator). Every broken rule is reported, first one in
    :attr:`~ocpp_core.errors.CsrError.rule`.
"""

from __future__ import annotations

import enum
import warnings
from typing import TYPE_CHECKING, Final, TypeAlias, cast

import attrs
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ocpp_core.errors import CertificateError, CsrError, SecurityCheckError, SecurityRule
from ocpp_core.security._certs import (
    CertificateUse,
    KeyInfo,
    _looks_like_url_or_ip,
    key_info,
    parse_certificate_use,
)
from ocpp_core.security._common import version_module
from ocpp_core.versions import OcppVersion, VersionLike

if TYPE_CHECKING:
    from ocpp_core import v16, v20, v21, v201

    SignCertificateRequest: TypeAlias = (
        v16.SignCertificateRequest
        | v20.SignCertificateRequest
        | v201.SignCertificateRequest
        | v21.SignCertificateRequest
    )

__all__ = [
    "MAX_CSR_TEXT",
    "CsrInfo",
    "build_csr",
    "check_csr",
    "load_private_key",
    "sign_certificate_request",
]

MAX_CSR_TEXT: Final = 5500
"""The longest ``csr`` SignCertificateRequest carries (2.0: 800; checked per version)."""

_STRONG_HASHES: Final = (hashes.SHA256, hashes.SHA384, hashes.SHA512)


def load_private_key(
    data: bytes | str, *, password: bytes | None = None
) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    """Read an RSA or EC private key from PEM (or DER) bytes.

    Raises:
        CertificateError: the key does not decode (``malformed-pem``), is of
            another type (``unsupported-key-type``) or too small (``key-too-small``).
    """
    raw = data.encode("ascii", "replace") if isinstance(data, str) else bytes(data)
    if len(raw) > 65_536:
        raise CertificateError(SecurityRule.TOO_LARGE, "the private key is too large")
    try:
        if raw.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(raw, password=password)
        else:
            key = serialization.load_der_private_key(raw, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion):
        raise CertificateError(
            SecurityRule.MALFORMED_PEM, "the private key does not decode"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise CertificateError(
            SecurityRule.UNSUPPORTED_KEY_TYPE, "the private key is neither RSA nor elliptic-curve"
        )
    key_info(key.public_key())
    return key


def build_csr(
    private_key: bytes | str,
    *,
    common_name: str,
    organization: str,
    country: str | None = None,
    password: bytes | None = None,
) -> str:
    """Build the PEM CSR a station sends in SignCertificateRequest.

    Args:
        private_key: the new key pair's private key, PEM or DER.
        common_name: the station's serial number / identity (A00.FR.511).
        organization: the operator name (1.6 ``CpoName``; 2.x
            ``SecurityCtrlr.OrganizationName``) (A02.FR.13).
        country: an optional two-letter C attribute.
        password: the private key's password, if encrypted.

    Returns:
        The CSR as PEM text, signed with SHA-256.

    Raises:
        CertificateError: the key is unreadable, of another type or too small,
            or a name is empty or unusable.
    """
    key = load_private_key(private_key, password=password)
    if not common_name or not organization:
        raise CertificateError(SecurityRule.MISSING_FIELD, "CN and O must not be empty")
    if country is not None and len(country) != 2:
        raise CertificateError(SecurityRule.MISSING_FIELD, "C is a two-letter country code")
    for label, value in (("CN", common_name), ("O", organization)):
        if len(value.encode("utf-8", "surrogatepass")) > 64:  # X.520 upper bound
            raise CertificateError(SecurityRule.TOO_LARGE, f"{label} is over 64 bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            names = [
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            ]
            if country is not None:
                names.insert(0, x509.NameAttribute(NameOID.COUNTRY_NAME, country))
            csr = (
                x509.CertificateSigningRequestBuilder()
                .subject_name(x509.Name(names))
                .sign(key, hashes.SHA256())
            )
    except (ValueError, UnicodeError, UserWarning) as exc:
        raise CertificateError(
            SecurityRule.MISSING_FIELD, f"the subject is unusable: {str(exc)[:100]}"
        ) from None
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def sign_certificate_request(
    csr: str,
    version: VersionLike,
    *,
    certificate_type: CertificateUse | str | enum.Enum | None = None,
) -> SignCertificateRequest:
    """Wrap a PEM CSR in the SignCertificateRequest of ``version``.

    Args:
        csr: the PEM text from :func:`build_csr`.
        version: the OCPP version.
        certificate_type: 2.x only: ``ChargingStationCertificate``,
            ``V2GCertificate`` (2.1 also ``V2G20Certificate``); omitted means
            both uses (2.x) and is the only choice in 1.6.

    Raises:
        SecurityCheckError: a certificate type in 1.6 or one the version does
            not sign, or a CSR longer than the version allows.
    """
    ver = OcppVersion.parse(version)
    limit = 800 if ver is OcppVersion.V20 else MAX_CSR_TEXT
    if len(csr) > limit:
        raise CertificateError(
            SecurityRule.TOO_LARGE, f"OCPP {ver.value} allows a CSR of {limit} characters"
        )
    use = None if certificate_type is None else parse_certificate_use(certificate_type)
    if ver is OcppVersion.V16:
        if use not in (None, CertificateUse.CHARGING_STATION_CERTIFICATE):
            raise SecurityCheckError(
                SecurityRule.VERSION, "OCPP 1.6 signs only the station certificate"
            )
        return cast("SignCertificateRequest", version_module(ver).SignCertificateRequest(csr=csr))
    signable = {CertificateUse.CHARGING_STATION_CERTIFICATE, CertificateUse.V2G_CERTIFICATE}
    if ver is OcppVersion.V21:
        signable.add(CertificateUse.V2G20_CERTIFICATE)
    if use is not None and use not in signable:
        raise SecurityCheckError(
            SecurityRule.VERSION, f"OCPP {ver.value} does not sign {use.value}"
        )
    mod = version_module(ver)
    kind = None if use is None else mod.CertificateSigningUseEnum(use.value)
    if ver is OcppVersion.V20:
        return cast(
            "SignCertificateRequest",
            mod.SignCertificateRequest(csr=csr, type_of_certificate=kind),
        )
    return cast(
        "SignCertificateRequest", mod.SignCertificateRequest(csr=csr, certificate_type=kind)
    )


@attrs.frozen(kw_only=True)
class CsrInfo:
    """What :func:`check_csr` read from an accepted CSR.

    Attributes:
        common_name: the subject CN.
        organization: the subject O.
        key: the public key's family and size.
        signature_hash: the name of the CSR's signature hash (``"sha256"``).
        der: the CSR in DER, ready to forward to a CA.
    """

    common_name: str
    organization: str | None
    key: KeyInfo
    signature_hash: str
    der: bytes = attrs.field(repr=False)


def _first_attr(name: x509.Name, oid: x509.ObjectIdentifier) -> tuple[str | None, int]:
    values = name.get_attributes_for_oid(oid)
    if not values:
        return None, 0
    v = values[0].value
    return (v if isinstance(v, str) else v.decode("utf-8", "replace")), len(values)


def check_csr(
    csr: str | bytes,
    *,
    identity: str | None = None,
    organization: str | None = None,
    version: VersionLike | None = None,
) -> CsrInfo:
    """Check a CSR received in SignCertificateRequest (CSMS side).

    Args:
        csr: the ``csr`` field (PEM text; DER bytes are accepted too).
        identity: the station identity the CN must equal (omit to skip).
        organization: the operator name the O must equal (omit to only
            require an O).
        version: bound the size by that version's ``csr`` length (2.0: 800,
            others 5,500); without it the 5,500 bound applies.

    Returns:
        What was read; forward ``der`` (or the PEM) to the CA.

    Raises:
        CsrError: with one refusal per broken rule: ``too-large``,
            ``malformed-pem``/``malformed-der``, ``bad-signature``,
            ``unsupported-key-type``, ``key-too-small``, ``weak-signature-hash``,
            ``missing-field`` (no CN or no O), ``common-name-is-url-or-ip``,
            ``common-name-mismatch``, ``organization-mismatch``.
    """
    limit = MAX_CSR_TEXT
    if version is not None and OcppVersion.parse(version) is OcppVersion.V20:
        limit = 800
    if len(csr) > limit:
        raise CsrError([SecurityRule.TOO_LARGE], f"the CSR is longer than {limit}")
    raw = csr.encode("ascii", "replace") if isinstance(csr, str) else bytes(csr)
    try:
        if raw.lstrip().startswith(b"-----BEGIN"):
            req = x509.load_pem_x509_csr(raw)
        else:
            req = x509.load_der_x509_csr(raw)
    except (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion):
        rule = (
            SecurityRule.MALFORMED_PEM
            if raw.lstrip().startswith(b"-----")
            else SecurityRule.MALFORMED_DER
        )
        raise CsrError([rule], "the CSR does not decode") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)  # malformed names warn: refuse them
            subject = req.subject
            _ = subject.public_bytes()
    except (ValueError, TypeError, UnsupportedAlgorithm, UserWarning):
        raise CsrError([SecurityRule.MALFORMED_DER], "the CSR's subject does not decode") from None

    refusals: list[SecurityRule] = []
    details: list[str] = []

    def refuse(rule: SecurityRule, text: str) -> None:
        refusals.append(rule)
        details.append(text)

    try:
        algo = req.signature_hash_algorithm
    except UnsupportedAlgorithm:
        algo = None
    weak = not isinstance(algo, _STRONG_HASHES)
    if weak:
        name = algo.name if algo is not None else "none"
        refuse(
            SecurityRule.WEAK_SIGNATURE_HASH,
            f"the CSR is signed with {name}, not SHA-256 or stronger",
        )
    if not weak:  # a weak-hash signature is refused as such, not verified
        try:
            valid = req.is_signature_valid
        except (ValueError, UnsupportedAlgorithm):
            valid = False
        if not valid:
            refuse(SecurityRule.BAD_SIGNATURE, "the CSR's signature does not verify")
    info = KeyInfo(kind="unknown", bits=0)
    try:
        public_key = req.public_key()
        info = key_info(public_key, check_size=False)
        key_info(public_key)
    except CertificateError as exc:
        refuse(exc.rule, exc.detail)
    except (ValueError, UnsupportedAlgorithm):
        refuse(SecurityRule.UNSUPPORTED_KEY_TYPE, "the CSR's key cannot be read")
    cn, cn_count = _first_attr(subject, NameOID.COMMON_NAME)
    org, org_count = _first_attr(subject, NameOID.ORGANIZATION_NAME)
    if cn is None or cn_count > 1:
        refuse(SecurityRule.MISSING_FIELD, "the subject needs exactly one CN")
    elif _looks_like_url_or_ip(cn):
        refuse(SecurityRule.COMMON_NAME_IS_URL_OR_IP, "the CN is a URL or an IP address")
    elif identity is not None and cn != identity:
        refuse(SecurityRule.COMMON_NAME_MISMATCH, f"the CN {cn[:64]!r} is not {identity[:64]!r}")
    if org is None or org_count > 1:
        refuse(SecurityRule.MISSING_FIELD, "the subject needs exactly one O")
    elif organization is not None and org != organization:
        refuse(
            SecurityRule.ORGANIZATION_MISMATCH, f"the O {org[:64]!r} is not {organization[:64]!r}"
        )
    if refusals:
        raise CsrError(refusals, "; ".join(details))
    assert cn is not None  # the checks above refused a missing CN
    return CsrInfo(
        common_name=cn,
        organization=org,
        key=info,
        signature_hash=algo.name if algo is not None else "none",
        der=req.public_bytes(serialization.Encoding.DER),
    )
