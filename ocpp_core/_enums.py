"""One rule for reading enum-typed input, shared by every package.

Users pass enum-typed values in three natural forms: the library's own member,
a plain string equal to a member's value, or a member of a generated message
enum of any OCPP version (``v16.ChargingRateUnitType.A``,
``v201.ChargingRateUnitEnum.A``), whose value is such a string.
:func:`enum_member` maps all three to the member of the wanted enum, by value
and never by identity, and returns ``None`` for anything else. Each package
raises its own typed error, naming the field, when it gets ``None``; the
matching itself lives only here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TypeVar

__all__ = ["enum_member"]

E = TypeVar("E", bound=enum.Enum)


def enum_member(cls: type[E], value: object, aliases: Mapping[str, E] | None = None) -> E | None:
    """Return the member of ``cls`` that ``value`` names, or ``None``.

    Args:
        cls: the wanted enum.
        value: a member of ``cls``; a string equal to a member's value; a member
            of any other enum whose value is such a string; or a string in
            ``aliases``.
        aliases: further accepted spellings (for example the 1.6 names of a
            2.x value), matched exactly.

    >>> import enum
    >>> class Unit(enum.StrEnum):
    ...     A = "A"
    ...     W = "W"
    >>> class Other(enum.StrEnum):
    ...     WATT = "W"
    >>> enum_member(Unit, "A"), enum_member(Unit, Other.WATT), enum_member(Unit, "a")
    (<Unit.A: 'A'>, <Unit.W: 'W'>, None)
    """
    if type(value) is cls:
        return value
    text = value.value if isinstance(value, enum.Enum) else value
    if not isinstance(text, str):
        return None
    try:
        return cls(text)
    except ValueError:
        pass
    if aliases is not None:
        return aliases.get(text)
    return None
