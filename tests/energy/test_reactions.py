"""CSMS reactions: transactions, external limits, EV needs, fallbacks, 2.1 additions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core import encode_payload, v16, v20, v21, v201
from ocpp_core.energy import (
    ControlMode,
    CsmsSettings,
    LimitScope,
    Reaction,
    SiteState,
    on_cleared_charging_limit,
    on_ev_charging_needs,
    on_ev_charging_schedule,
    on_meter_values,
    on_notify_charging_limit,
    on_notify_priority_charging,
    on_pull_dynamic_schedule_update,
    on_set_charging_profile_response,
    on_start_transaction,
    on_stop_transaction,
    on_transaction_event,
    replan,
    request_priority_charging,
)
from ocpp_core.errors import EnergyError, ReactionError
from ocpp_core.smart_charging import (
    ChargingRateUnit,
    ProfileKind,
    ProfilePurpose,
    set_charging_profile_from_ocpp,
    validate_profile,
)
from tests.energy._csms import T0, VOLTAGE, check_reaction, check_wire, grid_currents, mixed_site

S = timedelta(seconds=1)


def _state(grid_a: float = 32.0, **kwargs: Any) -> SiteState:
    return SiteState(site=mixed_site(grid_a), **kwargs)


def _start16(state: SiteState, tid: int = 7, at: int = 0, meter: int = 1000) -> Reaction:
    request = v16.StartTransactionRequest(
        connector_id=1, id_tag="TAG", meter_start=meter, timestamp=T0 + at * S
    )
    return on_start_transaction(state, "cp16", request, transaction_id=tid)


def _event(
    mod: Any,
    event: str,
    tid: str,
    evse: int | None,
    at: int,
    *,
    phases: int | None = None,
    meter: tuple[Any, ...] | None = None,
) -> Any:
    kwargs: dict[str, Any] = {
        "event_type": event,
        "timestamp": T0 + at * S,
        "trigger_reason": "CablePluggedIn" if event == "Started" else "MeterValuePeriodic",
        "seq_no": at,
        "evse": None if evse is None else mod.EVSE(id=evse),
        "number_of_phases_used": phases,
        "meter_value": meter,
    }
    if mod is v20:
        kwargs["transaction_data"] = mod.Transaction(id=tid)
    else:
        kwargs["transaction_info"] = mod.Transaction(transaction_id=tid)
    return mod.TransactionEventRequest(**kwargs)


def _start201(state: SiteState, tid: str = "tx-1", evse: int = 1, at: int = 1) -> Reaction:
    return on_transaction_event(state, "cs201", _event(v201, "Started", tid, evse, at, phases=3))


def _profiles(reaction: Reaction, station_id: str) -> list[Any]:
    return [
        set_charging_profile_from_ocpp(o.request)
        for o in reaction.requests
        if o.station_id == station_id and o.action == "SetChargingProfile"
    ]


def _needs(
    mod: Any = v201,
    *,
    evse: int = 1,
    energy: float = 20000,
    low: float = 6,
    high: float = 32,
    departure: int | None = 4 * 3600,
    tuples: int | None = 3,
    transfer: str = "AC_three_phase",
    **extra: Any,
) -> Any:
    needs = mod.ChargingNeeds(
        requested_energy_transfer=transfer,
        departure_time=None if departure is None else T0 + departure * S,
        ac_charging_parameters=mod.ACChargingParameters(
            energy_amount=energy, ev_min_current=low, ev_max_current=high, ev_max_voltage=400
        ),
        **extra,
    )
    return mod.NotifyEVChargingNeedsRequest(
        evse_id=evse, max_schedule_tuples=tuples, charging_needs=needs
    )


# --------------------------------------------------------------------------------------
# Transactions
# --------------------------------------------------------------------------------------


def test_start_transaction_16_opens_a_session_and_caps_it() -> None:
    reaction = _start16(_state())
    check_wire(reaction.response, "1.6", "StartTransaction", "response")
    assert reaction.response.transaction_id == 7
    check_reaction(reaction)
    (request,) = _profiles(reaction, "cp16")
    assert request.evse_id == 1
    assert request.profile.purpose is ProfilePurpose.TX
    assert request.profile.transaction_id == 7
    assert request.profile.schedules[0].periods[0].limit == 32.0
    assert reaction.state.track_on("cp16", 1) is not None
    assert any("started" in line for line in reaction.explanation)


def test_two_sessions_share_the_grid_through_the_station_engine() -> None:
    first = _start16(_state())
    second = _start201(first.state)
    check_reaction(second)
    # The share of the 1.6 session fell: a new, lower profile for it, sent first.
    assert second.requests[0].station_id in {"cp16", "cs201"}
    lines = grid_currents(second.state, T0 + 10 * S)
    assert max(lines) <= 32.0 + 1e-9
    assert lines == pytest.approx([32.0, 32.0, 32.0])


def test_lower_limits_are_sent_before_higher_ones() -> None:
    state = _start201(_start16(_state()).state).state
    ended = on_transaction_event(state, "cs201", _event(v201, "Ended", "tx-1", None, 50))
    assert [p.profile.schedules[0].periods[0].limit for p in _profiles(ended, "cp16")] == [32.0]
    # Starting a third session lowers both others before anything is raised.
    state = _start201(state, "tx-2", evse=2, at=60).state
    lines = grid_currents(state, T0 + 61 * S)
    assert max(lines) <= 32.0 + 1e-9


def test_transaction_id_comes_from_the_right_field_in_each_version() -> None:
    state = _state()
    r20 = on_transaction_event(state, "cs20", _event(v20, "Started", "t20", 1, 0))
    assert r20.state.track_of("cs20", "t20") is not None
    check_wire(r20.response, "2.0", "TransactionEvent", "response")
    r21 = on_transaction_event(r20.state, "cs21", _event(v21, "Started", "t21", 1, 1))
    assert r21.state.track_of("cs21", "t21") is not None
    (profile,) = _profiles(r21, "cs21")
    assert profile.profile.transaction_id == "t21"
    check_reaction(r21)


def test_transaction_event_ended_closes_the_session_and_frees_capacity() -> None:
    state = _start201(_start16(_state()).state).state
    reaction = on_transaction_event(state, "cs201", _event(v201, "Ended", "tx-1", None, 99))
    assert reaction.state.track_of("cs201", "tx-1") is None
    assert reaction.state.store("cs201").get(101001) is None
    check_reaction(reaction)


def test_unknown_transactions_get_a_valid_answer_and_an_explanation() -> None:
    state = _state()
    for event, evse in (("Updated", None), ("Ended", None), ("Updated", 9)):
        reaction = on_transaction_event(state, "cs201", _event(v201, event, "ghost", evse, 5))
        check_wire(reaction.response, "2.0.1", "TransactionEvent", "response")
        assert reaction.requests == ()
        assert reaction.state == state
        assert "ghost" in reaction.explanation[0]
    stop = v16.StopTransactionRequest(meter_stop=5, timestamp=T0, transaction_id=99)
    reaction = on_stop_transaction(state, "cp16", stop)
    check_wire(reaction.response, "1.6", "StopTransaction", "response")
    assert "unknown transaction 99" in reaction.explanation[0]


def test_an_updated_event_of_an_unknown_transaction_on_a_known_evse_is_adopted() -> None:
    reaction = on_transaction_event(_state(), "cs201", _event(v201, "Updated", "old", 1, 5))
    assert reaction.state.track_of("cs201", "old") is not None
    assert "adopted" in reaction.explanation[0]


def _meter16(at: int, currents: tuple[float, float, float], energy: float) -> Any:
    samples = [
        v16.SampledValue(value=str(c), measurand="Current.Import", phase=p, unit="A")
        for c, p in zip(currents, ("L1", "L2", "L3"), strict=True)
    ]
    samples.append(v16.SampledValue(value=str(energy), unit="kWh"))
    return v16.MeterValue(timestamp=T0 + at * S, sampled_value=tuple(samples))


def test_meter_values_16_find_the_phases_really_used() -> None:
    state = _start201(_start16(_state(grid_a=20), meter=1000).state).state
    request = v16.MeterValuesRequest(
        connector_id=1, transaction_id=7, meter_value=(_meter16(30, (15.9, 0.0, 0.2), 3.0),)
    )
    reaction = on_meter_values(state, "cp16", request)
    check_wire(reaction.response, "1.6", "MeterValues", "response")
    track = reaction.state.track_on("cp16", 1)
    assert track is not None
    assert track.session.ev_phases == 1
    assert track.session.energy_delivered_wh == pytest.approx(2000.0)
    assert track.session.measured_current_a == (15.9, 0.0, 0.2)
    # A one-phase EV frees L2 and L3: the 2.0.1 EV may take more there... but it is 3-phase,
    # so L1 still binds; the shares change and new profiles go out.
    check_reaction(reaction)
    assert max(grid_currents(reaction.state, T0 + 31 * S)) <= 20.0 + 1e-9


def test_transaction_event_meter_values_and_phases() -> None:
    meter = (
        v201.MeterValue(
            timestamp=T0 + 20 * S,
            sampled_value=(
                v201.SampledValue(value=12.5, measurand="Current.Import", phase="L1"),
                v201.SampledValue(value=1500.0, measurand="Energy.Active.Import.Register"),
                v201.SampledValue(value=55.0, measurand="SoC"),
            ),
        ),
    )
    state = _start201(_state(), at=10).state
    reaction = on_transaction_event(
        state, "cs201", _event(v201, "Updated", "tx-1", None, 20, phases=1, meter=meter)
    )
    track = reaction.state.track_of("cs201", "tx-1")
    assert track is not None
    assert track.session.ev_phases == 1
    assert track.session.soc == 55.0
    assert track.session.measured_current_a == (12.5, 0.0, 0.0)
    check_reaction(reaction)


# --------------------------------------------------------------------------------------
# External limits
# --------------------------------------------------------------------------------------


def _limit(
    mod: Any, evse: int | None, amps: float, critical: bool = True, duration: int | None = None
) -> Any:
    schedule_kwargs: dict[str, Any] = {
        "charging_rate_unit": "A",
        "charging_schedule_period": (mod.ChargingSchedulePeriod(start_period=0, limit=amps),),
        "start_schedule": T0,
        "duration": duration,
    }
    if mod is not v20:
        schedule_kwargs["id"] = 1
    return mod.NotifyChargingLimitRequest(
        evse_id=evse,
        charging_limit=mod.ChargingLimit(charging_limit_source="SO", is_grid_critical=critical),
        charging_schedule=(mod.ChargingSchedule(**schedule_kwargs),),
    )


def test_notify_charging_limit_enters_the_site_and_replans() -> None:
    state = _start201(_state()).state
    reaction = on_notify_charging_limit(state, "cs201", _limit(v201, None, 10), T0 + 5 * S)
    check_wire(reaction.response, "2.0.1", "NotifyChargingLimit", "response")
    (limit,) = reaction.state.site.external_limits
    assert limit.scope is LimitScope.STATION
    assert limit.grid_critical
    assert limit.id == "cs201#0:SO"
    (profile,) = _profiles(reaction, "cs201")
    assert profile.profile.schedules[0].periods[0].limit == 10.0
    assert any("grid-critical" in line for line in reaction.explanation)
    cleared = on_cleared_charging_limit(
        reaction.state,
        "cs201",
        v201.ClearedChargingLimitRequest(charging_limit_source="SO"),
        T0 + 9 * S,
    )
    check_wire(cleared.response, "2.0.1", "ClearedChargingLimit", "response")
    assert cleared.state.site.external_limits == ()
    (profile,) = _profiles(cleared, "cs201")
    assert profile.profile.schedules[0].periods[0].limit == 32.0


def test_notify_charging_limit_on_an_evse_of_each_version() -> None:
    state = _start201(_state()).state
    for mod, station in ((v201, "cs201"), (v21, "cs21"), (v20, "cs20")):
        reaction = on_notify_charging_limit(state, station, _limit(mod, 1, 8), T0 + 5 * S)
        (limit,) = reaction.state.site.external_limits
        assert limit.scope is LimitScope.EVSE
        assert limit.target == f"{station}#1"


def test_notify_charging_limit_with_a_duration_ends() -> None:
    state = _start201(_state()).state
    reaction = on_notify_charging_limit(state, "cs201", _limit(v201, 1, 8, duration=60), T0)
    (limit,) = reaction.state.site.external_limits
    assert limit.schedule.at(T0 + 30 * S) is not None
    later = limit.schedule.at(T0 + 61 * S)
    assert later is not None
    assert later.current_a is None
    assert later.power_w is None


@pytest.mark.parametrize(
    ("start", "offset", "duration", "in_force"),
    [
        # Before the earliest datetime: in force from then on.
        (datetime(1, 1, 1, tzinfo=UTC), -86_400, None, True),
        # After the last datetime: never reached; a duration past it ends nothing.
        (datetime(9999, 12, 31, tzinfo=UTC), 10**9, None, False),
        (T0, 0, 10**12, True),
    ],
)
def test_charging_limits_at_the_ends_of_time_are_answered(
    start: datetime, offset: int, duration: int | None, in_force: bool
) -> None:
    state = _start201(_state()).state
    request = v201.NotifyChargingLimitRequest(
        evse_id=1,
        charging_limit=v201.ChargingLimit(charging_limit_source="SO", is_grid_critical=True),
        charging_schedule=(
            v201.ChargingSchedule(
                id=1,
                charging_rate_unit="A",
                charging_schedule_period=(
                    v201.ChargingSchedulePeriod(start_period=offset, limit=8),
                ),
                start_schedule=start,
                duration=duration,
            ),
        ),
    )
    reaction = on_notify_charging_limit(state, "cs201", request, T0 + 5 * S)
    check_reaction(reaction)
    check_wire(reaction.response, "2.0.1", "NotifyChargingLimit", "response")
    limits = reaction.state.site.external_limits
    if in_force:
        (limit,) = limits
        now = limit.schedule.at(T0 + 5 * S)
        assert now is not None
        assert now.current_a == (8.0, 8.0, 8.0)
    else:
        # Never reached: nothing to plan with, and the answer says so.
        assert limits == ()
        assert any("without a usable schedule" in line for line in reaction.explanation)


def test_bad_charging_limits_are_answered_and_ignored() -> None:
    state = _state()
    unknown = on_notify_charging_limit(state, "cs201", _limit(v201, 42, 8), T0)
    assert unknown.state == state
    assert "unknown EVSE 42" in unknown.explanation[0]
    no_schedule = v201.NotifyChargingLimitRequest(
        charging_limit=v201.ChargingLimit(charging_limit_source="EMS")
    )
    blank = on_notify_charging_limit(state, "cs201", no_schedule, T0)
    assert blank.state == state
    assert "without a usable schedule" in blank.explanation[0]
    cleared = on_cleared_charging_limit(
        state, "cs201", v201.ClearedChargingLimitRequest(charging_limit_source="EMS"), T0
    )
    assert "no such limit" in cleared.explanation[0]
    stranger = on_notify_charging_limit(state, "nobody", _limit(v201, None, 8), T0)
    assert "unknown station" in stranger.explanation[0]


# --------------------------------------------------------------------------------------
# ISO 15118 charging needs and the EV's schedule
# --------------------------------------------------------------------------------------


def test_needs_201_get_a_tx_profile_with_up_to_max_schedule_tuples() -> None:
    state = _start201(_start16(_state()).state).state
    reaction = on_ev_charging_needs(state, "cs201", _needs(tuples=3), T0 + 20 * S)
    check_wire(reaction.response, "2.0.1", "NotifyEVChargingNeeds", "response")
    assert reaction.response.status.value == "Accepted"
    check_reaction(reaction)
    (request,) = _profiles(reaction, "cs201")
    schedules = request.profile.schedules
    assert 1 <= len(schedules) <= 3
    assert [s.id for s in schedules] == list(range(1, len(schedules) + 1))
    share = schedules[0].periods[0].limit
    assert all(s.periods[0].limit <= share for s in schedules)
    track = reaction.state.track_on("cs201", 1)
    assert track is not None
    assert track.iso15118
    assert track.offered == schedules
    assert track.session.departure == T0 + 4 * 3600 * S


@pytest.mark.parametrize("tuples", [None, 1, 2])
def test_needs_respect_max_schedule_tuples(tuples: int | None) -> None:
    state = _start201(_state()).state
    reaction = on_ev_charging_needs(state, "cs201", _needs(tuples=tuples), T0 + 20 * S)
    (request,) = _profiles(reaction, "cs201")
    assert len(request.profile.schedules) <= (tuples or 1)


def test_needs_20_answer_with_notify_central_charging_needs() -> None:
    state = on_transaction_event(_state(), "cs20", _event(v20, "Started", "t20", 1, 0)).state
    needs = _needs(v20, transfer="AC_three_phase_core", tuples=2)
    reaction = on_ev_charging_needs(state, "cs20", needs, T0 + 10 * S)
    check_wire(reaction.response, "2.0", "NotifyEVChargingNeeds", "response")
    assert reaction.response.status.value == "Accepted"
    central = [o for o in reaction.requests if o.action == "NotifyCentralChargingNeeds"]
    assert len(central) == 1
    check_wire(central[0], "2.0", "NotifyCentralChargingNeeds")
    tuples = central[0].request.sa_schedule
    # The share, then just enough for 20 kWh by the departure: at least the EV's minimum
    # (6 A on three phases, in W), at most the share.
    assert len(tuples) == 2
    enough = tuples[1].p_max_schedule[0].p_max
    assert 6 * 3 * VOLTAGE <= enough <= tuples[0].p_max_schedule[0].p_max
    assert enough == pytest.approx(20000 / ((4 * 3600 - 10) / 3600), abs=1.0)
    # pMax in W: 32 A x 3 phases x 230 V at most.
    assert all(t.p_max_schedule[0].p_max <= 32 * 3 * VOLTAGE for t in tuples)


def test_needs_dc_use_power() -> None:
    state = _start201(_state(), evse=3).state
    needs = v201.NotifyEVChargingNeedsRequest(
        evse_id=3,
        charging_needs=v201.ChargingNeeds(
            requested_energy_transfer="DC",
            dc_charging_parameters=v201.DCChargingParameters(
                ev_max_current=100, ev_max_voltage=400, ev_max_power=15000, state_of_charge=40
            ),
        ),
    )
    reaction = on_ev_charging_needs(state, "cs201", needs, T0 + 10 * S)
    check_reaction(reaction)
    (request,) = _profiles(reaction, "cs201")
    schedule = request.profile.schedules[0]
    assert schedule.charging_rate_unit is ChargingRateUnit.W
    assert schedule.periods[0].limit <= 15000
    track = reaction.state.track_on("cs201", 3)
    assert track is not None
    assert track.session.soc == 40


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"departure": -60}, "not in the future"),
        ({"energy": 0}, "not a need"),
        ({"low": 20, "high": 10}, "minimum 20 above its maximum 10"),
    ],
)
def test_bad_needs_get_a_valid_answer_and_an_explanation(
    kwargs: dict[str, Any], words: str
) -> None:
    state = _start201(_state()).state
    reaction = on_ev_charging_needs(state, "cs201", _needs(**kwargs), T0 + 20 * S)
    check_wire(reaction.response, "2.0.1", "NotifyEVChargingNeeds", "response")
    assert reaction.response.status.value == "Accepted"
    assert any(words in line for line in reaction.explanation)
    check_reaction(reaction)


def test_needs_on_unknown_evse_or_without_transaction_are_refused_with_a_reason() -> None:
    state = _state()
    unknown = on_ev_charging_needs(state, "cs201", _needs(evse=7), T0)
    check_wire(unknown.response, "2.0.1", "NotifyEVChargingNeeds", "response")
    assert unknown.response.status.value == "Rejected"
    assert unknown.response.status_info.reason_code == "UnknownEVSE"
    no_tx = on_ev_charging_needs(state, "cs21", _needs(v21), T0)
    check_wire(no_tx.response, "2.1", "NotifyEVChargingNeeds", "response")
    assert no_tx.response.status.value == "NoChargingProfile"
    no_tx20 = on_ev_charging_needs(state, "cs20", _needs(v20, transfer="DC_core"), T0)
    check_wire(no_tx20.response, "2.0", "NotifyEVChargingNeeds", "response")
    assert no_tx20.response.status.value == "Rejected"


def _ev_schedule(limit: float, unit: str = "A", selected: int | None = None) -> Any:
    kwargs: dict[str, Any] = {}
    if selected is not None:
        kwargs["selected_charging_schedule_id"] = selected
    mod = v21 if selected is not None else v201
    return mod.NotifyEVChargingScheduleRequest(
        evse_id=1,
        time_base=T0 + 30 * S,
        charging_schedule=mod.ChargingSchedule(
            id=1,
            charging_rate_unit=unit,
            charging_schedule_period=(
                mod.ChargingSchedulePeriod(start_period=0, limit=limit / 2),
                mod.ChargingSchedulePeriod(start_period=600, limit=limit),
            ),
        ),
        **kwargs,
    )


def test_ev_schedule_within_the_offer_is_accepted() -> None:
    state = _start201(_start16(_state()).state).state
    state = on_ev_charging_needs(state, "cs201", _needs(), T0 + 20 * S).state
    reaction = on_ev_charging_schedule(state, "cs201", _ev_schedule(16.0), T0 + 30 * S)
    check_wire(reaction.response, "2.0.1", "NotifyEVChargingSchedule", "response")
    assert reaction.response.status.value == "Accepted"
    assert reaction.requests == ()
    # The same in W (16 A x 3 x 230 V = 11 040 W).
    in_w = on_ev_charging_schedule(state, "cs201", _ev_schedule(11040.0, "W"), T0 + 30 * S)
    assert in_w.response.status.value == "Accepted"


def test_ev_schedule_past_the_last_datetime_is_answered() -> None:
    state = _start201(_start16(_state()).state).state
    state = on_ev_charging_needs(state, "cs201", _needs(), T0 + 20 * S).state
    late = attrs.evolve(
        _ev_schedule(30.0),
        time_base=datetime(9999, 12, 31, 23, 55, tzinfo=UTC),
    )
    reaction = on_ev_charging_schedule(state, "cs201", late, T0 + 30 * S)
    check_wire(reaction.response, "2.0.1", "NotifyEVChargingSchedule", "response")
    # The 30 A period starts after any datetime: never reached. The 15 A one is
    # within the offer (16 A is, see above), so the schedule is accepted.
    assert reaction.response.status.value == "Accepted"
    assert reaction.requests == ()


def test_ev_schedule_beyond_the_offer_renegotiates_within_a_bound() -> None:
    state = _start201(_start16(_state()).state).state
    state = on_ev_charging_needs(state, "cs201", _needs(), T0 + 20 * S).state
    reaction = on_ev_charging_schedule(state, "cs201", _ev_schedule(30.0), T0 + 30 * S)
    check_wire(reaction.response, "2.0.1", "NotifyEVChargingSchedule", "response")
    assert reaction.response.status.value == "Rejected"
    assert [o.action for o in reaction.requests] == ["SetChargingProfile"]
    check_reaction(reaction)
    for _ in range(5):
        reaction = on_ev_charging_schedule(reaction.state, "cs201", _ev_schedule(30.0), T0 + 30 * S)
    assert reaction.requests == ()
    assert any("no more" in line for line in reaction.explanation)
    track = reaction.state.track_on("cs201", 1)
    assert track is not None
    assert track.renegotiations == CsmsSettings().max_renegotiations


def test_ev_schedule_20_renegotiates_with_renegotiate15118schedule() -> None:
    state = on_transaction_event(_state(), "cs20", _event(v20, "Started", "t20", 1, 0)).state
    state = on_ev_charging_needs(
        state, "cs20", _needs(v20, transfer="AC_three_phase_core"), T0
    ).state
    request = v20.NotifyEVChargingScheduleRequest(
        evse_id=1,
        time_base=T0,
        charging_schedule=v20.ChargingScheduleOptionalPeriods(
            charging_rate_unit="W",
            charging_schedule_period=(v20.ChargingSchedulePeriod(start_period=0, limit=50000),),
        ),
    )
    reaction = on_ev_charging_schedule(state, "cs20", request, T0 + 5 * S)
    check_wire(reaction.response, "2.0", "NotifyEVChargingSchedule", "response")
    assert reaction.response.status.value == "Rejected"
    (out,) = reaction.requests
    assert out.action == "Renegotiate15118Schedule"
    check_wire(out, "2.0", "Renegotiate15118Schedule")


def test_ev_schedule_without_session_is_rejected() -> None:
    reaction = on_ev_charging_schedule(_state(), "cs201", _ev_schedule(10.0), T0)
    assert reaction.response.status.value == "Rejected"
    check_wire(reaction.response, "2.0.1", "NotifyEVChargingSchedule", "response")


# --------------------------------------------------------------------------------------
# SetChargingProfile Rejected: fallbacks
# --------------------------------------------------------------------------------------


def _sent(reaction: Reaction, station: str) -> Any:
    return next(o.request for o in reaction.requests if o.station_id == station)


def test_rejected_for_the_unit_falls_back_to_the_other_unit() -> None:
    reaction = _start201(_state())
    request = _sent(reaction, "cs201")
    answer = v201.SetChargingProfileResponse(
        status="Rejected", status_info=v201.StatusInfo(reason_code="UnsupportedRateUnit")
    )
    fallback = on_set_charging_profile_response(
        reaction.state, "cs201", request, answer, T0 + 2 * S
    )
    (out,) = fallback.requests
    check_reaction(fallback)
    profile = set_charging_profile_from_ocpp(out.request).profile
    assert profile.schedules[0].charging_rate_unit is ChargingRateUnit.W
    assert profile.schedules[0].periods[0].limit == 32 * 3 * VOLTAGE
    assert "by unit" in fallback.explanation[-1]


def test_rejected_for_the_stack_level_falls_back_to_another_level() -> None:
    reaction = _start16(_state())
    request = _sent(reaction, "cp16")
    answer = v16.SetChargingProfileResponse(status="Rejected")
    fallback = on_set_charging_profile_response(reaction.state, "cp16", request, answer, T0)
    (out,) = fallback.requests
    assert out.request.cs_charging_profiles.stack_level == 0


def test_fallbacks_stop_after_the_bound() -> None:
    reaction = _start201(_state())
    request = _sent(reaction, "cs201")
    answer = v201.SetChargingProfileResponse(status="Rejected")
    steps = 0
    while reaction.requests:
        request = reaction.requests[0].request
        reaction = on_set_charging_profile_response(
            reaction.state, "cs201", request, answer, T0 + S
        )
        steps += 1
        assert steps <= 10
    assert steps <= CsmsSettings().max_fallbacks + 1
    assert any("needs a person" in line for line in reaction.explanation)
    assert reaction.state.pending == ()


def test_accepted_and_not_supported_answers() -> None:
    reaction = _start16(_state())
    request = _sent(reaction, "cp16")
    accepted = on_set_charging_profile_response(
        reaction.state, "cp16", request, v16.SetChargingProfileResponse(status="Accepted"), T0
    )
    assert accepted.state.pending == ()
    assert accepted.state.store("cp16").get(101001) is not None
    refused = on_set_charging_profile_response(
        reaction.state,
        "cp16",
        request,
        v16.SetChargingProfileResponse(status="NotSupported"),
        T0,
    )
    assert refused.requests == ()
    assert refused.state.store("cp16").get(101001) is None
    late = on_set_charging_profile_response(
        accepted.state, "cp16", request, v16.SetChargingProfileResponse(status="Rejected"), T0
    )
    assert "not pending" in late.explanation[0]


# --------------------------------------------------------------------------------------
# 2.1: dynamic profiles, V2X, priority charging
# --------------------------------------------------------------------------------------


def _start21(state: SiteState, at: int = 1) -> SiteState:
    return on_transaction_event(state, "cs21", _event(v21, "Started", "t21", 1, at, phases=3)).state


def test_dynamic_control_gets_a_dynamic_profile_then_updates() -> None:
    state = _start21(_state())
    needs = _needs(v21, control_mode="DynamicControl")
    reaction = on_ev_charging_needs(state, "cs21", needs, T0 + 5 * S)
    check_reaction(reaction)
    (request,) = _profiles(reaction, "cs21")
    assert request.profile.kind is ProfileKind.DYNAMIC
    track = reaction.state.track_on("cs21", 1)
    assert track is not None
    assert track.control_mode is ControlMode.DYNAMIC
    # Another EV arrives: the dynamic profile is updated, not replaced.
    second = _start16(reaction.state, at=10)
    actions = {o.station_id: o.action for o in second.requests}
    assert actions["cs21"] == "UpdateDynamicSchedule"
    check_reaction(second)
    pull = on_pull_dynamic_schedule_update(
        second.state,
        "cs21",
        v21.PullDynamicScheduleUpdateRequest(charging_profile_id=request.profile.id),
        T0 + 20 * S,
    )
    check_wire(pull.response, "2.1", "PullDynamicScheduleUpdate", "response")
    assert pull.response.status.value == "Accepted"
    assert pull.response.schedule_update.limit == 16.0
    unknown = on_pull_dynamic_schedule_update(
        second.state, "cs21", v21.PullDynamicScheduleUpdateRequest(charging_profile_id=5), T0
    )
    assert unknown.response.status.value == "Rejected"


def test_bidirectional_needs_get_a_central_setpoint_with_a_discharge_limit() -> None:
    state = _start21(_state())
    needs = _needs(
        v21,
        transfer="AC_BPT",
        v2x_charging_parameters=v21.V2XChargingParameters(max_discharge_power=5000),
    )
    reaction = on_ev_charging_needs(state, "cs21", needs, T0 + 5 * S)
    check_reaction(reaction)
    (request,) = _profiles(reaction, "cs21")
    period = request.profile.schedules[0].periods[0]
    assert period.operation_mode.value == "CentralSetpoint"
    assert period.discharge_limit == -5000
    assert any("V2X" in line for line in reaction.explanation)


def test_priority_charging_serves_the_ev_first() -> None:
    state = _start201(_start21(_state()), at=2).state
    notify = v21.NotifyPriorityChargingRequest(transaction_id="t21", activated=True)
    reaction = on_notify_priority_charging(state, "cs21", notify, T0 + 5 * S)
    check_wire(reaction.response, "2.1", "NotifyPriorityCharging", "response")
    (profile,) = _profiles(reaction, "cs21")
    # Served up to its maximum first (32 A less the water-filling's rounding step).
    assert profile.profile.schedules[0].periods[0].limit >= 31.9
    (other,) = _profiles(reaction, "cs201")
    assert other.profile.schedules[0].periods[0].limit <= 0.1
    off = request_priority_charging(reaction.state, "cs21", "t21", False, T0 + 9 * S)
    assert off.requests[0].action == "UsePriorityCharging"
    check_reaction(off)
    with pytest.raises(ReactionError):
        request_priority_charging(reaction.state, "cs201", "tx-1", True, T0)


# --------------------------------------------------------------------------------------
# Misuse, replan, properties
# --------------------------------------------------------------------------------------


def test_misuse_raises_reaction_error() -> None:
    state = _state()
    with pytest.raises(ReactionError) as info:
        on_transaction_event(
            state,
            "cs201",
            v16.StartTransactionRequest(connector_id=1, id_tag="x", meter_start=0, timestamp=T0),
        )
    assert info.value.field == "request"
    assert isinstance(info.value, EnergyError)
    assert isinstance(info.value, TypeError)
    with pytest.raises(ReactionError):
        replan(state, T0.replace(tzinfo=None))


def test_replan_with_nothing_changed_sends_nothing() -> None:
    state = _start201(_start16(_state()).state).state
    again = replan(state, T0 + 60 * S)
    assert again.requests == ()
    assert all("unchanged" in line or "share" in line for line in again.explanation)


_ARRIVALS = st.lists(
    st.sampled_from([("cp16", 1), ("cs201", 1), ("cs201", 2), ("cs201", 3), ("cs21", 1)]),
    min_size=1,
    max_size=6,
)


@settings(max_examples=40, deadline=None)
@given(
    arrivals=_ARRIVALS,
    grid=st.floats(6, 63),
    limit=st.one_of(st.none(), st.floats(0, 40)),
    iso=st.booleans(),
    plan_mode=st.booleans(),
)
def test_every_request_is_valid_and_the_site_holds_through_the_engine(
    arrivals: list[tuple[str, int]],
    grid: float,
    limit: float | None,
    iso: bool,
    plan_mode: bool,
) -> None:
    settings = CsmsSettings(horizon_s=4 * 3600 if plan_mode else None)
    state = _state(round(grid, 1), settings=settings)
    at = 0
    mods = {"cs201": v201, "cs21": v21}
    for station, evse in arrivals:
        at += 7
        if station == "cp16":
            if state.track_on("cp16", 1) is not None:
                reaction = on_stop_transaction(
                    state,
                    "cp16",
                    v16.StopTransactionRequest(
                        meter_stop=2000, timestamp=T0 + at * S, transaction_id=7
                    ),
                )
            else:
                reaction = _start16(state, at=at)
        else:
            mod = mods[station]
            tid = f"{station}-{evse}"
            known = state.track_on(station, evse) is not None
            event = "Ended" if known else "Started"
            reaction = on_transaction_event(state, station, _event(mod, event, tid, evse, at))
            if not known and iso and evse != 3:
                check_reaction(reaction)
                reaction = on_ev_charging_needs(
                    reaction.state, station, _needs(mod, evse=evse), T0 + at * S
                )
        check_reaction(reaction)
        state = reaction.state
        if limit is not None and at == 7:
            reaction = on_notify_charging_limit(
                state, "cs201", _limit(v201, None, limit), T0 + at * S
            )
            check_reaction(reaction)
            state = reaction.state
        for key, store in state.installed:
            station_model = state.site.station(key).station
            for entry in store.entries:
                result = validate_profile(
                    entry.profile,
                    entry.evse_id,
                    store.remove_ids([entry.profile.id]),
                    station_model,
                    transactions=state.transactions(key),
                )
                assert result.accepted, result.describe()
        for later in (1, 901, 3601, 4 * 3600 - 1):
            lines = grid_currents(state, T0 + (at + later) * S)
            assert max(lines) <= round(grid, 1) + 1e-6


def test_plan_mode_sends_deadline_aware_schedules_within_the_site() -> None:
    state = _state(16.0, settings=CsmsSettings(horizon_s=8 * 3600))
    state = _start201(_start16(state).state).state
    reaction = on_ev_charging_needs(
        state, "cs201", _needs(energy=15000, departure=3 * 3600), T0 + 20 * S
    )
    check_reaction(reaction)
    assert any(line.startswith("plan over 28800 s") for line in reaction.explanation)
    (request,) = _profiles(reaction, "cs201")
    offers = request.profile.schedules
    first = offers[0]
    # The offers are capped by the planned schedule at every period start.
    for offer in offers[1:]:
        for period in offer.periods:
            planned = max(p.limit for p in first.periods if p.start_period <= period.start_period)
            assert period.limit <= planned
    for later in range(0, 8 * 3600, 600):
        lines = grid_currents(reaction.state, T0 + (20 + later) * S)
        assert max(lines) <= 16.0 + 1e-6
    with pytest.raises(EnergyError):
        CsmsSettings(horizon_s=0)


def test_encoded_requests_are_plain_json() -> None:
    reaction = on_ev_charging_needs(_start201(_state()).state, "cs201", _needs(), T0 + 9 * S)
    for out in reaction.requests:
        assert isinstance(encode_payload(out.request), dict)
    assert attrs.has(type(reaction))
