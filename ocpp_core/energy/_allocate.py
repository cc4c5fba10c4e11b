"""``allocate``: the load balancer, one instant.

See :mod:`ocpp_core.energy._core` for the model and the water-filling algorithm.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from ocpp_core.energy._core import (
    _BIND_ENERGY,
    Bounds,
    Problem,
    admit,
    all_minimums_fit,
    floor_step,
    keep_order,
    water_fill,
)
from ocpp_core.energy._model import PhaseType, Policy, Session, Site, _aware
from ocpp_core.energy._results import (
    Allocation,
    Binding,
    BindingKind,
    CircuitLoad,
    EvseAllocation,
)

__all__ = ["allocate", "present_sessions", "rates_to_allocation"]

_NO_SESSION = Binding(kind=BindingKind.NO_SESSION)


def present_sessions(sessions: Iterable[Session], at: datetime) -> list[Session]:
    """The sessions whose EV is plugged in at ``at``."""
    return [s for s in sessions if s.arrival <= at and (s.departure is None or s.departure > at)]


def allocate(
    site: Site,
    sessions: Iterable[Session],
    at: datetime,
    policy: Policy | None = None,
) -> Allocation:
    """Share the site's capacity among the EVs plugged in at ``at``.

    Hierarchical and per phase: every circuit from the EVSE up to the grid
    connection, every station-wide limit and every external limit in force at
    ``at`` holds, phase by phase (a single-phase EV loads only its phase, a
    line-to-line EVSE both its lines). Weighted max-min fair: no EV can get more
    without taking from one that has less relative to its weight. Semi-continuous:
    an EV gets at least its minimum or nothing; when not every minimum fits, EVs are
    paused from the end of the keep order (highest priority first, then least
    laxity, then earliest arrival). Results are rounded down to the policy's steps.

    Args:
        site: the site.
        sessions: the sessions (those not plugged in at ``at`` are ignored).
        at: the instant (an aware datetime).
        policy: the policy (``None``: the defaults).

    Returns:
        Every EVSE's share, each with what bound it, and every circuit's load.

    Raises:
        SiteError: a session on an unknown EVSE, two on one EVSE, a naive ``at``.
    """
    policy = Policy() if policy is None else policy
    _aware("at", at)
    checked = site.check_sessions(sessions)
    problem = Problem(site, present_sessions(checked, at))
    caps, why = problem.capacities(at)
    evse_caps = problem.evse_caps(at)
    bounds: list[Bounds] = []
    for unit in problem.units:
        b = problem.bounds(unit, at, policy, evse_caps.get(unit.session.key))
        remaining = unit.session.energy_remaining_wh
        if remaining is not None and remaining <= 0.0:
            b = Bounds(lo=0.0, hi=0.0, hi_binding=_BIND_ENERGY)
        bounds.append(b)
    active = list(range(len(problem.units)))
    if all_minimums_fit(problem, active, bounds, caps):
        admitted, paused = admit(problem, active, bounds, caps, why, all_fit=True)
    else:
        order = keep_order(problem, active, bounds, at, policy)
        admitted, paused = admit(problem, order, bounds, caps, why)
    rates, bound = water_fill(
        problem,
        admitted,
        [b.lo for b in bounds],
        [b.hi for b in bounds],
        problem.fair_weights(policy),
        [b.hi_binding for b in bounds],
        caps,
        why,
    )
    return rates_to_allocation(problem, at, policy, bounds, rates, bound, paused, caps)


def rates_to_allocation(  # noqa: PLR0917 - internal, called positionally
    problem: Problem,
    at: datetime,
    policy: Policy,
    bounds: Sequence[Bounds],
    rates: dict[int, float],
    bound: dict[int, Binding],
    paused: dict[int, Binding],
    caps: Sequence[float] | None = None,
) -> Allocation:
    """Round the rates down and build the :class:`Allocation` (with circuit loads).

    ``caps``: the capacities at ``at`` when the caller has them (else computed again).
    """
    site = problem.site
    by_key: dict[tuple[str, int], EvseAllocation] = {}
    final: dict[int, float] = {}
    for unit in problem.units:
        i = unit.index
        evse, session = unit.evse, unit.session
        x = rates.get(i, 0.0)
        binding = bound.get(i) or paused.get(i) or _NO_SESSION
        if evse.phase_type is PhaseType.AC:
            wpa = unit.watts_per_amp
            current = floor_step(x / wpa, policy.current_step_a) if x > 0 else 0.0
            if x > 0 and current * wpa < bounds[i].lo:
                current = bounds[i].lo / wpa
            power = current * wpa
            output = power * evse.efficiency
            by_key[evse.key] = EvseAllocation(
                station_id=evse.station_id,
                evse_id=evse.evse_id,
                transaction_id=session.transaction_id,
                current_a=current,
                power_w=power,
                output_power_w=output,
                number_phases=unit.conductors,
                grid_phases=unit.grid_phases,
                paused=i in paused,
                binding=binding,
            )
        else:
            output = floor_step(x * evse.efficiency, policy.power_step_w) if x > 0 else 0.0
            if x > 0 and output < bounds[i].lo * evse.efficiency:
                output = bounds[i].lo * evse.efficiency
            power = output / evse.efficiency
            by_key[evse.key] = EvseAllocation(
                station_id=evse.station_id,
                evse_id=evse.evse_id,
                transaction_id=session.transaction_id,
                current_a=None,
                power_w=power,
                output_power_w=output,
                number_phases=None,
                grid_phases=unit.grid_phases,
                paused=i in paused,
                binding=binding,
            )
        final[i] = power
    for evse in site.evses:
        if evse.key not in by_key:
            by_key[evse.key] = EvseAllocation(
                station_id=evse.station_id,
                evse_id=evse.evse_id,
                transaction_id=None,
                current_a=0.0 if evse.phase_type is PhaseType.AC else None,
                power_w=0.0,
                output_power_w=0.0,
                number_phases=None,
                grid_phases=tuple(line for c in evse.grid_phases() for line in c),
                paused=False,
                binding=_NO_SESSION,
            )
    return Allocation(
        at=at,
        evses=tuple(by_key[k] for k in sorted(by_key)),
        circuits=circuit_loads(problem, final, at, caps),
    )


def circuit_loads(
    problem: Problem, rates: dict[int, float], at: datetime, caps: Sequence[float] | None = None
) -> tuple[CircuitLoad, ...]:
    """Every circuit's load (EVSEs at ``rates`` plus base load) and limit at ``at``.

    ``caps``: the capacities at ``at`` when the caller has them (else computed).
    """
    site = problem.site
    loads = [0.0] * problem.resource_count
    for unit in problem.units:
        x = rates.get(unit.index, 0.0)
        if x:
            for r, a in unit.coeffs:
                loads[r] += a * x
    if caps is None:
        caps, _ = problem.capacities(at)
    out = []
    for circuit in site.circuits:
        idx = problem.circuit_resources(circuit.id)
        base = circuit.load_at(at)
        base_a = [0.0, 0.0, 0.0]
        base_w = 0.0
        if base is not None:
            if base.current_a is not None:
                base_a = list(base.current_a)
                base_w = sum(base_a) * site.voltage
            if base.power_w is not None:
                base_w = base.power_w
                if base.current_a is None:
                    base_a = [base.power_w / (3 * site.voltage)] * 3
        current = tuple(loads[idx[k]] + base_a[k] for k in range(3))
        limit_a = tuple(caps[idx[k]] + base_a[k] for k in range(3))
        limit_w = caps[idx[3]] + base_w
        out.append(
            CircuitLoad(
                circuit=circuit.id,
                current_a=(current[0], current[1], current[2]),
                power_w=loads[idx[3]] + base_w,
                limit_current_a=None
                if all(v == float("inf") for v in limit_a)
                else (limit_a[0], limit_a[1], limit_a[2]),
                limit_power_w=None if limit_w == float("inf") else limit_w,
            )
        )
    return tuple(out)
