"""What the planners return: allocations, plans, and why each EVSE got what it got."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ocpp_core.energy._model import TransactionId

__all__ = [
    "Allocation",
    "Binding",
    "BindingKind",
    "CircuitLoad",
    "Discharge",
    "DischargeReason",
    "EvseAllocation",
    "EvsePlan",
    "LimitViolation",
    "Plan",
    "PlanMethod",
    "PlanPeriod",
    "SessionOutcome",
]


class BindingKind(enum.StrEnum):
    """What limited an EVSE's rate."""

    CIRCUIT_CURRENT = "circuit-current"
    """A circuit's current limit on one phase (``circuit``, ``phase``)."""
    CIRCUIT_POWER = "circuit-power"
    """A circuit's power limit (``circuit``)."""
    STATION_LIMIT = "station-limit"
    """The station-wide limit shared by its EVSEs (``station_id``)."""
    EXTERNAL_LIMIT = "external-limit"
    """An external limit (``limit_id``, ``source``); on a circuit or station it also
    names the circuit or station and phase."""
    EV_MAXIMUM = "ev-maximum"
    """The EV's own maximum (current or power)."""
    EVSE_MAXIMUM = "evse-maximum"
    """The EVSE's maximum."""
    MEASURED = "measured-current"
    """Capped at the EV's measured current plus the policy's margin."""
    ENERGY = "energy"
    """The EV needs no more (energy wanted reached, or less than a full slot's worth)."""
    BELOW_MINIMUM = "below-minimum"
    """Paused: its minimum did not fit (the fields name the limit that did not have room)."""
    NO_SESSION = "no-session"
    """No EV on the EVSE (or not arrived yet, or gone)."""
    OBJECTIVE = "objective"
    """Held below every limit by the plan's objective (a lower peak or cost, or energy
    kept for later slots)."""
    EXPORT_LIMIT = "export-limit"
    """V2X: a circuit's export limit (``circuit``) bounds the discharge."""
    EV_DISCHARGE_MAXIMUM = "ev-discharge-maximum"
    """V2X: the EV's discharge maximum bounds the discharge."""
    EVSE_DISCHARGE_MAXIMUM = "evse-discharge-maximum"
    """V2X: the EVSE's discharge maximum (or its current rating) bounds the discharge."""
    BATTERY_FLOOR = "battery-floor"
    """V2X: discharging more would take the battery below the session's floor
    (``min_energy_wh``, else the energy it had on arrival)."""
    DEPARTURE_RESERVE = "departure-reserve"
    """V2X: discharging more could cost energy the EV needs by its departure."""
    DEFICIT_COVERED = "deficit-covered"
    """V2X: the discharge covers its share of the deficit exactly (no more is needed)."""


@attrs.frozen(kw_only=True)
class Binding:
    """The constraint that set an EVSE's rate, like a composite's ``PeriodExplanation``."""

    kind: BindingKind
    """Which kind of constraint."""
    circuit: str | None = None
    """The circuit, for circuit and external limits on circuits."""
    phase: str | None = None
    """The grid phase, for current limits."""
    station_id: str | None = None
    """The station, for station-wide limits."""
    limit_id: str | None = None
    """The external limit's id."""
    source: str | None = None
    """The external limit's source (EMS, SO, CSO, ...)."""

    def describe(self) -> str:
        """A short human text, e.g. ``circuit 'panel-1' current on L2``."""
        kind = self.kind
        if kind is BindingKind.CIRCUIT_CURRENT:
            return f"circuit {self.circuit!r} current on {self.phase}"
        if kind is BindingKind.CIRCUIT_POWER:
            return f"circuit {self.circuit!r} power"
        if kind is BindingKind.STATION_LIMIT:
            where = f" on {self.phase}" if self.phase else ""
            return f"station {self.station_id!r} limit{where}"
        if kind is BindingKind.EXTERNAL_LIMIT:
            where = ""
            if self.circuit is not None:
                where = f" on circuit {self.circuit!r}"
            elif self.station_id is not None:
                where = f" on station {self.station_id!r}"
            if self.phase:
                where += f" {self.phase}"
            return f"external limit {self.limit_id!r} ({self.source}){where}"
        if kind is BindingKind.BELOW_MINIMUM:
            if self.limit_id is not None or self.circuit is not None or self.station_id is not None:
                inner = attrs.evolve(
                    self,
                    kind=BindingKind.EXTERNAL_LIMIT
                    if self.limit_id is not None
                    else BindingKind.STATION_LIMIT
                    if self.circuit is None
                    else BindingKind.CIRCUIT_CURRENT
                    if self.phase
                    else BindingKind.CIRCUIT_POWER,
                )
                return f"paused: minimum does not fit under {inner.describe()}"
            return "paused: minimum above what the EV or EVSE allows"
        return {
            BindingKind.EV_MAXIMUM: "EV maximum",
            BindingKind.EVSE_MAXIMUM: "EVSE maximum",
            BindingKind.MEASURED: "measured current plus margin",
            BindingKind.ENERGY: "energy wanted reached",
            BindingKind.NO_SESSION: "no session",
            BindingKind.OBJECTIVE: "the plan's objective (peak, cost or later slots)",
            BindingKind.EV_DISCHARGE_MAXIMUM: "EV discharge maximum",
            BindingKind.EVSE_DISCHARGE_MAXIMUM: "EVSE discharge maximum",
            BindingKind.BATTERY_FLOOR: "battery floor",
            BindingKind.DEPARTURE_RESERVE: "energy reserved for the departure",
            BindingKind.DEFICIT_COVERED: "deficit covered",
            BindingKind.EXPORT_LIMIT: f"circuit {self.circuit!r} export limit",
        }[kind]


class DischargeReason(enum.StrEnum):
    """Why a plan discharges an EV (V2X)."""

    DEFICIT = "deficit"
    """The base load alone breaks a limit (``Discharge.limit`` names it): the EV covers
    its share of the deficit so the site stays within the limit."""
    ARBITRAGE = "arbitrage"
    """Energy is dear now and cheap later (the LP planner with prices)."""
    PEAK_SHAVING = "peak-shaving"
    """It lowers the site's peak (the LP planner without prices)."""


@attrs.frozen(kw_only=True)
class Discharge:
    """Why a plan period discharges; its :class:`Binding` says what bounds the discharge."""

    reason: DischargeReason
    """Why."""
    limit: Binding | None = None
    """For :attr:`DischargeReason.DEFICIT`: the limit the base load breaks."""

    def describe(self) -> str:
        """A short human text, e.g. ``covers the deficit under circuit 'grid' power``."""
        if self.reason is DischargeReason.DEFICIT:
            where = "" if self.limit is None else f" under {self.limit.describe()}"
            return f"covers the base load's deficit{where}"
        if self.reason is DischargeReason.ARBITRAGE:
            return "price arbitrage (discharge dear, recharge cheap)"
        return "peak shaving"


@attrs.frozen(kw_only=True)
class EvseAllocation:
    """One EVSE's share at an instant."""

    station_id: str
    """The station."""
    evse_id: int
    """The EVSE."""
    transaction_id: TransactionId | None
    """The session's transaction, if any."""
    current_a: float | None
    """AC: current per phase in A (rounded down); ``None`` for DC."""
    power_w: float
    """Power taken from the grid, in W."""
    output_power_w: float
    """Power reaching the EV (grid power times efficiency), in W; DC limits use this."""
    number_phases: int | None
    """AC: phases the EV draws on; ``None`` for DC."""
    grid_phases: tuple[str, ...]
    """The grid lines it loads."""
    paused: bool
    """True when a session is present but gets 0 because its minimum did not fit."""
    binding: Binding
    """What set this value."""


@attrs.frozen(kw_only=True)
class CircuitLoad:
    """A circuit's load and limit at an instant (base load included)."""

    circuit: str
    """The circuit."""
    current_a: tuple[float, float, float]
    """Current on L1, L2, L3 (EVSEs and base load)."""
    power_w: float
    """Total power (EVSEs and base load)."""
    limit_current_a: tuple[float, float, float] | None
    """The per-phase limit in force (circuit, schedule, external limits), if any."""
    limit_power_w: float | None
    """The power limit in force, if any."""


@attrs.frozen(kw_only=True)
class Allocation:
    """The result of :func:`~ocpp_core.energy.allocate`."""

    at: datetime
    """The instant."""
    evses: tuple[EvseAllocation, ...]
    """Every EVSE of the site, sorted by (station, EVSE)."""
    circuits: tuple[CircuitLoad, ...]
    """Every circuit, in the site's order."""

    def get(self, station_id: str, evse_id: int) -> EvseAllocation:
        """The allocation of one EVSE.

        Raises:
            KeyError: when the site has no such EVSE.
        """
        for item in self.evses:
            if item.station_id == station_id and item.evse_id == evse_id:
                return item
        raise KeyError((station_id, evse_id))


class PlanMethod(enum.StrEnum):
    """Which planner made a plan."""

    GREEDY = "greedy"
    """The deadline-aware greedy planner (pure Python)."""
    LP = "lp"
    """The optimal planner (linear programmes on HiGHS)."""


@attrs.frozen(kw_only=True)
class PlanPeriod:
    """One piece of an EVSE's piecewise-constant plan."""

    start: int
    """Seconds from the plan's start."""
    current_a: float | None
    """AC: current per phase (A); ``None`` for DC."""
    power_w: float
    """Power from the grid (W)."""
    output_power_w: float
    """Power reaching the EV (W); DC limits use this."""
    number_phases: int | None
    """AC: phases the EV draws on."""
    binding: Binding
    """What set the value in this period's first slot (for a discharge: what bounds the
    discharge)."""
    discharge: Discharge | None = None
    """V2X: why the EV discharges in this period (``power_w`` is then negative)."""

    @property
    def discharging(self) -> bool:
        """True when the period returns energy to the grid (negative power)."""
        return self.power_w < 0.0


@attrs.frozen(kw_only=True)
class EvsePlan:
    """The plan of one EVSE: periods from the plan start to its end."""

    station_id: str
    """The station."""
    evse_id: int
    """The EVSE."""
    transaction_id: TransactionId | None
    """The transaction of the session planned on it, if any."""
    periods: tuple[PlanPeriod, ...]
    """Sorted, the first at 0, adjacent periods differ."""

    def at(self, offset: int) -> PlanPeriod:
        """The period in force ``offset`` seconds after the plan start."""
        found = self.periods[0]
        for period in self.periods:
            if period.start > offset:
                break
            found = period
        return found


@attrs.frozen(kw_only=True)
class SessionOutcome:
    """What a plan gives one session, and what it cannot."""

    station_id: str
    """The station."""
    evse_id: int
    """The EVSE."""
    transaction_id: TransactionId | None
    """Its transaction."""
    energy_wanted_wh: float | None
    """Energy still wanted at the plan start (``None``: unbounded)."""
    energy_planned_wh: float
    """Energy the plan delivers within the horizon, before the departure."""
    unmet_wh: float
    """Energy wanted but not planned (0 when unbounded)."""
    bound_by: tuple[Binding, ...]
    """The constraints that held it below its maximum in some slot, most frequent first."""
    energy_discharged_wh: float = 0.0
    """V2X: energy the plan takes back from the battery (``energy_planned_wh`` is net)."""
    v2x_note: str | None = None
    """V2X: why a session that offers discharging gets none planned (e.g. the station does
    not speak OCPP 2.1), if so."""


@attrs.frozen(kw_only=True)
class LimitViolation:
    """A limit the plan cannot keep in one slot.

    The base load alone exceeds it and discharging EVs cannot cover the rest.
    """

    start: int
    """Seconds from the plan start (the slot's start)."""
    binding: Binding
    """The limit (circuit and phase, or external limit)."""
    excess: float
    """How far above the limit the site stays, in A (current limits) or W (power)."""


@attrs.frozen(kw_only=True)
class Plan:
    """The result of :func:`~ocpp_core.energy.plan`."""

    start: datetime
    """Plan start."""
    slot_s: int
    """Slot length in seconds."""
    slots: int
    """Number of slots."""
    method: PlanMethod
    """Which planner made it."""
    evses: tuple[EvsePlan, ...]
    """Every EVSE of the site, sorted by (station, EVSE)."""
    sessions: tuple[SessionOutcome, ...]
    """Every session planned, sorted by (station, EVSE)."""
    peak_w: float
    """Highest total EVSE power at the grid connection in any slot."""
    violations: tuple[LimitViolation, ...] = ()
    """Slots where the base load alone breaks a limit and discharging does not cover it."""

    @property
    def horizon_s(self) -> int:
        """Seconds covered."""
        return self.slot_s * self.slots

    @property
    def unmet_wh(self) -> float:
        """Sum of the sessions' unmet energy."""
        return sum(s.unmet_wh for s in self.sessions)

    def evse(self, station_id: str, evse_id: int) -> EvsePlan:
        """The plan of one EVSE.

        Raises:
            KeyError: when the plan has no such EVSE.
        """
        for item in self.evses:
            if item.station_id == station_id and item.evse_id == evse_id:
                return item
        raise KeyError((station_id, evse_id))
