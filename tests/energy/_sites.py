"""Hypothesis strategies and an independent limit checker for energy tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import strategies as st

from ocpp_core.energy import (
    Allocation,
    Circuit,
    EvseAllocation,
    Plan,
    Session,
    Site,
    SiteEvse,
    SiteStation,
)
from ocpp_core.smart_charging import Evse, PhaseType, Station

T0 = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)

_PHASE_MAPS = [
    ("L1", "L2", "L3"),
    ("L2", "L3", "L1"),
    ("L3", "L1", "L2"),
    ("L1",),
    ("L2",),
    ("L3",),
    ("L1-L2",),
    ("L2-L3",),
    ("L3-L1",),
]


@st.composite
def sites(
    draw: st.DrawFn, *, max_evses: int = 6, with_min: bool = True
) -> tuple[Site, list[Session]]:
    n_circuits = draw(st.integers(1, 4))
    circuits = []
    for i in range(n_circuits):
        parent = None if i == 0 else f"c{draw(st.integers(0, i - 1))}"
        limit = draw(
            st.one_of(
                st.none(),
                st.floats(8, 100).map(round),
                st.tuples(st.floats(8, 100), st.floats(8, 100), st.floats(8, 100)),
            )
        )
        power = draw(st.one_of(st.none(), st.floats(3000, 60000)))
        circuits.append(Circuit(id=f"c{i}", parent=parent, max_current_a=limit, max_power_w=power))
    n = draw(st.integers(1, max_evses))
    dc = [draw(st.booleans()) and draw(st.booleans()) for _ in range(n)]
    station = Station(
        evses=tuple(
            Evse(id=k + 1, phase_type=PhaseType.DC if dc[k] else PhaseType.AC) for k in range(n)
        )
    )
    evses = []
    sessions = []
    for k in range(n):
        circuit = f"c{draw(st.integers(0, n_circuits - 1))}"
        if dc[k]:
            evses.append(
                SiteEvse(
                    station_id="cs",
                    evse_id=k + 1,
                    circuit=circuit,
                    phase_type="DC",
                    max_power_w=draw(st.floats(5000, 50000)),
                    efficiency=draw(st.floats(0.85, 1.0)),
                )
            )
        else:
            evses.append(
                SiteEvse(
                    station_id="cs",
                    evse_id=k + 1,
                    circuit=circuit,
                    phases=draw(st.sampled_from(_PHASE_MAPS)),
                    max_current_a=draw(st.floats(10, 32)),
                )
            )
        if draw(st.booleans()) or k == 0:
            minimum = draw(st.sampled_from([0.0, 6.0])) if with_min else 0.0
            arrival = T0 - timedelta(minutes=draw(st.integers(1, 600)))
            if dc[k]:
                sessions.append(
                    Session(
                        station_id="cs",
                        evse_id=k + 1,
                        arrival=arrival,
                        min_power_w=minimum * 500,
                        priority=draw(st.integers(0, 1)),
                        weight=draw(st.sampled_from([1.0, 2.0])),
                    )
                )
            else:
                phases = len(evses[-1].phases)
                sessions.append(
                    Session(
                        station_id="cs",
                        evse_id=k + 1,
                        arrival=arrival,
                        min_current_a=minimum,
                        max_current_a=draw(st.floats(max(minimum, 8), 32)),
                        ev_phases=draw(st.integers(1, phases)) if draw(st.booleans()) else None,
                        priority=draw(st.integers(0, 1)),
                        weight=draw(st.sampled_from([1.0, 2.0])),
                    )
                )
    site = Site(
        circuits=circuits,
        stations=[SiteStation(id="cs", version="2.0.1", station=station)],
        evses=evses,
    )
    return site, sessions


def line_loads(site: Site, allocation: Allocation) -> dict[str, tuple[list[float], float]]:
    """Per circuit: current per line and total power, recomputed from the results alone."""
    by_id = {c.id: c for c in site.circuits}
    out: dict[str, tuple[list[float], float]] = {
        c.id: ([0.0, 0.0, 0.0], 0.0) for c in site.circuits
    }
    evses = {e.key: e for e in site.evses}
    for item in allocation.evses:
        evse = evses[(item.station_id, item.evse_id)]
        node = by_id[evse.circuit]
        while True:
            lines, power = out[node.id]
            if item.current_a is not None:
                for line in item.grid_phases:
                    lines[["L1", "L2", "L3"].index(line)] += item.current_a
            elif item.power_w:
                share = item.power_w / (len(item.grid_phases) * site.evse_voltage(evse))
                for line in item.grid_phases:
                    lines[["L1", "L2", "L3"].index(line)] += share
            out[node.id] = (lines, power + item.power_w)
            if node.parent is None:
                break
            node = by_id[node.parent]
    return out


def assert_within_limits(site: Site, allocation: Allocation) -> None:
    loads = line_loads(site, allocation)
    for circuit in site.circuits:
        lines, power = loads[circuit.id]
        if circuit.max_current_a is not None:
            for k in range(3):
                assert lines[k] <= circuit.max_current_a[k] + 1e-6, (circuit.id, k, lines)
        if circuit.max_power_w is not None:
            assert power <= circuit.max_power_w + 1e-6, (circuit.id, power)


def plan_as_allocation(site: Site, plan: Plan, offset: int) -> Allocation:
    """The plan's rates at ``offset`` in the shape of an allocation (for the checker)."""
    items = []
    for evse_plan in plan.evses:
        period = evse_plan.at(offset)
        evse = site.evse(evse_plan.station_id, evse_plan.evse_id)
        conductors = period.number_phases or len(evse.phases)
        lines = tuple(line for c in evse.grid_phases(conductors) for line in c)
        items.append(
            EvseAllocation(
                station_id=evse_plan.station_id,
                evse_id=evse_plan.evse_id,
                transaction_id=None,
                current_a=period.current_a,
                power_w=period.power_w,
                output_power_w=period.output_power_w,
                number_phases=period.number_phases,
                grid_phases=lines,
                paused=False,
                binding=period.binding,
            )
        )
    return Allocation(at=plan.start, evses=tuple(items), circuits=())


@st.composite
def planning_cases(draw: st.DrawFn) -> tuple[Site, list[Session]]:
    site, sessions = draw(sites(max_evses=5))
    out = []
    for session in sessions:
        stay = draw(st.integers(1, 12)) * 900
        arrival = T0 + timedelta(seconds=draw(st.integers(-3600, 3 * 3600)))
        out.append(
            attrs.evolve(
                session,
                arrival=arrival,
                departure=arrival + timedelta(seconds=stay) if draw(st.booleans()) else None,
                energy_wanted_wh=draw(st.one_of(st.none(), st.floats(500, 40000))),
            )
        )
    return site, out
