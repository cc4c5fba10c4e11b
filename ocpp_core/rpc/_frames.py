"""OCPP-J frames: the JSON arrays that carry OCPP messages over a WebSocket.

Theory of operation
-------------------
Every OCPP-J message is one JSON array whose first element is the message type
number (OCPP-J 1.6 section 4.1.3; 2.0.1 and 2.1 section 4.1.3 and 4.2):

====  ==================  ===============================================  =======
type  name                wire form                                        version
====  ==================  ===============================================  =======
2     CALL                ``[2, id, action, payload]``                     all
3     CALLRESULT          ``[3, id, payload]``                             all
4     CALLERROR           ``[4, id, errorCode, errorDescription, details]`` all
5     CALLRESULTERROR     ``[5, id, errorCode, errorDescription, details]`` 2.1
6     SEND                ``[6, id, action, payload]``                     2.1
====  ==================  ===============================================  =======

:func:`parse_frame` turns a received text into one frozen frame value, checking
the envelope only: the payload stays a ``dict`` and is decoded into a typed
message by the session, which knows the action a CALLRESULT answers.
Parsing is a pure function; it keeps no state and reads no clock.

Every failure is a :class:`~ocpp_core.errors.FrameError` that carries the rule
that failed, the message id and type when they could be read, the CallError
code owed for it in the version (:func:`~ocpp_core.errors.frame_error_code`)
and the ready CALLERROR text. The parser never raises anything else, for any
text: the JSON parser's own failures, ``RecursionError`` on deep nesting,
``NaN`` literals and duplicate keys are all mapped to a rule.

Resource bounds (:class:`FrameLimits`): the text length is checked before any
parsing; nesting is bounded; a repeated property is refused unless allowed.
Error descriptions are built from our own words and clipped echoes of the
input, never from unbounded input.

When the JSON cannot be parsed at all, a bounded look at the first characters
(``[2,"abc",`` ...) recovers the message type and id where they are intact, so
that a truncated CALL is still answered with its own id and a truncated
CALLRESULT is not answered at all.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable
from typing import Any, ClassVar, Final, TypeAlias

import attrs

from ocpp_core import _fastjson
from ocpp_core._text import clip, show
from ocpp_core.errors import (
    ConstantSignal,
    DuplicateKeySignal,
    ErrorCode,
    FrameError,
    FrameRule,
    LocalProtocolError,
    frame_error_code,
)
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = [
    "Call",
    "CallError",
    "CallResult",
    "CallResultError",
    "DEFAULT_LIMITS",
    "Frame",
    "FrameLimits",
    "MAX_ID_LENGTH",
    "MessageType",
    "Send",
    "message_types_for",
    "parse_frame",
    "serialize_frame",
]

JsonObject: TypeAlias = dict[str, Any]
"""A JSON object as the standard library's ``json`` module reads it."""

MAX_ID_LENGTH: Final = 36
"""The longest message id OCPP-J allows (1.6 section 4.1.4; 2.x section 4.1.4)."""

MAX_DESCRIPTION_LENGTH: Final = 255
"""Our own error descriptions are clipped to this many characters."""


class MessageType(enum.IntEnum):
    """The OCPP-J message type numbers."""

    CALL = 2
    """A request that the receiver must answer with a CALLRESULT or CALLERROR."""
    CALL_RESULT = 3
    """The successful answer to a CALL."""
    CALL_ERROR = 4
    """The error answer to a CALL."""
    CALL_RESULT_ERROR = 5
    """2.1: the caller's complaint about a CALLRESULT it received; never answered."""
    SEND = 6
    """2.1: an unconfirmed message; never answered."""


_TYPES_BEFORE_21 = frozenset({MessageType.CALL, MessageType.CALL_RESULT, MessageType.CALL_ERROR})
_TYPES_21 = frozenset(MessageType)


def message_types_for(version: VersionLike) -> frozenset[MessageType]:
    """Return the message types ``version`` defines (2, 3, 4; and 5, 6 in 2.1).

    >>> sorted(message_types_for("2.0.1"))
    [<MessageType.CALL: 2>, <MessageType.CALL_RESULT: 3>, <MessageType.CALL_ERROR: 4>]
    """
    return _TYPES_21 if OcppVersion.parse(version) is OcppVersion.V21 else _TYPES_BEFORE_21


@attrs.frozen(kw_only=True)
class FrameLimits:
    """Bounds applied to every received text before and while it is parsed.

    The defaults are safe for a CSMS facing the open internet and generous for
    every message of every version.

    Attributes:
        max_chars: the longest text accepted, in characters (bytes are checked
            against four times this before decoding). Default 1 MiB.
        max_depth: the deepest nesting of arrays and objects accepted, the
            envelope counting as one level. Default 32 (the deepest OCPP schema
            needs fewer than 10 levels).
        allow_duplicate_keys: accept an object that names a property twice
            (the last value wins, as in Python's ``json``). Default ``False``:
            RFC 8259 leaves the meaning undefined, so such a payload is refused.
    """

    max_chars: int = 1_048_576
    max_depth: int = 32
    allow_duplicate_keys: bool = False

    def __attrs_post_init__(self) -> None:
        if self.max_chars < 16 or self.max_depth < 2:
            raise ValueError("FrameLimits: max_chars must be >= 16 and max_depth >= 2")


DEFAULT_LIMITS: Final = FrameLimits()
"""The limits :func:`parse_frame` and the session use unless told otherwise."""


@attrs.frozen(kw_only=True)
class Call:
    """A CALL frame, ``[2, unique_id, action, payload]``.

    Attributes:
        unique_id: the message id chosen by the caller, 1 to 36 characters.
        action: the action name, e.g. ``"BootNotification"`` (case-sensitive).
        payload: the request payload as a JSON object; treat it as read-only.
    """

    message_type: ClassVar[MessageType] = MessageType.CALL
    unique_id: str
    action: str
    payload: JsonObject


@attrs.frozen(kw_only=True)
class CallResult:
    """A CALLRESULT frame, ``[3, unique_id, payload]``.

    Attributes:
        unique_id: the id of the CALL this answers.
        payload: the response payload as a JSON object; treat it as read-only.
    """

    message_type: ClassVar[MessageType] = MessageType.CALL_RESULT
    unique_id: str
    payload: JsonObject


@attrs.frozen(kw_only=True)
class CallError:
    """A CALLERROR frame, ``[4, unique_id, error_code, error_description, error_details]``.

    Attributes:
        unique_id: the id of the CALL this answers (``"-1"`` when the CALL's id
            could not be read; 2.x).
        error_code: the error code as sent; a received code is kept even when
            the version does not define it (the session reports that).
        error_description: free text, possibly empty.
        error_details: a JSON object with details, possibly empty.
    """

    message_type: ClassVar[MessageType] = MessageType.CALL_ERROR
    unique_id: str
    error_code: str
    error_description: str = ""
    error_details: JsonObject = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class CallResultError:
    """A 2.1 CALLRESULTERROR frame, ``[5, unique_id, error_code, description, details]``.

    Sent by a caller about a CALLRESULT it could not accept; never answered.

    Attributes:
        unique_id: the id of the CALL whose CALLRESULT is refused.
        error_code: the error code as sent.
        error_description: free text, possibly empty.
        error_details: a JSON object with details, possibly empty.
    """

    message_type: ClassVar[MessageType] = MessageType.CALL_RESULT_ERROR
    unique_id: str
    error_code: str
    error_description: str = ""
    error_details: JsonObject = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Send:
    """A 2.1 SEND frame, ``[6, unique_id, action, payload]``: unconfirmed, never answered.

    Attributes:
        unique_id: the message id chosen by the sender.
        action: the action name, e.g. ``"NotifyPeriodicEventStream"``.
        payload: the payload as a JSON object; treat it as read-only.
    """

    message_type: ClassVar[MessageType] = MessageType.SEND
    unique_id: str
    action: str
    payload: JsonObject


Frame: TypeAlias = Call | CallResult | CallError | CallResultError | Send
"""Any OCPP-J frame."""

_EXPECTED_LENGTH: Final = {2: 4, 3: 3, 4: 5, 5: 5, 6: 4}


# --- helpers ---------------------------------------------------------------------


def valid_id(value: object) -> bool:
    """Whether ``value`` is a valid OCPP-J message id: a string of 1 to 36 characters."""
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_encode: Final[Callable[[object], str]] = _ENCODER.encode


def call_error_text(
    unique_id: str,
    code: ErrorCode | str,
    description: str,
    details: JsonObject | None = None,
    *,
    message_type: int = 4,
) -> str:
    """Serialise a CALLERROR (or, with ``message_type=5``, a CALLRESULTERROR) built by us."""
    return _encode(
        [
            message_type,
            unique_id,
            str(code),
            clip(description, MAX_DESCRIPTION_LENGTH),
            {} if details is None else details,
        ]
    )


def _pairs_no_duplicates(pairs: list[tuple[str, Any]]) -> JsonObject:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise DuplicateKeySignal
    return result


def _reject_constant(name: str) -> Any:
    raise ConstantSignal(name)


def _finite_float(literal: str) -> float:
    value = float(literal)
    if value - value != 0:  # inf or nan from an overflowing literal such as 1e999
        raise ConstantSignal(clip(literal))
    return value


_STRICT_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_pairs_no_duplicates,
    parse_constant=_reject_constant,
    parse_float=_finite_float,
)
_LENIENT_DECODER: Final = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_finite_float
)

# A bounded look at the start of a text that is not valid JSON: the message type
# and, only when it is intact and followed by a separator, the message id.
_SNIFF: Final = re.compile(r'\s*\[\s*(-?\d{1,3})\s*(?:[,\]]\s*(?:"([^"\\\x00-\x1f]{1,36})")?)?')
_SNIFF_WINDOW: Final = 128


def _depth_exceeds(value: object, max_depth: int) -> bool:
    """Whether ``value`` nests arrays/objects deeper than ``max_depth`` (iterative)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return True
        if isinstance(item, list):
            stack.extend((child, depth + 1) for child in item if isinstance(child, list | dict))
        elif isinstance(item, dict):
            stack.extend(
                (child, depth + 1) for child in item.values() if isinstance(child, list | dict)
            )
    return False


def _fail(
    version: OcppVersion,
    rule: FrameRule,
    detail: str,
    *,
    message_type: int | None = None,
    unique_id: str | None = None,
) -> FrameError:
    code = frame_error_code(
        version, rule, message_type=message_type, id_known=unique_id is not None
    )
    reply = None
    if code is not None:
        reply = call_error_text(
            unique_id if unique_id is not None else "-1",
            code,
            detail,
            {"rule": rule.value},
        )
    return FrameError(
        version,
        rule,
        clip(detail, MAX_DESCRIPTION_LENGTH),
        unique_id=unique_id,
        message_type=message_type,
        reply=reply,
        code=code,
    )


def _fail_unreadable(version: OcppVersion, rule: FrameRule, detail: str, text: str) -> FrameError:
    match = _SNIFF.match(text, 0, _SNIFF_WINDOW)
    if match is None:
        return _fail(version, rule, detail)
    # The id is only taken when it is intact: a closed string without escapes.
    return _fail(version, rule, detail, message_type=int(match.group(1)), unique_id=match.group(2))


# --- parsing ---------------------------------------------------------------------


def parse_frame(
    text: str | bytes,
    version: VersionLike,
    *,
    limits: FrameLimits = DEFAULT_LIMITS,
) -> Frame:
    """Parse one received WebSocket text message into a frame.

    Args:
        text: the message as received. ``bytes`` are decoded as strict UTF-8;
            one leading byte-order mark is ignored.
        version: the OCPP version of the connection (decides which message
            types exist and which error codes are owed).
        limits: size and nesting bounds.

    Returns:
        A :class:`Call`, :class:`CallResult`, :class:`CallError`, or for 2.1
        also a :class:`CallResultError` or :class:`Send`.

    Raises:
        FrameError: the text is not a well-formed frame for ``version``; the
            error carries the owed code and the ready reply (see
            :func:`~ocpp_core.errors.frame_error_code`).
        LocalProtocolError: ``text`` is neither ``str`` nor ``bytes``.

    >>> parse_frame('[2,"19223201","Heartbeat",{}]', "1.6")
    Call(unique_id='19223201', action='Heartbeat', payload={})
    """
    ver = OcppVersion.parse(version)
    if not isinstance(text, str):
        text = _decode_bytes(text, ver, limits)
    if len(text) > limits.max_chars:
        raise _fail_unreadable(
            ver, FrameRule.TOO_LARGE, f"frame longer than {limits.max_chars} characters", text
        )
    if text[:1] == "\ufeff":
        text = text[1:]
    decoder = _LENIENT_DECODER if limits.allow_duplicate_keys else _STRICT_DECODER
    try:
        value = _fastjson.MISS
        if _fastjson.enabled:  # the speed extra; MISS whenever the stdlib must decide
            value = _fastjson.loads(text, strict=not limits.allow_duplicate_keys)
        if value is _fastjson.MISS:
            value = decoder.decode(text)
    except DuplicateKeySignal:
        raise _fail_unreadable(
            ver, FrameRule.DUPLICATE_KEY, "an object in the frame repeats a property name", text
        ) from None
    except ConstantSignal as exc:
        raise _fail_unreadable(
            ver, FrameRule.NOT_JSON, f"{exc.args[0]} is not a JSON value", text
        ) from None
    except RecursionError:
        raise _fail_unreadable(
            ver, FrameRule.TOO_DEEP, f"frame nested deeper than {limits.max_depth} levels", text
        ) from None
    except ValueError as exc:  # json.JSONDecodeError and int-conversion limits
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "unreadable number"
        raise _fail_unreadable(
            ver, FrameRule.NOT_JSON, f"frame is not JSON: {detail}", text
        ) from None
    if text.count("[") + text.count("{") > limits.max_depth and _depth_exceeds(
        value, limits.max_depth
    ):
        raise _fail_unreadable(
            ver, FrameRule.TOO_DEEP, f"frame nested deeper than {limits.max_depth} levels", text
        )
    return _parse_value(value, ver)


def _decode_bytes(data: object, ver: OcppVersion, limits: FrameLimits) -> str:
    if not isinstance(data, bytes | bytearray):
        raise LocalProtocolError(f"parse_frame takes str or bytes, not {type(data).__name__}")
    head = bytes(data[:_SNIFF_WINDOW]).decode("utf-8", "replace")
    if len(data) > 4 * limits.max_chars:
        raise _fail_unreadable(
            ver, FrameRule.TOO_LARGE, f"frame longer than {limits.max_chars} characters", head
        )
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise _fail_unreadable(ver, FrameRule.NOT_JSON, "frame is not valid UTF-8", head) from None


def _parse_value(value: object, ver: OcppVersion) -> Frame:
    """Check the envelope of a parsed JSON value (OCPP-J section 4.2)."""
    if type(value) is not list:
        raise _fail(ver, FrameRule.NOT_AN_ARRAY, f"frame is {show(value)}, not an array")
    if not value:
        raise _fail(ver, FrameRule.BAD_MESSAGE_TYPE, "frame is an empty array")
    mt = value[0]
    length = len(value)
    raw_id = value[1] if length > 1 else None
    uid = raw_id if valid_id(raw_id) else None
    if type(mt) is not int:
        raise _fail(ver, FrameRule.BAD_MESSAGE_TYPE, f"message type {show(mt)} is not an integer")
    if mt not in _EXPECTED_LENGTH or (mt > 4 and ver is not OcppVersion.V21):
        raise _fail(
            ver,
            FrameRule.UNSUPPORTED_MESSAGE_TYPE,
            f"message type {clip(str(mt))} is not defined in OCPP {ver.value}",
            message_type=mt,
            unique_id=uid,
        )
    if uid is None:
        what = "missing" if length < 2 else show(raw_id)
        raise _fail(
            ver,
            FrameRule.BAD_MESSAGE_ID,
            f"message id {what} is not a string of 1 to {MAX_ID_LENGTH} characters",
            message_type=mt,
        )
    expected = _EXPECTED_LENGTH[mt]
    if length != expected:
        raise _fail(
            ver,
            FrameRule.BAD_LENGTH,
            f"{MessageType(mt).name} has {length} elements, not {expected}",
            message_type=mt,
            unique_id=uid,
        )
    if mt in {2, 6}:
        action = value[2]
        if type(action) is not str or not action:
            raise _fail(
                ver,
                FrameRule.BAD_ACTION,
                f"action {show(action)} is not a non-empty string",
                message_type=mt,
                unique_id=uid,
            )
        payload = value[3]
        if type(payload) is not dict:
            raise _fail(
                ver,
                FrameRule.PAYLOAD_NOT_AN_OBJECT,
                f"payload is {show(payload)}, not an object",
                message_type=mt,
                unique_id=uid,
            )
        if mt == 2:
            return Call(unique_id=uid, action=action, payload=payload)
        return Send(unique_id=uid, action=action, payload=payload)
    if mt == 3:
        payload = value[2]
        if type(payload) is not dict:
            raise _fail(
                ver,
                FrameRule.PAYLOAD_NOT_AN_OBJECT,
                f"payload is {show(payload)}, not an object",
                message_type=mt,
                unique_id=uid,
            )
        return CallResult(unique_id=uid, payload=payload)
    code, description, details = value[2], value[3], value[4]
    if type(code) is not str or not code:
        raise _fail(
            ver,
            FrameRule.BAD_ERROR_CODE,
            f"error code {show(code)} is not a non-empty string",
            message_type=mt,
            unique_id=uid,
        )
    if type(description) is not str:
        raise _fail(
            ver,
            FrameRule.BAD_ERROR_DESCRIPTION,
            f"error description {show(description)} is not a string",
            message_type=mt,
            unique_id=uid,
        )
    if type(details) is not dict:
        raise _fail(
            ver,
            FrameRule.BAD_ERROR_DETAILS,
            f"error details are {show(details)}, not an object",
            message_type=mt,
            unique_id=uid,
        )
    if mt == 4:
        return CallError(
            unique_id=uid, error_code=code, error_description=description, error_details=details
        )
    return CallResultError(
        unique_id=uid, error_code=code, error_description=description, error_details=details
    )


# --- serialising -----------------------------------------------------------------


def serialize_frame(frame: Frame) -> str:
    """Serialise a frame to the compact JSON text sent on the wire.

    Args:
        frame: the frame to send.

    Returns:
        The JSON text (UTF-8 characters are written as such, not escaped).

    Raises:
        LocalProtocolError: the frame breaks an OCPP-J rule (an id that is not
            1 to 36 characters, an empty action or error code) or holds a value
            JSON cannot carry (``NaN``, a ``datetime``, ...).

    >>> serialize_frame(CallResult(unique_id="42", payload={"status": "Accepted"}))
    '[3,"42",{"status":"Accepted"}]'
    """
    uid = frame.unique_id
    if not valid_id(uid):
        raise LocalProtocolError(
            f"message id {show(uid)} is not a string of 1 to {MAX_ID_LENGTH} characters"
        )
    wire: list[object]
    if isinstance(frame, Call | Send):
        if not isinstance(frame.action, str) or not frame.action:
            raise LocalProtocolError(f"action {show(frame.action)} is not a non-empty string")
        if type(frame.payload) is not dict:
            raise LocalProtocolError("payload is not a dict")
        wire = [frame.message_type.value, uid, frame.action, frame.payload]
    elif isinstance(frame, CallResult):
        if type(frame.payload) is not dict:
            raise LocalProtocolError("payload is not a dict")
        wire = [3, uid, frame.payload]
    else:
        if not isinstance(frame.error_code, str) or not frame.error_code:
            raise LocalProtocolError("error code is not a non-empty string")
        if not isinstance(frame.error_description, str):
            raise LocalProtocolError("error description is not a string")
        if type(frame.error_details) is not dict:
            raise LocalProtocolError("error details are not a dict")
        wire = [
            frame.message_type.value,
            uid,
            frame.error_code,
            frame.error_description,
            frame.error_details,
        ]
    return encode_json(wire)


def encode_json(value: object) -> str:
    """Encode ``value`` compactly, turning encoder failures into :class:`LocalProtocolError`."""
    if _fastjson.enabled:  # the speed extra; None whenever the stdlib must decide
        text = _fastjson.dumps(value)
        if text is not None:
            return text
    try:
        return _encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise LocalProtocolError(f"frame cannot be written as JSON: {clip(str(exc), 80)}") from None
