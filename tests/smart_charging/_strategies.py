"""Hypothesis strategies for neutral-model profiles and stations (tests only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import strategies as st

from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingRateUnit,
    ChargingSchedule,
    Evse,
    OperationMode,
    ProfileKind,
    ProfilePurpose,
    RecurrencyKind,
    SchedulePeriod,
    Station,
    Transaction,
)

BASE = datetime(2024, 3, 4, 0, 0, tzinfo=UTC)
"""A Monday; every drawn instant lies within a few days of it."""

UNITS = st.sampled_from([ChargingRateUnit.A, ChargingRateUnit.W])


def instants(days: int = 4) -> st.SearchStrategy[datetime]:
    """Whole-minute instants within ``days`` of :data:`BASE`."""
    return st.integers(0, days * 24 * 60).map(lambda m: BASE + timedelta(minutes=m))


@st.composite
def periods(
    draw: st.DrawFn,
    unit: ChargingRateUnit,
    *,
    phases: bool = True,
    purpose: ProfilePurpose | None = None,
    v21: bool = False,
) -> tuple[SchedulePeriod, ...]:
    """One to four periods, starting at 0, strictly increasing, with limits in ``unit``.

    With ``v21`` the periods may use what 2.1 adds, within the operation-mode rules
    of ``purpose`` (so the composite's re-validation keeps them): per-phase limits
    (``limit_L2/L3``), and for Tx/TxDefault profiles a CentralSetpoint period with a
    setpoint (negative: discharge) and optional limit and discharge limit; external
    constraints may be ExternalSetpoint periods with a limit and discharge limit.
    """
    count = draw(st.integers(1, 4))
    steps = draw(st.lists(st.integers(1, 240), min_size=count - 1, max_size=count - 1))
    starts = [0]
    for step in steps:
        starts.append(starts[-1] + step * 60)
    top = 64 if unit is ChargingRateUnit.A else 44_000
    values = st.integers(0, top * 10).map(lambda tenths: tenths / 10)
    out = []
    for start in starts:
        number = draw(st.sampled_from([None, 1, 3])) if phases else None
        period = SchedulePeriod(start_period=start, limit=draw(values), number_phases=number)
        if v21:
            period = draw(_v21_period(period, values, purpose))
        out.append(period)
    return tuple(out)


@st.composite
def _v21_period(
    draw: st.DrawFn,
    period: SchedulePeriod,
    values: st.SearchStrategy[float],
    purpose: ProfilePurpose | None,
) -> SchedulePeriod:
    shape = draw(st.sampled_from(["plain", "per-phase", "setpoint", "external"]))
    if shape == "per-phase":
        return attrs.evolve(period, limit_l2=draw(values), limit_l3=draw(values))
    if shape == "setpoint" and purpose in (ProfilePurpose.TX, ProfilePurpose.TX_DEFAULT):
        discharge = draw(st.one_of(st.none(), values.map(lambda v: -v)))
        return attrs.evolve(
            period,
            operation_mode=OperationMode.CENTRAL_SETPOINT,
            limit=draw(st.one_of(st.none(), values)),
            discharge_limit=discharge,
            setpoint=draw(st.one_of(values, values.map(lambda v: -v))),
        )
    if shape == "external" and purpose is ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS:
        return attrs.evolve(
            period,
            operation_mode=OperationMode.EXTERNAL_SETPOINT,
            discharge_limit=draw(values.map(lambda v: -v)),
        )
    return period


@st.composite
def profiles(
    draw: st.DrawFn,
    *,
    profile_id: int,
    purpose: ProfilePurpose,
    stack_level: int,
    unit: ChargingRateUnit | None = None,
    phases: bool = True,
    v21: bool = False,
) -> ChargingProfile:
    """A profile of ``purpose`` (Max profiles are never Relative); ``v21``: see :func:`periods`."""
    kinds = [ProfileKind.ABSOLUTE, ProfileKind.RECURRING]
    if purpose is not ProfilePurpose.CHARGING_STATION_MAX:
        kinds.append(ProfileKind.RELATIVE)
    kind = draw(st.sampled_from(kinds))
    chosen = draw(UNITS) if unit is None else unit
    recurrency = None
    start = None
    if kind is not ProfileKind.RELATIVE:
        start = draw(instants(days=3)) - timedelta(days=1)
    if kind is ProfileKind.RECURRING:
        recurrency = draw(st.sampled_from(list(RecurrencyKind)))
    duration = draw(st.one_of(st.none(), st.integers(1, 48).map(lambda h: h * 1800)))
    valid_from = draw(st.one_of(st.none(), instants(days=2)))
    valid_to = draw(st.one_of(st.none(), instants(days=4)))
    schedule = ChargingSchedule(
        id=1,
        charging_rate_unit=chosen,
        periods=draw(periods(chosen, phases=phases, purpose=purpose, v21=v21)),
        start_schedule=start,
        duration=duration,
    )
    return ChargingProfile(
        id=profile_id,
        stack_level=stack_level,
        purpose=purpose,
        kind=kind,
        schedules=(schedule,),
        recurrency_kind=recurrency,
        valid_from=valid_from,
        valid_to=valid_to,
        transaction_id="tx-1" if purpose is ProfilePurpose.TX else None,
    )


def station(evses: int = 2) -> Station:
    """A station with ``evses`` AC EVSEs and a transaction on EVSE 1 (libocpp 1.6 defaults)."""
    return Station(
        evses=tuple(Evse(id=i) for i in range(1, evses + 1)),
        transactions=(
            Transaction(evse_id=1, started_at=BASE + timedelta(hours=30), transaction_id="tx-1"),
        ),
    )


@st.composite
def installed_profiles(
    draw: st.DrawFn,
    *,
    version: str,
    max_count: int = 6,
    unit: ChargingRateUnit | None = None,
    phases: bool = True,
    min_max_stack: int = 0,
    v21: bool = False,
) -> list[tuple[int, ChargingProfile]]:
    """``(evse_id, profile)`` pairs with distinct ids and distinct stack levels per purpose.

    ``v21``: profiles may use 2.1 setpoints, discharge limits and per-phase limits.
    """
    purposes = [ProfilePurpose.CHARGING_STATION_MAX, ProfilePurpose.TX_DEFAULT, ProfilePurpose.TX]
    if version != "1.6":
        purposes.append(ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS)
    count = draw(st.integers(0, max_count))
    out: list[tuple[int, ChargingProfile]] = []
    used: set[tuple[ProfilePurpose, int]] = set()
    for index in range(count):
        purpose = draw(st.sampled_from(purposes))
        stack = draw(st.integers(min_max_stack if purpose is purposes[0] else 0, 6))
        if (purpose, stack) in used:
            continue
        used.add((purpose, stack))
        if purpose is ProfilePurpose.CHARGING_STATION_MAX:
            evse_id = 0
        elif purpose is ProfilePurpose.TX:
            evse_id = 1
        else:
            evse_id = draw(st.sampled_from([0, 1, 2]))
        profile = draw(
            profiles(
                profile_id=index + 1,
                purpose=purpose,
                stack_level=stack,
                unit=unit,
                phases=phases,
                v21=v21,
            )
        )
        out.append((evse_id, profile))
    return out


def versions_and_profiles(
    **options: object,
) -> st.SearchStrategy[tuple[str, list[tuple[int, ChargingProfile]]]]:
    """``(version, entries)``: 2.0.1-shaped profiles under every version, or 2.1-shaped
    profiles (setpoints, discharge limits, per-phase limits) under 2.1."""
    return st.one_of(
        st.tuples(
            st.sampled_from(["1.6", "2.0", "2.0.1", "2.1"]),
            installed_profiles(version="2.0.1", **options),  # type: ignore[arg-type]
        ),
        st.tuples(
            st.just("2.1"),
            installed_profiles(version="2.1", v21=True, **options),  # type: ignore[arg-type]
        ),
    )
