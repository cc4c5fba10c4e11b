"""Seeded session generators for workplace, public and home sites.

Each generator takes a :class:`random.Random` created by the caller (the library
never seeds or reads a global generator) and the EVSEs to fill. The
distributions are stated here with where their shape comes from; they are
synthetic, not fitted to any data set:

* **workplace**: arrival uniform 07:00-10:00, stay uniform 4-10 h, energy
  uniform 5-30 kWh; 1-phase EVs with probability 0.3. The same synthetic day
  as the baseline measured with acnportal in the project's research notes
  (54 sessions, seed 1), whose shape follows the Caltech ACN workplace data
  (morning arrival peak, stays of most of a working day: Lee, Li and Low,
  "ACN-Data: Analysis and Applications of an Open EV Charging Dataset",
  ACM e-Energy 2019).
* **public**: arrival uniform 08:00-20:00, stay log-normal with median 1.5 h
  (sigma 0.6, capped to 0.25-6 h), energy uniform 4-25 kWh; short stays at
  public chargers as in ElaadNL's open public charging data (2019), the
  source ev2gym's public profile is derived from.
* **home**: arrival normal around 18:30 (sd 1 h, clipped 16:00-22:00),
  departure next day normal around 07:15 (sd 0.5 h), energy uniform
  5-20 kWh; evening plug-in and morning departure as in ElaadNL's residential
  profile.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from ocpp_core.energy._model import PhaseType, Session, SiteEvse

__all__ = ["home_sessions", "public_sessions", "workplace_sessions"]


def _session(  # noqa: PLR0917 - internal
    evse: SiteEvse,
    rng: random.Random,
    arrival: datetime,
    departure: datetime,
    energy_wh: float,
    index: int,
    one_phase_share: float,
) -> Session:
    if evse.phase_type is PhaseType.DC:
        return Session(
            station_id=evse.station_id,
            evse_id=evse.evse_id,
            transaction_id=f"tx-{index}",
            arrival=arrival,
            departure=departure,
            energy_wanted_wh=energy_wh,
        )
    one_phase = len(evse.phases) > 1 and rng.random() < one_phase_share
    return Session(
        station_id=evse.station_id,
        evse_id=evse.evse_id,
        transaction_id=f"tx-{index}",
        arrival=arrival,
        departure=departure,
        energy_wanted_wh=energy_wh,
        min_current_a=6.0,
        max_current_a=32.0,
        ev_phases=1 if one_phase else None,
    )


def workplace_sessions(
    rng: random.Random, evses: Sequence[SiteEvse], day: datetime, count: int | None = None
) -> list[Session]:
    """One workplace day: one session per EVSE (or the first ``count`` EVSEs).

    Args:
        rng: the random source (e.g. ``random.Random(1)``).
        evses: the EVSEs to fill, in order.
        day: midnight of the day (aware).
        count: how many sessions (default: one per EVSE).
    """
    out = []
    for index, evse in enumerate(evses[: len(evses) if count is None else count]):
        arrival = day + timedelta(hours=rng.uniform(7.0, 10.0))
        departure = arrival + timedelta(hours=rng.uniform(4.0, 10.0))
        energy = rng.uniform(5000.0, 30000.0)
        out.append(_session(evse, rng, arrival, departure, energy, index, 0.3))
    return out


def public_sessions(
    rng: random.Random, evses: Sequence[SiteEvse], day: datetime, per_evse: int = 3
) -> list[Session]:
    """Several short public sessions per EVSE, one after another, never overlapping."""
    out = []
    index = 0
    for evse in evses:
        free_from = day + timedelta(hours=8)
        for _ in range(per_evse):
            arrival = max(free_from, day + timedelta(hours=rng.uniform(8.0, 20.0)))
            stay = min(6.0, max(0.25, math.exp(math.log(1.5) + 0.6 * rng.gauss(0.0, 1.0))))
            departure = arrival + timedelta(hours=stay)
            energy = rng.uniform(4000.0, 25000.0)
            out.append(_session(evse, rng, arrival, departure, energy, index, 0.2))
            index += 1
            free_from = departure + timedelta(minutes=5)
    return out


def home_sessions(rng: random.Random, evses: Sequence[SiteEvse], day: datetime) -> list[Session]:
    """One evening-to-morning session per EVSE."""
    out = []
    for index, evse in enumerate(evses):
        arrival_h = min(22.0, max(16.0, rng.gauss(18.5, 1.0)))
        departure_h = 24.0 + min(9.0, max(5.5, rng.gauss(7.25, 0.5)))
        arrival = day + timedelta(hours=arrival_h)
        departure = day + timedelta(hours=departure_h)
        energy = rng.uniform(5000.0, 20000.0)
        out.append(_session(evse, rng, arrival, departure, energy, index, 0.4))
    return out
