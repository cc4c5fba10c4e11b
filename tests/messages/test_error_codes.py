"""The published table from payload rule to CallError code: every row."""

from __future__ import annotations

import pytest

from ocpp_core import ErrorCode, PayloadRule, error_codes_for, payload_error_code

R, E = PayloadRule, ErrorCode
TABLE_16 = {
    R.NOT_AN_OBJECT: E.FORMATION_VIOLATION,
    R.UNKNOWN_PROPERTY: E.FORMATION_VIOLATION,
    R.REQUIRED: E.OCCURENCE_CONSTRAINT_VIOLATION,
    R.MIN_ITEMS: E.OCCURENCE_CONSTRAINT_VIOLATION,
    R.MAX_ITEMS: E.OCCURENCE_CONSTRAINT_VIOLATION,
    R.TYPE: E.TYPE_CONSTRAINT_VIOLATION,
    R.MAX_LENGTH: E.TYPE_CONSTRAINT_VIOLATION,
    R.FORMAT: E.TYPE_CONSTRAINT_VIOLATION,
    R.ENUM: E.PROPERTY_CONSTRAINT_VIOLATION,
    R.MINIMUM: E.PROPERTY_CONSTRAINT_VIOLATION,
    R.MAXIMUM: E.PROPERTY_CONSTRAINT_VIOLATION,
    R.MULTIPLE_OF: E.PROPERTY_CONSTRAINT_VIOLATION,
}
TABLE_2X = {
    **TABLE_16,
    R.NOT_AN_OBJECT: E.FORMAT_VIOLATION,
    R.UNKNOWN_PROPERTY: E.PROTOCOL_ERROR,
    R.REQUIRED: E.OCCURRENCE_CONSTRAINT_VIOLATION,
    R.MIN_ITEMS: E.OCCURRENCE_CONSTRAINT_VIOLATION,
    R.MAX_ITEMS: E.OCCURRENCE_CONSTRAINT_VIOLATION,
}
ROWS = [
    pytest.param(version, rule, (TABLE_16 if version == "1.6" else TABLE_2X)[rule],
                 id=f"{version}-{rule.value}")
    for version in ("1.6", "2.0", "2.0.1", "2.1")
    for rule in PayloadRule
]  # fmt: skip


def test_table_covers_every_rule() -> None:
    assert set(TABLE_16) == set(PayloadRule) == set(TABLE_2X)


@pytest.mark.parametrize(("version", "rule", "code"), ROWS)
def test_row(version: str, rule: PayloadRule, code: ErrorCode) -> None:
    assert payload_error_code(version, rule) is code
    assert code in error_codes_for(version)


def test_spellings_per_version() -> None:
    assert E.FORMAT_VIOLATION not in error_codes_for("1.6")
    assert E.FORMATION_VIOLATION not in error_codes_for("2.0.1")
    assert E.OCCURENCE_CONSTRAINT_VIOLATION not in error_codes_for("2.1")
    assert E.RPC_FRAMEWORK_ERROR not in error_codes_for("1.6")
