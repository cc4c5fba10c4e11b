"""Whatever a station sends (any schema-valid message), a reaction answers validly.

Hypothesis draws arbitrary schema-valid requests of every action a reaction
takes, in every version that has it, and feeds them to the reaction on a site
with sessions running. The reaction must return a response that passes its
version's schema, requests that pass theirs, and never raise. 2.1 needs and
limits are also drawn under every kind of V2X setting: each profile sent must
pass the station engine's validation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocpp_core import v16, v21, v201
from ocpp_core.energy import (
    Reaction,
    SiteState,
    V2xSetting,
    on_cleared_charging_limit,
    on_ev_charging_needs,
    on_ev_charging_schedule,
    on_meter_values,
    on_notify_charging_limit,
    on_notify_priority_charging,
    on_pull_dynamic_schedule_update,
    on_start_transaction,
    on_stop_transaction,
    on_transaction_event,
)
from ocpp_core.smart_charging import set_charging_profile_from_ocpp, validate_profile
from ocpp_core.strategies import messages
from tests.energy._csms import T0, VERSIONS, check_reaction, check_wire, mixed_site

STATION_OF = {"1.6": "cp16", "2.0": "cs20", "2.0.1": "cs201", "2.1": "cs21"}


def _running() -> SiteState:
    state = SiteState(site=mixed_site())
    state = on_start_transaction(
        state,
        "cp16",
        v16.StartTransactionRequest(connector_id=1, id_tag="T", meter_start=0, timestamp=T0),
        transaction_id=1,
    ).state
    for evse in (1, 2):
        event = v201.TransactionEventRequest(
            event_type="Started",
            timestamp=T0,
            trigger_reason="CablePluggedIn",
            seq_no=0,
            transaction_info=v201.Transaction(transaction_id=str(evse)),
            evse=v201.EVSE(id=evse),
        )
        state = on_transaction_event(state, "cs201", event).state
    return state


STATE = _running()
NOW = T0 + timedelta(minutes=5)

Call = Callable[[SiteState, str, Any], Reaction]
CASES: list[tuple[str, str, Call]] = [
    ("1.6", "StartTransaction", lambda s, c, m: on_start_transaction(s, c, m, transaction_id=5)),
    ("1.6", "StopTransaction", on_stop_transaction),
    ("1.6", "MeterValues", lambda s, c, m: on_meter_values(s, c, m, NOW)),
]
for _version in ("2.0", "2.0.1", "2.1"):
    CASES += [
        (_version, "TransactionEvent", lambda s, c, m: on_transaction_event(s, c, m, NOW)),
        (_version, "NotifyChargingLimit", lambda s, c, m: on_notify_charging_limit(s, c, m, NOW)),
        (_version, "ClearedChargingLimit", lambda s, c, m: on_cleared_charging_limit(s, c, m, NOW)),
        (_version, "NotifyEVChargingNeeds", lambda s, c, m: on_ev_charging_needs(s, c, m, NOW)),
        (
            _version,
            "NotifyEVChargingSchedule",
            lambda s, c, m: on_ev_charging_schedule(s, c, m, NOW),
        ),
    ]
CASES += [
    ("2.1", "NotifyPriorityCharging", lambda s, c, m: on_notify_priority_charging(s, c, m, NOW)),
    (
        "2.1",
        "PullDynamicScheduleUpdate",
        lambda s, c, m: on_pull_dynamic_schedule_update(s, c, m, NOW),
    ),
]


@pytest.mark.parametrize(
    ("version", "action", "react"), CASES, ids=[f"{v}-{a}" for v, a, _ in CASES]
)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_valid_message_gets_a_valid_answer(
    version: str, action: str, react: Call, data: st.DataObject
) -> None:
    message = data.draw(messages(version, action, "request"))
    station = STATION_OF[version]
    reaction = react(STATE, station, message)
    check_wire(reaction.response, version, action, "response")
    check_reaction(reaction)
    assert all(o.station_id in VERSIONS for o in reaction.requests)
    assert reaction.explanation


def _running_v2x(setting: V2xSetting) -> SiteState:
    state = SiteState(site=mixed_site(), v2x=[setting])
    event = v21.TransactionEventRequest(
        event_type="Started",
        timestamp=T0,
        trigger_reason="CablePluggedIn",
        seq_no=0,
        transaction_info=v21.Transaction(transaction_id="v2x"),
        evse=v21.EVSE(id=1),
    )
    return on_transaction_event(state, "cs21", event).state


V2X_STATES = [
    _running_v2x(V2xSetting(station_id="cs21", mode=mode, freq_watt_curve=curve, **extra))
    for mode, curve, extra in [
        ("CentralSetpoint", None, {}),
        ("LocalFrequency", ((49.9, -3000.0), (50.1, 3000.0)), {"baseline_w": 500}),
        ("CentralFrequency", ((49.9, -3000.0), (50.1, 3000.0)), {"supported_modes": "Idle"}),
        ("ExternalLimits", None, {"supported_modes": "ExternalSetpoint,Idle"}),
        ("LocalLoadBalancing", None, {}),
    ]
]
V2X_CASES: list[tuple[str, Call]] = [
    ("NotifyEVChargingNeeds", lambda s, c, m: on_ev_charging_needs(s, c, m, NOW)),
    ("NotifyChargingLimit", lambda s, c, m: on_notify_charging_limit(s, c, m, NOW)),
]


@pytest.mark.parametrize(("action", "react"), V2X_CASES, ids=[a for a, _ in V2X_CASES])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_21_message_under_any_v2x_setting_gets_valid_requests(
    action: str, react: Call, data: st.DataObject
) -> None:
    state = data.draw(st.sampled_from(V2X_STATES))
    message = data.draw(messages("2.1", action, "request"))
    if data.draw(st.booleans()):
        # On the EVSE with the session, so that a profile follows.
        message = attrs.evolve(message, evse_id=1)
    reaction = react(state, "cs21", message)
    check_wire(reaction.response, "2.1", action, "response")
    check_reaction(reaction)
    for out in reaction.requests:
        if out.action != "SetChargingProfile":
            continue
        neutral = set_charging_profile_from_ocpp(out.request)
        store = reaction.state.store(out.station_id)
        result = validate_profile(
            neutral.profile,
            neutral.evse_id,
            store.remove_ids([neutral.profile.id]),
            reaction.state.site.station(out.station_id).station,
            transactions=reaction.state.transactions(out.station_id),
        )
        assert result.accepted, result.describe()
