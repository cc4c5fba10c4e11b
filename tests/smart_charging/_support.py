"""Test support: the reference-data path, and a lenient reader of wire-form profiles.

The reference cases and fixtures hold charging profiles in wire form (camelCase
dictionaries). Some fixture files are not strictly schema-valid (a 1.6 schedule
with an ``id``, timestamps without a zone), so the cases are read here with a
small lenient reader rather than with the strict generated decoder.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingRateUnit,
    ChargingSchedule,
    Evse,
    LimitAtSoC,
    OperationMode,
    PhaseType,
    ProfileKind,
    ProfilePurpose,
    RecurrencyKind,
    SchedulePeriod,
    Station,
    Transaction,
    V2XFreqWattPoint,
    V2XSignalWattPoint,
)
from tests._shared import SHARED

REFERENCE = SHARED / "reference" / "libocpp-composite"


def case_params(cases: list[Path], case_id: Callable[[Path], str]) -> list[Any]:
    """Pytest parameters for ``cases``; with none, one skipped parameter that says why.

    Without it pytest's own skip reads "got empty parameter set", which hides that
    the reference data is simply not there.
    """
    if cases:
        return [pytest.param(path, id=case_id(path)) for path in cases]
    reason = (
        f"no reference cases: {REFERENCE / 'cases'} is absent (the libocpp reference "
        "data lives in ../shared, which is not part of a clone; set OCPP_CORE_SHARED "
        "to its folder to run the 323 cases)"
    )
    return [pytest.param(None, id="no-reference-data", marks=pytest.mark.skip(reason=reason))]


def reference_cases() -> list[Path]:
    """Every reference case file (empty when the data is absent)."""
    if not REFERENCE.exists():
        return []
    return sorted((REFERENCE / "cases").rglob("*.json"))


def parse_time(text: str) -> datetime:
    """An ISO 8601 timestamp; one without a zone is UTC (as libocpp reads it)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _time(data: Mapping[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    return None if value is None else parse_time(value)


_PURPOSES = {
    "ChargePointMaxProfile": ProfilePurpose.CHARGING_STATION_MAX,
    **{purpose.value: purpose for purpose in ProfilePurpose},
}


def period_from_wire(data: Mapping[str, Any]) -> SchedulePeriod:
    """A schedule period from its wire form (any version)."""
    mode = data.get("operationMode")
    freq = data.get("v2xFreqWattCurve")
    signal = data.get("v2xSignalWattCurve")
    return SchedulePeriod(
        start_period=int(data["startPeriod"]),
        limit=data.get("limit"),
        number_phases=data.get("numberPhases"),
        phase_to_use=data.get("phaseToUse"),
        limit_l2=data.get("limit_L2"),
        limit_l3=data.get("limit_L3"),
        discharge_limit=data.get("dischargeLimit"),
        discharge_limit_l2=data.get("dischargeLimit_L2"),
        discharge_limit_l3=data.get("dischargeLimit_L3"),
        setpoint=data.get("setpoint"),
        setpoint_l2=data.get("setpoint_L2"),
        setpoint_l3=data.get("setpoint_L3"),
        setpoint_reactive=data.get("setpointReactive"),
        setpoint_reactive_l2=data.get("setpointReactive_L2"),
        setpoint_reactive_l3=data.get("setpointReactive_L3"),
        preconditioning_request=data.get("preconditioningRequest"),
        evse_sleep=data.get("evseSleep"),
        v2x_baseline=data.get("v2xBaseline"),
        operation_mode=None if mode is None else OperationMode(mode),
        v2x_freq_watt_curve=None
        if freq is None
        else tuple(V2XFreqWattPoint(frequency=p["frequency"], power=p["power"]) for p in freq),
        v2x_signal_watt_curve=None
        if signal is None
        else tuple(V2XSignalWattPoint(signal=p["signal"], power=p["power"]) for p in signal),
        custom_data=data.get("customData"),
    )


def schedule_from_wire(data: Mapping[str, Any]) -> ChargingSchedule:
    """A charging schedule from its wire form (any version)."""
    soc = data.get("limitAtSoC")
    return ChargingSchedule(
        id=data.get("id"),
        charging_rate_unit=ChargingRateUnit(data["chargingRateUnit"]),
        periods=tuple(period_from_wire(p) for p in data["chargingSchedulePeriod"]),
        start_schedule=_time(data, "startSchedule"),
        duration=data.get("duration"),
        min_charging_rate=data.get("minChargingRate"),
        limit_at_soc=None if soc is None else LimitAtSoC(soc=soc["soc"], limit=soc["limit"]),
        power_tolerance=data.get("powerTolerance"),
        signature_id=data.get("signatureId"),
        digest_value=data.get("digestValue"),
        use_local_time=data.get("useLocalTime"),
        randomized_delay=data.get("randomizedDelay"),
        sales_tariff=data.get("salesTariff"),
        absolute_price_schedule=data.get("absolutePriceSchedule"),
        price_level_schedule=data.get("priceLevelSchedule"),
        custom_data=data.get("customData"),
    )


def profile_from_wire(data: Mapping[str, Any]) -> ChargingProfile:
    """A charging profile from its wire form: 1.6 (``chargingProfileId``) or 2.x (``id``)."""
    schedules = data["chargingSchedule"]
    if isinstance(schedules, Mapping):
        schedules = [schedules]
    recurrency = data.get("recurrencyKind")
    return ChargingProfile(
        id=int(data["chargingProfileId"] if "chargingProfileId" in data else data["id"]),
        stack_level=int(data["stackLevel"]),
        purpose=_PURPOSES[data["chargingProfilePurpose"]],
        kind=ProfileKind(data["chargingProfileKind"]),
        schedules=tuple(schedule_from_wire(s) for s in schedules),
        recurrency_kind=None if recurrency is None else RecurrencyKind(recurrency),
        valid_from=_time(data, "validFrom"),
        valid_to=_time(data, "validTo"),
        transaction_id=data.get("transactionId"),
        max_offline_duration=data.get("maxOfflineDuration"),
        invalid_after_offline_duration=data.get("invalidAfterOfflineDuration"),
        dyn_update_interval=data.get("dynUpdateInterval"),
        dyn_update_time=_time(data, "dynUpdateTime"),
        price_schedule_signature=data.get("priceScheduleSignature"),
        custom_data=data.get("customData"),
    )


# --------------------------------------------------------------------------------------
# Reference cases
# --------------------------------------------------------------------------------------


def load_case(path: Path) -> dict[str, Any]:
    """A reference case as a dictionary."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def case_profile(entry: Mapping[str, Any]) -> ChargingProfile:
    """The profile of a case entry: inline or from its fixture file."""
    if "profile" in entry and "fixture" not in entry["profile"]:
        return profile_from_wire(entry["profile"])
    fixture = entry["profile"]["fixture"] if "profile" in entry else entry["fixture"]
    return profile_from_wire(json.loads((REFERENCE / fixture).read_text(encoding="utf-8")))


def case_station(case: Mapping[str, Any]) -> Station:
    """The station a composite case describes."""
    spec = case["station"]
    if "connectors" in spec:
        evses = tuple(Evse(id=i) for i in range(1, spec["connectors"] + 1))
    else:
        phase = PhaseType(spec.get("evse_phase_type", "AC"))
        evses = tuple(Evse(id=i, phase_type=phase) for i in range(1, spec["evses"] + 1))
    units = tuple(ChargingRateUnit(u) for u in spec.get("allowed_units", ["A", "W"]))
    return Station(
        evses=evses,
        supply_voltage=spec["supply_voltage_V"],
        supply_phases=spec.get("charging_station_supply_phases", 3),
        default_limit_a=spec["default_limit_A"],
        default_limit_w=spec["default_limit_W"],
        default_number_phases=spec["default_number_phases"],
        rate_units=units,
        transactions=case_transactions(case),
    )


def case_transactions(case: Mapping[str, Any]) -> tuple[Transaction, ...]:
    """The active transactions of a case.

    A transaction whose start is ``null`` was opened at the wall-clock time of
    the upstream run; the README notes those cases hold no Relative profile, so
    any start gives the same result. The request start stands in for it.
    """
    request_start = parse_time(case["request"]["start"])
    out = []
    for spec in case["transactions"]:
        start = spec.get("start")
        out.append(
            Transaction(
                evse_id=spec["evse_id"] if "evse_id" in spec else spec["connector_id"],
                started_at=request_start if start is None else parse_time(start),
                transaction_id=spec.get("transaction_id"),
            )
        )
    return tuple(out)


def case_profiles(case: Mapping[str, Any]) -> list[tuple[int, ChargingProfile]]:
    """``(evse_id, profile)`` of a case, in installation order."""
    out = []
    for entry in case["profiles"]:
        evse_id = entry["evse_id"] if "evse_id" in entry else entry["connector_id"]
        out.append((evse_id, case_profile(entry)))
    return out
