"""A discrete-event charging simulator and its metrics (pure: times and randomness come in).

Every ``step_s`` the controller is asked for each EVSE's limit (A per phase for
AC, W at the output for DC) given the sessions plugged in, each carrying the
energy delivered so far and the current measured ``meter_lag_s`` earlier. Then
each EV draws ``min(limit, its maximum, taper)`` until the next step:

* below the EV's floor (6 A by default) an AC EV does not charge at all;
* near full it tapers: past 80 % of the energy it wants, its maximum falls
  linearly to 20 % of itself at 100 % (the constant-voltage phase of a battery);
* it stops when it has the energy it wanted; it leaves at its departure.

Limits are checked on what the EVs really draw, line by line on every circuit:
a *violation* is a step where some circuit's line current or power exceeds its
limit by more than 1e-6.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from ocpp_core.energy._core import Problem
from ocpp_core.energy._model import GRID_PHASES, PhaseType, Session, Site

__all__ = ["EvModel", "Metrics", "SimulationResult", "simulate"]

Controller = Callable[[Site, list[Session], datetime], Mapping[tuple[str, int], float]]
"""Given the site, the sessions plugged in and the time: each EVSE's limit (A or W)."""


@attrs.frozen(kw_only=True)
class EvModel:
    """How simulated EVs respond to a limit."""

    floor_a: float = 6.0
    """An AC EV does not charge below this current."""
    taper_from: float = 0.8
    """Fraction of the wanted energy after which the EV tapers."""
    taper_to: float = 0.2
    """Fraction of its maximum the EV still takes when full."""
    meter_lag_s: int = 60
    """Age of the measurement the controller sees."""


@attrs.frozen(kw_only=True)
class Metrics:
    """Outcome of a simulation."""

    energy_requested_wh: float
    """Sum of the energy the sessions wanted."""
    energy_delivered_wh: float
    """Sum delivered."""
    energy_fraction: float
    """Delivered / requested."""
    demands_met: float
    """Share of sessions that got at least 99 % of what they wanted."""
    jain: float
    """Jain's fairness index over each session's delivered / requested."""
    worst_fraction: float
    """The worst session's delivered / requested."""
    peak_w: float
    """Highest total power at the grid connection."""
    violations: int
    """Steps in which a circuit's limit was exceeded by what the EVs drew."""
    phase_imbalance_a: float
    """Largest difference between the most and least loaded line at the root."""
    messages_per_session_hour: float
    """Limit changes sent to EVSEs (one SetChargingProfile each) per session-hour."""
    runtime_per_step_ms: float
    """Mean wall time of the controller per step (measured by the caller's clock)."""


@attrs.frozen(kw_only=True)
class SimulationResult:
    """Metrics and per-session deliveries."""

    metrics: Metrics
    """The metrics."""
    delivered_wh: Mapping[int, float]
    """Energy delivered per session (index in the input)."""


def _taper(model: EvModel, delivered: float, wanted: float) -> float:
    if wanted <= 0:
        return 0.0
    fraction = delivered / wanted
    if fraction <= model.taper_from:
        return 1.0
    span = 1.0 - model.taper_from
    return max(model.taper_to, 1.0 - (1.0 - model.taper_to) * (fraction - model.taper_from) / span)


def simulate(
    site: Site,
    sessions: Sequence[Session],
    start: datetime,
    end: datetime,
    controller: Controller,
    *,
    step_s: int = 300,
    model: EvModel | None = None,
    clock: Callable[[], float] | None = None,
) -> SimulationResult:
    """Run ``controller`` over ``[start, end)`` in steps of ``step_s`` seconds.

    Args:
        site: the site.
        sessions: every session of the day (with ``energy_wanted_wh``); at most one
            per EVSE at a time.
        start: start of the simulation.
        end: end of the simulation.
        controller: returns each EVSE's limit for the sessions plugged in.
        step_s: seconds between controller calls.
        model: how EVs respond (default :class:`EvModel`).
        clock: a monotonic clock for the runtime metric (e.g. ``time.perf_counter``);
            ``None`` reports 0.
    """
    model = EvModel() if model is None else model
    delivered = [0.0] * len(sessions)
    drawn_a: list[float] = [0.0] * len(sessions)
    last_limit: dict[tuple[str, int], float] = {}
    messages = 0
    violations = 0
    peak = 0.0
    imbalance = 0.0
    runtime = 0.0
    steps = 0
    step_h = step_s / 3600.0
    evses = {e.key: e for e in site.evses}
    moment = start
    while moment < end:
        present: list[int] = [
            i
            for i, s in enumerate(sessions)
            if s.arrival <= moment and (s.departure is None or s.departure > moment)
        ]
        views = []
        for i in present:
            s = sessions[i]
            measured = drawn_a[i]
            views.append(
                attrs.evolve(
                    s,
                    energy_delivered_wh=min(delivered[i], s.energy_wanted_wh or math.inf),
                    measured_current_a=(measured, measured, measured),
                    measured_at=moment - timedelta(seconds=model.meter_lag_s),
                )
            )
        began = clock() if clock is not None else 0.0
        limits = controller(site, views, moment)
        if clock is not None:
            runtime += clock() - began
        steps += 1
        rates: dict[int, float] = {}
        for i in present:
            s = sessions[i]
            evse = evses[s.key]
            limit = max(0.0, float(limits.get(s.key, 0.0)))
            previous = last_limit.get(s.key)
            if previous is None or abs(previous - limit) > 1e-6:
                messages += 1
            last_limit[s.key] = limit
            wanted = s.energy_wanted_wh or math.inf
            if delivered[i] >= wanted - 1e-9:
                rates[i] = 0.0
                drawn_a[i] = 0.0
                continue
            taper = _taper(model, delivered[i], wanted)
            if evse.phase_type is PhaseType.AC:
                ev_max = min(evse.max_current_a, s.max_current_a or math.inf)
                current = min(limit, ev_max * taper)
                if current < max(model.floor_a, s.min_current_a or 0.0) - 1e-9:
                    current = 0.0
                conductors = min(len(evse.phases), s.ev_phases or len(evse.phases))
                power = current * conductors * site.evse_voltage(evse)
                energy = min(power * evse.efficiency * step_h, wanted - delivered[i])
                drawn_a[i] = current
                rates[i] = power
            else:
                out_max = min(evse.max_power_w or math.inf, s.max_power_w or math.inf)
                out = min(limit, out_max * taper)
                if out < max(evse.min_power_w, s.min_power_w or 0.0) - 1e-9:
                    out = 0.0
                energy = min(out * step_h, wanted - delivered[i])
                drawn_a[i] = out
                rates[i] = out / evse.efficiency
            delivered[i] += energy
        for key in list(last_limit):
            if not any(sessions[i].key == key for i in present):
                del last_limit[key]
        # What the EVs draw, against every limit in force.
        on = [sessions[i] for i in present]
        problem = Problem(site, on)
        caps, _ = problem.capacities(moment, moment + timedelta(seconds=step_s))
        loads = [0.0] * len(caps)
        for unit, i in zip(
            problem.units, sorted(present, key=lambda j: sessions[j].key), strict=True
        ):
            x = rates.get(i, 0.0)
            for r, a in unit.coeffs:
                loads[r] += a * x
        if any(load > cap + 1e-6 for load, cap in zip(loads, caps, strict=True)):
            violations += 1
        total = sum(rates.values())
        peak = max(peak, total)
        lines = [0.0, 0.0, 0.0]
        for unit, i in zip(
            problem.units, sorted(present, key=lambda j: sessions[j].key), strict=True
        ):
            x = rates.get(i, 0.0)
            if unit.watts_per_amp:
                for line in unit.grid_phases:
                    lines[GRID_PHASES.index(line)] += x / unit.watts_per_amp
        if on:
            imbalance = max(imbalance, max(lines) - min(lines))
        moment += timedelta(seconds=step_s)
    requested = [s.energy_wanted_wh or 0.0 for s in sessions]
    fractions = [
        min(1.0, d / r) if r > 0 else 1.0 for d, r in zip(delivered, requested, strict=True)
    ]
    total_req = sum(requested)
    total_del = sum(delivered)
    hours = sum(
        ((min(s.departure or end, end) - max(s.arrival, start)).total_seconds() / 3600.0)
        for s in sessions
    )
    squares = sum(f * f for f in fractions)
    jain = (sum(fractions) ** 2) / (len(fractions) * squares) if squares > 0 else 1.0
    metrics = Metrics(
        energy_requested_wh=total_req,
        energy_delivered_wh=total_del,
        energy_fraction=total_del / total_req if total_req else 1.0,
        demands_met=sum(1 for f in fractions if f >= 0.99) / len(fractions) if fractions else 1.0,
        jain=jain,
        worst_fraction=min(fractions) if fractions else 1.0,
        peak_w=peak,
        violations=violations,
        phase_imbalance_a=imbalance,
        messages_per_session_hour=messages / hours if hours > 0 else 0.0,
        runtime_per_step_ms=1000.0 * runtime / steps if steps else 0.0,
    )
    return SimulationResult(metrics=metrics, delivered_wh=dict(enumerate(delivered)))
