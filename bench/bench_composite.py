"""Composite schedule cost: 100 profiles over 7 days, and how it scales with boundaries.

Run: ``python bench/bench_composite.py``.

The station has 4 EVSEs and 100 installed profiles of every kind (Daily and
Weekly Recurring, Absolute, Relative), purposes (ChargingStationMaxProfile,
TxDefaultProfile station-wide and per EVSE, TxProfile, external constraints)
and stack levels 0..9, in A and W. The composite is asked for EVSE 1 (a
transaction running) and for EVSE 0 (the station sum) over 7 days.

Scaling: the same station with 4x and 16x the periods per profile, so the
window holds 4x and 16x the period boundaries, measured side by side in one
run (interleaved rounds, best time of each). Near-linear growth shows as time
ratios close to the boundary ratios. A last row keeps the boundaries of 1x and
stretches the window to a year with Absolute profiles only: the cost follows
the boundaries, not the length of the window.

The cyclic garbage collector is paused while a call is timed (as :mod:`timeit`
does), so its runs, which depend on the size of the whole heap, do not blur
the scaling. Prints timings and ratios; asserts nothing about time.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs

from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingRateUnit,
    ChargingSchedule,
    CompositeResult,
    Evse,
    ProfileKind,
    ProfilePurpose,
    ProfileStore,
    RecurrencyKind,
    SchedulePeriod,
    Station,
    Transaction,
    activations,
    composite_schedule,
)

START = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)
WEEK = 7 * 86_400
ROUNDS = 7
PROFILES = 100


def build_store(periods_per_profile: int, *, seed: int = 7) -> list[tuple[int, ChargingProfile]]:
    """100 profiles of mixed kinds; each has ``periods_per_profile`` periods."""
    rng = random.Random(seed)
    entries: list[tuple[int, ChargingProfile]] = []
    kinds = (
        [("daily", ProfileKind.RECURRING)] * 35
        + [("weekly", ProfileKind.RECURRING)] * 20
        + [("absolute", ProfileKind.ABSOLUTE)] * 30
        + [("relative", ProfileKind.RELATIVE)] * 15
    )
    for index, (drawn_label, drawn_kind) in enumerate(kinds):
        label, kind = drawn_label, drawn_kind
        if index < 8:
            purpose, evse = ProfilePurpose.CHARGING_STATION_MAX, 0
        elif index < 16:
            purpose, evse = ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS, rng.choice([0, 1])
        elif index < 30:
            purpose, evse = ProfilePurpose.TX, 1
        else:
            purpose, evse = ProfilePurpose.TX_DEFAULT, rng.choice([0, 1, 2, 3, 4])
        if purpose is ProfilePurpose.CHARGING_STATION_MAX and kind is ProfileKind.RELATIVE:
            kind, label = ProfileKind.ABSOLUTE, "absolute"
        span = {"daily": 86_400, "weekly": WEEK}.get(label, rng.choice([6, 24, 72]) * 3600)
        step = span // periods_per_profile
        unit = rng.choice([ChargingRateUnit.A, ChargingRateUnit.W])
        top = 32.0 if unit is ChargingRateUnit.A else 22_000.0
        schedule = ChargingSchedule(
            id=1,
            charging_rate_unit=unit,
            start_schedule=None
            if kind is ProfileKind.RELATIVE
            else START - timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 1439)),
            duration=span if label in ("daily", "weekly") else None,
            periods=tuple(
                SchedulePeriod(
                    start_period=i * step,
                    limit=round(rng.uniform(0.2, 1.0) * top, 1),
                    number_phases=rng.choice([None, 1, 3]),
                )
                for i in range(periods_per_profile)
            ),
        )
        if kind is ProfileKind.ABSOLUTE:
            schedule = attrs.evolve(
                schedule, start_schedule=START + timedelta(hours=rng.randint(-24, 7 * 24))
            )
        profile = ChargingProfile(
            id=index + 1,
            stack_level=rng.randint(0, 9),
            purpose=purpose,
            kind=kind,
            schedules=(schedule,),
            recurrency_kind=RecurrencyKind.DAILY
            if label == "daily"
            else RecurrencyKind.WEEKLY
            if label == "weekly"
            else None,
            transaction_id="tx-1" if purpose is ProfilePurpose.TX else None,
        )
        entries.append((evse, profile))
    return entries


STATION = Station(
    evses=tuple(Evse(id=i) for i in range(1, 5)),
    transactions=(
        Transaction(evse_id=1, started_at=START - timedelta(hours=1), transaction_id="tx-1"),
    ),
)


def boundaries(entries: list[tuple[int, ChargingProfile]], duration: int) -> int:
    """Activation intervals in the window (each contributes two boundaries)."""
    end = START + timedelta(seconds=duration)
    session = START - timedelta(hours=1)
    return sum(
        len(activations(profile, now=START, end=end, session_start=session))
        for _, profile in entries
    )


def best_of(fn: Callable[[], CompositeResult], rounds: int) -> tuple[float, CompositeResult]:
    """Best wall time of ``rounds`` calls, with the cyclic GC paused as :mod:`timeit` does."""
    best = float("inf")
    result = fn()
    for _ in range(rounds):
        gc.collect()
        gc.disable()
        try:
            began = time.perf_counter()
            result = fn()
            best = min(best, time.perf_counter() - began)
        finally:
            gc.enable()
    return best, result


def main() -> None:
    scales = (1, 4, 16)
    base_periods = 4
    stores = {
        scale: ProfileStore.of("2.0.1", build_store(base_periods * scale)) for scale in scales
    }
    counts = {scale: boundaries(list(_pairs(stores[scale])), WEEK) for scale in scales}
    timings: dict[tuple[int, int], float] = {}
    outputs: dict[tuple[int, int], int] = {}
    for _ in range(ROUNDS):  # interleave so machine noise hits every row alike
        for scale in scales:
            for evse_id in (1, 0):
                seconds, result = best_of(
                    lambda s=scale, e=evse_id: composite_schedule(
                        stores[s], STATION, e, START, WEEK, ChargingRateUnit.W
                    ),
                    1,
                )
                key = (scale, evse_id)
                timings[key] = min(timings.get(key, float("inf")), seconds)
                assert result.schedule is not None
                outputs[key] = len(result.schedule.periods)
    print("Composite schedule, 100 profiles, 7-day window (best of", ROUNDS, "rounds)")
    print()
    header = (
        f"{'scale':>5} {'periods/profile':>15} {'intervals':>9} {'EVSE':>4} "
        f"{'out periods':>11} {'ms':>8} {'us/interval':>11} {'time ratio':>10} "
        f"{'boundary ratio':>14}"
    )
    print(header)
    print("-" * len(header))
    for evse_id in (1, 0):
        for scale in scales:
            key = (scale, evse_id)
            ms = timings[key] * 1000
            ratio = timings[key] / timings[(1, evse_id)]
            bratio = counts[scale] / counts[1]
            per = timings[key] * 1e6 / counts[scale]
            print(
                f"{scale:>4}x {base_periods * scale:>15} {counts[scale]:>9} {evse_id:>4} "
                f"{outputs[key]:>11} {ms:>8.1f} {per:>11.2f} {ratio:>10.2f} {bratio:>14.2f}"
            )
    year = 365 * 86_400
    absolute = ProfileStore.of(
        "2.0.1",
        [(e, p) for e, p in _pairs(stores[1]) if p.kind is ProfileKind.ABSOLUTE],
    )
    week_time, _ = best_of(
        lambda: composite_schedule(absolute, STATION, 1, START, WEEK, ChargingRateUnit.W), ROUNDS
    )
    year_time, _ = best_of(
        lambda: composite_schedule(absolute, STATION, 1, START, year, ChargingRateUnit.W), ROUNDS
    )
    print()
    print("Absolute profiles only (same boundaries), window length 7 days vs 365 days:")
    print(
        f"  7 days {week_time * 1000:.2f} ms, 365 days {year_time * 1000:.2f} ms, "
        f"ratio {year_time / week_time:.2f} (window ratio 52.1)"
    )


def _pairs(store: ProfileStore) -> list[tuple[int, ChargingProfile]]:
    return [(entry.evse_id, entry.profile) for entry in store.entries]


if __name__ == "__main__":
    main()
