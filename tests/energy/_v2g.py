"""V2G sites for tests, and an independent checker of a plan's limits, floors and rights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from ocpp_core.energy import (
    Circuit,
    ExternalLimit,
    Limit,
    LimitSchedule,
    Plan,
    Session,
    Site,
    SiteEvse,
    SiteStation,
)
from ocpp_core.smart_charging import Evse, PhaseType, Station

T0 = datetime(2025, 6, 2, 16, 0, tzinfo=UTC)
SLOT = 900
HORIZON = 8 * 3600
LINES = ("L1", "L2", "L3")


@st.composite
def v2g_cases(
    draw: st.DrawFn, *, versions: tuple[str, ...] = ("2.1", "2.0.1", "1.6")
) -> tuple[Site, list[Session]]:
    """A grid connection (and maybe a feeder) with an evening base load that may break
    its limits, bidirectional EVs on stations of several versions."""
    power = draw(st.floats(15000, 40000).map(round))
    current = draw(st.one_of(st.none(), st.floats(25, 63).map(round)))
    export = draw(st.one_of(st.none(), st.floats(0, 15000).map(round)))
    peak = draw(st.floats(5000, 45000).map(round))
    base = LimitSchedule(
        points=[
            (T0, Limit(power_w=draw(st.floats(0, 12000).map(round)))),
            (T0 + timedelta(hours=1), Limit(power_w=peak)),
            (T0 + timedelta(hours=draw(st.integers(2, 5))), Limit(power_w=3000)),
        ]
    )
    circuits = [
        Circuit(
            id="grid",
            max_power_w=power,
            max_current_a=current,
            base_load=base,
            export_limit_w=export,
        )
    ]
    feeder = draw(st.booleans())
    if feeder:
        circuits.append(
            Circuit(
                id="feeder",
                parent="grid",
                max_current_a=draw(st.floats(16, 40).map(round)),
                export_limit_w=draw(st.one_of(st.none(), st.floats(0, 8000).map(round))),
            )
        )
    limits = []
    if draw(st.booleans()):
        cut = draw(st.floats(4000, 20000).map(round))
        limits.append(
            ExternalLimit(
                id="so-cut",
                source="SO",
                scope="site",
                grid_critical=True,
                schedule=LimitSchedule(
                    points=[
                        (T0 + timedelta(hours=2), Limit(power_w=cut)),
                        (T0 + timedelta(hours=3), Limit(power_w=1e9)),
                    ]
                ),
            )
        )
    n = draw(st.integers(1, 4))
    station_versions = [draw(st.sampled_from(versions)) for _ in range(n)]
    dc = [draw(st.booleans()) and draw(st.booleans()) for _ in range(n)]
    stations = []
    evses = []
    sessions = []
    for k in range(n):
        sid = f"cs{k}"
        stations.append(
            SiteStation(
                id=sid,
                version=station_versions[k],
                station=Station(
                    evses=(Evse(id=1, phase_type=PhaseType.DC if dc[k] else PhaseType.AC),)
                ),
            )
        )
        circuit = "feeder" if feeder and draw(st.booleans()) else "grid"
        dmax = draw(st.sampled_from([0.0, 3000.0, 7000.0, 11000.0]))
        if dc[k]:
            evses.append(
                SiteEvse(
                    station_id=sid,
                    evse_id=1,
                    circuit=circuit,
                    phase_type="DC",
                    max_power_w=draw(st.floats(7000, 22000).map(round)),
                    efficiency=draw(st.sampled_from([0.9, 0.95, 1.0])),
                    discharge_max_power_w=dmax,
                )
            )
        else:
            evses.append(
                SiteEvse(
                    station_id=sid,
                    evse_id=1,
                    circuit=circuit,
                    phases=draw(st.sampled_from([("L1", "L2", "L3"), ("L2",), ("L3", "L1", "L2")])),
                    max_current_a=draw(st.sampled_from([16.0, 32.0])),
                    efficiency=draw(st.sampled_from([0.9, 1.0])),
                    discharge_max_power_w=dmax,
                )
            )
        delivered = draw(st.floats(0, 30000).map(round))
        wanted = draw(st.one_of(st.none(), st.floats(delivered, delivered + 40000).map(round)))
        floor = draw(st.one_of(st.none(), st.floats(0, delivered).map(round)))
        if wanted is not None and floor is not None and floor > wanted:
            floor = wanted
        departure = draw(st.one_of(st.none(), st.integers(2, 12)))
        sessions.append(
            Session(
                station_id=sid,
                evse_id=1,
                transaction_id=k + 1 if station_versions[k] == "1.6" else f"tx{k}",
                arrival=T0 - timedelta(minutes=draw(st.integers(0, 60))),
                departure=None if departure is None else T0 + timedelta(hours=departure),
                energy_wanted_wh=wanted,
                energy_delivered_wh=delivered,
                min_energy_wh=floor,
                discharge_max_power_w=draw(st.sampled_from([None, 0.0, 2500.0, 6000.0, 20000.0])),
                min_current_a=None if dc[k] else draw(st.sampled_from([None, 6.0])),
                weight=draw(st.sampled_from([1.0, 2.0])),
            )
        )
    site = Site(circuits=circuits, stations=stations, evses=evses, external_limits=limits)
    return site, sessions


def may_discharge(site: Site, session: Session) -> bool:
    """The rule the planners must follow, restated."""
    evse = site.evse(session.station_id, session.evse_id)
    return (
        site.station(session.station_id).version.value == "2.1"
        and evse.discharge_max_power_w > 0
        and bool(session.discharge_max_power_w)
    )


def _present(session: Session, begin: datetime, end: datetime) -> float:
    a = max(begin, session.arrival)
    b = end if session.departure is None else min(end, session.departure)
    return max(0.0, (b - a).total_seconds()) / (end - begin).total_seconds()


def check_plan(site: Site, sessions: list[Session], result: Plan) -> None:
    """Assert every limit both ways, the battery floors and the discharge rights, slot by
    slot, recomputed from the plan's periods and the site alone.

    A slot may break an import limit only where the base load alone breaks it, no EV
    charges below it and the plan reports the violation.
    """
    by_id = {c.id: c for c in site.circuits}
    reported = {(v.start, v.binding.circuit, v.binding.phase) for v in result.violations}
    levels = {s.key: s.energy_delivered_wh for s in sessions}
    for k in range(result.slots):
        begin = T0 + timedelta(seconds=k * result.slot_s)
        end = begin + timedelta(seconds=result.slot_s)
        lines = {c.id: [0.0, 0.0, 0.0] for c in site.circuits}
        power = dict.fromkeys(by_id, 0.0)
        charging = dict.fromkeys(by_id, False)
        for evse_plan in result.evses:
            period = evse_plan.at(k * result.slot_s)
            evse = site.evse(evse_plan.station_id, evse_plan.evse_id)
            session = next((s for s in sessions if s.key == evse.key), None)
            if period.power_w < 0:
                assert session is not None
                assert may_discharge(site, session), (evse.key, period)
                assert _present(session, begin, end) >= 1 - 1e-9
                top = min(evse.discharge_max_power_w, session.discharge_max_power_w or 0.0)
                if evse.phase_type is PhaseType.DC:
                    assert -period.output_power_w <= top + 1e-6
                else:
                    assert -period.power_w <= top + 1e-6
                assert period.discharge is not None
            node = by_id[evse.circuit]
            conductors = period.number_phases or len(evse.phases)
            grid = [line for c in evse.grid_phases(conductors) for line in c]
            while True:
                if period.current_a is not None:
                    for line in grid:
                        lines[node.id][LINES.index(line)] += period.current_a
                else:
                    for line in grid:
                        share = period.power_w / (len(grid) * site.evse_voltage(evse))
                        lines[node.id][LINES.index(line)] += share
                power[node.id] += period.power_w
                charging[node.id] |= period.power_w > 0
                if node.parent is None:
                    break
                node = by_id[node.parent]
            if session is not None:
                f = _present(session, begin, end)
                eff = evse.efficiency
                x = period.power_w
                energy = (x * eff if x >= 0 else x / eff) * result.slot_s / 3600 * f
                levels[session.key] += energy
                if may_discharge(site, session) and period.power_w < 0:
                    floor = session.min_energy_wh or 0.0
                    assert levels[session.key] >= floor - 1e-3, (session.key, k, levels)
        for circuit in site.circuits:
            load = circuit.load_at(begin, end)
            base_w = 0.0 if load is None or load.power_w is None else load.power_w
            base_a = base_w / (3 * site.voltage)
            limit = circuit.limit_at(begin, end)
            for ext in site.external_limits:
                value = ext.schedule.over(begin, end)
                if value is not None and (
                    (ext.scope.value == "site" and circuit.parent is None)
                    or ext.target == circuit.id
                ):
                    limit = limit.min(value)
            net_w = power[circuit.id] + base_w
            if limit.power_w is not None and net_w > limit.power_w + 1e-6:
                assert base_w > limit.power_w, (circuit.id, k, net_w)
                assert not charging[circuit.id]
                assert (k * result.slot_s, circuit.id, None) in reported
            if circuit.export_limit_w is not None:
                assert -net_w <= circuit.export_limit_w + 1e-6, (circuit.id, k, net_w)
            if limit.current_a is not None:
                for p in range(3):
                    net_a = lines[circuit.id][p] + base_a
                    assert net_a >= -limit.current_a[p] - 1e-6, (circuit.id, k, p, net_a)
                    if net_a > limit.current_a[p] + 1e-6:
                        assert base_a > limit.current_a[p]
                        assert not charging[circuit.id]
                        assert (k * result.slot_s, circuit.id, LINES[p]) in reported
