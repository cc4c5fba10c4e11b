"""2.1 V2X: which operation mode a bidirectional EV's period gets, and its values.

Theory of operation
-------------------
A 2.1 ISO 15118-20 EV that asks for a bidirectional transfer (``AC_BPT``,
``DC_BPT``, ...) may be steered in eight operation modes. The CSMS chooses one
per EVSE, every time it re-shares, from four facts:

1. **Can it discharge at all?** The EVSE's ``discharge_max_power_w``, the EV's
   ``maxDischargePower`` and every circuit's export limit give the discharge
   bound; at 0 there is no V2X: ``ChargingOnly`` (the plain offers).
2. **What does the CSMS want there?** :class:`~ocpp_core.energy.V2xSetting`
   ``mode`` (default ``CentralSetpoint``); ``ChargingOnly`` forbids V2X. An
   ``ExternalLimit`` whose source is ``EMS`` on the EVSE or its station (a
   NotifyChargingLimit from an energy management system) turns the default
   ``CentralSetpoint`` into ``ExternalSetpoint``: the EMS gives the setpoints,
   within the share and the discharge bound that the period carries.
3. **Is there anything to share?** A share of 0 under a central mode
   (``CentralSetpoint``) is ``Idle``: neither charge nor discharge, rather than a
   0 W setpoint. ``LocalFrequency`` is chosen only while its curve
   (``baseline + power`` at every point) stays within the share and the discharge
   bound, because that mode carries no limit; otherwise ``CentralFrequency``,
   which carries both.
4. **What does the station support?** ``V2xSetting.supported_modes`` (the
   station's ``V2XChargingCtrlr.SupportedOperationModes``): a mode it does not
   list steps down ``LocalFrequency`` -> ``CentralFrequency`` ->
   ``CentralSetpoint`` -> ``ChargingOnly``, ``ExternalLimits`` ->
   ``ExternalSetpoint`` -> ``CentralSetpoint``, ``LocalLoadBalancing`` ->
   ``CentralSetpoint``, ``Idle`` -> ``ChargingOnly``.

The values follow 2.1's "limits and setpoints per operation mode" table (as the
station engine checks it): ``CentralSetpoint`` setpoint + limit + dischargeLimit;
``ExternalSetpoint`` limit + dischargeLimit; ``CentralFrequency`` setpoint (the
baseline, clamped into the bounds) + limit + dischargeLimit, with the curves
(``v2xSignalWattCurve`` maps the AFRRSignal values the CSMS sends) and baseline;
``LocalFrequency`` the curve and ``v2xBaseline`` only;
``ExternalLimits``, ``LocalLoadBalancing`` and ``Idle`` no values at all (the
external system, the local controller, or the mode itself bounds the EVSE).
Every period is in W.
"""

from __future__ import annotations

import attrs

from ocpp_core.energy._model import ExternalLimit, LimitScope, SiteEvse, SiteStation
from ocpp_core.energy._state import SiteState, Track, V2xSetting
from ocpp_core.smart_charging import OperationMode, SchedulePeriod

__all__ = ["V2xChoice", "choose_v2x", "without_mode"]

_STEP_DOWN = {
    OperationMode.LOCAL_FREQUENCY: OperationMode.CENTRAL_FREQUENCY,
    OperationMode.CENTRAL_FREQUENCY: OperationMode.CENTRAL_SETPOINT,
    OperationMode.EXTERNAL_LIMITS: OperationMode.EXTERNAL_SETPOINT,
    OperationMode.EXTERNAL_SETPOINT: OperationMode.CENTRAL_SETPOINT,
    OperationMode.LOCAL_LOAD_BALANCING: OperationMode.CENTRAL_SETPOINT,
    OperationMode.CENTRAL_SETPOINT: OperationMode.CHARGING_ONLY,
    OperationMode.IDLE: OperationMode.CHARGING_ONLY,
}
"""Where a mode the station does not support steps down to (ChargingOnly always works)."""


@attrs.frozen(kw_only=True)
class V2xChoice:
    """The operation mode chosen for one EVSE, and the period that carries it."""

    mode: OperationMode
    """The mode."""
    period: SchedulePeriod | None
    """The period (in W) to send; ``None`` for ChargingOnly (the plain offers stand)."""
    reasons: tuple[str, ...]
    """Why, one line each."""


def _ems_limit(state: SiteState, evse: SiteEvse) -> ExternalLimit | None:
    for limit in state.site.external_limits:
        if str(limit.source).upper() != "EMS":
            continue
        if limit.scope is LimitScope.EVSE and limit.target == f"{evse.station_id}#{evse.evse_id}":
            return limit
        if limit.scope is LimitScope.STATION and limit.target == evse.station_id:
            return limit
    return None


def _no_discharge_reason(state: SiteState, evse: SiteEvse, track: Track) -> str:
    if evse.discharge_max_power_w <= 0:
        return "the EVSE may not discharge"
    if not track.session.discharge_max_power_w:
        return "the EV offers no discharge power"
    return "an export limit of 0 W on its circuits"


def _curve_span(setting: V2xSetting) -> tuple[float, float]:
    powers = [setting.baseline_w + p.power for p in setting.freq_watt_curve or ()]
    return (min(powers), max(powers)) if powers else (setting.baseline_w, setting.baseline_w)


def _wanted(  # noqa: PLR0917 - internal, called positionally
    state: SiteState,
    evse: SiteEvse,
    track: Track,
    setting: V2xSetting,
    share_w: float,
    discharge_w: float,
    reasons: list[str],
) -> OperationMode:
    """The mode before the station's support is checked."""
    wanted = setting.mode
    if wanted is OperationMode.CHARGING_ONLY:
        reasons.append("ChargingOnly: the CSMS's V2X setting allows no discharge on this EVSE")
        return wanted
    if discharge_w <= 0:
        reasons.append(f"ChargingOnly: {_no_discharge_reason(state, evse, track)}")
        return OperationMode.CHARGING_ONLY
    if wanted is OperationMode.CENTRAL_SETPOINT:
        ems = _ems_limit(state, evse)
        if ems is not None:
            reasons.append(
                f"ExternalSetpoint: an energy management system controls the EVSE (limit "
                f"{ems.id}); it gives the setpoints within the share and discharge bound"
            )
            return OperationMode.EXTERNAL_SETPOINT
    if wanted is OperationMode.LOCAL_FREQUENCY:
        low, high = _curve_span(setting)
        if high > share_w + 1e-6 or low < -discharge_w - 1e-6:
            reasons.append(
                f"CentralFrequency: the frequency curve spans {low:g}..{high:g} W, beyond "
                f"{-discharge_w:g}..{share_w:g} W allowed now (LocalFrequency carries no limit)"
            )
            return OperationMode.CENTRAL_FREQUENCY
    if setting in state.v2x:
        reasons.append(f"{wanted.value}: the CSMS's V2X setting for this EVSE")
    else:
        reasons.append(f"{wanted.value}: the default (no V2X setting for this EVSE)")
    return wanted


def _idle_instead(
    mode: OperationMode, share_w: float, setting: V2xSetting, *, discharging: bool = False
) -> bool:
    return (
        not discharging
        and share_w <= 0
        and mode in {OperationMode.CENTRAL_SETPOINT, OperationMode.CHARGING_ONLY}
        and setting.supports(OperationMode.IDLE)
    )


def choose_v2x(
    state: SiteState,
    station: SiteStation,
    evse: SiteEvse,
    track: Track,
    *,
    share_w: float,
    discharge_w: float,
    discharging: bool = False,
) -> V2xChoice:
    """Choose the operation mode of a bidirectional 2.1 EV's period, and build it.

    Args:
        state: the site state (V2X settings, external limits).
        station: the EV's station (2.1).
        evse: its EVSE.
        track: the session (bidirectional).
        share_w: its share now, in W (rounded down); in plan mode the most the plan
            charges it.
        discharge_w: the most it may discharge now, in W (EVSE, EV, circuits).
        discharging: the plan discharges it: a share of 0 is then not ``Idle`` (there
            is a discharge to carry out).

    Returns:
        The mode, its period (``None`` for ChargingOnly) and the reasons.
    """
    setting = state.v2x_setting(station.id, evse.evse_id)
    reasons: list[str] = []
    mode = _wanted(state, evse, track, setting, share_w, discharge_w, reasons)
    for _ in range(len(_STEP_DOWN) + 2):
        if _idle_instead(mode, share_w, setting, discharging=discharging):
            reasons.append("Idle: a share of 0 W; neither charge nor discharge")
            mode = OperationMode.IDLE
        if setting.supports(mode):
            break
        lower = _STEP_DOWN[mode]
        reasons.append(
            f"{lower.value}: the station does not list {mode.value} in "
            "V2XChargingCtrlr.SupportedOperationModes"
        )
        mode = lower
    reasons.append(_summary(mode, setting, share_w, discharge_w))
    return V2xChoice(
        mode=mode,
        period=_period(mode, setting, share_w, discharge_w),
        reasons=tuple(reasons),
    )


def without_mode(state: SiteState, station_id: str, evse_id: int, mode: OperationMode) -> SiteState:
    """A state in which the EVSE no longer supports ``mode`` (the station refused it).

    The EVSE gets its own :class:`~ocpp_core.energy.V2xSetting` (a copy of its
    station's or the default, if it had none) whose ``supported_modes`` lack ``mode``.
    """
    setting = state.v2x_setting(station_id, evse_id)
    known = (
        setting.supported_modes if setting.supported_modes is not None else frozenset(OperationMode)
    )
    own = attrs.evolve(setting, evse_id=evse_id, supported_modes=known - {mode})
    kept = tuple(x for x in state.v2x if x.key != own.key)
    return attrs.evolve(state, v2x=(*kept, own))


def _summary(mode: OperationMode, setting: V2xSetting, share_w: float, discharge_w: float) -> str:
    bounds = f"charge up to {share_w:g} W, discharge up to {discharge_w:g} W"
    if mode is OperationMode.CHARGING_ONLY:
        return "ChargingOnly: the offers in the EVSE's unit, no discharge"
    if mode is OperationMode.IDLE:
        return "Idle: no limit is sent; the mode itself stops the transfer"
    if mode is OperationMode.CENTRAL_SETPOINT:
        return f"CentralSetpoint at {share_w:g} W: {bounds}"
    if mode is OperationMode.EXTERNAL_SETPOINT:
        return f"ExternalSetpoint: the external system's setpoint within: {bounds}"
    if mode is OperationMode.CENTRAL_FREQUENCY:
        return f"CentralFrequency around {setting.baseline_w:g} W: {bounds}"
    if mode is OperationMode.LOCAL_FREQUENCY:
        low, high = _curve_span(setting)
        return f"LocalFrequency: {low:g}..{high:g} W along the curve, within: {bounds}"
    who = (
        "the external system's limits"
        if mode is OperationMode.EXTERNAL_LIMITS
        else "the local controller (within its group limit)"
    )
    return (
        f"{mode.value}: the period carries no limit (2.1 operation-mode table); {who} "
        f"bound the EVSE; the site planned {bounds}"
    )


def _period(
    mode: OperationMode, setting: V2xSetting, share_w: float, discharge_w: float
) -> SchedulePeriod | None:
    limit = max(0.0, share_w)
    discharge = -discharge_w if discharge_w > 0 else 0.0
    if mode is OperationMode.CHARGING_ONLY:
        return None
    if mode is OperationMode.CENTRAL_SETPOINT:
        return SchedulePeriod(
            start_period=0,
            limit=limit,
            setpoint=limit,
            discharge_limit=discharge,
            operation_mode=mode,
        )
    if mode is OperationMode.EXTERNAL_SETPOINT:
        return SchedulePeriod(
            start_period=0, limit=limit, discharge_limit=discharge, operation_mode=mode
        )
    if mode is OperationMode.CENTRAL_FREQUENCY:
        setpoint = min(limit, max(discharge, setting.baseline_w))
        return SchedulePeriod(
            start_period=0,
            limit=limit,
            setpoint=setpoint,
            discharge_limit=discharge,
            v2x_baseline=setting.baseline_w,
            v2x_freq_watt_curve=setting.freq_watt_curve,
            v2x_signal_watt_curve=setting.signal_watt_curve,
            operation_mode=mode,
        )
    if mode is OperationMode.LOCAL_FREQUENCY:
        return SchedulePeriod(
            start_period=0,
            v2x_baseline=setting.baseline_w,
            v2x_freq_watt_curve=setting.freq_watt_curve,
            operation_mode=mode,
        )
    # Idle, ExternalLimits, LocalLoadBalancing: the mode alone (no value is allowed).
    return SchedulePeriod(start_period=0, operation_mode=mode)
