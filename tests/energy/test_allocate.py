from __future__ import annotations

import random
from datetime import timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpp_core.energy import (
    BelowMinimum,
    BindingKind,
    Circuit,
    ExternalLimit,
    FairUnit,
    Limit,
    LimitSchedule,
    Policy,
    Session,
    Site,
    SiteEvse,
    SiteStation,
    allocate,
)
from ocpp_core.smart_charging import Evse, Station

from ._sites import T0, assert_within_limits, sites


def _site(limit: float = 32.0, n: int = 3, **circuit: object) -> Site:
    return Site(
        circuits=[Circuit(id="grid", max_current_a=limit, **circuit)],  # type: ignore[arg-type]
        stations=[
            SiteStation(
                id="cs",
                version="1.6",
                station=Station(evses=tuple(Evse(id=k + 1) for k in range(n))),
            )
        ],
        evses=[SiteEvse(station_id="cs", evse_id=k + 1, circuit="grid") for k in range(n)],
    )


def _session(evse: int, minutes_ago: int = 60, **kw: object) -> Session:
    return Session(station_id="cs", evse_id=evse, arrival=T0 - timedelta(minutes=minutes_ago), **kw)  # type: ignore[arg-type]


def test_equal_split_under_one_limit() -> None:
    site = _site(32.0)
    result = allocate(site, [_session(1), _session(2)], T0)
    assert result.get("cs", 1).current_a == pytest.approx(16.0)
    assert result.get("cs", 2).current_a == pytest.approx(16.0)
    assert result.get("cs", 3).binding.kind is BindingKind.NO_SESSION
    assert result.get("cs", 1).binding.kind is BindingKind.CIRCUIT_CURRENT


def test_capped_ev_leaves_its_share_to_others() -> None:
    # EVerest's 1_0_two_ac_evse_load_balancing: 32 A grid, one EV capped at 8 A -> the other 24 A.
    site = _site(32.0)
    result = allocate(site, [_session(1, max_current_a=8), _session(2)], T0)
    assert result.get("cs", 1).current_a == pytest.approx(8.0)
    assert result.get("cs", 1).binding.kind is BindingKind.EV_MAXIMUM
    assert result.get("cs", 2).current_a == pytest.approx(24.0)


def test_weights_split_proportionally() -> None:
    site = _site(30.0)
    result = allocate(site, [_session(1, weight=2.0), _session(2)], T0)
    assert result.get("cs", 1).current_a == pytest.approx(
        2 * result.get("cs", 2).current_a, abs=0.1
    )


def test_fair_in_current_gives_every_conductor_the_same_amperes() -> None:
    # A single-phase and a three-phase EV on one congested 32 A line (L1).
    site = _site(32.0, n=2)
    sessions = [_session(1, ev_phases=1), _session(2)]
    by_power = allocate(site, sessions, T0)
    by_current = allocate(site, sessions, T0, Policy(fair_unit="current"))
    one, three = by_power.get("cs", 1), by_power.get("cs", 2)
    # Equal power: the single-phase EV draws three times the current on L1.
    assert one.power_w == pytest.approx(three.power_w, abs=1.0)
    assert one.current_a + three.current_a == pytest.approx(32.0, abs=0.2)
    one, three = by_current.get("cs", 1), by_current.get("cs", 2)
    # Equal current: 16 A each on L1, so the three-phase EV gets three times the power.
    assert one.current_a == pytest.approx(three.current_a, abs=0.1)
    assert one.current_a + three.current_a == pytest.approx(32.0, abs=0.2)
    assert three.power_w == pytest.approx(3 * one.power_w, rel=0.01)
    with pytest.raises(ValueError, match="fair_unit"):
        Policy(fair_unit="amps")


def test_minimums_pause_the_most_recent_arrival() -> None:
    site = _site(16.0)
    sessions = [
        _session(1, 60, min_current_a=6),
        _session(2, 30, min_current_a=6),
        _session(3, 10, min_current_a=6),
    ]
    result = allocate(site, sessions, T0)
    assert result.get("cs", 3).paused
    assert result.get("cs", 3).power_w == 0.0
    assert result.get("cs", 3).binding.kind is BindingKind.BELOW_MINIMUM
    assert result.get("cs", 3).binding.circuit == "grid"
    assert result.get("cs", 1).current_a == pytest.approx(8.0)


def test_priority_beats_arrival_and_laxity_beats_arrival() -> None:
    site = _site(12.0)
    sessions = [
        _session(1, 60, min_current_a=6, max_current_a=6),
        _session(2, 30, min_current_a=6, max_current_a=6),
        _session(3, 10, min_current_a=6, max_current_a=6, priority=1),
    ]
    result = allocate(site, sessions, T0)
    assert not result.get("cs", 3).paused
    assert result.get("cs", 2).paused
    urgent = [
        _session(1, 60, min_current_a=6, max_current_a=6),
        _session(
            2,
            30,
            min_current_a=6,
            max_current_a=6,
            departure=T0 + timedelta(hours=1),
            energy_wanted_wh=4000,
        ),
        _session(3, 10, min_current_a=6, max_current_a=6),
    ]
    result = allocate(site, urgent, T0)
    assert not result.get("cs", 2).paused
    assert result.get("cs", 3).paused


def test_hold_keeps_a_charging_ev_before_a_newcomer() -> None:
    site = _site(12.0)
    sessions = [
        _session(1, 60, min_current_a=6, max_current_a=6),
        _session(2, 30, min_current_a=6, max_current_a=6),
        _session(3, 40, min_current_a=6, max_current_a=6, measured_current_a=0.0),
    ]
    sessions[1] = attrs.evolve(sessions[1], measured_current_a=6.0, measured_at=T0)
    pause = allocate(site, sessions, T0, Policy(below_minimum="pause"))
    hold = allocate(site, sessions, T0, Policy(below_minimum=BelowMinimum.HOLD))
    assert pause.get("cs", 2).paused
    assert hold.get("cs", 3).paused
    assert not hold.get("cs", 2).paused


def test_single_phase_ev_loads_only_its_phase_and_rotation_counts() -> None:
    site = Site(
        circuits=[Circuit(id="grid", max_current_a=(32, 16, 32))],
        stations=[
            SiteStation(id="cs", version="2.0.1", station=Station(evses=(Evse(id=1), Evse(id=2))))
        ],
        evses=[
            SiteEvse(station_id="cs", evse_id=1, circuit="grid", phases=("L1", "L2", "L3")),
            SiteEvse(station_id="cs", evse_id=2, circuit="grid", phases=("L3", "L1", "L2")),
        ],
    )
    result = allocate(site, [_session(1, ev_phases=1), _session(2, ev_phases=1)], T0)
    assert result.get("cs", 1).grid_phases == ("L1",)
    assert result.get("cs", 2).grid_phases == ("L3",)
    assert result.get("cs", 1).current_a == pytest.approx(32.0)
    assert result.get("cs", 2).current_a == pytest.approx(32.0)


def test_external_limit_binds_and_is_named() -> None:
    limit = ExternalLimit(
        id="dso-1",
        source="SO",
        scope="site",
        schedule=LimitSchedule(points=((T0 - timedelta(hours=1), Limit(power_w=7360.0)),)),
        grid_critical=True,
    )
    site = _site(32.0).with_external_limit(limit)
    result = allocate(site, [_session(1), _session(2)], T0)
    assert result.get("cs", 1).binding.kind is BindingKind.EXTERNAL_LIMIT
    assert result.get("cs", 1).binding.limit_id == "dso-1"
    assert result.get("cs", 1).power_w + result.get("cs", 2).power_w <= 7360.0
    cleared = site.without_external_limit("dso-1")
    assert allocate(cleared, [_session(1), _session(2)], T0).get("cs", 1).current_a == 16.0


def test_base_load_takes_its_share_first() -> None:
    load = LimitSchedule(points=((T0 - timedelta(hours=1), Limit(current_a=(10, 10, 10))),))
    site = _site(32.0, base_load=load)
    result = allocate(site, [_session(1), _session(2)], T0)
    assert result.get("cs", 1).current_a == pytest.approx(11.0)


FAIR_UNITS = st.sampled_from(list(FairUnit))


@given(sites(), FAIR_UNITS)
def test_no_limit_is_exceeded(case: tuple[Site, list[Session]], fair: FairUnit) -> None:
    site, sessions = case
    assert_within_limits(site, allocate(site, sessions, T0, Policy(fair_unit=fair)))


@given(sites(), FAIR_UNITS)
def test_every_ev_is_within_its_range_or_off(
    case: tuple[Site, list[Session]], fair: FairUnit
) -> None:
    site, sessions = case
    result = allocate(site, sessions, T0, Policy(fair_unit=fair))
    for session in sessions:
        item = result.get(session.station_id, session.evse_id)
        evse = site.evse(session.station_id, session.evse_id)
        if item.current_a is not None:
            low = max(evse.min_current_a, session.min_current_a or 0.0)
            high = min(evse.max_current_a, session.max_current_a or 99.0)
            assert item.current_a == 0.0 or low - 1e-9 <= item.current_a <= high + 1e-9
        else:
            low = max(evse.min_power_w, session.min_power_w or 0.0)
            assert evse.max_power_w is not None
            assert (
                item.output_power_w == 0.0
                or low - 1e-6 <= item.output_power_w <= evse.max_power_w + 1e-6
            )


@given(sites(), st.randoms(use_true_random=False), FAIR_UNITS)
def test_allocation_does_not_depend_on_listing_order(
    case: tuple[Site, list[Session]], rnd: random.Random, fair: FairUnit
) -> None:
    site, sessions = case
    evses = list(site.evses)
    rnd.shuffle(evses)
    shuffled = list(sessions)
    rnd.shuffle(shuffled)
    policy = Policy(fair_unit=fair)
    assert allocate(site, sessions, T0, policy) == allocate(
        attrs.evolve(site, evses=evses), shuffled, T0, policy
    )


@given(sites(with_min=False), st.floats(1.0, 3.0), st.integers(0, 3), FAIR_UNITS)
def test_raising_a_limit_never_lowers_anyone_below_it(
    case: tuple[Site, list[Session]], factor: float, which: int, fair: FairUnit
) -> None:
    # Max-min fairness is monotone for the EVs below the raised circuit (all of them
    # when it is the grid connection). EVs on a sibling branch may lose: they share
    # the parent with EVs that now get more (see docs/energy.md, "What fair means").
    site, sessions = case
    circuits = list(site.circuits)
    target = circuits[which % len(circuits)]
    if target.max_current_a is not None:
        raised = attrs.evolve(target, max_current_a=tuple(v * factor for v in target.max_current_a))
    elif target.max_power_w is not None:
        raised = attrs.evolve(target, max_power_w=target.max_power_w * factor)
    else:
        return
    circuits[which % len(circuits)] = raised
    policy = Policy(fair_unit=fair)
    before = allocate(site, sessions, T0, policy)
    after = allocate(attrs.evolve(site, circuits=circuits), sessions, T0, policy)
    for a, b in zip(before.evses, after.evses, strict=True):
        evse = site.evse(a.station_id, a.evse_id)
        if target.id not in {c.id for c in site.path(evse.circuit)}:
            continue
        # Rounding down to 0.1 A (1 W) steps may cost one step.
        assert b.power_w >= a.power_w - 0.1 * 3 * 230 - 1e-6


def test_a_thousand_evses_in_a_deep_tree_stay_within_limits() -> None:
    circuits = [Circuit(id="root", max_current_a=2000.0)]
    for level in range(1, 5):
        for k in range(4**level if level < 4 else 250):
            parent = "root" if level == 1 else f"l{level - 1}-{k % (4 ** (level - 1))}"
            circuits.append(Circuit(id=f"l{level}-{k}", parent=parent, max_current_a=400.0 / level))
    leaves = [c.id for c in circuits if c.id.startswith("l4-")]
    station = Station(evses=tuple(Evse(id=k + 1) for k in range(1000)))
    site = Site(
        circuits=circuits,
        stations=[SiteStation(id="cs", version="2.0.1", station=station)],
        evses=[
            SiteEvse(
                station_id="cs", evse_id=k + 1, circuit=leaves[k % len(leaves)], phases=_rot(k)
            )
            for k in range(1000)
        ],
    )
    sessions = [_session(k + 1, k % 300 + 1, min_current_a=6.0) for k in range(1000)]
    result = allocate(site, sessions, T0)
    assert_within_limits(site, result)
    # Each of the four level-1 circuits carries 400 A: room for 66 three-phase minimums of 6 A.
    assert sum(1 for e in result.evses if e.current_a) == 4 * int(400.0 // 6.0)


def _rot(k: int) -> tuple[str, ...]:
    return [("L1", "L2", "L3"), ("L2", "L3", "L1"), ("L3", "L1", "L2")][k % 3]
