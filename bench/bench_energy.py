"""Energy management benchmark: our planners against acnportal's algorithms and an LP bound.

Run: ``python bench/bench_energy.py`` (needs the ``bench`` and ``lp`` extras;
``--quick`` for a short run, ``--timing-only`` for part 4 alone, ``--v2g-only``
for part 5 alone). Prints, measured side by side in one run:

1. Scenario metrics in our simulator (:mod:`ocpp_core.energy.simulation`) on the
   same sessions and site for every algorithm: our greedy planner (replanning
   every step), our LP planner (replanning every 15 minutes), our pure load
   balancer (``allocate``), and earliest-deadline-first, least-laxity-first and
   round robin implemented from their published definitions (acnportal's
   ``SortedSchedulingAlgo`` and ``RoundRobin``: serve EVs in the sort order, each
   the most the limits allow; round robin raises everyone by one step in turn).
2. acnportal 0.3.3's own EDF, LLF and round robin in acnportal's simulator on
   its ``caltech_acn`` network (basic EVSEs, 208 V) with the same sessions.
3. The offline LP upper bound (every session known in advance).
4. Timing of ``allocate`` (54 EVSEs; 1,000 EVSEs in a 5-level tree) and of a
   greedy plan of 200 sessions x 96 slots.
5. V2G: an apartment block whose evening load breaks its connection, bidirectional
   EVs on 2.1 wallboxes and day-ahead prices; greedy and LP plans with and without
   discharging: the deficit covered, limit violations, energy goals met, and the
   energy cost (net site energy at the slot's price, export sold at it, cycling cost
   included).

Targets (printed, not asserted): zero violations; greedy >= best acnportal on
energy and demands met when congested; LP >= 0.98 of the bound; Jain >= 0.95
when not congested; allocate < 1 ms (54) and < 20 ms (1,000); plan < 50 ms.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import attrs

from ocpp_core.energy import (
    Circuit,
    Limit,
    LimitSchedule,
    PhaseType,
    PlanMethod,
    Policy,
    Session,
    Site,
    SiteEvse,
    SiteStation,
    allocate,
    lp_upper_bound,
    plan,
)
from ocpp_core.energy._core import Problem
from ocpp_core.energy.simulation import (
    acn_workplace,
    apartment_block,
    dc_depot,
    home_sessions,
    simulate,
    workplace_sessions,
)
from ocpp_core.smart_charging import Evse, Station

DAY = datetime(2025, 6, 2, tzinfo=UTC)
STEP = 300


# ---------------------------------------------------------------------- controllers


def greedy_controller(policy: Policy, horizon: int = 12 * 3600):
    def control(
        site: Site, sessions: list[Session], at: datetime
    ) -> Mapping[tuple[str, int], float]:
        if not sessions:
            return {}
        result = plan(site, sessions, at, horizon, policy)
        return _first_slot(site, result)

    return control


def lp_controller(policy: Policy, every: int = 3, horizon: int = 12 * 3600):
    state: dict[str, object] = {"n": 0, "plan": None, "at": None}

    def control(
        site: Site, sessions: list[Session], at: datetime
    ) -> Mapping[tuple[str, int], float]:
        if not sessions:
            return {}
        keys = tuple(sorted(s.key for s in sessions))
        if state["n"] % every == 0 or state.get("keys") != keys:
            state["plan"] = plan(site, sessions, at, horizon, policy, method=PlanMethod.LP)
            state["at"] = at
            state["keys"] = keys
        state["n"] = int(state["n"]) + 1
        current = state["plan"]
        offset = int((at - state["at"]).total_seconds())  # type: ignore[operator]
        return _at(site, current, offset)  # type: ignore[arg-type]

    return control


def allocate_controller(policy: Policy):
    def control(
        site: Site, sessions: list[Session], at: datetime
    ) -> Mapping[tuple[str, int], float]:
        result = allocate(site, sessions, at, policy)
        return {
            (e.station_id, e.evse_id): (
                e.current_a if e.current_a is not None else e.output_power_w
            )
            for e in result.evses
        }

    return control


def _first_slot(site: Site, result) -> dict[tuple[str, int], float]:
    return _at(site, result, 0)


def _at(site: Site, result, offset: int) -> dict[tuple[str, int], float]:
    out = {}
    for evse_plan in result.evses:
        period = evse_plan.at(offset)
        out[(evse_plan.station_id, evse_plan.evse_id)] = (
            period.current_a if period.current_a is not None else period.output_power_w
        )
    return out


# Baselines from their published definitions (acnportal SortedSchedulingAlgo / RoundRobin).


def _feasible_room(problem: Problem, caps, loads, i: int) -> float:
    room = math.inf
    for r, a in problem.units[i].coeffs:
        if caps[r] != math.inf:
            room = min(room, (caps[r] - loads[r]) / a)
    return max(0.0, room)


def sorted_controller(kind: str, step_s: int = STEP):
    def control(
        site: Site, sessions: list[Session], at: datetime
    ) -> Mapping[tuple[str, int], float]:
        if not sessions:
            return {}
        problem = Problem(site, sessions)
        caps, _ = problem.capacities(at, at + timedelta(seconds=step_s))
        loads = [0.0] * len(caps)
        units = problem.units

        def max_rate(i: int) -> float:
            unit = units[i]
            s, evse = unit.session, unit.evse
            remaining = (s.energy_wanted_wh or math.inf) - s.energy_delivered_wh
            need = remaining / (evse.efficiency * step_s / 3600.0)
            if evse.phase_type is PhaseType.AC:
                return min(
                    min(evse.max_current_a, s.max_current_a or 99) * unit.watts_per_amp, need
                )
            return min((evse.max_power_w or math.inf) / evse.efficiency, need)

        def laxity(i: int) -> float:
            unit = units[i]
            s = unit.session
            remaining = (s.energy_wanted_wh or 0) - s.energy_delivered_wh
            rate = max_rate(i) or 1.0
            return (s.departure - at).total_seconds() - remaining * 3600 / (
                rate * unit.evse.efficiency
            )

        order = list(range(len(units)))
        if kind == "edf":
            order.sort(key=lambda i: (units[i].session.departure, units[i].session.key))
        elif kind == "llf":
            order.sort(key=lambda i: (laxity(i), units[i].session.key))
        rates = [0.0] * len(units)
        if kind in ("edf", "llf"):
            for i in order:
                x = min(max_rate(i), _feasible_room(problem, caps, loads, i))
                rates[i] = x
                for r, a in units[i].coeffs:
                    loads[r] += a * x
        else:  # round robin, 1 A (or 1 kW) increments
            queue = list(order)
            while queue:
                nxt = []
                for i in queue:
                    unit = units[i]
                    inc = unit.watts_per_amp if unit.watts_per_amp else 1000.0
                    target = min(rates[i] + inc, max_rate(i))
                    extra = target - rates[i]
                    if extra <= 1e-9 or _feasible_room(problem, caps, loads, i) < extra - 1e-9:
                        continue
                    rates[i] = target
                    for r, a in unit.coeffs:
                        loads[r] += a * extra
                    nxt.append(i)
                queue = nxt
        out = {}
        for i, unit in enumerate(units):
            x = rates[i]
            if unit.watts_per_amp:
                out[unit.session.key] = math.floor(x / unit.watts_per_amp * 10) / 10
            else:
                out[unit.session.key] = math.floor(x * unit.evse.efficiency)
        return out

    return control


# ---------------------------------------------------------------------- acnportal


def acnportal_run(sessions: list[Session], transformer_kva: float, algorithm: str):
    from acnportal import acnsim
    from acnportal.algorithms import (
        RoundRobin,
        SortedSchedulingAlgo,
        earliest_deadline_first,
        least_laxity_first,
    )

    network = acnsim.sites.caltech_acn(
        basic_evse=True, voltage=208, transformer_cap=transformer_kva
    )
    stations = network.station_ids
    start = DAY + timedelta(hours=7)
    evs = []
    for index, s in enumerate(sessions):
        arrival = int((s.arrival - start).total_seconds() // STEP)
        departure = int((s.departure - start).total_seconds() // STEP)
        battery = acnsim.Battery(capacity=100, init_charge=0, max_power=32 * 208 / 1000)
        evs.append(
            acnsim.EV(
                arrival,
                departure,
                (s.energy_wanted_wh or 0) / 1000,
                stations[index % len(stations)],
                f"s{index}",
                battery,
            )
        )
    events = acnsim.EventQueue([acnsim.PluginEvent(ev.arrival, ev) for ev in evs])
    scheduler = {
        "EDF": lambda: SortedSchedulingAlgo(earliest_deadline_first),
        "LLF": lambda: SortedSchedulingAlgo(least_laxity_first),
        "RR": lambda: RoundRobin(earliest_deadline_first),
    }[algorithm]()
    sim = acnsim.Simulator(
        network, scheduler, events, start.replace(tzinfo=None), period=STEP / 60, verbose=False
    )
    began = time.perf_counter()
    sim.run()
    elapsed = time.perf_counter() - began
    energy = acnsim.proportion_of_energy_delivered(sim)
    met = acnsim.proportion_of_demands_met(sim)
    fractions = [
        min(1.0, ev.energy_delivered / ev.requested_energy) for ev in sim.ev_history.values()
    ]
    jain = sum(fractions) ** 2 / (len(fractions) * sum(f * f for f in fractions))
    return energy, met, jain, elapsed


# ---------------------------------------------------------------------- runs


def workplace(kva: float, seed: int = 1, n: int = 54):
    site = acn_workplace(kva)
    sessions = workplace_sessions(random.Random(seed), site.evses, DAY, n)
    return site, sessions


def run_scenario(
    name: str, site: Site, sessions: list[Session], start: datetime, end: datetime, lp: bool
):
    policy = Policy(slot_s=900)
    algorithms = {
        "greedy (ours)": greedy_controller(policy),
        "allocate (ours)": allocate_controller(policy),
        "EDF": sorted_controller("edf"),
        "LLF": sorted_controller("llf"),
        "RR": sorted_controller("rr"),
    }
    if lp:
        algorithms["LP (ours)"] = lp_controller(policy)
    print(f"\n== {name}: {len(sessions)} sessions, {len(site.evses)} EVSEs")
    print(
        f"{'algorithm':<16} {'energy':>7} {'met':>6} {'Jain':>6} {'worst':>6} {'peak kW':>8} {'viol':>5} {'imbal A':>8} {'msg/s-h':>8} {'ms/step':>8}"
    )
    out = {}
    for label, controller in algorithms.items():
        result = simulate(
            site, sessions, start, end, controller, step_s=STEP, clock=time.perf_counter
        )
        m = result.metrics
        out[label] = m
        print(
            f"{label:<16} {m.energy_fraction:7.3f} {m.demands_met:6.3f} {m.jain:6.3f} {m.worst_fraction:6.3f} "
            f"{m.peak_w / 1000:8.1f} {m.violations:5d} {m.phase_imbalance_a:8.1f} {m.messages_per_session_hour:8.2f} {m.runtime_per_step_ms:8.2f}"
        )
    return out


def offline_bound(site: Site, sessions: list[Session], start: datetime, end: datetime) -> float:
    horizon = int((end - start).total_seconds())
    total = sum(s.energy_wanted_wh or 0 for s in sessions)
    bound = lp_upper_bound(site, sessions, start, horizon, Policy(slot_s=STEP))
    return bound / total


ROUNDS = 7


def timing() -> None:
    """Best and median of ``ROUNDS`` rounds (the machine may be shared: the best is the
    figure, the median shows the noise); the ratio is best / target."""

    def best(fn, n):
        times = []
        for _ in range(ROUNDS):
            began = time.perf_counter()
            for _ in range(n):
                fn()
            times.append((time.perf_counter() - began) / n)
        times.sort()
        return times[0], times[len(times) // 2]

    site, sessions = workplace(150.0)
    at = DAY + timedelta(hours=11)
    t54 = best(lambda: allocate(site, sessions, at), 50)
    # 1,000 EVSEs in a 5-level tree (root, 4, 16, 64, 250 leaves).
    circuits = [Circuit(id="root", max_current_a=4000.0)]
    for level, count in ((1, 4), (2, 16), (3, 64), (4, 250)):
        for k in range(count):
            parent = (
                "root" if level == 1 else f"l{level - 1}-{k % (count // 4 if level < 4 else 64)}"
            )
            circuits.append(
                Circuit(id=f"l{level}-{k}", parent=parent, max_current_a=1600.0 / (2**level))
            )
    station = Station(evses=tuple(Evse(id=k + 1) for k in range(1000)))
    rotations = (("L1", "L2", "L3"), ("L2", "L3", "L1"), ("L3", "L1", "L2"))
    big = Site(
        circuits=circuits,
        stations=[SiteStation(id="cs", version="2.0.1", station=station)],
        evses=[
            SiteEvse(
                station_id="cs", evse_id=k + 1, circuit=f"l4-{k % 250}", phases=rotations[k % 3]
            )
            for k in range(1000)
        ],
    )
    rnd = random.Random(3)
    big_sessions = [
        Session(
            station_id="cs",
            evse_id=k + 1,
            arrival=at - timedelta(minutes=rnd.randint(1, 300)),
            min_current_a=6.0,
            ev_phases=rnd.choice([1, 3]),
        )
        for k in range(1000)
    ]
    t1000 = best(lambda: allocate(big, big_sessions, at), 3)
    # Greedy plan: 200 sessions x 96 slots.
    site200 = acn_workplace(400.0, evses=200)
    sessions200 = workplace_sessions(random.Random(5), site200.evses, DAY, 200)
    start = DAY + timedelta(hours=7)
    tplan = best(lambda: plan(site200, sessions200, start, 96 * 900, Policy(slot_s=900)), 3)
    print(f"\n== timing (best and median of {ROUNDS} rounds)")
    for label, (low, median), target in (
        ("allocate, 54 EVSEs", t54, 1.0),
        ("allocate, 1,000 EVSEs, 5 levels", t1000, 20.0),
        ("greedy plan, 200 sessions x 96", tplan, 50.0),
    ):
        print(
            f"{label + ':':<34} {low * 1000:8.3f} ms (median {median * 1000:8.3f})"
            f"  target < {target:g} ms: ratio {low * 1000 / target:.2f}"
        )


# ---------------------------------------------------------------------- V2G


def v2g_site(evses: int = 8) -> tuple[Site, list[Session], Policy]:
    """An apartment block on 63 A (43.5 kW) whose evening load (18:00-21:00) breaks the
    connection, bidirectional EVs on OCPP 2.1 wallboxes, a day-ahead price curve.

    Sessions (seeded): arrivals 16:00-19:00, departures 06:30-08:30, 10-30 kWh wanted,
    each may give back 5-15 kWh of what it brought (``min_energy_wh`` < 0), 5-7 kW.
    """
    rnd = random.Random(7)
    base = LimitSchedule(
        points=[
            (DAY + timedelta(hours=16), Limit(power_w=18000)),
            (DAY + timedelta(hours=18), Limit(power_w=49000)),
            (DAY + timedelta(hours=21), Limit(power_w=22000)),
            (DAY + timedelta(hours=23), Limit(power_w=9000)),
            (DAY + timedelta(hours=30, minutes=30), Limit(power_w=15000)),
        ]
    )
    rotations = (("L1", "L2", "L3"), ("L2", "L3", "L1"), ("L3", "L1", "L2"))
    site = Site(
        circuits=[Circuit(id="grid", max_current_a=63.0, base_load=base, export_limit_w=10000.0)],
        stations=[
            SiteStation(
                id="block",
                version="2.1",
                station=Station(evses=tuple(Evse(id=k + 1) for k in range(evses))),
            )
        ],
        evses=[
            SiteEvse(
                station_id="block",
                evse_id=k + 1,
                circuit="grid",
                phases=rotations[k % 3],
                min_current_a=6.0,
                max_current_a=16.0,
                discharge_max_power_w=7000.0,
            )
            for k in range(evses)
        ],
    )
    sessions = [
        Session(
            station_id="block",
            evse_id=k + 1,
            transaction_id=f"tx{k + 1}",
            arrival=DAY + timedelta(hours=16, minutes=rnd.randint(0, 180)),
            departure=DAY + timedelta(hours=30, minutes=30 + rnd.randint(0, 120)),
            energy_wanted_wh=rnd.uniform(10000, 30000),
            min_current_a=6.0,
            discharge_max_power_w=rnd.uniform(5000, 7000),
            min_energy_wh=-rnd.uniform(5000, 15000),
        )
        for k in range(evses)
    ]
    prices = LimitSchedule(
        points=[
            (DAY + timedelta(hours=h), Limit(power_w=p))
            for h, p in ((16, 0.30), (17, 0.42), (21, 0.28), (23, 0.11), (30, 0.26))
        ]
    )
    return site, sessions, Policy(slot_s=900, prices=prices)


def _v2g_figures(site: Site, sessions: list[Session], policy: Policy, result) -> dict[str, float]:
    """Recomputed from the plan and the site alone: limits both ways, deficit, goals, cost."""
    root = site.root
    slot_h = result.slot_s / 3600
    over = under = slots_over = 0
    deficit_wh = uncovered_wh = cost = discharged = 0.0
    for k in range(result.slots):
        begin = result.start + timedelta(seconds=k * result.slot_s)
        end = begin + timedelta(seconds=result.slot_s)
        load = root.load_at(begin, end)
        base_w = 0.0 if load is None or load.power_w is None else load.power_w
        evses = sum(e.at(k * result.slot_s).power_w for e in result.evses)
        net = base_w + evses
        limit_w = 3 * 230.0 * root.max_current_a[0]  # balanced three-phase EVs and load
        deficit_wh += max(0.0, base_w - limit_w) * slot_h
        uncovered_wh += max(0.0, net - limit_w) * slot_h
        slots_over += net > limit_w + 1e-6
        over += net > limit_w + 1e-6 and base_w <= limit_w
        under += -net > (root.export_limit_w or math.inf) + 1e-6
        price = policy.prices.at(begin) if policy.prices is not None else None
        cost += (price.power_w if price and price.power_w else 0.0) * net * slot_h / 1000
        discharged += sum(-min(0.0, e.at(k * result.slot_s).power_w) for e in result.evses) * slot_h
    met = sum(1 for o in result.sessions if o.unmet_wh <= 0.01 * (o.energy_wanted_wh or 0.0))
    return {
        "deficit_kwh": deficit_wh / 1000,
        "covered": 1.0 - (uncovered_wh / deficit_wh if deficit_wh else 0.0),
        "slots_over": slots_over,
        "new_violations": over + under,
        "met": met / len(result.sessions),
        "unmet_kwh": result.unmet_wh / 1000,
        "cost": cost + policy.cycle_cost_per_kwh * discharged / 1000,
        "discharged_kwh": discharged / 1000,
    }


def v2g() -> None:
    site, sessions, policy = v2g_site()
    start = DAY + timedelta(hours=16)
    horizon = 16 * 3600
    print(
        f"\n== V2G: apartment block on 63 A, {len(sessions)} bidirectional EVs on OCPP 2.1, "
        "evening load over the connection, day-ahead prices (plans, 15-minute slots)"
    )
    print(
        f"{'plan':<26} {'deficit kWh':>11} {'covered':>8} {'slots over':>10} {'new viol':>8} "
        f"{'met':>6} {'unmet kWh':>9} {'disch kWh':>9} {'cost':>8} {'ms':>8}"
    )
    runs = (
        ("greedy, no V2G", "greedy", attrs.evolve(policy, allow_discharge=False)),
        ("greedy, V2G", "greedy", policy),
        ("LP + prices, no V2G", "lp", attrs.evolve(policy, allow_discharge=False)),
        ("LP + prices, V2G", "lp", policy),
    )
    costs = {}
    for label, method, chosen in runs:
        began = time.perf_counter()
        result = plan(site, sessions, start, horizon, chosen, method=method)
        elapsed = (time.perf_counter() - began) * 1000
        f = _v2g_figures(site, sessions, policy, result)
        costs[label] = f["cost"]
        print(
            f"{label:<26} {f['deficit_kwh']:11.1f} {f['covered']:8.3f} {f['slots_over']:10d} "
            f"{f['new_violations']:8d} {f['met']:6.3f} {f['unmet_kwh']:9.2f} "
            f"{f['discharged_kwh']:9.1f} {f['cost']:8.2f} {elapsed:8.1f}"
        )
    saving = costs["LP + prices, no V2G"] - costs["LP + prices, V2G"]
    print(
        f"arbitrage: LP with V2G costs {costs['LP + prices, V2G']:.2f} against "
        f"{costs['LP + prices, no V2G']:.2f} without ({saving:.2f} saved, "
        f"{saving / costs['LP + prices, no V2G']:.1%}), cycling cost included"
    )


def main() -> None:
    if "--timing-only" in sys.argv:
        timing()
        return
    if "--v2g-only" in sys.argv:
        v2g()
        return
    quick = "--quick" in sys.argv
    start = DAY + timedelta(hours=7)
    end = DAY + timedelta(hours=7) + timedelta(seconds=225 * STEP)
    for kva in (150.0, 50.0):
        site, sessions = workplace(kva)
        ours = run_scenario(
            f"ACN-like workplace at {kva:.0f} kVA", site, sessions, start, end, lp=not quick
        )
        bound = offline_bound(site, sessions, start, end)
        print(f"offline LP upper bound (same site, all sessions known): {bound:.3f}")
        if not quick:
            horizon = int((end - start).total_seconds())
            offline = plan(
                site, sessions, start, horizon, Policy(slot_s=STEP), method=PlanMethod.LP
            )
            greedy_offline = plan(site, sessions, start, horizon, Policy(slot_s=STEP))
            wanted = sum(s.energy_wanted_wh or 0 for s in sessions)
            lp_planned = sum(o.energy_planned_wh for o in offline.sessions) / wanted
            greedy_planned = sum(o.energy_planned_wh for o in greedy_offline.sessions) / wanted
            print(
                f"offline plans, energy planned / wanted: LP {lp_planned:.3f} "
                f"({lp_planned / bound:.3f} of the bound, target >= 0.98), greedy {greedy_planned:.3f}"
            )
        if "LP (ours)" in ours:
            # Online: sessions are known only once they arrive, EVs taper and meters
            # lag, so the simulated run is not held to the target the offline plan is.
            print(
                "LP planner in the simulation (online: arrivals unknown until they come) / "
                f"bound: {ours['LP (ours)'].energy_fraction / bound:.3f} "
                "(the >= 0.98 target is the offline plan's, above)"
            )
        print(
            "acnportal 0.3.3 in its own simulator (caltech_acn, basic EVSEs, 208 V), same sessions:"
        )
        best_energy, best_met = 0.0, 0.0
        for algorithm in ("EDF", "LLF", "RR"):
            try:
                energy, met, jain, elapsed = acnportal_run(sessions, kva, algorithm)
            except Exception as exc:
                print(f"  {algorithm}: failed ({type(exc).__name__}: {exc})")
                continue
            best_energy, best_met = max(best_energy, energy), max(best_met, met)
            print(
                f"  {algorithm:<4} energy {energy:.3f}  met {met:.3f}  Jain {jain:.3f}  ({elapsed:.1f} s)"
            )
        g = ours["greedy (ours)"]
        print(
            f"greedy vs best acnportal: energy {g.energy_fraction:.3f} vs {best_energy:.3f}, "
            f"met {g.demands_met:.3f} vs {best_met:.3f}"
        )
    site = apartment_block()
    sessions = home_sessions(random.Random(2), site.evses, DAY)
    run_scenario(
        "apartment block on 63 A (home sessions)",
        site,
        sessions,
        DAY + timedelta(hours=16),
        DAY + timedelta(hours=34),
        lp=False,
    )
    site = dc_depot()
    sessions = [
        s.__class__(
            **{f: getattr(s, f) for f in s.__attrs_attrs__.__dir__() if False}
        )  # placeholder
        for s in []
    ]
    depot_sessions = home_sessions(random.Random(4), site.evses, DAY)
    depot_sessions = [
        Session(
            station_id=s.station_id,
            evse_id=s.evse_id,
            transaction_id=s.transaction_id,
            arrival=s.arrival,
            departure=s.departure,
            energy_wanted_wh=(s.energy_wanted_wh or 0) * 12,
        )
        for s in depot_sessions
    ]
    run_scenario(
        "DC depot (20 x 150 kW on 1 MW)",
        site,
        depot_sessions,
        DAY + timedelta(hours=16),
        DAY + timedelta(hours=34),
        lp=False,
    )
    v2g()
    timing()


if __name__ == "__main__":
    main()
