"""OCPP versions known to ``ocpp_core`` and their WebSocket subprotocol names."""

from __future__ import annotations

import enum

__all__ = ["OcppVersion", "Role", "VersionLike"]


class OcppVersion(enum.StrEnum):
    """An OCPP version: the string values are the versions' own numbers.

    ``OcppVersion("2.0.1")`` and :meth:`OcppVersion.parse` accept the number;
    :meth:`parse` also accepts the subprotocol name (``"ocpp2.0.1"``).
    """

    V16 = "1.6"
    """OCPP 1.6 (JSON), including the security-extension messages."""
    V20 = "2.0"
    """OCPP 2.0 (2018); superseded by 2.0.1 and kept for reference."""
    V201 = "2.0.1"
    """OCPP 2.0.1."""
    V21 = "2.1"
    """OCPP 2.1."""

    @property
    def subprotocol(self) -> str:
        """The ``Sec-WebSocket-Protocol`` name of this version, e.g. ``ocpp2.0.1``."""
        return "ocpp" + self.value

    @property
    def package(self) -> str:
        """The name of the generated package of this version, e.g. ``ocpp_core.v201``.

        This is the one map from a version to its generated code.
        """
        return "ocpp_core.v" + self.value.replace(".", "")

    @property
    def is_2x(self) -> bool:
        """True for the 2.x family (2.0, 2.0.1, 2.1)."""
        return self is not OcppVersion.V16

    @classmethod
    def parse(cls, value: VersionLike) -> OcppVersion:
        """Return the version named by ``value``.

        Args:
            value: an :class:`OcppVersion`, a version number such as ``"2.0.1"``
                or a subprotocol name such as ``"ocpp2.0.1"``. A number that
                names a version exactly is accepted too (``1.6``, ``2.0``,
                ``2.1``); 2.0.1 cannot be a number, so strings are the rule.

        Raises:
            ValueError: when ``value`` names no known version; the message
                lists the known ones.

        >>> OcppVersion.parse("ocpp2.0.1"), OcppVersion.parse(1.6)
        (<OcppVersion.V201: '2.0.1'>, <OcppVersion.V16: '1.6'>)
        """
        if isinstance(value, OcppVersion):
            return value
        known = ", ".join(repr(v.value) for v in cls)
        if isinstance(value, str):
            text = value[4:] if value.startswith("ocpp") else value
            try:
                return cls(text)
            except ValueError:
                pass
            if not value.strip():
                raise ValueError(f"no OCPP version given (expected one of {known})")
        elif isinstance(value, float) and repr(value) in cls._value2member_map_:
            return cls(repr(value))
        elif value is None:
            raise ValueError(f"no OCPP version given (expected one of {known})")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(
                f"OCPP version {value!r} is a number that names no version; pass the "
                f"version as a string, one of {known}"
            )
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise ValueError(f"unknown OCPP version {shown} (known: {known})")


VersionLike = OcppVersion | str
"""What the public functions accept as a version: the enum or its number."""


class Role(enum.StrEnum):
    """The two ends of an OCPP connection.

    OCPP 1.6 calls them Charge Point and Central System; 2.x calls them
    Charging Station and CSMS. ``ocpp_core`` uses the 2.x names for all versions.
    """

    CHARGING_STATION = "ChargingStation"
    """The charging station (1.6: Charge Point)."""
    CSMS = "CSMS"
    """The management system (1.6: Central System)."""

    @classmethod
    def parse(cls, value: Role | str) -> Role:
        """Return the role named by ``value``, in the 2.x or the 1.6 words.

        Accepted, in any letter case: ``ChargingStation``, ``ChargePoint``,
        ``CP``, ``Station`` for the charging station; ``CSMS``,
        ``CentralSystem``, ``Central`` for the management system (the words the
        log grammar of ``ocpp-core check`` accepts). ``CS`` is refused: it is
        the Charging Station in 2.x and the Central System in 1.6.

        Raises:
            ValueError: ``value`` names no role; the message lists the valid values.

        >>> Role.parse("CentralSystem"), Role.parse("chargepoint")
        (<Role.CSMS: 'CSMS'>, <Role.CHARGING_STATION: 'ChargingStation'>)
        """
        if isinstance(value, Role):
            return value
        if isinstance(value, str):
            role = _ROLE_NAMES.get(value.replace(" ", "").replace("_", "").lower())
            if role is not None:
                return role
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        hint = (
            " ('CS' is ambiguous: the Charging Station in 2.x, the Central System in 1.6)"
            if isinstance(value, str) and value.strip().lower() == "cs"
            else ""
        )
        raise ValueError(
            f"unknown role {shown}{hint}; expected 'ChargingStation' or 'CSMS' (1.6 names "
            "'ChargePoint' and 'CentralSystem' are accepted too)"
        )

    @property
    def peer(self) -> Role:
        """The other end of the connection."""
        return Role.CSMS if self is Role.CHARGING_STATION else Role.CHARGING_STATION


_ROLE_NAMES = {
    **dict.fromkeys(("chargingstation", "chargepoint", "cp", "station"), Role.CHARGING_STATION),
    **dict.fromkeys(("csms", "centralsystem", "central"), Role.CSMS),
}
