"""Runtime helpers of the generated decoders and encoders.

The codec of each version (:mod:`ocpp_core._codecs`) holds one straight-line
decoder and one encoder per class; they call into this module only on the
slow paths (a failure, an optional leniency, a timestamp). Failures are
raised as :class:`DecodeFailure` carrying the path from the failing value up;
:func:`ocpp_core.decode_payload` turns it into a :class:`~ocpp_core.PayloadError`
with the version's CallError code, :func:`ocpp_core.encode_payload` into an
:class:`~ocpp_core.EncodeError`. ``try`` blocks cost nothing in CPython 3.11
until something raises, so the path is built only when it is needed.

Departures accepted by a :class:`DecodeOptions` switch are recorded (only
when the caller asked for them, see :attr:`DecodeOptions.on_departure`) as
``(container, key)`` pairs: the decoders know the object or array they read
and the key, not the path above it. :func:`report` finds each container's
path afterwards with one walk of the payload, by identity.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from ocpp_core._text import json_path, show
from ocpp_core.errors import DecodeFailure, EncodeError, PayloadRule
from ocpp_core.versions import OcppVersion

__all__ = [
    "DecodeFailure",
    "DecodeOptions",
    "Departure",
    "EncodeError",
    "MessageMeta",
    "UnknownEnumValue",
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
    unknown_enum_values: bool = False
    """Accept a string that its enumeration does not list (``errorCode:
    "Error"``, ``measurand: "Current.import"``) and keep it as an
    :class:`UnknownEnumValue`, never as another member; it encodes back
    unchanged. The field's annotation names the enumeration only: check
    ``isinstance(value, UnknownEnumValue)`` where this option is on."""
    numeric_sampled_values: bool = False
    """OCPP 1.6: accept a JSON number as a sampled ``value`` (MeterValues and
    StopTransaction ``transactionData``; the schema wants a string) and read it
    as its JSON text (``230.1`` -> ``"230.1"``)."""
    loose_booleans: bool = False
    """Accept ``"true"``/``"false"`` (any case) and the integers ``0``/``1`` for a
    boolean (e.g. 1.6 GetConfiguration ``readonly``)."""
    numeric_strings: bool = False
    """Accept a decimal number sent as a string for an integer or number field
    (``"remoteStartId": "1"``); the number must still meet the field's rules."""
    drop_invalid_optional: bool = False
    """Drop an optional field whose value breaks its rules, instead of refusing
    the message (placeholders in a Rejected answer: ``"scheduleStart": "0"``).
    Applied last: the other options get their chance first."""
    on_departure: Callable[[Departure], None] | None = attrs.field(default=None, eq=False)
    """Called once for every departure from the schema that an option
    accepted, with its JSON path and the option's name (for logs and for
    ``ocpp-core check --lenient``). ``None``: departures are not reported."""

    @classmethod
    def lenient(cls, on_departure: Callable[[Departure], None] | None = None) -> DecodeOptions:
        """Return options with every leniency switched on.

        Args:
            on_departure: see :attr:`on_departure`.
        """
        flags = [a.name for a in attrs.fields(cls) if a.type in ("bool", bool)]
        return cls(**dict.fromkeys(flags, True), on_departure=on_departure)


@attrs.frozen(kw_only=True)
class Departure:
    """A departure from the schema that a :class:`DecodeOptions` switch accepted."""

    option: str
    """The name of the option that accepted it, e.g. ``numeric_strings``."""
    path: str
    """The JSON path of the value, e.g. ``$.meterValue[0].sampledValue[1].value``."""
    detail: str
    """What was accepted, in words."""

    def __str__(self) -> str:
        return f"{self.path}: {self.detail} (accepted by DecodeOptions.{self.option})"


class UnknownEnumValue(str):
    """An enumeration value the schema does not list, kept as the peer sent it.

    Produced only under :attr:`DecodeOptions.unknown_enum_values`. It is a
    :class:`str` equal to the wire value, equal to no member of the
    enumeration, and encodes back unchanged.

    Attributes:
        enum: the enumeration the field wanted.
    """

    enum: type

    def __new__(cls, value: str, enum: type) -> UnknownEnumValue:
        self = super().__new__(cls, value)
        self.enum = enum
        return self

    @property
    def value(self) -> str:
        """The wire value, as :attr:`enum.Enum.value` gives it for a member."""
        return str(self)

    def __repr__(self) -> str:
        return f"UnknownEnumValue({str(self)!r}, enum={self.enum.__name__})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (UnknownEnumValue, (str(self), self.enum))


@attrs.frozen(kw_only=True)
class _Collecting(DecodeOptions):
    """Options of one decode call that collect ``(container, key, option, detail)``."""

    sink: list[tuple[Any, str | int, str, str]] = attrs.field(factory=list, eq=False)


def collecting(options: DecodeOptions) -> _Collecting:
    """Return a copy of ``options`` that records departures for one call."""
    values = {a.name: getattr(options, a.name) for a in attrs.fields(DecodeOptions)}
    return _Collecting(**values)


def report(options: _Collecting, payload: object) -> list[Departure]:
    """Turn the departures recorded while decoding ``payload`` into :class:`Departure` values.

    The decoders record the container (object or array) and key of each
    departure; the path of a container is found by one walk of the payload,
    which is still alive, by identity.
    """
    paths: dict[int, list[str | int]] = {}
    todo: list[tuple[object, list[str | int]]] = [(payload, [])]
    while todo:
        node, path = todo.pop()
        if isinstance(node, dict):
            paths[id(node)] = path
            todo += [(v, [*path, k]) for k, v in node.items() if isinstance(v, dict | list | tuple)]
        elif isinstance(node, list | tuple):
            paths[id(node)] = path
            todo += [
                (v, [*path, i]) for i, v in enumerate(node) if isinstance(v, dict | list | tuple)
            ]
    out = []
    for container, key, option, detail in options.sink:
        path = [*paths.get(id(container), []), key]
        out.append(Departure(option=option, path=json_path(path), detail=detail))
    return out


def note(
    options: DecodeOptions, container: Any, key: str | int | None, option: str, detail: str
) -> None:
    """Record that ``option`` accepted the value at ``container[key]``."""
    sink = getattr(options, "sink", None)
    if sink is not None and key is not None:
        sink.append((container, key, option, detail))


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
            if value is None and key not in nullable:
                if not options.null_as_absent:
                    raise fail_type("a value (null is not allowed)", None, key)
                note(options, data, key, "null_as_absent", "null read as absent")
        elif not options.ignore_unknown_properties:
            raise _unknown(key, known)
        else:
            note(options, data, key, "ignore_unknown_properties", "unknown property ignored")


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
            if value is None and key not in nullable:
                if not options.null_as_absent:
                    raise fail_type("a value (null is not allowed)", None, key)
                note(options, data, key, "null_as_absent", "null read as absent")
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


_INTEGER_TEXT = re.compile(r"-?[0-9]{1,19}", re.ASCII)
_NUMBER_TEXT = re.compile(r"-?[0-9]{1,30}(?:\.[0-9]{1,30})?(?:[eE][+-]?[0-9]{1,3})?", re.ASCII)


def int_from(
    value: object,
    key: str | int | None,
    options: DecodeOptions | None = None,
    container: Any = None,
    integral_floats: bool = True,
) -> int:
    """Read an integer the fast path did not take (the value is not an ``int``).

    Under draft-06 rules (``integral_floats``) an integral float such as
    ``1.0`` counts; under draft-04 it does not. ``bool`` never counts as a
    number. With :attr:`DecodeOptions.numeric_strings` a string of decimal
    digits is read as its integer.
    """
    if integral_floats and isinstance(value, float) and math.isfinite(value):
        if value.is_integer():
            return int(value)
    elif (
        options is not None
        and options.numeric_strings
        and isinstance(value, str)
        and _INTEGER_TEXT.fullmatch(value)
    ):
        note(
            options, container, key, "numeric_strings", f"integer sent as the string {show(value)}"
        )
        return int(value)
    raise at(fail_number(value, True), key)


def number_from(value: object, options: DecodeOptions, container: Any, key: str | int) -> float:
    """Read a number the fast path did not take, under :attr:`DecodeOptions.numeric_strings`."""
    if options.numeric_strings and isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
        note(options, container, key, "numeric_strings", f"number sent as the string {show(value)}")
        number = float(value)
        return (
            int(number)
            if number.is_integer() and "." not in value and "e" not in value.lower()
            else number
        )
    raise at(fail_number(value, False), key)


def bool_from(value: object, options: DecodeOptions, container: Any, key: str | int) -> bool:
    """Read a boolean the fast path did not take, under :attr:`DecodeOptions.loose_booleans`."""
    if options.loose_booleans:
        read: bool | None = None
        if isinstance(value, str) and value.lower() in ("true", "false"):
            read = value.lower() == "true"
        elif value.__class__ is int and value in (0, 1):
            read = value == 1
        if read is not None:
            note(options, container, key, "loose_booleans", f"boolean sent as {show(value)}")
            return read
    raise fail_type("boolean", value, key)


def dropped(failure: DecodeFailure, options: DecodeOptions, container: Any, key: str) -> None:
    """Drop an invalid optional field under :attr:`DecodeOptions.drop_invalid_optional`.

    Re-raises ``failure`` (which already carries ``key``) when the option is off.
    """
    if not options.drop_invalid_optional:
        raise failure
    inner = json_path(failure.path[-2::-1])[1:].lstrip(".")
    where = f" ({inner})" if inner else ""
    note(
        options,
        container,
        key,
        "drop_invalid_optional",
        f"invalid optional field dropped{where}: {failure.detail}",
    )


def too_short(value: str, minimum: int) -> DecodeFailure:
    """Return the failure for a string under its ``minLength``."""
    return DecodeFailure(
        PayloadRule.TYPE, f"string of {len(value)} characters, at least {minimum} required"
    )


def check_items(
    value: Sequence[Any], minimum: int | None, maximum: int | None, key: str | int | None = None
) -> None:
    """Check an array's length against ``minItems`` / ``maxItems``."""
    count = len(value)
    if minimum is not None and count < minimum:
        raise fail(
            PayloadRule.MIN_ITEMS, f"array has {count} items, at least {minimum} required", key
        )
    if maximum is not None and count > maximum:
        raise fail(
            PayloadRule.MAX_ITEMS, f"array has {count} items, at most {maximum} allowed", key
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


def parse_datetime(
    value: object, options: DecodeOptions, container: Any = None, key: str | int | None = None
) -> datetime:
    """Read an RFC 3339 ``date-time`` into an aware datetime.

    Fractions finer than a microsecond are truncated. A leap second (``:60``)
    cannot be represented by :class:`datetime` and is rejected. With
    :attr:`DecodeOptions.lenient_timestamps` the ISO 8601 forms that
    ``datetime.fromisoformat`` reads are accepted too, and a timestamp with no
    offset is read as UTC.
    """
    if value.__class__ is str and _RFC3339.fullmatch(value) is not None:
        try:
            return datetime.fromisoformat(value.upper())
        except ValueError as exc:
            raise fail(
                PayloadRule.FORMAT, f"{show(value)} is not a valid date-time: {exc}", key
            ) from None
    if not isinstance(value, str):
        raise fail_type("string (date-time)", value, key)
    if _RFC3339.fullmatch(value) is not None:
        return parse_datetime(str(value), options, container, key)
    if options.lenient_timestamps:
        parsed = _lenient_datetime(value, key)
        note(
            options,
            container,
            key,
            "lenient_timestamps",
            f"timestamp {show(value)} read as ISO 8601",
        )
        return parsed
    raise fail(
        PayloadRule.FORMAT, f"{show(value)} is not an RFC 3339 date-time with an offset", key
    )


def _lenient_datetime(value: str, key: str | int | None) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.upper() if len(value) < 64 else value)
    except ValueError:
        raise fail(PayloadRule.FORMAT, f"{show(value)} is not an ISO 8601 date-time", key) from None
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


def _uri_pattern() -> re.Pattern[str]:
    """Build the ``URI`` rule of RFC 3986 (appendix A) as one regular expression."""
    unreserved = r"A-Za-z0-9\-._~"
    sub_delims = r"!$&'()*+,;="
    pct = r"%[0-9A-Fa-f]{2}"
    pchar = rf"(?:[{unreserved}{sub_delims}:@]|{pct})"
    dec_octet = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])"
    ipv4 = rf"{dec_octet}\.{dec_octet}\.{dec_octet}\.{dec_octet}"
    h16 = r"[0-9A-Fa-f]{1,4}"
    ls32 = rf"(?:{h16}:{h16}|{ipv4})"
    ipv6 = "|".join(
        (
            rf"(?:{h16}:){{6}}{ls32}",
            rf"::(?:{h16}:){{5}}{ls32}",
            rf"(?:{h16})?::(?:{h16}:){{4}}{ls32}",
            rf"(?:(?:{h16}:){{0,1}}{h16})?::(?:{h16}:){{3}}{ls32}",
            rf"(?:(?:{h16}:){{0,2}}{h16})?::(?:{h16}:){{2}}{ls32}",
            rf"(?:(?:{h16}:){{0,3}}{h16})?::{h16}:{ls32}",
            rf"(?:(?:{h16}:){{0,4}}{h16})?::{ls32}",
            rf"(?:(?:{h16}:){{0,5}}{h16})?::{h16}",
            rf"(?:(?:{h16}:){{0,6}}{h16})?::",
        )
    )
    ipvfuture = rf"v[0-9A-Fa-f]+\.[{unreserved}{sub_delims}:]+"
    ip_literal = rf"\[(?:{ipv6}|{ipvfuture})\]"
    reg_name = rf"(?:[{unreserved}{sub_delims}]|{pct})*"
    userinfo = rf"(?:[{unreserved}{sub_delims}:]|{pct})*"
    authority = rf"(?:{userinfo}@)?(?:{ip_literal}|{reg_name})(?::[0-9]*)?"
    segment = rf"{pchar}*"
    segment_nz = rf"{pchar}+"
    hier_part = (
        rf"(?://{authority}(?:/{segment})*"  # "//" authority path-abempty
        rf"|/(?:{segment_nz}(?:/{segment})*)?"  # path-absolute
        rf"|{segment_nz}(?:/{segment})*"  # path-rootless
        r"|)"  # path-empty
    )
    tail = rf"(?:{pchar}|[/?])*"
    return re.compile(rf"[A-Za-z][A-Za-z0-9+\-.]*:{hier_part}(?:\?{tail})?(?:#{tail})?", re.ASCII)


URI = _uri_pattern()
"""RFC 3986 ``URI`` (an absolute URI, with optional query and fragment), for ``fullmatch``."""


def check_uri(value: str, key: str | int | None = None) -> str:
    """Check a ``format: uri`` string against the URI grammar of RFC 3986 (section 3)."""
    if URI.fullmatch(value) is None:
        raise fail(PayloadRule.FORMAT, f"{show(value)} is not a URI (RFC 3986)", key)
    return value


def coerce_to_text(
    value: object, options: DecodeOptions, option: str, container: Any, key: str | int
) -> str:
    """Read a JSON value as its compact JSON text, where ``option`` allows it."""
    if getattr(options, option) and value is not None and not isinstance(value, str):
        if isinstance(value, float) and not math.isfinite(value):
            raise fail_type("string", value, key)
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        note(options, container, key, option, f"{json_type(value)} read as the text {show(text)}")
        return text
    raise fail_type("string", value, key)


def enum_from(  # noqa: PLR0917 - called by generated code only
    value: object,
    table: Mapping[str, Any],
    aliases: Mapping[str, tuple[str, Any]] | None,
    options: DecodeOptions,
    container: Any,
    key: str | int,
) -> Any:
    """Read an enumeration value the fast path did not take.

    A ``str`` subclass of a listed value is its member; an errata alias is
    read where its option is on; any other string is kept as an
    :class:`UnknownEnumValue` under :attr:`DecodeOptions.unknown_enum_values`.
    """
    if isinstance(value, str):
        member = table.get(value)
        if member is not None:
            return member
        entry = aliases.get(value) if aliases is not None else None
        if entry is not None and getattr(options, entry[0]):
            note(options, container, key, entry[0], f"{show(value)} read as {entry[1].value!r}")
            return entry[1]
        if options.unknown_enum_values:
            enum = type(next(iter(table.values())))
            note(
                options,
                container,
                key,
                "unknown_enum_values",
                f"{show(value)} is not a {enum.__name__} value; kept as UnknownEnumValue",
            )
            return UnknownEnumValue(value, enum)
    raise at(bad_enum(value, table), key)


# ------------------------------------------------------------------ encoding
def _kind_of(value: object) -> str:
    cls = type(value)
    if cls.__module__.startswith("ocpp_core.v"):
        return f"{cls.__module__.rpartition('.')[0]}.{cls.__qualname__}"
    if (isinstance(value, (str, int, float)) and not isinstance(value, bool)) or value is None:
        return f"{cls.__name__} {show(value)}"
    return cls.__name__


def wrong_class(value: object, expected: type) -> DecodeFailure:
    """Return the failure for a value that is not an instance of the class due."""
    package = expected.__module__.rpartition(".")[0]
    return DecodeFailure(
        PayloadRule.TYPE, f"expected {package}.{expected.__qualname__}, got {_kind_of(value)}"
    )


def out_type(expected: str, value: object, key: str | int) -> DecodeFailure:
    """Return the failure for an attribute of the wrong Python type."""
    return DecodeFailure(PayloadRule.TYPE, f"expected {expected}, got {_kind_of(value)}", [key])


def out_missing(key: str) -> DecodeFailure:
    """Return the failure for a required attribute that is ``None``."""
    return DecodeFailure(PayloadRule.REQUIRED, "required, got None", [key])


def out_int(value: object, key: str | int) -> int:
    """Check an integer attribute the fast path did not take (an ``int`` subclass counts)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise out_type("int", value, key)


def out_number(value: object, key: str | int) -> float:
    """Check a number attribute the fast path did not take."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return float(value)
    raise out_type("float", value, key)


def out_enum(value: object, table: Mapping[str, Any], key: str | int) -> None:
    """Check an enumeration attribute that is not a member of its own enum.

    A member of another enum or a plain ``str`` is fine when it equals one of
    the values (enumerations are :class:`enum.StrEnum` classes); an :class:`UnknownEnumValue`
    goes back as it came.
    """
    if isinstance(value, UnknownEnumValue):
        return
    if isinstance(value, str):
        if value in table:
            return
        raise at(bad_enum(value, table), key)
    enum = type(next(iter(table.values())))
    raise out_type(enum.__name__, value, key)


def out_items(values: Sequence[Any], encode: Callable[[Any], Any], key: str | int) -> DecodeFailure:
    """Find the first item of ``values`` that ``encode`` rejects; return its failure."""
    for index, item in enumerate(values):
        try:
            encode(item)
        except DecodeFailure as failure:
            failure.path.append(index)
            return at(failure, key)
    raise AssertionError("out_items called on an array that encodes")  # pragma: no cover


def write_datetime(value: object, key: str | int) -> str:
    """Write an aware datetime attribute as RFC 3339; refuse anything else."""
    if value.__class__ is not datetime and not isinstance(value, datetime):
        raise out_type("an aware datetime", value, key)
    if value.utcoffset() is None:
        raise DecodeFailure(
            PayloadRule.FORMAT,
            f"naive datetime {value.isoformat()} cannot be encoded; give it a tzinfo",
            [key],
        )
    text = value.isoformat()
    if text.endswith("+00:00"):
        return text[:-6] + "Z"
    if value.utcoffset() == timedelta(0):
        return value.astimezone(UTC).isoformat()[:-6] + "Z"
    return text
