"""The LP planner with V2X: discharge columns, the deficit, the floor and the goals.

Theory of operation
-------------------
Used by :func:`~ocpp_core.energy._lp.solve_lp` when some session may discharge
(see :mod:`._discharge`). Each such session gets, beside its charging column
``c[i,k] >= 0``, a discharge column ``d[i,k] >= 0`` (grid W, up to its discharge
maximum) in every slot it is plugged in throughout; its grid power is
``c - d`` and its battery gains ``e c - d (slot / efficiency)``. Rows added to
the charging model of :mod:`._lp`:

* **Deficit** (slots where the base load alone breaks a limit ``r``):
  ``sum a[r][i] d[i,k] + s[r,k] >= deficit``, the slack ``s`` in
  ``[0, deficit]``; the import rows stay on ``c`` alone, so a discharge never
  makes room for another EV to charge.
* **Export**: on every limit above a discharging EV, ``sum a[r][i] d[i,k]`` stays
  within the export room (a circuit's ``export_limit_w`` plus its base load; a
  current limit plus the base load on that line, since a fuse holds both ways;
  a station's limits), charging elsewhere not counted.
* **Battery floor**: at every discharge slot the session's delivered energy stays
  at or above its floor. A session already below its floor at the plan start is
  not discharged in this plan (the floor row would force it to charge).
* **Battery ceiling**: before every discharge slot, the net energy planned stays
  within the energy still wanted (the EV stops charging when it has it).
* **Departure goals**: first the charging-only model is solved for the most
  energy by each departure (stage 1 of :mod:`._lp`); every session with a
  departure and an energy goal must then get at least that net energy, so
  discharging never costs a goal anything.

Stages: (0) cover the most deficit; (1) the most net energy (a discharge costs
a little more than any charging bonus gains, so there is no cycling to move
energy early); (2) max-min fairness of the served fraction; (3) with prices, the
cost: energy bought at the slot's price, energy discharged sold at it, plus
``Policy.cycle_cost_per_kwh`` per kWh taken from a battery; without prices, the
peak of the site's net power (EVSEs and the grid connection's base load), with
small costs on rate changes and on cycling.

The repair (:func:`repair_discharges`) rounds each discharge's magnitude on the
policy's step (up where the bounds allow, to keep the deficit covered), clamps it
to the floor the plan has really reached, and says why (deficit, arbitrage or
peak shaving) and what bounds it.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from ocpp_core.energy._discharge import _BIND_COVERED, _BIND_FLOOR, V2x, keep_goals
from ocpp_core.energy._lp import _highs, _Model, _repair, _stage_energy, solve_lp
from ocpp_core.energy._model import Policy
from ocpp_core.energy._plan import SlotSetup
from ocpp_core.energy._results import (
    Binding,
    BindingKind,
    Discharge,
    DischargeReason,
)

__all__ = ["repair_discharges", "solve_v2x"]

_INF = math.inf
_OBJECTIVE = Binding(kind=BindingKind.OBJECTIVE)
_DISCHARGE_PENALTY = 2e-3
"""Stage 1: a discharged Wh costs this much more than a charged Wh gains (the early
bonus of :mod:`._lp` is at most 1e-3), so no cycle moves energy for the bonus."""


class _V2xModel:
    """The charging model of :mod:`._lp` plus discharge and slack columns and rows."""

    def __init__(
        self, setup: SlotSetup, policy: Policy, v2x: V2x, highspy: Any, goals: dict[int, float]
    ) -> None:
        self.base = base = _Model(setup, highspy)
        self.setup = setup
        self.v2x = v2x
        h = base.h
        units = setup.problem.units
        slot_h = setup.slot_s / 3600.0
        first = h.getNumCol()
        # Discharge columns: capable sessions, slots they are present throughout, at or
        # above their floor at the plan start.
        self.dcols: list[tuple[int, int]] = []
        self.denergy: list[float] = []
        upper: list[float] = []
        for i in v2x.capable:
            if v2x.level[i] < v2x.floor[i]:
                continue
            eff = units[i].evse.efficiency
            for k in range(setup.slots):
                if setup.fraction[k][i] >= 1.0 - 1e-9:
                    self.dcols.append((i, k))
                    self.denergy.append(slot_h / eff)
                    upper.append(v2x.dmax[i])
        self.first_d = first
        if self.dcols:
            h.addVars(len(self.dcols), [0.0] * len(self.dcols), upper)
        self.d_by_slot: dict[int, list[int]] = {}
        self.d_by_unit: dict[int, list[int]] = {}
        for j, (i, k) in enumerate(self.dcols):
            self.d_by_slot.setdefault(k, []).append(first + j)
            self.d_by_unit.setdefault(i, []).append(first + j)
        # Energy rows: the battery loses what is discharged.
        for i, cols in self.d_by_unit.items():
            row = base.energy_row.get(i)
            if row is not None:
                for col in cols:
                    h.changeCoeff(row, col, -self.denergy[col - first])
        self._deficit_and_export_rows()
        self._battery_rows()
        # Departure goals: at least the energy of the charging-only optimum.
        for i, goal in goals.items():
            entries = self.net_entries(i)
            if entries:
                base._row(entries, goal * (1 - 1e-6) - 1e-6, _INF)

    def dcol(self, col: int) -> tuple[int, int]:
        """The (unit, slot) of a discharge column."""
        found: tuple[int, int] = self.dcols[col - self.first_d]
        return found

    def net_entries(self, i: int) -> list[tuple[int, float]]:
        """Battery energy of unit ``i`` over the horizon, as row entries."""
        base = self.base
        entries = [(c, base.energy[c]) for c in base.unit_cols.get(i, [])]
        entries.extend((c, -self.denergy[c - self.first_d]) for c in self.d_by_unit.get(i, []))
        return entries

    def _deficit_and_export_rows(self) -> None:
        base, v2x = self.base, self.v2x
        h = base.h
        self.slacks: list[int] = []
        for k, cols in sorted(self.d_by_slot.items()):
            per_resource: dict[int, list[tuple[int, float]]] = {}
            for col in cols:
                i, _ = self.dcol(col)
                for r, a in v2x.coeffs[i]:
                    per_resource.setdefault(r, []).append((col, a))
            rooms = v2x.export_room(k)
            deficits = v2x.deficits(k)
            for r in sorted(per_resource):
                entries = per_resource[r]
                if rooms[r] != _INF:
                    base._row(entries, -_INF, rooms[r])
                need = deficits.get(r)
                if need is not None:
                    slack = h.getNumCol()
                    h.addVar(0.0, need)
                    self.slacks.append(slack)
                    base._row([*entries, (slack, 1.0)], need, _INF)

    def _battery_rows(self) -> None:
        base, v2x = self.base, self.v2x
        for i, dcols in self.d_by_unit.items():
            charge = sorted(base.unit_cols.get(i, []), key=lambda c: base.cols[c][1])
            ordered = sorted(dcols, key=lambda c: self.dcol(c)[1])
            remaining = base.remaining.get(i)
            for col in ordered:
                k = self.dcol(col)[1]
                before = [(c, base.energy[c]) for c in charge if base.cols[c][1] < k]
                before.extend(
                    (c, -self.denergy[c - self.first_d]) for c in ordered if self.dcol(c)[1] < k
                )
                # Floor: delivered + net energy up to and including slot k >= floor.
                floor_entries = [*before, (col, -self.denergy[col - self.first_d])]
                floor_entries.extend((c, base.energy[c]) for c in charge if base.cols[c][1] == k)
                base._row(floor_entries, v2x.floor[i] - v2x.level[i], _INF)
                # Ceiling: the energy still wanted bounds the net energy before slot k.
                if remaining is not None and before:
                    base._row(before, -_INF, remaining)

    def width(self) -> int:
        return int(self.base.h.getNumCol())


def solve_v2x(setup: SlotSetup, policy: Policy) -> tuple[list[list[float]], list[list[Binding]]]:
    """Optimal per-slot rates with discharging (then repaired and rounded).

    The LP keeps every departure goal; the minimum repair cannot always follow it (a
    recharge below the EV's minimum current is dropped), so the result goes through
    :func:`~ocpp_core.energy._discharge.keep_goals` against the charging-only plan.
    """
    v2x = setup.v2x
    assert v2x is not None
    highspy = _highs()
    # The charging-only optimum: each departure goal's energy to keep.
    reference = _Model(setup, highspy)
    goals: dict[int, float] = {}
    if reference.cols:
        x0, _ = _stage_energy(reference)
        for i, cols in reference.unit_cols.items():
            if setup.departure_s[i] != _INF and i in reference.remaining:
                goals[i] = sum(reference.energy[c] * x0[c] for c in cols)

    def solve() -> tuple[list[list[float]], list[list[Binding]]]:
        current = setup.v2x
        if current is None:
            return solve_lp(setup, policy)
        return _solve_once(setup, policy, current, highspy, goals)

    return keep_goals(setup, policy, solve, goals)


def _solve_once(
    setup: SlotSetup, policy: Policy, v2x: V2x, highspy: Any, goals: dict[int, float]
) -> tuple[list[list[float]], list[list[Binding]]]:
    units = setup.problem.units
    rates = [[0.0] * len(units) for _ in range(setup.slots)]
    model = _V2xModel(setup, policy, v2x, highspy, goals)
    base = model.base
    if not base.cols and not model.dcols:
        return _repair(setup, policy, rates)
    # Stage 0: cover the most deficit.
    if model.slacks:
        costs = [0.0] * model.width()
        for s in model.slacks:
            costs[s] = 1.0
        x = base.solve(costs, maximize=False)
        worst = sum(x[s] for s in model.slacks)
        base._row([(s, 1.0) for s in model.slacks], -_INF, worst + 1e-6 + 1e-9 * worst)
    # Stage 1: the most net energy (charging early breaks ties, discharging costs a bit).
    slots = setup.slots
    costs = [0.0] * model.width()
    for c, (_, k) in enumerate(base.cols):
        costs[c] = base.energy[c] * (1.0 + 1e-3 * (slots - k) / slots)
    for j in range(len(model.dcols)):
        costs[model.first_d + j] = -model.denergy[j] * (1.0 + _DISCHARGE_PENALTY)
    x = base.solve(costs, maximize=True)
    energies = _energies(model)
    total = sum(e * x[c] for c, e in energies)
    base._row(energies, total - 1e-6 * abs(total) - 1e-6, _INF)
    # Stage 2: fairness of the served fraction.
    fair = [i for i, rem in base.remaining.items() if rem > 1e-9 and model.net_entries(i)]
    if fair:
        # A session without a departure may end below where it started (a deficit took
        # from it): the served fraction may be negative.
        base.h.addVar(-base.highspy.kHighsInf, 1.0)
        z = model.width() - 1
        for i in fair:
            base._row([*model.net_entries(i), (z, -base.remaining[i])], 0.0, _INF)
        costs = [0.0] * model.width()
        costs[z] = 1.0
        x = base.solve(costs, maximize=True)
        base._row([(z, 1.0)], x[z] - 1e-6 * abs(x[z]) - 1e-9, _INF)
    # Stage 3: cost or peak.
    x = _stage_cost(model, policy) if policy.prices is not None else _stage_peak(model)
    for c, (i, k) in enumerate(base.cols):
        rates[k][i] += max(0.0, x[c])
    for j, (i, k) in enumerate(model.dcols):
        rates[k][i] -= max(0.0, x[model.first_d + j])
    for k in range(setup.slots):
        for i in v2x.capable:
            if abs(rates[k][i]) < 1e-6:
                rates[k][i] = 0.0
    v2x.lp_reason = DischargeReason.ARBITRAGE if policy.prices is not None else None
    return _repair(setup, policy, rates)


def _energies(model: _V2xModel) -> list[tuple[int, float]]:
    """Battery energy per column (charging positive, discharging negative)."""
    out = list(enumerate(model.base.energy))
    out.extend((model.first_d + j, -e) for j, e in enumerate(model.denergy))
    return out


def _stage_cost(model: _V2xModel, policy: Policy) -> list[float]:
    base, setup = model.base, model.setup
    prices = policy.prices
    assert prices is not None
    slot_h = setup.slot_s / 3600.0
    units = setup.problem.units

    def price(k: int) -> float:
        value = prices.at(setup.slot_start(k))
        return value.power_w if value is not None and value.power_w is not None else 0.0

    # Steady rates break ties: a change costs far less than any price difference.
    first_change, n_changes = _change_columns(model)
    costs = [0.0] * model.width()
    for j in range(n_changes):
        costs[first_change + j] = 1e-9
    for c, (_, k) in enumerate(base.cols):
        costs[c] = price(k) * slot_h / 1000.0
    for j, (i, k) in enumerate(model.dcols):
        eff = units[i].evse.efficiency
        costs[model.first_d + j] = -price(
            k
        ) * slot_h / 1000.0 + policy.cycle_cost_per_kwh * slot_h / (1000.0 * eff)
    return base.solve(costs, maximize=False)


def _change_columns(model: _V2xModel) -> tuple[int, int]:
    """Columns ``|x[i,k+1] - x[i,k]|`` for every session's charge and discharge columns."""
    base = model.base
    changes: list[tuple[int, int]] = []
    for cols in base.unit_cols.values():
        ordered = sorted(cols, key=lambda c: base.cols[c][1])
        changes.extend(itertools.pairwise(ordered))
    for cols in model.d_by_unit.values():
        ordered = sorted(cols, key=lambda c: model.dcol(c)[1])
        changes.extend(itertools.pairwise(ordered))
    first = model.width()
    if changes:
        inf = base.highspy.kHighsInf
        base.h.addVars(len(changes), [0.0] * len(changes), [inf] * len(changes))
        for j, (a, b) in enumerate(changes):
            d = first + j
            base._row([(d, 1.0), (a, -1.0), (b, 1.0)], 0.0, _INF)
            base._row([(d, 1.0), (a, 1.0), (b, -1.0)], 0.0, _INF)
    return first, len(changes)


def _stage_peak(model: _V2xModel) -> list[float]:
    base, setup = model.base, model.setup
    h = base.h
    h.addVar(-base.highspy.kHighsInf, base.highspy.kHighsInf)
    peak = model.width() - 1
    root = setup.problem.site.root
    by_slot: dict[int, list[tuple[int, float]]] = {}
    for c, (_, k) in enumerate(base.cols):
        by_slot.setdefault(k, []).append((c, 1.0))
    for k, cols in model.d_by_slot.items():
        by_slot.setdefault(k, []).extend((c, -1.0) for c in cols)
    for k in range(setup.slots):
        entries = by_slot.get(k, [])
        load = root.load_at(setup.slot_start(k), setup.slot_start(k + 1))
        base_w = 0.0
        if load is not None:
            if load.power_w is not None:
                base_w = load.power_w
            elif load.current_a is not None:
                base_w = sum(load.current_a) * setup.problem.site.voltage
        base._row([*entries, (peak, -1.0)], -_INF, -base_w)
    # Small costs on rate changes (steady profiles) and on cycling.
    first_change, n_changes = _change_columns(model)
    costs = [0.0] * model.width()
    costs[peak] = 1.0
    for j in range(n_changes):
        costs[first_change + j] = 1e-3
    slot_h = setup.slot_s / 3600.0
    for j in range(len(model.dcols)):
        costs[model.first_d + j] = 1e-4 * slot_h
    return base.solve(costs, maximize=False)


def repair_discharges(
    v2x: V2x, k: int, row: list[float], binds: list[Binding], remaining: list[float]
) -> None:
    """Round slot ``k``'s discharges, clamp them to their bounds, explain them."""
    setup = v2x.setup
    units = setup.problem.units
    slot_h = setup.slot_s / 3600.0
    rooms = v2x.export_room(k)
    deficits = v2x.deficits(k)
    load: dict[int, float] = {}
    for i in sorted(v2x.capable, key=lambda j: units[j].session.key):
        x = row[i]
        if x >= 0.0:
            continue
        eff = units[i].evse.efficiency
        top, binding = v2x.dmax[i], v2x.dmax_binding[i]
        floor_w = max(0.0, v2x.level[i] - v2x.floor[i]) * eff / slot_h
        if floor_w < top:
            top, binding = floor_w, _BIND_FLOOR
        tight_room: int | None = None
        for r, a in v2x.coeffs[i]:
            if rooms[r] != _INF:
                free = (rooms[r] - load.get(r, 0.0)) / a
                if free < top:
                    top, tight_room = max(0.0, free), r
        y = min(-x, top)
        if any(r in deficits for r, _ in v2x.coeffs[i]):
            # Up where it fits: the deficit stays covered despite rounding.
            y = v2x._round(units[i], y, top, v2x.coeffs[i], rooms, load)
        else:
            y = v2x._steps(units[i], y)[0]  # down: never more than the LP chose
        if y <= 0.0:
            row[i] = 0.0
            continue
        for r, a in v2x.coeffs[i]:
            load[r] = load.get(r, 0.0) + a * y
        row[i] = -y
        if remaining[i] != _INF:
            remaining[i] += y / eff * slot_h
        under = [r for r, _ in v2x.coeffs[i] if r in deficits]
        if under:
            worst = max(under, key=lambda r: (deficits[r], -r))
            v2x.reasons[i, k] = Discharge(
                reason=DischargeReason.DEFICIT,
                limit=setup.problem.binding_of(worst, setup.why[k]),
            )
        else:
            v2x.reasons[i, k] = Discharge(
                reason=v2x.lp_reason or DischargeReason.PEAK_SHAVING,
            )
        if y >= v2x._steps(units[i], top)[0] - 1e-6:
            binds[i] = binding if tight_room is None else v2x._room_binding(tight_room, k)
        elif under:
            binds[i] = _BIND_COVERED
        else:
            binds[i] = _OBJECTIVE
    if not deficits:
        return
    # What rounding and the floor the plan really reached leave uncovered, the others
    # cover (fairly, as the greedy planner does).
    already = {i: -row[i] for i in v2x.capable if row[i] < 0.0}
    hi = [b.hi for b in setup.bounds[k]]
    for i, (y, binding) in v2x.cover(k, remaining, hi, already).items():
        before = already.get(i, 0.0)
        row[i] = -y
        binds[i] = binding
        if remaining[i] != _INF:
            remaining[i] += (y - before) / units[i].evse.efficiency * slot_h
