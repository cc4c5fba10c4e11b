"""Pure helpers for the WebSocket opening handshake of OCPP-J.

Subprotocols (OCPP-J 1.6 section 3.1.2; 2.x section 3.1.2)
    The client offers one or more of ``ocpp1.6``, ``ocpp2.0``, ``ocpp2.0.1``,
    ``ocpp2.1`` in ``Sec-WebSocket-Protocol``; the server picks one and echoes
    it, or refuses the connection. :func:`choose_subprotocol` picks the newest
    version both sides support by default, whatever the order of the offer,
    so the choice is deterministic; names are matched exactly (RFC 6455
    subprotocol names are case-sensitive). An empty or missing offer gives
    ``None``: refusing is then the host's decision.

HTTP Basic authentication (security profiles 1 and 2)
    The username is the charging station's identity, the password is:

    * OCPP 1.6 (security whitepaper): the ``AuthorizationKey``, 16 to 20 bytes,
      which the CSMS sets as a hexadecimal string of at most 40 digits; the
      bytes themselves are what the header carries
      (:func:`authorization_key_to_password`);
    * OCPP 2.0, 2.0.1 and 2.1: ``BasicAuthPassword``, a string of 16 to 40
      characters.

    RFC 7617 section 2: the username may not contain ``:``; neither part may
    contain control characters. Headers longer than :data:`MAX_AUTH_HEADER`
    are refused before decoding.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from typing import Final, Literal

import attrs

from ocpp_core.errors import HandshakeError
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = [
    "BasicCredentials",
    "MAX_AUTH_HEADER",
    "SUBPROTOCOLS",
    "authorization_key_to_password",
    "basic_auth_header",
    "choose_subprotocol",
    "parse_basic_auth",
    "parse_subprotocols",
    "password_to_authorization_key",
    "subprotocol_for",
    "version_for_subprotocol",
]

_NEWEST_FIRST: Final = (OcppVersion.V21, OcppVersion.V201, OcppVersion.V20, OcppVersion.V16)

SUBPROTOCOLS: Final = {version: version.subprotocol for version in _NEWEST_FIRST}
"""The ``Sec-WebSocket-Protocol`` name of each version, newest first."""

_BY_NAME: Final = {name: version for version, name in SUBPROTOCOLS.items()}

MAX_AUTH_HEADER: Final = 512
"""The longest ``Authorization`` header value :func:`parse_basic_auth` decodes."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def subprotocol_for(version: VersionLike) -> str:
    """Return the subprotocol name of ``version``.

    >>> subprotocol_for("2.0.1")
    'ocpp2.0.1'
    """
    return OcppVersion.parse(version).subprotocol


def version_for_subprotocol(name: str) -> OcppVersion | None:
    """Return the version a subprotocol name stands for, or ``None`` (exact match).

    >>> version_for_subprotocol("ocpp1.6")
    <OcppVersion.V16: '1.6'>
    >>> version_for_subprotocol("OCPP1.6") is None
    True
    """
    return _BY_NAME.get(name)


def parse_subprotocols(offer: str | Iterable[str] | None) -> tuple[str, ...]:
    """Split ``Sec-WebSocket-Protocol`` header values into names, in order, without repeats.

    Args:
        offer: one header value (``"ocpp2.0.1, ocpp1.6"``), several values
            (the header may be sent more than once), or ``None``.

    >>> parse_subprotocols(["ocpp2.0.1, ocpp1.6", "ocpp1.6"])
    ('ocpp2.0.1', 'ocpp1.6')
    """
    if offer is None:
        return ()
    values = [offer] if isinstance(offer, str) else list(offer)
    names: dict[str, None] = {}
    for value in values:
        for part in value.split(","):
            name = part.strip(" \t")
            if name:
                names[name] = None
    return tuple(names)


def choose_subprotocol(
    offer: str | Iterable[str] | None,
    supported: Iterable[VersionLike] = _NEWEST_FIRST,
    *,
    prefer: Literal["newest", "client"] = "newest",
) -> OcppVersion | None:
    """Pick the version to speak from a client's subprotocol offer.

    Args:
        offer: the ``Sec-WebSocket-Protocol`` value(s) the client sent.
        supported: the versions this server speaks (default: all four).
        prefer: ``"newest"`` picks the newest common version whatever the
            order of the offer; ``"client"`` picks the first offered name
            that is supported (RFC 6455 lists the client's preference first).

    Returns:
        The chosen version (echo ``version.subprotocol`` in the response), or
        ``None`` when nothing offered is supported or nothing was offered.

    >>> choose_subprotocol("ocpp1.6, ocpp2.0.1")
    <OcppVersion.V201: '2.0.1'>
    >>> choose_subprotocol("ocpp1.6, ocpp2.0.1", prefer="client")
    <OcppVersion.V16: '1.6'>
    >>> choose_subprotocol("ocpp1.5") is None
    True
    """
    ours = {OcppVersion.parse(v) for v in supported}
    offered = [v for v in (_BY_NAME.get(n) for n in parse_subprotocols(offer)) if v in ours]
    if not offered:
        return None
    if prefer == "client":
        return offered[0]
    return next(v for v in _NEWEST_FIRST if v in offered)


# --- HTTP Basic authentication ---------------------------------------------------


@attrs.frozen(kw_only=True)
class BasicCredentials:
    """The credentials read from an ``Authorization: Basic ...`` header.

    Attributes:
        username: the charging station identity.
        password: the password bytes as sent (1.6: the AuthorizationKey bytes;
            2.x: the UTF-8 bytes of BasicAuthPassword). Compare them with
            :func:`hmac.compare_digest`.
    """

    username: str
    password: bytes = attrs.field(repr=False)

    def password_text(self) -> str:
        """Return the password as text (2.x passwords are text).

        Raises:
            HandshakeError: the password bytes are not UTF-8.
        """
        try:
            return self.password.decode("utf-8")
        except UnicodeDecodeError:
            raise HandshakeError("the password is not UTF-8 text") from None


def authorization_key_to_password(key: str) -> bytes:
    """Turn a 1.6 ``AuthorizationKey`` value (hexadecimal) into the password bytes.

    Raises:
        HandshakeError: the key is not an even number of hex digits for 16 to
            20 bytes.

    >>> authorization_key_to_password("4F43415F4F4354545F61646D696E5F74657374")
    b'OCA_OCTT_admin_test'
    """
    if not re.fullmatch(r"(?:[0-9A-Fa-f]{2}){16,20}", key):
        raise HandshakeError("an AuthorizationKey is 32 to 40 hexadecimal digits (16 to 20 bytes)")
    return bytes.fromhex(key)


def password_to_authorization_key(password: bytes) -> str:
    """Turn 1.6 password bytes into the hexadecimal ``AuthorizationKey`` value.

    Raises:
        HandshakeError: the password is not 16 to 20 bytes.

    >>> password_to_authorization_key(b"OCA_OCTT_admin_test")
    '4F43415F4F4354545F61646D696E5F74657374'
    """
    _check_password(password, OcppVersion.V16)
    return password.hex().upper()


def _password_bytes(password: str | bytes) -> bytes:
    return password.encode("utf-8") if isinstance(password, str) else bytes(password)


def _check_username(username: str) -> None:
    if not username:
        raise HandshakeError("the username (charging station identity) is empty")
    if ":" in username or _CONTROL.search(username):
        raise HandshakeError("the username may not contain ':' or control characters (RFC 7617)")


def _check_password(password: bytes, version: OcppVersion) -> None:
    if version is OcppVersion.V16:
        if not 16 <= len(password) <= 20:
            raise HandshakeError("an OCPP 1.6 password (AuthorizationKey) is 16 to 20 bytes")
        return
    try:
        text = password.decode("utf-8")
    except UnicodeDecodeError:
        raise HandshakeError(
            f"an OCPP {version.value} password (BasicAuthPassword) is text"
        ) from None
    if not 16 <= len(text) <= 40:
        raise HandshakeError(
            f"an OCPP {version.value} password (BasicAuthPassword) is 16 to 40 characters"
        )
    if _CONTROL.search(text):
        raise HandshakeError("the password may not contain control characters")


def basic_auth_header(username: str, password: str | bytes, version: VersionLike) -> str:
    """Build the ``Authorization`` header value for security profiles 1 and 2.

    Args:
        username: the charging station identity.
        password: 1.6: the 16 to 20 password bytes (see
            :func:`authorization_key_to_password`); 2.x: the 16 to 40
            character BasicAuthPassword. Text is sent as UTF-8.
        version: the OCPP version whose password rules apply.

    Raises:
        HandshakeError: a rule of the version or of RFC 7617 is broken.

    >>> basic_auth_header("CP_1", "0123456789abcdef", "2.0.1")
    'Basic Q1BfMTowMTIzNDU2Nzg5YWJjZGVm'
    """
    ver = OcppVersion.parse(version)
    _check_username(username)
    secret = _password_bytes(password)
    _check_password(secret, ver)
    token = base64.b64encode(username.encode("utf-8") + b":" + secret).decode("ascii")
    return "Basic " + token


def parse_basic_auth(header: str, version: VersionLike) -> BasicCredentials:
    """Read an ``Authorization: Basic ...`` header value and check the version's rules.

    Args:
        header: the header value, e.g. ``"Basic Q1BfMTo..."`` (the scheme is
            case-insensitive, RFC 7617).
        version: the OCPP version whose password rules apply.

    Returns:
        The username and password; checking them against the expected ones
        is the host's job (use a constant-time comparison).

    Raises:
        HandshakeError: the header is too long, not Basic, not base64, has no
            ``:``, or breaks a rule of the version.

    >>> parse_basic_auth("Basic Q1BfMTowMTIzNDU2Nzg5YWJjZGVm", "2.0.1").username
    'CP_1'
    """
    ver = OcppVersion.parse(version)
    if not isinstance(header, str) or len(header) > MAX_AUTH_HEADER:
        raise HandshakeError(f"the Authorization header is not text of at most {MAX_AUTH_HEADER}")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise HandshakeError("the Authorization header does not use the Basic scheme")
    try:
        raw = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise HandshakeError("the Basic credentials are not base64") from None
    user_bytes, colon, secret = raw.partition(b":")
    if not colon:
        raise HandshakeError("the Basic credentials have no ':' between username and password")
    try:
        username = user_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise HandshakeError("the username is not UTF-8") from None
    _check_username(username)
    _check_password(secret, ver)
    return BasicCredentials(username=username, password=secret)
