"""V2G: planning discharge (greedy and LP), its bounds, explanations and bad input."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocpp_core import validate_payload
from ocpp_core.energy import (
    BindingKind,
    Circuit,
    DischargeReason,
    Limit,
    LimitSchedule,
    Policy,
    Session,
    Site,
    SiteEvse,
    SiteStation,
    plan,
    to_requests,
)
from ocpp_core.errors import SelfCheckError, SiteError
from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingRateUnit,
    ChargingSchedule,
    Evse,
    OperationMode,
    ProfileKind,
    ProfilePurpose,
    ProfileStore,
    SchedulePeriod,
    Station,
    Transaction,
    composite_schedule,
    validate_profile,
)

from ._v2g import HORIZON, SLOT, T0, check_plan, may_discharge, v2g_cases

# The number of examples follows the Hypothesis profile (40 in development, 150 in CI).
_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _home(
    *,
    version: str = "2.1",
    evening_w: float = 32000.0,
    export_w: float | None = None,
    evse_dmax: float = 7000.0,
) -> Site:
    base = LimitSchedule(
        points=[
            (T0, Limit(power_w=8000)),
            (T0 + timedelta(hours=1), Limit(power_w=evening_w)),
            (T0 + timedelta(hours=4), Limit(power_w=4000)),
        ]
    )
    return Site(
        circuits=[
            Circuit(
                id="grid",
                max_power_w=27600,
                base_load=base,
                export_limit_w=export_w,
            )
        ],
        stations=[
            SiteStation(id="cs", version=version, station=Station(evses=(Evse(id=1), Evse(id=2))))
        ],
        evses=[
            SiteEvse(
                station_id="cs",
                evse_id=k,
                circuit="grid",
                max_current_a=16,
                discharge_max_power_w=evse_dmax,
            )
            for k in (1, 2)
        ],
    )


def _ev(evse: int, **kw: object) -> Session:
    fields: dict[str, object] = {
        "station_id": "cs",
        "evse_id": evse,
        "arrival": T0,
        "transaction_id": f"t{evse}",
        "energy_delivered_wh": 20000.0,
        "discharge_max_power_w": 6000.0,
    }
    fields.update(kw)
    return Session(**fields)  # type: ignore[arg-type]


# ---------------------------------------------------------------- properties


@_SETTINGS
@given(v2g_cases())
def test_greedy_v2g_keeps_every_limit_floor_and_right(case: tuple[Site, list[Session]]) -> None:
    site, sessions = case
    result = plan(site, sessions, T0, HORIZON, Policy(slot_s=SLOT))
    check_plan(site, sessions, result)


@_SETTINGS
@given(v2g_cases())
def test_lp_v2g_keeps_every_limit_floor_and_right(case: tuple[Site, list[Session]]) -> None:
    pytest.importorskip("highspy")
    site, sessions = case
    result = plan(site, sessions, T0, HORIZON, Policy(slot_s=SLOT), method="lp")
    check_plan(site, sessions, result)


@_SETTINGS
@given(v2g_cases(versions=("2.1",)), st.booleans(), st.sampled_from(["greedy", "lp"]))
def test_v2g_never_costs_departure_energy(
    case: tuple[Site, list[Session]], prices: bool, method: str
) -> None:
    if method == "lp":
        pytest.importorskip("highspy")
    site, sessions = case
    tariff = (
        LimitSchedule(
            points=[
                (T0, Limit(power_w=0.40)),
                (T0 + timedelta(hours=3), Limit(power_w=0.10)),
            ]
        )
        if prices
        else None
    )
    policy = Policy(slot_s=SLOT, prices=tariff)
    with_v2g = plan(site, sessions, T0, HORIZON, policy, method=method)
    without = plan(
        site, sessions, T0, HORIZON, attrs.evolve(policy, allow_discharge=False), method=method
    )
    goals = [s for s in sessions if s.departure is not None and s.energy_wanted_wh is not None]

    def delivered(result: object) -> float:
        keys = {s.key for s in goals}
        return sum(
            o.energy_planned_wh
            for o in result.sessions  # type: ignore[attr-defined]
            if (o.station_id, o.evse_id) in keys
        )

    # Rounding and the minimum repair may move a few Wh per slot and session.
    slack = 10.0 * len(goals) * HORIZON / SLOT
    assert delivered(with_v2g) >= delivered(without) - slack
    for session in goals:
        mine = next(o for o in with_v2g.sessions if (o.station_id, o.evse_id) == session.key)
        theirs = next(o for o in without.sessions if (o.station_id, o.evse_id) == session.key)
        assert mine.unmet_wh <= theirs.unmet_wh + 1e-3 * max(1.0, theirs.energy_planned_wh)


@_SETTINGS
@given(
    st.floats(1000, 12000),
    st.lists(st.floats(3000, 11000), min_size=1, max_size=4),
    st.lists(st.sampled_from([1.0, 2.0]), min_size=4, max_size=4),
)
def test_greedy_covers_a_deficit_when_the_evs_can(
    deficit: float, dmax: list[float], weights: list[float]
) -> None:
    # Enough discharge capacity: the EVs together can give twice the deficit.
    scale = 2 * deficit / sum(dmax) if sum(dmax) < 2 * deficit else 1.0
    tops = [d * scale for d in dmax]
    limit = 20000.0
    site = Site(
        circuits=[
            Circuit(
                id="grid",
                max_power_w=limit,
                base_load=LimitSchedule(points=[(T0, Limit(power_w=limit + deficit))]),
            )
        ],
        stations=[
            SiteStation(
                id="cs",
                version="2.1",
                station=Station(evses=tuple(Evse(id=k + 1) for k in range(len(tops)))),
            )
        ],
        evses=[
            SiteEvse(
                station_id="cs",
                evse_id=k + 1,
                circuit="grid",
                max_current_a=32,
                discharge_max_power_w=top,
            )
            for k, top in enumerate(tops)
        ],
    )
    sessions = [
        Session(
            station_id="cs",
            evse_id=k + 1,
            arrival=T0,
            energy_delivered_wh=60000,
            discharge_max_power_w=top,
            weight=weights[k],
        )
        for k, top in enumerate(tops)
    ]
    result = plan(site, sessions, T0, 3600, Policy(slot_s=SLOT))
    assert result.violations == ()
    check_plan(site, sessions, result)
    for k in range(4):
        given_back = -sum(e.at(k * SLOT).power_w for e in result.evses)
        assert given_back >= deficit - 1e-6
        # Fair by weight: no EV below its bound gives more per weight than one at it.
        rates = {
            e.evse_id: -e.at(k * SLOT).power_w / sessions[e.evse_id - 1].weight
            for e in result.evses
        }
        free = [
            rates[e.evse_id]
            for e in result.evses
            if e.at(k * SLOT).binding.kind is BindingKind.DEFICIT_COVERED
        ]
        if free:
            # Rounding to the 0.1 A step (one EV down at its bound, another a step more
            # to keep the deficit covered): at most two steps (2 x 69 W) apart.
            assert max(free) - min(free) <= 139.0


@_SETTINGS
@given(v2g_cases(), st.sampled_from(["greedy", "lp"]), st.booleans())
def test_requests_carry_discharge_as_central_setpoints_and_pass_the_station(
    case: tuple[Site, list[Session]], method: str, station_max: bool
) -> None:
    if method == "lp":
        pytest.importorskip("highspy")
    site, sessions = case
    result = plan(site, sessions, T0, HORIZON, Policy(slot_s=SLOT), method=method)
    out = to_requests(result, None, site, station_max=station_max)  # self-checked inside
    by_key = {s.key: s for s in sessions}
    for request in out.requests:
        station = site.station(request.station_id)
        version = station.version.value
        assert validate_payload(version, "SetChargingProfile", "request", request.payload) == []
        txs = tuple(
            Transaction(evse_id=1, started_at=T0, transaction_id=s.transaction_id)
            for s in sessions
            if s.station_id == station.id and s.transaction_id is not None
        )
        check = validate_profile(
            request.profile,
            request.evse_id,
            ProfileStore(version=station.version),
            station.station,
            transactions=txs,
        )
        assert check.accepted, check.rule
        schedule = request.profile.schedule
        evse_plan = result.evse(request.station_id, 1)
        for period in schedule.periods:
            if period.setpoint is None:
                assert period.limit is not None
                assert period.limit >= 0
                continue
            # Only 2.1 stations, only EVs that may, only where the plan discharges.
            assert version == "2.1"
            assert request.evse_id == 1
            assert may_discharge(site, by_key[(request.station_id, 1)])
            assert schedule.charging_rate_unit is ChargingRateUnit.W
            assert period.operation_mode is OperationMode.CENTRAL_SETPOINT
            assert period.limit == 0.0
            assert period.discharge_limit == period.setpoint
            assert period.setpoint < 0
            planned = evse_plan.at(period.start_period)
            assert planned.discharging
    _independent_composites(site, sessions, result, out.stores)


def _independent_composites(
    site: Site, sessions: list[Session], result: object, stores: object
) -> None:
    """Each 2.1 EVSE's composite (in W) discharges exactly where and as much as planned
    (within one rounding step) and charges no more than planned."""
    for evse_plan in result.evses:  # type: ignore[attr-defined]
        station = site.station(evse_plan.station_id)
        if evse_plan.station_id not in stores or station.version.value != "2.1":  # type: ignore[operator]
            continue
        session = next((s for s in sessions if s.key == (station.id, 1)), None)
        if session is None:
            continue
        txs = (
            ()
            if session.transaction_id is None
            else (Transaction(evse_id=1, started_at=T0, transaction_id=session.transaction_id),)
        )
        composite = composite_schedule(
            stores[station.id],  # type: ignore[index]
            station.station,
            1,
            T0,
            HORIZON,
            ChargingRateUnit.W,
            txs,
        )
        assert composite.schedule is not None
        evse = site.evse(station.id, 1)
        for period in composite.schedule.periods:
            planned = evse_plan.at(period.start_period)
            if planned.current_a is not None:
                want = (
                    planned.current_a
                    * station.station.supply_voltage
                    * (planned.number_phases or len(evse.phases))
                )
            else:
                want = planned.output_power_w
            if want < 0:
                assert period.setpoint is not None
                assert want - 1e-6 <= period.setpoint <= want + 1.0 + 1e-6
                assert period.limit <= 1e-6
            else:
                assert period.setpoint is None or period.setpoint >= 0
                assert period.limit <= want + 1e-6


# ---------------------------------------------------------------- examples


def test_evening_peak_is_covered_by_discharging_and_explained() -> None:
    site = _home()
    result = plan(site, [_ev(1), _ev(2)], T0, 6 * 3600)
    assert result.violations == ()
    period = result.evse("cs", 1).at(3600)
    assert period.discharging
    assert period.current_a is not None
    assert period.current_a < 0
    assert period.discharge is not None
    assert period.discharge.reason is DischargeReason.DEFICIT
    assert period.discharge.limit is not None
    assert period.discharge.limit.circuit == "grid"
    assert "deficit under circuit 'grid' power" in period.discharge.describe()
    assert period.binding.kind is BindingKind.DEFICIT_COVERED
    # The two EVs share it evenly (4400 W over the limit).
    other = result.evse("cs", 2).at(3600)
    assert other.power_w == period.power_w
    assert -2 * period.power_w >= 4400
    outcome = result.sessions[0]
    assert outcome.energy_discharged_wh > 0


def test_no_discharge_below_21_and_the_plan_says_why() -> None:
    site = _home(version="2.0.1")
    result = plan(site, [_ev(1), _ev(2)], T0, 6 * 3600)
    assert all(p.power_w >= 0 for e in result.evses for p in e.periods)
    assert result.violations
    assert result.violations[0].binding.circuit == "grid"
    assert result.violations[0].excess == pytest.approx(4400)
    for outcome in result.sessions:
        assert outcome.v2x_note is not None
        assert "OCPP 2.0.1" in outcome.v2x_note
        assert "2.1" in outcome.v2x_note


def test_evse_without_discharge_and_policy_switch_are_explained() -> None:
    result = plan(_home(evse_dmax=0.0), [_ev(1)], T0, 3 * 3600)
    assert result.sessions[0].v2x_note is not None
    assert "cannot discharge" in result.sessions[0].v2x_note
    off = plan(_home(), [_ev(1)], T0, 3 * 3600, Policy(allow_discharge=False))
    assert off.sessions[0].v2x_note is not None
    assert "allow_discharge" in off.sessions[0].v2x_note
    assert all(p.power_w >= 0 for e in off.evses for p in e.periods)


def test_battery_floor_bounds_the_discharge() -> None:
    # Plugged in when the evening peak starts, 1 kWh above its floor: it gives 1 kWh.
    sessions = [
        _ev(1, arrival=T0 + timedelta(hours=1), energy_delivered_wh=5000, min_energy_wh=4000)
    ]
    result = plan(_home(), sessions, T0, 6 * 3600)
    periods = [p for p in result.evse("cs", 1).periods if p.discharging]
    assert periods
    assert periods[-1].binding.kind is BindingKind.BATTERY_FLOOR
    assert result.sessions[0].energy_discharged_wh <= 1000 + 1e-6
    assert result.violations


def test_export_limit_bounds_the_discharge() -> None:
    # The building breaks the grid limit by 2 kW; the EV sits on a garage circuit that
    # may export at most 500 W: it gives 500 W and the plan reports the rest.
    site = Site(
        circuits=[
            Circuit(
                id="grid",
                max_power_w=10000,
                base_load=LimitSchedule(points=[(T0, Limit(power_w=12000))]),
            ),
            Circuit(id="garage", parent="grid", max_current_a=32, export_limit_w=500),
        ],
        stations=[SiteStation(id="cs", version="2.1", station=Station(evses=(Evse(id=1),)))],
        evses=[SiteEvse(station_id="cs", evse_id=1, circuit="garage", discharge_max_power_w=7000)],
    )
    result = plan(site, [_ev(1)], T0, 3600)
    period = result.evse("cs", 1).at(0)
    assert period.discharging
    assert -period.power_w <= 500 + 1e-6
    assert -period.power_w >= 500 - 69  # one 0.1 A step on three phases
    assert period.binding.kind is BindingKind.EXPORT_LIMIT
    assert period.binding.circuit == "garage"
    assert "export limit" in period.binding.describe()
    assert result.violations
    assert result.violations[0].excess == pytest.approx(2000 + period.power_w)


def test_departure_reserve_holds_back_a_session_that_needs_its_energy() -> None:
    # Leaves in 4 h wanting 40 kWh more: it cannot spare anything in the evening.
    needy = _ev(1, departure=T0 + timedelta(hours=4), energy_wanted_wh=60000)
    result = plan(_home(), [needy, _ev(2)], T0, 4 * 3600)
    assert not any(p.discharging for p in result.evse("cs", 1).periods)
    assert any(p.discharging for p in result.evse("cs", 2).periods)


def test_plan_without_v2x_is_unchanged() -> None:
    # No session offers discharging: the same plan as with discharging switched off.
    sessions = [_ev(1, discharge_max_power_w=None), _ev(2, discharge_max_power_w=None)]
    a = plan(_home(), sessions, T0, 6 * 3600)
    b = plan(_home(), sessions, T0, 6 * 3600, Policy(allow_discharge=False))
    assert a == b
    assert all(p.discharge is None for e in a.evses for p in e.periods)


def test_lp_discharges_for_arbitrage_with_prices() -> None:
    pytest.importorskip("highspy")
    site = _home(evening_w=4000, export_w=11000.0)
    prices = LimitSchedule(
        points=[(T0, Limit(power_w=0.60)), (T0 + timedelta(hours=3), Limit(power_w=0.05))]
    )
    ev = _ev(1, departure=T0 + timedelta(hours=10), energy_wanted_wh=30000)
    result = plan(site, [ev], T0, 10 * 3600, Policy(prices=prices), method="lp")
    periods = [p for p in result.evse("cs", 1).periods if p.discharging]
    assert periods
    assert all(
        p.discharge is not None and p.discharge.reason is DischargeReason.ARBITRAGE for p in periods
    )
    assert result.sessions[0].unmet_wh < 1.0
    # Dearer than the cycling cost: with a tiny spread it does not cycle.
    flat = LimitSchedule(
        points=[(T0, Limit(power_w=0.11)), (T0 + timedelta(hours=3), Limit(power_w=0.10))]
    )
    calm = plan(site, [ev], T0, 10 * 3600, Policy(prices=flat), method="lp")
    assert not any(p.discharging for p in calm.evse("cs", 1).periods)


def test_lp_shaves_the_peak_without_prices() -> None:
    pytest.importorskip("highspy")
    site = _home(evening_w=20000, export_w=0.0)
    ev = _ev(1, departure=T0 + timedelta(hours=10), energy_wanted_wh=30000)
    result = plan(site, [ev], T0, 10 * 3600, method="lp")
    periods = [p for p in result.evse("cs", 1).periods if p.discharging]
    assert periods
    assert all(
        p.discharge is not None and p.discharge.reason is DischargeReason.PEAK_SHAVING
        for p in periods
    )
    assert result.sessions[0].unmet_wh < 1.0


def test_lp_covers_the_deficit() -> None:
    pytest.importorskip("highspy")
    result = plan(_home(), [_ev(1), _ev(2)], T0, 6 * 3600, method="lp")
    assert result.violations == ()
    period = result.evse("cs", 1).at(3600)
    assert period.discharge is not None
    assert period.discharge.reason is DischargeReason.DEFICIT


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: _ev(1, discharge_max_power_w=-1), "discharge_max_power_w"),
        (lambda: _ev(1, min_energy_wh=float("nan")), "min_energy_wh"),
        (lambda: _ev(1, min_energy_wh="low"), "min_energy_wh"),
        (lambda: _ev(1, energy_wanted_wh=1000, min_energy_wh=2000), "min_energy_wh"),
        (
            lambda: SiteEvse(station_id="cs", evse_id=1, circuit="g", discharge_max_power_w=-3),
            "discharge_max_power_w",
        ),
        (lambda: Circuit(id="g", export_limit_w=-1), "export_limit_w"),
        (lambda: Policy(cycle_cost_per_kwh=-0.1), "cycle_cost_per_kwh"),
        (lambda: Policy(discharge_headroom=1.5), "discharge_headroom"),
        (lambda: Policy(allow_discharge="yes"), "allow_discharge"),  # type: ignore[arg-type]
        (lambda: Policy(prices={"a": 1}), "prices"),  # type: ignore[arg-type]
    ],
)
def test_bad_v2x_input_names_the_field(build: object, field: str) -> None:
    with pytest.raises(SiteError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.field == field


def test_case_strategy_exercises_discharge() -> None:
    # The strategy's sites do discharge (guards the properties against a vacuous pass).
    site = _home()
    assert may_discharge(site, _ev(1))


# ---------------------------------------------------------------- requests, examples


def _evening_plan(**station: object) -> tuple[Site, object]:
    engine = Station(evses=(Evse(id=1), Evse(id=2)), **station)  # type: ignore[arg-type]
    site = attrs.evolve(_home(), stations=[SiteStation(id="cs", version="2.1", station=engine)])
    return site, plan(site, [_ev(1), _ev(2)], T0, 6 * 3600)


def test_discharge_in_amperes_when_the_station_has_no_w() -> None:
    site, result = _evening_plan(rate_units=(ChargingRateUnit.A,))
    out = to_requests(result, None, site)  # type: ignore[arg-type]
    schedule = out.requests[0].profile.schedule
    assert schedule.charging_rate_unit is ChargingRateUnit.A
    setpoints = [p.setpoint for p in schedule.periods if p.setpoint is not None]
    assert setpoints
    assert all(s < 0 for s in setpoints)
    planned = result.evse("cs", 1).at(3600)  # type: ignore[attr-defined]
    assert setpoints[0] == pytest.approx(planned.current_a)


@pytest.mark.parametrize("limit", [1, 2])
def test_merged_discharge_periods_never_discharge_more_and_pass_the_check(limit: int) -> None:
    # The plan has three periods per EVSE (charge, discharge, charge): they merge.
    sessions = [_ev(1, min_energy_wh=18000), _ev(2)]
    engine = Station(evses=(Evse(id=1), Evse(id=2)), max_periods_per_schedule=limit)
    site = attrs.evolve(_home(), stations=[SiteStation(id="cs", version="2.1", station=engine)])
    result = plan(site, sessions, T0, 6 * 3600)
    assert len(result.evse("cs", 1).periods) > limit
    out = to_requests(result, None, site)
    for request in out.requests:
        periods = request.profile.schedule.periods
        assert len(periods) <= limit
        evse_plan = result.evse("cs", request.evse_id)  # type: ignore[attr-defined]
        for index, period in enumerate(periods):
            end = periods[index + 1].start_period if index + 1 < len(periods) else 6 * 3600
            for offset in range(period.start_period, end, SLOT):
                planned = evse_plan.at(offset).power_w
                sent = period.setpoint if period.setpoint is not None else period.limit
                if sent < 0:
                    assert planned <= sent  # never more discharge than planned
                else:
                    assert sent <= max(planned, 0.0) + 1e-6  # never more charging


def test_self_check_refuses_a_station_that_would_discharge_unplanned() -> None:
    site = attrs.evolve(
        _home(),
        stations=[
            SiteStation(id="cs", version="2.1", station=Station(evses=(Evse(id=1), Evse(id=2))))
        ],
    )
    # No transaction yet: our profile is a TxDefaultProfile on EVSE 1 at stack level 0,
    # and a station-wide TxDefaultProfile above it asks a -5 kW setpoint.
    result = plan(site, [_ev(1, transaction_id=None, discharge_max_power_w=None)], T0, 3600)
    foreign = ChargingProfile(
        id=7,
        stack_level=3,
        purpose=ProfilePurpose.TX_DEFAULT,
        kind=ProfileKind.ABSOLUTE,
        schedules=(
            ChargingSchedule(
                id=1,
                charging_rate_unit=ChargingRateUnit.W,
                start_schedule=T0,
                periods=(
                    SchedulePeriod(
                        start_period=0,
                        limit=0.0,
                        setpoint=-5000.0,
                        discharge_limit=-5000.0,
                        operation_mode=OperationMode.CENTRAL_SETPOINT,
                    ),
                ),
            ),
        ),
    )
    installed = ProfileStore(version=site.station("cs").version)
    accepted = installed.install(foreign, 0, site.station("cs").station)
    assert accepted.accepted
    with pytest.raises(SelfCheckError) as caught:
        to_requests(result, {"cs": accepted.store}, site)
    assert caught.value.rule in ("composite-discharges", "composite-above-plan")
