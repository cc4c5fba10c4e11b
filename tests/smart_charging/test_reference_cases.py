"""Every libocpp reference case, run against the engine.

Composite cases install their profiles through :meth:`ProfileStore.install` (the
version's SetChargingProfile rules) whenever the case allows it; the cases
listed in :data:`INJECTED` hold profiles a real station would refuse or
replace (their notes say so), and are built with :meth:`ProfileStore.of`
instead. The test also proves that list right: each injected case is refused
or replaced by ``install``, and every other case installs cleanly.

Station-wide cases (EVSE 0) run under both summing rules: the default
(convert each EVSE's composite, then sum) and libocpp's unit lanes
(:attr:`EvseZeroMode.SUM_OF_UNIT_LANES`); both reproduce every case.

Tolerances as the README gives them: limits within abs 1e-3 or rel 1e-6
(libocpp computes in float32); startPeriod exact, or within +-9 s where the
case compares ``loose_prefix``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingRateUnit,
    CompositeOptions,
    CompositePeriod,
    CompositeStatus,
    EvseZeroMode,
    OperationMode,
    ProfilePurpose,
    ProfileSource,
    ProfileStore,
    activations,
    composite_schedule,
    schedule_anchors,
)
from ocpp_core.versions import OcppVersion
from tests._shared import shared_path
from tests.smart_charging._support import (
    case_params,
    case_profile,
    case_profiles,
    case_station,
    load_case,
    parse_time,
    reference_cases,
)

_SAME_ID = "the upstream test installs one profile file (one id) on two EVSEs; install replaces"
INJECTED: Mapping[str, str] = {
    "v16/profile_testsC/ChargeRateA": "profileWatts and profileAmps share chargingProfileId 1",
    "v16/profile_testsC/ChargeRateW": "profileWatts and profileAmps share chargingProfileId 1",
    "v16/test_composite_schedule/NoGapsWithSequentialProfiles": (
        "two TxDefaultProfiles at stack 5 on connector 0: 1.6 replaces the first "
        "(GTEST_SKIPped upstream for that reason)"
    ),
    "v16/test_composite_schedule/SingleTxDefaultProfileWithStationMaxForEvse0WithMultipleEvses": (
        _SAME_ID
    ),
    "v16/test_composite_schedule/TxProfilePerEvseWithMultipleEvses": _SAME_ID,
    "v16/test_composite_schedule/TxProfilePerEvseWithMultipleEvses_DifferentNrOfPhases": _SAME_ID,
    **{
        f"v16/test_composite_schedule/ZeroDuration_{suffix}": (
            "a TxProfile on connector 0 (put into libocpp's connector-0 TxDefault map); "
            "1.6 install refuses TxProfiles on connector 0"
        )
        for suffix in (
            "a_connector0_1s",
            "b_connector1_1s",
            "c_connector0_0s",
            "d_connector1_0s",
            "e_connector0_negative",
            "f_connector1_negative",
        )
    },
    "v2/test_composite_schedule/NoGapsWithSequentialProfiles": (
        "two station-wide TxDefaultProfiles at stack 5 with unbounded validity: "
        "2.0.1 refuses the second (K01.FR.06)"
    ),
    "v2/test_composite_schedule/OCTT_TC_K_41_CS": (
        "TxDefaultProfile and TxProfile share id 2: install replaces one by the other"
    ),
    "v2/test_composite_schedule/RelativeProfile_e2e": (
        "TxDefaultProfile and TxProfile share id 66: install replaces one by the other"
    ),
    "v2/test_composite_schedule/RelativeProfile_minutia": (
        "TxDefaultProfile and TxProfile share id 66: install replaces one by the other"
    ),
    "v2/test_composite_schedule/SingleTxDefaultProfileWithStationMaxForEvse0WithMultipleEvses": (
        _SAME_ID
    ),
    "v2/test_composite_schedule/TxProfilePerEvseWithMultipleEvses": _SAME_ID,
    "v2/test_composite_schedule/TxProfilePerEvseWithMultipleEvses_DifferentNrOfPhases": _SAME_ID,
    "v21/test_composite_schedule/V21NoLimitSpecified": (
        "a ChargingOnly period without limit: install refuses it (Q08.FR.04); injected "
        "to show that the calculation ignores such a stored profile as libocpp does"
    ),
}
"""Composite cases whose profiles are injected directly, with the reason."""

EXCLUDED: Mapping[str, str] = {}
"""Cases not run at all, with the reason (none)."""


def _id_of(path: Path) -> str:
    return path.relative_to(path.parents[2]).with_suffix("").as_posix()


CASES = reference_cases()


def _close(actual: float | None, expected: float | None) -> bool:
    if actual is None or expected is None:
        return actual is expected
    return math.isclose(actual, expected, rel_tol=1e-6, abs_tol=1e-3)


_PERIOD_FIELDS = {
    "limit": "limit",
    "numberPhases": "number_phases",
    "phaseToUse": "phase_to_use",
    "limit_L2": "limit_l2",
    "limit_L3": "limit_l3",
    "dischargeLimit": "discharge_limit",
    "dischargeLimit_L2": "discharge_limit_l2",
    "dischargeLimit_L3": "discharge_limit_l3",
    "setpoint": "setpoint",
    "setpoint_L2": "setpoint_l2",
    "setpoint_L3": "setpoint_l3",
    "operationMode": "operation_mode",
    "stackLevel": "stack_level",
    "periodTransformed": "converted",
}


def _check_period(actual: CompositePeriod, expected: Mapping[str, Any], whole: bool) -> None:
    keys = set(expected) & set(_PERIOD_FIELDS)
    if whole:  # upstream compares whole 2.x periods: every OCPP field, absent = unset
        keys |= set(_PERIOD_FIELDS) - {"periodTransformed"}
    for key in sorted(keys):
        value = getattr(actual, _PERIOD_FIELDS[key])
        if key == "stackLevel":
            assert value == expected.get(key, 0), key
        elif key == "periodTransformed":
            assert value == expected.get(key, False), key
        elif key == "operationMode":
            want = expected.get(key)
            assert value == (None if want is None else OperationMode(want)), key
        elif key in ("numberPhases", "phaseToUse"):
            assert value == expected.get(key), key
        else:
            assert _close(value, expected.get(key)), (key, value, expected.get(key))


def _source(profile: ChargingProfile) -> ProfileSource:
    """External constraints come from the station's EMS, everything else from the CSMS."""
    if profile.purpose is ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS:
        return ProfileSource.EXTERNAL
    return ProfileSource.SET_CHARGING_PROFILE


def _store(case: Mapping[str, Any], case_id: str) -> ProfileStore:
    """Install through the store; injected cases are refused/replaced, others never."""
    version = OcppVersion(case["ocpp_version"])
    station = case_station(case)
    profiles = case_profiles(case)
    store = ProfileStore(version=version)
    clean = True
    for evse_id, profile in profiles:
        result = store.install(profile, evse_id, station, source=_source(profile))
        if not result.accepted or result.replaced:
            clean = False
            break
        store = result.store
    if case_id in INJECTED:
        return ProfileStore.of(version, profiles)
    assert clean, f"{case_id}: install refused or replaced a profile"
    return store


def _run_composite(case: dict[str, Any], case_id: str) -> None:
    """Run a composite case; the station-wide (EVSE 0) ones under both summing rules."""
    request = case["request"]
    evse_id = request["evse_id"] if "evse_id" in request else request["connector_id"]
    modes = [EvseZeroMode.SUM_OF_EVSES]
    if evse_id == 0:
        modes.append(EvseZeroMode.SUM_OF_UNIT_LANES)
    for mode in modes:
        _run_composite_with(case, case_id, mode)


def _run_composite_with(case: dict[str, Any], case_id: str, evse_zero: EvseZeroMode) -> None:
    station = case_station(case)
    store = _store(case, case_id)
    request = case["request"]
    start = parse_time(request["start"])
    end = parse_time(request["end"])
    evse_id = request["evse_id"] if "evse_id" in request else request["connector_id"]
    options = CompositeOptions(
        simulate_transaction=request["simulate_transaction_active"],
        offline_seconds=request.get("offline_seconds"),
        evse_zero=evse_zero,
    )
    result = composite_schedule(
        store,
        station,
        evse_id,
        start,
        int((end - start).total_seconds()),
        ChargingRateUnit(request["charging_rate_unit"]),
        options=options,
    )
    assert result.status is CompositeStatus.ACCEPTED
    schedule = result.schedule
    assert schedule is not None
    expected = case["expected"]
    side = case.get("expected_side_effects", {})
    assert sorted(result.invalidated_profile_ids) == sorted(side.get("cleared_profile_ids", []))
    for key in ("startSchedule", "scheduleStart"):
        if key in expected:
            assert schedule.schedule_start == parse_time(expected[key])
    if "duration" in expected:
        assert schedule.duration == expected["duration"]
    if "chargingRateUnit" in expected:
        assert schedule.charging_rate_unit.value == expected["chargingRateUnit"]
    if "evseId" in expected:
        assert schedule.evse_id == expected["evseId"]
    periods = schedule.periods
    assert periods[0].start_period == 0
    assert len(schedule.explanation) == len(periods)
    if "period_count" in expected:
        assert len(periods) == expected["period_count"], [
            (p.start_period, p.limit) for p in periods
        ]
    if "min_period_count" in expected:
        assert len(periods) >= expected["min_period_count"]
    if "periods_first" in expected:
        _check_period(periods[0], expected["periods_first"], whole=False)
    for index, want in enumerate(expected.get("periods_prefix", [])):
        if "operationMode_effective" in want:
            mode = periods[index].operation_mode or OperationMode.CHARGING_ONLY
            assert mode.value == want["operationMode_effective"]
        _check_period(periods[index], want, whole=False)
    whole = "setpoint" in case["asserted_fields"] or "operationMode" in case["asserted_fields"]
    wanted = expected.get("periods", [])
    loose = case.get("compare") == "loose_prefix"
    count = min(len(wanted), len(periods)) if loose else len(wanted)
    for actual, want in zip(periods[:count], wanted[:count], strict=True):
        if loose:
            assert abs(actual.start_period - want["startPeriod"]) <= 9
        else:
            assert actual.start_period == want["startPeriod"]
        _check_period(actual, want, whole)


def _run_expansion(case: dict[str, Any]) -> None:
    profile = case_profile(case)
    now = parse_time(case["now"])
    end = parse_time(case["end"])
    session = None if case["session_start"] is None else parse_time(case["session_start"])
    expected = case["expected"]
    if case["kind"] == "schedule_start_times":
        anchors = schedule_anchors(profile, now=now, end=end, session_start=session)
        assert [a.isoformat() for a in anchors] == [
            parse_time(t).isoformat() for t in expected["start_times"]
        ]
        return
    found = activations(profile, now=now, end=end, session_start=session)
    if case["period_index"] is not None:
        found = tuple(a for a in found if a.period_index == case["period_index"])
    if "count" in expected:
        assert len(found) == expected["count"]
    if "min_count" in expected:
        assert len(found) >= expected["min_count"]
    for actual, want in zip(found, expected["entries"], strict=False):
        assert actual.start == parse_time(want["start"])
        assert actual.end == parse_time(want["end"])
        assert _close(actual.period.limit, want["limit"])
        assert actual.stack_level == want["stackLevel"]
        if want.get("numberPhases") is not None:
            assert actual.period.number_phases == want["numberPhases"]


@pytest.mark.parametrize("path", case_params(CASES, _id_of))
def test_reference_case(path: Path) -> None:
    case_id = _id_of(path)
    if case_id in EXCLUDED:
        pytest.skip(EXCLUDED[case_id])
    case = load_case(path)
    assert case["id"] == case_id
    if case["kind"] == "composite":
        _run_composite(case, case_id)
    else:
        _run_expansion(case)


def test_reference_data_present() -> None:
    """All 323 cases are found (fails in CI, skips locally, when the data is absent)."""
    shared_path("reference", "libocpp-composite", "cases")
    assert len(CASES) == 323


def test_injected_cases_are_refused_by_install() -> None:
    """Each injected case really needs injection: install refuses or replaces a profile."""
    shared_path("reference", "libocpp-composite", "cases")
    by_id = {_id_of(p): p for p in CASES}
    for case_id in INJECTED:
        case = load_case(by_id[case_id])
        station = case_station(case)
        store = ProfileStore(version=OcppVersion(case["ocpp_version"]))
        refused = False
        for evse_id, profile in case_profiles(case):
            result = store.install(profile, evse_id, station, source=_source(profile))
            if not result.accepted or result.replaced:
                refused = True
                break
            store = result.store
        assert refused, case_id


def test_empty_reference_case_list_skips_saying_why() -> None:
    (param,) = case_params([], _id_of)
    (mark,) = param.marks
    assert mark.name == "skip"
    reason = mark.kwargs["reason"]
    assert "not part of a clone" in reason
    assert "OCPP_CORE_SHARED" in reason
