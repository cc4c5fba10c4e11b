"""Two sessions talking through a lossy, reordering, duplicating, garbling link.

A rule-based Hypothesis machine drives a charging station and a CSMS session:
either side sends CALLs, the link delivers frames in any order, drops,
duplicates or truncates them, handlers answer with results or errors, and
time passes. Invariants checked after every step:

* each side has at most one CALL in flight, and a queue only behind one;
* every CALL a side sent ends with at most one outcome event, for its own id,
  and after the link settles, with exactly one;
* an answer is never answered with a CALLERROR;
* nothing raises.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ocpp_core import v16, v21, v201
from ocpp_core.rpc import (
    CallErrorReceived,
    CallReceived,
    CallResultReceived,
    CallTimedOut,
    InvalidResponseReceived,
    Session,
    State,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PACKAGES: dict[str, Any] = {"1.6": v16, "2.0.1": v201, "2.1": v21}
OUTCOMES = (CallResultReceived, CallErrorReceived, CallTimedOut, InvalidResponseReceived)
SIDES = ("cs", "csms")


def requests_for(version: str, side: str) -> list[Any]:
    p = PACKAGES[version]
    if side == "cs":
        return [p.HeartbeatRequest(), p.DataTransferRequest(vendor_id="org.example")]
    return [p.ClearCacheRequest(), p.DataTransferRequest(vendor_id="org.example")]


def response_for(version: str, request: Any) -> Any:
    p = PACKAGES[version]
    name = type(request).__name__
    if name == "HeartbeatRequest":
        return p.HeartbeatResponse(current_time=T0)
    if name == "ClearCacheRequest":
        status = p.ClearCacheStatus if version == "1.6" else p.ClearCacheStatusEnum
        return p.ClearCacheResponse(status=status.ACCEPTED)
    status = p.DataTransferStatus if version == "1.6" else p.DataTransferStatusEnum
    return p.DataTransferResponse(status=status.ACCEPTED)


class Conversation(RuleBasedStateMachine):
    @initialize(version=st.sampled_from(["1.6", "2.0.1", "2.1"]))
    def start(self, version: str) -> None:
        self.version = version
        self.now = 0.0
        self.sessions = {
            "cs": Session(version, "ChargingStation", call_timeout=30),
            "csms": Session(version, "CSMS", call_timeout=30),
        }
        # Frames in transit, keyed by the side that will receive them.
        self.link: dict[str, list[str]] = {"cs": [], "csms": []}
        self.sent: dict[str, set[str]] = {"cs": set(), "csms": set()}
        self.outcomes: dict[str, dict[str, int]] = {"cs": {}, "csms": {}}

    # --- helpers ---------------------------------------------------------------------

    @staticmethod
    def other(side: str) -> str:
        return "csms" if side == "cs" else "cs"

    def flush(self, side: str) -> None:
        for text in self.sessions[side].data_to_send():
            self.note_sent(side, text)
            self.link[self.other(side)].append(text)

    def note_sent(self, side: str, text: str) -> None:
        frame = json.loads(text)
        if frame[0] == 2:
            self.sent[side].add(frame[1])

    def handle(self, side: str, events: list[Any], answer_with_error: bool) -> None:
        session = self.sessions[side]
        for event in events:
            if isinstance(event, OUTCOMES):
                uid = event.call.unique_id
                assert uid in self.sent[side], (side, uid)
                self.outcomes[side][uid] = self.outcomes[side].get(uid, 0) + 1
                assert self.outcomes[side][uid] == 1, f"two outcomes for {side} {uid}"
            elif isinstance(event, CallReceived):
                if answer_with_error:
                    text = session.send_error(event, "GenericError", "no")
                else:
                    text = session.send_result(event, response_for(self.version, event.request))
                self.link[self.other(side)].append(text)

    # --- rules -----------------------------------------------------------------------

    @rule(side=st.sampled_from(SIDES), which=st.integers(0, 1))
    def send_call(self, side: str, which: int) -> None:
        session = self.sessions[side]
        text = session.send_call(requests_for(self.version, side)[which], self.now)
        if text is not None:
            self.note_sent(side, text)
            self.link[self.other(side)].append(text)
        else:
            queued = session.queued[-1]
            self.sent[side].add(queued.unique_id)

    @rule(side=st.sampled_from(SIDES), index=st.integers(0, 10), error=st.booleans())
    def deliver(self, side: str, index: int, error: bool) -> None:
        queue = self.link[side]
        if not queue:
            return
        text = queue.pop(index % len(queue))
        events = self.sessions[side].receive(text, self.now)
        replies = self.sessions[side].data_to_send()
        kind = json.loads(text)[0] if text.startswith("[") and text.endswith("]") else None
        if kind in (3, 4, 5):
            assert all(json.loads(r)[0] != 4 for r in replies), (text, replies)
        for reply in replies:
            self.note_sent(side, reply)
            self.link[self.other(side)].append(reply)
        self.handle(side, events, error)

    @rule(side=st.sampled_from(SIDES), index=st.integers(0, 10))
    def drop(self, side: str, index: int) -> None:
        queue = self.link[side]
        if queue:
            queue.pop(index % len(queue))

    @rule(side=st.sampled_from(SIDES), index=st.integers(0, 10))
    def duplicate(self, side: str, index: int) -> None:
        queue = self.link[side]
        if queue:
            queue.append(queue[index % len(queue)])

    @rule(side=st.sampled_from(SIDES), index=st.integers(0, 10), cut=st.integers(1, 30))
    def garble(self, side: str, index: int, cut: int) -> None:
        queue = self.link[side]
        if queue:
            i = index % len(queue)
            queue[i] = queue[i][:-cut] or "["

    @rule(seconds=st.sampled_from([0.5, 5.0, 29.0, 31.0]))
    def tick(self, seconds: float) -> None:
        self.now += seconds
        for side in SIDES:
            self.handle(side, self.sessions[side].expire(self.now), False)
            self.flush(side)

    # --- invariants ------------------------------------------------------------------

    @invariant()
    def one_call_in_flight(self) -> None:
        for session in self.sessions.values():
            assert (session.in_flight is None) == (session.state.outbound is State.IDLE)
            assert session.in_flight is not None or not session.queued
            assert (session.state.inbound is State.IDLE) == (not session.owed)
            deadline = session.next_deadline()
            assert deadline is None or deadline > self.now - 1e-9 or deadline <= self.now

    def teardown(self) -> None:
        # Settle: deliver everything in order, answer everything, let time pass;
        # then every CALL either side sent has exactly one outcome.
        for _ in range(200):
            busy = False
            for side in SIDES:
                while self.link[side]:
                    busy = True
                    self.deliver(side, 0, False)
            if any(s.in_flight is not None for s in self.sessions.values()):
                busy = True
                self.tick(31.0)
            if not busy:
                break
        for side in SIDES:
            missing = {uid for uid in self.sent[side] if self.outcomes[side].get(uid) != 1}
            assert not missing, (side, missing)


Conversation.TestCase.settings = settings(stateful_step_count=40, deadline=None)
TestConversation = Conversation.TestCase
