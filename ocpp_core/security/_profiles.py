"""Security profiles and the rules for moving between them.

Theory of operation
    A station and a CSMS use exactly one security profile on a connection
    (A00.FR.001); a CSMS refuses a station that connects with another profile
    than the one configured for it (A00.FR.002), and once a station has
    connected with a higher profile, never accepts the lower one again
    (A05.FR.09 in 1.6; use case A05 in 2.x). :func:`check_connection_profile`
    is that CSMS-side check.

    Changing the profile over OCPP (ChangeConfiguration ``SecurityProfile`` in
    1.6; ``SecurityCtrlr.SecurityProfile``, SetNetworkProfile or
    NetworkConfiguration in 2.x) may only raise it (A00.FR.005):

    * 1.6: a value lower than *or equal to* the current one is rejected
      (A05.FR.01); there is no downgrade at all.
    * 2.x: a lower value is rejected (B09.FR.04) unless the station has
      ``AllowSecurityProfileDowngrade`` set, which allows 3 to 2 only, never
      down to 1 (B09.FR.31); the same value is accepted (a new URL or slot).
    * prerequisites of the new profile (A05.FR.02-04 in 1.6; use case A05 in
      2.x): profiles 1 and 2 need a Basic-auth password that meets the
      version's rules (the same rules as the handshake helpers of
      :mod:`ocpp_core.rpc`), profiles 2 and 3 a valid CSMSRootCertificate,
      profile 3 a valid station certificate.

    A station that cannot connect with the new profile *may* go back to the
    previous settings (1.6 A05.FR.08); that is reconnect logic of the host
    and not a profile change the CSMS can order.
"""

from __future__ import annotations

import enum

from ocpp_core.errors import HandshakeError, SecurityProfileError, SecurityRule
from ocpp_core.rpc._handshake import _check_password, authorization_key_to_password
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = [
    "SecurityProfile",
    "check_connection_profile",
    "check_profile_change",
    "parse_profile",
]


class SecurityProfile(enum.IntEnum):
    """An OCPP security profile."""

    NONE = 0
    """1.6 only: no security profile configured yet (the SecurityProfile key's default)."""
    BASIC_AUTH = 1
    """Unsecured transport with HTTP Basic authentication (trusted networks only)."""
    TLS_BASIC_AUTH = 2
    """TLS with HTTP Basic authentication; the CSMS has a server certificate."""
    TLS_CLIENT_CERTIFICATE = 3
    """TLS with client-side certificates on both ends."""

    @property
    def uses_tls(self) -> bool:
        """True for profiles 2 and 3."""
        return self >= SecurityProfile.TLS_BASIC_AUTH

    @property
    def uses_basic_auth(self) -> bool:
        """True for profiles 1 and 2."""
        return self in (SecurityProfile.BASIC_AUTH, SecurityProfile.TLS_BASIC_AUTH)


def parse_profile(value: SecurityProfile | int | str, version: VersionLike) -> SecurityProfile:
    """Read a profile number (enum, int or its text, as configuration values are text).

    Raises:
        SecurityProfileError: not 1-3 (0 is accepted for 1.6 only) (``profile-unknown``).

    >>> parse_profile("2", "2.0.1")
    <SecurityProfile.TLS_BASIC_AUTH: 2>
    """
    ver = OcppVersion.parse(version)
    number: int | None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 3:
        number = int(value.strip())
    else:
        number = None
    lowest = 0 if ver is OcppVersion.V16 else 1
    if number is None or not lowest <= number <= 3:
        shown = str(value)[:20]
        raise SecurityProfileError(
            SecurityRule.PROFILE_UNKNOWN, f"OCPP {ver.value} has no security profile {shown!r}"
        )
    return SecurityProfile(number)


def check_connection_profile(
    used: SecurityProfile | int | str,
    *,
    configured: SecurityProfile | int | str,
    version: VersionLike,
) -> None:
    """CSMS side: refuse a connection made with another profile than configured.

    ``configured`` is the profile the CSMS has for the station (after a
    successful upgrade, the new one: A05.FR.09 forbids the old one).

    Raises:
        SecurityProfileError: ``profile-mismatch`` (A00.FR.002).
    """
    ver = OcppVersion.parse(version)
    got = parse_profile(used, ver)
    want = parse_profile(configured, ver)
    if got is not want:
        raise SecurityProfileError(
            SecurityRule.PROFILE_MISMATCH,
            f"the station connected with profile {int(got)}; profile {int(want)} is configured",
        )


def check_profile_change(
    current: SecurityProfile | int | str,
    new: SecurityProfile | int | str,
    version: VersionLike,
    *,
    basic_auth_password: str | bytes | None = None,
    csms_root_installed: bool = False,
    station_certificate_installed: bool = False,
    allow_downgrade: bool = False,
) -> SecurityProfile:
    """Station side: decide whether a request to change the security profile is accepted.

    Args:
        current: the profile in use.
        new: the profile asked for.
        version: the OCPP version.
        basic_auth_password: for profiles 1 and 2: 1.6 the ``AuthorizationKey``
            value (hexadecimal text, or the password bytes); 2.x the
            ``BasicAuthPassword``. Checked with the version's password rules.
        csms_root_installed: a valid CSMSRootCertificate is installed.
        station_certificate_installed: a valid station certificate is installed.
        allow_downgrade: 2.x ``AllowSecurityProfileDowngrade`` is true
            (allows 3 to 2 only; ignored for 1.6).

    Returns:
        The new profile (accept the request: answer Accepted and reconnect).

    Raises:
        SecurityProfileError: ``profile-downgrade`` or ``profile-prerequisite``
            (answer Rejected and change nothing), or ``profile-unknown``.
    """
    ver = OcppVersion.parse(version)
    cur = parse_profile(current, ver)
    nxt = parse_profile(new, ver)
    if nxt is SecurityProfile.NONE:
        raise SecurityProfileError(SecurityRule.PROFILE_DOWNGRADE, "profile 0 cannot be set")
    if ver is OcppVersion.V16:
        if nxt <= cur:
            raise SecurityProfileError(
                SecurityRule.PROFILE_DOWNGRADE,
                f"OCPP 1.6 only accepts a higher profile than {int(cur)} (A05.FR.01)",
            )
    elif nxt < cur and not (
        allow_downgrade
        and cur is SecurityProfile.TLS_CLIENT_CERTIFICATE
        and nxt is SecurityProfile.TLS_BASIC_AUTH
    ):
        raise SecurityProfileError(
            SecurityRule.PROFILE_DOWNGRADE,
            f"profile {int(cur)} may not be lowered to {int(nxt)}"
            + (" (only 3 to 2 with AllowSecurityProfileDowngrade)" if allow_downgrade else ""),
        )
    if nxt.uses_basic_auth:
        if basic_auth_password is None:
            raise SecurityProfileError(
                SecurityRule.PROFILE_PREREQUISITE, f"profile {int(nxt)} needs a Basic-auth password"
            )
        try:
            if ver is OcppVersion.V16 and isinstance(basic_auth_password, str):
                authorization_key_to_password(basic_auth_password)
            else:
                secret = (
                    basic_auth_password.encode("utf-8")
                    if isinstance(basic_auth_password, str)
                    else bytes(basic_auth_password)
                )
                _check_password(secret, ver)
        except HandshakeError as exc:
            raise SecurityProfileError(
                SecurityRule.PROFILE_PREREQUISITE, f"the Basic-auth password is unusable: {exc}"
            ) from None
    if nxt.uses_tls and not csms_root_installed:
        raise SecurityProfileError(
            SecurityRule.PROFILE_PREREQUISITE,
            f"profile {int(nxt)} needs a valid CSMSRootCertificate",
        )
    if nxt is SecurityProfile.TLS_CLIENT_CERTIFICATE and not station_certificate_installed:
        raise SecurityProfileError(
            SecurityRule.PROFILE_PREREQUISITE,
            "profile 3 needs a valid charging station certificate",
        )
    return nxt
