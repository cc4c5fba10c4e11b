from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core import decode_payload, validate_payload
from ocpp_core.energy import (
    Circuit,
    Plan,
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
    PhaseType,
    ProfileKind,
    ProfilePurpose,
    ProfileStore,
    SchedulePeriod,
    Station,
    Transaction,
    composite_schedule,
)

from ._sites import T0, planning_cases

VERSIONS = ["1.6", "2.0", "2.0.1", "2.1"]


def _site(version: str, *, units: tuple[str, ...] = ("A", "W"), **station: object) -> Site:
    engine = Station(
        evses=(Evse(id=1), Evse(id=2), Evse(id=3, phase_type=PhaseType.DC)),
        rate_units=tuple(ChargingRateUnit(u) for u in units),
        **station,  # type: ignore[arg-type]
    )
    return Site(
        circuits=[Circuit(id="grid", max_current_a=40.0)],
        stations=[SiteStation(id="cs", version=version, station=engine)],
        evses=[
            SiteEvse(station_id="cs", evse_id=1, circuit="grid"),
            SiteEvse(station_id="cs", evse_id=2, circuit="grid", phases=("L2", "L3", "L1")),
            SiteEvse(
                station_id="cs", evse_id=3, circuit="grid", phase_type="DC", max_power_w=20000
            ),
        ],
    )


def _sessions(version: str) -> list[Session]:
    tx: object = 17 if version == "1.6" else "tx-17"
    return [
        Session(
            station_id="cs",
            evse_id=1,
            arrival=T0,
            transaction_id=tx,  # type: ignore[arg-type]
            departure=T0 + timedelta(hours=3),
            energy_wanted_wh=20000,
            min_current_a=6,
        ),
        Session(station_id="cs", evse_id=2, arrival=T0, ev_phases=1, min_current_a=6),
        Session(
            station_id="cs",
            evse_id=3,
            arrival=T0,
            departure=T0 + timedelta(hours=2),
            energy_wanted_wh=30000,
        ),
    ]


def _composite_never_above_plan(
    result_plan: Plan, site: Site, stores: dict[str, ProfileStore], sessions: list[Session]
) -> None:
    for evse_plan in result_plan.evses:
        if evse_plan.periods[0].binding.kind.value == "no-session" and len(evse_plan.periods) == 1:
            continue
        station = site.station(evse_plan.station_id)
        evse = site.evse(evse_plan.station_id, evse_plan.evse_id)
        unit = (
            ChargingRateUnit.A
            if evse.phase_type is PhaseType.AC and ChargingRateUnit.A in station.station.rate_units
            else ChargingRateUnit.W
        )
        txs = tuple(
            Transaction(evse_id=s.evse_id, started_at=T0, transaction_id=s.transaction_id)
            for s in sessions
            if s.transaction_id is not None and s.station_id == station.id
        )
        result = composite_schedule(
            stores[station.id],
            station.station,
            evse_plan.evse_id,
            T0,
            result_plan.horizon_s,
            unit,
            txs,
        )
        assert result.schedule is not None
        v = station.station.supply_voltage
        for period in result.schedule.periods:
            planned = evse_plan.at(period.start_period)
            if planned.current_a is not None:
                want = (
                    planned.current_a
                    if unit is ChargingRateUnit.A
                    else planned.current_a * v * (planned.number_phases or 3)
                )
            else:
                want = planned.output_power_w
            assert period.limit <= want + 1e-6


@pytest.mark.parametrize("version", VERSIONS)
def test_requests_for_every_version_pass_the_schema_and_decode(version: str) -> None:
    site = _site(version)
    sessions = _sessions(version)
    result_plan = plan(site, sessions, T0, 4 * 3600)
    out = to_requests(result_plan, None, site)
    assert {r.evse_id for r in out.requests} == {1, 2, 3}
    for request in out.requests:
        assert type(request.message).__module__.startswith("ocpp_core.v" + version.replace(".", ""))
        assert validate_payload(version, "SetChargingProfile", "request", request.payload) == []
        decoded = decode_payload(version, "SetChargingProfile", "request", request.payload)
        assert decoded == request.message
    by_evse = {r.evse_id: r.profile for r in out.requests}
    assert by_evse[1].purpose is ProfilePurpose.TX
    assert by_evse[1].transaction_id == (17 if version == "1.6" else "tx-17")
    assert by_evse[2].purpose is ProfilePurpose.TX_DEFAULT
    assert by_evse[1].schedule.charging_rate_unit is ChargingRateUnit.A
    assert by_evse[2].schedule.periods[0].number_phases == 1
    assert by_evse[3].schedule.charging_rate_unit is ChargingRateUnit.W
    _composite_never_above_plan(result_plan, site, dict(out.stores), sessions)


def test_w_only_station_gets_watts_with_number_of_phases_rounded_down() -> None:
    site = _site("1.6", units=("W",))
    sessions = _sessions("1.6")
    result_plan = plan(site, sessions, T0, 4 * 3600)
    out = to_requests(result_plan, None, site)
    profile = next(r.profile for r in out.requests if r.evse_id == 2)
    assert profile.schedule.charging_rate_unit is ChargingRateUnit.W
    first = profile.schedule.periods[0]
    planned = result_plan.evse("cs", 2).periods[0]
    assert first.number_phases == 1
    assert planned.current_a is not None
    assert first.limit is not None
    assert first.limit <= planned.current_a * 230.0
    assert planned.current_a * 230.0 - first.limit < 1.0


def test_one_decimal_for_1_6_is_never_rounded_up() -> None:
    from ocpp_core.energy._requests import floor_decimal

    assert floor_decimal(21.4, 0.1) == 21.4
    assert floor_decimal(0.3, 0.1) == 0.3
    assert floor_decimal(16.19999, 0.1) == 16.1
    assert floor_decimal(7359.99, 1.0) == 7359.0


def test_a_second_call_with_the_returned_stores_sends_nothing() -> None:
    site = _site("2.0.1")
    sessions = _sessions("2.0.1")
    result_plan = plan(site, sessions, T0, 4 * 3600)
    first = to_requests(result_plan, None, site)
    second = to_requests(result_plan, first.stores, site)
    assert second.requests == ()
    assert sorted(second.unchanged) == [("cs", 1), ("cs", 2), ("cs", 3)]


def _raised(result_plan: Plan, amps: float) -> Plan:
    evses = []
    for evse_plan in result_plan.evses:
        periods = tuple(
            attrs.evolve(p, current_a=p.current_a + amps)
            if p.current_a is not None and p.current_a > 0
            else p
            for p in evse_plan.periods
        )
        evses.append(attrs.evolve(evse_plan, periods=periods))
    return attrs.evolve(result_plan, evses=tuple(evses))


def test_small_raises_within_hysteresis_are_not_sent_but_decreases_are() -> None:
    site = _site("2.0.1")
    sessions = _sessions("2.0.1")[:2]
    low = plan(site, sessions, T0, 3600)
    high = _raised(low, 0.5)
    installed = to_requests(low, None, site).stores
    lazy = to_requests(high, installed, site, policy=Policy(hysteresis_a=2.0))
    eager = to_requests(high, installed, site)
    assert lazy.requests == ()
    assert {r.evse_id for r in eager.requests} == {1, 2}
    back = to_requests(
        low, to_requests(high, None, site).stores, site, policy=Policy(hysteresis_a=2.0)
    )
    assert {r.evse_id for r in back.requests} == {1, 2}


@settings(max_examples=20)
@given(st.integers(1, 4))
def test_periods_are_merged_conservatively_to_fit(limit: int) -> None:
    site = _site("2.0.1", max_periods_per_schedule=limit)
    sessions = [
        Session(
            station_id="cs",
            evse_id=k,
            arrival=T0 + timedelta(minutes=30 * k),
            departure=T0 + timedelta(hours=1 + k),
            energy_wanted_wh=9000 * k,
            min_current_a=6,
        )
        for k in (1, 2)
    ]
    result_plan = plan(site, sessions, T0, 4 * 3600)
    out = to_requests(result_plan, None, site)
    for request in out.requests:
        assert len(request.profile.schedule.periods) <= limit
    _composite_never_above_plan(result_plan, site, dict(out.stores), sessions)


def test_bad_inputs_are_typed_errors_naming_the_field() -> None:
    site = _site("2.0.1", max_stack_level=3)
    result_plan = plan(site, _sessions("2.0.1"), T0, 3600)
    with pytest.raises(SiteError, match="stack_level"):
        to_requests(result_plan, None, site, stack_level=4)
    dc_on_a_only = _site("2.0.1", units=("A",))
    with pytest.raises(SiteError, match="rate_units"):
        to_requests(plan(dc_on_a_only, _sessions("2.0.1"), T0, 3600), None, dc_on_a_only)
    v16 = _site("1.6")
    with pytest.raises(SiteError, match="transaction_id"):
        to_requests(plan(v16, _sessions("2.0.1"), T0, 3600), None, v16)


def test_a_foreign_profile_above_the_plan_fails_the_self_check() -> None:
    site = _site("2.0.1")
    sessions = _sessions("2.0.1")
    result_plan = plan(site, sessions, T0, 3600)
    foreign = ChargingProfile(
        id=7,
        stack_level=5,
        purpose=ProfilePurpose.TX,
        kind=ProfileKind.ABSOLUTE,
        transaction_id="tx-17",
        schedules=(
            ChargingSchedule(
                id=1,
                charging_rate_unit=ChargingRateUnit.A,
                start_schedule=T0 - timedelta(hours=1),
                periods=(SchedulePeriod(start_period=0, limit=32.0),),
            ),
        ),
    )
    store = ProfileStore.of("2.0.1", [(1, foreign)])
    with pytest.raises(SelfCheckError) as caught:
        to_requests(result_plan, {"cs": store}, site)
    assert caught.value.rule == "composite-above-plan"
    assert caught.value.evse_id == 1


@settings(max_examples=15)
@given(planning_cases(), st.sampled_from(VERSIONS))
def test_requests_pass_through_the_station_engine_back_to_the_plan(
    case: tuple[Site, list[Session]], version: str
) -> None:
    site, sessions = case
    station = attrs.evolve(site.stations[0], version=version)
    site = attrs.evolve(site, stations=[station])
    if version == "1.6":
        sessions = [attrs.evolve(s, transaction_id=None) for s in sessions]
    result_plan = plan(site, sessions, T0, 2 * 3600)
    out = to_requests(result_plan, None, site)
    _composite_never_above_plan(result_plan, site, dict(out.stores), sessions)
