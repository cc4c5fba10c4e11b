"""Laws of the composite schedule, checked with Hypothesis.

* the composite never exceeds the cap (ChargingStationMaxProfile, external
  constraints) in force at any instant, converted with the period's phases;
* adding a station maximum never raises a limit (one below the higher-stack
  maxima and not above the station default: the default applies only where
  nothing limits, so a maximum above it would be reported where nothing did);
* the periods are sorted, start at 0, are merged and lie within the window;
* the result does not depend on install order when no two profiles tie;
* A and W requests agree through ``W = A x V x phases``.
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
    CompositePeriod,
    CompositeSchedule,
    ProfilePurpose,
    ProfileStore,
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
)

VERSIONS = st.sampled_from(["1.6", "2.0.1", "2.1"])
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


@given(VERSIONS, installed_profiles(version="2.0.1"), EVSES, instants(), DURATIONS, UNITS)
def test_periods_are_sorted_merged_and_cover_the_window(
    version: str,
    entries: list[tuple[int, ChargingProfile]],
    evse_id: int,
    start: datetime,
    duration: int,
    unit: ChargingRateUnit,
) -> None:
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


@given(VERSIONS, installed_profiles(version="2.0.1"), EVSES, instants(), DURATIONS, UNITS)
def test_composite_never_exceeds_a_cap_in_force(
    version: str,
    entries: list[tuple[int, ChargingProfile]],
    evse_id: int,
    start: datetime,
    duration: int,
    unit: ChargingRateUnit,
) -> None:
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
            phases = period.number_phases or site.default_number_phases
            cap = activation.period.limit
            assert cap is not None
            bound = _convert(cap, profile.schedule.charging_rate_unit, unit, phases)
            assert period.limit <= bound * (1 + 1e-9) + 1e-6, (offset, period, bound)


@given(
    VERSIONS,
    installed_profiles(version="2.0.1", phases=False, min_max_stack=1),
    EVSES,
    instants(),
    DURATIONS,
    UNITS,
    st.data(),
)
def test_adding_a_station_maximum_never_raises_a_limit(
    version: str,
    entries: list[tuple[int, ChargingProfile]],
    evse_id: int,
    start: datetime,
    duration: int,
    unit: ChargingRateUnit,
    data: st.DataObject,
) -> None:
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
    VERSIONS,
    installed_profiles(version="2.0.1"),
    EVSES,
    instants(),
    DURATIONS,
    UNITS,
    st.randoms(use_true_random=False),
)
def test_install_order_does_not_matter_without_ties(
    version: str,
    entries: list[tuple[int, ChargingProfile]],
    evse_id: int,
    start: datetime,
    duration: int,
    unit: ChargingRateUnit,
    rnd: random.Random,
) -> None:
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


@given(VERSIONS, installed_profiles(version="2.0.1"), EVSES, instants(), DURATIONS)
def test_amperes_and_watts_agree(
    version: str,
    entries: list[tuple[int, ChargingProfile]],
    evse_id: int,
    start: datetime,
    duration: int,
) -> None:
    site = station()
    amps = _schedule(version, entries, site, evse_id, start, duration, ChargingRateUnit.A)
    watts = _schedule(version, entries, site, evse_id, start, duration, ChargingRateUnit.W)
    offsets = {p.start_period for p in amps.periods} | {p.start_period for p in watts.periods}
    for offset in offsets:
        a = _at(amps, offset)
        w = _at(watts, offset)
        assert a.number_phases == w.number_phases
        phases = a.number_phases or site.default_number_phases
        expected = a.limit * site.supply_voltage * phases
        assert abs(w.limit - expected) <= 1e-6 * max(1.0, abs(expected)), (offset, a, w)
