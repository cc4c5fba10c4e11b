from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from ocpp_core.energy import Policy, allocate, plan
from ocpp_core.energy.simulation import (
    EvModel,
    acn_workplace,
    apartment_block,
    dc_depot,
    home_sessions,
    public_sessions,
    simulate,
    workplace_sessions,
)

DAY = datetime(2025, 6, 2, tzinfo=UTC)


def test_generators_are_seeded_and_well_formed() -> None:
    site = acn_workplace(50.0)
    a = workplace_sessions(random.Random(1), site.evses, DAY)
    b = workplace_sessions(random.Random(1), site.evses, DAY)
    assert a == b
    assert len(a) == 54
    for s in a:
        assert s.departure is not None
        assert DAY + timedelta(hours=7) <= s.arrival <= DAY + timedelta(hours=10)
        assert timedelta(hours=4) <= s.departure - s.arrival <= timedelta(hours=10)
        assert s.energy_wanted_wh is not None
        assert 5000 <= s.energy_wanted_wh <= 30000
    public = public_sessions(random.Random(2), apartment_block().evses[:4], DAY)
    by_evse: dict[int, list[datetime]] = {}
    for s in public:
        assert s.departure is not None
        by_evse.setdefault(s.evse_id, []).extend([s.arrival, s.departure])
    for times in by_evse.values():
        assert times == sorted(times)
    home = home_sessions(random.Random(3), dc_depot().evses, DAY)
    assert all(s.departure is not None and s.departure.day == 3 for s in home)


def _allocate_controller(site, sessions, at):  # type: ignore[no-untyped-def]
    result = allocate(site, sessions, at)
    return {
        (e.station_id, e.evse_id): e.current_a if e.current_a is not None else e.output_power_w
        for e in result.evses
    }


def _greedy_controller(site, sessions, at):  # type: ignore[no-untyped-def]
    if not sessions:
        return {}
    result = plan(site, sessions, at, 6 * 3600, Policy(slot_s=900))
    return {
        (e.station_id, e.evse_id): (
            e.periods[0].current_a
            if e.periods[0].current_a is not None
            else e.periods[0].output_power_w
        )
        for e in result.evses
    }


def test_simulated_controllers_never_violate_a_limit_and_metrics_are_consistent() -> None:
    site = acn_workplace(50.0, evses=12)
    sessions = workplace_sessions(random.Random(4), site.evses, DAY)
    start, end = DAY + timedelta(hours=7), DAY + timedelta(hours=19)
    for controller in (_allocate_controller, _greedy_controller):
        result = simulate(site, sessions, start, end, controller, step_s=900)
        m = result.metrics
        assert m.violations == 0
        assert 0.0 <= m.energy_fraction <= 1.0 + 1e-9
        assert abs(m.energy_delivered_wh - sum(result.delivered_wh.values())) < 1e-6
        assert 0.0 < m.jain <= 1.0 + 1e-9
        assert m.worst_fraction <= m.energy_fraction + 1e-9 or m.worst_fraction <= 1.0


def test_a_controller_ignoring_limits_is_caught() -> None:
    site = apartment_block(evses=6)
    sessions = home_sessions(random.Random(5), site.evses, DAY)

    def greedy_everything(site, sessions, at):  # type: ignore[no-untyped-def]
        return {s.key: 16.0 for s in sessions}

    result = simulate(
        site,
        sessions,
        DAY + timedelta(hours=22),
        DAY + timedelta(hours=23),
        greedy_everything,
        model=EvModel(floor_a=6.0),
    )
    assert result.metrics.violations > 0
