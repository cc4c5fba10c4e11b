"""Site fixtures: an ACN-like workplace, a DC depot, an apartment block on 63 A."""

from __future__ import annotations

import math

from ocpp_core.energy._model import Circuit, Site, SiteEvse, SiteStation
from ocpp_core.smart_charging import ChargingRateUnit, Evse, PhaseType, Station

__all__ = ["acn_workplace", "apartment_block", "dc_depot"]

_PAIRS = ("L1-L2", "L2-L3", "L3-L1")
_ROTATIONS = (("L1", "L2", "L3"), ("L2", "L3", "L1"), ("L3", "L1", "L2"))


def acn_workplace(transformer_kva: float = 150.0, evses: int = 54) -> Site:
    """A workplace garage like Caltech's ACN: 208 V EVSEs wired line to line.

    ``evses`` EVSEs of 32 A on two panels, connected across L1-L2, L2-L3 and
    L3-L1 in turn (installers rotate the wiring to balance the lines). The
    transformer's line current limit is ``kVA / (sqrt(3) x 208 V)``; each panel
    carries at most 60 % of it. Line-to-line loads are counted on both lines they
    connect (a conservative bound on the phasor sum).
    """
    line_a = transformer_kva * 1000.0 / (math.sqrt(3) * 208.0)
    circuits = [
        Circuit(id="transformer", max_current_a=line_a),
        Circuit(id="panel-1", parent="transformer", max_current_a=0.6 * line_a),
        Circuit(id="panel-2", parent="transformer", max_current_a=0.6 * line_a),
    ]
    station = Station(
        evses=tuple(Evse(id=k + 1) for k in range(evses)),
        supply_voltage=208.0,
        rate_units=(ChargingRateUnit.A, ChargingRateUnit.W),
        max_periods_per_schedule=24,
    )
    return Site(
        circuits=circuits,
        stations=[SiteStation(id="acn", version="2.0.1", station=station)],
        evses=[
            SiteEvse(
                station_id="acn",
                evse_id=k + 1,
                circuit=f"panel-{1 + (k * 2) // evses}",
                phases=(_PAIRS[k % 3],),
                voltage=208.0,
                max_current_a=32.0,
            )
            for k in range(evses)
        ],
        voltage=120.0,
    )


def dc_depot(chargers: int = 20, connection_kw: float = 1000.0, charger_kw: float = 150.0) -> Site:
    """A bus or fleet depot of DC chargers on one connection with a power limit."""
    station = Station(
        evses=tuple(Evse(id=k + 1, phase_type=PhaseType.DC) for k in range(chargers)),
        rate_units=(ChargingRateUnit.W,),
        max_periods_per_schedule=48,
    )
    return Site(
        circuits=[Circuit(id="grid", max_power_w=connection_kw * 1000.0)],
        stations=[SiteStation(id="depot", version="2.1", station=station)],
        evses=[
            SiteEvse(
                station_id="depot",
                evse_id=k + 1,
                circuit="grid",
                phase_type=PhaseType.DC,
                max_power_w=charger_kw * 1000.0,
                min_power_w=5000.0,
                efficiency=0.94,
            )
            for k in range(chargers)
        ],
    )


def apartment_block(evses: int = 34, connection_a: float = 63.0) -> Site:
    """An apartment block's garage: 11 kW wallboxes on two feeders under a 63 A connection."""
    station = Station(
        evses=tuple(Evse(id=k + 1) for k in range(evses)),
        rate_units=(ChargingRateUnit.A,),
        max_periods_per_schedule=24,
    )
    return Site(
        circuits=[
            Circuit(id="grid", max_current_a=connection_a),
            Circuit(id="feeder-1", parent="grid", max_current_a=50.0),
            Circuit(id="feeder-2", parent="grid", max_current_a=50.0),
        ],
        stations=[SiteStation(id="block", version="1.6", station=station)],
        evses=[
            SiteEvse(
                station_id="block",
                evse_id=k + 1,
                circuit=f"feeder-{1 + k % 2}",
                phases=_ROTATIONS[k % 3],
                min_current_a=6.0,
                max_current_a=16.0,
            )
            for k in range(evses)
        ],
    )
