"""The energy model: a site of circuits, EVSEs on them, sessions, external limits, a policy.

Every value is frozen and checks itself when built, so a planner never meets a
site with a cycle in its circuits, an EVSE on an unknown circuit, a negative
limit or a session that leaves before it arrives: those raise
:class:`~ocpp_core.errors.SiteError` naming the field. Enum-typed fields accept
the enum, its plain string value, or the same-valued enum of any OCPP version's
generated messages (they are converted when the value is built).

Units. Currents are amperes per phase, powers watts, energies watt-hours,
times aware datetimes (never the wall clock). An AC EVSE's rate is limited in A
per phase; a DC EVSE's in W at its output. Inside the planners every EVSE has
one *rate*: the power it takes from the grid, in W. For AC that is
``phases x voltage x current``; for DC it is the output power divided by the
EVSE's efficiency. Energy reaching the battery is the grid power times the
efficiency.

Phases. The grid has three phases, ``L1``, ``L2``, ``L3``. An EVSE names, for
each of its conductors, the grid phase it lands on (installers rotate wiring:
``("L2", "L3", "L1")``), or a pair of lines for an EVSE connected line to line
(``"L1-L2"``: the current flows on both lines, as in the 208 V EVSEs of a US
workplace). An EV that charges on fewer phases uses the EVSE's first conductors.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeAlias, TypeVar

import attrs

from ocpp_core._enums import enum_member
from ocpp_core._text import show
from ocpp_core.errors import SiteError
from ocpp_core.smart_charging import ChargingRateUnit, Station
from ocpp_core.smart_charging import PhaseType as _PhaseType
from ocpp_core.versions import OcppVersion

__all__ = [
    "GRID_PHASES",
    "BelowMinimum",
    "Circuit",
    "ExternalLimit",
    "FairUnit",
    "Limit",
    "LimitSchedule",
    "LimitScope",
    "Objective",
    "PhaseType",
    "Policy",
    "Session",
    "Site",
    "SiteEvse",
    "SiteStation",
    "TransactionId",
]

PhaseType = _PhaseType
"""AC or DC (the station engine's enum, reused)."""

TransactionId: TypeAlias = int | str
"""A transaction id: an integer in OCPP 1.6, a string in 2.x."""

GRID_PHASES = ("L1", "L2", "L3")
"""The grid phases, in order."""

_LINE_PAIRS = {"L1-L2": ("L1", "L2"), "L2-L3": ("L2", "L3"), "L3-L1": ("L3", "L1")}
_E = TypeVar("_E", bound=enum.Enum)


def enum_value(cls: type[_E], value: object, field: str) -> _E:
    """Convert ``value`` (the enum, its string, or any same-valued enum) to ``cls``.

    Raises:
        SiteError: naming ``field`` when the value is none of ``cls``'s values.
    """
    member = enum_member(cls, value)
    if member is None:
        known = ", ".join(str(m.value) for m in cls)
        raise SiteError(field, f"{show(value, 60)} is not one of {known}")
    return member


def _check_finite(field: str, value: float, *, minimum: float | None = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SiteError(field, f"expected a number, got {type(value).__name__}")
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise SiteError(field, f"expected a finite number, got {number}")
    if minimum is not None and number < minimum:
        raise SiteError(field, f"must be at least {minimum:g}, got {number:g}")
    return number


def _aware(field: str, value: object) -> None:
    if not isinstance(value, datetime):
        raise SiteError(field, f"expected an aware datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise SiteError(field, "naive datetime (an aware datetime is required)")


# Named converters (the attrs mypy plugin needs named functions).


def _c_enum_below_minimum(value: Any) -> BelowMinimum:
    return enum_value(BelowMinimum, value, "below_minimum")


def _c_enum_fair_unit(value: Any) -> FairUnit:
    return enum_value(FairUnit, value, "fair_unit")


def _c_enum_objective(value: Any) -> Objective:
    return enum_value(Objective, value, "objective")


def _c_enum_phase_type(value: Any) -> PhaseType:
    return enum_value(PhaseType, value, "phase_type")


def _c_enum_scope(value: Any) -> LimitScope:
    return enum_value(LimitScope, value, "scope")


def _c_finite_discharge_max_power_w(value: Any) -> float:
    return _check_finite("discharge_max_power_w", value)


def _c_finite_deadline_margin(value: Any) -> float:
    return _check_finite("deadline_margin", value)


def _c_finite_cycle_cost_per_kwh(value: Any) -> float:
    return _check_finite("cycle_cost_per_kwh", value)


def _c_finite_discharge_headroom(value: Any) -> float:
    return _check_finite("discharge_headroom", value)


def _c_finite_deadline_share(value: Any) -> float:
    return _check_finite("deadline_share", value)


def _c_finite_efficiency(value: Any) -> float:
    return _check_finite("efficiency", value)


def _c_finite_energy_delivered_wh(value: Any) -> float:
    return _check_finite("energy_delivered_wh", value)


def _c_finite_hysteresis_a(value: Any) -> float:
    return _check_finite("hysteresis_a", value)


def _c_finite_max_current_a(value: Any) -> float:
    return _check_finite("max_current_a", value)


def _c_finite_min_current_a(value: Any) -> float:
    return _check_finite("min_current_a", value)


def _c_finite_min_power_w(value: Any) -> float:
    return _check_finite("min_power_w", value)


def _c_finite_weight(value: Any) -> float:
    return _check_finite("weight", value)


def _c_opt_number_discharge_max_power_w(value: Any) -> float | None:
    return _opt_number("discharge_max_power_w")(value)


def _c_opt_number_energy_wanted_wh(value: Any) -> float | None:
    return _opt_number("energy_wanted_wh")(value)


def _c_opt_number_max_current_a(value: Any) -> float | None:
    return _opt_number("max_current_a")(value)


def _c_opt_number_max_power_w(value: Any) -> float | None:
    return _opt_number("max_power_w")(value)


def _c_opt_number_measured_margin_a(value: Any) -> float | None:
    return _opt_number("measured_margin_a")(value)


def _c_opt_number_min_current_a(value: Any) -> float | None:
    return _opt_number("min_current_a")(value)


def _c_opt_number_min_energy_wh(value: Any) -> float | None:
    # May be negative: the EV may give back more than it took in this session.
    return None if value is None else _check_finite("min_energy_wh", value, minimum=None)


def _c_opt_number_min_power_w(value: Any) -> float | None:
    return _opt_number("min_power_w")(value)


def _c_opt_number_soc(value: Any) -> float | None:
    return _opt_number("soc")(value)


def _c_optional_power_export_limit_w(value: Any) -> float | None:
    return _optional_power(value, "export_limit_w")


def _c_optional_power_max_power_w(value: Any) -> float | None:
    return _optional_power(value, "max_power_w")


def _c_optional_power_power_w(value: Any) -> float | None:
    return _optional_power(value, "power_w")


def _c_optional_power_voltage(value: Any) -> float | None:
    return _optional_power(value, "voltage")


def _c_phase_triple_current_a(value: Any) -> tuple[float, float, float] | None:
    return _phase_triple(value, "current_a")


def _c_phase_triple_max_current_a(value: Any) -> tuple[float, float, float] | None:
    return _phase_triple(value, "max_current_a")


def _c_phase_triple_measured_current_a(value: Any) -> tuple[float, float, float] | None:
    return _phase_triple(value, "measured_current_a")


def _c_positive_current_step_a(value: Any) -> float:
    return _positive("current_step_a")(value)


def _c_positive_power_step_w(value: Any) -> float:
    return _positive("power_step_w")(value)


def _c_positive_voltage(value: Any) -> float:
    return _positive("voltage")(value)


class BelowMinimum(enum.StrEnum):
    """What happens to an EV whose minimum cannot be given (semi-continuous rates)."""

    PAUSE = "pause"
    """Re-decide every time: when not every minimum fits, the pause order (lowest
    priority, then most laxity, then most recently arrived) alone decides who pauses."""
    HOLD = "hold"
    """Hold a charging EV at its minimum: sessions already drawing current (measured
    current above zero) are kept before newcomers of the same priority, so a newcomer
    waits instead of stopping an EV that charges (fewer start/stop cycles)."""


class FairUnit(enum.StrEnum):
    """What the fair share is equal in (before each session's weight)."""

    POWER = "power"
    """Equal power: a single-phase and a three-phase EV on a congested line get the same
    kW, so the single-phase one draws three times the current on its line."""
    CURRENT = "current"
    """Equal current per conductor: every EV gets the same amperes on each line it draws
    on, so a three-phase EV gets three times the power of a single-phase one (what many
    wallbox users expect). A DC unit counts as drawing on its EVSE's conductors at the
    site's voltage."""


class Objective(enum.StrEnum):
    """What the planners optimise."""

    DEADLINES = "deadlines"
    """Most energy delivered by each departure, then max-min fairness, then the peak
    (or the cost, when prices are given)."""
    FAIR_SHARE = "fair-share"
    """Weighted max-min fair shares in every slot, ignoring departures (a load balancer)."""


# --------------------------------------------------------------------------------------
# Limits and their schedules
# --------------------------------------------------------------------------------------


def _phase_triple(value: object, field: str) -> tuple[float, float, float] | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = _check_finite(field, value)
        return (number, number, number)
    if isinstance(value, tuple | list) and len(value) == 3:
        a, b, c = (_check_finite(f"{field}[{i}]", v) for i, v in enumerate(value))
        return (a, b, c)
    raise SiteError(field, "expected a number or three numbers (L1, L2, L3)")


def _optional_power(value: object, field: str) -> float | None:
    return None if value is None else _check_finite(field, value)  # type: ignore[arg-type]


@attrs.frozen(kw_only=True)
class Limit:
    """A limit on a circuit (or a base load on it): per-phase current and/or total power.

    ``None`` means "no limit" (for a base load: nothing drawn).
    """

    current_a: tuple[float, float, float] | None = attrs.field(
        default=None, converter=_c_phase_triple_current_a
    )
    """Amperes on L1, L2, L3 (a single number is the same on each phase)."""
    power_w: float | None = attrs.field(default=None, converter=_c_optional_power_power_w)
    """Total active power over all phases, in W."""

    def min(self, other: Limit | None) -> Limit:
        """The tighter of two limits, phase by phase."""
        if other is None:
            return self
        current: tuple[float, float, float] | None
        if self.current_a is None:
            current = other.current_a
        elif other.current_a is None:
            current = self.current_a
        else:
            a, b = self.current_a, other.current_a
            current = (min(a[0], b[0]), min(a[1], b[1]), min(a[2], b[2]))
        power = (
            other.power_w
            if self.power_w is None
            else self.power_w
            if other.power_w is None
            else min(self.power_w, other.power_w)
        )
        return Limit(current_a=current, power_w=power)


def _schedule_points(value: Iterable[tuple[datetime, Limit]]) -> tuple[tuple[datetime, Limit], ...]:
    points = tuple((moment, limit) for moment, limit in value)
    for index, (moment, limit) in enumerate(points):
        _aware(f"points[{index}][0]", moment)
        if not isinstance(limit, Limit):
            raise SiteError(f"points[{index}][1]", "expected a Limit")
        if index and moment <= points[index - 1][0]:
            raise SiteError(f"points[{index}][0]", "times must increase strictly")
    return points


@attrs.frozen(kw_only=True)
class LimitSchedule:
    """A step function of time: each point's value holds until the next point.

    Before the first point the schedule says nothing (``None``); after the last
    point the last value holds. Used for circuit limit schedules, base-load
    series (measured or forecast) and external limits.
    """

    points: tuple[tuple[datetime, Limit], ...] = attrs.field(converter=_schedule_points)
    """``(start, value)`` pairs with strictly increasing starts."""

    def at(self, moment: datetime) -> Limit | None:
        """The value in force at ``moment`` (``None`` before the first point)."""
        found: Limit | None = None
        for start, value in self.points:
            if start > moment:
                break
            found = value
        return found

    def over(self, begin: datetime, end: datetime, *, tightest: bool = True) -> Limit | None:
        """The tightest (or, with ``tightest=False``, the largest) value over ``[begin, end)``.

        For limits the tightest value in force anywhere in the interval is the
        conservative choice; for base loads the largest is.
        """
        values = [self.at(begin)]
        values.extend(value for start, value in self.points if begin < start < end)
        present = [v for v in values if v is not None]
        if not present:
            return None
        if tightest:
            result = present[0]
            for value in present[1:]:
                result = result.min(value)
            return result
        return _max_load(present)

    def breakpoints(self) -> tuple[datetime, ...]:
        """The instants where the value changes."""
        return tuple(start for start, _ in self.points)


def _max_load(values: list[Limit]) -> Limit:
    current: tuple[float, float, float] | None = None
    power: float | None = None
    for value in values:
        if value.current_a is not None:
            c = value.current_a
            current = (
                c
                if current is None
                else (max(current[0], c[0]), max(current[1], c[1]), max(current[2], c[2]))
            )
        if value.power_w is not None:
            power = value.power_w if power is None else max(power, value.power_w)
    return Limit(current_a=current, power_w=power)


# --------------------------------------------------------------------------------------
# Circuits, stations, EVSEs
# --------------------------------------------------------------------------------------


def _nonempty_id(field: str) -> Callable[[Any, Any, Any], None]:
    def check(_inst: Any, _attr: Any, value: Any) -> None:
        if not isinstance(value, str) or not value:
            raise SiteError(field, "expected a non-empty string")

    return check


def _opt_schedule(field: str) -> Callable[[Any, Any, Any], None]:
    def check(_inst: Any, _attr: Any, value: Any) -> None:
        if value is not None and not isinstance(value, LimitSchedule):
            raise SiteError(field, "expected a LimitSchedule")

    return check


@attrs.frozen(kw_only=True)
class Circuit:
    """A node of the site's electrical tree: the grid connection, a feeder, a panel.

    The root (``parent=None``) is the grid connection. Every EVSE below a circuit
    counts against its limits; a base load (lighting, a building) takes its
    share first.
    """

    id: str = attrs.field(validator=_nonempty_id("id"))
    """Unique name of the circuit."""
    parent: str | None = None
    """The circuit it hangs from; ``None`` for the grid connection."""
    max_current_a: tuple[float, float, float] | None = attrs.field(
        default=None, converter=_c_phase_triple_max_current_a
    )
    """Per-phase current limit in A (a number is the same on each phase); ``None``: none."""
    max_power_w: float | None = attrs.field(default=None, converter=_c_optional_power_max_power_w)
    """Total power limit in W; ``None``: none."""
    limit_schedule: LimitSchedule | None = attrs.field(
        default=None, validator=_opt_schedule("limit_schedule")
    )
    """A limit over time (e.g. a tariff window), combined with the static limits by minimum."""
    base_load: LimitSchedule | None = attrs.field(
        default=None, validator=_opt_schedule("base_load")
    )
    """Uncontrolled load (measured or forecast): its values are drawn before any EVSE."""
    export_limit_w: float | None = attrs.field(
        default=None, converter=_c_optional_power_export_limit_w
    )
    """V2G: most power that may flow back to the grid through this circuit, in W."""
    static_limit: Limit = attrs.field(init=False, eq=False, repr=False)
    """The static limits as one :class:`Limit` (derived)."""

    def __attrs_post_init__(self) -> None:
        object.__setattr__(
            self, "static_limit", Limit(current_a=self.max_current_a, power_w=self.max_power_w)
        )

    def limit_at(self, begin: datetime, end: datetime | None = None) -> Limit:
        """The circuit's own limit over ``[begin, end)`` (at ``begin`` without ``end``)."""
        static = self.static_limit
        if self.limit_schedule is None:
            return static
        timed = (
            self.limit_schedule.at(begin)
            if end is None
            else self.limit_schedule.over(begin, end, tightest=True)
        )
        return static.min(timed)

    def load_at(self, begin: datetime, end: datetime | None = None) -> Limit | None:
        """The base load over ``[begin, end)`` (its largest value), or at ``begin``."""
        if self.base_load is None:
            return None
        if end is None:
            return self.base_load.at(begin)
        return self.base_load.over(begin, end, tightest=False)


def _version(value: object) -> OcppVersion:
    try:
        return OcppVersion.parse(value)  # type: ignore[arg-type]
    except ValueError as exc:
        raise SiteError("version", str(exc)) from None


@attrs.frozen(kw_only=True)
class SiteStation:
    """A charging station of the site: its id, OCPP version and capabilities.

    The capabilities are the station engine's :class:`~ocpp_core.smart_charging.Station`
    (supported rate units, stack levels, periods per schedule, phase switching,
    supply voltage), so that requests made for it are checked by the same rules
    the station applies.
    """

    id: str = attrs.field(validator=_nonempty_id("id"))
    """The station's identity (as in its WebSocket URL)."""
    version: OcppVersion = attrs.field(converter=_version)
    """Its OCPP version."""
    station: Station
    """Its capabilities and EVSEs as the station engine models them."""
    max_current_a: tuple[float, float, float] | None = attrs.field(
        default=None, converter=_c_phase_triple_max_current_a
    )
    """Station-wide per-phase current limit (shared by its EVSEs); ``None``: none."""
    max_power_w: float | None = attrs.field(default=None, converter=_c_optional_power_max_power_w)
    """Station-wide power limit in W; ``None``: none."""


def _phase_map(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise SiteError("phases", "expected a list of phases, e.g. ['L1', 'L2', 'L3']")
    phases = tuple(value)
    if not 1 <= len(phases) <= 3:
        raise SiteError("phases", "an EVSE has one to three conductors")
    for index, phase in enumerate(phases):
        if phase not in GRID_PHASES and phase not in _LINE_PAIRS:
            known = ", ".join((*GRID_PHASES, *_LINE_PAIRS))
            raise SiteError(f"phases[{index}]", f"{phase!r:.20} is not one of {known}")
    return phases


@attrs.frozen(kw_only=True)
class SiteEvse:
    """An EVSE placed on a circuit: wiring, supply, rate range and efficiency.

    AC EVSEs are limited in A per phase (``min_current_a``/``max_current_a``),
    DC EVSEs in W at the output (``min_power_w``/``max_power_w``).
    """

    station_id: str = attrs.field(validator=_nonempty_id("station_id"))
    """The station it belongs to."""
    evse_id: int
    """Its EVSE id within the station (1.6: connector id), from 1."""
    circuit: str = attrs.field(validator=_nonempty_id("circuit"))
    """The circuit it is wired to."""
    phases: tuple[str, ...] = attrs.field(default=GRID_PHASES, converter=_phase_map)
    """Grid phase of each conductor: ``L1``/``L2``/``L3`` or a line pair ``L1-L2`` etc."""
    phase_type: PhaseType = attrs.field(default=PhaseType.AC, converter=_c_enum_phase_type)
    """AC or DC."""
    min_current_a: float = attrs.field(default=0.0, converter=_c_finite_min_current_a)
    """AC: least current per phase it can set (0: any)."""
    max_current_a: float = attrs.field(default=32.0, converter=_c_finite_max_current_a)
    """AC: most current per phase."""
    min_power_w: float = attrs.field(default=0.0, converter=_c_finite_min_power_w)
    """DC: least output power."""
    max_power_w: float | None = attrs.field(default=None, converter=_c_optional_power_max_power_w)
    """DC: most output power (required for DC); AC: an extra cap on the total, if any."""
    efficiency: float = attrs.field(default=1.0, converter=_c_finite_efficiency)
    """Energy reaching the EV per unit taken from the grid (DC chargers: ~0.93)."""
    voltage: float | None = attrs.field(default=None, converter=_c_optional_power_voltage)
    """Voltage per conductor for A<->W (``None``: the station's supply voltage)."""
    discharge_max_power_w: float = attrs.field(
        default=0.0, converter=_c_finite_discharge_max_power_w
    )
    """V2X: most power it can return to the grid, in W (at the output for DC; 0: none).
    Discharge is planned only for OCPP 2.1 stations."""

    def __attrs_post_init__(self) -> None:
        if isinstance(self.evse_id, bool) or not isinstance(self.evse_id, int) or self.evse_id < 1:
            raise SiteError("evse_id", "expected an integer of at least 1")
        if self.min_current_a > self.max_current_a:
            raise SiteError("min_current_a", "is above max_current_a")
        if not 0.0 < self.efficiency <= 1.0:
            raise SiteError("efficiency", "must be in (0, 1]")
        if self.phase_type is PhaseType.DC:
            if self.max_power_w is None:
                raise SiteError("max_power_w", "a DC EVSE needs its maximum output power")
            if self.min_power_w > self.max_power_w:
                raise SiteError("min_power_w", "is above max_power_w")

    @property
    def key(self) -> tuple[str, int]:
        """``(station_id, evse_id)``, the EVSE's identity in the site."""
        return (self.station_id, self.evse_id)

    def grid_phases(self, conductors: int | None = None) -> tuple[tuple[str, ...], ...]:
        """For each conductor in use, the grid lines its current flows on."""
        used = self.phases if conductors is None else self.phases[:conductors]
        return tuple(_LINE_PAIRS.get(p, (p,)) for p in used)


# --------------------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------------------


def _opt_number(field: str) -> Callable[[object], float | None]:
    def convert(value: object) -> float | None:
        return None if value is None else _check_finite(field, value)  # type: ignore[arg-type]

    return convert


@attrs.frozen(kw_only=True)
class Session:
    """An EV plugged into an EVSE: when it came, when it leaves, what it wants and takes.

    Everything beyond the EVSE and the arrival is optional: a session with no
    departure never becomes urgent; one with no energy wanted takes what it gets.
    Build it from a transaction (arrival, phases in use, measured current) and
    refine it from ISO 15118 charging needs (departure, energy, EV limits) with
    :func:`attrs.evolve`.
    """

    station_id: str = attrs.field(validator=_nonempty_id("station_id"))
    """The station of the EVSE."""
    evse_id: int
    """The EVSE (1.6: connector)."""
    arrival: datetime
    """When the EV was plugged in (or will be, for a reservation)."""
    transaction_id: TransactionId | None = None
    """The OCPP transaction, once there is one (TxProfile needs it)."""
    departure: datetime | None = None
    """When the EV leaves; ``None``: unknown (never urgent)."""
    energy_wanted_wh: float | None = attrs.field(
        default=None, converter=_c_opt_number_energy_wanted_wh
    )
    """Energy the EV wants over the whole session, at the battery; ``None``: unbounded."""
    energy_delivered_wh: float = attrs.field(default=0.0, converter=_c_finite_energy_delivered_wh)
    """Energy delivered so far."""
    min_current_a: float | None = attrs.field(default=None, converter=_c_opt_number_min_current_a)
    """AC: EV minimum current per phase (e.g. 6 A); ``None``: the EVSE's."""
    max_current_a: float | None = attrs.field(default=None, converter=_c_opt_number_max_current_a)
    """AC: EV maximum current per phase; ``None``: the EVSE's."""
    min_power_w: float | None = attrs.field(default=None, converter=_c_opt_number_min_power_w)
    """DC: EV minimum power; ``None``: the EVSE's."""
    max_power_w: float | None = attrs.field(default=None, converter=_c_opt_number_max_power_w)
    """EV maximum power (DC, or an AC on-board charger's cap); ``None``: no extra cap."""
    ev_phases: int | None = None
    """Phases the EV really draws on (1, 2 or 3); ``None``: every conductor of the EVSE."""
    soc: float | None = attrs.field(default=None, converter=_c_opt_number_soc)
    """State of charge in percent, where known (DC, ISO 15118)."""
    priority: int = 0
    """Higher priorities keep charging when not every minimum fits."""
    weight: float = attrs.field(default=1.0, converter=_c_finite_weight)
    """Share of the fair split relative to others (2 gets twice as much as 1)."""
    measured_current_a: tuple[float, float, float] | None = attrs.field(
        default=None, converter=_c_phase_triple_measured_current_a
    )
    """Last measured current on the EVSE's conductors L1, L2, L3."""
    measured_at: datetime | None = None
    """When that was measured."""
    discharge_max_power_w: float | None = attrs.field(
        default=None, converter=_c_opt_number_discharge_max_power_w
    )
    """V2X: most power the EV may return, in W (at the EVSE's output for DC); ``None``
    or 0: it does not discharge."""
    min_energy_wh: float | None = attrs.field(default=None, converter=_c_opt_number_min_energy_wh)
    """V2X: the battery floor, counted like :attr:`energy_delivered_wh` (energy delivered in
    this session): planned discharging never takes the session's delivered energy below
    it. ``None``: 0 (an EV gives back at most what it took in this session). Negative: the
    EV may give back that much more than it took (an ISO 15118-20 ``evMinEnergyRequest``
    below 0 is ``energy_delivered_wh + evMinEnergyRequest``)."""

    def __attrs_post_init__(self) -> None:
        if isinstance(self.evse_id, bool) or not isinstance(self.evse_id, int) or self.evse_id < 1:
            raise SiteError("evse_id", "expected an integer of at least 1")
        _aware("arrival", self.arrival)
        if self.departure is not None:
            _aware("departure", self.departure)
            if self.departure < self.arrival:
                raise SiteError("departure", "is before the arrival")
        if self.measured_at is not None:
            _aware("measured_at", self.measured_at)
        if self.ev_phases is not None and self.ev_phases not in (1, 2, 3):
            raise SiteError("ev_phases", "expected 1, 2 or 3")
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise SiteError("priority", "expected an integer")
        if self.weight <= 0:
            raise SiteError("weight", "must be above 0")
        for low, high in (("min_current_a", "max_current_a"), ("min_power_w", "max_power_w")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                raise SiteError(low, f"is above {high}")
        if (
            self.min_energy_wh is not None
            and self.energy_wanted_wh is not None
            and self.min_energy_wh > self.energy_wanted_wh
        ):
            raise SiteError("min_energy_wh", "is above energy_wanted_wh")

    @property
    def key(self) -> tuple[str, int]:
        """``(station_id, evse_id)``: the EVSE it is on."""
        return (self.station_id, self.evse_id)

    @property
    def energy_remaining_wh(self) -> float | None:
        """Energy still wanted (``None``: unbounded)."""
        if self.energy_wanted_wh is None:
            return None
        return max(0.0, self.energy_wanted_wh - self.energy_delivered_wh)


# --------------------------------------------------------------------------------------
# External limits
# --------------------------------------------------------------------------------------


class LimitScope(enum.StrEnum):
    """What an external limit applies to."""

    SITE = "site"
    """The grid connection (the root circuit)."""
    CIRCUIT = "circuit"
    """One circuit (``target`` names it)."""
    STATION = "station"
    """All EVSEs of a station together (``target`` is the station id)."""
    EVSE = "evse"
    """One EVSE (``target`` is ``"station#evse"``)."""


@attrs.frozen(kw_only=True)
class ExternalLimit:
    """A limit imposed from outside: an EMS, the grid operator (SO), the CSO.

    OCPP 2.x stations report such limits with NotifyChargingLimit and withdraw
    them with ClearedChargingLimit; a CSMS may also receive them from a grid
    operator directly. Grid-critical limits are never relaxed by any policy.
    """

    id: str = attrs.field(validator=_nonempty_id("id"))
    """A name unique within the site, used to replace or clear the limit."""
    source: str
    """Who imposes it: ``EMS``, ``SO``, ``CSO``, ``Other`` (2.1 allows any string)."""
    scope: LimitScope = attrs.field(converter=_c_enum_scope)
    """What it applies to."""
    schedule: LimitSchedule
    """Its value over time."""
    target: str | None = None
    """The circuit, station or ``station#evse`` named by the scope (``None`` for the site)."""
    grid_critical: bool = False
    """OCPP ``isGridCritical``."""

    def __attrs_post_init__(self) -> None:
        if isinstance(self.source, enum.Enum):
            object.__setattr__(self, "source", str(self.source.value))
        if not isinstance(self.source, str) or not self.source:
            raise SiteError("source", "expected a non-empty string")
        if not isinstance(self.schedule, LimitSchedule):
            raise SiteError("schedule", "expected a LimitSchedule")
        if self.scope is LimitScope.SITE:
            if self.target is not None:
                raise SiteError("target", "a site-wide limit has no target")
        elif not isinstance(self.target, str) or not self.target:
            raise SiteError("target", f"a {self.scope.value} limit needs a target")

    def evse_key(self) -> tuple[str, int] | None:
        """For an EVSE scope, ``(station_id, evse_id)`` parsed from the target."""
        if self.scope is not LimitScope.EVSE or self.target is None:
            return None
        station, _, evse = self.target.rpartition("#")
        if not station or not evse.isdigit():
            raise SiteError("target", "an EVSE target is written 'station#evse'")
        return (station, int(evse))


# --------------------------------------------------------------------------------------
# Policy
# --------------------------------------------------------------------------------------


def _positive(field: str) -> Callable[[object], float]:
    def convert(value: object) -> float:
        number = _check_finite(field, value)  # type: ignore[arg-type]
        if number <= 0:
            raise SiteError(field, "must be above 0")
        return number

    return convert


@attrs.frozen(kw_only=True)
class Policy:
    """How the planners decide: objective, minimums, slots, hysteresis, rounding."""

    objective: Objective = attrs.field(default=Objective.DEADLINES, converter=_c_enum_objective)
    """What to optimise."""
    below_minimum: BelowMinimum = attrs.field(
        default=BelowMinimum.PAUSE, converter=_c_enum_below_minimum
    )
    """What happens when not every EV's minimum fits."""
    fair_unit: FairUnit = attrs.field(default=FairUnit.POWER, converter=_c_enum_fair_unit)
    """Whether fair shares are equal in power or in current per conductor."""
    slot_s: int = 900
    """Length of a planning slot in seconds."""
    horizon_s: int = 86400
    """How far ahead :func:`~ocpp_core.energy.plan` plans by default."""
    hysteresis_a: float = attrs.field(default=0.0, converter=_c_finite_hysteresis_a)
    """Raises smaller than this (A, or W/230 for W limits) are not sent as new profiles."""
    current_step_a: float = attrs.field(default=0.1, converter=_c_positive_current_step_a)
    """Currents are rounded down to a multiple of this."""
    power_step_w: float = attrs.field(default=1.0, converter=_c_positive_power_step_w)
    """Powers are rounded down to a multiple of this."""
    measured_margin_a: float | None = attrs.field(
        default=None, converter=_c_opt_number_measured_margin_a
    )
    """When set, an EV drawing less than it was given is capped at its measured current plus
    this margin, so that its unused share goes to others (stale measurements are ignored)."""
    measurement_max_age_s: int = 120
    """Measurements older than this are ignored."""
    deadline_margin: float = attrs.field(default=0.25, converter=_c_finite_deadline_margin)
    """The greedy planner aims to deliver each session's energy within this share of its
    time left before the departure (0: just in time; EVs taper when nearly full)."""
    deadline_share: float = attrs.field(default=0.7, converter=_c_finite_deadline_share)
    """Share of every limit the greedy planner's deadline stage may take; the rest is
    shared fairly among all sessions (1: strict earliest-deadline-first)."""
    prices: LimitSchedule | None = None
    """Optional price series (``Limit.power_w`` read as price per kWh): the LP planner's
    last stage then minimises cost instead of the peak (and may discharge V2X sessions
    when energy is dear to recharge them when it is cheap)."""
    allow_discharge: bool = True
    """V2X: plan discharging where the station (OCPP 2.1), the EVSE and the EV allow it."""
    cycle_cost_per_kwh: float = attrs.field(default=0.02, converter=_c_finite_cycle_cost_per_kwh)
    """V2X: the cost of cycling the battery (degradation), per kWh discharged from the
    battery, in the prices' currency: the LP planner discharges for arbitrage only when
    the price spread beats it, and never cycles for nothing (without prices it counts as
    a small tie-breaking cost)."""
    discharge_headroom: float = attrs.field(default=0.5, converter=_c_finite_discharge_headroom)
    """V2X, greedy planner: a session with a departure and an energy goal discharges only
    what it could recharge, with the rest of its goal, at its maximum rate within this
    share of its time left after the slot (the LP planner keeps the goals exactly)."""

    def __attrs_post_init__(self) -> None:
        if not 0.0 <= self.deadline_share <= 1.0:
            raise SiteError("deadline_share", "must be in [0, 1]")
        if not 0.0 <= self.deadline_margin < 1.0:
            raise SiteError("deadline_margin", "must be in [0, 1)")
        if not 0.0 <= self.discharge_headroom <= 1.0:
            raise SiteError("discharge_headroom", "must be in [0, 1]")
        if not isinstance(self.allow_discharge, bool):
            raise SiteError("allow_discharge", "expected a boolean")
        if self.prices is not None and not isinstance(self.prices, LimitSchedule):
            raise SiteError("prices", "expected a LimitSchedule")
        for name in ("slot_s", "horizon_s", "measurement_max_age_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise SiteError(name, "expected a positive integer number of seconds")


# --------------------------------------------------------------------------------------
# Site
# --------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SiteLayout:
    """The site's limits as a flat list of resources, derived from a :class:`Site` once.

    Each circuit's L1, L2, L3 and power, then each station's L1, L2, L3 and power.
    """

    resources: tuple[tuple[str, str | None, str | None, str | None], ...]
    """``(kind, circuit, phase, station)`` per resource; kind is ``current``, ``power``
    or ``station``."""
    circuit_index: dict[str, tuple[int, int, int, int]]
    """Resource indices of each circuit."""
    station_index: dict[str, tuple[int, int, int, int]]
    """Resource indices of each station."""
    groups: dict[tuple[str, int], tuple[tuple[int, int, int, int], ...]]
    """Per EVSE: the resource groups from its circuit up to the root, then its station."""
    finite: tuple[bool, ...]
    """Whether each resource has a finite capacity at some time."""
    unit_cache: dict[
        tuple[tuple[str, int], int | None],
        tuple[tuple[tuple[int, float], ...], int, float, tuple[str, ...], float],
    ] = attrs.field(init=False, factory=dict, eq=False, repr=False)
    """Derived per ``(EVSE key, EV phases)`` by the planners on first use: coefficients,
    conductors, voltage, grid lines and W per A (a cache; the layout stays immutable)."""

    @classmethod
    def of(cls, site: Site) -> SiteLayout:
        """The layout of ``site``."""
        resources: list[tuple[str, str | None, str | None, str | None]] = []
        circuit_index: dict[str, tuple[int, int, int, int]] = {}
        for circuit in site.circuits:
            base = len(resources)
            resources.extend(("current", circuit.id, phase, None) for phase in GRID_PHASES)
            resources.append(("power", circuit.id, None, None))
            circuit_index[circuit.id] = (base, base + 1, base + 2, base + 3)
        station_index: dict[str, tuple[int, int, int, int]] = {}
        for station in sorted(site.stations, key=lambda x: x.id):
            base = len(resources)
            resources.extend(("station", None, phase, station.id) for phase in GRID_PHASES)
            resources.append(("station", None, None, station.id))
            station_index[station.id] = (base, base + 1, base + 2, base + 3)
        groups = {
            evse.key: (
                *(circuit_index[c.id] for c in site.path(evse.circuit)),
                station_index[evse.station_id],
            )
            for evse in site.evses
        }
        finite = [False] * len(resources)

        def mark(idx: tuple[int, int, int, int], limit: Limit | None) -> None:
            if limit is None:
                return
            if limit.current_a is not None:
                for k in range(3):
                    if not math.isinf(limit.current_a[k]):
                        finite[idx[k]] = True
            if limit.power_w is not None and not math.isinf(limit.power_w):
                finite[idx[3]] = True

        for circuit in site.circuits:
            idx = circuit_index[circuit.id]
            mark(idx, Limit(current_a=circuit.max_current_a, power_w=circuit.max_power_w))
            if circuit.limit_schedule is not None:
                for _, value in circuit.limit_schedule.points:
                    mark(idx, value)
        for station in site.stations:
            idx = station_index[station.id]
            mark(idx, Limit(current_a=station.max_current_a, power_w=station.max_power_w))
        for limit in site.external_limits:
            if limit.scope is LimitScope.SITE:
                idx = circuit_index[site.root.id]
            elif limit.scope is LimitScope.CIRCUIT and limit.target is not None:
                idx = circuit_index[limit.target]
            elif limit.scope is LimitScope.STATION and limit.target is not None:
                idx = station_index[limit.target]
            else:
                continue
            for _, value in limit.schedule.points:
                mark(idx, value)
        return cls(
            resources=tuple(resources),
            circuit_index=circuit_index,
            station_index=station_index,
            groups=groups,
            finite=tuple(finite),
        )


def _tuple_circuits(value: Iterable[Circuit]) -> tuple[Circuit, ...]:
    return tuple(value)


def _tuple_stations(value: Iterable[SiteStation]) -> tuple[SiteStation, ...]:
    return tuple(value)


def _tuple_evses(value: Iterable[SiteEvse]) -> tuple[SiteEvse, ...]:
    return tuple(value)


def _tuple_external_limits(value: Iterable[ExternalLimit]) -> tuple[ExternalLimit, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Site:
    """A site: its circuit tree, stations, EVSEs and the external limits in force.

    Checked when built: one root, no cycle, no unknown parent, every EVSE on a
    known circuit and a known station whose engine model has that EVSE, no EVSE
    twice, external limits naming things that exist. Use :meth:`with_external_limit`
    and :meth:`without_external_limit` to follow NotifyChargingLimit and
    ClearedChargingLimit; each returns a new site.
    """

    circuits: tuple[Circuit, ...] = attrs.field(converter=_tuple_circuits)
    """The circuits; exactly one has no parent (the grid connection)."""
    stations: tuple[SiteStation, ...] = attrs.field(converter=_tuple_stations)
    """The stations."""
    evses: tuple[SiteEvse, ...] = attrs.field(converter=_tuple_evses)
    """The EVSEs."""
    external_limits: tuple[ExternalLimit, ...] = attrs.field(
        default=(), converter=_tuple_external_limits
    )
    """External limits in force."""
    voltage: float = attrs.field(default=230.0, converter=_c_positive_voltage)
    """Phase-to-neutral voltage used where neither EVSE nor station says."""
    _circuit_index: dict[str, Circuit] = attrs.field(init=False, eq=False, repr=False)
    _station_index: dict[str, SiteStation] = attrs.field(init=False, eq=False, repr=False)
    _evse_index: dict[tuple[str, int], SiteEvse] = attrs.field(init=False, eq=False, repr=False)
    _paths: dict[str, tuple[Circuit, ...]] = attrs.field(init=False, eq=False, repr=False)
    _layout: SiteLayout = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        ids: dict[str, int] = {}
        for index, circuit in enumerate(self.circuits):
            if not isinstance(circuit, Circuit):
                raise SiteError(f"circuits[{index}]", "expected a Circuit")
            if circuit.id in ids:
                raise SiteError(f"circuits[{index}].id", f"duplicate circuit {circuit.id!r}")
            ids[circuit.id] = index
        roots = [c for c in self.circuits if c.parent is None]
        if len(roots) != 1:
            raise SiteError("circuits", f"expected exactly one root circuit, found {len(roots)}")
        for index, circuit in enumerate(self.circuits):
            if circuit.parent is not None and circuit.parent not in ids:
                raise SiteError(f"circuits[{index}].parent", f"unknown circuit {circuit.parent!r}")
        for index, circuit in enumerate(self.circuits):
            seen = {circuit.id}
            node = circuit
            while node.parent is not None:
                if node.parent in seen:
                    raise SiteError(f"circuits[{index}].parent", f"cycle through {node.parent!r}")
                seen.add(node.parent)
                node = self.circuits[ids[node.parent]]
        stations: dict[str, SiteStation] = {}
        for index, station in enumerate(self.stations):
            if not isinstance(station, SiteStation):
                raise SiteError(f"stations[{index}]", "expected a SiteStation")
            if station.id in stations:
                raise SiteError(f"stations[{index}].id", f"duplicate station {station.id!r}")
            stations[station.id] = station
        keys: set[tuple[str, int]] = set()
        for index, evse in enumerate(self.evses):
            where = f"evses[{index}]"
            if not isinstance(evse, SiteEvse):
                raise SiteError(where, "expected a SiteEvse")
            if evse.circuit not in ids:
                raise SiteError(f"{where}.circuit", f"unknown circuit {evse.circuit!r}")
            owner = stations.get(evse.station_id)
            if owner is None:
                raise SiteError(f"{where}.station_id", f"unknown station {evse.station_id!r}")
            engine_evse = owner.station.evse(evse.evse_id)
            if engine_evse is None:
                raise SiteError(
                    f"{where}.evse_id",
                    f"station {evse.station_id!r} has no EVSE {evse.evse_id}",
                )
            if engine_evse.phase_type is not evse.phase_type:
                raise SiteError(
                    f"{where}.phase_type",
                    f"{evse.phase_type.value} but the station model says "
                    f"{engine_evse.phase_type.value}",
                )
            if evse.key in keys:
                raise SiteError(where, f"duplicate EVSE {evse.station_id}#{evse.evse_id}")
            keys.add(evse.key)
        limit_ids: set[str] = set()
        for index, limit in enumerate(self.external_limits):
            self._check_limit(limit, f"external_limits[{index}]", ids, stations, keys)
            if limit.id in limit_ids:
                raise SiteError(f"external_limits[{index}].id", f"duplicate limit {limit.id!r}")
            limit_ids.add(limit.id)
        # Derived indices (immutable, built once: the planners look things up often).
        by_id = {c.id: c for c in self.circuits}
        paths: dict[str, tuple[Circuit, ...]] = {}
        for circuit in self.circuits:
            chain = [circuit]
            while chain[-1].parent is not None:
                chain.append(by_id[chain[-1].parent])
            paths[circuit.id] = tuple(chain)
        object.__setattr__(self, "_circuit_index", by_id)
        object.__setattr__(self, "_station_index", stations)
        object.__setattr__(self, "_evse_index", {e.key: e for e in self.evses})
        object.__setattr__(self, "_paths", paths)
        object.__setattr__(self, "_layout", SiteLayout.of(self))

    @property
    def layout(self) -> SiteLayout:
        """The site's limits as indexed resources (derived once, used by the planners)."""
        return self._layout

    @staticmethod
    def _check_limit(
        limit: ExternalLimit,
        where: str,
        circuits: Mapping[str, int],
        stations: Mapping[str, SiteStation],
        evses: set[tuple[str, int]],
    ) -> None:
        if not isinstance(limit, ExternalLimit):
            raise SiteError(where, "expected an ExternalLimit")
        if limit.scope is LimitScope.CIRCUIT and limit.target not in circuits:
            raise SiteError(f"{where}.target", f"unknown circuit {limit.target!r}")
        if limit.scope is LimitScope.STATION and limit.target not in stations:
            raise SiteError(f"{where}.target", f"unknown station {limit.target!r}")
        if limit.scope is LimitScope.EVSE:
            key = limit.evse_key()
            if key not in evses:
                raise SiteError(f"{where}.target", f"unknown EVSE {limit.target!r}")

    @property
    def root(self) -> Circuit:
        """The grid connection."""
        return next(c for c in self.circuits if c.parent is None)

    def circuit(self, circuit_id: str) -> Circuit:
        """The circuit named ``circuit_id``.

        Raises:
            SiteError: when there is none.
        """
        found = self._circuit_index.get(circuit_id)
        if found is None:
            raise SiteError("circuit", f"unknown circuit {circuit_id!r}")
        return found

    def station(self, station_id: str) -> SiteStation:
        """The station named ``station_id``.

        Raises:
            SiteError: when there is none.
        """
        found = self._station_index.get(station_id)
        if found is None:
            raise SiteError("station_id", f"unknown station {station_id!r}")
        return found

    def evse(self, station_id: str, evse_id: int) -> SiteEvse:
        """The EVSE ``evse_id`` of ``station_id``.

        Raises:
            SiteError: when there is none.
        """
        found = self._evse_index.get((station_id, evse_id))
        if found is None:
            raise SiteError("evse_id", f"unknown EVSE {station_id}#{evse_id}")
        return found

    def path(self, circuit_id: str) -> tuple[Circuit, ...]:
        """The circuits from ``circuit_id`` up to the root, inclusive.

        Raises:
            SiteError: when there is no such circuit.
        """
        found = self._paths.get(circuit_id)
        if found is None:
            raise SiteError("circuit", f"unknown circuit {circuit_id!r}")
        return found

    def evse_voltage(self, evse: SiteEvse) -> float:
        """Voltage per conductor of ``evse`` (its own, else its station's supply voltage)."""
        if evse.voltage is not None:
            return evse.voltage
        return self.station(evse.station_id).station.supply_voltage

    def with_external_limit(self, limit: ExternalLimit) -> Site:
        """A site with ``limit`` added (replacing any limit with the same id)."""
        kept = tuple(x for x in self.external_limits if x.id != limit.id)
        return attrs.evolve(self, external_limits=(*kept, limit))

    def without_external_limit(self, limit_id: str) -> Site:
        """A site without the external limit ``limit_id`` (unchanged when absent)."""
        return attrs.evolve(
            self, external_limits=tuple(x for x in self.external_limits if x.id != limit_id)
        )

    def check_sessions(self, sessions: Iterable[Session]) -> tuple[Session, ...]:
        """Check that ``sessions`` are on known EVSEs, one per EVSE, with usable units.

        Raises:
            SiteError: naming ``sessions[i].<field>``.
        """
        out = tuple(sessions)
        taken: set[tuple[str, int]] = set()
        known = self._evse_index
        for index, session in enumerate(out):
            where = f"sessions[{index}]"
            if not isinstance(session, Session):
                raise SiteError(where, "expected a Session")
            evse = known.get(session.key)
            if evse is None:
                raise SiteError(
                    f"{where}.evse_id", f"unknown EVSE {session.station_id}#{session.evse_id}"
                )
            if session.key in taken:
                raise SiteError(
                    where, f"two sessions on EVSE {session.station_id}#{session.evse_id}"
                )
            taken.add(session.key)
            if evse.phase_type is PhaseType.DC and (
                session.min_current_a is not None or session.max_current_a is not None
            ):
                raise SiteError(
                    f"{where}.max_current_a", "a DC session is limited in W (min/max_power_w)"
                )
            if session.ev_phases is not None and session.ev_phases > len(evse.phases):
                raise SiteError(
                    f"{where}.ev_phases",
                    f"{session.ev_phases} phases on an EVSE with {len(evse.phases)} conductors",
                )
        return out


def rate_unit_of(evse: SiteEvse) -> ChargingRateUnit:
    """The natural unit of ``evse``'s limits: A for AC, W for DC."""
    return ChargingRateUnit.A if evse.phase_type is PhaseType.AC else ChargingRateUnit.W
