"""Conversion of enum-typed input to the engine's own enums.

Every enum-typed field of a public smart-charging value, and every
enum-typed parameter of a public function, goes through :func:`to_enum`:
the engine's own member is kept, a plain string or a message enum of any
OCPP version (``v16.ChargingRateUnitType.A``, ``v201.ChargingRateUnitEnum.A``,
...) whose value equals a member's value is converted to that member, and
anything else is refused with :class:`~ocpp_core.errors.SmartChargingValueError`
naming the field. Inside the engine enums may then be compared by identity,
because user input never reaches a comparison unconverted.

Each field has its own small named converter (attrs' mypy plugin accepts
only named functions), so the error names the field, e.g.
``ChargingSchedule.charging_rate_unit``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from ocpp_core._enums import enum_member
from ocpp_core.errors import SmartChargingValueError
from ocpp_core.versions import OcppVersion

__all__ = ["enum_tuple", "to_enum", "to_version"]

E = TypeVar("E", bound=enum.Enum)


def _expected(cls: type[enum.Enum]) -> str:
    values = ", ".join(str(member.value) for member in cls)
    return f"a {cls.__name__} ({values})"


def to_enum(cls: type[E], value: object, field: str, aliases: Mapping[str, E] | None = None) -> E:
    """Return ``value`` as a member of ``cls``.

    Args:
        cls: the engine's enum.
        value: a member of ``cls``, a string equal to a member's value, or a
            member of any other enum (a message enum of any OCPP version) whose
            value is such a string.
        field: the field or parameter, for the error.
        aliases: further accepted values (e.g. 1.6 ``ChargePointMaxProfile``).

    Raises:
        SmartChargingValueError: ``value`` names no member.
    """
    member = enum_member(cls, value, aliases)
    if member is None:
        raise SmartChargingValueError(field, value, _expected(cls))
    return member


def enum_tuple(
    cls: type[E], values: object, field: str, aliases: Mapping[str, E] | None = None
) -> tuple[E, ...]:
    """Return the members of a collection of values, as :func:`to_enum` converts each.

    Raises:
        SmartChargingValueError: ``values`` is not a collection (a string is not),
            or one of its items names no member (the error names the item's index).
    """
    if isinstance(values, str | bytes | enum.Enum) or not isinstance(values, Iterable):
        raise SmartChargingValueError(field, values, f"a collection of {_expected(cls)}")
    items: Iterable[Any] = values
    return tuple(
        to_enum(cls, item, f"{field}[{index}]", aliases) for index, item in enumerate(items)
    )


def to_version(value: object, field: str) -> OcppVersion:
    """Return ``value`` as an :class:`~ocpp_core.versions.OcppVersion`.

    Accepts what :meth:`OcppVersion.parse` accepts (the enum, ``"2.0.1"``,
    ``"ocpp2.0.1"``).

    Raises:
        SmartChargingValueError: ``value`` names no version.
    """
    if type(value) is OcppVersion:
        return value
    if isinstance(value, str):
        try:
            return OcppVersion.parse(value)
        except ValueError:
            pass
    raise SmartChargingValueError(field, value, _expected(OcppVersion))
