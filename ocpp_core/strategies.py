"""Hypothesis strategies for OCPP payloads and typed messages.

This is the only module of ``ocpp_core`` that imports :mod:`hypothesis`
(install the ``strategies`` extra); nothing in the package imports it.

* :func:`wire_payloads` draws valid wire payloads (JSON-ready dicts) of one
  action, built from the project's schema bundle, meeting every constraint
  (lengths, ranges, ``multipleOf``, item counts, enumerations, ``date-time``
  with any offset and fraction, ``uri``);
* :func:`messages` draws the typed messages those payloads decode to;
* :func:`invalid_payloads` draws near-miss payloads that break exactly one
  rule, each with the :class:`~ocpp_core.PayloadRule` it breaks and the
  CallError code owed for it;
* :func:`from_schema` is the builder underneath, usable on any JSON schema that
  keeps to the keywords the OCPP schemas use (for example the official OCA
  files, with their ``definitions``).

The Hypothesis plugin hook (``ocpp_core._hypothesis_plugin``, declared as an
entry point) registers every generated class, so
``st.from_type(ocpp_core.v201.BootNotificationRequest)`` draws valid messages.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import math
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import reject
from hypothesis import strategies as st

from ocpp_core._api import Kind, decode_payload
from ocpp_core._codecs import codec as _codec
from ocpp_core._hypothesis_plugin import setup
from ocpp_core._runtime import STRICT
from ocpp_core._schemas import SCHEMA_FACTS, load_bundle
from ocpp_core._text import json_path
from ocpp_core.errors import ErrorCode, PayloadRule, payload_error_code
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = [
    "InvalidPayload",
    "datatypes",
    "date_times",
    "from_schema",
    "invalid_payloads",
    "messages",
    "wire_payloads",
]

JsonSchema = Mapping[str, Any]
"""A JSON schema node, as ``json.loads`` returns it."""

_SHORT = 6
"""The usual maximum length of a drawn string (strings also reach their maxLength)."""
_EXTRA_ITEMS = 2
"""How many items beyond ``minItems`` an array may have (bounded by ``maxItems``)."""
_INT_RANGE = 2**31
"""Integers without bounds are drawn from ``[-2**31, 2**31]``."""

_IGNORED = frozenset(
    {
        "$schema",
        "$id",
        "id",
        "title",
        "description",
        "comment",
        "javaType",
        "tsEnumNames",
        "default",
        "definitions",
        "$defs",
        "additionalItems",
        "x-ocpp-version",
        "x-ocpp-actions",
    }
)
_SUPPORTED = frozenset({"$ref", *SCHEMA_FACTS})
_EXTRA_KEYS = ("vendorExtension", "x-note", "extraValue")


def _check_keywords(node: JsonSchema) -> None:
    unknown = set(node) - _SUPPORTED - _IGNORED
    if unknown:
        raise ValueError(f"from_schema does not support the keywords {sorted(unknown)}")


def _ref_target(ref: str, defs: Mapping[str, Any]) -> JsonSchema:
    for prefix in ("#/$defs/", "#/definitions/"):
        if ref.startswith(prefix):
            name = ref[len(prefix) :]
            if name in defs:
                target: JsonSchema = defs[name]
                return target
            raise ValueError(f"$ref {ref!r}: no such definition")
    raise ValueError(f"unsupported $ref {ref!r} (only local definitions are supported)")


def resolve(node: JsonSchema, defs: Mapping[str, Any]) -> JsonSchema:
    """Follow ``$ref`` from ``node`` until a schema without one is reached."""
    seen = 0
    while "$ref" in node:
        node = _ref_target(node["$ref"], defs)
        seen += 1
        if seen > 64:
            raise ValueError("$ref cycle")
    return node


def _types(node: JsonSchema) -> list[str]:
    kind = node.get("type")
    if kind is None:
        if "properties" in node:
            return ["object"]
        if "enum" in node:
            return ["string"]
        return []
    return [kind] if isinstance(kind, str) else list(kind)


# ------------------------------------------------------------------ scalars
_CHARS = st.characters(codec="utf-8")  # no surrogates: they cannot be UTF-8


def _strings(min_length: int, max_length: int | None) -> st.SearchStrategy[str]:
    """Strings of ``min_length``..``max_length`` code points, short on average."""
    short_max = max(min_length, _SHORT if max_length is None else min(max_length, _SHORT))
    short = st.text(_CHARS, min_size=min_length, max_size=short_max)
    if max_length is None or max_length <= short_max:
        return short
    # A string at its maximum length, built cheaply: a few drawn characters padded.
    full = st.tuples(st.text(_CHARS, max_size=4), _CHARS).map(
        lambda pair: (pair[0] + pair[1] * max_length)[:max_length]
    )
    return st.one_of(short, short, short, full)


def date_times() -> st.SearchStrategy[str]:
    """Draw RFC 3339 ``date-time`` strings.

    Years 0001 to 9999, ``T`` or ``t``, fractions of 0 to 9 digits, and offsets
    ``Z``, ``z`` or ``±hh:mm`` (any whole-minute offset below a day, not only UTC).
    """

    @st.composite
    def build(draw: st.DrawFn) -> str:
        year = draw(st.one_of(st.integers(1970, 2100), st.integers(1, 9999)))
        month = draw(st.integers(1, 12))
        days = 31 if month in (1, 3, 5, 7, 8, 10, 12) else 30
        if month == 2:
            days = 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
        day = draw(st.integers(1, days))
        hour, minute, second = (
            draw(st.integers(0, 23)),
            draw(st.integers(0, 59)),
            draw(st.integers(0, 59)),
        )
        digits = draw(st.sampled_from((0, 0, 3, 6, 1, 9)))
        fraction = (
            "."
            + "".join(
                draw(st.lists(st.sampled_from("0123456789"), min_size=digits, max_size=digits))
            )
            if digits
            else ""
        )
        sep = draw(st.sampled_from("TTTt"))
        zone_kind = draw(st.sampled_from(("Z", "Z", "z", "offset", "offset")))
        if zone_kind == "offset":
            minutes = draw(st.integers(-(24 * 60 - 1), 24 * 60 - 1))
            sign = "-" if minutes < 0 else "+"
            zone = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        else:
            zone = zone_kind
        return (
            f"{year:04d}-{month:02d}-{day:02d}{sep}{hour:02d}:{minute:02d}:{second:02d}"
            f"{fraction}{zone}"
        )

    return build()


def _uris(max_length: int | None) -> st.SearchStrategy[str]:
    # RFC 3986: a path of pchars and "/", where "%" only starts a %XX escape,
    # and an optional query (pchars, "/" and "?").
    host = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)
    chars = st.text(
        "abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/", min_size=1, max_size=6
    )
    escape = st.builds(lambda h: f"%{h:02X}", st.integers(0, 255))
    path = st.lists(st.one_of(chars, escape), max_size=3).map("".join)
    query = st.one_of(
        st.just(""),
        st.lists(st.one_of(chars, escape, st.just("?")), max_size=3).map(
            lambda parts: "?" + "".join(parts)
        ),
    )
    scheme = st.sampled_from(("https", "http", "ftp", "ftps", "sftp", "wss"))
    uri = st.builds(lambda s, h, p, q: f"{s}://{h}.example/{p}{q}", scheme, host, path, query)
    urn = st.builds(lambda h: f"urn:ocpp:{h}", host)
    base = st.one_of(uri, urn)
    if max_length is None:
        return base
    limit = max_length
    fitted = base.filter(lambda text: len(text) <= limit)
    if limit < 8:
        return st.just("a:b"[:limit]) if limit >= 2 else st.nothing()
    padded = st.just("urn:" + "x" * (limit - 4))
    return st.one_of(fitted, fitted, fitted, padded)


def _json_values() -> st.SearchStrategy[Any]:
    """Small JSON values of any type (for a schema without a type)."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-1000, 1000),
        st.floats(allow_nan=False, allow_infinity=False, width=64),
        st.text(_CHARS, max_size=_SHORT),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.text(_CHARS, max_size=_SHORT), inner, max_size=3),
        ),
        max_leaves=6,
    )


def _integers(node: JsonSchema, draft: str) -> st.SearchStrategy[Any]:
    low = node.get("minimum")
    high = node.get("maximum")
    lo = (
        math.ceil(low)
        if low is not None
        else (-_INT_RANGE if high is None else min(-_INT_RANGE, math.floor(high) - _INT_RANGE))
    )
    hi = math.floor(high) if high is not None else max(_INT_RANGE, lo + _INT_RANGE)
    step = node.get("multipleOf")
    if step is not None:
        exact = Decimal(repr(step))
        first = math.ceil(Decimal(lo) / exact)
        last = math.floor(Decimal(hi) / exact)
        ints: st.SearchStrategy[int] = st.integers(first, last).map(lambda k: int(k * exact))
    else:
        near = (
            st.integers(max(lo, -1000), min(hi, 1000))
            if max(lo, -1000) <= min(hi, 1000)
            else st.nothing()
        )
        ints = st.one_of(near, st.integers(lo, hi))
    if "draft-04" in draft:
        return ints
    # Draft-06 counts an integral float (``3.0``) as an integer; send one sometimes.
    as_float = ints.filter(lambda k: abs(k) < 2**53).map(float)
    return st.one_of(ints, ints, ints, as_float)


def _numbers(node: JsonSchema) -> st.SearchStrategy[Any]:
    low = node.get("minimum")
    high = node.get("maximum")
    step = node.get("multipleOf")
    if step is not None:
        exact = Decimal(repr(step))
        first = math.ceil(Decimal(repr(low)) / exact) if low is not None else -(10**6)
        last = math.floor(Decimal(repr(high)) / exact) if high is not None else 10**6
        # The float nearest the decimal k * step: its repr is that decimal (21.4).
        return st.integers(first, last).map(lambda k: float(k * exact))
    floats = st.floats(
        min_value=low, max_value=high, allow_nan=False, allow_infinity=False, width=64
    )
    lo = math.ceil(low) if low is not None else -1000
    hi = math.floor(high) if high is not None else 1000
    if lo <= hi:
        return st.one_of(floats, st.integers(max(lo, -(10**6)), min(hi, 10**6)))
    return floats


class _Builder:
    """Turns schema nodes into strategies, memoizing named definitions."""

    def __init__(self, defs: Mapping[str, Any], draft: str) -> None:
        self.defs = defs
        self.draft = draft
        self.named: dict[str, st.SearchStrategy[Any]] = {}

    def build(self, node: JsonSchema) -> st.SearchStrategy[Any]:
        if "$ref" in node:
            ref = node["$ref"]
            cached = self.named.get(ref)
            if cached is None:
                target = _ref_target(ref, self.defs)
                cached = st.deferred(lambda: self.build(target))
                self.named[ref] = cached
            return cached
        _check_keywords(node)
        if "enum" in node:
            return st.sampled_from(list(node["enum"]))
        kinds = _types(node)
        if not kinds:
            return _json_values()
        options = [self._typed(kind, node) for kind in kinds]
        return options[0] if len(options) == 1 else st.one_of(options)

    def _typed(self, kind: str, node: JsonSchema) -> st.SearchStrategy[Any]:
        if kind == "string":
            fmt = node.get("format")
            if fmt == "date-time":
                return date_times()
            if fmt == "uri":
                return _uris(node.get("maxLength"))
            return _strings(node.get("minLength", 0), node.get("maxLength"))
        if kind == "integer":
            return _integers(node, self.draft)
        if kind == "number":
            return _numbers(node)
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        if kind == "array":
            items = self.build(node.get("items", {}))
            low = node.get("minItems", 0)
            high = min(node.get("maxItems", low + _EXTRA_ITEMS), low + _EXTRA_ITEMS)
            return st.lists(items, min_size=low, max_size=high)
        if kind == "object":
            return self._object(node)
        raise ValueError(f"unsupported type {kind!r}")

    def _object(self, node: JsonSchema) -> st.SearchStrategy[dict[str, Any]]:
        props: Mapping[str, Any] = node.get("properties", {})
        required = frozenset(node.get("required", ()))
        parts = {name: self.build(sub) for name, sub in props.items()}
        open_ = node.get("additionalProperties", True) is not False
        extra_keys = [k for k in _EXTRA_KEYS if k not in props]

        @st.composite
        def build(draw: st.DrawFn) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name, strategy in parts.items():
                if name in required or draw(st.booleans()):
                    out[name] = draw(strategy)
            if open_ and extra_keys and draw(st.integers(0, 7)) == 0:
                for key in draw(st.lists(st.sampled_from(extra_keys), max_size=2, unique=True)):
                    out[key] = draw(_json_values().filter(lambda v: v is not None))
            return out

        return build()


def from_schema(
    schema: JsonSchema, defs: Mapping[str, Any] | None = None, *, draft: str | None = None
) -> st.SearchStrategy[Any]:
    """Return a strategy of JSON values that ``schema`` accepts.

    Supports the keywords the OCPP schemas use: ``type``, ``properties``,
    ``required``, ``additionalProperties``, ``enum``, ``maxLength``,
    ``minLength``, ``minimum``, ``maximum``, ``multipleOf``, ``items``,
    ``minItems``, ``maxItems``, ``format`` (``date-time``, ``uri``) and local
    ``$ref`` (``#/$defs/...`` or ``#/definitions/...``); annotations are
    ignored. Arrays stay short and strings short on average (they also reach
    their ``maxLength``). A ``multipleOf`` number is the float nearest an exact
    decimal multiple (``21.4`` for 0.1). Open objects sometimes carry extra
    properties.

    Args:
        schema: the schema, e.g. an OCA file as ``json.loads`` returns it.
        defs: the definitions ``$ref`` points into; by default the schema's own
            ``definitions`` or ``$defs``.
        draft: the ``$schema`` URI or a name containing ``draft-04`` /
            ``draft-06``; by default the schema's own ``$schema``. Under draft-06
            integral floats (``3.0``) are sometimes drawn for integers.

    Raises:
        ValueError: the schema uses a keyword this builder does not support.
    """
    if defs is None:
        defs = schema.get("definitions", schema.get("$defs", {}))
    if draft is None:
        draft = str(schema.get("$schema", "draft-06"))
    return _Builder(defs, draft).build(schema)


# ------------------------------------------------------------- per version
_BUILDERS: dict[tuple[str, str], _Builder] = {}


def _bundle_builder(version: OcppVersion, action: str | None = None) -> _Builder:
    bundle = load_bundle(version)
    # An action may follow another draft than its version (1.6 security extension).
    entry = bundle["x-ocpp-actions"].get(action, {}) if action is not None else {}
    draft = entry.get("draft", bundle["$schema"])
    builder = _BUILDERS.get((version.value, draft))
    if builder is None:
        builder = _Builder(bundle["$defs"], draft)
        _BUILDERS[(version.value, draft)] = builder
    return builder


def _message_ref(version: OcppVersion, action: str, kind: str) -> str:
    if kind not in ("request", "response"):
        raise ValueError(f"kind must be 'request' or 'response', not {kind!r}")
    entry = load_bundle(version)["x-ocpp-actions"].get(action)
    if entry is None or kind not in entry:
        raise ValueError(f"OCPP {version} has no {kind} for action {action!r}")
    ref: str = entry[kind]["$ref"]
    return ref


def wire_payloads(
    version: VersionLike, action: str, kind: Kind
) -> st.SearchStrategy[dict[str, Any]]:
    """Return a strategy of valid wire payloads (JSON-ready dicts) of one message.

    Every payload drawn is accepted by :func:`~ocpp_core.decode_payload` and
    :func:`~ocpp_core.validate_payload` (and by the official schema).

    Args:
        version: ``"1.6"``, ``"2.0"``, ``"2.0.1"``, ``"2.1"`` or an :class:`~ocpp_core.OcppVersion`.
        action: the action name, e.g. ``"BootNotification"``.
        kind: ``"request"`` or ``"response"``.

    Raises:
        ValueError: the version has no such action or kind.
    """
    parsed = OcppVersion.parse(version)
    ref = _message_ref(parsed, action, kind)
    return st.deferred(lambda: _bundle_builder(parsed, action).build({"$ref": ref}))


def messages(version: VersionLike, action: str, kind: Kind) -> st.SearchStrategy[Any]:
    """Return a strategy of valid typed messages of one action and kind.

    The messages are :func:`wire_payloads` decoded with
    :func:`~ocpp_core.decode_payload`, so every value meets its schema and
    ``decode_payload(v, a, k, encode_payload(m)) == m``.

    Args:
        version: ``"1.6"``, ``"2.0"``, ``"2.0.1"``, ``"2.1"`` or an :class:`~ocpp_core.OcppVersion`.
        action: the action name, e.g. ``"BootNotification"``.
        kind: ``"request"`` or ``"response"``.

    Raises:
        ValueError: the version has no such action or kind.
    """
    parsed = OcppVersion.parse(version)
    return wire_payloads(parsed, action, kind).map(
        lambda payload: decode_payload(parsed, action, kind, payload)
    )


def datatypes(version: VersionLike, name: str) -> st.SearchStrategy[Any]:
    """Return a strategy of valid instances of one generated datatype, enum or message class.

    Args:
        version: the OCPP version.
        name: the class name, e.g. ``"IdTokenInfo"`` or ``"ChargingProfile"``.

    Raises:
        ValueError: the version's bundle defines no such name.
    """
    parsed = OcppVersion.parse(version)
    if name not in load_bundle(parsed)["$defs"]:
        raise ValueError(f"OCPP {parsed} defines no {name!r}")
    return st.deferred(lambda: _datatype_strategy(parsed, name))


def _datatype_strategy(version: OcppVersion, name: str) -> st.SearchStrategy[Any]:
    node = load_bundle(version)["$defs"][name]
    package = importlib.import_module(version.package)
    cls = getattr(package, name)
    if "enum" in node:
        return st.sampled_from([cls(value) for value in node["enum"]])
    decoder = _codec(version).decoder(cls)
    assert decoder is not None
    wire = _bundle_builder(version).build({"$ref": f"#/$defs/{name}"})
    return wire.map(lambda payload: decoder(payload, STRICT))


# --------------------------------------------------------- invalid payloads
@attrs.frozen(kw_only=True)
class InvalidPayload:
    """A payload that breaks exactly one rule of its schema."""

    payload: Any
    """The broken payload (a near miss of a valid one)."""
    rule: PayloadRule
    """The rule it breaks."""
    code: ErrorCode
    """The CallError code owed for it (:func:`~ocpp_core.payload_error_code`)."""
    path: str
    """The JSON path the decoder reports, e.g. ``$.meterValue[0].timestamp``."""
    description: str
    """What was changed, in words."""


_Path = tuple[str | int, ...]
_Mutation = tuple[str, PayloadRule, _Path, Callable[[Any], Any]]
"""(description, rule, reported path, function from the value at the site to its replacement)."""


def _replace(payload: Any, path: _Path, fn: Callable[[Any], Any]) -> Any:
    """Return a copy of ``payload`` with the value at ``path`` replaced by ``fn(value)``."""
    if not path:
        return fn(payload)
    head, rest = path[0], path[1:]
    if isinstance(payload, dict):
        copy: Any = dict(payload)
    else:
        copy = list(payload)
    copy[head] = _replace(payload[head], rest, fn)
    return copy


def _const(value: Any) -> Callable[[Any], Any]:
    return lambda _old: value


def _without(name: str) -> Callable[[Any], Any]:
    return lambda old: {k: x for k, x in old.items() if k != name}


def _first(count: int) -> Callable[[Any], Any]:
    return lambda old: list(old)[:count]


def _cycled(count: int) -> Callable[[Any], Any]:
    return lambda old: (list(old) * count)[:count]


def _lazy(fn: Callable[..., st.SearchStrategy[Any]], *args: Any) -> st.SearchStrategy[Any]:
    return st.deferred(lambda: fn(*args))


def _sites(
    value: Any, node: JsonSchema, defs: Mapping[str, Any], path: _Path, *, draft04: bool
) -> list[tuple[_Path, str, PayloadRule, _Path, Callable[[Any], Any]]]:
    """Every single-rule mutation of ``value`` (valid against ``node``), with its site path."""
    node = resolve(node, defs)
    out: list[tuple[_Path, str, PayloadRule, _Path, Callable[[Any], Any]]] = []
    kinds = _types(node)
    if not kinds:
        return out  # any JSON value is allowed here
    kind = kinds[0]
    at = path

    def add(
        description: str, rule: PayloadRule, fn: Callable[[Any], Any], reported: _Path = at
    ) -> None:
        out.append((at, description, rule, reported, fn))

    if "enum" in node:
        # Only the enumeration: null or a number would break ``type`` as well.
        add("a value outside the enumeration", PayloadRule.ENUM, lambda _v: "NotAnEnumValue~")
        return out
    if kind == "object":
        props: Mapping[str, Any] = node.get("properties", {})
        required = node.get("required", ())
        if path:
            add("a string for an object", PayloadRule.TYPE, lambda _v: "not an object")
        if node.get("additionalProperties", True) is False:
            key = "unknownProperty"
            add(
                "an unknown property",
                PayloadRule.UNKNOWN_PROPERTY,
                lambda v: {**v, key: 1},
                (*at, key),
            )
        for name in required:
            if name in value:
                add(
                    f"required property {name!r} removed",
                    PayloadRule.REQUIRED,
                    _without(name),
                )
        for name, sub in props.items():
            if name in value:
                out += _sites(value[name], sub, defs, (*at, name), draft04=draft04)
        return out
    if kind == "array":
        add("an object for an array", PayloadRule.TYPE, lambda _v: {"not": "an array"})
        add("null for an array", PayloadRule.TYPE, lambda _v: None)
        low = node.get("minItems")
        high = node.get("maxItems")
        if low is not None and low > 0 and len(value) >= low:
            add(f"fewer than {low} items", PayloadRule.MIN_ITEMS, _first(low - 1))
        if high is not None and value and high < 2000:
            add(
                f"more than {high} items",
                PayloadRule.MAX_ITEMS,
                _cycled(high + 1),
            )
        items = node.get("items", {})
        for index, item in enumerate(value):
            out += _sites(item, items, defs, (*at, index), draft04=draft04)
        return out
    if kind == "string":
        add("a number for a string", PayloadRule.TYPE, lambda _v: 42)
        add("null for a string", PayloadRule.TYPE, lambda _v: None)
        fmt = node.get("format")
        high = node.get("maxLength")
        if fmt == "date-time":
            add(
                "a date-time without an offset",
                PayloadRule.FORMAT,
                lambda _v: "2026-03-01T12:00:00",
            )
            add("a date-time with month 13", PayloadRule.FORMAT, lambda _v: "2026-13-01T12:00:00Z")
            add("a date with a blank for T", PayloadRule.FORMAT, lambda _v: "2026-03-01 12:00:00Z")
        elif fmt == "uri":
            if high is None or high >= 9:
                add("a string that is no URI", PayloadRule.FORMAT, lambda _v: "no uri")
            if high is not None:
                add(
                    f"a URI of {high + 1} characters",
                    PayloadRule.MAX_LENGTH,
                    _const("urn:" + "x" * (high - 3)),
                )
        elif high is not None:
            add(
                f"a string of {high + 1} characters",
                PayloadRule.MAX_LENGTH,
                _const("x" * (high + 1)),
            )
        return out
    if kind in ("integer", "number"):
        integer = kind == "integer"
        add("true for a number", PayloadRule.TYPE, lambda _v: True)
        add("a string for a number", PayloadRule.TYPE, lambda _v: "1")
        add("null for a number", PayloadRule.TYPE, lambda _v: None)
        if integer and draft04:
            add("an integral float for an integer (draft-04)", PayloadRule.TYPE, float)
        low = node.get("minimum")
        high = node.get("maximum")
        if integer and not draft04 and (low is None or high is None or low < high):
            add(
                "a fractional number for an integer",
                PayloadRule.TYPE,
                lambda v: v + 0.5 if high is None or v + 0.5 <= high else v - 0.5,
            )
        step = node.get("multipleOf")
        if low is not None:
            below = math.floor(low) - 1 if integer or step is None else low - 1
            add(f"{below!r}, below the minimum {low!r}", PayloadRule.MINIMUM, lambda _v: below)
        if high is not None:
            above = math.ceil(high) + 1 if integer or step is None else high + 1
            add(f"{above!r}, above the maximum {high!r}", PayloadRule.MAXIMUM, lambda _v: above)
        if step is not None and not integer:
            base = 0.0 if low is None else float(low)
            off = base + step / 2
            if high is None or off <= high:
                add(f"{off!r}, not a multiple of {step!r}", PayloadRule.MULTIPLE_OF, lambda _v: off)
        return out
    if kind == "boolean":
        add("a string for a boolean", PayloadRule.TYPE, lambda _v: "true")
        add("null for a boolean", PayloadRule.TYPE, lambda _v: None)
        add("1 for a boolean", PayloadRule.TYPE, lambda _v: 1)
    return out


def invalid_payloads(
    version: VersionLike,
    action: str,
    kind: Kind,
    *,
    rules: Iterable[PayloadRule] | None = None,
) -> st.SearchStrategy[InvalidPayload]:
    """Return a strategy of near-miss payloads that break exactly one rule.

    Each is a valid payload (:func:`wire_payloads`) with one change: a wrong
    type (``true`` for a number, ``1.0`` for an integer in 1.6, ``null``, a
    string for an object, ...), a required property removed, an unknown
    property added to a closed object, a value outside its enumeration, a
    string one over its ``maxLength``, a number below its ``minimum`` or above
    its ``maximum``, a number that is not a multiple of 0.1, too few or too many
    items, a bad ``date-time`` (no offset, month 13, blank for ``T``), or a
    payload that is not an object at all. The result names the rule and the
    CallError code it must produce in ``version``.

    Args:
        version: the OCPP version.
        action: the action name.
        kind: ``"request"`` or ``"response"``.
        rules: break only these rules (default: any). A drawn valid payload
            that offers none of them is rejected and another one drawn, so
            ask only for rules the message can break.

    Raises:
        ValueError: the version has no such action or kind.
    """
    parsed = OcppVersion.parse(version)
    wanted = None if rules is None else frozenset(rules)
    ref = _message_ref(parsed, action, kind)
    valid = wire_payloads(parsed, action, kind)

    @st.composite
    def build(draw: st.DrawFn) -> InvalidPayload:
        bundle = load_bundle(parsed)
        payload = draw(valid)
        sites = _sites(
            payload,
            {"$ref": ref},
            bundle["$defs"],
            (),
            draft04="draft-04" in _bundle_builder(parsed, action).draft,
        )
        not_object: list[tuple[_Path, str, PayloadRule, _Path, Callable[[Any], Any]]] = [
            ((), "an array for the payload", PayloadRule.NOT_AN_OBJECT, (), lambda _v: []),
            ((), "a string for the payload", PayloadRule.NOT_AN_OBJECT, (), lambda _v: "{}"),
            ((), "null for the payload", PayloadRule.NOT_AN_OBJECT, (), lambda _v: None),
        ]
        # Pick the rule first, so that rules with few sites are drawn as often as the rest.
        by_rule: dict[PayloadRule, list[Any]] = {}
        for entry in sites + not_object:
            if wanted is None or entry[2] in wanted:
                by_rule.setdefault(entry[2], []).append(entry)
        if not by_rule:
            reject()
        chosen = draw(st.sampled_from(sorted(by_rule, key=list(PayloadRule).index)))
        site, description, rule, reported, fn = draw(st.sampled_from(by_rule[chosen]))
        return InvalidPayload(
            payload=_replace(payload, site, fn),
            rule=rule,
            code=payload_error_code(parsed, rule),
            path=json_path(reported),
            description=f"{description} at {json_path(site)}",
        )

    return build()


# The entry point was ``ocpp_core.strategies:_hypothesis_setup_hook`` before it
# moved to ``ocpp_core._hypothesis_plugin:setup``; editable installs made before
# the move still name this one until they are reinstalled.
_hypothesis_setup_hook = setup
