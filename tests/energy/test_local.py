"""Local smart charging: a local controller splits the CSMS's group limit over its stations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp_core import decode_payload, v16, v201
from ocpp_core.energy import (
    SiteState,
    clear_group_limit,
    group_limit_id,
    on_start_transaction,
    on_transaction_event,
    split_group_limit,
)
from ocpp_core.smart_charging import set_charging_profile_from_ocpp
from tests.energy._csms import T0, check_reaction, check_wire, grid_currents, mixed_site

S = timedelta(seconds=1)


def _children() -> SiteState:
    """The controller's children: the mixed site with a generous feeder (the group binds)."""
    state = SiteState(site=mixed_site(grid_a=100))
    state = on_start_transaction(
        state,
        "cp16",
        v16.StartTransactionRequest(connector_id=1, id_tag="T", meter_start=0, timestamp=T0),
        transaction_id=1,
    ).state
    for evse in (1, 2):
        event = v201.TransactionEventRequest(
            event_type="Started",
            timestamp=T0 + evse * S,
            trigger_reason="CablePluggedIn",
            seq_no=0,
            transaction_info=v201.Transaction(transaction_id=f"t{evse}"),
            evse=v201.EVSE(id=evse),
        )
        state = on_transaction_event(state, "cs201", event).state
    return state


def _group16(amps: float, *, recurring: bool = False) -> Any:
    periods = [{"startPeriod": 0, "limit": amps}]
    if recurring:
        periods.append({"startPeriod": 3600, "limit": amps / 2})
    profile: dict[str, Any] = {
        "chargingProfileId": 9,
        "stackLevel": 0,
        "chargingProfilePurpose": "ChargePointMaxProfile",
        "chargingProfileKind": "Recurring" if recurring else "Absolute",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "startSchedule": "2025-06-02T08:00:00Z",
            "chargingSchedulePeriod": periods,
        },
    }
    if recurring:
        profile["recurrencyKind"] = "Daily"
    return decode_payload(
        "1.6", "SetChargingProfile", "request", {"connectorId": 0, "csChargingProfiles": profile}
    )


def _group2x(
    watts: float,
    *,
    evse: int = 0,
    purpose: str = "ChargingStationMaxProfile",
    kind: str = "Absolute",
    version: str = "2.0.1",
) -> Any:
    schedule: dict[str, Any] = {
        "id": 1,
        "chargingRateUnit": "W",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": watts}],
    }
    if kind != "Relative":
        schedule["startSchedule"] = "2025-06-02T08:00:00Z"
    payload = {
        "evseId": evse,
        "chargingProfile": {
            "id": 9,
            "stackLevel": 0,
            "chargingProfilePurpose": purpose,
            "chargingProfileKind": kind,
            "chargingSchedule": [schedule],
        },
    }
    return decode_payload(version, "SetChargingProfile", "request", payload)


def test_a_16_group_limit_is_split_over_children_of_every_version() -> None:
    reaction = split_group_limit(_children(), "lc", _group16(24.0), T0 + 10 * S)
    check_wire(reaction.response, "1.6", "SetChargingProfile", "response")
    assert reaction.response.status.value == "Accepted"
    check_reaction(reaction)
    stations = {o.station_id for o in reaction.requests}
    assert stations == {"cp16", "cs201"}
    assert max(grid_currents(reaction.state, T0 + 11 * S)) <= 24.0 + 1e-9
    (limit,) = reaction.state.site.external_limits
    assert limit.id == group_limit_id("lc")


def test_a_recurring_group_limit_is_followed_over_time() -> None:
    reaction = split_group_limit(_children(), "lc", _group16(30.0, recurring=True), T0 + 10 * S)
    (limit,) = reaction.state.site.external_limits
    now_value = limit.schedule.at(T0 + 20 * S)
    later = limit.schedule.at(T0 + 3700 * S)
    assert now_value is not None
    assert later is not None
    assert now_value.current_a == (30.0, 30.0, 30.0)
    assert later.current_a == (15.0, 15.0, 15.0)


def test_a_201_group_limit_in_watts() -> None:
    reaction = split_group_limit(_children(), "lc", _group2x(11040.0), T0 + 10 * S)
    check_wire(reaction.response, "2.0.1", "SetChargingProfile", "response")
    assert reaction.response.status.value == "Accepted"
    check_reaction(reaction)
    lines = grid_currents(reaction.state, T0 + 11 * S)
    # 11 040 W is 16 A on each of three phases at 230 V.
    assert sum(lines) * 230.0 <= 11040.0 + 1e-6
    cleared = clear_group_limit(reaction.state, "lc", T0 + 20 * S)
    assert cleared.state.site.external_limits == ()
    check_reaction(cleared)
    again = clear_group_limit(cleared.state, "lc", T0 + 30 * S)
    assert again.requests == ()


def test_other_profiles_are_not_group_limits() -> None:
    state = _children()
    for request in (_group2x(5000.0, evse=1), _group2x(5000.0, purpose="TxDefaultProfile")):
        reaction = split_group_limit(state, "lc", request, T0)
        check_wire(reaction.response, "2.0.1", "SetChargingProfile", "response")
        assert reaction.response.status.value == "Rejected"
        assert reaction.response.status_info.reason_code == "UnsupportedPurpose"
        assert reaction.requests == ()
        assert reaction.state == state


def test_a_group_limit_the_engine_refuses_is_rejected_with_its_rule() -> None:
    request = _group2x(10000.0, kind="Relative", version="2.1")
    reaction = split_group_limit(_children(), "lc", request, T0)
    assert reaction.response.status.value == "Rejected"
    check_wire(reaction.response, "2.1", "SetChargingProfile", "response")
    assert "refused" in reaction.explanation[0]


@settings(max_examples=30, deadline=None)
@given(amps=st.floats(0, 80), watts=st.one_of(st.none(), st.floats(0, 50000)))
def test_children_stay_under_any_group_limit(amps: float, watts: float | None) -> None:
    amps = round(amps, 1)
    request = _group16(amps) if watts is None else _group2x(round(watts))
    reaction = split_group_limit(_children(), "lc", request, T0 + 10 * S)
    check_reaction(reaction)
    for out in reaction.requests:
        assert set_charging_profile_from_ocpp(out.request).profile.schedules
    lines = grid_currents(reaction.state, T0 + 11 * S)
    if watts is None:
        assert max(lines) <= amps + 1e-6
    else:
        assert sum(lines) * 230.0 <= round(watts) + 1e-6
