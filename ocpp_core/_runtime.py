"""Runtime helpers of the generated decoders and encoders.

The generated ``_codec`` module of each version holds one straight-line
decoder and one encoder per class; they call into this module only on the
slow paths (a failure, an optional leniency, a timestamp). Failures are
raised as :class:`DecodeFailure` carrying the path from the failing value up;
:func:`ocpp_core.decode_payload` turns it into a :class:`~ocpp_core.PayloadError`
with the version's CallError code. ``try`` blocks cost nothing in CPython
3.11 until something raises, so the path is built only when it is needed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from ocpp_core._text import show
from ocpp_core.errors import DecodeFailure, EncodeError, PayloadRule
from ocpp_core.versions import OcppVersion

__all__ = [
    "DecodeFailure",
    "DecodeOptions",
    "EncodeError",
    "MessageMeta",
]


@attrs.frozen(kw_only=True)
class DecodeOptions:
    """Named departures from the official schemas that real chargers need.

    Every option is off by default, so the default decoder accepts exactly
    what the official schemas accept. Each option is documented with the
    field problem it answers; none of them turns an unknown value into a
    default.
    """

    lenient_timestamps: bool = False
    """Accept any ISO 8601 form Python's ``datetime.fromisoformat`` reads
    (a space for ``T``, ``+02`` offsets, no seconds), and read a timestamp
    without an offset as UTC. Off: RFC 3339 ``date-time`` only, offset required."""
    null_as_absent: bool = False
    """Read ``null`` for an optional field as the field being absent (common in
    the field; the schemas allow no ``null`` anywhere). A ``null`` for a
    required field stays an error."""
    ignore_unknown_properties: bool = False
    """Drop properties the schema does not define instead of rejecting the
    payload (e.g. a 1.6 charger that adds ``chargeBoxId`` everywhere)."""
    celsius_spellings: bool = False
    """OCPP 1.6: accept ``Celsius`` and ``Celcius`` wherever either is a unit
    value (the 1.6 StopTransaction schema has only ``Celcius``; the OCA errata
    advises accepting both). The value is read as the spelling the field's
    enumeration has."""
    frequency_units: bool = False
    """OCPP 1.6: accept ``Hertz`` (added by errata sheet v4.0, item 3.84, but
    not in the schemas) and the non-standard ``Hz`` as a unit of measure; both
    are read as ``UnitOfMeasure.HERTZ``."""
    coerce_config_values: bool = False
    """OCPP 1.6: accept a number or boolean as a configuration value
    (ChangeConfiguration ``value``, GetConfiguration ``configurationKey[].value``)
    and read it as its JSON text (``true``, ``60``)."""
    data_transfer_json_data: bool = False
    """OCPP 1.6: accept a JSON object or array as DataTransfer ``data`` (the
    schema wants a string) and read it as its compact JSON text."""

    @classmethod
    def lenient(cls) -> DecodeOptions:
        """Return options with every leniency switched on."""
        return cls(**dict.fromkeys(attrs.fields_dict(cls), True))


STRICT = DecodeOptions()
"""The default options: exactly the official schemas."""


@attrs.frozen(kw_only=True)
class MessageMeta:
    """What a generated message class is: its version, action and kind."""

    version: OcppVersion
    """The OCPP version whose schema the class comes from."""
    action: str
    """The action name, e.g. ``BootNotification``."""
    kind: str
    """``"request"`` or ``"response"``."""


def json_type(value: object) -> str:
    """Return the JSON type name of a decoded value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def fail_type(expected: str, value: object, key: str | int | None = None) -> DecodeFailure:
    """Return the failure for a value of the wrong JSON type."""
    if isinstance(value, float) and not math.isfinite(value):
        detail = f"{value!r} is not a JSON number"
    else:
        shown = show(value)
        if shown == "null" or shown.startswith(("a ", "an ")):
            detail = f"expected {expected}, got {shown}"
        else:
            detail = f"expected {expected}, got {json_type(value)} {shown}"
    return DecodeFailure(PayloadRule.TYPE, detail, [] if key is None else [key])


def fail(rule: PayloadRule, detail: str, key: str | int | None = None) -> DecodeFailure:
    """Return a failure of ``rule`` at ``key``."""
    return DecodeFailure(rule, detail, [] if key is None else [key])


def not_a_payload(value: object) -> DecodeFailure:
    """Return the failure for a whole payload that is not a JSON object."""
    return DecodeFailure(PayloadRule.NOT_AN_OBJECT, f"payload must be an object, got {show(value)}")


def not_object(value: object) -> DecodeFailure:
    """Return the failure for a value that should be an object."""
    return fail_type("object", value)


def missing(data: Mapping[str, Any], key: str) -> DecodeFailure:
    """Return the failure for a required property that is absent or ``null``."""
    if key in data:
        return fail_type("a value (required property)", None, key)
    return DecodeFailure(PayloadRule.REQUIRED, f"required property {key!r} is missing", [])


def check_extra(
    data: Mapping[str, Any],
    known: frozenset[str],
    options: DecodeOptions,
    nullable: frozenset[str] = frozenset(),
) -> None:
    """Check the properties the fast path did not count.

    The generated decoder counts the known properties with a non-null value;
    when that count differs from ``len(data)`` this finds out why: a ``null``
    (an error unless :attr:`DecodeOptions.null_as_absent`) or an unknown
    property (an error unless :attr:`DecodeOptions.ignore_unknown_properties`).
    Properties in ``nullable`` (untyped ones, for which ``null`` is a value)
    may be ``null``. Raises the first failure in the payload's own key order.
    """
    for key, value in data.items():
        if key in known:
            if value is None and key not in nullable and not options.null_as_absent:
                raise fail_type("a value (null is not allowed)", None, key)
        elif not options.ignore_unknown_properties:
            raise _unknown(key, known)


def open_extra(
    data: Mapping[str, Any],
    known: frozenset[str],
    options: DecodeOptions,
    nullable: frozenset[str] = frozenset(),
) -> dict[str, Any] | None:
    """Return the properties of an open object (2.x ``CustomDataType``) beyond its own.

    ``None`` when there are none, so that a payload and its re-encoding decode
    to equal values.
    """
    extra: dict[str, Any] = {}
    for key, value in data.items():
        if key in known:
            if value is None and key not in nullable and not options.null_as_absent:
                raise fail_type("a value (null is not allowed)", None, key)
        elif not isinstance(key, str):
            raise fail_type("string property names", key)
        else:
            extra[key] = value
    return extra or None


def _unknown(key: object, known: frozenset[str]) -> DecodeFailure:
    if not isinstance(key, str):
        return DecodeFailure(
            PayloadRule.UNKNOWN_PROPERTY, f"property name {show(key)} is not a string"
        )
    hint = ""
    lowered = key.lower()
    for name in sorted(known):
        low = name.lower()
        if low == lowered or low.rstrip("s") == lowered.rstrip("s"):
            hint = f" (did you mean {name!r}?)"
            break
    return DecodeFailure(PayloadRule.UNKNOWN_PROPERTY, f"unknown property {show(key)}{hint}", [key])


def at(failure: DecodeFailure, key: str | int | None) -> DecodeFailure:
    """Add ``key`` to the path of ``failure`` (innermost first) and return it."""
    if key is not None:
        failure.path.append(key)
    return failure


def in_array(
    values: Sequence[Any], decode: Any, options: DecodeOptions, key: str | int | None
) -> DecodeFailure:
    """Find the first item of ``values`` that ``decode`` rejects; return its failure.

    The generated decoder decodes arrays in one comprehension; when that
    raises, this runs the items again one by one to learn the failing index.
    """
    for index, item in enumerate(values):
        try:
            decode(item, options)
        except DecodeFailure as failure:
            failure.path.append(index)
            return at(failure, key)
    raise AssertionError("in_array called on an array that decodes")  # pragma: no cover


def int_from(value: object, key: str | int | None) -> int:
    """Read an integer under draft-06 rules: an integral float such as ``1.0`` counts.

    ``bool`` never counts as a number.
    """
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    raise at(fail_number(value, True), key)


def too_short(value: str, minimum: int) -> DecodeFailure:
    """Return the failure for a string under its ``minLength``."""
    return DecodeFailure(
        PayloadRule.TYPE, f"string of {len(value)} characters, at least {minimum} required"
    )


def check_items(value: Sequence[Any], minimum: int | None, maximum: int | None) -> None:
    """Check an array's length against ``minItems`` / ``maxItems``."""
    count = len(value)
    if minimum is not None and count < minimum:
        raise DecodeFailure(
            PayloadRule.MIN_ITEMS, f"array has {count} items, at least {minimum} required"
        )
    if maximum is not None and count > maximum:
        raise DecodeFailure(
            PayloadRule.MAX_ITEMS, f"array has {count} items, at most {maximum} allowed"
        )


def too_long(value: str, maximum: int) -> DecodeFailure:
    """Return the failure for a string over its ``maxLength``."""
    return DecodeFailure(
        PayloadRule.MAX_LENGTH, f"string of {len(value)} characters, at most {maximum} allowed"
    )


def bad_enum(value: object, allowed: Mapping[str, object]) -> DecodeFailure:
    """Return the failure for a value outside an enumeration."""
    if not isinstance(value, str):
        return fail_type("string", value)
    names = ", ".join(sorted(allowed)[:12])
    more = ", ..." if len(allowed) > 12 else ""
    return DecodeFailure(PayloadRule.ENUM, f"{show(value)} is not one of {names}{more}")


def below(value: float, minimum: float) -> DecodeFailure:
    """Return the failure for a number below its ``minimum``."""
    return DecodeFailure(PayloadRule.MINIMUM, f"{show(value)} is less than the minimum {minimum}")


def above(value: float, maximum: float) -> DecodeFailure:
    """Return the failure for a number above its ``maximum``."""
    return DecodeFailure(PayloadRule.MAXIMUM, f"{show(value)} is more than the maximum {maximum}")


def is_multiple_of(value: float, step: float) -> bool:
    """Tell whether ``value``, read as the decimal number JSON wrote, is a multiple of ``step``.

    JSON numbers are decimal; a binary float of ``21.4`` is not an exact
    multiple of the float ``0.1``. The shortest representation that reads back
    as the same float (``repr``) is the decimal the sender wrote, so the check
    is exact for every number written with up to 17 significant digits:
    ``21.4`` and ``0.3`` are multiples of 0.1, ``21.399999999999995`` is not.
    """
    if value.__class__ is float:
        text = repr(value)
        if step == 0.1 and "e" not in text and "n" not in text:
            # repr is the shortest decimal that reads back as this float.
            return len(text) - text.index(".") <= 2
    elif step == 0.1:
        return True  # every integer is a multiple of 0.1
    from decimal import Decimal, InvalidOperation  # noqa: PLC0415 - rare path

    if isinstance(value, int):
        number = Decimal(value)
    else:
        if not math.isfinite(value):
            return False
        number = Decimal(repr(value))
    try:
        return number % Decimal(repr(step)) == 0
    except InvalidOperation:  # pragma: no cover - huge exponents
        return False


def not_multiple(value: float, step: float) -> DecodeFailure:
    """Return the failure for a number that is not a multiple of ``step``."""
    return DecodeFailure(PayloadRule.MULTIPLE_OF, f"{show(value)} is not a multiple of {step}")


def fail_number(value: object, integer: bool) -> DecodeFailure:
    """Return the failure for a value that is not a (finite) number or integer."""
    return fail_type("integer" if integer else "number", value)


_RFC3339 = re.compile(
    r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)",
    re.ASCII,
)


def parse_datetime(value: object, options: DecodeOptions) -> datetime:
    """Read an RFC 3339 ``date-time`` into an aware datetime.

    Fractions finer than a microsecond are truncated. A leap second (``:60``)
    cannot be represented by :class:`datetime` and is rejected. With
    :attr:`DecodeOptions.lenient_timestamps` the ISO 8601 forms that
    ``datetime.fromisoformat`` reads are accepted too, and a timestamp with no
    offset is read as UTC.
    """
    if not isinstance(value, str):
        raise fail_type("string (date-time)", value)
    if _RFC3339.fullmatch(value) is None:
        if options.lenient_timestamps:
            return _lenient_datetime(value)
        raise DecodeFailure(
            PayloadRule.FORMAT, f"{show(value)} is not an RFC 3339 date-time with an offset"
        )
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError as exc:
        raise DecodeFailure(
            PayloadRule.FORMAT, f"{show(value)} is not a valid date-time: {exc}"
        ) from None


def _lenient_datetime(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.upper() if len(value) < 64 else value)
    except ValueError:
        raise DecodeFailure(
            PayloadRule.FORMAT, f"{show(value)} is not an ISO 8601 date-time"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def format_datetime(value: datetime) -> str:
    """Write an aware datetime as RFC 3339, with ``Z`` for UTC.

    Raises:
        EncodeError: for a naive datetime, which has no place on the wire.
    """
    if value.tzinfo is None:
        raise EncodeError(f"naive datetime {value.isoformat()} cannot be encoded; give it a tzinfo")
    text = value.isoformat()
    if text.endswith("+00:00"):
        return text[:-6] + "Z"
    if value.utcoffset() == timedelta(0):
        return value.astimezone(UTC).isoformat()[:-6] + "Z"
    return text


_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f]*", re.ASCII)


def check_uri(value: str) -> str:
    """Check a ``format: uri`` string: a scheme, a colon, no blanks or controls."""
    if _URI.fullmatch(value) is None:
        raise DecodeFailure(PayloadRule.FORMAT, f"{show(value)} is not a URI")
    return value


def coerce_to_text(value: object, options_flag: bool, expected: str) -> str:
    """Read a JSON value as its compact JSON text, where an option allows it."""
    if options_flag and not isinstance(value, str) and value is not None:
        if isinstance(value, float) and not math.isfinite(value):
            raise fail_type(expected, value)
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    raise fail_type(expected, value)


def enum_alias(
    value: object,
    aliases: Mapping[str, tuple[str, object]],
    options: DecodeOptions,
    table: Mapping[str, object],
) -> Any:
    """Look ``value`` up in an enumeration's errata aliases, if their option is on."""
    if isinstance(value, str):
        member = table.get(value)
        if member is not None:
            return member
        entry = aliases.get(value)
        if entry is not None and getattr(options, entry[0]):
            return entry[1]
    raise bad_enum(value, table)
