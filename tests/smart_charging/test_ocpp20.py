"""OCPP 2.0 (2018) in the station engine: the 2.x rules, store and composite, in 2.0's shape."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from ocpp_core import decode_payload, encode_payload
from ocpp_core.smart_charging import (
    ChargingProfile,
    ProfileStore,
    Rule,
    composite_schedule,
    composite_to_ocpp,
    set_charging_profile_from_ocpp,
    set_charging_profile_response,
    validate_profile,
)
from tests.smart_charging._strategies import installed_profiles, station

T0 = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)


def _request(evse_id: int, profile: dict[str, object]) -> object:
    return decode_payload(
        "2.0", "SetChargingProfile", "request", {"evseId": evse_id, "chargingProfile": profile}
    )


def _tx_default(**changes: object) -> dict[str, object]:
    profile: dict[str, object] = {
        "id": 4,
        "stackLevel": 1,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "startSchedule": "2025-06-02T07:00:00Z",
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 16},
                {"startPeriod": 3600 * 2, "limit": 10},
            ],
        },
    }
    profile.update(changes)
    return profile


def test_a_2_0_station_installs_composes_and_answers_in_2_0_shape() -> None:
    site = station()
    neutral = set_charging_profile_from_ocpp(_request(1, _tx_default()))  # type: ignore[arg-type]
    installed = ProfileStore(version="2.0").install(neutral.profile, neutral.evse_id, site)
    assert installed.accepted
    stored = installed.store.profiles[0]
    assert stored.schedule.periods[0].number_phases == 3  # K01.FR.49 holds in 2.0 too
    response = set_charging_profile_response(installed.validation, "2.0")
    assert encode_payload(response) == {"status": "Accepted"}
    result = composite_schedule(installed.store, site, 1, T0, 4 * 3600, "A")
    wire = encode_payload(composite_to_ocpp(result, "2.0"))
    assert decode_payload("2.0", "GetCompositeSchedule", "response", wire)
    assert wire["evseId"] == 1
    schedule = wire["schedule"]
    assert schedule["startDateTime"] == "2025-06-02T08:00:00Z"
    periods = schedule["chargingSchedule"]["chargingSchedulePeriod"]
    assert [(p["startPeriod"], p["limit"]) for p in periods] == [(0, 16.0), (3600, 10.0)]


def test_a_2_0_rejection_has_no_status_info() -> None:
    site = station()
    tx = _tx_default(chargingProfilePurpose="TxProfile", transactionId="nope")
    neutral = set_charging_profile_from_ocpp(_request(2, tx))  # type: ignore[arg-type]
    result = ProfileStore(version="2.0").install(neutral.profile, 2, site)
    assert result.validation.rule is Rule.TX_PROFILE_NO_ACTIVE_TRANSACTION
    assert encode_payload(set_charging_profile_response(result.validation, "2.0")) == {
        "status": "Rejected"
    }


@given(installed_profiles(version="2.0.1"), st.data())
def test_2_0_follows_the_2_0_1_rules(
    entries: list[tuple[int, ChargingProfile]], data: st.DataObject
) -> None:
    """Install the same requests under 2.0 and 2.0.1: the same answers, the same store."""
    site = station()
    stores = {version: ProfileStore(version=version) for version in ("2.0", "2.0.1")}
    for evse_id, profile in entries:
        evse = data.draw(st.sampled_from([evse_id, 0, 1, 2, 5]))
        answers = {}
        for version, store in stores.items():
            check = validate_profile(profile, evse, store, site)
            answers[version] = (check.status, check.rule, check.profile)
            stores[version] = store.install(profile, evse, site).store
        assert answers["2.0"] == answers["2.0.1"]
    assert stores["2.0"].entries == stores["2.0.1"].entries
