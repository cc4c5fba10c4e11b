"""Certificates from bytes: loading, hash data, OCSP request data, chains, identities.

Theory of operation
    Every certificate comes in as bytes or text (PEM, or DER bytes) and is
    read with the ``cryptography`` package under a size bound; nothing reads
    files. A malformed input, an oversized one, or one without the fields
    OCPP needs raises a :class:`~ocpp_core.errors.CertificateError` naming
    the rule, never a bare ``ValueError`` from the parser.

CertificateHashData (1.6 whitepaper edition 3 section 6.1; 2.x CertificateHashDataType)
    The fields follow the OCSP ``CertID`` of RFC 6960:

    * ``issuerNameHash``: the hash of the DER encoding of the certificate's
      *issuer* name field;
    * ``issuerKeyHash``: the hash of the issuer's public key, that is the
      value of the ``subjectPublicKey`` BIT STRING in the issuer's
      certificate, without tag, length and the unused-bits octet;
    * both hashes as hexadecimal, two digits per byte (this module writes
      lower case; the fields are case-insensitive strings);
    * ``serialNumber``: the serial as hexadecimal without leading zeroes and
      without ``0x`` (decimal 4095 is ``FFF``; this module writes upper case).

    The issuer's key is needed, so the issuer certificate must be given
    unless the certificate is self-signed. Matching (:func:`hash_data_matches`)
    compares case-insensitively and ignores leading zeroes of the serial, so
    hash data written by peers following edition 2 (which left the case and
    padding open) still matches.

Chains (:func:`verify_chain`)
    A path is built from the leaf up to one of the given roots: at each step
    the certificate is within its validity at the given time, its issuer name
    is the next certificate's subject, its signature verifies with the next
    certificate's key, and the next certificate is a CA (basic constraints)
    whose path length allows the step. This is the part of RFC 5280 section
    6 that OCPP's checks name (A00.FR.403, A02.FR.06, L01.FR.12); revocation
    (OCSP, CRLs), name constraints and policies stay with the host.
"""

from __future__ import annotations

import enum
import ipaddress
import re
import warnings
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final, Protocol, TypeAlias, cast

import attrs
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from ocpp_core._enums import enum_member
from ocpp_core._text import show
from ocpp_core.errors import (
    CertificateChainError,
    CertificateError,
    SecurityCheckError,
    SecurityRule,
    StationIdentityError,
)
from ocpp_core.security._common import version_module
from ocpp_core.versions import OcppVersion, VersionLike

if TYPE_CHECKING:
    from ocpp_core import v16, v20, v21, v201

    CertificateHashDataMessage: TypeAlias = (
        v16.CertificateHashData
        | v20.CertificateHashData
        | v201.CertificateHashData
        | v21.CertificateHashData
    )
    OcspRequestDataMessage: TypeAlias = (
        v20.OCSPRequestData | v201.OCSPRequestData | v21.OCSPRequestData
    )

__all__ = [
    "MAX_CERTIFICATE_TEXT",
    "MAX_CHAIN_LENGTH",
    "CertificateLike",
    "CertificateUse",
    "ChainResult",
    "HashAlgorithm",
    "HashData",
    "HashDataLike",
    "KeyInfo",
    "OcspData",
    "certificate_hash_data",
    "certificate_use_value",
    "check_csms_certificate",
    "check_station_certificate",
    "find_matching_certificate",
    "hash_data_matches",
    "key_info",
    "load_certificate",
    "load_certificate_chain",
    "load_many",
    "ocsp_request_data",
    "parse_certificate_use",
    "verify_chain",
]

MAX_CERTIFICATE_TEXT: Final = 65_536
"""Default bound on certificate and chain input, in bytes or characters.

The messages allow at most 5,500 characters for one certificate and 10,000
for a chain; the bound leaves room for a chain given by the host."""

MAX_CHAIN_LENGTH: Final = 10
"""Default bound on the number of certificates in a chain or trust store."""

CertificateLike = bytes | bytearray | memoryview | str | x509.Certificate
"""A certificate as PEM text, PEM or DER bytes, or an already loaded one."""

_PEM_BEGIN = b"-----BEGIN"
_PARSE_ERRORS: Final = (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion)
"""What the parser raises for input it cannot read."""
_DER: Final = Encoding.DER


def _as_bytes(data: bytes | bytearray | memoryview | str, what: str, limit: int) -> bytes:
    if isinstance(data, str):
        if len(data) > limit:
            raise CertificateError(SecurityRule.TOO_LARGE, f"{what} is longer than {limit}")
        try:
            return data.encode("ascii")
        except UnicodeEncodeError:
            raise CertificateError(
                SecurityRule.MALFORMED_PEM, f"{what} is not ASCII PEM text"
            ) from None
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CertificateError(
            SecurityRule.MALFORMED_DER, f"{what} must be bytes or text, not {type(data).__name__}"
        )
    if len(data) > limit:
        raise CertificateError(SecurityRule.TOO_LARGE, f"{what} is longer than {limit} bytes")
    return bytes(data)


def load_certificate(
    data: CertificateLike, *, max_size: int = MAX_CERTIFICATE_TEXT
) -> x509.Certificate:
    """Read one X.509 certificate from PEM text or bytes, or DER bytes.

    PEM input may hold more than one block; the first certificate is read.

    Raises:
        CertificateError: the input is too large (``too-large``), not PEM
            (``malformed-pem``), not DER (``malformed-der``), or a certificate
            the parser refuses.

    >>> load_certificate(b"not a certificate")
    Traceback (most recent call last):
    ...
    ocpp_core.errors.CertificateError: not a DER certificate (malformed-der)
    """
    if isinstance(data, x509.Certificate):
        return _checked(data)
    raw = _as_bytes(data, "the certificate", max_size)
    if raw.lstrip().startswith(_PEM_BEGIN):
        return load_certificate_chain(raw, max_size=max_size, max_certificates=MAX_CHAIN_LENGTH)[0]
    try:
        with warnings.catch_warnings():
            # a non-positive serial is refused below rather than warned about
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            cert = x509.load_der_x509_certificate(raw)
    except _PARSE_ERRORS:
        raise CertificateError(SecurityRule.MALFORMED_DER, "not a DER certificate") from None
    return _checked(cert)


def _checked(cert: x509.Certificate) -> x509.Certificate:
    """Decode the fields the checks read now, so a malformed one is refused here.

    The parser decodes names, validity and extensions lazily; a bad one would
    otherwise surface as a ``ValueError`` deep inside a later check.
    """
    try:
        with warnings.catch_warnings():
            # the parser warns about malformed names (e.g. a 3-letter C): refuse them
            warnings.simplefilter("error", UserWarning)
            _ = (cert.subject, cert.issuer, cert.extensions)
            _ = cert.subject.public_bytes(), cert.issuer.public_bytes()
        with warnings.catch_warnings():
            # a non-positive serial is refused below rather than warned about
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            serial = cert.serial_number
        _ = (cert.not_valid_before_utc, cert.not_valid_after_utc)
    except (*_PARSE_ERRORS, UserWarning):
        raise CertificateError(
            SecurityRule.MALFORMED_DER, "a field of the certificate does not decode"
        ) from None
    if serial <= 0:
        raise CertificateError(
            SecurityRule.MISSING_FIELD, "the serial number is not positive (A00.FR.508, RFC 5280)"
        )
    return cert


def load_certificate_chain(
    data: bytes | bytearray | memoryview | str | Sequence[CertificateLike],
    *,
    max_size: int = MAX_CERTIFICATE_TEXT,
    max_certificates: int = MAX_CHAIN_LENGTH,
) -> tuple[x509.Certificate, ...]:
    """Read every certificate of a PEM text (e.g. ``CertificateSigned.certificateChain``).

    Args:
        data: PEM text or bytes with one or more ``CERTIFICATE`` blocks, or a
            sequence of certificates in any form :func:`load_certificate` reads.
        max_size: the bound on the text's length.
        max_certificates: the bound on the number of certificates.

    Raises:
        CertificateError: too large, too many certificates (``chain-too-long``),
            no PEM certificate in the text, or a block that does not decode.
    """
    if not isinstance(data, bytes | bytearray | memoryview | str):
        items = list(data)
        if len(items) > max_certificates:
            raise CertificateError(
                SecurityRule.CHAIN_TOO_LONG, f"more than {max_certificates} certificates"
            )
        return tuple(load_certificate(item, max_size=max_size) for item in items)
    raw = _as_bytes(data, "the certificate chain", max_size)
    count = raw.count(b"-----BEGIN CERTIFICATE-----")
    if count == 0:
        raise CertificateError(SecurityRule.MALFORMED_PEM, "no PEM CERTIFICATE block found")
    if count > max_certificates:
        raise CertificateError(
            SecurityRule.CHAIN_TOO_LONG, f"more than {max_certificates} certificates"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            certs = x509.load_pem_x509_certificates(raw)
    except _PARSE_ERRORS:
        raise CertificateError(
            SecurityRule.MALFORMED_PEM, "a PEM CERTIFICATE block does not decode"
        ) from None
    return tuple(_checked(c) for c in certs)


# --- keys --------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class KeyInfo:
    """The family and size of a public key.

    Attributes:
        kind: ``"RSA"``, ``"EC"`` or ``"DSA"``.
        bits: the key size in bits (the curve size for EC).
        curve: the curve name for EC keys (``"secp256r1"``), else ``None``.
    """

    kind: str
    bits: int
    curve: str | None = None


_MIN_RSA_BITS: Final = 2048
_MIN_EC_BITS: Final = 224


def key_info(key: object, *, check_size: bool = True, allow_dsa: bool = False) -> KeyInfo:
    """Describe a public key and check it against A00.FR.501-503.

    Args:
        key: a ``cryptography`` public key (``certificate.public_key()``).
        check_size: refuse keys below 112-bit security (RSA/DSA 2048, EC 224 bits).
        allow_dsa: accept DSA keys (the spec's size rule names DSA, but no OCPP
            cipher suite uses it).

    Raises:
        CertificateError: ``unsupported-key-type`` or ``key-too-small``.
    """
    if isinstance(key, rsa.RSAPublicKey):
        info = KeyInfo(kind="RSA", bits=key.key_size)
        minimum = _MIN_RSA_BITS
    elif isinstance(key, ec.EllipticCurvePublicKey):
        info = KeyInfo(kind="EC", bits=key.curve.key_size, curve=key.curve.name)
        minimum = _MIN_EC_BITS
    elif allow_dsa and isinstance(key, dsa.DSAPublicKey):
        info = KeyInfo(kind="DSA", bits=key.key_size)
        minimum = _MIN_RSA_BITS
    else:
        raise CertificateError(
            SecurityRule.UNSUPPORTED_KEY_TYPE,
            f"a {type(key).__name__.lstrip('_')} key is neither RSA nor elliptic-curve",
        )
    if check_size and info.bits < minimum:
        raise CertificateError(
            SecurityRule.KEY_TOO_SMALL,
            f"a {info.bits}-bit {info.kind} key is below {minimum} bits",
        )
    return info


# --- hash data ----------------------------------------------------------------


class HashAlgorithm(enum.StrEnum):
    """The hash algorithms of CertificateHashData (``HashAlgorithmEnumType``)."""

    SHA256 = "SHA256"
    """SHA-256 (A00.FR.506: the one to use)."""
    SHA384 = "SHA384"
    """SHA-384."""
    SHA512 = "SHA512"
    """SHA-512."""


_HASHES: Final[dict[HashAlgorithm, type[hashes.HashAlgorithm]]] = {
    HashAlgorithm.SHA256: hashes.SHA256,
    HashAlgorithm.SHA384: hashes.SHA384,
    HashAlgorithm.SHA512: hashes.SHA512,
}


def _hash_algorithm(value: object) -> HashAlgorithm:
    member = enum_member(HashAlgorithm, value)
    if member is None:
        raise CertificateError(
            SecurityRule.HASH_DATA,
            f"hashAlgorithm must be SHA256, SHA384 or SHA512, not {show(value, 20)}",
        )
    return member


def _digest(algorithm: HashAlgorithm, data: bytes) -> str:
    h = hashes.Hash(_HASHES[algorithm]())
    h.update(data)
    return h.finalize().hex()


class HashDataLike(Protocol):
    """Anything with the four CertificateHashData fields (every version's class)."""

    @property
    def hash_algorithm(self) -> object:
        """The hash algorithm (an enum member of any version, or its text)."""

    @property
    def issuer_name_hash(self) -> str:
        """The issuer name hash, hexadecimal."""

    @property
    def issuer_key_hash(self) -> str:
        """The issuer key hash, hexadecimal."""

    @property
    def serial_number(self) -> str:
        """The serial number, hexadecimal."""


@attrs.frozen(kw_only=True)
class HashData:
    """CertificateHashData in a version-neutral form.

    Attributes:
        hash_algorithm: the algorithm of both hashes.
        issuer_name_hash: hexadecimal (lower case) hash of the DER issuer name.
        issuer_key_hash: hexadecimal (lower case) hash of the issuer's public key bits.
        serial_number: the serial as upper-case hexadecimal without leading zeroes.
    """

    hash_algorithm: HashAlgorithm
    issuer_name_hash: str
    issuer_key_hash: str
    serial_number: str

    def to_message(self, version: VersionLike) -> CertificateHashDataMessage:
        """Return the generated ``CertificateHashData`` of ``version``.

        Raises:
            CertificateError: the serial is longer than the version allows
                (2.0: 20 characters; 1.6, 2.0.1, 2.1: 40).
        """
        ver = OcppVersion.parse(version)
        mod = version_module(ver)
        limit = 20 if ver is OcppVersion.V20 else 40
        if len(self.serial_number) > limit:
            raise CertificateError(
                SecurityRule.HASH_DATA,
                f"serialNumber has {len(self.serial_number)} hex digits;"
                f" OCPP {ver.value} allows {limit}",
            )
        return cast(
            "CertificateHashDataMessage",
            mod.CertificateHashData(
                hash_algorithm=mod.HashAlgorithmEnum(self.hash_algorithm.value),
                issuer_name_hash=self.issuer_name_hash,
                issuer_key_hash=self.issuer_key_hash,
                serial_number=self.serial_number,
            ),
        )


def _read_tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """Return (tag, start of value, end of value) of the DER element at ``pos``."""
    if pos + 2 > len(data):
        raise CertificateError(SecurityRule.MALFORMED_DER, "truncated DER element")
    tag = data[pos]
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise CertificateError(SecurityRule.MALFORMED_DER, "bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise CertificateError(SecurityRule.MALFORMED_DER, "truncated DER element")
    return tag, pos, end


def _subject_public_key_bits(cert: x509.Certificate) -> bytes:
    """The value of ``subjectPublicKey`` (BIT STRING content after the unused-bits octet)."""
    tbs = cert.tbs_certificate_bytes
    _, pos, end = _read_tlv(tbs, 0)  # TBSCertificate SEQUENCE
    index = 0
    while pos < end:
        tag, start, stop = _read_tlv(tbs, pos)
        if index == 0 and tag == 0xA0:  # [0] EXPLICIT version
            pos = stop
            continue
        # serial, signature, issuer, validity, subject, subjectPublicKeyInfo
        if index == 5:
            _, _, send = _read_tlv(tbs, start)  # AlgorithmIdentifier
            btag, bstart, bend = _read_tlv(tbs, send)
            if btag != 0x03 or bend <= bstart:
                break
            return tbs[bstart + 1 : bend]
        index += 1
        pos = stop
    raise CertificateError(SecurityRule.MALFORMED_DER, "no subjectPublicKey in the certificate")


def _serial_hex(cert: x509.Certificate) -> str:
    serial = cert.serial_number
    if serial < 0:
        raise CertificateError(SecurityRule.MISSING_FIELD, "the serial number is negative")
    return format(serial, "X")


def _is_self_issued(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject


def _issuer_for(cert: x509.Certificate, issuer: CertificateLike | None) -> x509.Certificate:
    if issuer is not None:
        iss = load_certificate(issuer)
        if iss.subject != cert.issuer:
            raise CertificateError(
                SecurityRule.ISSUER_MISMATCH,
                "the given issuer's subject is not the certificate's issuer name",
            )
        return iss
    if _is_self_issued(cert):
        return cert
    raise CertificateError(
        SecurityRule.HASH_DATA,
        "issuerKeyHash needs the issuer's public key: pass the issuer certificate",
    )


def certificate_hash_data(
    certificate: CertificateLike,
    *,
    issuer: CertificateLike | None = None,
    hash_algorithm: HashAlgorithm | str | enum.Enum = HashAlgorithm.SHA256,
) -> HashData:
    """Compute CertificateHashData for a certificate.

    Args:
        certificate: the certificate the hash data identifies.
        issuer: its issuer's certificate; may be omitted for a self-signed one.
        hash_algorithm: SHA256 (default; A00.FR.506), SHA384 or SHA512, as the
            enum of any version or its text.

    Returns:
        The version-neutral value; ``.to_message(version)`` gives the
        generated class of a version.

    Raises:
        CertificateError: unreadable input, an issuer that does not match,
            a missing issuer, or a negative serial number.
    """
    cert = load_certificate(certificate)
    algorithm = _hash_algorithm(hash_algorithm)
    iss = _issuer_for(cert, issuer)
    return HashData(
        hash_algorithm=algorithm,
        issuer_name_hash=_digest(algorithm, cert.issuer.public_bytes()),
        issuer_key_hash=_digest(algorithm, _subject_public_key_bits(iss)),
        serial_number=_serial_hex(cert),
    )


@attrs.frozen(kw_only=True)
class OcspData:
    """OCSPRequestData (2.x) in a version-neutral form.

    Attributes:
        hash_data: the certificate's hash data.
        responder_url: the OCSP responder from the certificate's Authority
            Information Access extension (or ``None`` when it has none and the
            version allows that).
    """

    hash_data: HashData
    responder_url: str | None

    def to_message(self, version: VersionLike) -> OcspRequestDataMessage:
        """Return the generated ``OCSPRequestData`` of a 2.x ``version``.

        Raises:
            SecurityCheckError: 1.6 has no OCSPRequestData (``version``).
            CertificateError: 2.0.1 and 2.1 require the responder URL
                (``missing-field``), or the URL is longer than 512 characters.
        """
        ver = OcppVersion.parse(version)
        if ver is OcppVersion.V16:
            raise SecurityCheckError(SecurityRule.VERSION, "OCPP 1.6 has no OCSPRequestData")
        if self.responder_url is None and ver is not OcppVersion.V20:
            raise CertificateError(
                SecurityRule.MISSING_FIELD,
                "the certificate names no OCSP responder (Authority Information Access)",
            )
        if self.responder_url is not None and len(self.responder_url) > 512:
            raise CertificateError(SecurityRule.TOO_LARGE, "responderURL is over 512 characters")
        base = self.hash_data.to_message(ver)
        mod = version_module(ver)
        return cast(
            "OcspRequestDataMessage",
            mod.OCSPRequestData(
                hash_algorithm=base.hash_algorithm,
                issuer_name_hash=base.issuer_name_hash,
                issuer_key_hash=base.issuer_key_hash,
                serial_number=base.serial_number,
                responder_url=self.responder_url,
            ),
        )


def ocsp_request_data(
    certificate: CertificateLike,
    *,
    issuer: CertificateLike | None = None,
    hash_algorithm: HashAlgorithm | str | enum.Enum = HashAlgorithm.SHA256,
) -> OcspData:
    """Compute OCSPRequestData: the hash data plus the responder URL from AIA.

    The responder is the first ``id-ad-ocsp`` access description whose
    location is a URI. Whether a missing responder is acceptable depends on
    the version, so it is checked by :meth:`OcspData.to_message`.

    Raises:
        CertificateError: as :func:`certificate_hash_data`.
    """
    cert = load_certificate(certificate)
    data = certificate_hash_data(cert, issuer=issuer, hash_algorithm=hash_algorithm)
    url: str | None = None
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        aia = None
    except ValueError:
        raise CertificateError(
            SecurityRule.MALFORMED_DER, "the certificate's extensions do not decode"
        ) from None
    if aia is not None:
        for desc in aia:
            if desc.access_method == AuthorityInformationAccessOID.OCSP and isinstance(
                desc.access_location, x509.UniformResourceIdentifier
            ):
                url = desc.access_location.value
                break
    return OcspData(hash_data=data, responder_url=url)


def _normal_serial(text: str) -> str:
    return text.strip().upper().removeprefix("0X").lstrip("0") or "0"


def hash_data_matches(
    hash_data: HashDataLike | HashData,
    certificate: CertificateLike,
    *,
    issuer: CertificateLike | None = None,
) -> bool:
    """Tell whether hash data (of any version) identifies ``certificate``.

    The hashes are recomputed with the algorithm the hash data names
    (M04.FR.07: the CSMS uses the algorithm the certificate was installed
    with) and compared case-insensitively; serials are compared ignoring case
    and leading zeroes.

    Raises:
        CertificateError: the certificate cannot be read, the algorithm is
            unknown, or the issuer is needed and missing.
    """
    cert = load_certificate(certificate)
    algorithm = _hash_algorithm(hash_data.hash_algorithm)
    ours = certificate_hash_data(cert, issuer=issuer, hash_algorithm=algorithm)
    return (
        ours.issuer_name_hash == hash_data.issuer_name_hash.strip().lower()
        and ours.issuer_key_hash == hash_data.issuer_key_hash.strip().lower()
        and ours.serial_number == _normal_serial(hash_data.serial_number)
    )


def find_matching_certificate(
    hash_data: HashDataLike | HashData,
    installed: Iterable[CertificateLike],
) -> x509.Certificate | None:
    """Return the installed certificate that ``hash_data`` names, or ``None``.

    For DeleteCertificate and GetInstalledCertificateIds on the station side.
    Issuers are looked up among the installed certificates themselves; a
    certificate whose issuer is not installed can still match when it is
    self-signed.

    Raises:
        CertificateError: an installed certificate cannot be read, or the
            hash algorithm is unknown.
    """
    certs = [load_certificate(c) for c in installed]
    by_subject = {c.subject.public_bytes(): c for c in certs}
    for cert in certs:
        issuer = by_subject.get(cert.issuer.public_bytes())
        if issuer is None and not _is_self_issued(cert):
            continue
        if hash_data_matches(hash_data, cert, issuer=issuer):
            return cert
    return None


# --- chains ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ChainResult:
    """A verified path.

    Attributes:
        path: the certificates from the leaf to the trusted root.
        leaf: the first certificate.
        root: the trust root the path ends at.
    """

    path: tuple[x509.Certificate, ...]
    leaf: x509.Certificate
    root: x509.Certificate


def _check_time(cert: x509.Certificate, at: datetime, what: str) -> None:
    if at < cert.not_valid_before_utc:
        raise CertificateChainError(
            SecurityRule.NOT_YET_VALID,
            f"{what} is valid from {cert.not_valid_before_utc.isoformat()}",
        )
    if at > cert.not_valid_after_utc:
        raise CertificateChainError(
            SecurityRule.EXPIRED, f"{what} expired at {cert.not_valid_after_utc.isoformat()}"
        )


def _ca_path_length(cert: x509.Certificate) -> tuple[bool, int | None]:
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False, None
    except ValueError:
        raise CertificateError(SecurityRule.MALFORMED_DER, "the extensions do not decode") from None
    return bc.ca, bc.path_length


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def verify_chain(
    leaf: CertificateLike,
    *,
    roots: Iterable[CertificateLike] | bytes | str,
    at: datetime,
    intermediates: Iterable[CertificateLike] | bytes | str = (),
    max_length: int = MAX_CHAIN_LENGTH,
) -> ChainResult:
    """Build and check a path from ``leaf`` to one of ``roots`` at time ``at``.

    Args:
        leaf: the end-entity certificate.
        roots: the trust anchors (a PEM bundle or certificates).
        at: the time of the check (aware datetime).
        intermediates: candidate intermediate CAs (a PEM bundle or certificates).
        max_length: the bound on the path length and on each list.

    Returns:
        The path found.

    Raises:
        CertificateChainError: a certificate of the path is not yet valid or
            expired, an issuer is not a CA or its path length is exceeded, a
            signature does not verify, no issuer is found (``issuer-mismatch``),
            or the path does not end at a root (``untrusted``).
        CertificateError: unreadable input or too many certificates.
    """
    if at.utcoffset() is None:
        raise CertificateError(SecurityRule.MISSING_FIELD, "the check time must be aware")
    cert = load_certificate(leaf)
    root_list = load_many(roots, max_certificates=max_length)
    if not root_list:
        raise CertificateError(SecurityRule.MISSING_FIELD, "no trust root given")
    mids = load_many(intermediates, max_certificates=max_length)
    root_ders = {r.public_bytes(_DER) for r in root_list}
    path: list[x509.Certificate] = [cert]
    while True:
        current = path[-1]
        what = "the leaf certificate" if len(path) == 1 else f"chain certificate {len(path)}"
        _check_time(current, at, what)
        if current.public_bytes(_DER) in root_ders:
            return ChainResult(path=tuple(path), leaf=cert, root=current)
        if len(path) > max_length:
            raise CertificateChainError(SecurityRule.CHAIN_TOO_LONG, "the path is too long")
        named = [c for c in (*root_list, *mids) if c.subject == current.issuer and c not in path]
        if not named:
            if _is_self_issued(current):
                raise CertificateChainError(
                    SecurityRule.UNTRUSTED, f"{what} is self-signed and not a trusted root"
                )
            raise CertificateChainError(
                SecurityRule.ISSUER_MISMATCH, f"no given certificate is the issuer of {what}"
            )
        signer = next((c for c in named if _signed_by(current, c)), None)
        if signer is None:
            raise CertificateChainError(
                SecurityRule.BAD_SIGNATURE, f"the signature of {what} does not verify"
            )
        is_ca, path_length = _ca_path_length(signer)
        if not is_ca:
            raise CertificateChainError(
                SecurityRule.NOT_A_CA, "an issuing certificate is not marked as a CA"
            )
        below = len(path) - 1  # CA certificates between signer and leaf
        if path_length is not None and below > path_length:
            raise CertificateChainError(
                SecurityRule.NOT_A_CA, "an issuer's path length constraint is exceeded"
            )
        path.append(signer)


def load_many(
    data: Iterable[CertificateLike] | bytes | str | x509.Certificate,
    *,
    max_certificates: int = MAX_CHAIN_LENGTH,
) -> tuple[x509.Certificate, ...]:
    """Read a set of certificates: a PEM bundle, one certificate, or an iterable of them.

    An empty bundle (``b""``, ``""``, ``()``) gives an empty tuple.

    Raises:
        CertificateError: unreadable input or more than ``max_certificates``.
    """
    if isinstance(data, x509.Certificate):
        return (data,)
    if isinstance(data, bytes | bytearray | memoryview | str):
        empty = not data.strip() if isinstance(data, str) else not bytes(data).strip()
        if empty:
            return ()
        return load_certificate_chain(data, max_certificates=max_certificates)
    items: list[x509.Certificate] = []
    for item in data:
        if len(items) >= max_certificates:
            raise CertificateError(
                SecurityRule.CHAIN_TOO_LONG, f"more than {max_certificates} certificates"
            )
        items.append(load_certificate(item))
    return tuple(items)


# --- identities ------------------------------------------------------------------


def _single(name: x509.Name, oid: x509.ObjectIdentifier, label: str) -> str | None:
    attrs_ = name.get_attributes_for_oid(oid)
    if not attrs_:
        return None
    if len(attrs_) > 1:
        raise StationIdentityError(
            SecurityRule.MISSING_FIELD, f"the subject has more than one {label}"
        )
    value = attrs_[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


_URLISH = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def _looks_like_url_or_ip(text: str) -> bool:
    if _URLISH.match(text):
        return True
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def check_station_certificate(
    certificate: CertificateLike,
    *,
    identity: str,
    organization: str | None = None,
) -> tuple[str, str | None]:
    """Check that a client certificate belongs to this station (profile 3, CSMS side).

    The subject CN must equal the station identity (A00.FR.405 and
    A00.FR.511: the CN holds the station's unique serial number, which is the
    identity it connects with) and must not be a URL or an IP address
    (A00.FR.511); when ``organization`` is given, the subject O must equal it
    (A00.FR.404: the operator's name).

    Comparison is exact: certificates carry the names exactly as the CSR did.

    Returns:
        The (CN, O) of the subject.

    Raises:
        StationIdentityError: a missing or repeated CN/O, a CN that is not the
            identity or looks like a URL or IP, or an O that is not the operator.
        CertificateError: the certificate cannot be read.
    """
    cert = load_certificate(certificate)
    cn = _single(cert.subject, NameOID.COMMON_NAME, "CN")
    org = _single(cert.subject, NameOID.ORGANIZATION_NAME, "O")
    if cn is None:
        raise StationIdentityError(SecurityRule.MISSING_FIELD, "the subject has no CN")
    if _looks_like_url_or_ip(cn):
        raise StationIdentityError(
            SecurityRule.COMMON_NAME_IS_URL_OR_IP, "a station certificate's CN is a URL or IP"
        )
    if cn != identity:
        raise StationIdentityError(
            SecurityRule.COMMON_NAME_MISMATCH,
            f"the certificate's CN {cn[:64]!r} is not the station identity {identity[:64]!r}",
        )
    if organization is not None:
        if org is None:
            raise StationIdentityError(SecurityRule.MISSING_FIELD, "the subject has no O")
        if org != organization:
            raise StationIdentityError(
                SecurityRule.ORGANIZATION_MISMATCH,
                f"the certificate's O {org[:64]!r} is not the operator {organization[:64]!r}",
            )
    return cn, org


def check_csms_certificate(certificate: CertificateLike, *, fqdn: str) -> str:
    """Check that a server certificate names the CSMS host (station side).

    The subject CN must be the CSMS's fully qualified domain name
    (A00.FR.309 in 2.0.1, A00.FR.308 in 1.6; A00.FR.510). A ``dNSName`` in
    the subject alternative names is accepted too (the A00.FR.511 note allows
    it for a CSMS reached by several names). Host names compare
    case-insensitively; wildcards are not expanded.

    Returns:
        The CN.

    Raises:
        StationIdentityError: no CN, or neither the CN nor a SAN is ``fqdn``.
    """
    cert = load_certificate(certificate)
    cn = _single(cert.subject, NameOID.COMMON_NAME, "CN")
    if cn is None:
        raise StationIdentityError(SecurityRule.MISSING_FIELD, "the subject has no CN")
    wanted = fqdn.rstrip(".").lower()
    if cn.rstrip(".").lower() == wanted:
        return cn
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [n.rstrip(".").lower() for n in san.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        names = []
    if wanted in names:
        return cn
    raise StationIdentityError(
        SecurityRule.COMMON_NAME_MISMATCH, f"the CSMS certificate does not name {fqdn[:100]!r}"
    )


# --- certificate use types --------------------------------------------------------


class CertificateUse(enum.StrEnum):
    """A certificate use type of any version; the value is the 2.0.1/2.1 spelling.

    Read any version's spelling or enum member with :func:`parse_certificate_use`
    and write a version's spelling with :func:`certificate_use_value`.
    """

    V2G_ROOT_CERTIFICATE = "V2GRootCertificate"
    """Root of the ISO 15118 V2G hierarchy (2.0 spells it ``V2GRootCertficate``)."""
    MO_ROOT_CERTIFICATE = "MORootCertificate"
    """Root of a mobility operator's contract certificates."""
    CSMS_ROOT_CERTIFICATE = "CSMSRootCertificate"
    """Root of the CSMS's TLS certificate (1.6: ``CentralSystemRootCertificate``)."""
    MANUFACTURER_ROOT_CERTIFICATE = "ManufacturerRootCertificate"
    """Root that verifies firmware signing certificates."""
    OEM_ROOT_CERTIFICATE = "OEMRootCertificate"
    """Root of a vehicle maker's hierarchy (2.1)."""
    V2G_CERTIFICATE_CHAIN = "V2GCertificateChain"
    """The station's V2G certificate with its sub-CAs (GetInstalledCertificateIds)."""
    CHARGING_STATION_CERTIFICATE = "ChargingStationCertificate"
    """The station's own TLS client certificate (SignCertificate)."""
    V2G_CERTIFICATE = "V2GCertificate"
    """The station's ISO 15118-2 SECC certificate (SignCertificate)."""
    V2G20_CERTIFICATE = "V2G20Certificate"
    """The station's ISO 15118-20 certificate (2.1 SignCertificate)."""
    CSO_SUB_CA1 = "CSOSubCA1"
    """2.0 only: the operator's first sub-CA."""
    CSO_SUB_CA2 = "CSOSubCA2"
    """2.0 only: the operator's second sub-CA."""

    @property
    def is_root(self) -> bool:
        """True for the trust-anchor types (installed with InstallCertificate)."""
        return self in _ROOTS


_U = CertificateUse
_ROOTS: Final = frozenset(
    {
        _U.V2G_ROOT_CERTIFICATE,
        _U.MO_ROOT_CERTIFICATE,
        _U.CSMS_ROOT_CERTIFICATE,
        _U.MANUFACTURER_ROOT_CERTIFICATE,
        _U.OEM_ROOT_CERTIFICATE,
    }
)
_ALIASES_USE: Final = {
    "CentralSystemRootCertificate": _U.CSMS_ROOT_CERTIFICATE,
    "V2GRootCertficate": _U.V2G_ROOT_CERTIFICATE,
    "ChargePointCertificate": _U.CHARGING_STATION_CERTIFICATE,
}
_USES_IN: Final = {
    OcppVersion.V16: {_U.CSMS_ROOT_CERTIFICATE, _U.MANUFACTURER_ROOT_CERTIFICATE},
    OcppVersion.V20: {
        _U.V2G_ROOT_CERTIFICATE,
        _U.MO_ROOT_CERTIFICATE,
        _U.CSO_SUB_CA1,
        _U.CSO_SUB_CA2,
        _U.CSMS_ROOT_CERTIFICATE,
        _U.MANUFACTURER_ROOT_CERTIFICATE,
        _U.CHARGING_STATION_CERTIFICATE,
        _U.V2G_CERTIFICATE,
    },
    OcppVersion.V201: {
        _U.V2G_ROOT_CERTIFICATE,
        _U.MO_ROOT_CERTIFICATE,
        _U.CSMS_ROOT_CERTIFICATE,
        _U.MANUFACTURER_ROOT_CERTIFICATE,
        _U.V2G_CERTIFICATE_CHAIN,
        _U.CHARGING_STATION_CERTIFICATE,
        _U.V2G_CERTIFICATE,
    },
    OcppVersion.V21: {
        _U.V2G_ROOT_CERTIFICATE,
        _U.MO_ROOT_CERTIFICATE,
        _U.CSMS_ROOT_CERTIFICATE,
        _U.MANUFACTURER_ROOT_CERTIFICATE,
        _U.OEM_ROOT_CERTIFICATE,
        _U.V2G_CERTIFICATE_CHAIN,
        _U.CHARGING_STATION_CERTIFICATE,
        _U.V2G_CERTIFICATE,
        _U.V2G20_CERTIFICATE,
    },
}


def parse_certificate_use(value: CertificateUse | str | enum.Enum) -> CertificateUse:
    """Read a certificate use type from any version's spelling or enum member.

    Accepts the 2.x names, the 1.6 names (``CentralSystemRootCertificate``;
    ``ChargePointCertificate`` of the 1.6 SignChargePointCertificate trigger),
    2.0's ``V2GRootCertficate`` spelling, and members of every generated
    ``CertificateUseEnum``, ``InstallCertificateUseEnum``,
    ``GetCertificateIdUseEnum`` and ``CertificateSigningUseEnum``.

    Raises:
        SecurityCheckError: no version defines the name (``certificate-use``).

    >>> parse_certificate_use("CentralSystemRootCertificate")
    <CertificateUse.CSMS_ROOT_CERTIFICATE: 'CSMSRootCertificate'>
    """
    member = enum_member(CertificateUse, value, _ALIASES_USE)
    if member is None:
        raise SecurityCheckError(
            SecurityRule.CERTIFICATE_USE, f"unknown certificate use {show(value, 60)}"
        )
    return member


def certificate_use_value(use: CertificateUse | str | enum.Enum, version: VersionLike) -> str:
    """Return the spelling ``version`` uses for a certificate use type.

    Raises:
        SecurityCheckError: the version does not define the type (``version``).

    >>> certificate_use_value("CSMSRootCertificate", "1.6")
    'CentralSystemRootCertificate'
    >>> certificate_use_value("V2GRootCertificate", "2.0")
    'V2GRootCertficate'
    """
    ver = OcppVersion.parse(version)
    u = parse_certificate_use(use)
    if u not in _USES_IN[ver]:
        raise SecurityCheckError(
            SecurityRule.VERSION, f"OCPP {ver.value} has no certificate use {u.value}"
        )
    if ver is OcppVersion.V16 and u is _U.CSMS_ROOT_CERTIFICATE:
        return "CentralSystemRootCertificate"
    if ver is OcppVersion.V20 and u is _U.V2G_ROOT_CERTIFICATE:
        return "V2GRootCertficate"
    return u.value
