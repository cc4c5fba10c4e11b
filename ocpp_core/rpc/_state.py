"""The one transition table of the OCPP-J session.

Theory of operation
-------------------
An OCPP-J connection carries two independent request/answer channels, one per
direction (OCPP-J 1.6 section 4.1.1 "Synchronicity"; 2.x section 4.1.1):

* **outbound**: the CALLs this side sends. At most one may be unanswered; a
  further CALL waits in a FIFO queue and leaves when the answer to the one in
  flight arrives or its timeout passes.
* **inbound**: the CALLs the peer sends, which this side owes answers to. The
  peer should not send a CALL while one of its CALLs is unanswered, but the
  CALLs of the two directions may cross: "a Charge Point or Central System
  SHOULD NOT send a CALL ... unless all the CALL messages it sent before have
  been responded to or have timed out" binds each sender, not the receiver.
  A second CALL from the peer is delivered all the same and reported.

Both roles (charging station and CSMS) obey the same table; what differs
between them is which actions each may send, which the session looks up in
the version's direction table, not here.

The session keeps its channels' states in a :class:`Channels`, whose
:meth:`Channels.fire` is the only way to change them (as h11's
``ConnectionState.process_event``): it looks the (channel, state, input)
triple up in :data:`TRANSITIONS`, applies the row's target state and returns
the row's :class:`Effect`, which the session then carries out. So every state
change goes through the table by construction. The same table draws the
state diagram in ``docs/rpc.md`` (:func:`render_mermaid`, :func:`render_table`;
a test checks the docs match) and drives the exhaustive test over every
(channel, state, input) triple. A triple missing from the table is an input
that cannot happen in that state: the session raises
:class:`~ocpp_core.errors.LocalProtocolError` for local inputs (answering a
CALL that is not owed) and never produces the remote ones (an answer can only
be classified as matching the call in flight when there is one).

Inputs that only report (a stray answer, a SEND, a CALLRESULTERROR) are listed
too, as self-loops, so that the table is the complete account of what each
input does.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

import attrs

from ocpp_core.errors import LocalProtocolError

__all__ = [
    "Channel",
    "Channels",
    "Effect",
    "Input",
    "SessionState",
    "State",
    "TRANSITIONS",
    "Transition",
    "render_mermaid",
    "render_table",
    "transition",
]


class Channel(enum.StrEnum):
    """The two request/answer channels of a connection."""

    OUTBOUND = "outbound"
    """The CALLs this side sends and the answers it receives."""
    INBOUND = "inbound"
    """The CALLs the peer sends and the answers this side owes."""


class State(enum.StrEnum):
    """The state of one channel."""

    IDLE = "IDLE"
    """Nothing unanswered on this channel."""
    AWAITING_RESPONSE = "AWAITING_RESPONSE"
    """Outbound: one CALL of ours is in flight (others may be queued)."""
    ANSWER_OWED = "ANSWER_OWED"
    """Inbound: at least one CALL of the peer's awaits our answer."""


class Input(enum.StrEnum):
    """What can happen to a channel."""

    SEND_CALL = "send_call"
    """Outbound, local: the host sends a CALL (or a queued CALL is released)."""
    RESPONSE = "response"
    """Outbound, remote: an answer (valid or broken) to the CALL in flight."""
    TIMEOUT = "timeout"
    """Outbound, clock: the deadline of the CALL in flight passed."""
    STRAY_RESPONSE = "stray_response"
    """Outbound, remote: an answer that matches no CALL in flight."""
    CALL_DELIVERED = "call_delivered"
    """Inbound, remote: a valid CALL, handed to the host, which owes the answer."""
    CALL_REFUSED = "call_refused"
    """Inbound, remote: a CALL (or unreadable frame) the session answers itself."""
    ANSWER_LAST = "answer_last"
    """Inbound, local: the host answers the only owed CALL."""
    ANSWER_ONE_OF_SEVERAL = "answer_one_of_several"
    """Inbound, local: the host answers one of several owed CALLs."""
    NOTICE = "notice"
    """Inbound, remote: a frame that is never answered (SEND, CALLRESULTERROR)."""


class Effect(enum.StrEnum):
    """What the session does on a transition, besides changing state."""

    TRANSMIT = "transmit"
    """Serialise the CALL, start its timeout; returned to the caller (or, for a
    released CALL, put in ``data_to_send()``)."""
    ENQUEUE = "enqueue"
    """Queue the CALL; ``send_call`` returns ``None``."""
    FINISH_CALL = "finish_call"
    """Report the call's outcome event; then release the oldest queued CALL."""
    NOTIFY = "notify"
    """Report an event; nothing is owed and nothing is sent."""
    DELIVER = "deliver"
    """Report ``CallReceived``; the host owes the answer."""
    DELIVER_CONCURRENT = "deliver_concurrent"
    """Report a ``CONCURRENT_CALL`` violation, then ``CallReceived``."""
    AUTO_REPLY = "auto_reply"
    """Report a violation and put the CALLERROR owed (if any) in ``data_to_send()``."""
    TRANSMIT_ANSWER = "transmit_answer"
    """Serialise the host's CALLRESULT or CALLERROR; returned to the caller."""


@attrs.frozen(kw_only=True)
class Transition:
    """One row of the transition table.

    Attributes:
        target: the channel's state after the input.
        effect: what the session does besides changing state.
    """

    target: State
    effect: Effect


@attrs.frozen(kw_only=True)
class SessionState:
    """The state of both channels of a session.

    Attributes:
        outbound: ``IDLE`` or ``AWAITING_RESPONSE``.
        inbound: ``IDLE`` or ``ANSWER_OWED``.
    """

    outbound: State
    inbound: State


_O, _I = Channel.OUTBOUND, Channel.INBOUND
_IDLE, _AWAIT, _OWED = State.IDLE, State.AWAITING_RESPONSE, State.ANSWER_OWED

TRANSITIONS: Final[Mapping[tuple[Channel, State, Input], Transition]] = {
    # Outbound: one CALL in flight, the rest queued (OCPP-J section 4.1.1).
    (_O, _IDLE, Input.SEND_CALL): Transition(target=_AWAIT, effect=Effect.TRANSMIT),
    (_O, _AWAIT, Input.SEND_CALL): Transition(target=_AWAIT, effect=Effect.ENQUEUE),
    (_O, _AWAIT, Input.RESPONSE): Transition(target=_IDLE, effect=Effect.FINISH_CALL),
    (_O, _AWAIT, Input.TIMEOUT): Transition(target=_IDLE, effect=Effect.FINISH_CALL),
    (_O, _IDLE, Input.STRAY_RESPONSE): Transition(target=_IDLE, effect=Effect.NOTIFY),
    (_O, _AWAIT, Input.STRAY_RESPONSE): Transition(target=_AWAIT, effect=Effect.NOTIFY),
    # Inbound: the answers we owe. CALLs that cross ours are allowed.
    (_I, _IDLE, Input.CALL_DELIVERED): Transition(target=_OWED, effect=Effect.DELIVER),
    (_I, _OWED, Input.CALL_DELIVERED): Transition(target=_OWED, effect=Effect.DELIVER_CONCURRENT),
    (_I, _IDLE, Input.CALL_REFUSED): Transition(target=_IDLE, effect=Effect.AUTO_REPLY),
    (_I, _OWED, Input.CALL_REFUSED): Transition(target=_OWED, effect=Effect.AUTO_REPLY),
    (_I, _OWED, Input.ANSWER_LAST): Transition(target=_IDLE, effect=Effect.TRANSMIT_ANSWER),
    (_I, _OWED, Input.ANSWER_ONE_OF_SEVERAL): Transition(
        target=_OWED, effect=Effect.TRANSMIT_ANSWER
    ),
    (_I, _IDLE, Input.NOTICE): Transition(target=_IDLE, effect=Effect.NOTIFY),
    (_I, _OWED, Input.NOTICE): Transition(target=_OWED, effect=Effect.NOTIFY),
}
"""Every legal (channel, state, input) triple and what it leads to."""

CHANNEL_STATES: Final[Mapping[Channel, tuple[State, ...]]] = {
    Channel.OUTBOUND: (State.IDLE, State.AWAITING_RESPONSE),
    Channel.INBOUND: (State.IDLE, State.ANSWER_OWED),
}
"""The states each channel can be in."""

CHANNEL_INPUTS: Final[Mapping[Channel, tuple[Input, ...]]] = {
    Channel.OUTBOUND: (Input.SEND_CALL, Input.RESPONSE, Input.TIMEOUT, Input.STRAY_RESPONSE),
    Channel.INBOUND: (
        Input.CALL_DELIVERED,
        Input.CALL_REFUSED,
        Input.ANSWER_LAST,
        Input.ANSWER_ONE_OF_SEVERAL,
        Input.NOTICE,
    ),
}
"""The inputs each channel takes."""


def transition(channel: Channel, state: State, event: Input) -> Transition:
    """Look up what ``event`` does to ``channel`` in ``state``.

    Raises:
        LocalProtocolError: the input cannot happen in that state (e.g. an
            answer when none is owed); nothing changes.
    """
    try:
        return TRANSITIONS[channel, state, event]
    except KeyError:
        raise _impossible(channel, state, event) from None


def _impossible(channel: Channel, state: State, event: Input) -> LocalProtocolError:
    return LocalProtocolError(
        f"{event.value} is not possible on the {channel.value} channel in state {state.value}"
    )


class Channels:
    """The states of both channels of one session; :meth:`fire` changes them.

    The session's only handle on its states: there is no setter, so every
    change is a row of :data:`TRANSITIONS`.
    """

    __slots__ = ("_states",)

    def __init__(self) -> None:
        self._states = {Channel.OUTBOUND: State.IDLE, Channel.INBOUND: State.IDLE}

    @property
    def outbound(self) -> State:
        """The state of the outbound channel."""
        return self._states[Channel.OUTBOUND]

    @property
    def inbound(self) -> State:
        """The state of the inbound channel."""
        return self._states[Channel.INBOUND]

    def snapshot(self) -> SessionState:
        """The states of both channels as a frozen value."""
        return SessionState(
            outbound=self._states[Channel.OUTBOUND], inbound=self._states[Channel.INBOUND]
        )

    def fire(self, channel: Channel, event: Input) -> Effect:
        """Apply ``event`` to ``channel``: enter the row's target state, return its effect.

        Raises:
            LocalProtocolError: the input cannot happen in the channel's state
                (e.g. an answer when none is owed); nothing changes.
        """
        states = self._states
        state = states[channel]
        try:
            row = TRANSITIONS[channel, state, event]
        except KeyError:
            raise _impossible(channel, state, event) from None
        states[channel] = row.target
        return row.effect


def render_mermaid() -> str:
    """Draw the transition table as a Mermaid state diagram (as in ``docs/rpc.md``)."""
    lines = ["stateDiagram-v2"]
    for channel in Channel:
        prefix = channel.value
        lines.append(f"    state {prefix} {{")
        lines.append(f"        [*] --> {prefix}_{State.IDLE.value}")
        for (ch, state, event), row in TRANSITIONS.items():
            if ch is channel:
                lines.append(
                    f"        {prefix}_{state.value} --> {prefix}_{row.target.value}"
                    f" : {event.value} / {row.effect.value}"
                )
        lines.append("    }")
    return "\n".join(lines) + "\n"


def render_table() -> str:
    """Render the transition table as a Markdown table (as in ``docs/rpc.md``)."""
    lines = [
        "| channel | state | input | next state | effect |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines.extend(
        f"| {ch.value} | {state.value} | {event.value} | {row.target.value} | {row.effect.value} |"
        for (ch, state, event), row in TRANSITIONS.items()
    )
    return "\n".join(lines) + "\n"
