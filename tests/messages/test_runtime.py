"""The runtime helpers of the generated codec, on the paths the corpus rarely takes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ocpp_core import EncodeError, PayloadRule
from ocpp_core._runtime import (
    STRICT,
    DecodeFailure,
    DecodeOptions,
    format_datetime,
    int_from,
    is_multiple_of,
    parse_datetime,
    show,
)


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        (21.4, 0.1, True),
        (0.3, 0.1, True),
        (21.399999999999995, 0.1, False),
        (7, 0.1, True),
        (1e22, 0.1, True),
        (2.5e-7, 0.1, False),
        (0.75, 0.25, True),
        (0.8, 0.25, False),
        (6, 4, False),
        (8, 4, True),
        (float("inf"), 0.5, False),
    ],
)
def test_is_multiple_of_reads_the_decimal_written(
    value: float, step: float, expected: bool
) -> None:
    assert is_multiple_of(value, step) is expected


def test_round_trip_of_offsets() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert format_datetime(datetime(2026, 1, 1, 12, tzinfo=UTC)) == "2026-01-01T12:00:00Z"
    assert format_datetime(datetime(2026, 1, 1, 12, tzinfo=plus_two)) == "2026-01-01T12:00:00+02:00"
    # A zero offset that is not the UTC singleton is still written with Z.
    zero = timezone(timedelta(0), "GMT")
    assert format_datetime(datetime(2026, 1, 1, 12, 0, 0, 5000, tzinfo=zero)) == (
        "2026-01-01T12:00:00.005000Z"
    )
    text = "2026-01-01T12:00:00.123456+05:30"
    assert format_datetime(parse_datetime(text, STRICT)) == text


def test_naive_datetimes_are_not_written() -> None:
    with pytest.raises(EncodeError, match="naive datetime"):
        format_datetime(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-01T12:00:00",  # no offset
        "2026-01-01T12:00:60Z",  # leap second: not representable
        "2026-13-01T12:00:00Z",
        "2026-01-01 12:00:00Z",
        "2026-01-01T12:00:00+02",
        "",
    ],
)
def test_strict_timestamps(text: str) -> None:
    with pytest.raises(DecodeFailure) as caught:
        parse_datetime(text, STRICT)
    assert caught.value.rule is PayloadRule.FORMAT


def test_lenient_timestamps_read_missing_offsets_as_utc() -> None:
    lenient = DecodeOptions(lenient_timestamps=True)
    assert parse_datetime("2026-01-01 12:00", lenient) == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert parse_datetime("2026-01-01T12:00:00+02", lenient).utcoffset() == timedelta(hours=2)
    with pytest.raises(DecodeFailure):
        parse_datetime("31-08-2025 00:00", lenient)


def test_int_from_under_draft_06() -> None:
    assert int_from(3.0, "x") == 3
    for bad in (3.5, True, "3", None, float("nan")):
        with pytest.raises(DecodeFailure) as caught:
            int_from(bad, "x")
        assert caught.value.path == ["x"]


def test_error_texts_are_bounded() -> None:
    huge = "x" * 1_000_000
    assert len(show(huge)) < 50
    assert len(show(10**300)) < 50
    assert show(10**5000) == f"an integer of {(10**5000).bit_length()} bits"
    assert show(None) == "null"
    assert show({"a": 1}) == "an object"
