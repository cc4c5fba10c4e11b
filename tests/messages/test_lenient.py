"""DecodeOptions for real chargers that break the schemas (issue 10, "Real chargers").

Each option is off by default (strict decoding refuses the frame, as the
official schemas do), accepts its class of departure when on, and reports
every departure it accepted, with its JSON path, to ``on_departure``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core import (
    DecodeOptions,
    Departure,
    PayloadError,
    PayloadRule,
    UnknownEnumValue,
    decode_payload,
    encode_payload,
    make_converter,
    v16,
    v201,
    validate_payload,
)
from ocpp_core._cli import main
from ocpp_core.strategies import wire_payloads

T = "2026-03-01T12:00:00Z"


def decoded(
    version: str, action: str, kind: str, payload: Any, **flags: bool
) -> tuple[Any, list[Departure]]:
    """Decode strictly (which must fail, as jsonschema does), then with ``flags``."""
    with pytest.raises(PayloadError):
        decode_payload(version, action, kind, payload)
    assert validate_payload(version, action, kind, payload) != []
    seen: list[Departure] = []
    options = DecodeOptions(**flags, on_departure=seen.append)
    return decode_payload(version, action, kind, payload, options=options), seen


def _status(error_code: str) -> dict[str, Any]:
    return {"connectorId": 1, "errorCode": error_code, "status": "Faulted"}


def test_unknown_enum_value_is_kept_raw_and_typed() -> None:
    msg, seen = decoded("1.6", "StatusNotification", "request", _status("Error"),
                        unknown_enum_values=True)  # fmt: skip
    value = msg.error_code
    assert isinstance(value, UnknownEnumValue)
    assert value == "Error"
    assert value.value == "Error"
    assert value.enum is v16.ChargePointErrorCode
    assert value not in set(v16.ChargePointErrorCode)
    assert [(d.option, d.path) for d in seen] == [("unknown_enum_values", "$.errorCode")]
    # It encodes back unchanged, and the message round-trips under the option.
    assert encode_payload(msg) == _status("Error")
    options = DecodeOptions(unknown_enum_values=True)
    assert decode_payload("1.6", "StatusNotification", "request", encode_payload(msg),
                          options=options) == msg  # fmt: skip


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        (
            "$.meterValue[0].sampledValue[0].context",
            {"connectorId": 1, "meterValue": [{"timestamp": T, "sampledValue": [
                {"value": "1", "context": "CurrentMax"}]}]},
        ),
        (
            "$.meterValue[0].sampledValue[1].measurand",
            {"connectorId": 1, "meterValue": [{"timestamp": T, "sampledValue": [
                {"value": "1"}, {"value": "2", "measurand": "Current.import"}]}]},
        ),
    ],
)  # fmt: skip
def test_unknown_enum_values_in_meter_values(path: str, payload: Any) -> None:
    msg, seen = decoded("1.6", "MeterValues", "request", payload, unknown_enum_values=True)
    assert [d.path for d in seen] == [path]
    assert encode_payload(msg) == payload


def test_unknown_enum_value_is_never_mapped_to_a_member_by_case() -> None:
    msg, _ = decoded("1.6", "StatusNotification", "request", _status("noerror"),
                     unknown_enum_values=True)  # fmt: skip
    assert isinstance(msg.error_code, UnknownEnumValue)
    assert msg.error_code != v16.ChargePointErrorCode.NO_ERROR


def test_unknown_enum_values_still_refuse_non_strings() -> None:
    options = DecodeOptions(unknown_enum_values=True)
    with pytest.raises(PayloadError) as caught:
        decode_payload("1.6", "StatusNotification", "request", _status(3), options=options)  # type: ignore[arg-type]
    assert caught.value.path == "$.errorCode"


def test_numeric_sampled_values_in_16() -> None:
    payload = {
        "connectorId": 1,
        "meterValue": [{"timestamp": T, "sampledValue": [{"value": 230.1}]}],
    }
    msg, seen = decoded("1.6", "MeterValues", "request", payload, numeric_sampled_values=True)
    assert msg.meter_value[0].sampled_value[0].value == "230.1"
    assert [(d.option, d.path) for d in seen] == [
        ("numeric_sampled_values", "$.meterValue[0].sampledValue[0].value")
    ]
    stop = {"meterStop": 10, "timestamp": T, "transactionId": 1,
            "transactionData": [{"timestamp": T, "sampledValue": [{"value": 7}]}]}  # fmt: skip
    msg, seen = decoded("1.6", "StopTransaction", "request", stop, numeric_sampled_values=True)
    assert msg.transaction_data[0].sampled_value[0].value == "7"
    assert seen[0].path == "$.transactionData[0].sampledValue[0].value"


@pytest.mark.parametrize(("sent", "read"), [("true", True), ("false", False), ("TRUE", True),
                                            (1, True), (0, False)])  # fmt: skip
def test_loose_booleans_in_get_configuration(sent: object, read: bool) -> None:
    payload = {"configurationKey": [{"key": "HeartbeatInterval", "readonly": sent, "value": "60"}]}
    msg, seen = decoded("1.6", "GetConfiguration", "response", payload, loose_booleans=True)
    assert msg.configuration_key[0].readonly is read
    assert [(d.option, d.path) for d in seen] == [
        ("loose_booleans", "$.configurationKey[0].readonly")
    ]


@pytest.mark.parametrize("sent", ["yes", 2, 1.0, "1"])
def test_loose_booleans_refuse_other_values(sent: object) -> None:
    payload = {"configurationKey": [{"key": "K", "readonly": sent}]}
    with pytest.raises(PayloadError) as caught:
        decode_payload("1.6", "GetConfiguration", "response", payload,
                       options=DecodeOptions(loose_booleans=True))  # fmt: skip
    assert caught.value.path == "$.configurationKey[0].readonly"


def test_numeric_strings_for_integers() -> None:
    payload = {"idTag": "A", "connectorId": "1"}
    msg, seen = decoded("1.6", "RemoteStartTransaction", "request", payload, numeric_strings=True)
    assert msg.connector_id == 1
    assert type(msg.connector_id) is int
    assert [(d.option, d.path) for d in seen] == [("numeric_strings", "$.connectorId")]
    payload201 = {"idToken": {"idToken": "A", "type": "ISO14443"}, "remoteStartId": "1"}
    msg, seen = decoded("2.0.1", "RequestStartTransaction", "request", payload201,
                        numeric_strings=True)  # fmt: skip
    assert msg.remote_start_id == 1
    assert seen[0].path == "$.remoteStartId"


def test_numeric_strings_keep_the_fields_rules() -> None:
    options = DecodeOptions(numeric_strings=True)
    with pytest.raises(PayloadError) as caught:
        decode_payload("2.0.1", "SetChargingProfile", "request",
                       {"evseId": "x1", "chargingProfile": {}}, options=options)  # fmt: skip
    assert caught.value.path == "$.evseId"
    limit = {"startPeriod": 0, "limit": "21.45"}
    schedule = {"chargingRateUnit": "A", "chargingSchedulePeriod": [limit]}
    with pytest.raises(PayloadError) as caught:
        decode_payload(
            "1.6",
            "GetCompositeSchedule",
            "response",
            {"status": "Accepted", "chargingSchedule": schedule},
            options=options,
        )
    assert caught.value.rule is PayloadRule.MULTIPLE_OF


def test_numeric_strings_in_a_scalar_array_name_the_index() -> None:
    criterion = {"chargingProfileId": [1, "2"]}
    payload = {"requestId": 1, "chargingProfile": criterion}
    msg, seen = decoded("2.0.1", "GetChargingProfiles", "request", payload, numeric_strings=True)
    assert msg.charging_profile.charging_profile_id == (1, 2)
    assert [d.path for d in seen] == ["$.chargingProfile.chargingProfileId[1]"]


def test_drop_invalid_optional_fields_of_a_rejected_answer() -> None:
    payload = {"status": "Rejected", "scheduleStart": "0", "connectorId": 1}
    msg, seen = decoded("1.6", "GetCompositeSchedule", "response", payload,
                        drop_invalid_optional=True)  # fmt: skip
    assert msg == v16.GetCompositeScheduleResponse(
        status=v16.GetCompositeScheduleStatus.REJECTED, connector_id=1
    )
    assert [(d.option, d.path) for d in seen] == [("drop_invalid_optional", "$.scheduleStart")]


def test_drop_invalid_optional_drops_the_whole_optional_object() -> None:
    schedule = {"chargingRateUnit": "", "chargingSchedulePeriod": []}
    payload = {"status": "Rejected", "chargingSchedule": schedule}
    msg, seen = decoded("1.6", "GetCompositeSchedule", "response", payload,
                        drop_invalid_optional=True)  # fmt: skip
    assert msg.charging_schedule is None
    assert seen[0].path == "$.chargingSchedule"
    assert "chargingRateUnit" in seen[0].detail


def test_drop_invalid_optional_never_drops_a_required_field() -> None:
    options = DecodeOptions(drop_invalid_optional=True)
    with pytest.raises(PayloadError) as caught:
        decode_payload("1.6", "GetCompositeSchedule", "response", {"status": "Nope"},
                       options=options)  # fmt: skip
    assert caught.value.path == "$.status"


def test_value_options_come_before_dropping() -> None:
    payload = {
        "status": "Rejected",
        "chargingSchedule": {
            "chargingRateUnit": "",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6}],
        },
    }
    seen: list[Departure] = []
    msg = decode_payload("1.6", "GetCompositeSchedule", "response", payload,
                         options=DecodeOptions.lenient(on_departure=seen.append))  # fmt: skip
    assert isinstance(msg.charging_schedule.charging_rate_unit, UnknownEnumValue)
    assert [d.option for d in seen] == ["unknown_enum_values"]


def test_existing_options_report_their_departures_too() -> None:
    payload = {"connectorId": 1, "errorCode": "NoError", "status": "Available",
               "timestamp": "2026-03-01 12:00:00", "info": None, "chargeBoxId": "X"}  # fmt: skip
    seen: list[Departure] = []
    decode_payload("1.6", "StatusNotification", "request", payload,
                   options=DecodeOptions.lenient(on_departure=seen.append))  # fmt: skip
    assert sorted((d.option, d.path) for d in seen) == [
        ("ignore_unknown_properties", "$.chargeBoxId"),
        ("lenient_timestamps", "$.timestamp"),
        ("null_as_absent", "$.info"),
    ]
    assert str(seen[0]).endswith(f"(accepted by DecodeOptions.{seen[0].option})")


def test_departures_are_not_reported_for_a_refused_payload() -> None:
    seen: list[Departure] = []
    with pytest.raises(PayloadError):
        decode_payload(
            "1.6",
            "RemoteStartTransaction",
            "request",
            {"connectorId": "1"},
            options=DecodeOptions(numeric_strings=True, on_departure=seen.append),
        )
    assert seen == []


def test_the_converter_reports_departures() -> None:
    seen: list[Departure] = []
    converter = make_converter(
        "2.0.1", options=DecodeOptions(numeric_strings=True, on_departure=seen.append)
    )
    payload = {"idToken": {"idToken": "A", "type": "ISO14443"}, "remoteStartId": "7"}
    msg = converter.structure(payload, v201.RequestStartTransactionRequest)
    assert msg.remote_start_id == 7
    assert [d.path for d in seen] == ["$.remoteStartId"]


CASES = [
    ("1.6", "MeterValues", "request"),
    ("1.6", "GetConfiguration", "response"),
    ("1.6", "GetCompositeSchedule", "response"),
    ("2.0.1", "TransactionEvent", "request"),
    ("2.0.1", "GetChargingProfiles", "request"),
    ("2.1", "NotifyEVChargingNeeds", "request"),
]


@pytest.mark.parametrize(("version", "action", "kind"), CASES)
@settings(max_examples=25)
@given(data=st.data())
def test_lenient_options_change_nothing_on_valid_payloads(
    version: str, action: str, kind: str, data: st.DataObject
) -> None:
    """Property: on a valid payload every option together decodes as strict, with no departure."""
    payload = data.draw(wire_payloads(version, action, kind))
    seen: list[Departure] = []
    lenient = DecodeOptions.lenient(on_departure=seen.append)
    strict = decode_payload(version, action, kind, payload)
    assert decode_payload(version, action, kind, payload, options=lenient) == strict
    assert seen == []


def test_check_lenient_reports_each_departure_as_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "charger.log"
    log.write_text(
        '> [2,"1","StatusNotification",{"connectorId":1,"errorCode":"Error","status":"Faulted"}]\n'
        '< [3,"1",{}]\n'
        '< [2,"2","RemoteStartTransaction",{"idTag":"A","connectorId":"1"}]\n'
        '> [3,"2",{"status":"Accepted"}]\n'
        '< [2,"3","GetCompositeSchedule",{"connectorId":1,"duration":60}]\n'
        '> [3,"3",{"status":"Rejected","scheduleStart":"0"}]\n',
        encoding="utf-8",
    )
    assert main(["check", str(log)]) == 1
    capsys.readouterr()
    assert main(["check", "--lenient", str(log)]) == 0
    out = capsys.readouterr().out
    warnings = [line for line in out.splitlines() if ": warning: " in line]
    assert len(warnings) == 3
    for option, line in zip(
        ("unknown_enum_values", "numeric_strings", "drop_invalid_optional"), warnings, strict=True
    ):
        assert f"(accepted by DecodeOptions.{option})" in line
