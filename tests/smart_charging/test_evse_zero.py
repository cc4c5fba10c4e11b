"""The EVSE-0 composite (the grid view): convert each EVSE's composite, sum, then cap.

The default (:attr:`EvseZeroMode.SUM_OF_EVSES`) converts every EVSE's composite
to the requested unit before summing, so a station total is never below one of
its EVSEs' own composites unless a station-wide cap binds. libocpp's lanes stay
available as :attr:`EvseZeroMode.SUM_OF_UNIT_LANES`.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingRateUnit,
    ChargingSchedule,
    CompositeOptions,
    CompositePeriod,
    CompositeSchedule,
    Evse,
    EvseZeroMode,
    ExplanationKind,
    ProfileKind,
    ProfilePurpose,
    ProfileStore,
    SchedulePeriod,
    Station,
    composite_schedule,
)
from tests.smart_charging._strategies import UNITS, installed_profiles, instants, station

T0 = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)


def _single_phase_w_tx_default() -> ChargingProfile:
    return ChargingProfile(
        id=1,
        stack_level=0,
        purpose=ProfilePurpose.TX_DEFAULT,
        kind=ProfileKind.RELATIVE,
        schedules=(
            ChargingSchedule(
                charging_rate_unit=ChargingRateUnit.W,
                periods=(SchedulePeriod(start_period=0, limit=12_600.0, number_phases=1),),
            ),
        ),
    )


def test_station_total_of_one_connector_is_its_connector_composite() -> None:
    """1.6, one connector, a 12 600 W single-phase TxDefaultProfile on connector 0."""
    site = Station(evses=(Evse(id=1),), default_limit_a=32.0, default_limit_w=22_080.0)
    installed = ProfileStore(version="1.6").install(_single_phase_w_tx_default(), 0, site)
    assert installed.accepted
    store = installed.store

    def limit(evse_id: int, mode: EvseZeroMode = EvseZeroMode.SUM_OF_EVSES) -> float:
        options = CompositeOptions(evse_zero=mode)
        result = composite_schedule(store, site, evse_id, T0, 3600, "W", options=options)
        assert result.schedule is not None
        (period,) = result.schedule.periods
        return period.limit

    assert limit(1) == 12_600.0
    assert limit(0) == 12_600.0
    # libocpp's lanes add the 32 A default in the A lane, 32 A x 230 V x 1 phase:
    assert limit(0, EvseZeroMode.SUM_OF_UNIT_LANES) == 7_360.0


def test_default_evse_zero_mode_is_the_converted_sum() -> None:
    assert CompositeOptions().evse_zero is EvseZeroMode.SUM_OF_EVSES


def _at(schedule: CompositeSchedule, offset: int) -> CompositePeriod:
    starts = [p.start_period for p in schedule.periods]
    return schedule.periods[bisect.bisect_right(starts, offset) - 1]


@given(
    st.sampled_from(["1.6", "2.0", "2.0.1", "2.1"]),
    installed_profiles(version="2.0.1"),
    instants(),
    st.integers(1, 3 * 24 * 60).map(lambda m: m * 60),
    UNITS,
)
def test_without_a_binding_station_cap_evse_zero_is_the_sum_of_the_evses(
    version: str,
    entries: list[tuple[int, ChargingProfile]],
    start: datetime,
    duration: int,
    unit: ChargingRateUnit,
) -> None:
    site = station()
    uncapped = [
        (evse, p) for evse, p in entries if p.purpose is not ProfilePurpose.CHARGING_STATION_MAX
    ]
    store = ProfileStore.of(version, uncapped)
    schedules = []
    for evse_id in (0, *(e.id for e in site.evses)):
        result = composite_schedule(store, site, evse_id, start, duration, unit)
        assert result.schedule is not None
        schedules.append(result.schedule)
    total, *per_evse = schedules
    offsets = {p.start_period for s in schedules for p in s.periods}
    for offset in offsets:
        limits = [_at(s, offset).limit for s in per_evse]
        station_limit = _at(total, offset).limit
        assert abs(station_limit - sum(limits)) <= 1e-6 * max(1.0, sum(limits)), offset
        for one in limits:
            assert station_limit >= one - 1e-9
    for explanation in total.explanation:
        assert explanation.kind is ExplanationKind.EVSE_SUM
