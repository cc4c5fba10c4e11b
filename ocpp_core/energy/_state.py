"""The CSMS's view of a site between messages: sessions, installed profiles, offers.

:class:`SiteState` is what every reaction takes and returns (a new value each
time, never changed in place): the :class:`~ocpp_core.energy.Site`, one
:class:`Track` per EV session (the planner's :class:`~ocpp_core.energy.Session`
plus what the CSMS must remember about it: meter start, ISO 15118 offers,
renegotiations), the profiles the CSMS believes each station holds (one
:class:`~ocpp_core.smart_charging.ProfileStore` per station, in the station's
version) and the SetChargingProfile requests still waiting for an answer.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs

from ocpp_core._text import show
from ocpp_core.energy._model import (
    PhaseType,
    Policy,
    Session,
    Site,
    SiteEvse,
    TransactionId,
    enum_value,
)
from ocpp_core.errors import SiteError
from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingSchedule,
    InstalledProfile,
    OperationMode,
    ProfileStore,
    Transaction,
    V2XFreqWattPoint,
    V2XSignalWattPoint,
)

__all__ = [
    "ControlMode",
    "CsmsSettings",
    "MobilityNeeds",
    "MobilityNeedsMode",
    "PendingProfile",
    "SiteState",
    "Track",
    "V2xSetting",
]


class ControlMode(enum.StrEnum):
    """How an ISO 15118 session is steered (2.1 ``controlMode``)."""

    SCHEDULED = "ScheduledControl"
    """The EV picks one of the offered schedules (SAScheduleTuples) and follows it."""
    DYNAMIC = "DynamicControl"
    """The CSMS updates one setpoint/limit as it goes (2.1 Dynamic profiles)."""


def _c_control(value: object) -> ControlMode | None:
    if value is None:
        return None
    raw = value.value if isinstance(value, enum.Enum) else value
    for member in ControlMode:
        if member.value == raw:
            return member
    raise SiteError("control_mode", f"{value!r:.40} is not ScheduledControl or DynamicControl")


class MobilityNeedsMode(enum.StrEnum):
    """2.1 ``mobilityNeedsMode``: who may set the EV's departure time and target energy."""

    EVCC = "EVCC"
    """The EV alone (its departure time and energy are authoritative)."""
    EVCC_SECC = "EVCC_SECC"
    """The EV, and the station or CSMS may update them."""


def _c_mobility_mode(value: object) -> MobilityNeedsMode | None:
    return None if value is None else enum_value(MobilityNeedsMode, value, "mobility_mode")


def _c_opt_soc(field: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SiteError(field, f"expected a percentage, got {show(value, 40)}")
    if not 0 <= value <= 100:
        raise SiteError(field, f"must be within 0..100, got {value:g}")
    return float(value)


def _c_opt_energy(field: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SiteError(field, f"expected a number of Wh, got {show(value, 40)}")
    if value <= 0:
        raise SiteError(field, f"must be above 0, got {value:g}")
    return float(value)


def _c_capacity(value: object) -> float | None:
    return _c_opt_energy("ev_capacity_wh", value)


def _c_basis(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SiteError("soc_basis_wh", f"expected a number of Wh, got {show(value, 40)}")
    if value < 0:
        raise SiteError("soc_basis_wh", f"must be at least 0, got {value:g}")
    return float(value)


def _c_target_soc(value: object) -> float | None:
    return _c_opt_soc("target_soc", value)


def _c_max_soc(value: object) -> float | None:
    return _c_opt_soc("max_soc", value)


def _c_needs_energy(value: object) -> float | None:
    return _c_opt_energy("energy_wanted_wh", value)


def _c_needs_min_energy(value: object) -> float | None:
    return _c_opt_energy("min_energy_wh", value)


@attrs.frozen(kw_only=True)
class MobilityNeeds:
    """What the CSMS (a driver app, a fleet policy) says a session needs.

    Applied to the plan only where the CSMS may set mobility needs: when the EV
    sent none (no ISO 15118 charging needs) or said 2.1 ``mobilityNeedsMode``
    ``EVCC_SECC``. With ``EVCC`` (or no mode) the EV's own values stand.
    """

    departure: datetime | None = None
    """When the driver leaves (an aware datetime)."""
    energy_wanted_wh: float | None = attrs.field(default=None, converter=_c_needs_energy)
    """Energy wanted over the whole session (Wh, above 0)."""
    min_energy_wh: float | None = attrs.field(default=None, converter=_c_needs_min_energy)
    """V2X: energy below which the battery must not be discharged (Wh, above 0)."""
    target_soc: float | None = attrs.field(default=None, converter=_c_target_soc)
    """Target state of charge (%): the energy wanted follows from the EV's SoC and
    capacity when no ``energy_wanted_wh`` is given."""
    max_soc: float | None = attrs.field(default=None, converter=_c_max_soc)
    """Most state of charge (%) to charge to; sent as 2.1 ``limitAtSoC`` where the
    station supports it, and caps the energy wanted where SoC and capacity are known."""

    def __attrs_post_init__(self) -> None:
        if self.departure is not None and (
            not isinstance(self.departure, datetime) or self.departure.utcoffset() is None
        ):
            raise SiteError("departure", "expected an aware datetime")
        if (
            self.min_energy_wh is not None
            and self.energy_wanted_wh is not None
            and self.min_energy_wh > self.energy_wanted_wh
        ):
            raise SiteError("min_energy_wh", "is above energy_wanted_wh")
        if (
            self.target_soc is not None
            and self.max_soc is not None
            and self.target_soc > self.max_soc
        ):
            raise SiteError("target_soc", "is above max_soc")


def _c_mode(value: object) -> OperationMode:
    return enum_value(OperationMode, value, "mode")


def _c_supported(value: object) -> frozenset[OperationMode] | None:
    if value is None:
        return None
    items: Iterable[Any]
    if isinstance(value, str):
        # The device-model form: a comma-separated member list.
        items = [x.strip() for x in value.split(",") if x.strip()]
    elif isinstance(value, Iterable):
        items = value
    else:
        raise SiteError("supported_modes", f"expected operation modes, got {show(value, 40)}")
    return frozenset(enum_value(OperationMode, x, "supported_modes") for x in items)


def _pair(value: object, field: str, names: tuple[str, str]) -> tuple[float, float]:
    first: object
    second: object
    if isinstance(value, V2XFreqWattPoint | V2XSignalWattPoint):
        first, second = getattr(value, names[0]), value.power
    elif isinstance(value, dict):
        first, second = value.get(names[0]), value.get(names[1])
    elif isinstance(value, tuple | list) and len(value) == 2:
        first, second = value
    else:
        raise SiteError(field, f"a point is ({', '.join(names)}), got {show(value, 40)}")
    numbers: list[float] = []
    for name, number in zip(names, (first, second), strict=True):
        if (
            isinstance(number, bool)
            or not isinstance(number, int | float)
            or not math.isfinite(number)
        ):
            raise SiteError(field, f"{name} {show(number, 30)} is not a finite number")
        numbers.append(float(number))
    return numbers[0], numbers[1]


def _c_curve(value: object) -> tuple[V2XFreqWattPoint, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise SiteError("freq_watt_curve", f"expected a list of points, got {show(value, 40)}")
    points = (_pair(x, "freq_watt_curve", ("frequency", "power")) for x in value)
    return tuple(V2XFreqWattPoint(frequency=f, power=p) for f, p in points)


def _c_signal_curve(value: object) -> tuple[V2XSignalWattPoint, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise SiteError("signal_watt_curve", f"expected a list of points, got {show(value, 40)}")
    out = []
    for item in value:
        signal, power = _pair(item, "signal_watt_curve", ("signal", "power"))
        if signal != int(signal):
            raise SiteError("signal_watt_curve", f"signal {signal:g} is not an integer")
        out.append(V2XSignalWattPoint(signal=int(signal), power=power))
    return tuple(out)


def _c_baseline(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SiteError("baseline_w", f"expected a finite number of W, got {show(value, 40)}")
    return float(value)


@attrs.frozen(kw_only=True)
class V2xSetting:
    """V2X on one EVSE (or on every EVSE of a station): what it supports, what the CSMS wants.

    The reactions read it when a bidirectional ISO 15118-20 EV charges there on a
    2.1 station, to choose the period's operation mode (see the how-to's V2G
    section for the rules).
    """

    station_id: str
    """The station."""
    evse_id: int = 0
    """The EVSE; 0: every EVSE of the station (an EVSE's own setting wins)."""
    mode: OperationMode = attrs.field(default=OperationMode.CENTRAL_SETPOINT, converter=_c_mode)
    """The mode the CSMS wants for bidirectional EVs there: ``CentralSetpoint`` (the
    CSMS gives setpoints), ``ChargingOnly`` (V2X not allowed), ``ExternalSetpoint`` /
    ``ExternalLimits`` (an energy management system controls the EVSE),
    ``CentralFrequency`` (frequency support with a central setpoint and AFRR
    signals along ``signal_watt_curve``) / ``LocalFrequency`` (the station follows
    the grid frequency along ``freq_watt_curve``), ``LocalLoadBalancing`` (a local
    controller balances the station's EVSEs), ``Idle``."""
    supported_modes: frozenset[OperationMode] | None = attrs.field(
        default=None, converter=_c_supported
    )
    """What the station reports in ``V2XChargingCtrlr.SupportedOperationModes`` for
    the EVSE (a list, or the device model's comma-separated text); ``None``: not
    known (every mode is assumed). ``ChargingOnly`` is always possible."""
    freq_watt_curve: tuple[V2XFreqWattPoint, ...] | None = attrs.field(
        default=None, converter=_c_curve
    )
    """Frequency support: ``(frequency Hz, power W)`` points (or ``V2XFreqWattPoint``),
    2 to 20 of them, frequencies increasing; the power is added to ``baseline_w``
    (positive charges, negative discharges). Required by the frequency modes."""
    signal_watt_curve: tuple[V2XSignalWattPoint, ...] | None = attrs.field(
        default=None, converter=_c_signal_curve
    )
    """Central frequency support (aFRR): ``(signal, power W)`` points, 1 to 20, signals
    increasing; the station maps each AFRRSignal's value through it onto
    ``baseline_w``. Carried by ``CentralFrequency``."""
    baseline_w: float = attrs.field(default=0.0, converter=_c_baseline)
    """Frequency support: the ``v2xBaseline`` the curves' powers are added to."""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.station_id, str) or not self.station_id:
            raise SiteError("station_id", "expected a non-empty station id")
        if isinstance(self.evse_id, bool) or not isinstance(self.evse_id, int) or self.evse_id < 0:
            raise SiteError("evse_id", "expected 0 (every EVSE) or an EVSE id")
        curve = self.freq_watt_curve
        if curve is not None:
            if not 2 <= len(curve) <= 20:
                raise SiteError(
                    "freq_watt_curve",
                    f"needs 2 to 20 points (Q08.FR.02, 2.1 schema), got {len(curve)}",
                )
            for before, after in itertools.pairwise(curve):
                if after.frequency <= before.frequency:
                    raise SiteError(
                        "freq_watt_curve",
                        f"frequencies must increase: {after.frequency:g} Hz after "
                        f"{before.frequency:g} Hz",
                    )
            if curve[0].frequency <= 0:
                raise SiteError("freq_watt_curve", "frequencies must be above 0 Hz")
        elif self.mode is OperationMode.LOCAL_FREQUENCY or (
            self.mode is OperationMode.CENTRAL_FREQUENCY and self.signal_watt_curve is None
        ):
            raise SiteError("freq_watt_curve", f"{self.mode.value} needs a frequency-watt curve")
        signals = self.signal_watt_curve
        if signals is not None:
            if not 1 <= len(signals) <= 20:
                raise SiteError(
                    "signal_watt_curve", f"needs 1 to 20 points (2.1 schema), got {len(signals)}"
                )
            for low, high in itertools.pairwise(p.signal for p in signals):
                if high <= low:
                    raise SiteError(
                        "signal_watt_curve", f"signals must increase: {high} after {low}"
                    )

    @property
    def key(self) -> tuple[str, int]:
        """``(station_id, evse_id)``."""
        return (self.station_id, self.evse_id)

    def supports(self, mode: OperationMode) -> bool:
        """Whether the station may be given ``mode`` (unknown support: yes)."""
        return (
            mode is OperationMode.CHARGING_ONLY
            or self.supported_modes is None
            or mode in self.supported_modes
        )


def evse_charge_max_w(site: Site, evse: SiteEvse) -> float:
    """The most power ``evse`` can charge with, in W (AC: its current over its conductors)."""
    if evse.phase_type is PhaseType.DC:
        return evse.max_power_w or 0.0
    total = evse.max_current_a * len(evse.phases) * site.evse_voltage(evse)
    return total if evse.max_power_w is None else min(total, evse.max_power_w)


@attrs.frozen(kw_only=True)
class Track:
    """One EV session as the CSMS follows it."""

    session: Session
    """The planner's view: EVSE, arrival, departure, energy, EV limits, measurements."""
    meter_start_wh: float | None = None
    """The energy register at the start of the transaction (delivered = register - start)."""
    iso15118: bool = False
    """True once the EV has sent its charging needs (NotifyEVChargingNeeds)."""
    max_schedule_tuples: int = 1
    """How many schedules (SAScheduleTuples) the EV accepts."""
    control_mode: ControlMode | None = attrs.field(default=None, converter=_c_control)
    """2.1 control mode; ``None`` before 2.1 or when the EV did not say."""
    bidirectional: bool = False
    """2.1: the EV asked for a bidirectional (BPT) energy transfer."""
    offered: tuple[ChargingSchedule, ...] = ()
    """The schedules last offered to the EV (the ISO 15118 SAScheduleTuples)."""
    renegotiations: int = 0
    """Renegotiations asked because the EV's schedule went beyond the offer."""
    priority_charging: bool = False
    """2.1: the driver asked for priority charging."""
    mobility_mode: MobilityNeedsMode | None = attrs.field(default=None, converter=_c_mobility_mode)
    """2.1 ``mobilityNeedsMode`` of the EV's needs (``None``: not said, read as ``EVCC``)."""
    ev_capacity_wh: float | None = attrs.field(default=None, converter=_c_capacity)
    """The EV's battery capacity (DC ``evEnergyCapacity``, Wh above 0), where it said."""
    soc_basis_wh: float | None = attrs.field(default=None, converter=_c_basis)
    """The energy delivered when ``session.soc`` was read (energies from SoC count from it)."""
    csms_needs: MobilityNeeds | None = None
    """What the CSMS says the session needs (:func:`~ocpp_core.energy.set_mobility_needs`)."""

    @property
    def csms_may_set_needs(self) -> bool:
        """Whether the CSMS's mobility needs apply: no EV needs, or ``EVCC_SECC``."""
        return not self.iso15118 or self.mobility_mode is MobilityNeedsMode.EVCC_SECC

    def max_soc(self, policy: float | None) -> float | None:
        """The maximum SoC that applies (the session's own, else the CSMS policy), if allowed."""
        if not self.csms_may_set_needs:
            return None
        own = self.csms_needs.max_soc if self.csms_needs is not None else None
        return own if own is not None else policy

    def planned_session(self, max_soc: float | None = None) -> Session:
        """The session the planner sees: the EV's, with the CSMS's needs where they apply.

        An energy wanted below the battery floor (``min_energy_wh``) is raised to it.

        Args:
            max_soc: the CSMS's maximum-SoC policy (``CsmsSettings.max_soc``).
        """
        session = self.session
        if not self.csms_may_set_needs:
            return session
        needs = self.csms_needs
        changes: dict[str, Any] = {}
        soc = session.soc
        capacity = self.ev_capacity_wh
        basis = self.soc_basis_wh if self.soc_basis_wh is not None else 0.0
        if needs is not None:
            if needs.departure is not None and needs.departure >= session.arrival:
                changes["departure"] = needs.departure
            if needs.min_energy_wh is not None:
                changes["min_energy_wh"] = needs.min_energy_wh
            if needs.energy_wanted_wh is not None:
                changes["energy_wanted_wh"] = needs.energy_wanted_wh
            elif needs.target_soc is not None and soc is not None and capacity:
                changes["energy_wanted_wh"] = basis + max(0.0, needs.target_soc - soc) / 100 * (
                    capacity
                )
        top = self.max_soc(max_soc)
        if top is not None and soc is not None and capacity:
            most = basis + max(0.0, top - soc) / 100 * capacity
            wanted = changes.get("energy_wanted_wh", session.energy_wanted_wh)
            changes["energy_wanted_wh"] = most if wanted is None else min(wanted, most)
        wanted = changes.get("energy_wanted_wh", session.energy_wanted_wh)
        floor = changes.get("min_energy_wh", session.min_energy_wh)
        if wanted is not None and floor is not None and floor > wanted:
            # The battery floor is a must: never plan to want less than it.
            changes["energy_wanted_wh"] = floor
        return attrs.evolve(session, **changes) if changes else session

    @property
    def key(self) -> tuple[str, int]:
        """``(station_id, evse_id)``."""
        return self.session.key

    @property
    def transaction_id(self) -> TransactionId | None:
        """The transaction, if any."""
        return self.session.transaction_id


@attrs.frozen(kw_only=True)
class PendingProfile:
    """A SetChargingProfile request sent and not yet answered."""

    station_id: str
    """The station it went to."""
    evse_id: int
    """Its EVSE (0: the station)."""
    profile: ChargingProfile
    """The profile sent."""
    previous: InstalledProfile | None
    """What the station held under that id before (restored if this one is refused)."""
    attempt: int = 0
    """0 for the first request; n for the n-th fallback."""
    tried: tuple[str, ...] = ()
    """The fallback steps already taken (``unit``, ``stack-level``, ``purpose``)."""


@attrs.frozen(kw_only=True)
class CsmsSettings:
    """The CSMS's choices when it turns decisions into requests."""

    stack_level: int = 1
    """Stack level of the profiles the CSMS sends (capped by the station's maximum)."""
    profile_id_base: int = 100000
    """Profile ids are ``base + 1000 x purpose + EVSE`` (purpose 1 TxProfile, 2
    TxDefaultProfile, 3 station maximum, 4 PriorityCharging), as
    :func:`~ocpp_core.energy.to_requests` makes them: deterministic, so a new profile
    replaces the old under every version's rules."""
    max_fallbacks: int = 3
    """Most fallback requests after a Rejected SetChargingProfile, per profile."""
    max_renegotiations: int = 2
    """Most renegotiations per session when the EV's schedule goes beyond the offer."""
    max_schedule_tuples: int = 3
    """Most schedules offered to an EV (the schemas allow 3 per TxProfile)."""
    dyn_update_interval_s: int = 60
    """2.1 Dynamic profiles: how often the station should pull an update."""
    horizon_s: int | None = None
    """``None``: share the capacity of the instant (:func:`~ocpp_core.energy.allocate`)
    and send one-period profiles. A number of seconds: plan that far ahead
    (:func:`~ocpp_core.energy.plan`, deadline-aware, in the policy's slots) and send
    the plan's schedules made by :func:`~ocpp_core.energy.to_requests`."""
    max_soc: float | None = None
    """A maximum-SoC policy (%) for every session whose mobility needs the CSMS may
    set (a session's own :attr:`MobilityNeeds.max_soc` wins); ``None``: none."""

    def __attrs_post_init__(self) -> None:
        for name in ("stack_level", "profile_id_base", "max_fallbacks", "max_renegotiations"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise SiteError(name, "expected a non-negative integer")
        if not 1 <= self.max_schedule_tuples <= 3:
            raise SiteError("max_schedule_tuples", "expected 1, 2 or 3")
        if self.horizon_s is not None and (
            isinstance(self.horizon_s, bool)
            or not isinstance(self.horizon_s, int)
            or self.horizon_s <= 0
        ):
            raise SiteError("horizon_s", "expected a positive number of seconds or None")
        if self.profile_id_base < 1:
            raise SiteError("profile_id_base", "must be at least 1")
        _c_max_soc(self.max_soc)


def _tuple_tracks(value: Iterable[Track]) -> tuple[Track, ...]:
    return tuple(value)


def _tuple_stores(
    value: Iterable[tuple[str, ProfileStore]],
) -> tuple[tuple[str, ProfileStore], ...]:
    return tuple((str(k), v) for k, v in value)


def _tuple_pending(value: Iterable[PendingProfile]) -> tuple[PendingProfile, ...]:
    return tuple(value)


def _tuple_v2x(value: Iterable[V2xSetting]) -> tuple[V2xSetting, ...]:
    if isinstance(value, V2xSetting):
        return (value,)
    items = tuple(value)
    for item in items:
        if not isinstance(item, V2xSetting):
            raise SiteError("v2x", f"expected V2xSetting values, got {type(item).__name__}")
    return items


def _check_v2x(site: Site, settings: tuple[V2xSetting, ...]) -> None:
    """Each setting names a known station or EVSE, once; its curves fit its EVSEs.

    Runs whenever a state is made: it costs one lookup per setting, and a scan of
    the station's EVSEs only for station-wide settings with a curve.
    """
    seen: set[tuple[str, int]] = set()
    for setting in settings:
        where = f"{setting.station_id}#{setting.evse_id}"
        if setting.key in seen:
            raise SiteError("v2x", f"two settings for {where}")
        seen.add(setting.key)
        try:
            if setting.evse_id:
                evses = [site.evse(setting.station_id, setting.evse_id)]
            else:
                site.station(setting.station_id)
                evses = []
        except SiteError:
            raise SiteError("v2x", f"unknown station or EVSE {where}") from None
        points = [
            ("freq_watt_curve", f"{p.frequency:g} Hz", p.power)
            for p in setting.freq_watt_curve or ()
        ] + [
            ("signal_watt_curve", f"signal {p.signal}", p.power)
            for p in setting.signal_watt_curve or ()
        ]
        if not points:
            continue
        if not setting.evse_id:
            evses = [e for e in site.evses if e.station_id == setting.station_id]
        for evse in evses:
            top = evse_charge_max_w(site, evse)
            low = -evse.discharge_max_power_w
            for field, at, value in points:
                power = setting.baseline_w + value
                if not low - 1e-9 <= power <= top + 1e-9:
                    raise SiteError(
                        field,
                        f"{evse.station_id}#{evse.evse_id}: {power:g} W at {at} (baseline "
                        f"included) is outside the EVSE's {low:g}..{top:g} W",
                    )


@attrs.frozen(kw_only=True)
class SiteState:
    """Everything a reaction needs to know about the site between two messages.

    Build one with just a site; reactions return the next state in their result.
    """

    site: Site
    """The site (external limits included)."""
    tracks: tuple[Track, ...] = attrs.field(default=(), converter=_tuple_tracks)
    """The sessions in progress, one per EVSE at most."""
    installed: tuple[tuple[str, ProfileStore], ...] = attrs.field(
        default=(), converter=_tuple_stores
    )
    """``(station_id, store)``: the profiles the CSMS believes each station holds."""
    pending: tuple[PendingProfile, ...] = attrs.field(default=(), converter=_tuple_pending)
    """SetChargingProfile requests not answered yet."""
    policy: Policy = attrs.field(factory=Policy)
    """How the planner shares capacity."""
    settings: CsmsSettings = attrs.field(factory=CsmsSettings)
    """How decisions become requests."""
    v2x: tuple[V2xSetting, ...] = attrs.field(default=(), converter=_tuple_v2x)
    """V2X settings per EVSE or station (the operation modes they support and the
    CSMS wants); an EVSE without one gets ``CentralSetpoint`` where it may discharge."""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.site, Site):
            raise SiteError("site", "expected a Site")
        self.site.check_sessions(t.session for t in self.tracks)
        _check_v2x(self.site, self.v2x)

    @property
    def sessions(self) -> tuple[Session, ...]:
        """The planner's sessions (with the CSMS's mobility needs where they apply)."""
        policy = self.settings.max_soc
        return tuple(t.planned_session(policy) for t in self.tracks)

    def v2x_setting(self, station_id: str, evse_id: int) -> V2xSetting:
        """The V2X setting of an EVSE: its own, else its station's, else the default."""
        found = None
        for setting in self.v2x:
            if setting.key == (station_id, evse_id):
                return setting
            if setting.key == (station_id, 0):
                found = setting
        return found or V2xSetting(station_id=station_id, evse_id=evse_id)

    def track_on(self, station_id: str, evse_id: int) -> Track | None:
        """The session on an EVSE, if any."""
        for track in self.tracks:
            if track.key == (station_id, evse_id):
                return track
        return None

    def track_of(self, station_id: str, transaction_id: TransactionId) -> Track | None:
        """The session of a transaction at a station, if any (ids compared as text)."""
        for track in self.tracks:
            tid = track.transaction_id
            if track.key[0] == station_id and tid is not None and str(tid) == str(transaction_id):
                return track
        return None

    def store(self, station_id: str) -> ProfileStore:
        """The profiles the CSMS believes ``station_id`` holds (empty at first)."""
        for key, store in self.installed:
            if key == station_id:
                return store
        version = self.site.station(station_id).version
        return ProfileStore(version=version)

    def transactions(self, station_id: str) -> tuple[Transaction, ...]:
        """The station engine's view of the transactions running at ``station_id``."""
        return tuple(
            Transaction(
                evse_id=t.key[1], started_at=t.session.arrival, transaction_id=t.transaction_id
            )
            for t in self.tracks
            if t.key[0] == station_id and t.transaction_id is not None
        )

    def with_track(self, track: Track) -> SiteState:
        """A state where ``track`` replaces the session on its EVSE."""
        kept = tuple(t for t in self.tracks if t.key != track.key)
        return attrs.evolve(self, tracks=(*kept, track))

    def without_track(self, key: tuple[str, int]) -> SiteState:
        """A state without the session on EVSE ``key``."""
        return attrs.evolve(self, tracks=tuple(t for t in self.tracks if t.key != key))

    def with_store(self, station_id: str, store: ProfileStore) -> SiteState:
        """A state where ``station_id`` holds ``store``."""
        kept = tuple((k, v) for k, v in self.installed if k != station_id)
        return attrs.evolve(self, installed=(*kept, (station_id, store)))
