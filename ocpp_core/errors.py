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
from collections.abc import Sequence

from ocpp_core.versions import OcppVersion, VersionLike

__all__ = [
    "ErrorCode",
    "OcppError",
    "PayloadError",
    "PayloadRule",
    "error_codes_for",
    "payload_error_code",
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


def _format_path(path: Sequence[str | int]) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class PayloadError(OcppError, ValueError):
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
        self.path = _format_path(path)
        super().__init__(
            f"{self.path}: {detail} ({rule.value})",
            code=payload_error_code(version, rule),
        )
        self.code = payload_error_code(version, rule)
