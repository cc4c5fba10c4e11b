"""The public functions of the typed-message layer.

Theory of operation: every version has a :class:`~ocpp_core._codecs.Codec`
with one decoder and one encoder per class (written at first use from the
bundled schema) and the tables ``REQUEST_DECODERS``, ``RESPONSE_DECODERS``,
``ENCODERS`` and ``ACTIONS``. The functions here pick the table for the
version, call the generated function, and turn the internal
:class:`~ocpp_core._runtime.DecodeFailure` into a
:class:`~ocpp_core.PayloadError` (decoding) or an
:class:`~ocpp_core.EncodeError` (encoding). Version packages are imported on
first use, so ``import ocpp_core`` stays cheap and never imports jsonschema.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ocpp_core._codecs import _CODECS, Codec, package_of
from ocpp_core._codecs import codec as _codec
from ocpp_core._runtime import STRICT, DecodeOptions, MessageMeta, collecting, report
from ocpp_core.errors import (
    DecodeFailure,
    EncodeError,
    LocalProtocolError,
    PayloadError,
    UnknownActionError,
)
from ocpp_core.versions import OcppVersion, Role, VersionLike

__all__ = [
    "ActionInfo",
    "Kind",
    "UnknownActionError",
    "actions",
    "action_info",
    "decode_payload",
    "encode_payload",
    "message_meta",
]

Kind = Literal["request", "response"]
"""Which half of an action a payload is."""

# Encoders by class, with the version of the class; StrEnum keys hash like their values.
_ENCODERS: dict[type, tuple[Any, Codec]] = {}


def decode_payload(
    version: VersionLike,
    action: str,
    kind: Kind,
    payload: object,
    *,
    options: DecodeOptions | None = None,
) -> Any:
    """Check a decoded JSON payload against its schema and return the typed message.

    Every constraint of the official schema is checked in one pass: types
    (``bool`` is never a number; draft-04 integers for 1.6, where ``1.0`` is
    not an integer), required properties, unknown properties, enumerations,
    lengths, ranges, ``multipleOf`` (read as the decimal the sender wrote, so
    ``21.4`` is a multiple of 0.1), item counts and ``date-time`` / ``uri``
    formats.

    Args:
        version: ``"1.6"``, ``"2.0"``, ``"2.0.1"``, ``"2.1"`` or an :class:`OcppVersion`.
        action: the action name, e.g. ``"BootNotification"`` (case-sensitive).
        kind: ``"request"`` or ``"response"``.
        payload: the payload as ``json.loads`` returns it.
        options: named departures from the schemas (:class:`DecodeOptions`);
            strict by default.

    Returns:
        An instance of the generated class, e.g. ``ocpp_core.v201.BootNotificationRequest``.

    Raises:
        PayloadError: the payload breaks a rule; ``.code`` is the CallError code
            owed for it in ``version``, ``.path`` the JSON path.
        UnknownActionError: ``version`` has no such action or kind.
        ValueError: ``version`` or ``kind`` is not a known value.

    >>> msg = decode_payload("2.0.1", "Heartbeat", "response",
    ...                      {"currentTime": "2026-01-01T12:00:00Z"})
    >>> msg.current_time.isoformat()
    '2026-01-01T12:00:00+00:00'
    """
    codec = _CODECS.get(version) or _codec(version)
    if kind == "request":
        decoder = codec.REQUEST_DECODERS.get(action) or codec.request_decoder(action)
    elif kind == "response":
        decoder = codec.RESPONSE_DECODERS.get(action) or codec.response_decoder(action)
    else:
        raise ValueError(f"kind must be 'request' or 'response', not {kind!r}")
    if decoder is None:
        raise _unknown(version, action, kind)
    if options is None:
        options = STRICT
    elif options.on_departure is not None:
        return run_reporting(decoder, payload, options, version)
    try:
        return decoder(payload, options)
    except DecodeFailure as failure:
        raise payload_error(version, failure) from None


def run_reporting(
    decoder: Any, payload: object, options: DecodeOptions, version: VersionLike
) -> Any:
    """Run ``decoder`` and hand every departure it accepted to ``options.on_departure``.

    Departures are reported only when the whole payload decodes.
    """
    assert options.on_departure is not None
    call = collecting(options)
    try:
        result = decoder(payload, call)
    except DecodeFailure as failure:
        raise payload_error(version, failure) from None
    for departure in report(call, payload):
        options.on_departure(departure)
    return result


def payload_error(version: VersionLike, failure: DecodeFailure) -> PayloadError:
    """Turn the decoder's internal failure into the public :class:`PayloadError`."""
    failure.path.reverse()
    return PayloadError(OcppVersion.parse(version), failure.rule, failure.detail, failure.path)


def _unknown(version: VersionLike, action: object, kind: str) -> UnknownActionError:
    parsed = OcppVersion.parse(version)
    shown = repr(action)[:60]
    known = _codec(parsed).ACTIONS
    if not isinstance(action, str) or action not in known:
        hint = _did_you_mean(action, parsed) if isinstance(action, str) else ""
        detail = f"OCPP {parsed} has no action {shown}{hint}"
        return UnknownActionError(parsed, str(action)[:60], detail)
    return UnknownActionError(parsed, action, f"OCPP {parsed} action {shown} has no {kind}")


def _did_you_mean(action: str, version: OcppVersion) -> str:
    """A hint for an action ``version`` lacks: another version's, or a near miss."""
    others = [v.value for v in OcppVersion if v is not version and action in _codec(v).ACTIONS]
    if others:
        return f" (it is an action of OCPP {', '.join(others)})"
    names = list(_codec(version).ACTIONS)
    match = {name.lower(): name for name in names}.get(action.lower())
    if match is None:
        close = difflib.get_close_matches(action[:60], names, n=1, cutoff=0.88)
        match = close[0] if close else None
    return "" if match is None else f"; did you mean {match!r}?"


def encode_payload(message: object) -> dict[str, Any]:
    """Check a generated message or datatype and return its wire form (a JSON-ready dict).

    ``None`` fields are omitted, timestamps are written as RFC 3339 with ``Z``
    for UTC, enum members stay :class:`str` (``json.dumps`` writes their
    value). ``decode_payload(v, a, k, encode_payload(m)) == m`` for every
    message ``m``.

    Every value is checked on the way, so a message built with wrong types is
    never written: a ``str`` where an ``int`` is due, a string that is not a
    value of its enumeration (a plain ``str`` equal to a value is fine, as is
    an :class:`~ocpp_core.UnknownEnumValue` a lenient decoder kept), a naive
    ``datetime`` or a string where a ``datetime`` is due, a dict or another
    version's class where a class is due, a wrong item in a tuple or list (a
    list is accepted for a tuple), a ``None`` for a required field, and any
    value out of its length, range, ``multipleOf``, item-count or URI rules.

    Raises:
        TypeError: ``message`` is not an instance of a generated class.
        EncodeError: a value breaks its field's type or rules; ``.path`` names
            the field (``$.idTagInfo.status``), ``.rule`` the rule, and
            ``.version`` / ``.action`` the message.

    >>> from ocpp_core.v201 import HeartbeatRequest
    >>> encode_payload(HeartbeatRequest())
    {}
    >>> from ocpp_core.v16 import HeartbeatResponse
    >>> try:
    ...     encode_payload(HeartbeatResponse(current_time="2026-01-01T00:00:00Z"))
    ... except EncodeError as exc:
    ...     print(exc.path, exc.rule.value, exc.action)
    $.currentTime type Heartbeat
    """
    cls = type(message)
    found = _ENCODERS.get(cls)
    if found is None:
        found = _find_encoder(cls)
    try:
        result: dict[str, Any] = found[0](message)
    except DecodeFailure as failure:
        raise encode_error(found[1], message, failure) from None
    return result


def encode_error(codec: Codec, message: object, failure: DecodeFailure) -> EncodeError:
    """Turn the encoder's internal failure into the public :class:`EncodeError`."""
    meta = getattr(type(message), "ocpp_meta", None)
    return EncodeError(
        failure.detail,
        rule=failure.rule,
        path=failure.path[::-1],
        version=codec.version,
        action=meta.action if isinstance(meta, MessageMeta) else None,
    )


def _find_encoder(cls: type) -> tuple[Any, Codec]:
    version = package_of(cls)
    if version is not None:
        codec = _codec(version)
        encoder = codec.encoder(cls)
        if encoder is not None:
            _ENCODERS[cls] = (encoder, codec)
            return encoder, codec
    raise TypeError(f"{cls.__qualname__} is not a generated OCPP message or datatype")


def message_meta(message: object) -> MessageMeta:
    """Return the version, action and kind of a message instance or class.

    Raises:
        TypeError: for anything that is not a generated request or response.

    >>> from ocpp_core.v16 import BootNotificationRequest
    >>> meta = message_meta(BootNotificationRequest)
    >>> (meta.version.value, meta.action, meta.kind)
    ('1.6', 'BootNotification', 'request')
    """
    cls = message if isinstance(message, type) else type(message)
    meta = getattr(cls, "ocpp_meta", None)
    if not isinstance(meta, MessageMeta):
        raise TypeError(f"{cls.__qualname__} is not a generated OCPP request or response")
    return meta


def add_request_handler(handlers: dict[type, Any], request_type: type, handler: Any) -> None:
    """Enter ``handler`` for ``request_type`` in a table of handlers per request class.

    The one rule of every handler table (the sans-I/O ``Dispatcher`` and the
    asyncio ``Router``): only a generated request class, and only once.

    Raises:
        LocalProtocolError: ``request_type`` is not a generated request class,
            or already has a handler.
    """
    try:
        meta = message_meta(request_type)
    except TypeError:
        raise LocalProtocolError(
            f"{getattr(request_type, '__qualname__', request_type)!s} is not a generated "
            "OCPP message class"
        ) from None
    if meta.kind != "request":
        raise LocalProtocolError(f"{request_type.__qualname__} is not a request class")
    if request_type in handlers:
        raise LocalProtocolError(f"{request_type.__qualname__} already has a handler")
    handlers[request_type] = handler


@attrs.frozen(kw_only=True)
class ActionInfo:
    """What one action of one version is."""

    version: OcppVersion
    """The version."""
    name: str
    """The action name, e.g. ``TransactionEvent``."""
    request: type
    """The generated request class."""
    response: type | None
    """The generated response class; ``None`` for an unconfirmed (2.1 SEND) message."""
    senders: frozenset[Role]
    """Who may send the request: the charging station, the CSMS, or both."""


_ACTIONS: dict[str, Mapping[str, ActionInfo]] = {}


def actions(version: VersionLike) -> Mapping[str, ActionInfo]:
    """Return every action of ``version`` by name.

    >>> len(actions("1.6")), len(actions("2.0")), len(actions("2.0.1")), len(actions("2.1"))
    (39, 67, 64, 91)
    >>> sorted(actions("2.0.1")["DataTransfer"].senders)
    [<Role.CSMS: 'CSMS'>, <Role.CHARGING_STATION: 'ChargingStation'>]
    """
    parsed = OcppVersion.parse(version)
    table = _ACTIONS.get(parsed.value)
    if table is None:
        table = {
            name: ActionInfo(
                version=parsed,
                name=name,
                request=request,
                response=response,
                senders=frozenset(Role(s) for s in senders),
            )
            for name, (request, response, senders) in _codec(parsed).ACTIONS.items()
        }
        _ACTIONS[parsed.value] = table
    return table


def action_info(version: VersionLike, action: str) -> ActionInfo:
    """Return the :class:`ActionInfo` of one action.

    Raises:
        UnknownActionError: ``version`` has no action of that name.
    """
    info = actions(version).get(action)
    if info is None:
        raise _unknown(version, action, "request")
    return info
