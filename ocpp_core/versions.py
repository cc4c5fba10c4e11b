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
                or a subprotocol name such as ``"ocpp2.0.1"``.

        Raises:
            ValueError: when ``value`` names no known version.
        """
        if isinstance(value, OcppVersion):
            return value
        if isinstance(value, str):
            text = value[4:] if value.startswith("ocpp") else value
            try:
                return cls(text)
            except ValueError:
                pass
        known = ", ".join(v.value for v in cls)
        raise ValueError(f"unknown OCPP version {value!r} (known: {known})")


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

    @property
    def peer(self) -> Role:
        """The other end of the connection."""
        return Role.CSMS if self is Role.CHARGING_STATION else Role.CHARGING_STATION
