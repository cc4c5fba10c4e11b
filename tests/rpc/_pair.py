"""``SessionPair``: a charging station and a CSMS session connected back to back.

The test helper for conversations, like h11's ``ConnectionPair``: what one side
sends is received by the other, the texts a session decides to send by itself
(``data_to_send``) travel too, and every text is kept in :attr:`SessionPair.wire`
so a test can compare the conversation with literal frames.
"""

from __future__ import annotations

from typing import Any

from ocpp_core.rpc import CallReceived, CallResultReceived, Event, Session
from ocpp_core.versions import Role

CS, CSMS = Role.CHARGING_STATION, Role.CSMS


class SessionPair:
    """Two sessions of one version, one per role, and the texts between them."""

    def __init__(self, version: str = "2.0.1", **options: Any) -> None:
        self.sessions = {role: Session(version, role, **options) for role in Role}
        self.now = 0.0
        self.wire: list[tuple[Role, str]] = []
        """Every text sent, with its sender, in order."""

    @property
    def station(self) -> Session:
        """The charging station's session."""
        return self.sessions[CS]

    @property
    def csms(self) -> Session:
        """The CSMS's session."""
        return self.sessions[CSMS]

    def send(self, sender: Role, text: str) -> list[Event]:
        """Deliver ``text`` from ``sender`` to its peer; return the peer's events.

        What the peer then sends by itself (a CALLERROR, a released CALL) is
        delivered back, and so on until both sides are quiet; only the first
        receiver's events are returned.
        """
        self.wire.append((sender, text))
        events = self.sessions[sender.peer].receive(text, self.now)
        self._flush()
        return events

    def _flush(self) -> None:
        moved = True
        while moved:
            moved = False
            for role, session in self.sessions.items():
                for text in session.data_to_send():
                    moved = True
                    self.wire.append((role, text))
                    self.sessions[role.peer].receive(text, self.now)

    def call(self, sender: Role, request: object) -> CallReceived:
        """``sender`` sends a CALL with ``request``; return the peer's ``CallReceived``."""
        text = self.sessions[sender].send_call(request, self.now)
        assert text is not None, "the CALL was queued"
        [event] = self.send(sender, text)
        assert isinstance(event, CallReceived)
        assert event.request == request
        return event

    def answer(self, call: CallReceived, response: object) -> list[Event]:
        """The side that received ``call`` answers it; return the caller's events."""
        answering = self._owner(call)
        text = self.sessions[answering].send_result(call, response)
        return self.send(answering, text)

    def exchange(self, sender: Role, request: object, response: object) -> CallResultReceived:
        """A whole round trip: CALL, CALLRESULT; return the caller's outcome event."""
        [outcome] = self.answer(self.call(sender, request), response)
        assert isinstance(outcome, CallResultReceived)
        assert outcome.response == response
        return outcome

    def _owner(self, call: CallReceived) -> Role:
        for role, session in self.sessions.items():
            if call.call in session.owed:
                return role
        raise AssertionError(f"no side owes an answer to {call.call.unique_id!r}")
