"""A small mixed site for the reaction tests, and checks through the station engine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ocpp_core import encode_payload, validate_payload
from ocpp_core.energy import Circuit, Outgoing, Reaction, Site, SiteEvse, SiteState, SiteStation
from ocpp_core.smart_charging import (
    ChargingRateUnit,
    Evse,
    PhaseType,
    Station,
    composite_schedule,
    set_charging_profile_from_ocpp,
)

T0 = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
VOLTAGE = 230.0


def mixed_site(grid_a: float = 32.0) -> Site:
    """A 3-phase grid connection with a 1.6, a 2.0, a 2.0.1 (two EVSEs + DC) and a 2.1 station."""
    return Site(
        circuits=[Circuit(id="grid", max_current_a=grid_a)],
        stations=[
            SiteStation(id="cp16", version="1.6", station=Station(evses=(Evse(id=1),))),
            SiteStation(id="cs20", version="2.0", station=Station(evses=(Evse(id=1),))),
            SiteStation(
                id="cs201",
                version="2.0.1",
                station=Station(
                    evses=(Evse(id=1), Evse(id=2), Evse(id=3, phase_type="DC")),
                    max_stack_level=5,
                ),
            ),
            SiteStation(
                id="cs21",
                version="2.1",
                station=Station(evses=(Evse(id=1),), features=["DynamicProfiles"]),
            ),
        ],
        evses=[
            SiteEvse(station_id="cp16", evse_id=1, circuit="grid"),
            SiteEvse(station_id="cs20", evse_id=1, circuit="grid"),
            SiteEvse(station_id="cs201", evse_id=1, circuit="grid"),
            SiteEvse(station_id="cs201", evse_id=2, circuit="grid", phases=("L2",)),
            SiteEvse(
                station_id="cs201",
                evse_id=3,
                circuit="grid",
                phase_type="DC",
                max_power_w=20000,
                efficiency=0.95,
            ),
            SiteEvse(
                station_id="cs21",
                evse_id=1,
                circuit="grid",
                discharge_max_power_w=7000,
            ),
        ],
    )


def check_wire(outgoing: Outgoing | Any, version: str, action: str, kind: str = "request") -> None:
    """The message passes the jsonschema reference check of its version."""
    message = outgoing.request if isinstance(outgoing, Outgoing) else outgoing
    errors = validate_payload(version, action, kind, encode_payload(message))
    assert errors == [], errors


VERSIONS = {"cp16": "1.6", "cs20": "2.0", "cs201": "2.0.1", "cs21": "2.1"}


def check_reaction(reaction: Reaction) -> None:
    """Every request passes its version's schema; profiles are installed in the state."""
    for out in reaction.requests:
        check_wire(out, VERSIONS[out.station_id], out.action)
        if out.action == "SetChargingProfile":
            neutral = set_charging_profile_from_ocpp(out.request)
            held = reaction.state.store(out.station_id).get(neutral.profile.id)
            assert held is not None
            assert held.evse_id == neutral.evse_id


def grid_currents(state: SiteState, at: datetime) -> list[float]:
    """Per grid line, the sum of every EVSE's composite limit (in A) the stations would apply.

    Only EVSEs with a session count (an idle EVSE draws nothing). Computed
    through the station engine from the profiles the state says are installed.
    """
    lines = [0.0, 0.0, 0.0]
    for track in state.tracks:
        station_id, evse_id = track.key
        site_station = state.site.station(station_id)
        evse = state.site.evse(station_id, evse_id)
        store = state.store(station_id)
        if not store.entries:
            continue
        result = composite_schedule(
            store,
            site_station.station,
            evse_id,
            at,
            60,
            ChargingRateUnit.A if evse.phase_type is PhaseType.AC else ChargingRateUnit.W,
            state.transactions(station_id),
        )
        assert result.schedule is not None
        limit = result.schedule.periods[0].limit
        if evse.phase_type is PhaseType.DC:
            amps = limit / evse.efficiency / (3 * VOLTAGE)
            for k in range(3):
                lines[k] += amps
            continue
        phases = track.session.ev_phases or len(evse.phases)
        for conductor in evse.grid_phases(phases):
            for line in conductor:
                lines[["L1", "L2", "L3"].index(line)] += limit
    return lines
