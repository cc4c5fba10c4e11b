"""Laws of the composite schedule, checked with Hypothesis.

* the composite never exceeds the cap (ChargingStationMaxProfile, external
  constraints) in force at any instant, converted with the period's phases;
* adding a station maximum never raises a limit (one below the higher-stack
  maxima and not above the station default: the default applies only where
  nothing limits, so a maximum above it would be reported where nothing did);
* the periods are sorted, start at 0, are merged and lie within the window;
* the result does not depend on install order when no two profiles tie;
* A and W requests agree through ``W = A x V x phases`` (``W = A x V`` per phase
  once a contributor gives per-phase values);
* 2.1: a setpoint stays within ``[dischargeLimit, limit]`` and discharge limits
  are never positive.

The profiles are 2.0.1-shaped under every version, and 2.1-shaped under 2.1:
setpoints (charging and discharging), discharge limits and per-phase limits.
"""

from __future__ import annotations

import bisect
import random
from datetime import datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingRateUnit,
    CompositeOptions,
    CompositePeriod,
    CompositeSchedule,
    EvseZeroMode,
    ExplanationKind,
    ProfilePurpose,
    ProfileStore,
    SchedulePeriod,
    Station,
    activations,
    composite_schedule,
)
from tests.smart_charging._strategies import (
    UNITS,
    installed_profiles,
    instants,
    profiles,
    station,
    versions_and_profiles,
)

VERSIONS = st.sampled_from(["1.6", "2.0", "2.0.1", "2.1"])
EVSES = st.sampled_from([0, 1, 2])
DURATIONS = st.integers(1, 3 * 24 * 60).map(lambda m: m * 60)


def _schedule(
    version: str,
    entries: list[tuple[int, ChargingProfile]],
    site: Station,
    evse_id: int,
    start: datetime,
    duration: int,
    unit: ChargingRateUnit,
) -> CompositeSchedule:
    result = composite_schedule(
        ProfileStore.of(version, entries), site, evse_id, start, duration, unit
    )
    assert result.schedule is not None
    return result.schedule


def _at(schedule: CompositeSchedule, offset: int) -> CompositePeriod:
    starts = [p.start_period for p in schedule.periods]
    return schedule.periods[bisect.bisect_right(starts, offset) - 1]


def _convert(value: float, unit: ChargingRateUnit, out: ChargingRateUnit, phases: int) -> float:
    if unit is out:
        return value
    factor = 230.0 * phases
    return value * factor if out is ChargingRateUnit.W else value / factor


@given(versions_and_profiles(), EVSES, instants(), DURATIONS, UNITS)
def test_periods_are_sorted_merged_and_cover_the_window(
    drawn: tuple[str, list[tuple[int, ChargingProfile]]],
    evse_id: int,
    start: datetime,
    duration: int,
    unit: ChargingRateUnit,
) -> None:
    version, entries = drawn
    schedule = _schedule(version, entries, station(), evse_id, start, duration, unit)
    starts = [p.start_period for p in schedule.periods]
    assert starts[0] == 0
    assert starts == sorted(set(starts))
    assert starts[-1] < duration
    assert schedule.duration == duration
    assert schedule.schedule_start == start
    for before, after in zip(schedule.periods, schedule.periods[1:], strict=False):
        # merged: neighbours differ in something besides their start
        assert attrs.evolve(before, start_period=0) != attrs.evolve(after, start_period=0)
    assert len(schedule.explanation) == len(schedule.periods)


@given(versions_and_profiles(), EVSES, instants(), DURATIONS, UNITS)
def test_composite_never_exceeds_a_cap_in_force(
    drawn: tuple[str, list[tuple[int, ChargingProfile]]],
    evse_id: int,
    start: datetime,
    duration: int,
    unit: ChargingRateUnit,
) -> None:
    version, entries = drawn
    site = station()
    schedule = _schedule(version, entries, site, evse_id, start, duration, unit)
    end = start + timedelta(seconds=duration)
    caps = [
        (evse, profile)
        for evse, profile in entries
        if profile.purpose is ProfilePurpose.CHARGING_STATION_MAX
        or (
            profile.purpose is ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS
            and evse_id != 0
            and evse in (0, evse_id)
        )
    ]
    transaction = site.transaction_on(evse_id)
    session = None if transaction is None else transaction.started_at
    for purpose in (
        ProfilePurpose.CHARGING_STATION_MAX,
        ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS,
    ):
        layer = [p for _, p in caps if p.purpose is purpose]
        spans = [
            (profile, activation)
            for profile in layer
            for activation in activations(profile, now=start, end=end, session_start=session)
        ]
        moments = {0}
        for _, activation in spans:
            for edge in (activation.start, activation.end):
                if edge is not None and start <= edge < end:
                    moments.add(int((edge - start).total_seconds()))
        moments.update(p.start_period for p in schedule.periods)
        for offset in moments:
            instant = start + timedelta(seconds=offset)
            in_force = [
                (profile, activation)
                for profile, activation in spans
                if activation.start <= instant
                and (activation.end is None or instant < activation.end)
            ]
            if not in_force:
                continue
            profile, activation = max(in_force, key=lambda pair: pair[0].stack_level)
            period = _at(schedule, offset)
            cap = activation.period.limit
            assert cap is not None
            bound = _bound(
                activation.period, cap, profile.schedule.charging_rate_unit, unit, period
            )
            assert period.limit <= bound * (1 + 1e-9) + 1e-6, (offset, period, bound)


@given(
    versions_and_profiles(phases=False, min_max_stack=1),
    EVSES,
    instants(),
    DURATIONS,
    UNITS,
    st.data(),
)
def test_adding_a_station_maximum_never_raises_a_limit(
    drawn: tuple[str, list[tuple[int, ChargingProfile]]],
    evse_id: int,
    start: datetime,
    duration: int,
    unit: ChargingRateUnit,
    data: st.DataObject,
) -> None:
    version, entries = drawn
    site = station()
    extra = data.draw(
        profiles(
            profile_id=99,
            purpose=ProfilePurpose.CHARGING_STATION_MAX,
            stack_level=0,
            unit=unit,
            phases=False,
        )
    )
    extra = _capped(extra, site.default_limit(unit))
    before = _schedule(version, entries, site, evse_id, start, duration, unit)
    after = _schedule(version, [*entries, (0, extra)], site, evse_id, start, duration, unit)
    offsets = {p.start_period for p in before.periods} | {p.start_period for p in after.periods}
    for offset in offsets:
        assert _at(after, offset).limit <= _at(before, offset).limit + 1e-6


def _capped(profile: ChargingProfile, ceiling: float) -> ChargingProfile:
    schedule = profile.schedule
    periods = tuple(
        attrs.evolve(p, limit=min(p.limit, ceiling) if p.limit is not None else None)
        for p in schedule.periods
    )
    return attrs.evolve(profile, schedules=(attrs.evolve(schedule, periods=periods),))


@given(
    versions_and_profiles(),
    EVSES,
    instants(),
    DURATIONS,
    UNITS,
    st.randoms(use_true_random=False),
)
def test_install_order_does_not_matter_without_ties(
    drawn: tuple[str, list[tuple[int, ChargingProfile]]],
    evse_id: int,
    start: datetime,
    duration: int,
    unit: ChargingRateUnit,
    rnd: random.Random,
) -> None:
    version, entries = drawn
    site = station()
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    first = _schedule(version, entries, site, evse_id, start, duration, unit)
    second = _schedule(version, shuffled, site, evse_id, start, duration, unit)
    assert first.periods == second.periods
    assert [e.binding for e in first.explanation] == [e.binding for e in second.explanation]
    # the same through the install rules: the same profiles are accepted, same composite
    stores = []
    for order in (entries, shuffled):
        store = ProfileStore(version=version)
        for evse, profile in order:
            store = store.install(profile, evse, site).store
        stores.append(store)
    assert sorted(p.id for p in stores[0].profiles) == sorted(p.id for p in stores[1].profiles)
    results = [composite_schedule(s, site, evse_id, start, duration, unit) for s in stores]
    assert results[0].schedule is not None
    assert results[1].schedule is not None
    assert results[0].schedule.periods == results[1].schedule.periods


@given(versions_and_profiles(), EVSES, instants(), DURATIONS)
def test_amperes_and_watts_agree(
    drawn: tuple[str, list[tuple[int, ChargingProfile]]],
    evse_id: int,
    start: datetime,
    duration: int,
) -> None:
    """A and W agree period by period.

    For EVSE 0 under the default rule each EVSE is converted before the sum, with
    its own phases, so the sum has no single factor: there the law is checked with
    libocpp's lanes (converted after summing), and the default is covered by the
    sum law of ``test_evse_zero.py``.
    """
    version, entries = drawn
    site = station()
    options = CompositeOptions(evse_zero=EvseZeroMode.SUM_OF_UNIT_LANES)
    in_a, in_w = (
        composite_schedule(
            ProfileStore.of(version, entries), site, evse_id, start, duration, unit, options=options
        ).schedule
        for unit in (ChargingRateUnit.A, ChargingRateUnit.W)
    )
    assert in_a is not None
    assert in_w is not None
    offsets = {p.start_period for p in in_a.periods} | {p.start_period for p in in_w.periods}
    for offset in offsets:
        a = _at(in_a, offset)
        w = _at(in_w, offset)
        assert a.number_phases == w.number_phases
        if _default_at(in_a, offset):
            # the station defaults (48 A, 33 120 W) are two given constants, not a
            # conversion of each other; a setpoint-only period may sit on them
            assert _default_at(in_w, offset)
            continue
        phases = a.number_phases or site.default_number_phases
        factor = site.supply_voltage * (1 if _per_phase(a) else phases)
        for value_a, value_w in (
            (a.limit, w.limit),
            (a.limit_l2, w.limit_l2),
            (a.limit_l3, w.limit_l3),
            (a.setpoint, w.setpoint),
            (a.discharge_limit, w.discharge_limit),
        ):
            assert (value_a is None) == (value_w is None), (offset, a, w)
            if value_a is None or value_w is None:
                continue
            expected = value_a * factor
            assert abs(value_w - expected) <= 1e-6 * max(1.0, abs(expected)), (offset, a, w)


def _default_at(schedule: CompositeSchedule, offset: int) -> bool:
    starts = [p.start_period for p in schedule.periods]
    why = schedule.explanation[bisect.bisect_right(starts, offset) - 1]
    return why.kind is ExplanationKind.DEFAULT


def _per_phase(period: CompositePeriod) -> bool:
    """Whether a composite period is in per-phase form (2.1: a contributor gave L2/L3)."""
    return period.limit_l2 is not None or period.limit_l3 is not None


def _bound(
    cap_period: SchedulePeriod,
    cap: float,
    cap_unit: ChargingRateUnit,
    unit: ChargingRateUnit,
    period: CompositePeriod,
) -> float:
    """The cap in the composite's unit and form (per phase once L2/L3 are in play)."""
    phases = period.number_phases or 3
    if not _per_phase(period):
        return _convert(cap, cap_unit, unit, phases)
    cap_has_phases = cap_period.limit_l2 is not None and cap_period.limit_l3 is not None
    if cap_unit is ChargingRateUnit.W and not cap_has_phases:
        cap /= phases  # a W total is split evenly over the phases
    if cap_unit is unit:
        return cap
    return cap * 230.0 if unit is ChargingRateUnit.W else cap / 230.0


@given(
    installed_profiles(version="2.1", v21=True, unit=ChargingRateUnit.W),
    EVSES,
    instants(),
    DURATIONS,
)
def test_setpoints_stay_within_the_discharge_limit_and_the_limit(
    entries: list[tuple[int, ChargingProfile]],
    evse_id: int,
    start: datetime,
    duration: int,
) -> None:
    schedule = _schedule("2.1", entries, station(), evse_id, start, duration, ChargingRateUnit.W)
    for period, why in zip(schedule.periods, schedule.explanation, strict=True):
        for discharge in (period.discharge_limit, period.discharge_limit_l2):
            assert discharge is None or discharge <= 0
        point = period.setpoint
        if point is None or why.kind is not ExplanationKind.PROFILE:
            continue
        if point >= 0:
            assert point <= period.limit + 1e-6, period
        elif period.discharge_limit is not None:
            assert point >= period.discharge_limit - 1e-6, period
