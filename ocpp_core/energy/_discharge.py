"""V2X: which sessions may discharge, how much, and the greedy planner's deficit cover.

Theory of operation
-------------------
A session may discharge when its station speaks OCPP 2.1 (only 2.1 has setpoints
and discharge limits), its EVSE has ``discharge_max_power_w > 0`` and the EV
offers discharging (``Session.discharge_max_power_w > 0``), and only in slots it
is plugged in from start to end (a deficit holds the whole slot). A discharge is
a negative grid power ``x``; the battery gives ``-x / efficiency``.

Bounds on a discharge, per slot (all in grid W):

* the EV's and the EVSE's discharge maximum (DC: at the output, times the
  efficiency), and for AC the EVSE's and EV's current rating;
* the battery floor: the session's delivered energy (``energy_delivered_wh`` plus
  what the plan has booked so far) never goes below ``min_energy_wh`` (0 when
  unset: an EV gives back at most what it took in this session);
* every limit in the export direction: a circuit's current limit holds for
  current flowing either way (a fuse does not care), a circuit's
  ``export_limit_w`` bounds its net export (EV discharge minus base load), a
  station's limits hold both ways. Charging elsewhere is not counted as room
  (conservative);
* greedy only, the departure reserve: a session with a departure and an energy
  goal discharges only what it could recharge, with the rest of its goal, at its
  maximum rate within ``Policy.discharge_headroom`` of its time left after the
  slot.

Departure goals keep priority in both planners: :func:`keep_goals` compares
the plan with the charging-only plan and plans again without the discharges of
any session with a departure goal that would get less (or that cost another
session energy).

The greedy planner discharges only to cover a **deficit**: a slot where the
base load alone breaks a limit (a grid-critical curtailment, a limit schedule
dipping below the building's evening load). Every session that may discharge and
sits below such a limit discharges at a common level ``t`` times its weight
(water-filling, like :mod:`._core`), freezing when it reaches its bound, when an
export room fills, or when every deficit above it is covered. What stays
uncovered is reported as a :class:`~ocpp_core.energy.LimitViolation`. A
discharge never makes room for another EV to charge: energy moved from one EV to
another only loses to efficiency.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeAlias

from ocpp_core.energy._core import _LINE_INDEX, floor_step
from ocpp_core.energy._model import PhaseType, Policy, Session, SiteEvse, SiteStation
from ocpp_core.energy._results import (
    Binding,
    BindingKind,
    Discharge,
    DischargeReason,
    LimitViolation,
)
from ocpp_core.versions import OcppVersion

if TYPE_CHECKING:
    from ocpp_core.energy._core import Unit
    from ocpp_core.energy._plan import SlotSetup

__all__ = ["V2x", "discharge_note", "keep_goals", "net_energy"]

Rates: TypeAlias = tuple[list[list[float]], list[list[Binding]]]
"""Per-slot rates and bindings, as the planners return them."""

_INF = math.inf
_EPS = 1e-9
_BIND_EV_DIS = Binding(kind=BindingKind.EV_DISCHARGE_MAXIMUM)
_BIND_EVSE_DIS = Binding(kind=BindingKind.EVSE_DISCHARGE_MAXIMUM)
_BIND_FLOOR = Binding(kind=BindingKind.BATTERY_FLOOR)
_BIND_RESERVE = Binding(kind=BindingKind.DEPARTURE_RESERVE)
_BIND_COVERED = Binding(kind=BindingKind.DEFICIT_COVERED)


def discharge_note(
    station: SiteStation, evse: SiteEvse, session: Session, policy: Policy
) -> str | None:
    """Why a session that offers discharging gets none (``None``: it may discharge)."""
    if not session.discharge_max_power_w:
        return None
    if not policy.allow_discharge:
        return "no discharge: the policy does not allow it (allow_discharge=False)"
    if station.version is not OcppVersion.V21:
        return (
            f"no discharge: station {station.id!r} speaks OCPP {station.version.value}; "
            "discharging needs OCPP 2.1 (setpoints and discharge limits)"
        )
    if evse.discharge_max_power_w <= 0:
        return (
            f"no discharge: EVSE {evse.station_id}#{evse.evse_id} cannot discharge "
            "(discharge_max_power_w is 0)"
        )
    return None


def _energy_out(x: float, efficiency: float) -> float:
    """Battery energy per W of grid power (signed): charging x eff, discharging x / eff."""
    return x * efficiency if x >= 0.0 else x / efficiency


class V2x:
    """The V2X side of one plan: capable units, their bounds, and per-slot rooms.

    Built by :meth:`of` only when some session may discharge.
    """

    def __init__(self, setup: SlotSetup, policy: Policy, capable: list[int]) -> None:
        self.setup = setup
        self.policy = policy
        self.fair = setup.problem.fair_weights(policy)
        problem = setup.problem
        units = problem.units
        n = len(units)
        self.capable = capable
        self.is_capable = [False] * n
        self.dmax = [0.0] * n
        self.dmax_binding: list[Binding] = [_BIND_EVSE_DIS] * n
        self.level = [0.0] * n
        self.floor = [0.0] * n
        self.coeffs: dict[int, list[tuple[int, float]]] = {}
        self.reasons: dict[tuple[int, int], Discharge] = {}
        """Why each (unit, slot) discharges."""
        self.lp_reason: DischargeReason | None = None
        """The LP planner's reason for discharges that cover no deficit (arbitrage with
        prices; ``None``: peak shaving)."""
        layout = problem.site.layout
        for i in capable:
            unit = units[i]
            self.is_capable[i] = True
            self.dmax[i], self.dmax_binding[i] = _discharge_max(unit)
            session = unit.session
            self.level[i] = session.energy_delivered_wh
            self.floor[i] = session.min_energy_wh or 0.0
            per_line = [0.0, 0.0, 0.0]
            share = 1.0 / (unit.conductors * unit.voltage)
            for line in unit.grid_phases:
                per_line[_LINE_INDEX[line]] += share
            coeffs: list[tuple[int, float]] = []
            for group in layout.groups[unit.evse.key]:
                coeffs.extend((group[k], per_line[k]) for k in range(3) if per_line[k] > 0.0)
                coeffs.append((group[3], 1.0))
            self.coeffs[i] = coeffs
        self._raw: dict[int, list[float]] = {}

    @classmethod
    def of(cls, setup: SlotSetup, policy: Policy) -> V2x | None:
        """The V2X data of ``setup``, or ``None`` when no session may discharge."""
        if not policy.allow_discharge:
            return None
        site = setup.problem.site
        capable = [
            u.index
            for u in setup.problem.units
            if u.session.discharge_max_power_w
            and u.evse.discharge_max_power_w > 0.0
            and site.station(u.evse.station_id).version is OcppVersion.V21
        ]
        return cls(setup, policy, capable) if capable else None

    # ---------------------------------------------------------------- rooms

    def raw(self, k: int) -> list[float]:
        """Per resource ``r``: ``[2r]`` its limit (before the base load), ``[2r+1]`` the load."""
        found = self._raw.get(k)
        if found is None:
            found = raw_limits(self.setup, k)
            self._raw[k] = found
        return found

    def export_room(self, k: int) -> list[float]:
        """Per resource: how far the net may go below 0 (in its unit), ``inf``: unbounded."""
        raw = self.raw(k)
        problem = self.setup.problem
        site = problem.site
        out = [_INF] * problem.resource_count
        for r, (kind, circuit, _phase, _station) in enumerate(site.layout.resources):
            cap, load = raw[2 * r], raw[2 * r + 1]
            if kind == "power":
                limit = site.circuit(circuit or "").export_limit_w
                out[r] = _INF if limit is None else limit + load
            elif cap != _INF:
                out[r] = cap + load
        return out

    def deficits(self, k: int) -> dict[int, float]:
        """Resources the base load alone breaks in slot ``k``, with the excess."""
        return deficits_of(self.raw(k))

    # ---------------------------------------------------------------- greedy

    def slot_bounds(
        self, k: int, candidates: list[int], remaining: list[float], hi: list[float]
    ) -> dict[int, tuple[float, Binding]]:
        """Each candidate's most discharge in slot ``k`` (grid W) and what sets it.

        ``hi``: each unit's charging maximum (grid W) for the departure reserve.
        """
        setup = self.setup
        units = setup.problem.units
        slot_h = setup.slot_s / 3600.0
        end_s = (k + 1) * setup.slot_s
        headroom = self.policy.discharge_headroom
        out: dict[int, tuple[float, Binding]] = {}
        for i in candidates:
            eff = units[i].evse.efficiency
            best, binding = self.dmax[i], self.dmax_binding[i]
            floor_w = max(0.0, self.level[i] - self.floor[i]) * eff / slot_h
            if floor_w < best:
                best, binding = floor_w, _BIND_FLOOR
            departure = setup.departure_s[i]
            if departure != _INF and remaining[i] != _INF:
                left_h = max(0.0, departure - end_s) / 3600.0
                spare = headroom * left_h * hi[i] * eff - remaining[i]
                reserve_w = max(0.0, spare) * eff / slot_h
                if reserve_w < best:
                    best, binding = reserve_w, _BIND_RESERVE
            if best > _EPS:
                out[i] = (best, binding)
        return out

    def cover(
        self,
        k: int,
        remaining: list[float],
        hi: list[float],
        already: dict[int, float] | None = None,
    ) -> dict[int, tuple[float, Binding]]:
        """Discharge capable sessions to cover slot ``k``'s deficits, fairly by weight.

        ``already``: discharges planned before (the LP planner's, after its repair);
        the cover only adds what they leave uncovered. Returns the units whose
        discharge it sets, with their whole rate (grid W, positive) and binding.
        """
        deficits = self.deficits(k)
        if not deficits:
            return {}
        setup = self.setup
        fraction = setup.fraction[k]
        present = [i for i in self.capable if fraction[i] >= 1.0 - 1e-9]
        totals = self.slot_bounds(k, present, remaining, hi)
        before = already or {}
        bounds = {
            i: (top - before.get(i, 0.0), why)
            for i, (top, why) in totals.items()
            if top - before.get(i, 0.0) > _EPS
        }
        if not bounds:
            return {}
        rooms = self.export_room(k)
        coeffs = self.coeffs
        fair = self.fair
        weights = {i: fair[i] for i in bounds}
        touches = {i: under_all(coeffs[i]) for i in bounds}
        need = {r: d for r, d in deficits.items() if any(r in touches[i] for i in bounds)}
        if not need:
            return {}
        under = {i: touches[i] & need.keys() for i in bounds}
        growing = {i for i in bounds if under[i]}
        value = dict.fromkeys(growing, 0.0)
        binding: dict[int, Binding] = {}
        fixed: dict[int, float] = {}
        for i, y in before.items():
            for q, a in coeffs[i]:
                fixed[q] = fixed.get(q, 0.0) + a * y
        covered: set[int] = set()
        full: set[int] = set()
        level = 0.0
        while growing:
            slope: dict[int, float] = {}
            for i in growing:
                w = weights[i]
                for q, a in coeffs[i]:
                    slope[q] = slope.get(q, 0.0) + a * w
            nxt, kind, what = _INF, "", -1
            for i in growing:
                t = bounds[i][0] / weights[i]
                if t < nxt:
                    nxt, kind, what = t, "unit", i
            for q, s in slope.items():
                if s <= 0.0:
                    continue
                if q in need and q not in covered:
                    t = (need[q] - fixed.get(q, 0.0)) / s
                    if t < nxt:
                        nxt, kind, what = t, "need", q
                room = rooms[q]
                if room != _INF and q not in full:
                    t = (room - fixed.get(q, 0.0)) / s
                    if t < nxt:
                        nxt, kind, what = t, "room", q
            if nxt == _INF:  # pragma: no cover - every unit has a finite bound
                break
            level = max(level, nxt)
            frozen: list[tuple[int, Binding]] = []
            if kind == "unit":
                frozen.append((what, bounds[what][1]))
            elif kind == "room":
                full.add(what)
                room_binding = self._room_binding(what, k)
                frozen.extend((i, room_binding) for i in growing if what in touches[i])
            else:
                covered.add(what)
                frozen.extend(
                    (i, _BIND_COVERED) for i in growing if under[i] and under[i] <= covered
                )
            for i, why in frozen:
                if i not in growing:
                    continue
                growing.discard(i)
                value[i] = weights[i] * level
                binding[i] = why
                for q, a in coeffs[i]:
                    fixed[q] = fixed.get(q, 0.0) + a * value[i]
        # Round down (always safe), then up where every room still allows it (the
        # deficit stays covered despite rounding).
        load: dict[int, float] = {}
        for i, y in before.items():
            if i not in value:
                for q, a in coeffs[i]:
                    load[q] = load.get(q, 0.0) + a * y
        units = setup.problem.units
        order = sorted(value, key=lambda j: units[j].session.key)
        steps = {i: self._steps(units[i], before.get(i, 0.0) + value[i]) for i in order}
        chosen: dict[int, float] = {}
        for i in order:
            chosen[i] = steps[i][0]
            for q, a in coeffs[i]:
                load[q] = load.get(q, 0.0) + a * chosen[i]
        for i in order:
            _raise_to(i, steps[i][1], chosen, totals, coeffs, rooms, load)
        # A unit rounded down at its bound leaves a little uncovered: others take a
        # step more while they can.
        self._bump(order, chosen, totals, coeffs, rooms, load, need)
        out: dict[int, tuple[float, Binding]] = {}
        for i in order:
            y = chosen[i]
            if y <= 0.0:
                continue
            out[i] = (y, binding[i])
            reason_r = max(under[i], key=lambda q: (need[q], -q))
            self.reasons[i, k] = Discharge(
                reason=DischargeReason.DEFICIT,
                limit=setup.problem.binding_of(reason_r, setup.why[k]),
            )
        return out

    def _bump(  # noqa: PLR0917 - internal
        self,
        order: list[int],
        chosen: dict[int, float],
        totals: dict[int, tuple[float, Binding]],
        coeffs: dict[int, list[tuple[int, float]]],
        rooms: list[float],
        load: dict[int, float],
        need: dict[int, float],
    ) -> None:
        """Add rounding steps to units below an uncovered deficit while bounds allow."""
        units = self.setup.problem.units
        for _ in range(8):
            short = {r for r, d in need.items() if load.get(r, 0.0) < d - 1e-9}
            if not short:
                return
            moved = False
            for i in order:
                if not any(q in short for q, _ in coeffs[i]):
                    continue
                _, up = self._steps(units[i], chosen[i] + 1e-6)
                moved |= _raise_to(i, up, chosen, totals, coeffs, rooms, load)
            if not moved:
                return

    def _steps(self, unit: Unit, y: float) -> tuple[float, float]:
        """A discharge magnitude (grid W) rounded down and up to the policy's step."""
        if y <= _EPS:
            return 0.0, 0.0
        policy = self.policy
        if unit.evse.phase_type is PhaseType.AC:
            per = unit.watts_per_amp
            step = policy.current_step_a
        else:
            per = unit.evse.efficiency  # grid W per W at the output
            step = policy.power_step_w
        scaled = y / per
        down = floor_step(scaled, step)
        up = down if abs(down - scaled) <= 1e-9 else round(down + step, 9)
        return down * per, up * per

    def _round(  # noqa: PLR0917 - internal
        self,
        unit: Unit,
        y: float,
        top: float,
        coeffs: list[tuple[int, float]],
        rooms: list[float],
        load: dict[int, float],
    ) -> float:
        """A discharge magnitude on the policy's steps: up where it fits, else down."""
        down, up = self._steps(unit, y)
        if up <= top + 1e-9 and all(
            rooms[q] == _INF or load.get(q, 0.0) + a * up <= rooms[q] + 1e-9 for q, a in coeffs
        ):
            return up
        return down

    def _room_binding(self, r: int, k: int) -> Binding:
        kind, circuit, _phase, _station = self.setup.problem.site.layout.resources[r]
        if kind == "power":
            return Binding(kind=BindingKind.EXPORT_LIMIT, circuit=circuit)
        return self.setup.problem.binding_of(r, self.setup.why[k])

    def book(self, k: int, rates: list[float]) -> None:
        """Book slot ``k``'s rates into the batteries' levels (for the floor).

        An EV stops charging when it has the energy it wants (a rate lifted to its
        minimum may offer more), so a level never goes above ``energy_wanted_wh``.
        """
        setup = self.setup
        units = setup.problem.units
        slot_h = setup.slot_s / 3600.0
        fraction = setup.fraction[k]
        for i in self.capable:
            x = rates[i]
            if x != 0.0:
                self.level[i] = step_level(self.level[i], x, units[i], slot_h * fraction[i])


def step_level(level: float, x: float, unit: Unit, hours: float) -> float:
    """A battery's delivered energy after ``hours`` at grid power ``x`` (capped when full)."""
    after = level + _energy_out(x, unit.evse.efficiency) * hours
    wanted = unit.session.energy_wanted_wh
    if x <= 0.0 or wanted is None:
        return after
    return min(after, max(level, wanted))


def under_all(coeffs: list[tuple[int, float]]) -> set[int]:
    """The resources a unit loads."""
    return {q for q, _ in coeffs}


def _discharge_max(unit: Unit) -> tuple[float, Binding]:
    """The unit's discharge maximum in grid W and which side sets it."""
    evse, session = unit.evse, unit.session
    ev = session.discharge_max_power_w or 0.0
    if evse.phase_type is PhaseType.AC:
        best, binding = evse.discharge_max_power_w, _BIND_EVSE_DIS
        if ev < best:
            best, binding = ev, _BIND_EV_DIS
        wpa = unit.watts_per_amp
        if evse.max_current_a * wpa < best:
            best, binding = evse.max_current_a * wpa, _BIND_EVSE_DIS
        if session.max_current_a is not None and session.max_current_a * wpa < best:
            best, binding = session.max_current_a * wpa, _BIND_EV_DIS
        return best, binding
    best, binding = evse.discharge_max_power_w, _BIND_EVSE_DIS
    if ev < best:
        best, binding = ev, _BIND_EV_DIS
    return best * evse.efficiency, binding


def raw_limits(setup: SlotSetup, k: int) -> list[float]:
    """Slot ``k``'s limits before the base load and the base loads (see :meth:`V2x.raw`)."""
    problem = setup.problem
    raw = [_INF, 0.0] * problem.resource_count
    t0 = setup.slot_start(k)
    problem.capacities(t0, setup.slot_start(k + 1), raw)
    return raw


def deficits_of(raw: list[float]) -> dict[int, float]:
    """Resources whose base load is above their limit, with the excess."""
    out: dict[int, float] = {}
    for r in range(len(raw) // 2):
        cap, load = raw[2 * r], raw[2 * r + 1]
        if cap != _INF and load - cap > 1e-9:
            out[r] = load - cap
    return out


def violations(setup: SlotSetup, rates: list[list[float]]) -> tuple[LimitViolation, ...]:
    """Slots where the base load breaks a limit and the planned rates do not cover it.

    Only slots where some capacity is 0 can have a deficit, so plans without one
    cost one scan of the capacities.
    """
    problem = setup.problem
    members = problem.members
    out: list[LimitViolation] = []
    seen: dict[int, dict[int, float]] = {}
    for k in range(setup.slots):
        caps = setup.caps[k]
        key = id(caps)
        if key not in seen:
            seen[key] = deficits_of(raw_limits(setup, k)) if 0.0 in caps else {}
        found = seen[key]
        if not found:
            continue
        row = rates[k]
        for r in sorted(found):
            excess = found[r] + sum(a * row[i] for i, a in members[r])
            if excess > 1e-6:
                out.append(
                    LimitViolation(
                        start=k * setup.slot_s,
                        binding=problem.binding_of(r, setup.why[k]),
                        excess=excess,
                    )
                )
    return tuple(out)


def net_energy(setup: SlotSetup, rates: list[list[float]], i: int) -> float:
    """The net energy a plan gives unit ``i`` (its battery full at the energy wanted)."""
    unit = setup.problem.units[i]
    slot_h = setup.slot_s / 3600.0
    first, last = setup.span[i]
    level = unit.session.energy_delivered_wh
    for k in range(first, last + 1):
        f = setup.fraction[k][i]
        if f > 0.0 and rates[k][i] != 0.0:
            level = step_level(level, rates[k][i], unit, slot_h * f)
    return level - unit.session.energy_delivered_wh


def keep_goals(
    setup: SlotSetup, policy: Policy, solve: Callable[[], Rates], goals: Iterable[int]
) -> Rates:
    """Plan with discharging, keeping every departure goal at least as without it.

    ``solve`` plans with ``setup.v2x`` as it finds it (``None``: charging only).
    The charging-only plan is the reference; a session with a departure and an
    energy goal that would get less with discharging stops discharging and the
    plan is made again. When a session that does not discharge would get less
    (the others' recharging took its room), sessions with a departure stop
    discharging, then all. At most three rounds; the last resort is the
    charging-only plan.
    """
    v2x = setup.v2x
    assert v2x is not None
    setup.v2x = None
    try:
        reference = solve()
    finally:
        setup.v2x = v2x
    target = {i: net_energy(setup, reference[0], i) for i in goals}
    capable = list(v2x.capable)
    for _ in range(3):
        setup.v2x = v2x if capable == v2x.capable else V2x(setup, policy, capable)
        result = solve()
        short = [
            i
            for i, want in target.items()
            if net_energy(setup, result[0], i) < want - 1e-3 * max(1.0, want)
        ]
        if not short:
            return result
        if any(i not in capable for i in short):
            keep = [i for i in capable if setup.departure_s[i] == _INF]
            capable = keep if keep != capable else []
        else:
            capable = [i for i in capable if i not in short]
        if not capable:
            break
    setup.v2x = V2x(setup, policy, [])
    return reference


def _raise_to(  # noqa: PLR0917 - internal
    i: int,
    up: float,
    chosen: dict[int, float],
    totals: dict[int, tuple[float, Binding]],
    coeffs: dict[int, list[tuple[int, float]]],
    rooms: list[float],
    load: dict[int, float],
) -> bool:
    """Raise unit ``i``'s discharge to ``up`` when its bound and every room allow it."""
    extra = up - chosen[i]
    if (
        extra > 0.0
        and up <= totals[i][0] + 1e-9
        and all(
            rooms[q] == _INF or load.get(q, 0.0) + a * extra <= rooms[q] + 1e-9
            for q, a in coeffs[i]
        )
    ):
        chosen[i] = up
        for q, a in coeffs[i]:
            load[q] = load.get(q, 0.0) + a * extra
        return True
    return False
