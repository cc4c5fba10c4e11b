from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core.energy import (
    BindingKind,
    Circuit,
    FairUnit,
    Objective,
    PlanMethod,
    Policy,
    Session,
    Site,
    SiteEvse,
    SiteStation,
    plan,
)
from ocpp_core.errors import SiteError
from ocpp_core.smart_charging import Evse, Station

from ._sites import T0, assert_within_limits, plan_as_allocation, planning_cases

pytest.importorskip("highspy")
from ocpp_core.energy import lp_upper_bound


def _site(limit: float, n: int) -> Site:
    return Site(
        circuits=[Circuit(id="grid", max_current_a=limit)],
        stations=[
            SiteStation(
                id="cs",
                version="2.0.1",
                station=Station(evses=tuple(Evse(id=k + 1) for k in range(n))),
            )
        ],
        evses=[SiteEvse(station_id="cs", evse_id=k + 1, circuit="grid") for k in range(n)],
    )


def _session(evse: int, hours: float, kwh: float, **kw: object) -> Session:
    return Session(
        station_id="cs",
        evse_id=evse,
        arrival=T0,
        departure=T0 + timedelta(hours=hours),
        energy_wanted_wh=kwh * 1000,
        min_current_a=6.0,
        **kw,  # type: ignore[arg-type]
    )


def test_deadlines_first_meets_both_where_fair_share_does_not() -> None:
    # 32 A three-phase = 22.08 kW. EV 1 leaves after 1 h wanting 15 kWh;
    # EV 2 stays 4 h wanting 20 kWh.
    site = _site(32.0, 2)
    sessions = [_session(1, 1, 15), _session(2, 4, 20)]
    deadline = plan(site, sessions, T0, 4 * 3600)
    fair = plan(site, sessions, T0, 4 * 3600, Policy(objective=Objective.FAIR_SHARE))
    assert deadline.sessions[0].unmet_wh < 0.01 * 15000
    assert deadline.sessions[1].unmet_wh < 0.01 * 20000
    assert fair.sessions[0].unmet_wh > 3000


def test_unmet_energy_is_reported_with_its_binding() -> None:
    site = _site(16.0, 2)
    result = plan(site, [_session(1, 1, 30), _session(2, 1, 30)], T0, 3600)
    for outcome in result.sessions:
        assert outcome.unmet_wh > 10000
        assert outcome.bound_by[0].kind in (BindingKind.CIRCUIT_CURRENT, BindingKind.BELOW_MINIMUM)
        assert outcome.bound_by[0].circuit == "grid"


@settings(max_examples=25)
@given(planning_cases(), st.sampled_from(list(FairUnit)))
def test_greedy_plan_never_exceeds_a_limit(
    case: tuple[Site, list[Session]], fair: FairUnit
) -> None:
    site, sessions = case
    result = plan(site, sessions, T0, 4 * 3600, Policy(slot_s=900, fair_unit=fair))
    for k in range(result.slots):
        assert_within_limits(site, plan_as_allocation(site, result, k * 900))


@settings(max_examples=10)
@given(planning_cases())
def test_lp_plan_never_exceeds_a_limit_and_stays_below_its_bound(
    case: tuple[Site, list[Session]],
) -> None:
    site, sessions = case
    policy = Policy(slot_s=1800)
    result = plan(site, sessions, T0, 4 * 3600, policy, method="lp")
    assert result.method is PlanMethod.LP
    for k in range(result.slots):
        assert_within_limits(site, plan_as_allocation(site, result, k * 1800))
    bounded = [s for s in sessions if s.energy_wanted_wh is not None]
    if len(bounded) == len(sessions):
        total = sum(o.energy_planned_wh for o in result.sessions)
        assert total <= lp_upper_bound(site, sessions, T0, 4 * 3600, policy) + 1e-3


def test_lp_is_close_to_its_bound_and_not_below_greedy_on_a_congested_site() -> None:
    site = _site(32.0, 6)
    sessions = [_session(k + 1, 2 + k, 12 + 4 * k) for k in range(6)]
    policy = Policy(slot_s=900)
    lp = plan(site, sessions, T0, 8 * 3600, policy, method=PlanMethod.LP)
    greedy = plan(site, sessions, T0, 8 * 3600, policy)
    bound = lp_upper_bound(site, sessions, T0, 8 * 3600, policy)
    lp_total = sum(o.energy_planned_wh for o in lp.sessions)
    greedy_total = sum(o.energy_planned_wh for o in greedy.sessions)
    assert lp_total >= 0.98 * bound
    assert lp_total >= greedy_total - 0.005 * bound


def test_bad_arguments_name_the_field() -> None:
    site = _site(32.0, 1)
    with pytest.raises(SiteError, match="horizon"):
        plan(site, [], T0, -5)
    with pytest.raises(SiteError, match="method"):
        plan(site, [], T0, 3600, method="simplex")
