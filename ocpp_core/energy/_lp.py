"""The optimal planner: three linear programmes on HiGHS (the ``lp`` extra, ``highspy``).

Theory of operation
-------------------
One variable ``x[i,k]`` per session ``i`` and slot ``k`` it is present in: its
grid power, between 0 and its maximum. Rows: every finite resource in every
slot (``sum_i a[r][i] x[i,k] <= cap[r,k]``, the same model as the greedy
planner and :func:`~ocpp_core.energy.allocate`) and every session's energy
(``sum_k e[i,k] x[i,k] <= remaining_i``, with ``e`` the energy per watt in the
slot, efficiency included). Objectives in order, each stage keeping the
previous optimum (within a relative 1e-6) as a row:

1. **Energy by departure**: maximise the energy delivered; slots end at the
   departure, so all of it arrives in time. A bonus of at most 0.1 % for
   earlier slots breaks ties towards charging early (robust when plans change).
2. **Fairness**: maximise the smallest fraction of its remaining energy any
   session receives (max-min fairness of the served fraction).
3. **Peak or cost**: minimise the highest total EVSE power in any slot, or,
   when the policy has prices, the cost.

Minimums (semi-continuous rates) are not linear: the solution is repaired slot
by slot, lifting a rate below its minimum to the minimum where the limits have
room and setting it to 0 otherwise, largest rates first; rates are rounded
down; then what the repair left unused in the slot goes to sessions still
wanting energy, earliest departure first. The LP without minimums and
rounding is the upper bound the benchmark reports.
"""

from __future__ import annotations

import importlib
import itertools
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ocpp_core.energy._core import _BIND_ENERGY, Bounds
from ocpp_core.energy._model import Policy, Session, Site
from ocpp_core.energy._plan import SlotSetup, _round, slot_setup
from ocpp_core.energy._results import Binding, BindingKind
from ocpp_core.errors import SolverError

__all__ = ["lp_upper_bound", "solve_lp"]

_INF = math.inf
_NO_SESSION = Binding(kind=BindingKind.NO_SESSION)
_BIND_OBJECTIVE = Binding(kind=BindingKind.OBJECTIVE)


def _highs() -> Any:
    try:
        module = importlib.import_module("highspy")
    except ImportError:
        raise SolverError(
            "not-installed",
            "the optimal planner needs HiGHS: pip install 'ocpp-core[lp]'",
        ) from None
    return module


class _Model:
    def __init__(self, setup: SlotSetup, highspy: Any) -> None:
        self.setup = setup
        self.highspy = highspy
        units = setup.problem.units
        slot_h = setup.slot_s / 3600.0
        self.cols: list[tuple[int, int]] = []
        self.col_of: dict[tuple[int, int], int] = {}
        ub: list[float] = []
        self.energy: list[float] = []
        for k in range(setup.slots):
            for unit in units:
                i = unit.index
                f = setup.fraction[k][i]
                b = setup.bounds[k][i]
                if f <= 0.0 or b.hi <= 0.0 or b.hi < b.lo:
                    continue
                self.col_of[(i, k)] = len(self.cols)
                self.cols.append((i, k))
                ub.append(b.hi)
                self.energy.append(unit.evse.efficiency * slot_h * f)
        # The public ``highspy.Highs()`` prints a banner on standard output as
        # it is built (before any option can be set), which would corrupt the
        # output of a program that prints JSON. The solver object underneath
        # does not; options are set on it before anything else.
        core = getattr(getattr(highspy, "_core", None), "_Highs", None)
        h = core() if core is not None else highspy.Highs()
        h.setOptionValue("output_flag", False)
        self.h = h
        n = len(self.cols)
        if n:
            h.addVars(n, [0.0] * n, ub)
        self.remaining: dict[int, float] = {}
        for unit in units:
            rem = unit.session.energy_remaining_wh
            if rem is not None:
                self.remaining[unit.index] = rem
        # Resource rows.
        for k in range(setup.slots):
            caps = setup.caps[k]
            rows: dict[int, list[tuple[int, float]]] = {}
            for unit in units:
                col = self.col_of.get((unit.index, k))
                if col is None:
                    continue
                for r, a in unit.coeffs:
                    if caps[r] != _INF:
                        rows.setdefault(r, []).append((col, a))
            for r in sorted(rows):
                self._row(rows[r], -_INF, caps[r])
        # Energy rows.
        self.unit_cols: dict[int, list[int]] = {}
        for col, (i, _) in enumerate(self.cols):
            self.unit_cols.setdefault(i, []).append(col)
        self.energy_row: dict[int, int] = {}
        for i, cols in self.unit_cols.items():
            if i in self.remaining:
                self.energy_row[i] = h.getNumRow()
                self._row([(c, self.energy[c]) for c in cols], -_INF, self.remaining[i])

    def _row(self, entries: list[tuple[int, float]], lower: float, upper: float) -> None:
        inf = self.highspy.kHighsInf
        self.h.addRow(
            -inf if lower == -_INF else lower,
            inf if upper == _INF else upper,
            len(entries),
            [c for c, _ in entries],
            [v for _, v in entries],
        )

    def solve(self, costs: list[float], maximize: bool) -> list[float]:
        h = self.h
        n = h.getNumCol()
        h.changeColsCost(n, list(range(n)), costs)
        sense = self.highspy.ObjSense.kMaximize if maximize else self.highspy.ObjSense.kMinimize
        h.changeObjectiveSense(sense)
        h.run()
        status = h.getModelStatus()
        if status != self.highspy.HighsModelStatus.kOptimal:
            text = str(h.modelStatusToString(status))
            raise SolverError(text, f"the LP planner found no optimum ({text})")
        return list(h.getSolution().col_value)


def _stage_energy(model: _Model) -> tuple[list[float], float]:
    slots = model.setup.slots
    costs = [
        e * (1.0 + 1e-3 * (slots - k) / slots)
        for e, (_, k) in zip(model.energy, model.cols, strict=True)
    ]
    x = model.solve(costs, maximize=True)
    total = sum(e * v for e, v in zip(model.energy, x, strict=True))
    return x, total


def lp_upper_bound(
    site: Site,
    sessions: Iterable[Session],
    start: datetime,
    horizon: int | None = None,
    policy: Policy | None = None,
) -> float:
    """The most energy (Wh, at the batteries) any plan can deliver: the LP without minimums.

    The same slots and limits as :func:`~ocpp_core.energy.plan`, ignoring
    semi-continuous minimums and rounding, so every plan delivers at most this.

    Raises:
        SiteError: bad input, naming the field.
        SolverError: the ``lp`` extra is not installed, or the solver failed.
    """
    policy = Policy() if policy is None else policy
    setup = slot_setup(site, sessions, start, horizon, policy)
    highspy = _highs()
    model = _Model(setup, highspy)
    if not model.cols:
        return 0.0
    model.solve(list(model.energy), maximize=True)
    return float(model.h.getInfo().objective_function_value)


def solve_lp(setup: SlotSetup, policy: Policy) -> tuple[list[list[float]], list[list[Binding]]]:
    """Optimal per-slot rates (then repaired for minimums and rounded down)."""
    if setup.v2x is not None:
        from ocpp_core.energy._lp_discharge import solve_v2x  # noqa: PLC0415 - V2X only

        return solve_v2x(setup, policy)
    highspy = _highs()
    model = _Model(setup, highspy)
    units = setup.problem.units
    n_units = len(units)
    rates = [[0.0] * n_units for _ in range(setup.slots)]
    if model.cols:
        x, total = _stage_energy(model)
        n = len(model.cols)
        # Stage 2: keep the energy, maximise the smallest served fraction z.
        model._row([(c, model.energy[c]) for c in range(n)], total * (1 - 1e-6) - 1e-6, _INF)
        fair = [i for i, rem in model.remaining.items() if rem > 1e-9 and i in model.unit_cols]
        if fair:
            model.h.addVar(0.0, 1.0)
            z = n
            for i in fair:
                entries = [(c, model.energy[c]) for c in model.unit_cols[i]]
                entries.append((z, -model.remaining[i]))
                model._row(entries, 0.0, _INF)
            costs = [0.0] * (n + 1)
            costs[z] = 1.0
            x = model.solve(costs, maximize=True)
            model._row([(z, 1.0)], x[z] * (1 - 1e-6) - 1e-9, _INF)
        # Stage 3: the peak (or the cost).
        width = model.h.getNumCol()
        if policy.prices is not None:
            costs = [0.0] * width
            slot_h = setup.slot_s / 3600.0
            for c, (_, k) in enumerate(model.cols):
                t0 = setup.slot_start(k)
                price = policy.prices.at(t0)
                value = price.power_w if price is not None and price.power_w is not None else 0.0
                costs[c] = value * slot_h / 1000.0
            x = model.solve(costs, maximize=False)
        else:
            model.h.addVar(0.0, model.highspy.kHighsInf)
            peak = width
            for k in range(setup.slots):
                entries = [(c, 1.0) for c, (_, kk) in enumerate(model.cols) if kk == k]
                if entries:
                    entries.append((peak, -1.0))
                    model._row(entries, -_INF, 0.0)
            # Among equal peaks, prefer steady rates: a small cost on every change of a
            # session's rate from one slot to the next (fewer profile periods and messages).
            changes: list[tuple[int, int]] = []
            for cols in model.unit_cols.values():
                ordered = sorted(cols, key=lambda c: model.cols[c][1])
                changes.extend(itertools.pairwise(ordered))
            first_change = width + 1
            if changes:
                model.h.addVars(
                    len(changes), [0.0] * len(changes), [model.highspy.kHighsInf] * len(changes)
                )
                for j, (a, b) in enumerate(changes):
                    d = first_change + j
                    model._row([(d, 1.0), (a, -1.0), (b, 1.0)], 0.0, _INF)
                    model._row([(d, 1.0), (a, 1.0), (b, -1.0)], 0.0, _INF)
            costs = [0.0] * (first_change + len(changes))
            costs[peak] = 1.0
            for j in range(len(changes)):
                costs[first_change + j] = 1e-3
            x = model.solve(costs, maximize=False)
        for c, (i, k) in enumerate(model.cols):
            rates[k][i] = max(0.0, x[c])
    return _repair(setup, policy, rates)


def _repair(
    setup: SlotSetup, policy: Policy, rates: list[list[float]]
) -> tuple[list[list[float]], list[list[Binding]]]:
    """Semi-continuous minimums, rounding down, bindings, and energy bookkeeping."""
    problem = setup.problem
    units = problem.units
    n = len(units)
    remaining = [
        _INF if u.session.energy_remaining_wh is None else u.session.energy_remaining_wh
        for u in units
    ]
    slot_h = setup.slot_s / 3600.0
    out_binds: list[list[Binding]] = []
    v2x = setup.v2x
    for k in range(setup.slots):
        caps = setup.caps[k]
        why = setup.why[k]
        bounds: list[Bounds] = setup.bounds[k]
        row = rates[k]
        load = [0.0] * len(caps)
        binds: list[Binding] = [_NO_SESSION] * n
        order = sorted(range(n), key=lambda i: (-row[i], units[i].session.key))
        if v2x is not None:
            # V2X: discharges first (rounded, within their bounds); they take no room.
            from ocpp_core.energy._lp_discharge import repair_discharges  # noqa: PLC0415

            repair_discharges(v2x, k, row, binds, remaining)
        for i in order:
            if setup.fraction[k][i] <= 0.0 or row[i] < 0.0:
                continue
            if remaining[i] <= 1e-9:
                row[i] = 0.0
                binds[i] = _BIND_ENERGY
                continue
            x = row[i]
            lo = bounds[i].lo
            if 0.0 < x < lo:
                x = lo
            if x > 0.0:
                # Never beyond what the limits have left (float noise, lifted minimums).
                room = x
                for r, a in units[i].coeffs:
                    if caps[r] != _INF:
                        free = (caps[r] - load[r]) / a
                        room = min(room, free)
                x = room if room >= lo else 0.0
                x = _round(units[i], x, policy, lo) if x > 0 else 0.0
                for r, a in units[i].coeffs:
                    load[r] += a * x
            row[i] = x
            if remaining[i] != _INF:
                remaining[i] = max(
                    0.0, remaining[i] - x * units[i].evse.efficiency * slot_h * setup.fraction[k][i]
                )
        _top_up(setup, policy, k, row, load, remaining, binds)
        for i in range(n):
            if setup.fraction[k][i] > 0.0 and binds[i] is _NO_SESSION:
                binds[i] = _binding_for(units[i], row[i], bounds[i], caps, load, why, problem)
        out_binds.append(binds)
        if v2x is not None:
            v2x.book(k, row)
    return rates, out_binds


def _top_up(  # noqa: PLR0917 - internal
    setup: SlotSetup,
    policy: Policy,
    k: int,
    row: list[float],
    load: list[float],
    remaining: list[float],
    binds: list[Binding],
) -> None:
    """Give what minimums and rounding left unused in slot ``k`` to sessions wanting more.

    Earliest departure first; the repair must not lose the LP's energy.
    """
    units = setup.problem.units
    caps = setup.caps[k]
    bounds = setup.bounds[k]
    slot_h = setup.slot_s / 3600.0
    present = [
        i
        for i in range(len(units))
        if setup.fraction[k][i] > 0.0 and remaining[i] > 1e-9 and binds[i] is _NO_SESSION
    ]
    present.sort(key=lambda i: (setup.departure_s[i], units[i].session.key))
    for i in present:
        unit = units[i]
        x = row[i]
        lo = bounds[i].lo
        f = setup.fraction[k][i]
        energy_per_w = unit.evse.efficiency * slot_h * f
        need = _INF if remaining[i] == _INF else remaining[i] / energy_per_w
        room = _INF
        for r, a in unit.coeffs:
            if caps[r] != _INF:
                room = min(room, (caps[r] - load[r]) / a)
        target = min(bounds[i].hi, x + room, max(x, x + need))
        if target <= x + 1e-9:
            continue
        if x <= 0.0 and target < lo:
            continue
        target = _round(unit, target, policy, lo)
        extra = target - x
        if extra <= 1e-9:
            continue
        for r, a in unit.coeffs:
            load[r] += a * extra
        row[i] = target
        if remaining[i] != _INF:
            remaining[i] = max(0.0, remaining[i] - extra * energy_per_w)


def _binding_for(  # noqa: PLR0917 - internal
    unit: Any,
    x: float,
    bounds: Bounds,
    caps: list[float],
    load: list[float],
    why: list[Any],
    problem: Any,
) -> Binding:
    """Which limit is tight for a unit at rate ``x`` (the least slack on its path)."""
    if x >= bounds.hi - 1e-6:
        return bounds.hi_binding
    best = -1
    best_slack = _INF
    for r, a in unit.coeffs:
        if caps[r] == _INF:
            continue
        slack = (caps[r] - load[r]) / a
        if slack < best_slack:
            best, best_slack = r, slack
    if best >= 0 and best_slack <= max(1.0, 0.01 * bounds.hi):
        binding: Binding = problem.binding_of(best, why)
        return (
            binding
            if x > 0
            else Binding(
                kind=BindingKind.BELOW_MINIMUM,
                circuit=binding.circuit,
                phase=binding.phase,
                station_id=binding.station_id,
                limit_id=binding.limit_id,
                source=binding.source,
            )
        )
    return _BIND_OBJECTIVE
