"""Adapters between the generated types and the neutral model: lossless round trips."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given

from ocpp_core import decode_payload, encode_payload
from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingRateUnit,
    ChargingSchedule,
    ClearProfilesRequest,
    ClearStatus,
    CompositeResult,
    CompositeStatus,
    Evse,
    ProfileKind,
    ProfilePurpose,
    ProfileStore,
    SchedulePeriod,
    Station,
    Transaction,
    ValidationResult,
    ValidationStatus,
    clear_charging_profile_from_ocpp,
    clear_charging_profile_response,
    composite_from_ocpp,
    composite_schedule,
    composite_to_ocpp,
    profile_from_ocpp,
    profile_to_ocpp,
    set_charging_profile_from_ocpp,
    set_charging_profile_response,
    set_charging_profile_to_ocpp,
)
from ocpp_core.smart_charging._validation import Rule
from ocpp_core.strategies import messages

VERSIONS = ("1.6", "2.0", "2.0.1", "2.1")


@pytest.mark.parametrize("version", VERSIONS)
def test_set_charging_profile_round_trip(version: str) -> None:
    @given(messages(version, "SetChargingProfile", "request"))
    def check(request: Any) -> None:
        neutral = set_charging_profile_from_ocpp(request)
        assert isinstance(neutral.profile, ChargingProfile)
        assert set_charging_profile_to_ocpp(neutral, version) == request

    check()


@pytest.mark.parametrize(
    ("version", "action"),
    [
        ("1.6", "RemoteStartTransaction"),
        ("2.0", "RequestStartTransaction"),
        ("2.0.1", "RequestStartTransaction"),
        ("2.1", "RequestStartTransaction"),
    ],
)
def test_start_transaction_profile_round_trip(version: str, action: str) -> None:
    @given(messages(version, action, "request"))
    def check(request: Any) -> None:
        generated = request.charging_profile
        if generated is None:
            return
        assert profile_to_ocpp(profile_from_ocpp(generated), version) == generated

    check()


@pytest.mark.parametrize("version", VERSIONS)
def test_get_composite_schedule_response_round_trip(version: str) -> None:
    @given(messages(version, "GetCompositeSchedule", "response"))
    def check(response: Any) -> None:
        try:
            neutral = composite_from_ocpp(response)
        except ValueError:
            # documented refusals only: 1.6 incomplete Accepted / decorated Rejected,
            # a 2.0 schedule without start, schedule, duration or periods,
            # 2.1 periods without a limit
            if version == "1.6":
                return
            if version == "2.0":
                schedule = response.schedule
                charging = schedule.charging_schedule
                assert (
                    schedule.start_date_time is None
                    or charging is None
                    or charging.duration is None
                    or not charging.charging_schedule_period
                )
                return
            assert any(p.limit is None for p in response.schedule.charging_schedule_period)
            return
        assert isinstance(neutral, CompositeResult)
        assert composite_to_ocpp(neutral, version) == response

    check()


def _profile() -> ChargingProfile:
    return ChargingProfile(
        id=7,
        stack_level=1,
        purpose=ProfilePurpose.TX_DEFAULT,
        kind=ProfileKind.ABSOLUTE,
        schedules=(
            ChargingSchedule(
                id=1,
                charging_rate_unit=ChargingRateUnit.W,
                start_schedule=datetime(2024, 1, 1, 12, tzinfo=UTC),
                periods=(
                    SchedulePeriod(start_period=0, limit=2000),
                    SchedulePeriod(start_period=600, limit=1100, number_phases=1),
                ),
            ),
        ),
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_engine_output_is_a_valid_response(version: str) -> None:
    """The engine's composite, as each version's message, passes the strict decoder."""
    station = Station(evses=(Evse(id=1),))
    store = ProfileStore.of(version, [(0, _profile())])
    result = composite_schedule(
        store, station, 1, datetime(2024, 1, 1, 11, 55, tzinfo=UTC), 3600, ChargingRateUnit.A
    )
    response = composite_to_ocpp(result, version)
    wire = encode_payload(response)
    assert decode_payload(version, "GetCompositeSchedule", "response", wire) == response
    # 1.6 limits are rounded down to tenths: 2000 W / (230 V x 3) = 2.898... A -> 2.8 A
    if version == "1.6":
        periods = wire["chargingSchedule"]["chargingSchedulePeriod"]
    elif version == "2.0":
        periods = wire["schedule"]["chargingSchedule"]["chargingSchedulePeriod"]
    else:
        periods = wire["schedule"]["chargingSchedulePeriod"]
    limits = [p["limit"] for p in periods]
    assert limits[0] == 48.0
    assert limits[1] == (2.8 if version == "1.6" else pytest.approx(2000 / 690))


def test_rejected_composite_responses() -> None:
    station = Station(evses=(Evse(id=1),))
    for version in VERSIONS:
        store = ProfileStore(version=version)
        result = composite_schedule(store, station, 9, datetime(2024, 1, 1, tzinfo=UTC), 60)
        assert result.status is CompositeStatus.REJECTED
        wire = encode_payload(composite_to_ocpp(result, version))
        assert wire["status"] == "Rejected"
        if version == "2.0":
            assert wire["evseId"] == 9  # 2.0 names the EVSE even when Rejected
            assert "statusInfo" not in wire  # 2.0 has no statusInfo anywhere
        elif version != "1.6":
            assert wire["statusInfo"]["reasonCode"] == "UnknownEVSE"
        decode_payload(version, "GetCompositeSchedule", "response", wire)


def test_cross_version_conversion() -> None:
    profile = _profile()
    v16 = profile_to_ocpp(profile, "1.6")
    assert v16.charging_profile_id == 7
    back = profile_from_ocpp(v16)
    assert back.schedule.periods == profile.schedule.periods
    assert back.schedule.id is None  # 1.6 has no schedule id
    v21 = profile_to_ocpp(back, "2.1")
    assert v21.charging_schedule[0].id == 0
    external = attrs.evolve(profile, purpose=ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS)
    with pytest.raises(ValueError, match="ExternalConstraints"):
        profile_to_ocpp(external, "1.6")


def test_unsupported_conversions() -> None:
    profile = _profile()
    dynamic = ChargingProfile(
        id=1,
        stack_level=0,
        purpose=ProfilePurpose.TX_DEFAULT,
        kind=ProfileKind.DYNAMIC,
        schedules=profile.schedules,
    )
    with pytest.raises(ValueError, match="Dynamic"):
        profile_to_ocpp(dynamic, "2.0.1")
    assert profile_from_ocpp(profile_to_ocpp(profile, "2.0")) == attrs.evolve(
        profile,
        schedules=tuple(attrs.evolve(s, id=None) for s in profile.schedules),
    )  # 2.0 is supported; its schedule has no id
    two = attrs.evolve(profile, schedules=(*profile.schedules, *profile.schedules))
    with pytest.raises(ValueError, match="exactly one"):
        profile_to_ocpp(two, "2.0")
    with pytest.raises(TypeError):
        profile_from_ocpp(object())  # type: ignore[arg-type]
    with_tx = ChargingProfile(
        id=1,
        stack_level=0,
        purpose=ProfilePurpose.TX,
        kind=ProfileKind.ABSOLUTE,
        schedules=profile.schedules,
        transaction_id="abc",
    )
    with pytest.raises(ValueError, match="integer"):
        profile_to_ocpp(with_tx, "1.6")


def test_set_charging_profile_responses() -> None:
    accepted = ValidationResult(status=ValidationStatus.ACCEPTED, profile=_profile())
    rejected = ValidationResult(
        status=ValidationStatus.REJECTED,
        profile=_profile(),
        rule=Rule.TX_PROFILE_NO_ACTIVE_TRANSACTION,
        message="EVSE 1 has no transaction",
    )
    assert encode_payload(set_charging_profile_response(accepted, "1.6")) == {"status": "Accepted"}
    assert encode_payload(set_charging_profile_response(rejected, "2.0.1")) == {
        "status": "Rejected",
        "statusInfo": {
            "reasonCode": "TxNotFound",
            "additionalInfo": "TxProfileEvseHasNoActiveTransaction",
        },
    }
    unavailable = ValidationResult(
        status=ValidationStatus.REJECTED, profile=_profile(), rule=Rule.SMART_CHARGING_UNAVAILABLE
    )
    assert encode_payload(set_charging_profile_response(unavailable, "1.6")) == {
        "status": "NotSupported"
    }
    with pytest.raises(Exception, match="not available") as info:
        set_charging_profile_response(unavailable, "2.1")
    assert getattr(info.value, "code", None) is not None


def test_transaction_ids_keep_their_type() -> None:
    station = Station(
        evses=(Evse(id=1),),
        transactions=(
            Transaction(evse_id=1, started_at=datetime(2024, 1, 1, tzinfo=UTC), transaction_id=42),
        ),
    )
    wire = {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 3,
            "transactionId": 42,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
            },
        },
    }
    request = decode_payload("1.6", "SetChargingProfile", "request", wire)
    neutral = set_charging_profile_from_ocpp(request)
    assert neutral.profile.transaction_id == 42
    result = ProfileStore(version="1.6").install(neutral.profile, neutral.evse_id, station)
    assert result.accepted


@pytest.mark.parametrize("version", VERSIONS)
def test_engine_response_round_trips_through_the_neutral_form(version: str) -> None:
    station = Station(evses=(Evse(id=1),))
    store = ProfileStore.of(version, [(0, _profile())])
    result = composite_schedule(store, station, 1, datetime(2024, 1, 1, 11, 55, tzinfo=UTC), 3600)
    response = composite_to_ocpp(result, version)
    again = composite_from_ocpp(response)
    assert again.status is CompositeStatus.ACCEPTED
    assert again.schedule is not None
    assert len(again.schedule.periods) == len(result.schedule.periods)  # type: ignore[union-attr]
    assert composite_to_ocpp(again, version) == response


def test_opaque_values_cross_versions_through_their_wire_form() -> None:
    wire = {
        "evseId": 1,
        "customData": {"vendorId": "acme", "note": "x"},
        "chargingProfile": {
            "id": 3,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Relative",
            "customData": {"vendorId": "acme"},
            "chargingSchedule": [
                {
                    "id": 1,
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8.0}],
                }
            ],
        },
    }
    request = decode_payload("2.0.1", "SetChargingProfile", "request", wire)
    neutral = set_charging_profile_from_ocpp(request)
    as_21 = set_charging_profile_to_ocpp(neutral, "2.1")
    assert encode_payload(as_21) == wire
    # a wire dictionary is carried too (what a JSON reader would store)
    dict_carried = attrs.evolve(neutral.profile, custom_data={"vendorId": "acme"})
    assert profile_to_ocpp(dict_carried, "2.1").custom_data.vendor_id == "acme"  # type: ignore[union-attr]


@pytest.mark.parametrize("version", VERSIONS)
def test_clear_charging_profile_request_and_response(version: str) -> None:
    @given(messages(version, "ClearChargingProfile", "request"))
    def check(request: Any) -> None:
        neutral = clear_charging_profile_from_ocpp(request)
        store = ProfileStore.of(version, [(1, _profile())])
        result = neutral.apply(store)
        response = clear_charging_profile_response(result, version)
        wire = encode_payload(response)
        assert decode_payload(version, "ClearChargingProfile", "response", wire) == response
        assert wire["status"] == result.status.value
        if version in ("1.6", "2.0"):
            assert "statusInfo" not in wire

    check()


def test_clear_charging_profile_2_0_shape() -> None:
    """2.0 names the EVSE beside a chargingProfile criterion that holds the id."""
    request = decode_payload(
        "2.0",
        "ClearChargingProfile",
        "request",
        {"evseId": 1, "chargingProfile": {"id": 7, "stackLevel": 1}},
    )
    neutral = clear_charging_profile_from_ocpp(request)
    assert neutral == ClearProfilesRequest(
        profile_id=7, evse_id=1, stack_level=1, criteria_given=True
    )
    store = ProfileStore.of("2.0", [(1, _profile())])
    result = neutral.apply(store)
    assert result.status is ClearStatus.ACCEPTED
    assert encode_payload(clear_charging_profile_response(result, "2.0")) == {"status": "Accepted"}


def test_primary_of_a_2_0_profile_is_carried_faithfully() -> None:
    wire = {
        "evseId": 1,
        "chargingProfile": {
            "id": 3,
            "stackLevel": 0,
            "primary": True,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}],
            },
        },
    }
    request = decode_payload("2.0", "SetChargingProfile", "request", wire)
    neutral = set_charging_profile_from_ocpp(request)
    assert neutral.profile.primary is True
    assert neutral.profile.schedule.id is None
    assert encode_payload(set_charging_profile_to_ocpp(neutral, "2.0")) == wire
    # 2.0.1 has no primary: it is dropped on the way there
    assert (
        "primary"
        not in encode_payload(set_charging_profile_to_ocpp(neutral, "2.0.1"))["chargingProfile"]
    )
