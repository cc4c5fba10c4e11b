"""The exactness rules of the decoder and every DecodeOptions flag, both ways."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from ocpp_core import (
    DecodeOptions,
    PayloadError,
    PayloadRule,
    decode_payload,
    encode_payload,
    validate_payload,
)
from ocpp_core._schemas import load_bundle
from ocpp_core.v16 import TransactionUnitOfMeasure, UnitOfMeasure

T = "2026-03-01T12:00:00Z"


def rejects(version: str, action: str, kind: str, payload: Any, rule: PayloadRule,
            options: DecodeOptions | None = None) -> PayloadError:  # fmt: skip
    with pytest.raises(PayloadError) as caught:
        decode_payload(version, action, kind, payload, options=options)
    assert caught.value.rule is rule, caught.value
    if options is None:
        assert [e.rule for e in validate_payload(version, action, kind, payload)] == [rule]
    return caught.value


# --- integers: draft-04 for 1.6, draft-06 for 2.x -------------------------------------
def test_integral_float_is_not_an_integer_in_16() -> None:
    error = rejects("1.6", "CancelReservation", "request", {"reservationId": 1.0}, PayloadRule.TYPE)
    assert error.path == "$.reservationId"


SECURITY_16 = sorted(
    name for name, entry in load_bundle("1.6")["x-ocpp-actions"].items() if "draft" in entry
)


def test_16_security_extension_actions_follow_draft_06() -> None:
    """The 1.6 security-extension files declare draft-06, so ``1.0`` is an integer there."""
    assert SECURITY_16 == [
        "CertificateSigned", "DeleteCertificate", "ExtendedTriggerMessage",
        "GetInstalledCertificateIds", "GetLog", "InstallCertificate", "LogStatusNotification",
        "SecurityEventNotification", "SignCertificate", "SignedFirmwareStatusNotification",
        "SignedUpdateFirmware",
    ]  # fmt: skip
    payload = {"requestId": 1.0, "firmware": {"location": "https://x", "retrieveDateTime": T,
               "signingCertificate": "c", "signature": "s"}}  # fmt: skip
    msg = decode_payload("1.6", "SignedUpdateFirmware", "request", payload)
    assert type(msg.request_id) is int
    assert validate_payload("1.6", "SignedUpdateFirmware", "request", payload) == []
    payload["requestId"] = 1.5
    rejects("1.6", "SignedUpdateFirmware", "request", payload, PayloadRule.TYPE)
    # The core 1.6 actions stay draft-04 in the same version.
    rejects("1.6", "CancelReservation", "request", {"reservationId": 1.0}, PayloadRule.TYPE)


def test_16_drafts_are_the_ones_the_official_files_declare(official: Any) -> None:
    """Each 1.6 action follows the draft its official files declare (request and response)."""
    for action, entry in load_bundle("1.6")["x-ocpp-actions"].items():
        for kind in ("request", "response"):
            if kind in entry:
                _path, schema = official.file("1.6", action, kind)
                assert entry.get("draft", load_bundle("1.6")["$schema"]) == schema["$schema"]


@pytest.mark.parametrize("version", ["2.0", "2.0.1", "2.1"])
def test_integral_float_is_an_integer_in_2x(version: str) -> None:
    msg = decode_payload(version, "CancelReservation", "request", {"reservationId": 1.0})
    assert msg.reservation_id == 1
    assert type(msg.reservation_id) is int
    assert validate_payload(version, "CancelReservation", "request", {"reservationId": 1.0}) == []
    rejects(version, "CancelReservation", "request", {"reservationId": 1.5}, PayloadRule.TYPE)


@pytest.mark.parametrize("version", ["1.6", "2.0", "2.0.1", "2.1"])
@pytest.mark.parametrize("value", [True, False])
def test_bool_is_never_a_number(version: str, value: bool) -> None:
    rejects(version, "CancelReservation", "request", {"reservationId": value}, PayloadRule.TYPE)


# --- multipleOf 0.1 read as the decimal the sender wrote ------------------------------
def _profile(limit: float) -> dict[str, Any]:
    return {"connectorId": 1, "csChargingProfiles": {
        "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute", "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}}}  # fmt: skip


@pytest.mark.parametrize("limit", [21.4, 0.3, 16, 32.0, 0.1, 1234.5, -7.7])
def test_multiple_of_accepts_decimals(limit: float) -> None:
    msg = decode_payload("1.6", "SetChargingProfile", "request", _profile(limit))
    assert msg.cs_charging_profiles.charging_schedule.charging_schedule_period[0].limit == limit
    assert validate_payload("1.6", "SetChargingProfile", "request", _profile(limit)) == []


@pytest.mark.parametrize("limit", [21.399999999999995, 0.05, 21.45, 0.30000000000000004])
def test_multiple_of_rejects_near_misses(limit: float) -> None:
    error = rejects(
        "1.6", "SetChargingProfile", "request", _profile(limit), PayloadRule.MULTIPLE_OF
    )
    assert error.path == "$.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit"


# --- timestamps -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T12:00:00Z", datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("2026-03-01t12:00:00.5z", datetime(2026, 3, 1, 12, 0, 0, 500000, tzinfo=UTC)),
        ("2026-03-01T12:00:00.123456789+05:30",
         datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
        ("0001-01-01T00:00:00-23:59",
         datetime(1, 1, 1, tzinfo=timezone(-timedelta(hours=23, minutes=59)))),
    ],
)  # fmt: skip
def test_rfc3339_timestamps(text: str, expected: datetime) -> None:
    msg = decode_payload("2.0.1", "Heartbeat", "response", {"currentTime": text})
    assert msg.current_time == expected
    assert msg.current_time.utcoffset() == expected.utcoffset()


def test_timestamp_without_offset() -> None:
    payload = {"currentTime": "2026-03-01T12:00:00"}
    rejects("2.0.1", "Heartbeat", "response", payload, PayloadRule.FORMAT)
    msg = decode_payload("2.0.1", "Heartbeat", "response", payload,
                         options=DecodeOptions(lenient_timestamps=True))  # fmt: skip
    assert msg.current_time == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert msg.current_time.tzinfo is not None


def test_lenient_timestamps_other_iso_forms() -> None:
    payload = {"currentTime": "2026-03-01 12:00:00+02:00"}
    rejects("1.6", "Heartbeat", "response", payload, PayloadRule.FORMAT)
    msg = decode_payload("1.6", "Heartbeat", "response", payload,
                         options=DecodeOptions(lenient_timestamps=True))  # fmt: skip
    assert msg.current_time == datetime(2026, 3, 1, 10, tzinfo=UTC)
    with pytest.raises(PayloadError):
        decode_payload("1.6", "Heartbeat", "response", {"currentTime": "yesterday"},
                       options=DecodeOptions(lenient_timestamps=True))  # fmt: skip


# --- the errata options ---------------------------------------------------------------
def _stop(unit: str) -> dict[str, Any]:
    return {"transactionId": 1, "meterStop": 10, "timestamp": T, "transactionData": [
        {"timestamp": T, "sampledValue": [{"value": "20", "unit": unit}]}]}  # fmt: skip


def test_celsius_spellings() -> None:
    rejects("1.6", "StopTransaction", "request", _stop("Celsius"), PayloadRule.ENUM)
    msg = decode_payload("1.6", "StopTransaction", "request", _stop("Celsius"),
                         options=DecodeOptions(celsius_spellings=True))  # fmt: skip
    unit = msg.transaction_data[0].sampled_value[0].unit
    assert unit is TransactionUnitOfMeasure.CELCIUS
    strict = decode_payload("1.6", "StopTransaction", "request", _stop("Celcius"))
    assert strict.transaction_data[0].sampled_value[0].unit is TransactionUnitOfMeasure.CELCIUS


def _meter(unit: str) -> dict[str, Any]:
    return {"connectorId": 1, "meterValue": [
        {"timestamp": T, "sampledValue": [{"value": "50", "unit": unit}]}]}  # fmt: skip


@pytest.mark.parametrize("unit", ["Hz", "Hertz"])
def test_frequency_units(unit: str) -> None:
    rejects("1.6", "MeterValues", "request", _meter(unit), PayloadRule.ENUM)
    msg = decode_payload("1.6", "MeterValues", "request", _meter(unit),
                         options=DecodeOptions(frequency_units=True))  # fmt: skip
    assert msg.meter_value[0].sampled_value[0].unit is UnitOfMeasure.HERTZ
    rejects("1.6", "StopTransaction", "request", _stop(unit), PayloadRule.ENUM)
    stop = decode_payload("1.6", "StopTransaction", "request", _stop(unit),
                          options=DecodeOptions(frequency_units=True))  # fmt: skip
    assert stop.transaction_data[0].sampled_value[0].unit is TransactionUnitOfMeasure.HERTZ


@pytest.mark.parametrize(("value", "text"), [(60, "60"), (True, "true"), (1.5, "1.5")])
def test_coerce_config_values(value: object, text: str) -> None:
    payload = {"key": "HeartbeatInterval", "value": value}
    rejects("1.6", "ChangeConfiguration", "request", payload, PayloadRule.TYPE)
    msg = decode_payload("1.6", "ChangeConfiguration", "request", payload,
                         options=DecodeOptions(coerce_config_values=True))  # fmt: skip
    assert msg.value == text
    conf = {"configurationKey": [{"key": "K", "readonly": False, "value": value}]}
    rejects("1.6", "GetConfiguration", "response", conf, PayloadRule.TYPE)
    got = decode_payload("1.6", "GetConfiguration", "response", conf,
                         options=DecodeOptions(coerce_config_values=True))  # fmt: skip
    assert got.configuration_key[0].value == text


def test_data_transfer_json_data() -> None:
    payload = {"vendorId": "acme", "data": {"a": [1, 2]}}
    rejects("1.6", "DataTransfer", "request", payload, PayloadRule.TYPE)
    msg = decode_payload("1.6", "DataTransfer", "request", payload,
                         options=DecodeOptions(data_transfer_json_data=True))  # fmt: skip
    assert msg.data == '{"a":[1,2]}'


def test_null_as_absent() -> None:
    payload = {"idTag": "ABC", "meterStart": 0, "connectorId": 1, "timestamp": T,
               "reservationId": None}  # fmt: skip
    rejects("1.6", "StartTransaction", "request", payload, PayloadRule.TYPE)
    msg = decode_payload("1.6", "StartTransaction", "request", payload,
                         options=DecodeOptions(null_as_absent=True))  # fmt: skip
    assert msg.reservation_id is None
    required_null = {**payload, "idTag": None}
    rejects("1.6", "StartTransaction", "request", required_null, PayloadRule.TYPE,
            DecodeOptions(null_as_absent=True))  # fmt: skip


@pytest.mark.parametrize("version", ["1.6", "2.0.1", "2.1"])
def test_ignore_unknown_properties(version: str) -> None:
    payload = {"reservationId": 3, "chargeBoxId": "CP1"}
    error = rejects(version, "CancelReservation", "request", payload, PayloadRule.UNKNOWN_PROPERTY)
    assert error.path == "$.chargeBoxId"
    msg = decode_payload(version, "CancelReservation", "request", payload,
                         options=DecodeOptions(ignore_unknown_properties=True))  # fmt: skip
    assert msg.reservation_id == 3


def test_lenient_turns_every_option_on() -> None:
    names = [field.name for field in attrs.fields(DecodeOptions) if field.name != "on_departure"]
    assert all(getattr(DecodeOptions.lenient(), name) is True for name in names)
    assert DecodeOptions.lenient().on_departure is None
    assert not any(getattr(DecodeOptions(), name) for name in names)


# --- import cost ----------------------------------------------------------------------
def test_typed_import_does_not_import_jsonschema() -> None:
    code = (
        "import sys, ocpp_core, ocpp_core.v201, ocpp_core.v16\n"
        "from ocpp_core import decode_payload\n"
        "decode_payload('2.0.1', 'Heartbeat', 'request', {})\n"
        "assert 'jsonschema' not in sys.modules, 'jsonschema imported'\n"
        "assert 'hypothesis' not in sys.modules, 'hypothesis imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- untyped fields (2.x DataTransfer ``data``) ------------------------------------------
@pytest.mark.parametrize("version", ["2.0", "2.0.1", "2.1"])
@pytest.mark.parametrize("kind", ["request", "response"])
def test_null_untyped_field_round_trips(version: str, kind: str) -> None:
    """``data`` has no type, so null is a valid value; the message must round-trip.

    2.0 objects are open (``extra``): no extra property means ``extra is None``.
    """
    payload: dict[str, Any] = {"data": None}
    payload.update({"vendorId": "acme"} if kind == "request" else {"status": "Accepted"})
    assert validate_payload(version, "DataTransfer", kind, payload) == []
    msg = decode_payload(version, "DataTransfer", kind, payload)
    assert msg.data is None
    assert getattr(msg, "extra", None) is None
    assert decode_payload(version, "DataTransfer", kind, encode_payload(msg)) == msg
