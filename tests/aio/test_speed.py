"""The ``speed`` extra: frames parsed and written with ``orjson`` give the same results.

Differential tests, both ways: every text parses to the same frame (or fails
with the same error, rule and reply) with ``orjson`` on and off, and every
value is written to a text that reads back to the same value (or is refused
by both).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ocpp_core import _fastjson
from ocpp_core.errors import FrameError, LocalProtocolError
from ocpp_core.rpc import FrameLimits, parse_frame
from ocpp_core.rpc._frames import encode_json

pytestmark = pytest.mark.skipif(not _fastjson.AVAILABLE, reason="orjson is not installed")

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=8)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=16,
)


def frame_texts() -> st.SearchStrategy[str]:
    def build(kind: int, uid: str, body: Any, ascii_only: bool, spaced: bool) -> str:
        separators = (", ", ": ") if spaced else (",", ":")
        frame = [kind, uid, "Heartbeat", body] if kind in (2, 6) else [kind, uid, body]
        return json.dumps(frame, ensure_ascii=ascii_only, separators=separators)

    finite = st.recursive(
        scalars.filter(lambda v: not (isinstance(v, float) and not math.isfinite(v))),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
        ),
        max_leaves=12,
    )
    built = st.builds(
        build,
        st.sampled_from([2, 3, 4, 5, 6, 7]),
        st.text(max_size=40),
        st.dictionaries(st.text(max_size=4), finite, max_size=4),
        st.booleans(),
        st.booleans(),
    )
    mutated = st.tuples(
        built, st.integers(0, 200), st.sampled_from(['"', ",", "]", "{", "1e999", '"a":1,'])
    ).map(lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :])
    return built | mutated | st.text(max_size=60)


def outcome(text: str, version: str, limits: FrameLimits) -> tuple[Any, ...]:
    try:
        return ("frame", repr(parse_frame(text, version, limits=limits)))
    except FrameError as error:
        return ("error", error.rule, error.code, error.reply, error.unique_id, str(error))


@given(text=frame_texts(), version=st.sampled_from(["1.6", "2.0.1", "2.1"]), dup=st.booleans())
@example(text='[2,"a","Heartbeat",{"k":1,"k":2}]', version="2.0.1", dup=False)
@example(text='[2,"a","Heartbeat",{"k":1,"k":2}]', version="2.0.1", dup=True)
@example(text='[2,"a","Heartbeat",{"k\\"":1,"k\\"":{"x":"\\":"}}]', version="2.0.1", dup=False)
@example(text='[2,"a","Heartbeat",{"k" :1,"k":2}]', version="2.0.1", dup=False)
@example(text='[2,"a","Heartbeat",{"k":1,"k":"\\u0022:"}]', version="2.0.1", dup=False)
@example(text='[2,"a","Heartbeat",{"k":"x\\":y","j":1}]', version="2.0.1", dup=False)
@example(text='[2, "a", "Heartbeat", {"k": 1, "k" : 2}]', version="1.6", dup=False)
@example(text='[2,"a","Heartbeat",{"n":123456789012345678901234567890}]', version="1.6", dup=False)
@example(text='[2,"a","Heartbeat",{"n":1e999}]', version="1.6", dup=False)
@example(text='[2,"a","Heartbeat",{"n":NaN}]', version="1.6", dup=False)
@example(text='[2,"a","Heartbeat",{"s":"\\ud800"}]', version="2.1", dup=False)
@example(text="[" * 40 + "]" * 40, version="2.1", dup=False)
@example(text=" 123456789012345678901234567890", version="2.1", dup=False)
@example(text='[2,"a","Heartbeat",{"n":[ -123456789012345678901]}]', version="1.6", dup=False)
def test_parsing_is_the_same_with_and_without_orjson(text: str, version: str, dup: bool) -> None:
    limits = FrameLimits(allow_duplicate_keys=dup)
    with _fastjson.use(False):
        plain = outcome(text, version, limits)
    with _fastjson.use(True):
        fast = outcome(text, version, limits)
    assert fast == plain


def written(value: Any) -> tuple[str, Any]:
    try:
        text = encode_json(value)
    except LocalProtocolError:
        return ("refused", None)
    return ("written", repr(json.loads(text)))


@given(value=values)
@example(value=[float("nan")])
@example(value={"x": float("inf")})
@example(value=[2**64])
@example(value={"when": datetime(2026, 1, 1, tzinfo=UTC)})
@example(value={1: "int key"})
@example(value=("a", 1e-5, 1e16))
@example(value=["\ud800"])
@example(value={"null": None})
def test_writing_reads_back_the_same_with_and_without_orjson(value: Any) -> None:
    with _fastjson.use(False):
        plain = written(value)
    with _fastjson.use(True):
        fast = written(value)
    assert fast == plain


def test_the_switch() -> None:
    with _fastjson.use(False):
        assert not _fastjson.enabled
        with _fastjson.use(True):
            assert _fastjson.enabled
        assert not _fastjson.enabled
    assert _fastjson.loads('{"a":1,"a":2}', strict=True) is _fastjson.MISS
    assert _fastjson.loads('{"a":1,"a":2}', strict=False) == {"a": 2}
    assert _fastjson.dumps({"a": None}) is None
    assert _fastjson.dumps({"a": [1, "é"]}) == '{"a":[1,"é"]}'
