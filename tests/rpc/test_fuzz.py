"""Arbitrary text and arbitrary JSON into ``parse_frame`` and ``Session.receive``.

The promise: nothing but ``FrameError`` escapes ``parse_frame``, and
``Session.receive`` raises nothing at all for any text; an answer (types 3, 4,
5, and 6 in 2.1) is never answered; every reply is a well-formed CALLERROR
with a non-empty id and a bounded size.
"""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocpp_core import actions, v16, v21, v201
from ocpp_core.errors import FrameError
from ocpp_core.rpc import Session, parse_frame

VERSIONS = st.sampled_from(["1.6", "2.0", "2.0.1", "2.1"])
ROLES = st.sampled_from(["ChargingStation", "CSMS"])
ALL_ACTIONS = sorted({name for v in ("1.6", "2.0", "2.0.1", "2.1") for name in actions(v)})

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=25,
)
ids = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["1", "2", "-1", "", "x" * 36, "x" * 37]),
    json_values,
)
frame_like = st.lists(
    st.one_of(
        st.sampled_from([2, 3, 4, 5, 6, 0, 1, 7, -1, 2.0, "2", True, None]),
        json_values,
    ),
    min_size=0,
    max_size=1,
).flatmap(
    lambda head: st.tuples(
        st.just(head),
        ids,
        st.one_of(st.sampled_from(ALL_ACTIONS), st.sampled_from(["heartbeat", ""]), json_values),
        st.one_of(st.dictionaries(st.text(max_size=12), json_values, max_size=5), json_values),
        st.one_of(st.dictionaries(st.text(max_size=8), json_values, max_size=3), json_values),
        st.integers(min_value=0, max_value=5),
    ).map(lambda t: [*t[0], t[1], t[2], t[3], t[4]][: len(t[0]) + t[5]])
)


def text_of(value: object) -> str:
    return json.dumps(value, allow_nan=False)


def check_receive(version: str, role: str, text: str | bytes, in_flight: bool) -> None:
    session = Session(version, role)
    if in_flight:
        # Put one CALL of ours in flight with id "1" so that answers can match.
        message = {
            "1.6": v16.HeartbeatRequest(),
            "2.0.1": v201.HeartbeatRequest(),
            "2.1": v21.HeartbeatRequest(),
        }.get(version)
        if message is not None and role == "ChargingStation":
            session.send_call(message, 0.0)
    events = session.receive(text, 1.0)
    assert isinstance(events, list)
    sent = session.data_to_send()
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        value = None
    head = value[0] if isinstance(value, list) and value else None
    if type(head) is int and (head in (3, 4, 5) or (head == 6 and version == "2.1")):
        # Answers and 2.1 SENDs are never answered with a CALLERROR ...
        assert all(json.loads(t)[0] != 4 for t in sent), (text, sent)
    for reply in sent:
        parsed = json.loads(reply)
        assert parsed[0] in (2, 4, 5)
        assert isinstance(parsed[1], str)
        assert 0 < len(parsed[1]) <= 36
        assert len(reply) < 1200


@given(VERSIONS, st.text(max_size=200))
def test_parse_frame_arbitrary_text(version: str, text: str) -> None:
    with contextlib.suppress(FrameError):
        parse_frame(text, version)


@given(VERSIONS, st.binary(max_size=200))
def test_parse_frame_arbitrary_bytes(version: str, data: bytes) -> None:
    with contextlib.suppress(FrameError):
        parse_frame(data, version)


@given(VERSIONS, json_values)
def test_parse_frame_arbitrary_json(version: str, value: object) -> None:
    error: FrameError | None = None
    try:
        parse_frame(text_of(value), version)
    except FrameError as exc:
        error = exc
    if error is not None:
        assert (error.reply is None) == (error.code is None)


@given(VERSIONS, ROLES, st.text(max_size=200), st.booleans())
def test_session_arbitrary_text(version: str, role: str, text: str, in_flight: bool) -> None:
    check_receive(version, role, text, in_flight)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(VERSIONS, ROLES, frame_like, st.booleans())
def test_session_never_answers_answers(
    version: str, role: str, frame: list[object], in_flight: bool
) -> None:
    check_receive(version, role, text_of(frame), in_flight)


@given(VERSIONS, ROLES, json_values)
def test_session_arbitrary_json(version: str, role: str, value: object) -> None:
    check_receive(version, role, text_of(value), False)


def test_replies_are_bounded() -> None:
    big = "\U0001f50b" * 50_000
    texts = [
        f'[2,"{big}","Heartbeat",{{}}]',
        f'[2,"a","{big}",{{}}]',
        f'[2,"a","BootNotification",{{"{big}":1}}]',
        f'[2,"a","Heartbeat",{{"x":"{big}"}}',
        f'[2,"a","Authorize",{{"idTag":"{big}"}}]',
        f"[{big}]",
        big,
    ]
    for version in ("1.6", "2.0.1", "2.1"):
        for text in texts:
            session = Session(version, "CSMS")
            for event in session.receive(text, 0.0):
                assert len(getattr(event, "description", "")) <= 255
            for reply in session.data_to_send():
                assert len(reply) < 700, (version, text[:40], reply[:100])
