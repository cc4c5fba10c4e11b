"""The transition table: every (channel, state, input) triple, through the public API."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpp_core import v21
from ocpp_core.errors import LocalProtocolError
from ocpp_core.rpc import (
    CallReceived,
    CallResultReceived,
    CallTimedOut,
    ProtocolViolation,
    Session,
    SessionState,
    State,
    Violation,
)
from ocpp_core.rpc._state import (
    CHANNEL_INPUTS,
    CHANNEL_STATES,
    TRANSITIONS,
    Channel,
    Channels,
    Effect,
    Input,
    render_mermaid,
    render_table,
    transition,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TRIPLES = [
    (channel, state, event)
    for channel in Channel
    for state, event in itertools.product(CHANNEL_STATES[channel], CHANNEL_INPUTS[channel])
]


def test_table_only_uses_each_channels_states_and_inputs() -> None:
    for (channel, state, event), row in TRANSITIONS.items():
        assert state in CHANNEL_STATES[channel]
        assert row.target in CHANNEL_STATES[channel]
        assert event in CHANNEL_INPUTS[channel]
    assert set(TRANSITIONS) <= set(TRIPLES)


def test_docs_show_the_table_and_diagram() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "rpc.md").read_text(encoding="utf-8")
    assert "```mermaid\n" + render_mermaid() + "```" in doc
    assert render_table() in doc


# --- driving a session into each state and applying each input ---------------------


class Harness:
    """A 2.1 charging-station session and the literal frames that drive it."""

    def __init__(self) -> None:
        self.session = Session("2.1", "ChargingStation")
        self.peer_ids = itertools.count(1)

    def owe(self) -> None:
        uid = f"c{next(self.peer_ids)}"
        self.session.receive(f'[2,"{uid}","ClearCache",{{}}]', 0.0)

    def enter(self, channel: Channel, state: State, owed: int) -> None:
        if state is State.AWAITING_RESPONSE:
            assert self.session.send_call(v21.HeartbeatRequest(), 0.0) is not None
        if state is State.ANSWER_OWED:
            for _ in range(owed):
                self.owe()
        self.session.data_to_send()

    def apply(self, event: Input) -> tuple[Any, list[Any], list[str]]:
        s = self.session
        if event is Input.SEND_CALL:
            result: Any = s.send_call(v21.HeartbeatRequest(), 1.0)
            return result, [], s.data_to_send()
        if event is Input.RESPONSE:
            uid = s.in_flight.unique_id if s.in_flight else "none"
            events = s.receive(f'[3,"{uid}",{{"currentTime":"2026-01-01T00:00:00Z"}}]', 1.0)
            return None, events, s.data_to_send()
        if event is Input.TIMEOUT:
            deadline = s.next_deadline()
            return None, s.expire(1e9 if deadline is None else deadline), s.data_to_send()
        if event is Input.STRAY_RESPONSE:
            return None, s.receive('[3,"stray",{}]', 1.0), s.data_to_send()
        if event is Input.CALL_DELIVERED:
            return None, s.receive('[2,"new","ClearCache",{}]', 1.0), s.data_to_send()
        if event is Input.CALL_REFUSED:
            return None, s.receive('[2,"bad","NoSuchAction",{}]', 1.0), s.data_to_send()
        if event in (Input.ANSWER_LAST, Input.ANSWER_ONE_OF_SEVERAL):
            owed = s.owed[0] if s.owed else None
            if owed is None:
                from ocpp_core.rpc import Call

                owed = Call(unique_id="never", action="ClearCache", payload={})
            response = v21.ClearCacheResponse(status=v21.ClearCacheStatusEnum.ACCEPTED)
            return s.send_result(owed, response), [], s.data_to_send()
        assert event is Input.NOTICE
        return None, s.receive('[5,"zz","GenericError","",{}]', 1.0), s.data_to_send()


def owed_for(channel: Channel, state: State, event: Input) -> int:
    if state is not State.ANSWER_OWED:
        return 0
    return 2 if event is Input.ANSWER_ONE_OF_SEVERAL else 1


def check_effect(effect: Effect, result: Any, events: list[Any], sent: list[str]) -> None:
    if effect is Effect.TRANSMIT:
        assert result == '[2,"2","Heartbeat",{}]' or result == '[2,"1","Heartbeat",{}]'
        assert events == []
        assert sent == []
    elif effect is Effect.ENQUEUE:
        assert result is None
        assert sent == []
    elif effect is Effect.FINISH_CALL:
        assert len(events) == 1
        assert isinstance(events[0], CallResultReceived | CallTimedOut)
    elif effect is Effect.NOTIFY:
        assert len(events) == 1
        assert sent == []
        assert isinstance(events[0], ProtocolViolation)
        assert events[0].reply is None
    elif effect is Effect.DELIVER:
        assert [type(e) for e in events] == [CallReceived]
        assert sent == []
    elif effect is Effect.DELIVER_CONCURRENT:
        assert [type(e) for e in events] == [ProtocolViolation, CallReceived]
        assert events[0].kind is Violation.CONCURRENT_CALL
    elif effect is Effect.AUTO_REPLY:
        assert len(events) == 1
        assert isinstance(events[0], ProtocolViolation)
        assert sent == [events[0].reply]
    else:
        assert effect is Effect.TRANSMIT_ANSWER
        assert result == '[3,"c1",{"status":"Accepted"}]'


@pytest.mark.parametrize(("channel", "state", "event"), TRIPLES, ids=["-".join(t) for t in TRIPLES])
def test_every_triple(channel: Channel, state: State, event: Input) -> None:
    harness = Harness()
    harness.enter(channel, state, owed_for(channel, state, event))
    before = harness.session.state
    row = TRANSITIONS.get((channel, state, event))
    if row is None:
        with pytest.raises(LocalProtocolError):
            transition(channel, state, event)
        # The public API cannot produce a remote input the table lacks, and
        # refuses a local one, leaving the state as it was.
        if event in (Input.ANSWER_LAST, Input.ANSWER_ONE_OF_SEVERAL):
            with pytest.raises(LocalProtocolError):
                harness.apply(event)
        else:
            _, events, sent = harness.apply(event)
            assert sent == []
            if event is Input.TIMEOUT:
                assert events == []
            else:  # an answer with no call in flight is a stray answer
                assert [type(e) for e in events] == [ProtocolViolation]
        assert harness.session.state == before
        return
    result, events, sent = harness.apply(event)
    after = harness.session.state
    mine, other = (
        (after.outbound, after.inbound)
        if channel is Channel.OUTBOUND
        else (after.inbound, after.outbound)
    )
    assert mine is row.target
    assert other is (before.inbound if channel is Channel.OUTBOUND else before.outbound)
    check_effect(row.effect, result, events, sent)


def test_a_finished_call_releases_the_queued_one() -> None:
    session = Session("2.0.1", "ChargingStation")
    from ocpp_core import v201

    assert session.send_call(v201.HeartbeatRequest(), 0.0) == '[2,"1","Heartbeat",{}]'
    assert session.send_call(v201.HeartbeatRequest(), 0.0) is None
    [event] = session.receive('[3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]', 5.0)
    assert isinstance(event, CallResultReceived)
    assert session.data_to_send() == ['[2,"2","Heartbeat",{}]']
    assert session.state.outbound is State.AWAITING_RESPONSE
    assert session.next_deadline() == 35.0


# --- the session's states change only through the table ----------------------------
#
# The shape guarantees it: the session holds its states in a ``Channels``, which has
# no setter; ``Channels.fire`` applies a row of TRANSITIONS and returns its effect.


def test_channels_change_only_by_firing_a_row() -> None:
    channels = Channels()
    with pytest.raises(AttributeError):
        channels.outbound = State.AWAITING_RESPONSE  # type: ignore[misc]
    assert channels.fire(Channel.OUTBOUND, Input.SEND_CALL) is Effect.TRANSMIT
    assert channels.outbound is State.AWAITING_RESPONSE
    assert channels.fire(Channel.OUTBOUND, Input.SEND_CALL) is Effect.ENQUEUE
    with pytest.raises(LocalProtocolError):
        channels.fire(Channel.INBOUND, Input.ANSWER_LAST)
    assert channels.snapshot() == SessionState(outbound=State.AWAITING_RESPONSE, inbound=State.IDLE)


def test_session_keeps_no_state_of_its_own() -> None:
    assert not [name for name in Session.__slots__ if "state" in name]


@pytest.mark.parametrize(("channel", "state", "event"), TRIPLES, ids=["-".join(t) for t in TRIPLES])
def test_fire_applies_the_row(channel: Channel, state: State, event: Input) -> None:
    channels = Channels()
    if state is not State.IDLE:
        channels.fire(
            channel, Input.SEND_CALL if channel is Channel.OUTBOUND else Input.CALL_DELIVERED
        )
    row = TRANSITIONS.get((channel, state, event))
    if row is None:
        with pytest.raises(LocalProtocolError):
            channels.fire(channel, event)
        assert (channels.outbound if channel is Channel.OUTBOUND else channels.inbound) is state
        return
    assert channels.fire(channel, event) is row.effect
    assert (channels.outbound if channel is Channel.OUTBOUND else channels.inbound) is row.target


OPS = st.lists(
    st.sampled_from(
        [
            "call",
            "answer-in-flight",
            "stray",
            "peer-call",
            "bad-call",
            "answer-owed",
            "tick",
            "notice",
        ]
    ),
    max_size=30,
)


@given(OPS)
def test_session_state_matches_what_it_holds(ops: list[str]) -> None:
    harness = Harness()
    s = harness.session
    now = 0.0
    for op in ops:
        now += 7.0
        if op == "call":
            s.send_call(v21.HeartbeatRequest(), now)
        elif op == "answer-in-flight" and s.in_flight is not None:
            s.receive(
                f'[3,"{s.in_flight.unique_id}",{{"currentTime":"2026-01-01T00:00:00Z"}}]', now
            )
        elif op == "stray":
            s.receive('[4,"stray","GenericError","",{}]', now)
        elif op == "peer-call":
            harness.owe()
        elif op == "bad-call":
            s.receive('[2,"bad",7,{}]', now)
        elif op == "answer-owed" and s.owed:
            s.send_error(s.owed[-1], "GenericError")
        elif op == "tick":
            s.expire(now)
        elif op == "notice":
            s.receive('[6,"n1","NoSuch",{}]', now)
        s.data_to_send()
        # The invariants the states stand for.
        assert (s.state.outbound is State.IDLE) == (s.in_flight is None)
        assert (s.state.inbound is State.IDLE) == (not s.owed)
        assert s.in_flight is not None or not s.queued
