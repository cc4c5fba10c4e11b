"""Outgoing checks: a message built with wrong types is never encoded (issue 9)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core import (
    EncodeError,
    OcppError,
    PayloadRule,
    UnknownEnumValue,
    decode_payload,
    encode_payload,
    v16,
    v201,
)
from ocpp_core.rpc import Session
from ocpp_core.strategies import messages

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def refused(message: object) -> EncodeError:
    with pytest.raises(EncodeError) as caught:
        encode_payload(message)
    error = caught.value
    assert isinstance(error, OcppError)
    assert isinstance(error, ValueError)
    return error


def test_encode_refuses_a_str_for_an_int() -> None:
    error = refused(v16.CancelReservationRequest(reservation_id="7"))  # type: ignore[arg-type]
    assert (error.path, error.rule, error.action) == (
        "$.reservationId",
        PayloadRule.TYPE,
        "CancelReservation",
    )
    assert error.version is not None
    assert error.version.value == "1.6"
    assert 'got str "7"' in str(error)


def test_encode_refuses_a_bool_for_an_int() -> None:
    assert refused(v16.CancelReservationRequest(reservation_id=True)).path == "$.reservationId"


def test_encode_refuses_a_str_outside_the_enum() -> None:
    error = refused(v16.ChangeAvailabilityRequest(connector_id=1, type="Broken"))  # type: ignore[arg-type]
    assert (error.path, error.rule) == ("$.type", PayloadRule.ENUM)


def test_encode_accepts_a_plain_str_equal_to_an_enum_value() -> None:
    message = v16.ChangeAvailabilityRequest(connector_id=1, type="Inoperative")  # type: ignore[arg-type]
    assert encode_payload(message) == {"connectorId": 1, "type": "Inoperative"}


def test_encode_accepts_another_versions_enum_member_with_a_valid_value() -> None:
    unit = v201.ChargingRateUnitEnum.A
    period = v16.ChargingSchedulePeriod(start_period=0, limit=16.0)
    schedule = v16.ChargingSchedule(charging_rate_unit=unit, charging_schedule_period=(period,))  # type: ignore[arg-type]
    assert encode_payload(schedule)["chargingRateUnit"] == "A"


def test_encode_refuses_another_enum_member_with_an_invalid_value() -> None:
    class Other(enum.StrEnum):
        X = "Broken"

    error = refused(v16.ChangeAvailabilityRequest(connector_id=1, type=Other.X))  # type: ignore[arg-type]
    assert error.path == "$.type"


def test_encode_refuses_an_int_for_an_enum() -> None:
    error = refused(v16.ChangeAvailabilityRequest(connector_id=1, type=3))  # type: ignore[arg-type]
    assert (error.path, error.rule) == ("$.type", PayloadRule.TYPE)


def test_encode_writes_an_unknown_enum_value_back_unchanged() -> None:
    kept = UnknownEnumValue("Current.import", v16.Measurand)
    value = v16.SampledValue(value="1", measurand=kept)  # type: ignore[arg-type]
    assert encode_payload(value) == {"value": "1", "measurand": "Current.import"}


def test_encode_refuses_a_naive_datetime() -> None:
    error = refused(v16.HeartbeatResponse(current_time=datetime(2026, 1, 1)))
    assert (error.path, error.rule) == ("$.currentTime", PayloadRule.FORMAT)
    assert "naive datetime" in str(error)


def test_encode_refuses_a_string_for_a_datetime() -> None:
    error = refused(v16.HeartbeatResponse(current_time="2026-01-01T00:00:00Z"))  # type: ignore[arg-type]
    assert (error.path, error.rule) == ("$.currentTime", PayloadRule.TYPE)


def test_encode_refuses_a_dict_for_a_nested_class() -> None:
    message = v16.AuthorizeResponse(id_tag_info={"status": "Accepted"})  # type: ignore[arg-type]
    error = refused(message)
    assert (error.path, error.rule) == ("$.idTagInfo", PayloadRule.TYPE)
    assert "expected ocpp_core.v16.IdTagInfo, got dict" in str(error)


def test_encode_refuses_another_versions_class() -> None:
    info = v201.IdTokenInfo(status=v201.AuthorizationStatusEnum.ACCEPTED)
    error = refused(v16.AuthorizeResponse(id_tag_info=info))  # type: ignore[arg-type]
    assert "got ocpp_core.v201.IdTokenInfo" in str(error)


def test_encode_names_the_path_inside_nested_arrays() -> None:
    good = v16.SampledValue(value="1")
    bad = v16.SampledValue(value=1)  # type: ignore[arg-type]
    meter = (v16.MeterValue(timestamp=NOW, sampled_value=(good, bad)),)
    error = refused(v16.MeterValuesRequest(connector_id=1, meter_value=meter))
    assert error.path == "$.meterValue[0].sampledValue[1].value"


def test_encode_refuses_wrong_items_in_a_scalar_tuple() -> None:
    message = v16.GetConfigurationRequest(key=("HeartbeatInterval", 5))  # type: ignore[arg-type]
    assert refused(message).path == "$.key[1]"


def test_encode_accepts_a_list_for_a_tuple() -> None:
    message = v16.GetConfigurationRequest(key=["HeartbeatInterval"])  # type: ignore[arg-type]
    assert encode_payload(message) == {"key": ["HeartbeatInterval"]}


def test_encode_refuses_a_str_for_a_tuple() -> None:
    message = v16.GetConfigurationRequest(key="HeartbeatInterval")  # type: ignore[arg-type]
    assert refused(message).path == "$.key"


def test_encode_refuses_none_for_a_required_field() -> None:
    error = refused(v16.CancelReservationRequest(reservation_id=None))  # type: ignore[arg-type]
    assert (error.path, error.rule) == ("$.reservationId", PayloadRule.REQUIRED)


@pytest.mark.parametrize(
    ("message", "path", "rule"),
    [
        (v16.AuthorizeRequest(id_tag="x" * 21), "$.idTag", PayloadRule.MAX_LENGTH),
        (
            v201.SetChargingProfileRequest(
                evse_id=-1,
                charging_profile=v201.ChargingProfile(
                    id=1,
                    stack_level=0,
                    charging_profile_purpose=v201.ChargingProfilePurposeEnum.TX_DEFAULT_PROFILE,
                    charging_profile_kind=v201.ChargingProfileKindEnum.ABSOLUTE,
                    charging_schedule=(),
                ),
            ),
            "$.chargingProfile.chargingSchedule",
            PayloadRule.MIN_ITEMS,
        ),
        (
            v16.ChargingSchedulePeriod(start_period=0, limit=16.05),
            "$.limit",
            PayloadRule.MULTIPLE_OF,
        ),
        (
            v16.ChargingSchedulePeriod(start_period=0, limit=float("nan")),
            "$.limit",
            PayloadRule.TYPE,
        ),
        (
            v16.GetDiagnosticsRequest(location="https://h.example/<a>"),
            "$.location",
            PayloadRule.FORMAT,
        ),
    ],
)
def test_encode_checks_lengths_ranges_and_formats(
    message: object, path: str, rule: PayloadRule
) -> None:
    error = refused(message)
    assert (error.path, error.rule) == (path, rule)


def test_encode_still_refuses_what_is_not_a_generated_message() -> None:
    with pytest.raises(TypeError):
        encode_payload({"currentTime": "2026-01-01T00:00:00Z"})


_WRONG: dict[str, list[Any]] = {
    "int": ["1", 1.5, True],
    "str": [1, b"x"],
    "datetime": ["2026-01-01T00:00:00Z", datetime(2026, 1, 1)],
}


@settings(max_examples=60)
@given(data=st.data())
def test_any_wrong_typed_field_is_refused_with_its_path(data: st.DataObject) -> None:
    """Property: replace one field of a valid message by a wrong type; encoding names that field."""
    version, action, kind = data.draw(
        st.sampled_from(
            [
                ("1.6", "StartTransaction", "request"),
                ("1.6", "MeterValues", "request"),
                ("1.6", "BootNotification", "request"),
                ("2.0.1", "TransactionEvent", "request"),
                ("2.0.1", "NotifyReport", "request"),
            ]
        )
    )
    message = data.draw(messages(version, action, kind))
    assert decode_payload(version, action, kind, encode_payload(message)) == message
    fields = attrs.fields(type(message))
    field = data.draw(st.sampled_from(fields))
    value = getattr(message, field.name)
    if value is None:
        return
    if isinstance(value, (bool, enum.Enum)):
        return
    kind_name = "int" if isinstance(value, int) else "str" if isinstance(value, str) else None
    kind_name = "datetime" if isinstance(value, datetime) else kind_name
    if kind_name is None:
        wrong: Any = {"not": "a class"} if attrs.has(type(value)) else "not a tuple"
    else:
        wrong = data.draw(st.sampled_from(_WRONG[kind_name]))
    broken = attrs.evolve(message, **{field.name: wrong})
    with pytest.raises(EncodeError) as caught:
        encode_payload(broken)
    assert caught.value.path.split(".")[1].split("[")[0] == _wire_name(
        version, type(message), field.name
    )


def _wire_name(version: str, cls: type, attr: str) -> str:
    from ocpp_core._codecs import codec

    model = codec(version).model
    for f in model.classes[cls.__name__].fields:
        if f.attr == attr:
            return f.wire
    raise AssertionError(attr)


def test_session_send_call_raises_the_encode_error_and_sends_nothing() -> None:
    session = Session("1.6", "ChargingStation")
    bad = v16.StatusNotificationRequest(
        connector_id="1",  # type: ignore[arg-type]
        error_code=v16.ChargePointErrorCode.NO_ERROR,
        status=v16.ChargePointStatus.AVAILABLE,
    )
    with pytest.raises(EncodeError) as caught:
        session.send_call(bad, 0.0)
    assert caught.value.path == "$.connectorId"
    assert caught.value.action == "StatusNotification"
    assert session.data_to_send() == []
    # The session is unchanged: a good CALL leaves at once.
    assert session.send_call(v16.HeartbeatRequest(), 0.0) is not None


def test_session_send_result_raises_the_encode_error_and_the_call_stays_owed() -> None:
    station = Session("1.6", "ChargingStation")
    csms = Session("1.6", "CSMS")
    text = station.send_call(v16.HeartbeatRequest(), 0.0)
    assert text is not None
    (received,) = csms.receive(text, 0.0)
    with pytest.raises(EncodeError) as caught:
        csms.send_result(received, v16.HeartbeatResponse(current_time="now"))  # type: ignore[arg-type]
    assert caught.value.path == "$.currentTime"
    assert csms.send_result(received, v16.HeartbeatResponse(current_time=NOW))
