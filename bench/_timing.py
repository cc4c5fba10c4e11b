"""Timing helpers shared by the benchmarks: calibrated loops, medians over rounds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

ROUNDS = 15
"""Rounds per measurement; each round times every column once, interleaved."""
TARGET_SECONDS = 0.01
"""How long one calibrated loop should run."""


def calibrate(fn: Callable[[], Any]) -> int:
    """Return a loop count for which ``fn`` runs at least :data:`TARGET_SECONDS`."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - start > TARGET_SECONDS:
            return n
        n *= 2


def timed(fn: Callable[[], Any], n: int) -> float:
    """Return the mean time of one call of ``fn`` over ``n`` calls, in seconds."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n
