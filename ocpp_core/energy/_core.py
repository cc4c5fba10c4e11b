"""The linear model shared by the planners, and the water-filling allocator.

Theory of operation
-------------------
Every EV on the site becomes a *unit* with one variable, its grid power ``x``
in W. Every limit becomes a *resource* ``r`` with a capacity and, for each unit
below it, a coefficient ``a[r][i]``: the load the unit puts on the resource per
watt. A circuit has four resources: the current on each of L1, L2, L3 (in A:
``a = 1 / (phases x V)`` for each line a conductor of the EV loads) and its
power (``a = 1``). A station-wide limit is a resource over the station's units.
Limits on one EVSE only move its upper bound. A capacity is the tightest of the
circuit's own limit, its schedule and every external limit on it, minus the
base load. The planners then solve ``sum_i a[r][i] x_i <= cap[r]`` for every
resource, with each ``x_i`` at 0 or within ``[lo_i, hi_i]``.

Water-filling (weighted max-min fairness with minimums). All admitted units
share one level ``t``; unit ``i`` is at ``clamp(w_i t, lo_i, hi_i)``. Raising
``t`` raises every unit not yet frozen until an event:

* a unit waiting at its minimum starts growing (``w_i t = lo_i``);
* a unit reaches its maximum (``w_i t = hi_i``): it freezes there, bound by
  whatever set ``hi_i``;
* a resource fills up: every unit below it freezes where it is, bound by it.

Between events every resource's load is linear in ``t``
(``F_r + S_r t``), so the next saturation is ``(cap_r - F_r) / S_r``; these
times sit in a heap, re-pushed with a version number when ``F_r`` or ``S_r``
change. Each unit freezes once and touches only the resources on its path to
the root, so a whole allocation costs ``O(nnz log nnz)`` for ``nnz`` non-zero
coefficients: milliseconds for a thousand EVSEs in a deep tree.

The result is the max-min fair point: no unit can get more without taking from
a unit that has less (relative to its weight) or that is at its minimum.

Admission (semi-continuous minimums). Before filling, units are admitted in
keep order (highest priority, then least laxity, then earliest arrival, then
by EVSE) while their minimums fit beside those admitted before; the rest are
paused and get 0, bound by the resource that had no room.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

import attrs

from ocpp_core.energy._model import (
    GRID_PHASES,
    BelowMinimum,
    ExternalLimit,
    FairUnit,
    Limit,
    LimitScope,
    PhaseType,
    Policy,
    Session,
    Site,
    SiteEvse,
)
from ocpp_core.energy._results import Binding, BindingKind

_INF = math.inf
_LINE_INDEX = {line: k for k, line in enumerate(GRID_PHASES)}
_KINDS = {
    "current": BindingKind.CIRCUIT_CURRENT,
    "power": BindingKind.CIRCUIT_POWER,
    "station": BindingKind.STATION_LIMIT,
}
_EPS = 1e-9

_BIND_EV_MAX = Binding(kind=BindingKind.EV_MAXIMUM)
_BIND_EVSE_MAX = Binding(kind=BindingKind.EVSE_MAXIMUM)
_BIND_MEASURED = Binding(kind=BindingKind.MEASURED)
_BIND_ENERGY = Binding(kind=BindingKind.ENERGY)
_BIND_MIN_ABOVE_MAX = Binding(kind=BindingKind.BELOW_MINIMUM)


@attrs.define(slots=True)
class Unit:
    """One session on its EVSE, with its coefficients (time-independent)."""

    index: int
    session: Session
    evse: SiteEvse
    conductors: int
    voltage: float
    grid_phases: tuple[str, ...]
    coeffs: list[tuple[int, float]]
    watts_per_amp: float
    """AC: grid W per A per phase (``conductors x V``); DC: 0."""


class Bounds(NamedTuple):
    """A unit's range at one time: ``lo``/``hi`` in grid W and what set ``hi``."""

    lo: float
    hi: float
    hi_binding: Binding


def _derive(
    site: Site, evse: SiteEvse, ev_phases: int | None
) -> tuple[tuple[tuple[int, float], ...], int, float, tuple[str, ...], float]:
    """What a session on ``evse`` with ``ev_phases`` needs: coefficients, conductors, volts."""
    layout = site.layout
    finite = layout.finite
    conductors = len(evse.phases)
    if evse.phase_type is PhaseType.AC and ev_phases is not None:
        conductors = min(conductors, ev_phases)
    voltage = site.evse_voltage(evse)
    lines = evse.grid_phases(conductors)
    per_line = [0.0, 0.0, 0.0]
    share = 1.0 / (conductors * voltage)
    for conductor in lines:
        for line in conductor:
            per_line[_LINE_INDEX[line]] += share
    coeffs: list[tuple[int, float]] = []
    for group in layout.groups[evse.key]:
        for k in range(3):
            if per_line[k] > 0.0 and finite[group[k]]:
                coeffs.append((group[k], per_line[k]))
        if finite[group[3]]:
            coeffs.append((group[3], 1.0))
    return (
        tuple(coeffs),
        conductors,
        voltage,
        tuple(line for conductor in lines for line in conductor),
        conductors * voltage if evse.phase_type is PhaseType.AC else 0.0,
    )


class Problem:
    """The site's units and resources; capacities are computed per time interval."""

    def __init__(self, site: Site, sessions: Sequence[Session]) -> None:
        self.site = site
        ordered = sorted(sessions, key=lambda s: s.key)
        layout = site.layout
        self._info = layout.resources
        self.members: list[list[tuple[int, float]]] = [[] for _ in layout.resources]
        self._bindings: dict[int, Binding] = {}
        self._paused: dict[Binding, Binding] = {}
        self._circuit_res = layout.circuit_index
        self._station_res = layout.station_index
        self.units: list[Unit] = []
        units = self.units
        members = self.members
        cache = layout.unit_cache
        evse_of = site.evse
        for session in ordered:
            key = session.key
            derived = cache.get((key, session.ev_phases))
            evse = evse_of(*key)
            if derived is None:
                derived = _derive(site, evse, session.ev_phases)
                cache[key, session.ev_phases] = derived
            coeffs, conductors, voltage, grid_phases, wpa = derived
            index = len(units)
            units.append(
                Unit(
                    index=index,
                    session=session,
                    evse=evse,
                    conductors=conductors,
                    voltage=voltage,
                    grid_phases=grid_phases,
                    coeffs=list(coeffs),
                    watts_per_amp=wpa,
                )
            )
            for r, a in coeffs:
                members[r].append((index, a))

    def circuit_resources(self, circuit_id: str) -> tuple[int, int, int, int]:
        """Indices of the circuit's L1, L2, L3 and power resources."""
        return self._circuit_res[circuit_id]

    # ---------------------------------------------------------------- capacities

    def capacities(
        self,
        begin: datetime,
        end: datetime | None = None,
        raw: list[float] | None = None,
    ) -> tuple[list[float], list[ExternalLimit | None]]:
        """Capacity of every resource over ``[begin, end)`` and the external limit behind it.

        ``raw`` (V2X, one entry per resource): filled with each resource's limit before
        the base load is taken off, then its base load (so ``raw[r] - load`` may be
        negative: a deficit), as ``raw[2 r]`` and ``raw[2 r + 1]``.
        """
        site = self.site
        caps = [_INF] * len(self.members)
        why: list[ExternalLimit | None] = [None] * len(self.members)
        circuit_limits: dict[str, list[tuple[Limit, ExternalLimit]]] = {}
        station_limits: dict[str, list[tuple[Limit, ExternalLimit]]] = {}
        for limit in site.external_limits:
            value = limit.schedule.at(begin) if end is None else limit.schedule.over(begin, end)
            if value is None:
                continue
            if limit.scope is LimitScope.SITE:
                circuit_limits.setdefault(site.root.id, []).append((value, limit))
            elif limit.scope is LimitScope.CIRCUIT and limit.target is not None:
                circuit_limits.setdefault(limit.target, []).append((value, limit))
            elif limit.scope is LimitScope.STATION and limit.target is not None:
                station_limits.setdefault(limit.target, []).append((value, limit))
        for circuit in site.circuits:
            own = circuit.limit_at(begin, end)
            load = circuit.load_at(begin, end)
            idx = self._circuit_res[circuit.id]
            self._fill(caps, why, idx, own, circuit_limits.get(circuit.id, ()), load, raw)
        for station in site.stations:
            own = Limit(current_a=station.max_current_a, power_w=station.max_power_w)
            idx = self._station_res[station.id]
            self._fill(caps, why, idx, own, station_limits.get(station.id, ()), None, raw)
        return caps, why

    def _fill(  # noqa: PLR0917 - internal helper
        self,
        caps: list[float],
        why: list[ExternalLimit | None],
        idx: tuple[int, int, int, int],
        own: Limit,
        external: Sequence[tuple[Limit, ExternalLimit]],
        load: Limit | None,
        raw: list[float] | None = None,
    ) -> None:
        voltage = self.site.voltage
        load_a = [0.0, 0.0, 0.0]
        load_w = 0.0
        if load is not None:
            if load.current_a is not None:
                load_a = list(load.current_a)
            if load.power_w is not None:
                load_w = load.power_w
                if load.current_a is None:
                    load_a = [load.power_w / (3 * voltage)] * 3
            elif load.current_a is not None:
                load_w = sum(load.current_a) * voltage
        for k in range(3):
            cap = own.current_a[k] if own.current_a is not None else _INF
            reason: ExternalLimit | None = None
            for value, limit in external:
                if value.current_a is not None and value.current_a[k] < cap:
                    cap, reason = value.current_a[k], limit
            caps[idx[k]] = max(0.0, cap - load_a[k]) if cap != _INF else _INF
            why[idx[k]] = reason
            if raw is not None:
                raw[2 * idx[k]] = cap
                raw[2 * idx[k] + 1] = load_a[k]
        cap = own.power_w if own.power_w is not None else _INF
        reason = None
        for value, limit in external:
            if value.power_w is not None and value.power_w < cap:
                cap, reason = value.power_w, limit
        caps[idx[3]] = max(0.0, cap - load_w) if cap != _INF else _INF
        why[idx[3]] = reason
        if raw is not None:
            raw[2 * idx[3]] = cap
            raw[2 * idx[3] + 1] = load_w

    def evse_caps(
        self, begin: datetime, end: datetime | None = None
    ) -> dict[tuple[str, int], tuple[Limit, ExternalLimit]]:
        """External limits on single EVSEs in force over the interval."""
        out: dict[tuple[str, int], tuple[Limit, ExternalLimit]] = {}
        for limit in self.site.external_limits:
            if limit.scope is not LimitScope.EVSE:
                continue
            value = limit.schedule.at(begin) if end is None else limit.schedule.over(begin, end)
            key = limit.evse_key()
            if value is None or key is None:
                continue
            if key in out:
                value = value.min(out[key][0])
            out[key] = (value, limit)
        return out

    # ---------------------------------------------------------------- bounds

    def bounds(
        self,
        unit: Unit,
        at: datetime,
        policy: Policy,
        evse_cap: tuple[Limit, ExternalLimit] | None,
    ) -> Bounds:
        """The unit's rate range at ``at`` (without the energy cap)."""
        evse, session = unit.evse, unit.session
        if evse.phase_type is PhaseType.AC:
            wpa = unit.watts_per_amp
            lo_a = max(evse.min_current_a, session.min_current_a or 0.0)
            hi = evse.max_current_a * wpa
            binding = _BIND_EVSE_MAX
            if session.max_current_a is not None and session.max_current_a * wpa < hi:
                hi, binding = session.max_current_a * wpa, _BIND_EV_MAX
            if evse.max_power_w is not None and evse.max_power_w < hi:
                hi, binding = evse.max_power_w, _BIND_EVSE_MAX
            if session.max_power_w is not None and session.max_power_w < hi:
                hi, binding = session.max_power_w, _BIND_EV_MAX
            lo = lo_a * wpa
            if (
                policy.measured_margin_a is not None
                and session.measured_current_a is not None
                and session.measured_at is not None
                and timedelta(0)
                <= at - session.measured_at
                <= timedelta(seconds=policy.measurement_max_age_s)
            ):
                drawn = max(session.measured_current_a[: unit.conductors])
                cap = max(lo, (drawn + policy.measured_margin_a) * wpa)
                if cap < hi:
                    hi, binding = cap, _BIND_MEASURED
        else:
            eff = evse.efficiency
            out_hi = evse.max_power_w if evse.max_power_w is not None else _INF
            binding = _BIND_EVSE_MAX
            if session.max_power_w is not None and session.max_power_w < out_hi:
                out_hi, binding = session.max_power_w, _BIND_EV_MAX
            out_lo = max(evse.min_power_w, session.min_power_w or 0.0)
            lo, hi = out_lo / eff, out_hi / eff
        if evse_cap is not None:
            value, limit = evse_cap
            cap = _INF
            if value.current_a is not None:
                if evse.phase_type is PhaseType.AC:
                    used = [GRID_PHASES.index(p) for p in unit.grid_phases]
                    cap = min(value.current_a[k] for k in used) * unit.watts_per_amp
                else:
                    cap = min(value.current_a) * 3 * unit.voltage
            if value.power_w is not None:
                cap = min(cap, value.power_w)
            if cap < hi:
                hi = cap
                binding = Binding(
                    kind=BindingKind.EXTERNAL_LIMIT, limit_id=limit.id, source=limit.source
                )
        return Bounds(lo=lo, hi=hi, hi_binding=binding)

    # ---------------------------------------------------------------- bindings

    def binding_of(self, r: int, why: Sequence[ExternalLimit | None]) -> Binding:
        """The binding for resource ``r`` (an external limit when one set its capacity)."""
        kind, circuit, phase, station = self._info[r]
        limit = why[r]
        if limit is not None:
            return Binding(
                kind=BindingKind.EXTERNAL_LIMIT,
                circuit=circuit,
                phase=phase,
                station_id=station,
                limit_id=limit.id,
                source=limit.source,
            )
        cached = self._bindings.get(r)
        if cached is None:
            cached = Binding(kind=_KINDS[kind], circuit=circuit, phase=phase, station_id=station)
            self._bindings[r] = cached
        return cached

    def paused_binding(self, r: int, why: Sequence[ExternalLimit | None]) -> Binding:
        """The binding of a unit paused because its minimum had no room on resource ``r``."""
        inner = self.binding_of(r, why)
        cached = self._paused.get(inner)
        if cached is None:
            cached = _paused(inner)
            self._paused[inner] = cached
        return cached

    def fair_weights(self, policy: Policy) -> list[float]:
        """Each unit's water-filling weight.

        Its session's weight; when fair shares are equal in current, times its
        conductors and voltage (grid W per A on each line), so that equal levels
        mean equal amperes.
        """
        if policy.fair_unit is FairUnit.CURRENT:
            return [u.session.weight * u.conductors * u.voltage for u in self.units]
        return [u.session.weight for u in self.units]

    @property
    def resource_count(self) -> int:
        """Number of resources (limits) of the site."""
        return len(self.members)


def laxity(session: Session, unit_hi_w: float, efficiency: float, at: datetime) -> float:
    """Seconds of slack before the session must charge flat out to get its energy."""
    remaining = session.energy_remaining_wh
    if session.departure is None or remaining is None:
        return _INF
    left = (session.departure - at).total_seconds()
    if unit_hi_w <= 0:
        return left if remaining <= 0 else -_INF
    return left - remaining * 3600.0 / (unit_hi_w * efficiency)


def keep_order(
    problem: Problem,
    active: Sequence[int],
    bounds: Sequence[Bounds],
    at: datetime,
    policy: Policy,
) -> list[int]:
    """Units in the order they keep charging when not every minimum fits."""

    def key(i: int) -> tuple[object, ...]:
        unit = problem.units[i]
        session = unit.session
        incumbent = 0
        if policy.below_minimum is BelowMinimum.HOLD and session.measured_current_a is not None:
            incumbent = 0 if max(session.measured_current_a) > 0 else 1
        lax = laxity(session, bounds[i].hi, unit.evse.efficiency, at)
        return (-session.priority, incumbent, lax, session.arrival, session.key)

    return sorted(active, key=key)


def all_minimums_fit(
    problem: Problem, candidates: Sequence[int], bounds: Sequence[Bounds], caps: Sequence[float]
) -> bool:
    """Whether every candidate can have its minimum at once (then no order is needed)."""
    load = [0.0] * len(caps)
    units = problem.units
    for i in candidates:
        b = bounds[i]
        lo = b.lo
        if lo <= 0.0:
            continue
        if b.hi < lo - _EPS:
            return False
        for r, a in units[i].coeffs:
            load[r] += a * lo
    return all(used <= cap * (1 + 1e-12) + _EPS for used, cap in zip(load, caps, strict=True))


def admit(
    problem: Problem,
    order: Sequence[int],
    bounds: Sequence[Bounds],
    caps: Sequence[float],
    why: Sequence[ExternalLimit | None],
    *,
    all_fit: bool = False,
) -> tuple[list[int], dict[int, Binding]]:
    """Admit units in ``order`` while their minimums fit; the rest are paused.

    ``all_fit``: the caller checked with :func:`all_minimums_fit` that every minimum
    fits (in this order), so no load needs to be counted.
    """
    admitted: list[int] = []
    paused: dict[int, Binding] = {}
    if all_fit:
        for i in order:
            b = bounds[i]
            hi, lo = b.hi, b.lo
            if (hi < lo - _EPS or hi <= 0.0) and not (hi <= 0.0 and lo <= 0.0):
                paused[i] = _paused(b.hi_binding)
            else:
                admitted.append(i)
        return admitted, paused
    load = [0.0] * len(caps)
    room = [cap * (1 + 1e-12) + _EPS for cap in caps]
    units = problem.units
    for i in order:
        b = bounds[i]
        lo = b.lo
        if b.hi < lo - _EPS or b.hi <= 0.0:
            if b.hi <= 0.0 and lo <= 0.0:
                admitted.append(i)
            else:
                paused[i] = _paused(b.hi_binding)
            continue
        if lo <= 0.0:
            admitted.append(i)
            continue
        coeffs = units[i].coeffs
        blocked = -1
        for r, a in coeffs:
            if load[r] + a * lo > room[r]:
                blocked = r
                break
        if blocked >= 0:
            paused[i] = problem.paused_binding(blocked, why)
            continue
        for r, a in coeffs:
            load[r] += a * lo
        admitted.append(i)
    return admitted, paused


def _paused(inner: Binding) -> Binding:
    if inner.kind in (
        BindingKind.EV_MAXIMUM,
        BindingKind.EVSE_MAXIMUM,
        BindingKind.MEASURED,
        BindingKind.ENERGY,
        BindingKind.BELOW_MINIMUM,
    ):
        return _BIND_MIN_ABOVE_MAX
    if inner.kind is BindingKind.EXTERNAL_LIMIT:
        return attrs.evolve(inner, kind=BindingKind.BELOW_MINIMUM)
    return attrs.evolve(inner, kind=BindingKind.BELOW_MINIMUM)


_WAIT, _GROW, _FROZEN = 0, 1, 2


def water_fill(  # noqa: PLR0917 - hot path, positional
    problem: Problem,
    admitted: Sequence[int],
    lo: Sequence[float],
    hi: Sequence[float],
    weights: Sequence[float],
    hi_binding: Sequence[Binding],
    caps: Sequence[float],
    why: Sequence[ExternalLimit | None],
) -> tuple[dict[int, float], dict[int, Binding]]:
    """Weighted max-min fair rates for ``admitted`` units (indexed by unit index).

    ``lo``/``hi``/``weights``/``hi_binding`` are indexed by unit index. Returns the
    rate and the binding of every admitted unit. The admitted minimums must fit.
    """
    units = problem.units
    n_res = len(caps)
    fixed = [0.0] * n_res
    slope = [0.0] * n_res
    version = [0] * n_res
    # Per unit index: -1 (not admitted), _WAIT, _GROW or _FROZEN.
    state = [-1] * len(units)
    rate: dict[int, float] = {}
    bound: dict[int, Binding] = {}
    starts: list[tuple[float, int]] = []
    ends: list[tuple[float, int]] = []
    for i in admitted:
        low, high, w = lo[i], hi[i], weights[i]
        if high <= low + _EPS:
            value = max(0.0, min(low, high)) if high >= low - _EPS else 0.0
            value = max(value, low) if high >= low - _EPS else value
            state[i] = _FROZEN
            rate[i] = value
            bound[i] = hi_binding[i]
            for r, a in units[i].coeffs:
                fixed[r] += a * value
            continue
        if low > 0.0:
            state[i] = _WAIT
            starts.append((low / w, i))
            for r, a in units[i].coeffs:
                fixed[r] += a * low
        else:
            state[i] = _GROW
            for r, a in units[i].coeffs:
                slope[r] += a * w
        ends.append((high / w, i))
    starts.sort()
    heapq.heapify(ends)
    # Only resources below an admitted unit can have a slope (weights are positive).
    heap: list[tuple[float, int, int]] = [
        ((caps[r] - fixed[r]) / slope[r], r, 0)
        for r in range(n_res)
        if slope[r] > 0.0 and caps[r] != _INF
    ]
    # entry[r]: the time in r's valid heap entry (_INF when it has none).
    entry = [_INF] * n_res
    for t, r, _ in heap:
        entry[r] = t
    heapq.heapify(heap)
    members = problem.members
    saturated = [False] * n_res
    start_pos = 0
    n_starts = len(starts)
    level = 0.0
    heappush, heappop = heapq.heappush, heapq.heappop
    tiny = _EPS * 1e-6

    def push(r: int) -> None:
        version[r] += 1
        sl = slope[r]
        if sl > tiny and caps[r] != _INF and not saturated[r]:
            t = (caps[r] - fixed[r]) / sl
            t = t if t > level else level
            entry[r] = t
            heappush(heap, (t, r, version[r]))
        else:
            entry[r] = _INF

    def freeze_growing(i: int, value: float, binding: Binding) -> None:
        state[i] = _FROZEN
        rate[i] = value
        bound[i] = binding
        w = weights[i]
        for r, a in units[i].coeffs:
            fixed[r] += a * value
            slope[r] -= a * w
            push(r)

    while True:
        while heap:
            top = heap[0]
            r = top[1]
            if top[2] != version[r] or saturated[r]:
                heappop(heap)
            else:
                break
        while ends and state[ends[0][1]] == _FROZEN:
            heappop(ends)
        t_sat = heap[0][0] if heap else _INF
        t_end = ends[0][0] if ends else _INF
        t_start = starts[start_pos][0] if start_pos < n_starts else _INF
        if t_start <= t_sat and t_start <= t_end:
            nxt = t_start
        elif t_sat <= t_end:
            nxt = t_sat
        else:
            nxt = t_end
        if nxt == _INF:
            break
        if t_start <= t_sat and t_start <= t_end:
            # A run of starts, taken together. A start only brings its resources'
            # saturation times forward (the unit's load is the same at ``level`` and
            # grows after), so the earliest saturation is ``t_sat`` lowered by each
            # new time, and the heap is pushed once per resource at the end of the
            # run instead of once per start and resource. Should float noise make a
            # time go up, the run ends there and the loop reads the heap again.
            # The events, levels and heap entries are exactly those of one start
            # at a time.
            touched: set[int] = set()
            while True:
                if t_start > level:  # noqa: PLR1730 - hot loop, faster than max()
                    level = t_start
                i = starts[start_pos][1]
                start_pos += 1
                later = False
                if state[i] == _WAIT:
                    state[i] = _GROW
                    w = weights[i]
                    low = lo[i]
                    for r, a in units[i].coeffs:
                        fixed[r] -= a * low
                        sl = slope[r] = slope[r] + a * w
                        # What push(r) does, but the heap entry waits for the run's end.
                        version[r] += 1
                        if sl > tiny and caps[r] != _INF and not saturated[r]:
                            t = (caps[r] - fixed[r]) / sl
                            t = t if t > level else level
                        else:
                            t = _INF
                        if t > entry[r]:
                            later = True
                        entry[r] = t
                        if t < t_sat:  # noqa: PLR1730 - hot loop, faster than min()
                            t_sat = t
                        touched.add(r)
                if later or start_pos == n_starts:
                    break
                t_start = starts[start_pos][0]
                if t_start > t_sat or t_start > t_end:
                    break
            for r in touched:
                t = entry[r]
                if t != _INF:
                    heappush(heap, (t, r, version[r]))
            continue
        if nxt > level:  # noqa: PLR1730 - hot loop, faster than max()
            level = nxt
        if t_sat <= t_end:
            _, r, _ = heappop(heap)
            saturated[r] = True
            binding = problem.binding_of(r, why)
            # Every unit below ``r`` freezes; each resource they touch is re-pushed once,
            # after all of them (only its last heap entry is ever valid).
            changed: set[int] = set()
            for i, _a in members[r]:
                st = state[i]
                if st < 0 or st == _FROZEN:
                    continue
                state[i] = _FROZEN
                bound[i] = binding
                if st == _WAIT:
                    # Frozen at its minimum, already counted in ``fixed``.
                    rate[i] = lo[i]
                    continue
                w = weights[i]
                value = w * level
                rate[i] = value
                for q, a in units[i].coeffs:
                    fixed[q] += a * value
                    slope[q] -= a * w
                    changed.add(q)
            for q in changed:
                push(q)
            continue
        _, i = heappop(ends)
        st = state[i]
        if st == _GROW:
            freeze_growing(i, hi[i], hi_binding[i])
        elif st == _WAIT:
            state[i] = _FROZEN
            rate[i] = lo[i]
            bound[i] = hi_binding[i]
    for i in admitted:
        if state[i] != _FROZEN:
            rate[i] = hi[i]
            bound[i] = hi_binding[i]
    return rate, bound


def floor_step(value: float, step: float, multiples: dict[int, float] | None = None) -> float:
    """``value`` rounded down to a multiple of ``step`` (robust to float noise).

    ``multiples``: optionally, a memo of the ``q``-th multiple of this ``step`` by ``q``
    (``round`` to 9 decimals is the costly part when a plan rounds thousands of rates;
    a memo serves one ``step`` only).
    """
    if value <= 0.0:
        return 0.0
    q = math.floor(value / step + 1e-9)
    if multiples is None:
        result = round(q * step, 9)
    else:
        memo = multiples.get(q)
        if memo is None:
            memo = multiples[q] = round(q * step, 9)
        result = memo
    if result > value + 1e-9:
        result = round((q - 1) * step, 9)
    return max(0.0, result)
