"""Simulation for energy management: seeded session generators, site fixtures, a simulator.

Pure like the rest of ``ocpp_core``: the caller passes the random source
(``random.Random(seed)``) and, for the runtime metric, a clock. Used by
``bench/bench_energy.py``; useful to try a policy on a site before deploying it.
"""

from ocpp_core.energy.simulation._fixtures import acn_workplace, apartment_block, dc_depot
from ocpp_core.energy.simulation._generators import (
    home_sessions,
    public_sessions,
    workplace_sessions,
)
from ocpp_core.energy.simulation._simulator import (
    Controller,
    EvModel,
    Metrics,
    SimulationResult,
    simulate,
)

__all__ = [
    "Controller",
    "EvModel",
    "Metrics",
    "SimulationResult",
    "acn_workplace",
    "apartment_block",
    "dc_depot",
    "home_sessions",
    "public_sessions",
    "simulate",
    "workplace_sessions",
]
