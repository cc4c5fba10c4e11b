"""2.1 V2X operation modes and mobility needs in the CSMS reactions."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ocpp_core import v21, v201
from ocpp_core.energy import (
    Circuit,
    CsmsSettings,
    Limit,
    LimitSchedule,
    MobilityNeeds,
    MobilityNeedsMode,
    Reaction,
    Site,
    SiteEvse,
    SiteState,
    SiteStation,
    V2xSetting,
    allocate,
    on_cleared_charging_limit,
    on_ev_charging_needs,
    on_notify_charging_limit,
    on_set_charging_profile_response,
    on_transaction_event,
    plan,
    replan,
    set_mobility_needs,
)
from ocpp_core.energy._reactions import _floor_share
from ocpp_core.errors import ReactionError, SiteError
from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingRateUnit,
    Evse,
    OperationMode,
    ProfilePurpose,
    Station,
    composite_schedule,
    set_charging_profile_from_ocpp,
    validate_profile,
)
from tests.energy._csms import T0, check_wire
from tests.energy._v2g import check_plan

S = timedelta(seconds=1)
CURVE = ((49.8, -4000.0), (50.0, 0.0), (50.2, 4000.0))
MODES = [m.value for m in OperationMode]


def _site(*, features: tuple[str, ...] = ("DynamicProfiles", "LimitAtSoC"), **evse: Any) -> Site:
    """One 32 A grid, a 2.1 station with an AC EVSE (7 kW discharge) and a DC EVSE."""
    ac: dict[str, Any] = {"discharge_max_power_w": 7000, **evse}
    return Site(
        circuits=[Circuit(id="grid", max_current_a=32, export_limit_w=ac.pop("export", None))],
        stations=[
            SiteStation(
                id="cs21",
                version="2.1",
                station=Station(
                    evses=(Evse(id=1), Evse(id=2, phase_type="DC")), features=list(features)
                ),
            )
        ],
        evses=[
            SiteEvse(station_id="cs21", evse_id=1, circuit="grid", **ac),
            SiteEvse(
                station_id="cs21",
                evse_id=2,
                circuit="grid",
                phase_type="DC",
                max_power_w=20000,
                discharge_max_power_w=10000,
            ),
        ],
    )


def _state(*settings_: V2xSetting, site: Site | None = None, **kwargs: Any) -> SiteState:
    state = SiteState(site=site or _site(), v2x=settings_, **kwargs)
    return _start(state)


def _start(state: SiteState, evse: int = 1, tid: str = "t1") -> SiteState:
    event = v21.TransactionEventRequest(
        event_type="Started",
        timestamp=T0,
        trigger_reason="CablePluggedIn",
        seq_no=0,
        transaction_info=v21.Transaction(transaction_id=tid),
        evse=v21.EVSE(id=evse),
        number_of_phases_used=3 if evse == 1 else None,
    )
    return on_transaction_event(state, "cs21", event).state


def _needs(
    *,
    transfer: str = "AC_BPT",
    discharge: float | None = 5000,
    energy: float = 20000,
    departure: int | None = None,
    min_energy: Any = None,
    **extra: Any,
) -> Any:
    v2x = (
        None
        if discharge is None and min_energy is None
        else v21.V2XChargingParameters(
            max_discharge_power=discharge, ev_min_energy_request=min_energy
        )
    )
    return v21.NotifyEVChargingNeedsRequest(
        evse_id=1,
        charging_needs=v21.ChargingNeeds(
            requested_energy_transfer=transfer,
            departure_time=None if departure is None else T0 + departure * S,
            ac_charging_parameters=v21.ACChargingParameters(
                energy_amount=energy, ev_min_current=6, ev_max_current=32, ev_max_voltage=400
            ),
            v2x_charging_parameters=v2x,
            **extra,
        ),
    )


def _ems_limit(amps: float, evse: int | None = 1, source: str = "EMS") -> Any:
    return v21.NotifyChargingLimitRequest(
        evse_id=evse,
        charging_limit=v21.ChargingLimit(charging_limit_source=source),
        charging_schedule=(
            v21.ChargingSchedule(
                id=1,
                charging_rate_unit="A",
                start_schedule=T0,
                charging_schedule_period=(v21.ChargingSchedulePeriod(start_period=0, limit=amps),),
            ),
        ),
    )


def _profiles(reaction: Reaction) -> list[ChargingProfile]:
    return [
        set_charging_profile_from_ocpp(o.request).profile
        for o in reaction.requests
        if o.action == "SetChargingProfile"
    ]


def _check(reaction: Reaction) -> None:
    """Every request passes the 2.1 schema and the station engine, and composes."""
    for out in reaction.requests:
        check_wire(out, "2.1", out.action)
        if out.action != "SetChargingProfile":
            continue
        neutral = set_charging_profile_from_ocpp(out.request)
        state = reaction.state
        station = state.site.station(out.station_id).station
        store = state.store(out.station_id)
        others = store.remove_ids([neutral.profile.id])
        txs = state.transactions(out.station_id)
        result = validate_profile(
            neutral.profile, neutral.evse_id, others, station, transactions=txs
        )
        assert result.accepted, result.describe()
        composite = composite_schedule(
            store, station, neutral.evse_id, T0 + 60 * S, 600, ChargingRateUnit.W, txs
        )
        assert composite.schedule is not None
        mode = neutral.profile.schedules[0].periods[0].operation_mode
        if mode not in {None, OperationMode.CHARGING_ONLY}:
            # The station engine carries the chosen mode into the composite.
            assert composite.schedule.periods[0].operation_mode is mode


_BOUNDED_MODES = frozenset({
    OperationMode.CHARGING_ONLY,
    OperationMode.CENTRAL_SETPOINT,
    OperationMode.EXTERNAL_SETPOINT,
    OperationMode.CENTRAL_FREQUENCY,
})  # fmt: skip
"""The modes whose limit bounds the EVSE (Idle stops it; the others hand it to a system)."""


def _within_site(reaction: Reaction) -> None:
    """EVSE 1's composite (the station engine) keeps the site's limits at every instant.

    It never charges beyond what the grid connection has left above its base load
    (where it carries a limit or setpoint), nor discharges beyond the EVSE's or the
    EV's discharge maximum.
    """
    state = reaction.state
    station = state.site.station("cs21").station
    track = state.track_on("cs21", 1)
    if track is None or not state.store("cs21").profiles:
        return
    (grid,) = state.site.circuits
    base = 0.0
    if grid.base_load is not None:
        load = grid.base_load.over(T0, T0 + S)
        base = 0.0 if load is None or load.power_w is None else load.power_w
    amps = min(grid.max_current_a) if grid.max_current_a is not None else math.inf
    room = min(grid.max_power_w or math.inf, amps * 3 * 230.0)
    most_discharge = min(7000.0, track.session.discharge_max_power_w or 0.0)
    start = T0 + 60 * S
    composite = composite_schedule(
        state.store("cs21"),
        station,
        1,
        start,
        HORIZON,
        ChargingRateUnit.W,
        state.transactions("cs21"),
    )
    assert composite.schedule is not None
    for period in composite.schedule.periods:
        values = [v for v in (period.limit, period.setpoint) if v is not None]
        if values and (period.operation_mode or OperationMode.CHARGING_ONLY) in _BOUNDED_MODES:
            assert base + max(0.0, *values) <= max(room, base) + 1e-6, period
        if period.setpoint is not None and period.setpoint < 0:
            assert -period.setpoint <= most_discharge + 1e-6, period


def _mode(reaction: Reaction) -> OperationMode:
    (profile,) = _profiles(reaction)
    return profile.schedules[0].periods[0].effective_mode


def _period(reaction: Reaction) -> Any:
    (profile,) = _profiles(reaction)
    return profile.schedules[0].periods[0]


def _react(state: SiteState, needs: Any = None, at: int = 5) -> Reaction:
    reaction = on_ev_charging_needs(state, "cs21", needs or _needs(), T0 + at * S)
    _check(reaction)
    return reaction


# --------------------------------------------------------------------------------------
# Operation modes
# --------------------------------------------------------------------------------------


def test_default_is_central_setpoint_with_the_bounds_and_says_why() -> None:
    reaction = _react(_state())
    period = _period(reaction)
    assert period.operation_mode is OperationMode.CENTRAL_SETPOINT
    share_w = 32 * 3 * 230.0
    assert period.limit == period.setpoint == share_w
    assert period.discharge_limit == -5000
    assert any("CentralSetpoint: the default" in line for line in reaction.explanation)


@pytest.mark.parametrize(
    ("state_kwargs", "needs_kwargs", "reason"),
    [
        ({"settings_": (V2xSetting(station_id="cs21", mode="ChargingOnly"),)}, {}, "allows no"),
        ({}, {"discharge": None}, "the EV offers no discharge power"),
        ({"site": _site(discharge_max_power_w=0)}, {}, "the EVSE may not discharge"),
        ({"site": _site(export=0)}, {}, "export limit of 0 W"),
        ({}, {"transfer": "AC_three_phase"}, None),
    ],
)
def test_charging_only_when_no_discharge_is_possible_or_allowed(
    state_kwargs: dict[str, Any], needs_kwargs: dict[str, Any], reason: str | None
) -> None:
    settings_ = state_kwargs.pop("settings_", ())
    reaction = _react(_state(*settings_, **state_kwargs), _needs(**needs_kwargs))
    period = _period(reaction)
    assert period.effective_mode is OperationMode.CHARGING_ONLY
    assert period.setpoint is None
    assert period.discharge_limit is None
    if reason is not None:
        line = next(x for x in reaction.explanation if "V2X ChargingOnly:" in x)
        assert reason in line


def test_idle_when_the_share_is_zero_and_a_setpoint_where_idle_is_not_supported() -> None:
    state = _state()
    state = on_notify_charging_limit(state, "cs21", _ems_limit(0, source="SO"), T0 + 2 * S).state
    reaction = _react(state)
    period = _period(reaction)
    assert period.operation_mode is OperationMode.IDLE
    assert (period.limit, period.setpoint, period.discharge_limit) == (None, None, None)
    assert any("Idle: a share of 0 W" in line for line in reaction.explanation)
    no_idle = attrs.evolve(
        state, v2x=(V2xSetting(station_id="cs21", supported_modes="CentralSetpoint"),)
    )
    reaction = _react(no_idle)
    period = _period(reaction)
    assert period.operation_mode is OperationMode.CENTRAL_SETPOINT
    assert period.setpoint == period.limit == 0


def test_an_ems_limit_hands_setpoints_to_the_ems_within_the_share() -> None:
    state = on_notify_charging_limit(_state(), "cs21", _ems_limit(16), T0 + 2 * S).state
    reaction = _react(state)
    period = _period(reaction)
    assert period.operation_mode is OperationMode.EXTERNAL_SETPOINT
    assert period.limit == 16 * 3 * 230.0
    assert period.discharge_limit == -5000
    assert period.setpoint is None
    assert any("energy management system" in line for line in reaction.explanation)
    # A station-wide EMS limit counts too; a limit from another source does not.
    station_wide = on_notify_charging_limit(_state(), "cs21", _ems_limit(16, None), T0 + 2 * S)
    assert _mode(_react(station_wide.state)) is OperationMode.EXTERNAL_SETPOINT
    cleared = on_cleared_charging_limit(
        _react(state).state,
        "cs21",
        v21.ClearedChargingLimitRequest(charging_limit_source="EMS", evse_id=1),
        T0 + 9 * S,
    )
    _check(cleared)
    assert _mode(cleared) is OperationMode.CENTRAL_SETPOINT
    other = on_notify_charging_limit(_state(), "cs21", _ems_limit(16, 1, "SO"), T0 + 2 * S)
    assert _mode(_react(other.state)) is OperationMode.CENTRAL_SETPOINT
    # A station without ExternalSetpoint keeps the setpoints with the CSMS.
    unsupported = attrs.evolve(
        state, v2x=(V2xSetting(station_id="cs21", supported_modes=["CentralSetpoint"]),)
    )
    reaction = _react(unsupported)
    assert _mode(reaction) is OperationMode.CENTRAL_SETPOINT
    assert any("does not list ExternalSetpoint" in line for line in reaction.explanation)


@pytest.mark.parametrize(
    ("mode", "supported", "expected"),
    [
        ("ExternalSetpoint", None, "ExternalSetpoint"),
        ("ExternalLimits", None, "ExternalLimits"),
        ("ExternalLimits", "ExternalSetpoint,CentralSetpoint", "ExternalSetpoint"),
        ("ExternalLimits", "Idle", "ChargingOnly"),
        ("LocalLoadBalancing", None, "LocalLoadBalancing"),
        ("LocalLoadBalancing", "CentralSetpoint", "CentralSetpoint"),
        ("LocalFrequency", None, "LocalFrequency"),
        ("LocalFrequency", "CentralFrequency", "CentralFrequency"),
        ("CentralFrequency", None, "CentralFrequency"),
        ("CentralFrequency", "", "ChargingOnly"),
        ("Idle", None, "Idle"),
    ],
)
def test_the_configured_mode_respects_what_the_station_supports(
    mode: str, supported: str | None, expected: str
) -> None:
    curve = CURVE if "Frequency" in mode else None
    setting = V2xSetting(
        station_id="cs21", evse_id=1, mode=mode, supported_modes=supported, freq_watt_curve=curve
    )
    reaction = _react(_state(setting))
    assert _mode(reaction).value == expected
    if expected != mode:
        assert any("SupportedOperationModes" in line for line in reaction.explanation)


def test_frequency_periods_carry_the_curve_and_bounds() -> None:
    local = V2xSetting(
        station_id="cs21", mode="LocalFrequency", freq_watt_curve=CURVE, baseline_w=1000
    )
    period = _period(_react(_state(local)))
    assert [(p.frequency, p.power) for p in period.v2x_freq_watt_curve] == list(CURVE)
    assert period.v2x_baseline == 1000
    assert (period.limit, period.setpoint, period.discharge_limit) == (None, None, None)
    small = ((49.9, -500.0), (50.1, 500.0))
    central = attrs.evolve(local, mode="CentralFrequency", freq_watt_curve=small, baseline_w=-6000)
    period = _period(_react(_state(central)))
    # The central setpoint is the baseline clamped into the EV's discharge bound.
    assert period.setpoint == -5000
    assert period.discharge_limit == -5000
    assert period.v2x_baseline == -6000


def test_central_frequency_carries_the_signal_curve_for_afrr_signals() -> None:
    signals = ((-100, -3000.0), (0, 0.0), (100, 3000.0))
    setting = V2xSetting(station_id="cs21", mode="CentralFrequency", signal_watt_curve=signals)
    period = _period(_react(_state(setting)))
    assert period.operation_mode is OperationMode.CENTRAL_FREQUENCY
    assert [(p.signal, p.power) for p in period.v2x_signal_watt_curve] == list(signals)
    assert period.v2x_freq_watt_curve is None
    assert period.setpoint == 0


def test_local_frequency_falls_back_to_central_when_the_curve_exceeds_the_share() -> None:
    curve = ((49.8, -4000.0), (50.0, 0.0), (50.2, 8000.0))
    setting = V2xSetting(station_id="cs21", mode="LocalFrequency", freq_watt_curve=curve)
    state = on_notify_charging_limit(
        _state(setting), "cs21", _ems_limit(10, source="SO"), T0 + 2 * S
    ).state
    reaction = _react(state)
    period = _period(reaction)
    assert period.operation_mode is OperationMode.CENTRAL_FREQUENCY
    assert period.limit == 10 * 3 * 230.0 < 8000
    assert any("beyond" in line and "LocalFrequency" in line for line in reaction.explanation)


def test_settings_accept_enum_members_of_any_kind_and_the_device_model_text() -> None:
    a = V2xSetting(
        station_id="cs21",
        mode=v21.OperationModeEnum.EXTERNAL_LIMITS,
        supported_modes="ExternalLimits, CentralSetpoint",
    )
    b = V2xSetting(
        station_id="cs21",
        mode=OperationMode.EXTERNAL_LIMITS,
        supported_modes=[OperationMode.CENTRAL_SETPOINT, v21.OperationModeEnum.EXTERNAL_LIMITS],
    )
    assert a == b
    assert a.supports(OperationMode.CHARGING_ONLY)
    assert not a.supports(OperationMode.IDLE)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"mode": "LocalFrequency"}, "freq_watt_curve"),
        ({"freq_watt_curve": [(50.0, 0.0)]}, "freq_watt_curve"),
        ({"freq_watt_curve": [(50.0, 0.0), (49.9, 100.0)]}, "freq_watt_curve"),
        ({"freq_watt_curve": [(50.0, 0.0), (50.0, 100.0)]}, "freq_watt_curve"),
        ({"freq_watt_curve": [(50.0, 0.0), (50.1, float("nan"))]}, "freq_watt_curve"),
        ({"freq_watt_curve": [(50.0, 0.0), "50.1"]}, "freq_watt_curve"),
        ({"freq_watt_curve": [(float(f), 0.0) for f in range(40, 61)]}, "freq_watt_curve"),
        ({"freq_watt_curve": "50:0"}, "freq_watt_curve"),
        ({"mode": "CentralFrequency"}, "freq_watt_curve"),
        ({"signal_watt_curve": []}, "signal_watt_curve"),
        ({"signal_watt_curve": [(1, 0.0), (1, 10.0)]}, "signal_watt_curve"),
        ({"signal_watt_curve": [(1.5, 0.0)]}, "signal_watt_curve"),
        ({"signal_watt_curve": [{"signal": 1}]}, "signal_watt_curve"),
        ({"signal_watt_curve": 7}, "signal_watt_curve"),
        ({"mode": "Turbo"}, "mode"),
        ({"supported_modes": "CentralSetpoint,Turbo"}, "supported_modes"),
        ({"supported_modes": 5}, "supported_modes"),
        ({"baseline_w": float("inf")}, "baseline_w"),
        ({"evse_id": -1}, "evse_id"),
    ],
)
def test_malformed_settings_raise_a_typed_error_naming_the_field(
    kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(SiteError) as info:
        V2xSetting(station_id="cs21", **kwargs)
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        # 8000 W discharge beyond the EVSE's 7000 W.
        (V2xSetting(station_id="cs21", evse_id=1, freq_watt_curve=[(49.8, -8000), (50.2, 0)]),
         "freq_watt_curve"),
        # 2000 W baseline + 21000 W beyond 32 A x 3 x 230 V.
        (V2xSetting(station_id="cs21", freq_watt_curve=[(49.8, 0), (50.2, 21000)],
                    baseline_w=2000), "freq_watt_curve"),
        (V2xSetting(station_id="cs21", evse_id=1, signal_watt_curve=[(0, 30000)]),
         "signal_watt_curve"),
        (V2xSetting(station_id="cs21", evse_id=9), "v2x"),
        (V2xSetting(station_id="cs99"), "v2x"),
    ],
)  # fmt: skip
def test_settings_beyond_the_evse_are_refused_by_the_state(setting: V2xSetting, field: str) -> None:
    with pytest.raises(SiteError) as info:
        SiteState(site=_site(), v2x=[setting])
    assert info.value.field == field
    with pytest.raises(SiteError):
        SiteState(site=_site(), v2x=[V2xSetting(station_id="cs21")] * 2)


def test_a_mode_change_of_a_dynamic_profile_sends_a_new_profile() -> None:
    state = _state()
    reaction = _react(state, _needs(control_mode="DynamicControl"))
    assert _mode(reaction) is OperationMode.CENTRAL_SETPOINT
    limited = on_notify_charging_limit(
        reaction.state, "cs21", _ems_limit(0, source="SO"), T0 + 9 * S
    )
    _check(limited)
    # An update cannot carry a mode: Idle goes out as a new SetChargingProfile.
    assert [o.action for o in limited.requests] == ["SetChargingProfile"]
    assert _mode(limited) is OperationMode.IDLE


def test_a_refused_mode_is_taken_as_unsupported_and_steps_down() -> None:
    setting = V2xSetting(station_id="cs21", mode="ExternalLimits")
    reaction = _react(_state(setting))
    assert _mode(reaction) is OperationMode.EXTERNAL_LIMITS
    modes = []
    for _ in range(4):
        (sent,) = reaction.requests
        refused = v21.SetChargingProfileResponse(
            status="Rejected", status_info=v21.StatusInfo(reason_code="InvalidSchedule")
        )
        reaction = on_set_charging_profile_response(
            reaction.state, "cs21", sent.request, refused, T0 + 9 * S
        )
        _check(reaction)
        modes.append(_mode(reaction).value)
        if modes[-1] == "ChargingOnly":
            break
    assert modes == ["ExternalSetpoint", "CentralSetpoint", "ChargingOnly"]
    held = reaction.state.v2x_setting("cs21", 1)
    assert held.evse_id == 1
    assert held.mode is OperationMode.EXTERNAL_LIMITS
    assert held.supported_modes is not None
    assert OperationMode.EXTERNAL_LIMITS not in held.supported_modes
    assert any("taken as unsupported" in line for line in reaction.explanation)


def test_an_ev_that_could_discharge_but_asks_to_charge_is_told_so() -> None:
    needs = _needs(
        transfer="AC_three_phase", available_energy_transfer=["AC_BPT", "AC_three_phase"]
    )
    reaction = _react(_state(), needs)
    assert _mode(reaction) is OperationMode.CHARGING_ONLY
    assert any("could transfer both ways (AC_BPT)" in line for line in reaction.explanation)


# --------------------------------------------------------------------------------------
# Mobility needs
# --------------------------------------------------------------------------------------

LEAVE = T0 + 3 * 3600 * S


def _planned(state: SiteState, evse: int = 1) -> Any:
    (session,) = [s for s in state.sessions if s.evse_id == evse]
    return session


def test_evcc_keeps_the_evs_values_and_says_the_csms_needs_are_not_applied() -> None:
    state = _react(_state(), _needs(mobility_needs_mode="EVCC", departure=7200)).state
    reaction = set_mobility_needs(
        state, "cs21", 1, MobilityNeeds(departure=LEAVE, energy_wanted_wh=5000), T0 + 9 * S
    )
    session = _planned(reaction.state)
    assert session.departure == T0 + 7200 * S
    assert session.energy_wanted_wh == 20000
    assert any("authoritative" in line for line in reaction.explanation)
    assert any("not applied" in line for line in reaction.explanation)


def test_evcc_secc_applies_the_csms_needs() -> None:
    state = _react(_state(), _needs(mobility_needs_mode="EVCC_SECC", departure=7200)).state
    track = state.track_on("cs21", 1)
    assert track is not None
    assert track.mobility_mode is MobilityNeedsMode.EVCC_SECC
    needs = MobilityNeeds(departure=LEAVE, energy_wanted_wh=5000, min_energy_wh=1000)
    reaction = set_mobility_needs(state, "cs21", 1, needs, T0 + 9 * S)
    _check(reaction)
    session = _planned(reaction.state)
    assert (session.departure, session.energy_wanted_wh, session.min_energy_wh) == (
        LEAVE,
        5000,
        1000,
    )
    assert any("mobility needs apply" in line for line in reaction.explanation)
    cleared = set_mobility_needs(reaction.state, "cs21", 1, None, T0 + 10 * S)
    assert _planned(cleared.state).energy_wanted_wh == 20000


def test_a_session_without_ev_needs_takes_the_csms_needs() -> None:
    reaction = set_mobility_needs(_state(), "cs21", 1, MobilityNeeds(departure=LEAVE), T0 + 9 * S)
    assert _planned(reaction.state).departure == LEAVE
    assert not any("authoritative" in line for line in reaction.explanation)


def test_a_maximum_soc_goes_out_as_limit_at_soc_where_the_station_supports_it() -> None:
    state = _react(_state(), _needs(mobility_needs_mode="EVCC_SECC")).state
    reaction = set_mobility_needs(state, "cs21", 1, MobilityNeeds(max_soc=80.5), T0 + 9 * S)
    _check(reaction)
    (profile,) = _profiles(reaction)
    assert profile.purpose is ProfilePurpose.TX
    cap = profile.schedules[0].limit_at_soc
    assert cap is not None
    assert (cap.soc, cap.limit) == (80, 0.0)
    # A station without the LimitAtSoC feature gets none, and the reason.
    plain = _react(_state(site=_site(features=())), _needs(mobility_needs_mode="EVCC_SECC"))
    reaction = set_mobility_needs(plain.state, "cs21", 1, MobilityNeeds(max_soc=80), T0 + 9 * S)
    _check(reaction)
    assert all(p.schedules[0].limit_at_soc is None for p in _profiles(reaction))
    assert any("does not support LimitAtSoC" in line for line in reaction.explanation)
    # A site-wide policy applies the same way; under EVCC it does not.
    policy = CsmsSettings(max_soc=90)
    evcc = _react(
        _state(settings=policy), _needs(mobility_needs_mode="EVCC", control_mode="DynamicControl")
    )
    assert all(p.schedules[0].limit_at_soc is None for p in _profiles(evcc))


def _dc_needs(**dc: Any) -> Any:
    v2x = dc.pop("v2x", None)
    params = {"ev_max_current": 100, "ev_max_voltage": 500, "ev_max_power": 20000, **dc}
    return v21.NotifyEVChargingNeedsRequest(
        evse_id=2,
        charging_needs=v21.ChargingNeeds(
            requested_energy_transfer="DC_BPT",
            dc_charging_parameters=v21.DCChargingParameters(**params),
            v2x_charging_parameters=v2x,
            mobility_needs_mode="EVCC_SECC",
        ),
    )


def _dc_state() -> SiteState:
    return _start(SiteState(site=_site()), evse=2, tid="dc")


def test_dc_energy_is_derived_from_soc_target_and_capacity() -> None:
    v2x = v21.V2XChargingParameters(target_soc=80, max_discharge_power=5000)
    needs = _dc_needs(state_of_charge=40, ev_energy_capacity=60000, v2x=v2x)
    reaction = on_ev_charging_needs(_dc_state(), "cs21", needs, T0 + 5 * S)
    _check(reaction)
    session = _planned(reaction.state, 2)
    capacity, soc, target = 60000, 40, 80
    assert session.energy_wanted_wh == pytest.approx((target - soc) / 100 * capacity)
    assert any("derived from SoC" in line for line in reaction.explanation)
    # No V2X target: the DC fullSoC is the target.
    full = _dc_needs(state_of_charge=40, ev_energy_capacity=60000, full_soc=90)
    reaction = on_ev_charging_needs(_dc_state(), "cs21", full, T0 + 5 * S)
    assert _planned(reaction.state, 2).energy_wanted_wh == pytest.approx(0.5 * 60000)
    # The CSMS's maximum SoC caps it (EVCC_SECC), from the same SoC and capacity.
    capped = set_mobility_needs(reaction.state, "cs21", 2, MobilityNeeds(max_soc=70), T0 + 9 * S)
    assert _planned(capped.state, 2).energy_wanted_wh == pytest.approx(0.3 * 60000)
    target_only = set_mobility_needs(
        reaction.state, "cs21", 2, MobilityNeeds(target_soc=60), T0 + 9 * S
    )
    assert _planned(target_only.state, 2).energy_wanted_wh == pytest.approx(0.2 * 60000)


@pytest.mark.parametrize(
    ("dc", "note"),
    [
        ({"state_of_charge": 150, "ev_energy_capacity": 60000, "full_soc": 90}, "state of charge"),
        ({"state_of_charge": 40, "ev_energy_capacity": -5, "full_soc": 90}, "capacity"),
        ({"state_of_charge": 40, "ev_energy_capacity": 60000, "full_soc": 120}, "target SoC"),
        ({"state_of_charge": 95, "ev_energy_capacity": 60000, "full_soc": 90}, "at or above"),
        ({"state_of_charge": 150, "energy_amount": 10000}, "state of charge"),
    ],
)
def test_ev_values_out_of_range_get_a_valid_answer_and_an_explanation(
    dc: dict[str, Any], note: str
) -> None:
    reaction = on_ev_charging_needs(_dc_state(), "cs21", _dc_needs(**dc), T0 + 5 * S)
    check_wire(reaction.response, "2.1", "NotifyEVChargingNeeds", "response")
    assert reaction.response.status.value == "Accepted"
    _check(reaction)
    assert any(note in line for line in reaction.explanation)


def test_mobility_needs_misuse_raises_typed_errors() -> None:
    state = _state()
    with pytest.raises(ReactionError) as info:
        set_mobility_needs(state, "cs21", 2, MobilityNeeds(), T0)
    assert info.value.field == "evse_id"
    with pytest.raises(SiteError) as bad:
        set_mobility_needs(state, "cs21", 1, MobilityNeeds(departure=T0), T0 + S)
    assert bad.value.field == "departure"
    with pytest.raises(ReactionError):
        set_mobility_needs(state, "cs21", 1, {"departure": LEAVE}, T0)  # type: ignore[arg-type]
    for kwargs, field in [
        ({"max_soc": 101}, "max_soc"),
        ({"target_soc": -1}, "target_soc"),
        ({"energy_wanted_wh": 0}, "energy_wanted_wh"),
        ({"min_energy_wh": 10, "energy_wanted_wh": 5}, "min_energy_wh"),
        ({"target_soc": 90, "max_soc": 80}, "target_soc"),
        ({"departure": LEAVE.replace(tzinfo=None)}, "departure"),
    ]:
        with pytest.raises(SiteError) as err:
            MobilityNeeds(**kwargs)
        assert err.value.field == field
    with pytest.raises(SiteError) as err:
        CsmsSettings(max_soc=120)
    assert err.value.field == "max_soc"
    track = state.track_on("cs21", 1)
    assert track is not None
    for kwargs, field in [
        ({"ev_capacity_wh": -5.0}, "ev_capacity_wh"),
        ({"soc_basis_wh": float("nan")}, "soc_basis_wh"),
        ({"mobility_mode": "SECC"}, "mobility_mode"),
    ]:
        with pytest.raises(SiteError) as err:
            attrs.evolve(track, **kwargs)
        assert err.value.field == field


def test_meter_values_soc_moves_the_basis_of_soc_energies() -> None:
    state = _react(_state(), _needs(mobility_needs_mode="EVCC_SECC")).state
    track = state.track_on("cs21", 1)
    assert track is not None
    state = state.with_track(attrs.evolve(track, ev_capacity_wh=50000))
    sample = v21.MeterValue(
        timestamp=T0 + 60 * S,
        sampled_value=(
            v21.SampledValue(value=4000, measurand="Energy.Active.Import.Register"),
            v21.SampledValue(value=50, measurand="SoC"),
        ),
    )
    event = v21.TransactionEventRequest(
        event_type="Updated",
        timestamp=T0 + 60 * S,
        trigger_reason="MeterValuePeriodic",
        seq_no=1,
        transaction_info=v21.Transaction(transaction_id="t1"),
        meter_value=(sample,),
    )
    state = on_transaction_event(state, "cs21", event).state
    state = set_mobility_needs(state, "cs21", 1, MobilityNeeds(target_soc=60), T0 + 70 * S).state
    session = _planned(state)
    delivered = session.energy_delivered_wh
    assert session.energy_wanted_wh == pytest.approx(delivered + 0.1 * 50000)


# --------------------------------------------------------------------------------------
# Property: whatever the settings and needs, every request is valid and composes
# --------------------------------------------------------------------------------------

_POWER = st.floats(-5000, 5000, allow_nan=False)


@st.composite
def _settings(draw: st.DrawFn) -> tuple[V2xSetting, ...]:
    if draw(st.integers(0, 3)) == 0:
        return ()
    mode = draw(st.sampled_from(MODES))
    supported = draw(st.one_of(st.none(), st.none(), st.frozensets(st.sampled_from(MODES))))
    curve = None
    if "Frequency" in mode or draw(st.booleans()):
        frequencies = draw(
            st.lists(st.floats(45, 55), min_size=2, max_size=20, unique=True).map(sorted)
        )
        curve = [(f, draw(_POWER)) for f in frequencies]
    signals = None
    if draw(st.booleans()):
        values = draw(st.lists(st.integers(-1000, 1000), min_size=1, max_size=20, unique=True))
        signals = [(v, draw(_POWER)) for v in sorted(values)]
    if mode == "CentralFrequency" and curve is None and signals is None:
        signals = [(0, 0.0)]
    return (
        V2xSetting(
            station_id="cs21",
            evse_id=draw(st.sampled_from([0, 1])),
            mode=mode,
            supported_modes=supported,
            freq_watt_curve=curve,
            signal_watt_curve=signals,
            baseline_w=draw(st.floats(-2000, 2000)),
        ),
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    v2x=_settings(),
    transfer=st.sampled_from(["AC_BPT", "AC_BPT", "AC_BPT_DER", "AC_three_phase"]),
    discharge=st.one_of(st.floats(1, 10000), st.floats(1, 10000), st.none(), st.just(0.0)),
    control=st.sampled_from([None, "ScheduledControl", "DynamicControl"]),
    mobility=st.sampled_from([None, "EVCC", "EVCC_SECC"]),
    limit=st.one_of(st.none(), st.tuples(st.floats(0, 40), st.sampled_from(["EMS", "SO"]))),
    max_soc=st.one_of(st.none(), st.floats(0, 100)),
    scenario=st.sampled_from(["share", "plan", "evening", "v2g-plan", "v2g-plan"]),
    delivered=st.sampled_from([0.0, 20000.0]),
    min_energy=st.one_of(st.none(), st.floats(-30000, 5000)),
    needs=st.one_of(
        st.none(),
        st.builds(
            MobilityNeeds,
            departure=st.sampled_from([None, LEAVE]),
            energy_wanted_wh=st.one_of(st.none(), st.floats(1, 80000)),
            max_soc=st.one_of(st.none(), st.floats(0, 100)),
        ),
    ),
)
def test_every_v2x_request_is_valid_and_composes(
    v2x: tuple[V2xSetting, ...],
    transfer: str,
    discharge: float | None,
    control: str | None,
    mobility: str | None,
    limit: tuple[float, str] | None,
    max_soc: float | None,
    scenario: str,
    delivered: float,
    min_energy: float | None,
    needs: MobilityNeeds | None,
) -> None:
    # "evening": the base load breaks the grid limit, so plans discharge where they may;
    # "v2g-plan": that in plan mode, with energy in the battery to give back.
    plan_mode = scenario in {"plan", "v2g-plan"}
    horizon = HORIZON if plan_mode else None
    site = _evening_site() if scenario in {"evening", "v2g-plan"} else _site()
    if scenario == "v2g-plan":
        delivered = 20000.0
    state = _state(*v2x, site=site, settings=CsmsSettings(max_soc=max_soc, horizon_s=horizon))
    state = _delivered(state, delivered)
    if limit is not None:
        reaction = on_notify_charging_limit(
            state, "cs21", _ems_limit(limit[0], source=limit[1]), T0 + 2 * S
        )
        _check(reaction)
        state = reaction.state
    request = _needs(
        transfer=transfer,
        discharge=discharge,
        control_mode=control,
        mobility_needs_mode=mobility,
        min_energy=min_energy,
    )
    reaction = _react(state, request)
    assert reaction.response.status.value == "Accepted"
    _within_site(reaction)
    setting = reaction.state.v2x_setting("cs21", 1)
    for profile in _profiles(reaction):
        for period in profile.schedules[0].periods:
            mode = period.effective_mode
            event(f"mode {mode.value}")
            assert setting.supports(mode), mode
            if transfer == "AC_three_phase":
                assert mode is OperationMode.CHARGING_ONLY
        if any(
            p.operation_mode is OperationMode.CENTRAL_SETPOINT and (p.setpoint or 0.0) < 0
            for p in profile.schedules[0].periods
        ):
            event("follows a V2G plan")
            assert plan_mode
            assert any("follows the plan" in line for line in reaction.explanation)
    later = set_mobility_needs(reaction.state, "cs21", 1, needs, T0 + 20 * S)
    _check(later)
    _within_site(later)
    again = replan(later.state, T0 + 30 * S)
    _check(again)
    _within_site(again)


def test_other_versions_never_get_an_operation_mode() -> None:
    site = Site(
        circuits=[Circuit(id="grid", max_current_a=32)],
        stations=[SiteStation(id="cs201", version="2.0.1", station=Station(evses=(Evse(id=1),)))],
        evses=[SiteEvse(station_id="cs201", evse_id=1, circuit="grid", discharge_max_power_w=7000)],
    )
    state = SiteState(site=site, v2x=[V2xSetting(station_id="cs201", mode="ExternalLimits")])
    event = v201.TransactionEventRequest(
        event_type="Started",
        timestamp=T0,
        trigger_reason="CablePluggedIn",
        seq_no=0,
        transaction_info=v201.Transaction(transaction_id="x"),
        evse=v201.EVSE(id=1),
    )
    state = on_transaction_event(state, "cs201", event).state
    needs = v201.NotifyEVChargingNeedsRequest(
        evse_id=1,
        charging_needs=v201.ChargingNeeds(
            requested_energy_transfer="AC_three_phase",
            ac_charging_parameters=v201.ACChargingParameters(
                energy_amount=1000, ev_min_current=6, ev_max_current=16, ev_max_voltage=400
            ),
        ),
    )
    reaction = on_ev_charging_needs(state, "cs201", needs, T0 + 5 * S)
    for out in reaction.requests:
        check_wire(out, "2.0.1", out.action)
    assert all(p.schedules[0].periods[0].operation_mode is None for p in _profiles(reaction))


# --------------------------------------------------------------------------------------
# Plan mode and V2G
# --------------------------------------------------------------------------------------

HORIZON = 4 * 3600


def _evening_site() -> Site:
    """:func:`_site` under a 25 kW base load on a 22 kW grid: a plan discharges to cover it."""
    site = _site()
    (grid,) = site.circuits
    evening = LimitSchedule(points=[(T0, Limit(power_w=25000))])
    return attrs.evolve(site, circuits=[attrs.evolve(grid, max_power_w=22000, base_load=evening)])


def _plan_state(*settings_: V2xSetting, delivered: float = 20000) -> SiteState:
    """Plan mode on :func:`_evening_site`, an EV on EVSE 1 that has taken ``delivered`` Wh."""
    state = SiteState(site=_evening_site(), v2x=settings_, settings=CsmsSettings(horizon_s=HORIZON))
    state = _start(state)
    track = state.track_on("cs21", 1)
    assert track is not None
    session = attrs.evolve(track.session, energy_delivered_wh=delivered)
    return state.with_track(attrs.evolve(track, session=session))


def test_a_planned_discharge_gives_a_floor_of_zero_never_below_and_says_so() -> None:
    # ExternalSetpoint: the profile cannot follow a plan, so the session gets a floor.
    state = _plan_state(V2xSetting(station_id="cs21", mode="ExternalSetpoint"))
    now = T0 + 5 * S
    reaction = _react(state, _needs(energy=40000))
    made = plan(reaction.state.site, reaction.state.sessions, now, HORIZON)
    periods = made.evse("cs21", 1).periods
    least = min(p.power_w for p in periods)
    assert least < 0, "the plan discharges to cover the base load's deficit"
    line = next(x for x in reaction.explanation if "floor 0 W" in x)
    assert line.startswith("cs21#1:")
    assert f"{-least:g} W" in line
    for profile in _profiles(reaction):
        for period in profile.schedules[0].periods:
            assert (period.limit or 0.0) >= 0
            assert (period.setpoint or 0.0) >= 0
    share = allocate(reaction.state.site, reaction.state.sessions, now).get("cs21", 1)
    notes: list[str] = []
    floor = _floor_share(periods, share, "cs21#1", notes)
    assert (floor.current_a, floor.power_w, floor.output_power_w) == (0, 0, 0)
    assert notes == [line]


def _delivered(state: SiteState, wh: float, evse: int = 1) -> SiteState:
    track = state.track_on("cs21", evse)
    assert track is not None
    return state.with_track(
        attrs.evolve(track, session=attrs.evolve(track.session, energy_delivered_wh=wh))
    )


@pytest.mark.parametrize("delivered", [0.0, 12000.0])
def test_a_negative_min_energy_request_lets_the_ev_give_back_more_than_it_took(
    delivered: float,
) -> None:
    request = -8000.0
    state = _delivered(_plan_state(), delivered)
    reaction = _react(state, _needs(energy=40000, min_energy=request))
    session = _planned(reaction.state)
    assert session.min_energy_wh == delivered + request
    line = next(x for x in reaction.explanation if "evMinEnergyRequest" in x)
    assert f"floor {delivered + request:g} Wh" in line
    # The planner may now discharge below what this session delivered, never below the
    # floor (check_plan recomputes the battery level slot by slot; it counts slots from its
    # own T0, which is fine here: the base load is constant and the EV present throughout).
    sessions = list(reaction.state.sessions)
    made = plan(reaction.state.site, sessions, T0, HORIZON)
    check_plan(reaction.state.site, sessions, made)
    (outcome,) = made.sessions
    assert outcome.energy_discharged_wh > 0, "with nothing delivered, too"
    # Without the request the EV gives back at most what it took.
    plain = _react(state, _needs(energy=40000))
    assert _planned(plain.state).min_energy_wh is None


@pytest.mark.parametrize("delivered", [0.0, 12000.0])
def test_iso15118_20_energy_requests_count_from_the_evs_state_now(delivered: float) -> None:
    # evMinEnergyRequest and evTargetEnergyRequest say what the EV needs from now on;
    # the session counts energy from its start, so both add to what was delivered.
    v2x = v21.V2XChargingParameters(
        max_discharge_power=5000, ev_min_energy_request=4000, ev_target_energy_request=15000
    )
    needs = _dc_needs(v2x=v2x)
    reaction = on_ev_charging_needs(_delivered(_dc_state(), delivered, 2), "cs21", needs, T0)
    _check(reaction)
    session = _planned(reaction.state, 2)
    assert session.min_energy_wh == delivered + 4000
    assert session.energy_wanted_wh == delivered + 15000
    assert session.energy_remaining_wh == 15000


@pytest.mark.parametrize(
    ("request_wh", "note"),
    [
        (float("nan"), "not finite"),
        (float("inf"), "not finite"),
        (float("-inf"), "not finite"),
        ("-5000", "not a number"),
        (-2e7, "more than the battery"),
        (30000.0, "above the energy wanted"),
    ],
)
def test_a_min_energy_request_out_of_range_is_ignored_and_explained(
    request_wh: Any, note: str
) -> None:
    reaction = _react(_delivered(_state(), 1000), _needs(energy=20000, min_energy=request_wh))
    assert reaction.response.status.value == "Accepted"
    session = _planned(reaction.state)
    assert session.min_energy_wh is None
    assert session.energy_wanted_wh == 20000, "the other needs still apply"
    assert any("evMinEnergyRequest" in x or "minimum energy" in x for x in reaction.explanation)
    assert any(note in x for x in reaction.explanation)


def test_a_negative_min_energy_request_beyond_the_dc_battery_is_ignored() -> None:
    v2x = v21.V2XChargingParameters(max_discharge_power=5000, ev_min_energy_request=-70000)
    needs = _dc_needs(state_of_charge=40, ev_energy_capacity=60000, energy_amount=30000, v2x=v2x)
    reaction = on_ev_charging_needs(_dc_state(), "cs21", needs, T0 + 5 * S)
    _check(reaction)
    assert _planned(reaction.state, 2).min_energy_wh is None
    assert any("more than the battery's 60000 Wh" in x for x in reaction.explanation)
    v2x = attrs.evolve(v2x, ev_min_energy_request=-20000)
    needs = _dc_needs(state_of_charge=40, ev_energy_capacity=60000, energy_amount=30000, v2x=v2x)
    reaction = on_ev_charging_needs(_dc_state(), "cs21", needs, T0 + 5 * S)
    _check(reaction)
    assert _planned(reaction.state, 2).min_energy_wh == -20000


def test_csms_energy_below_the_evs_battery_floor_is_raised_to_the_floor() -> None:
    state = _delivered(_state(), 20000)
    needs = _needs(min_energy=-8000.0, mobility_needs_mode="EVCC_SECC")
    reaction = _react(state, needs)
    assert _planned(reaction.state).min_energy_wh == 12000
    later = set_mobility_needs(
        reaction.state, "cs21", 1, MobilityNeeds(energy_wanted_wh=5000), T0 + 9 * S
    )
    _check(later)
    session = _planned(later.state)
    assert (session.min_energy_wh, session.energy_wanted_wh) == (12000, 12000)


def test_a_v2g_plan_in_central_setpoint_is_sent_as_planned_and_the_station_follows_it() -> None:
    now = T0 + 5 * S
    reaction = _react(_plan_state(), _needs(energy=40000))
    _within_site(reaction)
    assert any("follows the plan" in line for line in reaction.explanation)
    assert any("V2X CentralSetpoint" in line for line in reaction.explanation)
    (profile,) = _profiles(reaction)
    assert len(profile.schedules) == 1, "the plan's own schedule, no other offers"
    made = plan(reaction.state.site, reaction.state.sessions, now, HORIZON)
    planned = made.evse("cs21", 1)
    assert any(p.discharging for p in planned.periods)
    # The station engine's composite discharges as planned (rounded down to whole W)
    # wherever the plan discharges, and charges no more than planned elsewhere.
    state = reaction.state
    composite = composite_schedule(
        state.store("cs21"),
        state.site.station("cs21").station,
        1,
        now,
        HORIZON,
        ChargingRateUnit.W,
        state.transactions("cs21"),
    )
    assert composite.schedule is not None
    for period in composite.schedule.periods:
        want = planned.at(period.start_period).power_w
        if want < 0:
            assert period.operation_mode is OperationMode.CENTRAL_SETPOINT
            assert period.setpoint is not None
            assert -period.setpoint == pytest.approx(math.floor(-want + 1e-6))
            assert period.limit == 0
        else:
            assert (period.limit or 0.0) <= want + 1e-6
            assert period.setpoint is None or period.setpoint >= 0
    # Nothing changed: the next replan sends nothing.
    again = replan(reaction.state, T0 + 6 * S)
    assert not again.requests
    assert any("unchanged" in line for line in again.explanation)


@pytest.mark.parametrize(
    ("setting", "control", "delivered", "why"),
    [
        (V2xSetting(station_id="cs21", mode="ExternalSetpoint"), None, 20000, "ExternalSetpoint"),
        (V2xSetting(station_id="cs21", supported_modes="Idle,ExternalSetpoint"), None, 20000,
         "ChargingOnly"),  # CentralSetpoint unsupported: it steps down to ChargingOnly
        (V2xSetting(station_id="cs21", mode="ChargingOnly"), None, 20000, "ChargingOnly"),
        (None, "DynamicControl", 20000, None),
        (None, None, 0, None),  # nothing to give back: the plan does not discharge
    ],
)  # fmt: skip
def test_other_modes_and_plans_without_discharge_keep_the_floor(
    setting: V2xSetting | None, control: str | None, delivered: float, why: str | None
) -> None:
    state = _plan_state(*(() if setting is None else (setting,)), delivered=delivered)
    reaction = _react(state, _needs(energy=40000, control_mode=control))
    _within_site(reaction)
    assert not any("follows the plan" in line for line in reaction.explanation)
    for profile in _profiles(reaction):
        for period in profile.schedules[0].periods:
            assert period.setpoint is None or period.setpoint >= 0
    if why is not None:
        assert any(f"in {why} (not CentralSetpoint)" in x for x in reaction.explanation)


def test_a_refused_v2g_plan_steps_down_to_the_floor() -> None:
    reaction = _react(_plan_state(), _needs(energy=40000))
    (sent,) = reaction.requests
    refused = v21.SetChargingProfileResponse(
        status="Rejected", status_info=v21.StatusInfo(reason_code="InvalidSchedule")
    )
    reaction = on_set_charging_profile_response(
        reaction.state, "cs21", sent.request, refused, T0 + 9 * S
    )
    _check(reaction)
    _within_site(reaction)
    assert any("CentralSetpoint taken as unsupported" in x for x in reaction.explanation)
    assert not reaction.state.v2x_setting("cs21", 1).supports(OperationMode.CENTRAL_SETPOINT)
    assert not any("follows the plan" in line for line in reaction.explanation)
    for profile in _profiles(reaction):
        for period in profile.schedules[0].periods:
            assert period.setpoint is None or period.setpoint >= 0
