"""Composite schedule behaviour the reference cases do not pin: options, explanation, edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingRateUnit,
    ChargingSchedule,
    CompositeOptions,
    CompositeSchedule,
    CompositeStatus,
    Evse,
    EvseZeroMode,
    ExplanationKind,
    OperationMode,
    PhaseType,
    ProfileKind,
    ProfilePurpose,
    ProfileStore,
    RecurrencyKind,
    SchedulePeriod,
    Station,
    TieBreak,
    Transaction,
    activations,
    composite_schedule,
    composite_svg,
    schedule_anchors,
)

T0 = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
HOUR = 3600
SITE = Station(evses=(Evse(id=1), Evse(id=2)))


def profile(
    limits: list[tuple[int, float]],
    *,
    unit: ChargingRateUnit = ChargingRateUnit.A,
    duration: int | None = None,
    **changes: Any,
) -> ChargingProfile:
    base = ChargingProfile(
        id=1,
        stack_level=0,
        purpose=ProfilePurpose.TX_DEFAULT,
        kind=ProfileKind.ABSOLUTE,
        schedules=(
            ChargingSchedule(
                id=1,
                charging_rate_unit=unit,
                start_schedule=T0,
                duration=duration,
                periods=tuple(SchedulePeriod(start_period=s, limit=v) for s, v in limits),
            ),
        ),
    )
    return attrs.evolve(base, **changes)


def compute(
    version: str,
    entries: list[tuple[int, ChargingProfile]],
    evse_id: int = 1,
    duration: int = 4 * HOUR,
    *,
    site: Station = SITE,
    start: datetime = T0,
    unit: ChargingRateUnit | None = ChargingRateUnit.A,
    **options: Any,
) -> CompositeSchedule:
    result = composite_schedule(
        ProfileStore.of(version, entries),
        site,
        evse_id,
        start,
        duration,
        unit,
        options=CompositeOptions(**options),
    )
    assert result.status is CompositeStatus.ACCEPTED
    assert result.schedule is not None
    return result.schedule


def limits(schedule: CompositeSchedule) -> list[tuple[int, float]]:
    return [(p.start_period, p.limit) for p in schedule.periods]


def test_rejections() -> None:
    store = ProfileStore(version="2.0.1")
    unknown = composite_schedule(store, SITE, 3, T0, 60)
    assert unknown.status is CompositeStatus.REJECTED
    assert unknown.reason_code == "UnknownEVSE"
    assert unknown.schedule is None
    site = attrs.evolve(SITE, rate_units=(ChargingRateUnit.W,))
    unit = composite_schedule(store, site, 1, T0, 60, ChargingRateUnit.A)
    assert unit.reason_code == "UnsupportedRateUnit"
    assert composite_schedule(store, SITE, -1, T0, 60).status is CompositeStatus.REJECTED


def test_default_unit_is_the_first_supported() -> None:
    site = attrs.evolve(SITE, rate_units=(ChargingRateUnit.W, ChargingRateUnit.A))
    schedule = compute("2.0.1", [], site=site, unit=None)
    assert schedule.charging_rate_unit is ChargingRateUnit.W
    assert limits(schedule) == [(0, site.default_limit_w)]


def test_explanation_names_the_binding_profile() -> None:
    tx_default = profile([(0, 16.0), (HOUR, 32.0)], id=5, stack_level=2, duration=2 * HOUR)
    maximum = profile(
        [(0, 20.0)], id=9, purpose=ProfilePurpose.CHARGING_STATION_MAX, unit=ChargingRateUnit.W
    )
    maximum = attrs.evolve(
        maximum,
        schedules=(
            attrs.evolve(
                maximum.schedule, periods=(SchedulePeriod(start_period=0, limit=13800.0),)
            ),
        ),
    )
    schedule = compute("1.6", [(0, tx_default), (0, maximum)])
    assert limits(schedule) == [(0, 16.0), (HOUR, 20.0)]
    first, second = schedule.explanation
    assert first.kind is ExplanationKind.PROFILE
    assert first.binding is not None
    assert first.binding.profile_id == 5
    assert not first.converted
    assert second.binding is not None
    assert second.binding.profile_id == 9
    assert second.converted  # 13800 W / (230 V x 3) = 20 A
    assert schedule.periods[1].converted
    assert {c.profile_id for c in second.active} == {5, 9}
    assert "converted" in second.describe()
    assert "TxDefaultProfile #5" in second.describe()
    # after the TxDefault's duration only the maximum is in force; it still limits
    longer = compute("1.6", [(0, tx_default), (0, maximum)], duration=3 * HOUR)
    assert limits(longer) == [(0, 16.0), (HOUR, 20.0)]
    assert [e.binding.profile_id for e in longer.explanation if e.binding] == [5, 9]


def test_default_and_sum_explanations() -> None:
    schedule = compute("2.0.1", [(1, profile([(0, 10.0)], duration=HOUR))], 0, 2 * HOUR)
    # EVSE 0: 10 A on EVSE 1 + 48 A default on EVSE 2, then 48 + 48
    assert limits(schedule) == [(0, 58.0), (HOUR, 96.0)]
    assert [e.kind for e in schedule.explanation] == [ExplanationKind.EVSE_SUM] * 2
    idle = compute("2.0.1", [], 1)
    assert idle.explanation[0].kind is ExplanationKind.DEFAULT
    assert idle.explanation[0].describe().startswith("station default")


@pytest.mark.parametrize("duration", [0, -90])
def test_zero_and_negative_windows_report_the_limit_in_force(duration: int) -> None:
    entries = [(1, profile([(0, 10.0), (60, 20.0)]))]
    schedule = compute("2.0.1", entries, duration=duration, start=T0 + timedelta(seconds=90))
    assert schedule.duration == 0
    expected_start = T0 + timedelta(seconds=90 + min(duration, 0))
    assert schedule.schedule_start == expected_start
    assert limits(schedule) == [(0, 20.0 if duration == 0 else 10.0)]


def test_simulated_transaction_option() -> None:
    entries = [(1, profile([(0, 10.0)]))]
    assert limits(compute("2.0.1", entries)) == [(0, 10.0)]
    assert limits(compute("2.0.1", entries, simulate_transaction=False)) == [(0, 48.0)]
    with_tx = attrs.evolve(
        SITE, transactions=(Transaction(evse_id=1, started_at=T0, transaction_id="t"),)
    )
    assert limits(compute("2.0.1", entries, site=with_tx, simulate_transaction=False)) == [
        (0, 10.0)
    ]


def test_tie_break_between_station_wide_and_evse_profiles() -> None:
    station_wide = profile([(0, 10.0)], id=1, stack_level=3)
    evse = profile([(0, 20.0)], id=2, stack_level=3)
    first_evse = [(1, evse), (0, station_wide)]
    assert limits(compute("1.6", first_evse)) == [(0, 20.0)]
    assert limits(compute("1.6", first_evse, tie_break=TieBreak.LAST_INSTALLED)) == [(0, 10.0)]
    first_station = [(0, station_wide), (1, evse)]
    assert limits(compute("1.6", first_station, tie_break=TieBreak.LAST_INSTALLED)) == [(0, 20.0)]
    # a higher stack level wins whatever the scope
    higher = attrs.evolve(station_wide, stack_level=4)
    assert limits(compute("1.6", [(1, evse), (0, higher)])) == [(0, 10.0)]


def test_recurring_before_start_option() -> None:
    daily = profile(
        [(0, 10.0)],
        kind=ProfileKind.RECURRING,
        recurrency_kind=RecurrencyKind.DAILY,
        duration=HOUR,
    )
    daily = attrs.evolve(
        daily,
        schedules=(attrs.evolve(daily.schedule, start_schedule=T0 + timedelta(days=2)),),
    )
    # libocpp: the recurrence runs backwards too, so today 08:00-09:00 is limited
    assert limits(compute("2.0.1", [(1, daily)])) == [(0, 10.0), (HOUR, 48.0)]
    assert limits(compute("2.0.1", [(1, daily)], recurring_before_start=False)) == [(0, 48.0)]
    anchors = schedule_anchors(daily, now=T0, end=T0 + timedelta(days=3))
    assert anchors[0] == T0
    late = schedule_anchors(daily, now=T0, end=T0 + timedelta(days=3), recurring_before_start=False)
    assert late == (T0 + timedelta(days=2), T0 + timedelta(days=3))


def test_station_profiles_only_mode() -> None:
    maximum = profile([(0, 40.0)], purpose=ProfilePurpose.CHARGING_STATION_MAX)
    entries = [(0, maximum), (1, profile([(0, 10.0)], id=2))]
    assert limits(compute("2.0.1", entries, 0)) == [(0, 40.0)]  # min(10 + 48, 40)
    only = compute("2.0.1", entries, 0, evse_zero=EvseZeroMode.STATION_PROFILES_ONLY)
    assert limits(only) == [(0, 40.0)]
    assert limits(
        compute(
            "2.0.1", [(1, profile([(0, 10.0)]))], 0, evse_zero=EvseZeroMode.STATION_PROFILES_ONLY
        )
    ) == [(0, 48.0)]


def test_schedule_selection_and_max_duration() -> None:
    base = profile([(0, 10.0)])
    second = ChargingSchedule(
        id=7,
        charging_rate_unit=ChargingRateUnit.A,
        start_schedule=T0,
        periods=(SchedulePeriod(start_period=0, limit=6.0),),
    )
    offer = attrs.evolve(base, schedules=(*base.schedules, second))
    assert limits(compute("2.0.1", [(1, offer)])) == [(0, 10.0)]
    assert limits(compute("2.0.1", [(1, offer)], schedule_selection=[(1, 7)])) == [(0, 6.0)]
    capped = compute("2.0.1", [(1, offer)], duration=10 * HOUR, max_duration=HOUR)
    assert capped.duration == HOUR


def test_merge_option_keeps_breakpoints() -> None:
    entries = [(1, profile([(0, 10.0), (HOUR, 10.0)]))]
    assert limits(compute("2.0.1", entries)) == [(0, 10.0)]
    unmerged = compute("2.0.1", entries, merge_equal_periods=False)
    assert limits(unmerged) == [(0, 10.0), (HOUR, 10.0)]


def test_offline_options() -> None:
    guarded = profile([(0, 10.0)], id=3, stack_level=1, max_offline_duration=600)
    dropping = attrs.evolve(guarded, id=4, stack_level=2, invalid_after_offline_duration=True)
    entries = [(1, profile([(0, 20.0)])), (1, guarded)]
    assert limits(compute("2.1", entries, offline_seconds=300)) == [(0, 10.0)]
    assert limits(compute("2.1", entries, offline_seconds=601)) == [(0, 20.0)]
    ignored = compute(
        "2.1",
        entries,
        offline_seconds=1,
        ignored_purposes_offline=frozenset({ProfilePurpose.TX_DEFAULT}),
    )
    assert limits(ignored) == [(0, 48.0)]
    result = composite_schedule(
        ProfileStore.of("2.1", [(1, dropping)]),
        SITE,
        1,
        T0,
        HOUR,
        options=CompositeOptions(offline_seconds=900),
    )
    assert result.invalidated_profile_ids == (4,)


def test_v2x_tx_profile_needs_its_transaction() -> None:
    tx = profile([(0, 6.0)], id=8, stack_level=5, purpose=ProfilePurpose.TX, transaction_id="a")
    entries = [(1, profile([(0, 20.0)])), (1, tx)]
    assert limits(compute("2.0.1", entries)) == [(0, 20.0)]  # no transaction: ignored
    site = attrs.evolve(
        SITE, transactions=(Transaction(evse_id=1, started_at=T0, transaction_id="a"),)
    )
    assert limits(compute("2.0.1", entries, site=site)) == [(0, 6.0)]
    other = attrs.evolve(
        SITE, transactions=(Transaction(evse_id=1, started_at=T0, transaction_id="b"),)
    )
    assert limits(compute("2.0.1", entries, site=other)) == [(0, 20.0)]
    # 1.6: a TxProfile without transactionId counts for the (simulated) session
    untied = attrs.evolve(tx, transaction_id=None)
    assert limits(compute("1.6", [(1, untied)])) == [(0, 6.0)]


def test_relative_profiles_anchor_at_the_transaction() -> None:
    relative = profile([(0, 10.0), (HOUR, 20.0)], kind=ProfileKind.RELATIVE)
    relative = attrs.evolve(
        relative, schedules=(attrs.evolve(relative.schedule, start_schedule=None),)
    )
    site = attrs.evolve(
        SITE, transactions=(Transaction(evse_id=1, started_at=T0 - timedelta(minutes=30)),)
    )
    assert limits(compute("1.6", [(1, relative)], site=site)) == [(0, 10.0), (1800, 20.0)]
    # no transaction: anchored at the window start
    assert limits(compute("1.6", [(1, relative)])) == [(0, 10.0), (HOUR, 20.0)]


def test_dynamic_profile_anchors_at_now_and_expires() -> None:
    dynamic = profile(
        [(0, 12.0)],
        kind=ProfileKind.DYNAMIC,
        dyn_update_time=T0 - timedelta(minutes=10),
        duration=HOUR,
    )
    dynamic = attrs.evolve(
        dynamic, schedules=(attrs.evolve(dynamic.schedule, start_schedule=None, duration=HOUR),)
    )
    assert limits(compute("2.1", [(1, dynamic)])) == [(0, 12.0), (50 * 60, 48.0)]


def test_dc_and_phase_to_use() -> None:
    site = Station(evses=(Evse(id=1, phase_type=PhaseType.DC),))
    watts = profile([(0, 6900.0)], unit=ChargingRateUnit.W)
    dc = compute("2.0.1", [(1, watts)], site=site)
    assert dc.periods[0].number_phases is None  # no K01.FR.49 fill on DC
    assert dc.periods[0].limit == pytest.approx(10.0)  # default phases for conversion
    single = attrs.evolve(
        watts,
        schedules=(
            attrs.evolve(
                watts.schedule,
                periods=(
                    SchedulePeriod(start_period=0, limit=2300.0, number_phases=1, phase_to_use=2),
                ),
            ),
        ),
    )
    period = compute("2.0.1", [(1, single)]).periods[0]
    assert (period.number_phases, period.phase_to_use, period.limit) == (1, 2, pytest.approx(10.0))


def test_v21_operation_mode_alone_overrides_tx_default() -> None:
    idle = profile([(0, 0.0)], id=2, purpose=ProfilePurpose.TX, transaction_id="a", stack_level=1)
    idle = attrs.evolve(
        idle,
        schedules=(
            attrs.evolve(
                idle.schedule,
                periods=(SchedulePeriod(start_period=0, operation_mode=OperationMode.IDLE),),
                duration=HOUR,
            ),
        ),
    )
    site = attrs.evolve(
        SITE, transactions=(Transaction(evse_id=1, started_at=T0, transaction_id="a"),)
    )
    schedule = compute("2.1", [(1, profile([(0, 16.0)])), (1, idle)], site=site, duration=2 * HOUR)
    assert [(p.start_period, p.limit, p.operation_mode) for p in schedule.periods] == [
        (0, 48.0, OperationMode.IDLE),
        (HOUR, 16.0, None),
    ]


def test_activations_of_an_open_ended_profile() -> None:
    open_ended = profile([(0, 10.0), (HOUR, 20.0)])
    spans = activations(open_ended, now=T0, end=T0 + timedelta(days=1))
    assert [(s.start, s.end, s.period_index) for s in spans] == [
        (T0, T0 + timedelta(hours=1), 0),
        (T0 + timedelta(hours=1), None, 1),
    ]
    with pytest.raises(ValueError, match="naive"):
        activations(open_ended, now=datetime(2025, 1, 1), end=T0)


def test_svg_chart_is_deterministic_and_names_profiles() -> None:
    store = ProfileStore.of("2.0.1", [(1, profile([(0, 16.0), (HOUR, 32.0)], id=42))])
    result = composite_schedule(store, SITE, 1, T0, 2 * HOUR)
    svg = composite_svg(result, store.entries, SITE)
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    assert "#42 s0" in svg
    assert svg == composite_svg(result, store.entries, SITE)
    rejected = composite_schedule(store, SITE, 9, T0, HOUR)
    assert "rejected" in composite_svg(rejected, store.entries, SITE)


def test_absolute_without_start_schedule_falls_back() -> None:
    base = profile([(0, 10.0)], duration=HOUR)
    bare = attrs.evolve(base, schedules=(attrs.evolve(base.schedule, start_schedule=None),))
    end = T0 + timedelta(days=1)
    assert schedule_anchors(bare, now=T0, end=end) == (T0,)
    valid = attrs.evolve(bare, valid_from=T0 - timedelta(minutes=30))
    assert schedule_anchors(valid, now=T0, end=end) == (T0 - timedelta(minutes=30),)
    broken = attrs.evolve(base, kind=ProfileKind.RECURRING)  # no recurrencyKind
    assert schedule_anchors(broken, now=T0, end=end) == ()


def test_discharging_setpoint_is_copied_to_every_phase_in_per_phase_form() -> None:
    """A discharging A setpoint without L2/L3 reaches L2 and L3 once per-phase values are in
    play (it stayed on L1 only, and was then converted as a three-phase total)."""
    cap = profile(
        [(0, 16.0)],
        purpose=ProfilePurpose.CHARGING_STATION_MAX,
    )
    cap = attrs.evolve(
        cap,
        schedules=(
            attrs.evolve(
                cap.schedule,
                periods=(SchedulePeriod(start_period=0, limit=16.0, limit_l2=16.0, limit_l3=16.0),),
            ),
        ),
    )
    discharge = ChargingProfile(
        id=2,
        stack_level=0,
        purpose=ProfilePurpose.TX_DEFAULT,
        kind=ProfileKind.RELATIVE,
        schedules=(
            ChargingSchedule(
                charging_rate_unit=ChargingRateUnit.A,
                periods=(
                    SchedulePeriod(
                        start_period=0,
                        setpoint=-10.0,
                        operation_mode=OperationMode.CENTRAL_SETPOINT,
                    ),
                ),
            ),
        ),
    )
    store = ProfileStore.of("2.1", [(0, cap), (0, discharge)])
    amps = composite_schedule(store, SITE, 1, T0, HOUR, ChargingRateUnit.A).schedule
    watts = composite_schedule(store, SITE, 1, T0, HOUR, ChargingRateUnit.W).schedule
    assert amps is not None
    assert watts is not None
    (in_a,) = amps.periods
    (in_w,) = watts.periods
    assert (in_a.setpoint, in_a.setpoint_l2, in_a.setpoint_l3) == (-10.0, -10.0, -10.0)
    assert (in_w.setpoint, in_w.setpoint_l2, in_w.setpoint_l3) == (-2300.0, -2300.0, -2300.0)
