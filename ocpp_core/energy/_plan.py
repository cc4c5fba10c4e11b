"""``plan``: piecewise-constant schedules per EVSE over a horizon.

Theory of operation
-------------------
The horizon is cut into slots of ``policy.slot_s``. In each slot the limits are
the tightest in force anywhere in the slot (and the base load the largest), so
a plan that holds slot by slot holds at every instant.

The greedy planner walks the slots in order. In each slot, with the energy
still wanted by every session present:

1. **Deadlines first.** Each session's *on-track rate* is the constant rate that
   delivers its remaining energy by its departure, with a margin
   (``policy.deadline_margin``: finish within 75 % of the time left, since EVs
   taper when nearly full and plans change). Sessions get their on-track rate
   (at least their minimum) in earliest-deadline order, each as much as the
   residual capacity on its path allows, up to ``policy.deadline_share`` (70 %)
   of every limit. Sessions that cannot finish even at their maximum go last
   (they would take capacity from sessions that can still be satisfied: the idea
   of Moore and Hodgson's rule for the most jobs on time).
2. **The remainder, shared fairly.** What is left (at least 30 % of every
   limit, so no session starves) is water-filled (see
   :mod:`._core`) on top of those rates, up to each session's maximum and never
   beyond the energy it still wants.

Rates are rounded down, energy is booked, and the next slot starts. With the
``fair-share`` objective step 1 is skipped (a pure load balancer).

The optimal planner (:mod:`._lp`) solves the same slots as linear programmes.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from ocpp_core.energy._core import (
    _BIND_ENERGY,
    Bounds,
    Problem,
    Unit,
    admit,
    all_minimums_fit,
    floor_step,
    keep_order,
    water_fill,
)
from ocpp_core.energy._discharge import V2x, discharge_note, keep_goals, step_level, violations
from ocpp_core.energy._model import (
    ExternalLimit,
    Objective,
    PhaseType,
    Policy,
    Session,
    Site,
    _aware,
)
from ocpp_core.energy._results import (
    Binding,
    BindingKind,
    EvsePlan,
    Plan,
    PlanMethod,
    PlanPeriod,
    SessionOutcome,
)
from ocpp_core.errors import SiteError

__all__ = ["build_plan", "plan", "slot_setup"]

_INF = math.inf
_NO_SESSION = Binding(kind=BindingKind.NO_SESSION)
_NOT_HELD = frozenset({BindingKind.ENERGY, BindingKind.NO_SESSION})


class SlotSetup:
    """Everything the planners need per slot: capacities, presence, bounds."""

    def __init__(
        self, site: Site, sessions: list[Session], start: datetime, slots: int, policy: Policy
    ) -> None:
        self.start = start
        self.slots = slots
        self.slot_s = policy.slot_s
        end = start + timedelta(seconds=slots * policy.slot_s)
        relevant = [
            s for s in sessions if s.arrival < end and (s.departure is None or s.departure > start)
        ]
        self.problem = Problem(site, relevant)
        self.v2x: V2x | None = None
        """V2X data when some session may discharge (set by :func:`slot_setup`)."""
        units = self.problem.units
        self.caps: list[list[float]] = []
        self.why: list[list[ExternalLimit | None]] = []
        self.fraction: list[list[float]] = []
        self.bounds: list[list[Bounds]] = []
        has_evse_limits = any(x.scope.value == "evse" for x in site.external_limits)
        evse_caps0 = self.problem.evse_caps(start, start + timedelta(seconds=policy.slot_s))
        base_bounds = [
            self.problem.bounds(u, start, policy, evse_caps0.get(u.session.key)) for u in units
        ]
        epoch = start.timestamp()
        slot = float(policy.slot_s)
        self.arrival_s = [u.session.arrival.timestamp() - epoch for u in units]
        self.departure_s = [
            _INF if u.session.departure is None else u.session.departure.timestamp() - epoch
            for u in units
        ]
        breaks = sorted(_breakpoints(site, epoch))
        previous_begin = None
        caps: list[float] = []
        why: list[ExternalLimit | None] = []
        for k in range(slots):
            t0 = start + timedelta(seconds=k * policy.slot_s)
            t1 = t0 + timedelta(seconds=policy.slot_s)
            b0, b1 = k * slot, (k + 1) * slot
            # Limits only change at breakpoints: reuse the previous slot's capacities when
            # none falls between its start and this slot's end.
            if previous_begin is None or _any_between(breaks, previous_begin, b1):
                caps, why_t = self.problem.capacities(t0, t1)
                why = list(why_t)
                previous_begin = b0
            self.caps.append(caps)
            self.why.append(why)
            self.fraction.append([0.0] * len(units))
            if k == 0:
                self.bounds.append(base_bounds)
            elif has_evse_limits:
                caps_k = self.problem.evse_caps(t0, t1)
                self.bounds.append(
                    [self.problem.bounds(u, t0, policy, caps_k.get(u.session.key)) for u in units]
                )
            else:
                # Measured currents only hold for the first slot.
                if k == 1:
                    plain = Policy(
                        objective=policy.objective,
                        below_minimum=policy.below_minimum,
                        slot_s=policy.slot_s,
                    )
                    self._later = [self.problem.bounds(u, t0, plain, None) for u in units]
                self.bounds.append(self._later)

        # Presence: the share of each slot a session is plugged in.
        self.span: list[tuple[int, int]] = []
        for i, (arr, dep) in enumerate(zip(self.arrival_s, self.departure_s, strict=True)):
            first = max(0, int(arr // slot))
            last = slots - 1 if dep == _INF else min(slots - 1, math.ceil(dep / slot) - 1)
            self.span.append((first, last))
            fraction = self.fraction
            for k in range(first, last + 1):
                if first < k < last:
                    # Plugged in for the whole slot: exactly 1.0 from the formula below
                    # too (slot boundaries are whole numbers of seconds).
                    fraction[k][i] = 1.0
                    continue
                b0 = k * slot
                f = (min(b0 + slot, dep) - max(b0, arr)) / slot
                fraction[k][i] = f if f > 0.0 else 0.0

    def slot_start(self, k: int) -> datetime:
        """Start of slot ``k``."""
        return self.start + timedelta(seconds=k * self.slot_s)


def _breakpoints(site: Site, epoch: float) -> list[float]:
    out: list[float] = []
    for circuit in site.circuits:
        for schedule in (circuit.limit_schedule, circuit.base_load):
            if schedule is not None:
                out.extend(t.timestamp() - epoch for t in schedule.breakpoints())
    for limit in site.external_limits:
        out.extend(t.timestamp() - epoch for t in limit.schedule.breakpoints())
    return out


def _any_between(breaks: list[float], low: float, high: float) -> bool:
    """Whether a breakpoint lies in ``(low, high]``."""
    index = bisect.bisect_right(breaks, low)
    return index < len(breaks) and breaks[index] <= high


def slot_setup(
    site: Site, sessions: Iterable[Session], start: datetime, horizon: int | None, policy: Policy
) -> SlotSetup:
    """Check the inputs and prepare the slots."""
    _aware("start", start)
    horizon_s = policy.horizon_s if horizon is None else horizon
    if isinstance(horizon_s, bool) or not isinstance(horizon_s, int) or horizon_s <= 0:
        raise SiteError("horizon", "expected a positive integer number of seconds")
    checked = list(site.check_sessions(sessions))
    slots = max(1, -(-horizon_s // policy.slot_s))
    setup = SlotSetup(site, checked, start, slots, policy)
    setup.v2x = V2x.of(setup, policy)
    return setup


def plan(
    site: Site,
    sessions: Iterable[Session],
    start: datetime,
    horizon: int | None = None,
    policy: Policy | None = None,
    *,
    method: PlanMethod | str = PlanMethod.GREEDY,
) -> Plan:
    """Plan every EVSE's rate over ``[start, start + horizon)`` in slots of ``policy.slot_s``.

    Args:
        site: the site.
        sessions: the sessions (present ones and known future arrivals).
        start: plan start (an aware datetime).
        horizon: seconds to plan (``None``: ``policy.horizon_s``).
        policy: the policy (``None``: the defaults).
        method: ``greedy`` (pure Python, fast) or ``lp`` (optimal, needs the ``lp``
            extra: HiGHS through ``highspy``).

    Returns:
        Per EVSE, periods with the rate and what bound it; per session, the energy
        planned, the unmet energy and the constraints that held it back. V2X: where
        an OCPP 2.1 EVSE and its EV allow it, a period may discharge (negative
        power, with :attr:`~ocpp_core.energy.PlanPeriod.discharge` saying why);
        :attr:`~ocpp_core.energy.Plan.violations` lists the limits the base load
        breaks that discharging does not cover (see ``docs/energy.md``).

    Raises:
        SiteError: bad input, naming the field.
        SolverError: ``lp`` without the solver, or the solver failed.
    """
    policy = Policy() if policy is None else policy
    chosen = _method(method)
    setup = slot_setup(site, sessions, start, horizon, policy)
    if chosen is PlanMethod.LP:
        from ocpp_core.energy._lp import solve_lp  # noqa: PLC0415 - optional extra

        rates, binds = solve_lp(setup, policy)
    else:
        rates, binds = _greedy_v2x(setup, policy) if setup.v2x else _greedy(setup, policy)
    return build_plan(setup, policy, rates, binds, chosen)


def _method(value: object) -> PlanMethod:
    from ocpp_core.energy._model import enum_value  # noqa: PLC0415 - avoid a cycle in docs

    return enum_value(PlanMethod, value, "method")


def _remaining(session: Session) -> float:
    remaining = session.energy_remaining_wh
    return _INF if remaining is None else remaining


def _greedy(setup: SlotSetup, policy: Policy) -> tuple[list[list[float]], list[list[Binding]]]:
    problem = setup.problem
    units = problem.units
    n = len(units)
    remaining = [_remaining(u.session) for u in units]
    eff = [u.evse.efficiency for u in units]
    # AC: grid W per A (rates are rounded in A); DC: 0 (rounded in W).
    wpa = [u.watts_per_amp if u.evse.phase_type is PhaseType.AC else 0.0 for u in units]
    multiples: tuple[dict[int, float], dict[int, float]] = ({}, {})
    weights = problem.fair_weights(policy)
    slot_h = setup.slot_s / 3600.0
    slot = float(setup.slot_s)
    deadline_aware = policy.objective is Objective.DEADLINES
    # Static order for the deadline stage: departure, priority, EVSE.
    by_deadline = sorted(
        (i for i in range(n) if setup.departure_s[i] != _INF and remaining[i] != _INF),
        key=lambda i: (setup.departure_s[i], -units[i].session.priority, units[i].session.key),
    )
    # The units plugged in during each slot, in unit order (the order matters: it is
    # the order in which loads are summed).
    present: list[list[int]] = [[] for _ in range(setup.slots)]
    for i, (first_k, last_k) in enumerate(setup.span):
        for k in range(first_k, last_k + 1):
            if setup.fraction[k][i] > 0.0:
                present[k].append(i)
    # ``lo``/``hi``/binding columns of each slot's bounds (slots often share one list).
    columns: dict[int, tuple[list[float], list[float], list[Binding]]] = {}
    all_rates: list[list[float]] = []
    all_binds: list[list[Binding]] = []
    v2x = setup.v2x
    for k in range(setup.slots):
        caps = setup.caps[k]
        why = setup.why[k]
        fraction = setup.fraction[k]
        slot_bounds = setup.bounds[k]
        bounds = list(slot_bounds)
        rates = [0.0] * n
        binds: list[Binding] = [_NO_SESSION] * n
        active: list[int] = []
        if not present[k]:
            all_rates.append(rates)
            all_binds.append(binds)
            continue
        column = columns.get(id(slot_bounds))
        if column is None:
            column = (
                [b.lo for b in slot_bounds],
                [b.hi for b in slot_bounds],
                [b.hi_binding for b in slot_bounds],
            )
            columns[id(slot_bounds)] = column
        lo, hi_list, hb_list = column[0].copy(), column[1].copy(), column[2].copy()
        for i in present[k]:
            rem = remaining[i]
            if rem <= 1e-9:
                bounds[i] = Bounds(0.0, 0.0, _BIND_ENERGY)
                lo[i] = hi_list[i] = 0.0
                hb_list[i] = binds[i] = _BIND_ENERGY
                continue
            if rem != _INF:
                b = bounds[i]
                need = rem / (eff[i] * slot_h * fraction[i])
                if need < b.hi:
                    bounds[i] = Bounds(b.lo, max(need, b.lo), _BIND_ENERGY)
                    hi_list[i] = bounds[i].hi
                    hb_list[i] = _BIND_ENERGY
            active.append(i)
        if v2x is not None:
            active = _discharge(v2x, k, active, rates, binds, bounds, remaining, eff, slot_h)
        if not active:
            all_rates.append(rates)
            all_binds.append(binds)
            if v2x is not None:
                v2x.book(k, rates)
            continue
        t0 = setup.slot_start(k)
        if deadline_aware:
            floor_rates, load = _deadline_stage(
                problem,
                by_deadline,
                fraction,
                bounds,
                setup.bounds[k],
                remaining,
                eff,
                caps,
                k * slot,
                setup.departure_s,
                policy.deadline_margin,
                policy.deadline_share,
            )
            admitted, paused = _admit_rest(
                problem, active, bounds, floor_rates, load, caps, why, t0, policy
            )
            low = lo.copy()
            for i in active:
                if floor_rates[i] > 0:
                    low[i] = floor_rates[i]
        else:
            if all_minimums_fit(problem, active, bounds, caps):
                admitted, paused = admit(problem, active, bounds, caps, why, all_fit=True)
            else:
                order = keep_order(problem, active, bounds, t0, policy)
                admitted, paused = admit(problem, order, bounds, caps, why)
            low = lo
        got, bound = water_fill(problem, admitted, low, hi_list, weights, hb_list, caps, why)
        for i in active:
            if i in paused:
                binds[i] = paused[i]
                continue
            x = got.get(i, 0.0)
            x = _round_rate(x, wpa[i], eff[i], lo[i], policy, multiples) if x > 0.0 else 0.0
            rates[i] = x
            binds[i] = bound.get(i, hb_list[i])
            if remaining[i] != _INF:
                remaining[i] = max(0.0, remaining[i] - x * eff[i] * slot_h * fraction[i])
        all_rates.append(rates)
        all_binds.append(binds)
        if v2x is not None:
            v2x.book(k, rates)
    return all_rates, all_binds


def _greedy_v2x(setup: SlotSetup, policy: Policy) -> tuple[list[list[float]], list[list[Binding]]]:
    """The greedy plan with discharging, every departure goal kept (see ``keep_goals``)."""
    goals = [
        u.index
        for u in setup.problem.units
        if setup.departure_s[u.index] != _INF and u.session.energy_wanted_wh is not None
    ]
    return keep_goals(setup, policy, lambda: _greedy(setup, policy), goals)


def _discharge(  # noqa: PLR0917 - internal
    v2x: V2x,
    k: int,
    active: list[int],
    rates: list[float],
    binds: list[Binding],
    bounds: list[Bounds],
    remaining: list[float],
    eff: list[float],
    slot_h: float,
) -> list[int]:
    """Greedy V2X: cover slot ``k``'s deficits by discharging; the rest still charge."""
    hi = [b.hi for b in v2x.setup.bounds[k]]
    out = v2x.cover(k, remaining, hi)
    if not out:
        return active
    for i, (y, binding) in out.items():
        rates[i] = -y
        binds[i] = binding
        bounds[i] = Bounds(0.0, 0.0, binding)
        if remaining[i] != _INF:
            remaining[i] += y / eff[i] * slot_h
    return [i for i in active if i not in out]


def _round(unit: Unit, x: float, policy: Policy, lo: float) -> float:
    wpa = unit.watts_per_amp if unit.evse.phase_type is PhaseType.AC else 0.0
    return _round_rate(x, wpa, unit.evse.efficiency, lo, policy)


def _round_rate(  # noqa: PLR0917 - internal
    x: float,
    wpa: float,
    eff: float,
    lo: float,
    policy: Policy,
    multiples: tuple[dict[int, float], dict[int, float]] | None = None,
) -> float:
    """Rate ``x`` rounded down to the policy's step (A for AC: ``wpa`` > 0, W for DC).

    ``multiples``: optional :func:`floor_step` memos for ``policy``'s current step and
    power step.
    """
    if x <= 0.0:
        return 0.0
    if wpa:
        amps = None if multiples is None else multiples[0]
        value = floor_step(x / wpa, policy.current_step_a, amps) * wpa
    else:
        watts = None if multiples is None else multiples[1]
        value = floor_step(x * eff, policy.power_step_w, watts) / eff
    return max(value, lo) if value + 1e-9 < lo else value


def _deadline_stage(  # noqa: PLR0917 - internal
    problem: Problem,
    by_deadline: list[int],
    fraction: list[float],
    bounds: list[Bounds],
    base: list[Bounds],
    remaining: list[float],
    eff: list[float],
    caps: list[float],
    now: float,
    departure: list[float],
    margin: float,
    share: float,
) -> tuple[list[float], list[float]]:
    """On-track rates in earliest-deadline order; sessions that cannot finish go last."""
    units = problem.units
    floor_rates = [0.0] * len(units)
    load = [0.0] * len(caps)
    first: list[tuple[int, float]] = []
    last: list[tuple[int, float]] = []
    aim = 1.0 - margin
    for i in by_deadline:
        if fraction[i] <= 0.0 or remaining[i] <= 1e-9:
            continue
        left = departure[i] - now
        if left <= 0:
            continue
        # Aim to finish early (EVs taper when nearly full, plans change): the on-track
        # rate finishes within (1 - deadline_margin) of the time left.
        on_track = remaining[i] * 3600.0 / (eff[i] * left * aim)
        (first if on_track <= base[i].hi + 1e-9 else last).append((i, on_track))
    limit = [cap * share for cap in caps]
    for i, on_track in first + last:
        b = bounds[i]
        # min(max(on_track, lo), hi), spelled out (hot loop).
        lo, hi = b.lo, b.hi
        want = lo if lo > on_track else on_track
        if hi < want:  # noqa: PLR1730 - hot loop, faster than min()
            want = hi
        if want <= 0.0:
            continue
        room = want
        coeffs = units[i].coeffs
        for r, a in coeffs:
            free = (limit[r] - load[r]) / a
            if free < room:  # noqa: PLR1730 - hot loop, faster than min()
                room = free
        if room < lo or room <= 1e-9:
            continue
        floor_rates[i] = room
        for r, a in coeffs:
            load[r] += a * room
    return floor_rates, load


def _admit_rest(  # noqa: PLR0917 - internal
    problem: Problem,
    active: list[int],
    bounds: list[Bounds],
    floor_rates: list[float],
    load: list[float],
    caps: list[float],
    why: list[ExternalLimit | None],
    t0: datetime,
    policy: Policy,
) -> tuple[list[int], dict[int, Binding]]:
    """Sessions with a deadline-stage rate are in; the others are admitted at their minimum."""
    admitted = [i for i in active if floor_rates[i] > 0.0]
    rest = [i for i in active if floor_rates[i] <= 0.0]
    residual = [cap - used for cap, used in zip(caps, load, strict=True)]
    if all_minimums_fit(problem, rest, bounds, residual):
        more, paused = admit(problem, rest, bounds, residual, why, all_fit=True)
    else:
        order = keep_order(problem, rest, bounds, t0, policy)
        more, paused = admit(problem, order, bounds, residual, why)
    return admitted + more, paused


def build_plan(
    setup: SlotSetup,
    policy: Policy,
    rates: list[list[float]],
    binds: list[list[Binding]],
    method: PlanMethod,
) -> Plan:
    """Turn per-slot rates into per-EVSE periods and per-session outcomes."""
    problem = setup.problem
    site = problem.site
    units = problem.units
    slot_h = setup.slot_s / 3600.0
    by_key: dict[tuple[str, int], EvsePlan] = {}
    outcomes = []
    peak = 0.0
    for k in range(setup.slots):
        peak = max(peak, sum(rates[k]))
    # Several sessions may share an EVSE over the horizon (one after another).
    per_evse: dict[tuple[str, int], list[int]] = {}
    for unit in units:
        per_evse.setdefault(unit.evse.key, []).append(unit.index)
    span = setup.span
    fraction = setup.fraction
    slot_s = setup.slot_s
    watts_per_amp = [u.watts_per_amp for u in units]
    conductors = [u.conductors for u in units]
    efficiency = [u.evse.efficiency for u in units]
    v2x = setup.v2x
    for key, members in per_evse.items():
        evse = site.evse(*key)
        periods: list[PlanPeriod] = []
        last: tuple[int, float, Binding | None] | None = None
        spans = [(i, span[i][0], span[i][1]) for i in members]
        # Outside the members' spans every slot is idle and merges into the period
        # before it: visit slot 0, the spans, and the first slot after them.
        first_any = min(first_k for _, first_k, _ in spans)
        last_any = max(last_k for _, _, last_k in spans)
        visit: range | list[int] = range(first_any, min(last_any + 2, setup.slots))
        if first_any > 0:
            visit = [0, *visit]
        for k in visit:
            chosen = -1
            rates_k = rates[k]
            fraction_k = fraction[k]
            for i, first_k, last_k in spans:
                present = first_k <= k <= last_k and fraction_k[i] > 0.0
                if present and (chosen < 0 or rates_k[i] != 0.0):
                    chosen = i
            if chosen < 0:
                x = 0.0
                value: tuple[int, float, Binding | None] = (-1, 0.0, None)
            else:
                x = rates_k[chosen]
                value = (chosen, x, binds[k][chosen] if x <= 0.0 else None)
            if value == last:
                continue
            last = value
            # Merge with the previous period when rate and phases are equal (checked
            # before building the new one).
            if chosen < 0:
                current_a = 0.0 if evse.phase_type is PhaseType.AC else None
                number_phases = None
            else:
                wpa = watts_per_amp[chosen]
                current_a = x / wpa if wpa else None
                number_phases = conductors[chosen] if wpa else None
            if periods:
                previous = periods[-1]
                if (
                    previous.current_a == current_a
                    and previous.power_w == x
                    and previous.number_phases == number_phases
                ):
                    continue
            if chosen < 0:
                period = _idle(k * slot_s, evse.phase_type)
            elif x < 0.0 and v2x is not None:
                period = PlanPeriod(
                    start=k * slot_s,
                    current_a=current_a,
                    power_w=x,
                    output_power_w=x / efficiency[chosen],
                    number_phases=number_phases,
                    binding=binds[k][chosen],
                    discharge=v2x.reasons.get((chosen, k)),
                )
            else:
                period = PlanPeriod(
                    start=k * slot_s,
                    current_a=current_a,
                    power_w=x,
                    output_power_w=x * efficiency[chosen],
                    number_phases=number_phases,
                    binding=binds[k][chosen],
                )
            periods.append(period)
        head = units[members[0]].session
        by_key[key] = EvsePlan(
            station_id=key[0],
            evse_id=key[1],
            transaction_id=head.transaction_id,
            periods=tuple(periods),
        )
    for evse in site.evses:
        if evse.key not in by_key:
            by_key[evse.key] = EvsePlan(
                station_id=evse.station_id,
                evse_id=evse.evse_id,
                transaction_id=None,
                periods=(_idle(0, evse.phase_type),),
            )
    for unit in units:
        i = unit.index
        session = unit.session
        k_first, k_last = setup.span[i]
        planned = 0.0
        held: Counter[Binding] = Counter()
        energy = unit.evse.efficiency * slot_h
        slot_bounds = setup.bounds
        # Consecutive slots mostly share one binding object: count runs of it and hash
        # it once per run (the counts and their first-seen order are the same).
        run_binding = _NO_SESSION
        run = 0
        run_held = False
        discharged = 0.0
        capable = v2x is not None and v2x.is_capable[i]
        level = session.energy_delivered_wh
        for k in range(k_first, k_last + 1):
            f = fraction[k][i]
            if f <= 0.0:
                continue
            x = rates[k][i]
            if capable:
                # V2X: the battery gives x / efficiency; planned is the net energy, the
                # battery full at the energy wanted.
                level = step_level(level, x, unit, slot_h * f)
                if x < 0.0:
                    discharged -= x * slot_h * f / unit.evse.efficiency
                    continue
            planned += x * energy * f
            if x + 1e-6 < slot_bounds[k][i].hi:
                b = binds[k][i]
                if b is not run_binding:
                    if run:
                        held[run_binding] += run
                    run_binding, run, run_held = b, 0, b.kind not in _NOT_HELD
                if run_held:
                    run += 1
        if run:
            held[run_binding] += run
        wanted = session.energy_remaining_wh
        if capable:
            planned = level - session.energy_delivered_wh
        if wanted is not None:
            # A rate lifted to the EV's minimum may offer more than it wants; it stops when full.
            planned = min(planned, wanted)
        outcomes.append(
            SessionOutcome(
                station_id=session.station_id,
                evse_id=session.evse_id,
                transaction_id=session.transaction_id,
                energy_wanted_wh=wanted,
                energy_planned_wh=planned,
                unmet_wh=0.0 if wanted is None else max(0.0, wanted - planned),
                bound_by=tuple(
                    b for b, _ in sorted(held.items(), key=lambda kv: (-kv[1], kv[0].describe()))
                ),
                energy_discharged_wh=discharged,
                v2x_note=None
                if not session.discharge_max_power_w
                else discharge_note(site.station(session.station_id), unit.evse, session, policy),
            )
        )
    return Plan(
        start=setup.start,
        slot_s=setup.slot_s,
        slots=setup.slots,
        method=method,
        evses=tuple(by_key[k] for k in sorted(by_key)),
        sessions=tuple(sorted(outcomes, key=lambda o: (o.station_id, o.evse_id))),
        peak_w=peak,
        violations=violations(setup, rates),
    )


def _idle(start: int, phase_type: PhaseType) -> PlanPeriod:
    return PlanPeriod(
        start=start,
        current_a=0.0 if phase_type is PhaseType.AC else None,
        power_w=0.0,
        output_power_w=0.0,
        number_phases=None,
        binding=_NO_SESSION,
    )
