"""``water_fill`` takes runs of starts together; the result is the one-event-at-a-time one.

The oracle below is the loop as first written (one event per turn, the heap pushed at
every change); the production loop must give the very same floats and bindings.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Sequence
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core.energy import ExternalLimit, Policy, Session, Site
from ocpp_core.energy._core import (
    _EPS,
    _FROZEN,
    _GROW,
    _INF,
    _WAIT,
    Bounds,
    Problem,
    admit,
    keep_order,
    water_fill,
)
from ocpp_core.energy._results import Binding

from ._sites import T0, sites


def _one_event_at_a_time(
    problem: Problem,
    admitted: Sequence[int],
    lo: Sequence[float],
    hi: Sequence[float],
    weights: Sequence[float],
    hi_binding: Sequence[Binding],
    caps: Sequence[float],
    why: Sequence[ExternalLimit | None],
) -> tuple[dict[int, float], dict[int, Binding]]:
    """The water-filling loop as first written: one event per turn, pushes at once."""
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
            heappush(heap, (t if t > level else level, r, version[r]))

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
        if nxt > level:
            level = nxt
        if t_start <= t_sat and t_start <= t_end:
            _, i = starts[start_pos]
            start_pos += 1
            if state[i] != _WAIT:
                continue
            state[i] = _GROW
            w = weights[i]
            low = lo[i]
            for r, a in units[i].coeffs:
                fixed[r] -= a * low
                slope[r] += a * w
                push(r)
            continue
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


def _case(
    site: Site, sessions: list[Session], rnd: random.Random
) -> tuple[
    Problem,
    list[int],
    list[float],
    list[float],
    list[float],
    list[Binding],
    list[float],
    list[ExternalLimit | None],
]:
    problem = Problem(site, sessions)
    caps, why = problem.capacities(T0, T0 + timedelta(minutes=15))
    policy = Policy()
    bounds = [problem.bounds(u, T0, policy, None) for u in problem.units]
    # Starting levels anywhere in [lo, hi] (as the deadline stage sets them), many
    # equal, so that starts come in runs, tie, and interleave with saturations.
    drawn = []
    for b in bounds:
        low = b.lo
        if b.hi > b.lo and rnd.random() < 0.8:
            low = rnd.choice([b.lo, b.hi / 2, b.lo + (b.hi - b.lo) * rnd.random()])
        drawn.append(Bounds(low, b.hi, b.hi_binding))
    order = keep_order(problem, list(range(len(drawn))), drawn, T0, policy)
    admitted, _ = admit(problem, order, drawn, caps, why)
    weights = [u.session.weight for u in problem.units]
    return (
        problem,
        admitted,
        [b.lo for b in drawn],
        [b.hi for b in drawn],
        weights,
        [b.hi_binding for b in drawn],
        caps,
        why,
    )


@settings(max_examples=300)
@given(sites(max_evses=14), st.randoms(use_true_random=False))
def test_runs_of_starts_give_the_one_event_at_a_time_result(
    case: tuple[Site, list[Session]], rnd: random.Random
) -> None:
    site, sessions = case
    args = _case(site, sessions, rnd)
    got = water_fill(*args)
    expected = _one_event_at_a_time(*args)
    assert got == expected
