"""The error family of ``ocpp_core`` and the table from failure to CallError code.

Every error raised by the library on bad input is an :class:`OcppError`. Errors
about a peer's data carry the OCPP-J CallError code that the failure calls for
in the OCPP version at hand (:attr:`OcppError.code`).

The codes are spelled per version: OCPP 1.6 uses ``FormationViolation`` and
``OccurenceConstraintViolation`` (the spellings of the 1.6 OCPP-J text), the 2.x
family uses ``FormatViolation`` and ``OccurrenceConstraintViolation`` and adds
``MessageTypeNotSupported`` and ``RpcFrameworkError``.
:func:`payload_error_code` is the one table from a payload rule to a code; the
docs publish it and the tests check every row.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ocpp_core._text import clip, json_path
from ocpp_core.versions import OcppVersion, VersionLike

if TYPE_CHECKING:
    from ocpp_core.rpc._events import CallReceived

__all__ = [
    "AioError",
    "CallErrorReply",
    "CallTimeoutError",
    "CertificateChainError",
    "CertificateError",
    "ConnectionClosedError",
    "CsrError",
    "DeliveryError",
    "DeliveryValueError",
    "EncodeError",
    "EnergyError",
    "ErrorCode",
    "FrameError",
    "FrameRule",
    "HandlerError",
    "HandshakeError",
    "HandshakeRefusedError",
    "InvalidResponseError",
    "LocalProtocolError",
    "OcppError",
    "PayloadError",
    "PayloadRule",
    "QueueFullError",
    "ReactionError",
    "RemoteCallError",
    "RemoteProtocolError",
    "SECURITY_RULE_REQUIREMENTS",
    "SecurityCheckError",
    "SecurityProfileError",
    "SecurityRule",
    "SelfCheckError",
    "SiteError",
    "SmartChargingValueError",
    "SolverError",
    "StationIdentityError",
    "TlsPolicyError",
    "UnknownActionError",
    "error_codes_for",
    "frame_error_code",
    "payload_error_code",
    "respell_error_code",
]


class ErrorCode(enum.StrEnum):
    """Every OCPP-J CallError code of every version, spelled as on the wire.

    :func:`error_codes_for` tells which of them a version knows.
    """

    NOT_IMPLEMENTED = "NotImplemented"
    """The action is not known by the receiver."""
    NOT_SUPPORTED = "NotSupported"
    """The action is known but not supported by the receiver."""
    INTERNAL_ERROR = "InternalError"
    """The receiver failed while handling a well-formed request."""
    PROTOCOL_ERROR = "ProtocolError"
    """1.6: the payload is incomplete; 2.x: it does not conform to the PDU structure."""
    SECURITY_ERROR = "SecurityError"
    """A security issue kept the receiver from completing the action."""
    FORMATION_VIOLATION = "FormationViolation"
    """1.6 spelling: the payload is syntactically incorrect or not the PDU structure."""
    FORMAT_VIOLATION = "FormatViolation"
    """2.x spelling: the payload is syntactically incorrect."""
    PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
    """A field holds a value outside its allowed values."""
    OCCURENCE_CONSTRAINT_VIOLATION = "OccurenceConstraintViolation"
    """1.6 spelling: a field violates its occurrence constraints."""
    OCCURRENCE_CONSTRAINT_VIOLATION = "OccurrenceConstraintViolation"
    """2.x spelling: a field violates its occurrence constraints."""
    TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"
    """A field violates its data type constraints (e.g. a number for a string)."""
    GENERIC_ERROR = "GenericError"
    """Any other error."""
    MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"
    """2.x only: a message type number this implementation does not support."""
    RPC_FRAMEWORK_ERROR = "RpcFrameworkError"
    """2.x only: the content is not a valid RPC request (e.g. the id cannot be read)."""


_COMMON = frozenset(
    {
        ErrorCode.NOT_IMPLEMENTED,
        ErrorCode.NOT_SUPPORTED,
        ErrorCode.INTERNAL_ERROR,
        ErrorCode.PROTOCOL_ERROR,
        ErrorCode.SECURITY_ERROR,
        ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
        ErrorCode.TYPE_CONSTRAINT_VIOLATION,
        ErrorCode.GENERIC_ERROR,
    }
)
_CODES_16 = _COMMON | {ErrorCode.FORMATION_VIOLATION, ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION}
_CODES_2X = _COMMON | {
    ErrorCode.FORMAT_VIOLATION,
    ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
    ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED,
    ErrorCode.RPC_FRAMEWORK_ERROR,
}


_OTHER_SPELLING = {
    ErrorCode.FORMATION_VIOLATION: ErrorCode.FORMAT_VIOLATION,
    ErrorCode.FORMAT_VIOLATION: ErrorCode.FORMATION_VIOLATION,
    ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION: ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
    ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION: ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
}


def respell_error_code(code: ErrorCode | str, version: VersionLike) -> ErrorCode | None:
    """Return ``code`` as ``version`` spells it, or ``None`` when it is no code of ``version``.

    Two codes are spelled differently in 1.6 and 2.x: the OCPP-J 1.6 text
    prints ``FormationViolation`` and ``OccurenceConstraintViolation`` (its
    errata sheet keeps both typos, section 5 "known issues that will not be
    fixed"); the 2.x texts print ``FormatViolation`` and
    ``OccurrenceConstraintViolation`` (OCPP 2.0.1 Part 4, section 4.3, table 8;
    see ``docs/error-codes.md``). Either spelling is read as the version's code.

    >>> respell_error_code("OccurenceConstraintViolation", "2.0.1").value
    'OccurrenceConstraintViolation'
    >>> respell_error_code("FormatViolation", "1.6").value
    'FormationViolation'
    >>> respell_error_code("RpcFrameworkError", "1.6") is None
    True
    """
    codes = error_codes_for(version)
    if code in codes:
        return ErrorCode(code)
    if code not in ErrorCode._value2member_map_:
        return None
    other = _OTHER_SPELLING.get(ErrorCode(code))
    return other if other in codes else None


def error_codes_for(version: VersionLike) -> frozenset[ErrorCode]:
    """Return the CallError codes that ``version`` defines.

    >>> ErrorCode.FORMATION_VIOLATION in error_codes_for("1.6")
    True
    >>> ErrorCode.FORMATION_VIOLATION in error_codes_for("2.0.1")
    False
    """
    return _CODES_16 if OcppVersion.parse(version) is OcppVersion.V16 else _CODES_2X


class PayloadRule(enum.StrEnum):
    """The schema rule a payload broke; :func:`payload_error_code` maps it to a code."""

    NOT_AN_OBJECT = "not-an-object"
    """The payload itself is not a JSON object."""
    UNKNOWN_PROPERTY = "additionalProperties"
    """An object has a property its schema does not define (and does not allow)."""
    REQUIRED = "required"
    """A required property is missing."""
    MIN_ITEMS = "minItems"
    """An array has fewer items than allowed."""
    MAX_ITEMS = "maxItems"
    """An array has more items than allowed."""
    TYPE = "type"
    """A value has the wrong JSON type (``null`` included; ``bool`` is never a number)."""
    MAX_LENGTH = "maxLength"
    """A string is longer than its maximum (counted in code points)."""
    FORMAT = "format"
    """A string does not have its format (``date-time``, ``uri``)."""
    ENUM = "enum"
    """A string is not one of the enumeration's values."""
    MINIMUM = "minimum"
    """A number is below its minimum."""
    MAXIMUM = "maximum"
    """A number is above its maximum."""
    MULTIPLE_OF = "multipleOf"
    """A number is not a multiple of its step (1.6: 0.1 on charging limits)."""


def payload_error_code(version: VersionLike, rule: PayloadRule) -> ErrorCode:
    """Return the CallError code owed for a payload that broke ``rule`` in ``version``.

    The OCPP-J texts define the codes but no table from schema rule to code;
    this is the project's choice, made from the codes' definitions:

    * the shape is wrong (payload not an object, unknown property): 1.6
      ``FormationViolation`` ("not conform the PDU structure"); 2.x
      ``FormatViolation`` for a payload that is not an object and
      ``ProtocolError`` ("not conform the PDU structure") for an unknown property;
    * cardinality (required, minItems, maxItems): ``OccurenceConstraintViolation``
      in 1.6, ``OccurrenceConstraintViolation`` in 2.x;
    * data type (type, maxLength of a CiString type, date-time/uri format):
      ``TypeConstraintViolation``;
    * value (enum, minimum, maximum, multipleOf): ``PropertyConstraintViolation``.

    >>> payload_error_code("1.6", PayloadRule.REQUIRED).value
    'OccurenceConstraintViolation'
    >>> payload_error_code("2.0.1", PayloadRule.REQUIRED).value
    'OccurrenceConstraintViolation'
    """
    v16 = OcppVersion.parse(version) is OcppVersion.V16
    if rule is PayloadRule.NOT_AN_OBJECT:
        return ErrorCode.FORMATION_VIOLATION if v16 else ErrorCode.FORMAT_VIOLATION
    if rule is PayloadRule.UNKNOWN_PROPERTY:
        return ErrorCode.FORMATION_VIOLATION if v16 else ErrorCode.PROTOCOL_ERROR
    if rule in (PayloadRule.REQUIRED, PayloadRule.MIN_ITEMS, PayloadRule.MAX_ITEMS):
        return (
            ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION
            if v16
            else ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION
        )
    if rule in (PayloadRule.TYPE, PayloadRule.MAX_LENGTH, PayloadRule.FORMAT):
        return ErrorCode.TYPE_CONSTRAINT_VIOLATION
    return ErrorCode.PROPERTY_CONSTRAINT_VIOLATION


class OcppError(Exception):
    """Root of every error ``ocpp_core`` raises about data or protocol use.

    Attributes:
        code: the CallError code this failure calls for, or ``None`` where no
            CallError is owed (for example a broken response, which is never
            answered).
    """

    code: ErrorCode | None

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.code = code


class RemoteProtocolError(OcppError, ValueError):
    """The peer's data broke the protocol: a :class:`PayloadError` or a :class:`FrameError`.

    Catch it to handle every failure of received data at once. It carries what
    the answer to the peer needs.

    Attributes:
        code: the CallError code owed to the peer in :attr:`version`, or
            ``None`` when no CallError is owed (e.g. a broken answer).
        version: the OCPP version the data was read for.
        detail: what is wrong, without the location, bounded in length.
    """

    code: ErrorCode | None
    version: OcppVersion
    detail: str


class PayloadError(RemoteProtocolError):
    """A payload broke a rule of its message's schema.

    Attributes:
        code: the CallError code owed for it in the version decoded
            (see :func:`payload_error_code`).
        rule: the schema rule that failed.
        path: the JSON path of the failing value, e.g. ``$.meterValue[0].timestamp``.
        version: the OCPP version the payload was decoded for.
        detail: the text that names the failure, without the path.
    """

    code: ErrorCode
    rule: PayloadRule
    path: str
    version: OcppVersion
    detail: str

    def __init__(
        self,
        version: OcppVersion,
        rule: PayloadRule,
        detail: str,
        path: Sequence[str | int] = (),
    ) -> None:
        self.rule = rule
        self.version = version
        self.detail = detail
        self.path = json_path(path)
        super().__init__(
            f"{self.path}: {detail} ({rule.value})",
            code=payload_error_code(version, rule),
        )
        self.code = payload_error_code(version, rule)


# --- OCPP-J framing and session errors (appended for ocpp_core.rpc) ---------------


class FrameRule(enum.StrEnum):
    """The OCPP-J framing rule a received text broke.

    :func:`frame_error_code` maps each rule, per version, to the CallError code
    owed for it (or to ``None`` when no reply is owed).
    """

    TOO_LARGE = "too-large"
    """The text is longer than the configured maximum (``FrameLimits.max_chars``)."""
    NOT_JSON = "not-json"
    """The text is not one JSON value: truncated, trailing garbage, ``NaN``/``Infinity``
    literals, invalid UTF-8 (for bytes)."""
    TOO_DEEP = "too-deep"
    """Arrays and objects are nested deeper than ``FrameLimits.max_depth``."""
    DUPLICATE_KEY = "duplicate-key"
    """An object in the frame names the same property twice."""
    NOT_AN_ARRAY = "not-an-array"
    """The JSON value is not an array (object, string, number, ``null``)."""
    BAD_MESSAGE_TYPE = "bad-message-type"
    """The message type is missing or not an integer (``"2"``, ``2.0``, ``true``, ``null``)."""
    UNSUPPORTED_MESSAGE_TYPE = "unsupported-message-type"
    """The message type is an integer the version does not define (0, 1, 7; 5 and 6 before 2.1)."""
    BAD_MESSAGE_ID = "bad-message-id"
    """The message id is missing, not a string, empty or longer than 36 characters."""
    BAD_LENGTH = "bad-length"
    """The array has the wrong number of elements for its message type."""
    BAD_ACTION = "bad-action"
    """The action of a CALL or SEND is not a non-empty string."""
    PAYLOAD_NOT_AN_OBJECT = "payload-not-an-object"
    """The payload of a CALL, CALLRESULT or SEND is not a JSON object."""
    BAD_ERROR_CODE = "bad-error-code"
    """The error code of a CALLERROR or CALLRESULTERROR is not a non-empty string."""
    BAD_ERROR_DESCRIPTION = "bad-error-description"
    """The error description of a CALLERROR or CALLRESULTERROR is not a string."""
    BAD_ERROR_DETAILS = "bad-error-details"
    """The error details of a CALLERROR or CALLRESULTERROR are not a JSON object."""


_UNREADABLE_RULES = frozenset(
    {
        FrameRule.TOO_LARGE,
        FrameRule.NOT_JSON,
        FrameRule.TOO_DEEP,
        FrameRule.NOT_AN_ARRAY,
        FrameRule.BAD_MESSAGE_TYPE,
        FrameRule.BAD_MESSAGE_ID,
        FrameRule.BAD_LENGTH,
        FrameRule.BAD_ACTION,
    }
)


def frame_error_code(
    version: VersionLike,
    rule: FrameRule,
    *,
    message_type: int | None = None,
    id_known: bool = False,
) -> ErrorCode | None:
    """Return the CallError code owed for a frame that broke ``rule``, or ``None``.

    ``None`` means that no CALLERROR is sent at all. The table (published in
    ``docs/rpc.md``; every row is tested):

    * A frame whose message type says it is an answer (3 CALLRESULT, 4 CALLERROR,
      5 CALLRESULTERROR) or a 2.1 SEND (6) is never answered, whatever is wrong
      with it: answering an answer can loop between two peers (OCPP-J: a
      CALLERROR only ever answers a CALL; 2.1 SEND is unconfirmed).
    * Otherwise the frame is, or may be, a CALL:

      - framing failures (too large, not JSON, too deep, not an array, message
        type not an integer, bad id, wrong element count, action not a string):
        2.x ``RpcFrameworkError`` (answered with id ``"-1"`` when the id cannot be
        read); 1.6 ``ProtocolError`` when the id can be read, and no reply when it
        cannot (1.6 defines no placeholder id);
      - an integer message type the version does not define: 2.x
        ``MessageTypeNotSupported``; 1.6 no reply (OCPP-J 1.6 section 4.1.3: a
        message with an unknown type number is ignored);
      - a CALL payload that is not an object, or that repeats a property: 1.6
        ``FormationViolation``, 2.x ``FormatViolation`` (the code
        :func:`payload_error_code` gives for a non-object payload).

    Args:
        version: the OCPP version of the connection.
        rule: the rule the frame broke.
        message_type: the message type number read from the frame, if any.
        id_known: whether a valid message id could be read from the frame.

    >>> frame_error_code("2.0.1", FrameRule.NOT_JSON).value
    'RpcFrameworkError'
    >>> frame_error_code("1.6", FrameRule.NOT_JSON) is None
    True
    >>> frame_error_code("2.0.1", FrameRule.BAD_LENGTH, message_type=3) is None
    True
    """
    ver = OcppVersion.parse(version)
    if message_type in (3, 4, 5) or (message_type == 6 and ver is OcppVersion.V21):
        return None
    if rule is FrameRule.UNSUPPORTED_MESSAGE_TYPE:
        return None if ver is OcppVersion.V16 else ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED
    if rule in (FrameRule.PAYLOAD_NOT_AN_OBJECT, FrameRule.DUPLICATE_KEY):
        if not id_known:
            return None if ver is OcppVersion.V16 else ErrorCode.RPC_FRAMEWORK_ERROR
        return payload_error_code(ver, PayloadRule.NOT_AN_OBJECT)
    if rule in _UNREADABLE_RULES:
        if ver is OcppVersion.V16:
            return ErrorCode.PROTOCOL_ERROR if id_known else None
        return ErrorCode.RPC_FRAMEWORK_ERROR
    # The CALLERROR field rules only apply to answers, handled above.
    return None


class FrameError(RemoteProtocolError):
    """A received text is not a well-formed OCPP-J frame for the version.

    Raised by :func:`ocpp_core.rpc.parse_frame`; :class:`ocpp_core.rpc.Session`
    turns it into a ``ProtocolViolation`` event and never lets it escape. Nothing
    is left behind: parsing has no state.

    Attributes:
        code: the CallError code owed (see :func:`frame_error_code`), or ``None``
            when no reply is owed (a broken answer, or an unreadable 1.6 frame).
        rule: the framing rule that failed.
        version: the OCPP version the text was parsed for.
        unique_id: the message id when a valid one could be read, else ``None``.
        message_type: the message type number when one could be read, else ``None``.
        reply: the ready CALLERROR text to send back, or ``None`` when ``code`` is
            ``None``. Its id is ``unique_id``, or ``"-1"`` (2.x) when the id could
            not be read.
        detail: what is wrong, bounded in length (input is never echoed in full).
    """

    code: ErrorCode | None
    rule: FrameRule
    version: OcppVersion
    unique_id: str | None
    message_type: int | None
    reply: str | None
    detail: str

    def __init__(
        self,
        version: OcppVersion,
        rule: FrameRule,
        detail: str,
        *,
        unique_id: str | None = None,
        message_type: int | None = None,
        reply: str | None = None,
        code: ErrorCode | None = None,
    ) -> None:
        self.rule = rule
        self.version = version
        self.detail = detail
        self.unique_id = unique_id
        self.message_type = message_type
        self.reply = reply
        super().__init__(f"{detail} ({rule.value})", code=code)


class LocalProtocolError(OcppError, ValueError):
    """This side misused the session API or built a frame that may not be sent.

    Examples: answering a CALL that is not owed, sending a message of another
    version, a CSMS-only request from a charging station session, an error code
    the version does not define, a message id that breaks the OCPP-J rules.
    The session's state is left exactly as it was before the call that raised.
    ``code`` is always ``None``: nothing is owed to the peer.
    """


class HandshakeError(OcppError, ValueError):
    """A WebSocket handshake value (subprotocol offer, Basic authentication) is unusable.

    Raised by the pure handshake helpers of :mod:`ocpp_core.rpc`; ``code`` is
    ``None`` (a handshake is refused with an HTTP status, not a CallError).
    """


class UnknownActionError(OcppError, LookupError):
    """The version has no such action (or no response for it).

    Raised by :func:`ocpp_core.decode_payload` and the other functions that
    take an action name. Its :attr:`code` is ``NotImplemented``: the OCPP-J
    code for an action the receiver does not know.

    Attributes:
        version: the version asked for.
        action: the action asked for (cut to 60 characters).
    """

    def __init__(self, version: OcppVersion, action: str, detail: str) -> None:
        super().__init__(detail, code=ErrorCode.NOT_IMPLEMENTED)
        self.version = version
        self.action = action


class EncodeError(OcppError, ValueError):
    """A typed message cannot be written to the wire: a value of the wrong type or out of its rules.

    Raised by :func:`ocpp_core.encode_payload` (and so by the session's
    ``send_*`` methods) before anything is written; ``code`` is ``None``.

    Attributes:
        rule: the schema rule the value breaks (``TYPE`` for a wrong type).
        path: the JSON path of the value, e.g. ``$.idTagInfo.status``.
        detail: the text that names the failure, without the path.
        version: the OCPP version of the message's class, if known.
        action: the action of the message, if the value is a request or response.
    """

    rule: PayloadRule
    path: str
    detail: str
    version: OcppVersion | None
    action: str | None

    def __init__(
        self,
        detail: str,
        *,
        rule: PayloadRule = PayloadRule.TYPE,
        path: Sequence[str | int] = (),
        version: OcppVersion | None = None,
        action: str | None = None,
    ) -> None:
        self.rule = rule
        self.path = json_path(path)
        self.detail = detail
        self.version = version
        self.action = action
        where = f"OCPP {version} {action}: " if version is not None and action else ""
        super().__init__(f"{where}{self.path}: {detail} ({rule.value})")


class CallErrorReply(OcppError):  # noqa: N818 - named for the reply it asks for
    """Raise in a handler (or guard) to answer the CALL with a CALLERROR.

    Caught by :class:`ocpp_core.rpc.Dispatcher`, which sends the CALLERROR.

    Args:
        code: a CallError code the session's version defines.
        description: free text for the peer, at most 255 characters.
        details: a JSON object with details.
    """

    description: str
    details: Mapping[str, Any]

    def __init__(
        self,
        code: ErrorCode | str,
        description: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(description or str(code), code=ErrorCode(code))
        self.description = description
        self.details = {} if details is None else details


class HandlerError(OcppError):
    """A handler failed; the CALL was answered with ``InternalError`` all the same.

    Raised by :meth:`ocpp_core.rpc.Dispatcher.dispatch` when no
    ``on_exception`` callback is set, so that no failure goes unnoticed. The
    original exception is the ``__cause__``.

    Attributes:
        reply: the CALLERROR text to send (the CALL is already answered in the
            session's state).
        event: the event whose handler failed.
    """

    def __init__(self, message: str, *, reply: str, event: CallReceived) -> None:
        super().__init__(message, code=ErrorCode.INTERNAL_ERROR)
        self.reply = reply
        self.event = event


# ---------------------------------------------------------------------------
# Internal signals: raised and caught inside ocpp_core, never seen by users.
# They are not errors of the family and not exported.
# ---------------------------------------------------------------------------


class DecodeFailure(Exception):  # noqa: N818 - internal signal, never escapes decode_payload
    """A generated decoder's rule failed; ``path`` is collected innermost first.

    :func:`ocpp_core.decode_payload` turns it into a :class:`PayloadError`.
    """

    __slots__ = ("detail", "path", "rule")

    def __init__(self, rule: PayloadRule, detail: str, path: list[str | int] | None = None) -> None:
        super().__init__(detail)
        self.rule = rule
        self.detail = detail
        self.path: list[str | int] = path if path is not None else []


class DuplicateKeySignal(Exception):  # noqa: N818 - internal signal of the frame parser
    """An object of a received frame names a property twice (becomes a :class:`FrameError`)."""


class ConstantSignal(Exception):  # noqa: N818 - internal signal of the frame parser
    """A frame holds ``NaN``, ``Infinity`` or an overflowing number (a :class:`FrameError`)."""


# ---------------------------------------------------------------------------
# Errors of the asyncio connection layer (ocpp_core.aio).
# ---------------------------------------------------------------------------


class AioError(OcppError):
    """Root of the errors :mod:`ocpp_core.aio` raises to its caller."""


class RemoteCallError(AioError):
    """The peer answered our CALL with a CALLERROR.

    Raised by ``Connection.call()``.

    Attributes:
        code: the error code when the version defines it, else ``None``.
        error_code: the code exactly as received.
        description: the peer's error description.
        details: the peer's error details (a JSON object).
        action: the action of our CALL.
        unique_id: the message id of our CALL.
    """

    def __init__(
        self,
        *,
        code: ErrorCode | None,
        error_code: str,
        description: str,
        details: dict[str, object],
        action: str,
        unique_id: str,
    ) -> None:
        shown = description if len(description) <= 200 else description[:197] + "..."
        super().__init__(f"{action} answered with {error_code}: {shown}", code=code)
        self.error_code = error_code
        self.description = description
        self.details = details
        self.action = action
        self.unique_id = unique_id


class CallTimeoutError(AioError, TimeoutError):
    """No answer to our CALL came before its deadline (a ``TimeoutError`` too).

    A later answer is dropped and logged as late; a retry is a new CALL with a
    new id.

    Attributes:
        action: the action of our CALL.
        unique_id: the message id of our CALL.
        timeout: the timeout given to ``call()``, or ``None`` for the session's default.
    """

    def __init__(self, *, action: str, unique_id: str, timeout: float | None) -> None:
        within = "in time" if timeout is None else f"within {timeout:g} s"
        super().__init__(f"no answer to {action} (id {unique_id!r}) {within}")
        self.action = action
        self.unique_id = unique_id
        self.timeout = timeout


class InvalidResponseError(AioError):
    """The peer answered our CALL with a broken frame or payload; the call is over.

    Attributes:
        error: what is wrong (a :class:`FrameError` or :class:`PayloadError`).
        action: the action of our CALL.
        unique_id: the message id of our CALL.
    """

    def __init__(self, *, error: OcppError, action: str, unique_id: str) -> None:
        super().__init__(f"invalid answer to {action} (id {unique_id!r}): {error}")
        self.error = error
        self.action = action
        self.unique_id = unique_id


class ConnectionClosedError(AioError, ConnectionError):
    """The connection is closed, or closed while our CALL waited for its answer.

    Attributes:
        reason: why, in words (``"closed by the peer"``, ``"closed locally"``, ...).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"connection closed: {reason}")
        self.reason = reason


class HandshakeRefusedError(AioError):
    """An opening handshake was refused, or is to be refused, with an HTTP status.

    Raise it from an ``accept`` hook of ``ocpp_core.aio.websockets.serve`` to
    refuse a connection with that status; ``connect`` raises it when the CSMS
    refused, or accepted none of the offered subprotocols (``status`` ``None``).

    Attributes:
        status: the HTTP status (401, 403, 404, ...), or ``None``.
        reason: a short text (sent as the response body by the server side).
    """

    def __init__(self, status: int | None, reason: str) -> None:
        super().__init__(reason if status is None else f"HTTP {status}: {reason}")
        self.status = status
        self.reason = reason


# ---------------------------------------------------------------------------
# Errors of energy management (ocpp_core.energy).
# ---------------------------------------------------------------------------


class EnergyError(OcppError):
    """Root of the errors of :mod:`ocpp_core.energy` (site planning).

    ``code`` is always ``None``: these errors concern the caller's model, not a peer.
    """


class SiteError(EnergyError, ValueError):
    """A site, session, external limit or policy is unusable; :attr:`field` names where.

    Raised when a value is built (the frozen classes check themselves) or when a
    site file is parsed: a cycle in the circuits, an EVSE on an unknown circuit,
    a negative limit, a departure before the arrival, a unit the station does
    not support, an enum value that is not one of the known ones. Nothing is
    left half-built.

    Attributes:
        field: the path of the offending field, e.g. ``circuits[2].parent`` or
            ``sessions[0].departure``.
    """

    field: str

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class SelfCheckError(EnergyError):
    """A generated SetChargingProfile request failed its own check.

    :func:`ocpp_core.energy.to_requests` installs every request it builds into a
    copy of the station's store and recomputes the composite schedule; this is
    raised (and no request returned) when a request is rejected by
    ``validate_profile`` or when the composite exceeds the plan.

    Attributes:
        station_id: the station concerned.
        evse_id: the EVSE concerned (0: the station).
        rule: what failed (a validation rule name or ``composite-above-plan``).
    """

    station_id: str
    evse_id: int
    rule: str

    def __init__(self, station_id: str, evse_id: int, rule: str, message: str) -> None:
        super().__init__(f"station {station_id!r} EVSE {evse_id}: {rule}: {message}")
        self.station_id = station_id
        self.evse_id = evse_id
        self.rule = rule


class SolverError(EnergyError):
    """The optimal planner cannot run: the LP solver is missing (the ``lp`` extra) or failed.

    Attributes:
        status: the solver's status text, or ``not-installed``.
    """

    status: str

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


class ReactionError(EnergyError, TypeError):
    """A CSMS reaction of :mod:`ocpp_core.energy` was called wrongly by its caller.

    Raised for the caller's misuse only (a message that is not the generated
    request the reaction takes, a naive ``now``, an unknown station given by the
    CSMS itself), never for what a station sent: bad input from a station gets a
    valid answer and an explanation in the :class:`~ocpp_core.energy.Reaction`.
    Nothing is changed when it is raised (reactions return new states).

    Attributes:
        field: the argument at fault, e.g. ``request`` or ``now``.
    """

    field: str

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


# ---------------------------------------------------------------------------
# Errors of security profiles and certificates (ocpp_core.security).
# ---------------------------------------------------------------------------


class SecurityRule(enum.StrEnum):
    """The security rule a value broke; each error of :mod:`ocpp_core.security` names one.

    Where the specification numbers the rule, :data:`SECURITY_RULE_REQUIREMENTS`
    gives the requirement ids (OCPP 2.0.1 Part 2 and the OCPP 1.6 security
    whitepaper edition 3 number them alike for most rules).
    """

    TOO_LARGE = "too-large"
    """An input is larger than the configured bound (certificates, chains, CSRs, images)."""
    MALFORMED_PEM = "malformed-pem"
    """Text that should hold PEM blocks has none, or a block that does not decode."""
    MALFORMED_DER = "malformed-der"
    """Bytes that should be one DER structure do not parse as one."""
    UNSUPPORTED_KEY_TYPE = "unsupported-key-type"
    """A key is neither RSA nor elliptic-curve (the two families OCPP's cipher suites use)."""
    KEY_TOO_SMALL = "key-too-small"
    """A key gives less than 112-bit security: RSA/DSA below 2048 bits, EC below 224 bits."""
    WEAK_SIGNATURE_HASH = "weak-signature-hash"
    """A signature uses a hash weaker than SHA-256 (MD5, SHA-1, SHA-224) or none at all."""
    MISSING_FIELD = "missing-field"
    """A certificate or CSR lacks a field the specification requires (serial, CN, O, AIA)."""
    COMMON_NAME_MISMATCH = "common-name-mismatch"
    """The subject CN is not the expected station identity or CSMS host name."""
    COMMON_NAME_IS_URL_OR_IP = "common-name-is-url-or-ip"
    """A charging station's CN looks like a URL or an IP address."""
    ORGANIZATION_MISMATCH = "organization-mismatch"
    """The subject O is not the expected operator (CPO/CSO) name."""
    BAD_SIGNATURE = "bad-signature"
    """A signature (certificate, CSR) does not verify with the issuer's key."""
    NOT_YET_VALID = "not-yet-valid"
    """A certificate's validity starts after the time of the check."""
    EXPIRED = "expired"
    """A certificate's validity ended before the time of the check."""
    ISSUER_MISMATCH = "issuer-mismatch"
    """A certificate's issuer name is not its issuer's subject name."""
    NOT_A_CA = "not-a-ca"
    """A certificate that signs others is not marked as a certificate authority."""
    UNTRUSTED = "untrusted"
    """A chain does not end at one of the given trust roots."""
    CHAIN_TOO_LONG = "chain-too-long"
    """A chain has more certificates than the bound allows."""
    HASH_DATA = "hash-data"
    """Certificate hash data cannot be computed or is not well-formed."""
    TLS_VERSION = "tls-version"
    """A TLS version below the version's floor (1.2; 1.0/1.1 only for legacy 1.6 stations)."""
    TLS_CIPHER_SUITE = "tls-cipher-suite"
    """A TLS cipher suite outside the list the specification allows."""
    PROFILE_MISMATCH = "profile-mismatch"
    """A connection uses a different security profile than the one configured."""
    PROFILE_DOWNGRADE = "profile-downgrade"
    """A change would lower the security profile (or keep it: 1.6 only accepts higher)."""
    PROFILE_PREREQUISITE = "profile-prerequisite"
    """A new profile's prerequisite (password, CSMS root, station certificate) is missing."""
    PROFILE_UNKNOWN = "profile-unknown"
    """A security profile number the version does not define."""
    VERSION = "version"
    """The operation does not exist in the OCPP version asked for."""
    CERTIFICATE_USE = "certificate-use"
    """A certificate use type that no OCPP version defines."""


SECURITY_RULE_REQUIREMENTS: dict[SecurityRule, str] = {
    SecurityRule.KEY_TOO_SMALL: "A00.FR.501-503",
    SecurityRule.WEAK_SIGNATURE_HASH: "A00.FR.504, A00.FR.506",
    SecurityRule.MISSING_FIELD: "A00.FR.508-511",
    SecurityRule.COMMON_NAME_MISMATCH: "A00.FR.405, A00.FR.309/A00.FR.308 (1.6)",
    SecurityRule.COMMON_NAME_IS_URL_OR_IP: "A00.FR.511",
    SecurityRule.ORGANIZATION_MISMATCH: "A00.FR.404, A02.FR.13",
    SecurityRule.BAD_SIGNATURE: "A00.FR.403, A00.FR.308 (RFC 5280 section 6)",
    SecurityRule.NOT_YET_VALID: "A00.FR.403, A02.FR.06",
    SecurityRule.EXPIRED: "A00.FR.403, A02.FR.06",
    SecurityRule.ISSUER_MISMATCH: "A00.FR.403 (RFC 5280 section 6)",
    SecurityRule.NOT_A_CA: "A00.FR.403 (RFC 5280 section 6)",
    SecurityRule.UNTRUSTED: "A00.FR.403, L01.FR.12",
    SecurityRule.HASH_DATA: "CertificateHashDataType (RFC 6960)",
    SecurityRule.TLS_VERSION: "A00.FR.313-316 (1.6: A00.FR.312-315)",
    SecurityRule.TLS_CIPHER_SUITE: "A00.FR.318-320 (1.6: A00.FR.317-319)",
    SecurityRule.PROFILE_MISMATCH: "A00.FR.001-003",
    SecurityRule.PROFILE_DOWNGRADE: "A00.FR.005, A05.FR.01 (1.6), B09.FR.04/B09.FR.31 (2.x)",
    SecurityRule.PROFILE_PREREQUISITE: "A05.FR.02-04 (1.6), use case A05 (2.x)",
}
"""Requirement ids behind each rule (2.0.1 numbering unless marked), for messages and docs."""


class SecurityCheckError(OcppError, ValueError):
    """A security check of :mod:`ocpp_core.security` refused a value.

    Raised by pure functions; nothing is left behind. ``code`` is ``None``:
    the refusals are answered with statuses (``Rejected``, ``InvalidCertificate``)
    or by closing the connection, not with a CallError.

    Attributes:
        rule: the rule that was broken.
        requirement: the specification's requirement ids for the rule, if numbered.
        detail: what is wrong, without the rule.
    """

    rule: SecurityRule
    requirement: str | None
    detail: str

    def __init__(self, rule: SecurityRule, detail: str) -> None:
        self.rule = rule
        self.detail = detail
        self.requirement = SECURITY_RULE_REQUIREMENTS.get(rule)
        suffix = f"; {self.requirement}" if self.requirement else ""
        super().__init__(f"{detail} ({rule.value}{suffix})")


class CertificateError(SecurityCheckError):
    """A certificate, key, chain or CSR could not be read or lacks a required field."""


class CertificateChainError(CertificateError):
    """A certificate chain failed a check: validity time, issuer name, signature or trust."""


class StationIdentityError(SecurityCheckError):
    """A certificate's subject does not belong to the expected station or CSMS."""


class CsrError(SecurityCheckError):
    """A certificate signing request was refused (CSMS side of SignCertificate).

    Attributes:
        refusals: every rule the CSR broke, in checking order; ``rule`` is the first.
    """

    refusals: tuple[SecurityRule, ...]

    def __init__(self, refusals: Sequence[SecurityRule], detail: str) -> None:
        self.refusals = tuple(refusals)
        super().__init__(self.refusals[0], detail)


class TlsPolicyError(SecurityCheckError):
    """A negotiated TLS version or cipher suite is not allowed for the OCPP version.

    Attributes:
        security_event: the wire name of the security event a charging station
            raises for it (``InvalidTLSVersion`` / ``InvalidTLSCipherSuite``).
    """

    security_event: str

    def __init__(self, rule: SecurityRule, detail: str, *, security_event: str) -> None:
        self.security_event = security_event
        super().__init__(rule, detail)


class SecurityProfileError(SecurityCheckError):
    """A security profile change or connection breaks the profile rules."""


# ---------------------------------------------------------------------------
# Errors of the delivery queue and transaction ledger (ocpp_core.delivery).
# ---------------------------------------------------------------------------


class DeliveryError(OcppError):
    """Root of the errors of :mod:`ocpp_core.delivery` (the caller misused the API).

    The ledger never raises on what a peer sent (bad values become anomalies);
    these errors are about the host's own calls. ``code`` is always ``None``.
    """


class QueueFullError(DeliveryError):
    """The transaction queue is full of messages its policy may never drop.

    Raised by ``TransactionQueue.enqueue`` when the queue holds ``capacity``
    messages, none of them droppable (transaction starts and ends and the last
    meter reading of each transaction), and the new message is not droppable
    either. The queue is left exactly as it was: the host decides (more
    storage, or a deliberate loss it records itself).

    Attributes:
        capacity: the queue's bound.
    """

    capacity: int

    def __init__(self, capacity: int) -> None:
        super().__init__(
            f"the transaction queue holds {capacity} messages (its capacity) and none of "
            "them may be dropped"
        )
        self.capacity = capacity


class DeliveryValueError(DeliveryError, ValueError):
    """A value given to the delivery queue or ledger is unusable; the message names the field.

    Examples: a message that is not transaction-related, a negative capacity,
    a queue document that is not a queue. Nothing changes.

    Attributes:
        field: the argument or JSON field at fault.
    """

    field: str

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


# ---------------------------------------------------------------------------
# Errors of the smart-charging engine (ocpp_core.smart_charging).
# ---------------------------------------------------------------------------


class SmartChargingValueError(OcppError, ValueError, TypeError):
    """A value given to :mod:`ocpp_core.smart_charging` cannot be used.

    Raised at construction of a smart-charging value (or at the call of a
    smart-charging function) when an enum-typed field receives something that
    is neither the field's enum, an equal plain string, nor a message enum of
    any OCPP version with an equal value. Nothing is left behind: the value is
    not built. It is both a :class:`ValueError` (an unknown value) and a
    :class:`TypeError` (a value of the wrong type), so either ``except`` works.
    ``code`` is ``None``: this is a local misuse, nothing is owed to a peer.

    Attributes:
        field: the field or parameter, e.g. ``ChargingSchedule.charging_rate_unit``.
        value: the value refused.
    """

    field: str
    value: object

    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field}: {clip(repr(value), 60)} is not {expected}")


# ---------------------------------------------------------------------------
# Errors of the ``ocpp-core`` command (ocpp_core._cli) and the code generator.
# They are reported in one line by the command and never escape it.
# ---------------------------------------------------------------------------


class LogFileError(OcppError, ValueError):
    """``ocpp-core check``: the log cannot be read as a text file (exit status 2)."""


class ScenarioError(OcppError, ValueError):
    """``ocpp-core schedule``: the scenario cannot be used (exit status 2)."""


class SchemaImportError(OcppError, ValueError):
    """``python -m ocpp_core.codegen``: an OCA folder could not be turned into a bundle."""


class ConflictError(SchemaImportError):
    """Two OCA files define the same datatype differently.

    Attributes:
        conflicts: one line per disagreement: the name, the two files, and the
            first difference.
    """

    def __init__(self, conflicts: list[str]) -> None:
        super().__init__(
            "OCA files define the same datatype differently:\n  " + "\n  ".join(conflicts)
        )
        self.conflicts = conflicts
