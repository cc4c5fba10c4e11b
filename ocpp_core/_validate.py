"""The reference check: jsonschema over the project's bundle, all errors reported.

:func:`validate_payload` is independent of the generated decoder: it runs the
``jsonschema`` library (draft-04 for 1.6, draft-06 for 2.x and for the 1.6
security-extension actions, whose files declare it) over the bundle,
with two deliberate settings that the tests keep in agreement with the
decoder:

* ``multipleOf`` is evaluated on the decimal number the JSON text wrote
  (``Decimal(repr(x))``), so ``21.4`` is a multiple of ``0.1``; binary floats
  would reject it (OCPP 1.6 errata E4);
* ``date-time`` is checked as RFC 3339 with a required offset, and ``uri`` by
  the ``URI`` grammar of RFC 3986 (the tests check both against the
  rfc3339-validator and rfc3986-validator packages that jsonschema uses).

jsonschema is imported on the first call only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from ocpp_core._api import _unknown
from ocpp_core._runtime import URI
from ocpp_core._schemas import load_bundle
from ocpp_core.errors import PayloadError, PayloadRule
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = ["validate_payload"]

_VALIDATORS: dict[tuple[str, str, str], Any] = {}

_RULES = {
    "type": PayloadRule.TYPE,
    "required": PayloadRule.REQUIRED,
    "additionalProperties": PayloadRule.UNKNOWN_PROPERTY,
    "enum": PayloadRule.ENUM,
    "maxLength": PayloadRule.MAX_LENGTH,
    "minLength": PayloadRule.TYPE,
    "minimum": PayloadRule.MINIMUM,
    "maximum": PayloadRule.MAXIMUM,
    "multipleOf": PayloadRule.MULTIPLE_OF,
    "minItems": PayloadRule.MIN_ITEMS,
    "maxItems": PayloadRule.MAX_ITEMS,
    "format": PayloadRule.FORMAT,
}

_DATE_TIME = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|([+-])(\d\d):(\d\d))$",
    re.ASCII,
)


def _is_date_time(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    match = _DATE_TIME.match(instance)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    if match.group(9) and (int(match.group(10)) > 23 or int(match.group(11)) > 59):
        return False
    try:
        datetime(year, month, day, hour, minute, second)  # range check only; no zone needed
    except ValueError:
        return False
    return True


def _is_uri(instance: object) -> bool:
    return not isinstance(instance, str) or URI.fullmatch(instance) is not None


def _validator_class(draft: str) -> Any:
    from jsonschema import FormatChecker, ValidationError, validators  # noqa: PLC0415

    base = validators.Draft4Validator if "draft-04" in draft else validators.Draft6Validator

    def multiple_of(validator: Any, step: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if not validator.is_type(instance, "number"):
            return
        if isinstance(instance, float) and not math.isfinite(instance):
            yield ValidationError(f"{instance!r} is not a multiple of {step}")
            return
        if Decimal(repr(instance)) % Decimal(repr(step)) != 0:
            yield ValidationError(f"{instance!r} is not a multiple of {step}")

    checker = FormatChecker(formats=())
    checker.checks("date-time")(_is_date_time)
    checker.checks("uri")(_is_uri)
    cls = validators.extend(base, {"multipleOf": multiple_of})  # type: ignore[no-untyped-call]
    return cls, checker


def _validator(version: OcppVersion, action: str, kind: str) -> Any:
    key = (version.value, action, kind)
    validator = _VALIDATORS.get(key)
    if validator is None:
        bundle = load_bundle(version)
        entry = bundle["x-ocpp-actions"].get(action)
        if entry is None or kind not in entry:
            raise _unknown(version, action, kind)
        # An action may follow another draft than its version (1.6 security extension).
        draft = entry.get("draft", bundle["$schema"])
        cls, checker = _validator_class(draft)
        schema = {"$schema": draft, "$defs": bundle["$defs"], **entry[kind]}
        validator = cls(schema, format_checker=checker)
        _VALIDATORS[key] = validator
    return validator


def validate_payload(
    version: VersionLike, action: str, kind: str, payload: object
) -> list[PayloadError]:
    """Check ``payload`` with jsonschema against the bundle; return every error.

    The reference for :func:`decode_payload`: for any payload, the decoder
    raises exactly when this returns a non-empty list (the tests check this
    on generated and mutated payloads). Errors are not raised but returned,
    each a :class:`PayloadError` with its rule, path and code; an empty list
    means the payload is valid.

    Raises:
        UnknownActionError: ``version`` has no such action or kind.

    >>> [e.code.value for e in validate_payload("1.6", "Heartbeat", "request", {"x": 1})]
    ['FormationViolation']
    """
    parsed = OcppVersion.parse(version)
    validator = _validator(parsed, action, kind)
    errors = []
    for error in sorted(validator.iter_errors(payload), key=lambda e: list(e.absolute_path)):
        rule = _RULES.get(error.validator, PayloadRule.TYPE)
        path = list(error.absolute_path)
        if rule is PayloadRule.TYPE and not path and not isinstance(payload, dict):
            rule = PayloadRule.NOT_AN_OBJECT
        errors.append(PayloadError(parsed, rule, str(error.message)[:200], path))
    return errors
