"""A throwaway PKI made with ``cryptography`` in memory, for the security tests.

An operator root CA, a CSMS server certificate (CN = the host name), station
client certificates (CN = identity, O = operator), a manufacturer root and a
firmware signing certificate. Everything is PEM bytes; nothing is written
unless a test writes it to its own tmp dir.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OPERATOR = "Example CPO"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_key(curve: ec.EllipticCurve | None = None) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(curve or ec.SECP256R1())


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def name(cn: str, org: str | None = None) -> x509.Name:
    attrs_ = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org is not None:
        attrs_.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs_)


@attrs.frozen
class Issued:
    cert: x509.Certificate
    key: PrivateKey

    @property
    def pem(self) -> bytes:
        return pem(self.cert)

    @property
    def key_pem(self) -> bytes:
        return key_pem(self.key)


def issue(
    subject: x509.Name,
    *,
    key: PrivateKey | None = None,
    issuer: Issued | None = None,
    ca: bool = False,
    path_length: int | None = None,
    serial: int = 0x1000,
    not_before: datetime = NOW - timedelta(days=30),
    not_after: datetime = NOW + timedelta(days=365),
    server_names: tuple[str, ...] = (),
    client: bool = False,
    server: bool = False,
    ocsp_url: str | None = None,
    hash_algorithm: hashes.HashAlgorithm | None = None,
) -> Issued:
    key = key or ec_key()
    signer_key = issuer.key if issuer is not None else key
    issuer_name = issuer.cert.subject if issuer is not None else subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True
        )
    )
    if server_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in server_names]), critical=False
        )
    usages = []
    if client:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    if server:
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    if ocsp_url is not None:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
                    )
                ]
            ),
            critical=False,
        )
    cert = builder.sign(signer_key, hash_algorithm or hashes.SHA256())
    return Issued(cert=cert, key=key)


def root_ca(cn: str = "Example Root CA", *, key: PrivateKey | None = None) -> Issued:
    return issue(
        name(cn, OPERATOR), key=key, ca=True, serial=1, not_after=NOW + timedelta(days=3650)
    )


class Pki:
    def __init__(self, tmp: Path) -> None:
        self.root = root_ca()
        self.csms = issue(
            name("localhost", OPERATOR),
            issuer=self.root,
            server_names=("localhost",),
            server=True,
            serial=0x2001,
        )
        self.stations = {
            ident: issue(name(ident, OPERATOR), issuer=self.root, client=True, serial=0x3000 + i)
            for i, ident in enumerate(("CP_1", "CP_2"))
        }
        self.tmp = tmp
        self.csms_cert = self._write("csms.pem", self.csms.pem + self.root.pem)
        self.csms_key = self._write("csms.key", self.csms.key_pem)
        self.root_file = self._write("root.pem", self.root.pem)

    def _write(self, file: str, data: bytes) -> Path:
        path = self.tmp / file
        path.write_bytes(data)
        return path

    def station_files(self, ident: str) -> tuple[Path, Path]:
        issued = self.stations[ident]
        return (
            self._write(f"{ident}.pem", issued.pem),
            self._write(f"{ident}.key", issued.key_pem),
        )
