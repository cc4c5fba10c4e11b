"""The public functions of the typed-message layer.

Theory of operation: every version package ``ocpp_core.vXY`` has a generated
``_codec`` module with one decoder and one encoder per class and the tables
``REQUEST_DECODERS``, ``RESPONSE_DECODERS``, ``ENCODERS`` and ``ACTIONS``.
The functions here pick the table for the version, call the generated
function, and turn the internal :class:`~ocpp_core._runtime.DecodeFailure`
into a :class:`~ocpp_core.PayloadError` with the version's CallError code.
Version packages are imported on first use, so ``import ocpp_core`` stays
cheap and never imports jsonschema.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any, Literal

import attrs

from ocpp_core._runtime import STRICT, DecodeFailure, DecodeOptions, MessageMeta
from ocpp_core.errors import PayloadError, UnknownActionError
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

# Loaded ``_codec`` modules by version string; StrEnum keys hash like their values.
_CODECS: dict[str, ModuleType] = {}
_ENCODERS: dict[type, Any] = {}


def _codec(version: VersionLike) -> ModuleType:
    module = _CODECS.get(version)
    if module is None:
        parsed = OcppVersion.parse(version)
        module = importlib.import_module(parsed.package + "._codec")
        _CODECS[parsed.value] = module
    return module


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
        decoder = codec.REQUEST_DECODERS.get(action)
    elif kind == "response":
        decoder = codec.RESPONSE_DECODERS.get(action)
    else:
        raise ValueError(f"kind must be 'request' or 'response', not {kind!r}")
    if decoder is None:
        raise _unknown(version, action, kind)
    try:
        return decoder(payload, options or STRICT)
    except DecodeFailure as failure:
        raise payload_error(version, failure) from None


def payload_error(version: VersionLike, failure: DecodeFailure) -> PayloadError:
    """Turn the decoder's internal failure into the public :class:`PayloadError`."""
    failure.path.reverse()
    return PayloadError(OcppVersion.parse(version), failure.rule, failure.detail, failure.path)


def _unknown(version: VersionLike, action: object, kind: str) -> UnknownActionError:
    parsed = OcppVersion.parse(version)
    shown = repr(action)[:60]
    if not isinstance(action, str) or action not in _codec(parsed).ACTIONS:
        return UnknownActionError(parsed, str(action)[:60], f"OCPP {parsed} has no action {shown}")
    return UnknownActionError(parsed, action, f"OCPP {parsed} action {shown} has no {kind}")


def encode_payload(message: object) -> dict[str, Any]:
    """Return the wire form (a JSON-ready dict) of a generated message or datatype.

    ``None`` fields are omitted, timestamps are written as RFC 3339 with ``Z``
    for UTC, enum members stay :class:`str` (``json.dumps`` writes their
    value). ``decode_payload(v, a, k, encode_payload(m)) == m`` for every
    message ``m`` whose values meet its schema; this function does not check
    them (decode the result, or use :func:`validate_payload`, to check).

    Raises:
        TypeError: ``message`` is not an instance of a generated class.
        EncodeError: a value cannot be written (a naive datetime).

    >>> from ocpp_core.v201 import HeartbeatRequest
    >>> encode_payload(HeartbeatRequest())
    {}
    """
    cls = type(message)
    encoder = _ENCODERS.get(cls)
    if encoder is None:
        encoder = _find_encoder(cls)
    result: dict[str, Any] = encoder(message)
    return result


def _find_encoder(cls: type) -> Any:
    package = cls.__module__.rpartition(".")[0]
    for version in OcppVersion:
        if version.package == package:
            encoder = _codec(version).ENCODERS.get(cls)
            if encoder is not None:
                _ENCODERS[cls] = encoder
                return encoder
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
