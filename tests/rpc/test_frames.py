"""Framing: literal texts beside the frames or errors they give."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpp_core.errors import ErrorCode, FrameError, FrameRule, LocalProtocolError, frame_error_code
from ocpp_core.rpc import (
    Call,
    CallError,
    CallResult,
    CallResultError,
    FrameLimits,
    MessageType,
    Send,
    message_types_for,
    parse_frame,
    serialize_frame,
)

VERSIONS = ["1.6", "2.0", "2.0.1", "2.1"]


def error_of(text: str | bytes, version: str, **kwargs: object) -> FrameError:
    with pytest.raises(FrameError) as info:
        parse_frame(text, version, **kwargs)  # type: ignore[arg-type]
    return info.value


# --- well-formed frames ------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_the_three_classic_frames(version: str) -> None:
    assert parse_frame('[2,"19223201","BootNotification",{"a":1}]', version) == Call(
        unique_id="19223201", action="BootNotification", payload={"a": 1}
    )
    assert parse_frame('[3,"19223201",{"status":"Accepted"}]', version) == CallResult(
        unique_id="19223201", payload={"status": "Accepted"}
    )
    assert parse_frame(
        '[4,"162376037","NotSupported","SetDisplayMessageRequest not implemented",{}]', version
    ) == CallError(
        unique_id="162376037",
        error_code="NotSupported",
        error_description="SetDisplayMessageRequest not implemented",
        error_details={},
    )


def test_the_two_frames_of_21() -> None:
    assert parse_frame('[5,"x1","FormatViolation","bad",{"path":"$"}]', "2.1") == CallResultError(
        unique_id="x1",
        error_code="FormatViolation",
        error_description="bad",
        error_details={"path": "$"},
    )
    assert parse_frame('[6,"x2","NotifyPeriodicEventStream",{}]', "2.1") == Send(
        unique_id="x2", action="NotifyPeriodicEventStream", payload={}
    )


def test_message_types_per_version() -> None:
    assert message_types_for("1.6") == {2, 3, 4}
    assert message_types_for("2.0.1") == {2, 3, 4}
    assert message_types_for("2.1") == set(MessageType)


def test_whitespace_and_unicode_are_fine() -> None:
    text = ' \n[ 2 , "ü-1" , "DataTransfer" , {"vendorId":"\u00e9\U0001f50b"} ]\n'
    assert parse_frame(text, "1.6") == Call(
        unique_id="ü-1", action="DataTransfer", payload={"vendorId": "é🔋"}
    )


def test_bytes_and_bom() -> None:
    frame = Call(unique_id="1", action="Heartbeat", payload={})
    assert parse_frame(b'[2,"1","Heartbeat",{}]', "2.0.1") == frame
    assert parse_frame(bytearray(b'[2,"1","Heartbeat",{}]'), "2.0.1") == frame
    assert parse_frame('\ufeff[2,"1","Heartbeat",{}]', "2.0.1") == frame
    assert parse_frame(b'\xef\xbb\xbf[2,"1","Heartbeat",{}]', "2.0.1") == frame
    error = error_of(b'[2,"1","Heartbeat",{"a":"\xff"}]', "2.0.1")
    assert (error.rule, error.code, error.unique_id) == (
        FrameRule.NOT_JSON,
        ErrorCode.RPC_FRAMEWORK_ERROR,
        "1",
    )
    with pytest.raises(LocalProtocolError):
        parse_frame(12, "2.0.1")  # type: ignore[arg-type]


# --- failures, each with its rule, code, id and reply ----------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("nope", FrameRule.NOT_JSON),
        ('[2,"a1","Heartbeat",{}', FrameRule.NOT_JSON),
        ('[2,"a1","Heartbeat",{}] x', FrameRule.NOT_JSON),
        ('[2,"a1","Heartbeat",{"v":NaN}]', FrameRule.NOT_JSON),
        ('[2,"a1","Heartbeat",{"v":Infinity}]', FrameRule.NOT_JSON),
        ('[2,"a1","Heartbeat",{"v":-Infinity}]', FrameRule.NOT_JSON),
        ('[2,"a1","Heartbeat",{"v":1e999}]', FrameRule.NOT_JSON),
        ('[2,"a1","Heartbeat",{"v":' + "9" * 5000 + "}]", FrameRule.NOT_JSON),
        ("", FrameRule.NOT_JSON),
    ],
)
def test_not_json_variants(text: str, rule: FrameRule) -> None:
    error = error_of(text, "2.0.1")
    assert error.rule is rule
    assert error.code is ErrorCode.RPC_FRAMEWORK_ERROR
    # The id is recovered from the intact start of a broken CALL.
    expected_id = "a1" if text.startswith("[2") else None
    assert error.unique_id == expected_id
    assert error.reply is not None
    assert json.loads(error.reply)[:3] == [4, expected_id or "-1", "RpcFrameworkError"]
    assert len(error.reply) < 400


def test_duplicate_keys() -> None:
    text = '[2,"a1","Heartbeat",{"x":{"k":1,"k":2}}]'
    error = error_of(text, "1.6")
    assert (error.rule, error.code, error.unique_id) == (
        FrameRule.DUPLICATE_KEY,
        ErrorCode.FORMATION_VIOLATION,
        "a1",
    )
    assert json.loads(error.reply or "")[:3] == [4, "a1", "FormationViolation"]
    assert error_of(text, "2.0.1").code is ErrorCode.FORMAT_VIOLATION
    # A duplicate in an answer is never answered.
    assert error_of('[3,"a1",{"k":1,"k":2}]', "2.0.1").reply is None
    # Allowed on request: the last value wins, as in Python's json.
    lenient = FrameLimits(allow_duplicate_keys=True)
    assert parse_frame(text, "1.6", limits=lenient) == Call(
        unique_id="a1", action="Heartbeat", payload={"x": {"k": 2}}
    )


def test_element_counts() -> None:
    for text, message_type in [
        ('[2,"a1","Heartbeat",{},{}]', 2),
        ('[3,"a1",{},{}]', 3),  # the fuzzer's [3, id, action-ish, payload]
        ('[3,"a1","Heartbeat",{}]', 3),
        ('[4,"a1","GenericError","",{},{}]', 4),
        ('[4,"a1","GenericError",""]', 4),
    ]:
        error = error_of(text, "2.0.1")
        assert (error.rule, error.message_type, error.unique_id) == (
            FrameRule.BAD_LENGTH,
            message_type,
            "a1",
        )
        assert (error.code is None) == (message_type != 2)


def test_callerror_fields() -> None:
    cases = [
        ('[4,"a1",5,"",{}]', FrameRule.BAD_ERROR_CODE),
        ('[4,"a1","","",{}]', FrameRule.BAD_ERROR_CODE),
        ('[4,"a1","GenericError",null,{}]', FrameRule.BAD_ERROR_DESCRIPTION),
        ('[4,"a1","GenericError","",[]]', FrameRule.BAD_ERROR_DETAILS),
        ('[4,"a1","GenericError","",null]', FrameRule.BAD_ERROR_DETAILS),
        ('[5,"a1","GenericError","","x"]', FrameRule.BAD_ERROR_DETAILS),
    ]
    for text, rule in cases:
        error = error_of(text, "2.1")
        assert (error.rule, error.code, error.reply, error.unique_id) == (rule, None, None, "a1")
    # A code the version lacks is kept: the session reports it.
    assert parse_frame('[4,"a1","FormationViolation","",{}]', "2.0.1") == CallError(
        unique_id="a1", error_code="FormationViolation", error_description="", error_details={}
    )


def test_id_length_limit() -> None:
    ok = "x" * 36
    assert parse_frame(f'[2,"{ok}","Heartbeat",{{}}]', "2.0.1").unique_id == ok
    error = error_of(f'[2,"{ok}y","Heartbeat",{{}}]', "2.0.1")
    assert (error.rule, error.code, error.unique_id) == (
        FrameRule.BAD_MESSAGE_ID,
        ErrorCode.RPC_FRAMEWORK_ERROR,
        None,
    )
    assert json.loads(error.reply or "")[1] == "-1"
    # 1.6 has no placeholder id: nothing is owed when the id cannot be used.
    assert error_of(f'[2,"{ok}y","Heartbeat",{{}}]', "1.6").reply is None


def test_size_limit() -> None:
    limits = FrameLimits(max_chars=64)
    text = '[2,"a1","DataTransfer",{"vendorId":"' + "v" * 100 + '"}]'
    error = error_of(text, "2.0.1", limits=limits)
    assert (error.rule, error.unique_id) == (FrameRule.TOO_LARGE, "a1")
    assert json.loads(error.reply or "")[:3] == [4, "a1", "RpcFrameworkError"]
    assert error_of(text.encode(), "2.0.1", limits=limits).rule is FrameRule.TOO_LARGE
    # A huge frame is refused before any parsing, and not echoed.
    huge = '[2,"a1","BootNotification",{"chargePointVendor":"' + "x" * 2_000_000 + '"}]'
    error = error_of(huge, "1.6")
    assert error.rule is FrameRule.TOO_LARGE
    assert len(error.reply or "") < 200
    with pytest.raises(ValueError, match="max_chars"):
        FrameLimits(max_chars=1)


def test_nesting_limit() -> None:
    nested = '[2,"a1","DataTransfer",{"vendorId":"v","data":' + "[" * 40 + "]" * 40 + "}]"
    error = error_of(nested, "2.0.1")
    assert (error.rule, error.code) == (FrameRule.TOO_DEEP, ErrorCode.RPC_FRAMEWORK_ERROR)
    assert parse_frame(nested, "2.0.1", limits=FrameLimits(max_depth=64)).unique_id == "a1"
    # Brackets inside strings do not count.
    text = '[2,"a1","DataTransfer",{"vendorId":"' + "[{" * 40 + '"}]'
    assert parse_frame(text, "2.0.1").action == "DataTransfer"
    # Beyond the JSON parser's own recursion limit: still a FrameError.
    error = error_of("[" * 100_000 + "]" * 100_000, "2.0.1")
    assert error.rule is FrameRule.TOO_DEEP


@pytest.mark.parametrize(
    ("text", "rule", "message_type"),
    [
        ('{"a":1}', FrameRule.NOT_AN_ARRAY, None),
        ("[]", FrameRule.BAD_MESSAGE_TYPE, None),
        ('["2","a1","Heartbeat",{}]', FrameRule.BAD_MESSAGE_TYPE, None),
        ('[true,"a1","Heartbeat",{}]', FrameRule.BAD_MESSAGE_TYPE, None),
        ('[7,"a1","Heartbeat",{}]', FrameRule.UNSUPPORTED_MESSAGE_TYPE, 7),
        ('[2,"a1",["Heartbeat"],{}]', FrameRule.BAD_ACTION, 2),
        ('[2,"a1","Heartbeat","{}"]', FrameRule.PAYLOAD_NOT_AN_OBJECT, 2),
        ('[3,"a1",[]]', FrameRule.PAYLOAD_NOT_AN_OBJECT, 3),
        ('[6,"a1","NotifyPeriodicEventStream",[]]', FrameRule.PAYLOAD_NOT_AN_OBJECT, 6),
        ('[6,"a1",1,{}]', FrameRule.BAD_ACTION, 6),
    ],
)
def test_rules(text: str, rule: FrameRule, message_type: int | None) -> None:
    error = error_of(text, "2.1")
    assert (error.rule, error.message_type) == (rule, message_type)
    assert str(error).endswith(f"({rule.value})")


# --- the per-version code table -------------------------------------------------------


def test_frame_error_code_table() -> None:
    rpc, mtns = ErrorCode.RPC_FRAMEWORK_ERROR, ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED
    framing = [
        FrameRule.TOO_LARGE,
        FrameRule.NOT_JSON,
        FrameRule.TOO_DEEP,
        FrameRule.NOT_AN_ARRAY,
        FrameRule.BAD_MESSAGE_TYPE,
        FrameRule.BAD_MESSAGE_ID,
        FrameRule.BAD_LENGTH,
        FrameRule.BAD_ACTION,
    ]
    for rule in framing:
        for message_type in (None, 2):
            assert frame_error_code("1.6", rule, message_type=message_type) is None
            assert (
                frame_error_code("1.6", rule, message_type=message_type, id_known=True)
                is ErrorCode.PROTOCOL_ERROR
            )
            for version in ("2.0", "2.0.1", "2.1"):
                assert frame_error_code(version, rule, message_type=message_type) is rpc
    for rule in (FrameRule.PAYLOAD_NOT_AN_OBJECT, FrameRule.DUPLICATE_KEY):
        assert (
            frame_error_code("1.6", rule, message_type=2, id_known=True)
            is ErrorCode.FORMATION_VIOLATION
        )
        assert (
            frame_error_code("2.0.1", rule, message_type=2, id_known=True)
            is ErrorCode.FORMAT_VIOLATION
        )
        assert frame_error_code("2.0.1", rule) is rpc
        assert frame_error_code("1.6", rule) is None
    unsupported = FrameRule.UNSUPPORTED_MESSAGE_TYPE
    assert frame_error_code("1.6", unsupported, message_type=7, id_known=True) is None
    assert frame_error_code("2.0.1", unsupported, message_type=7) is mtns
    assert frame_error_code("2.0.1", unsupported, message_type=6, id_known=True) is mtns
    assert frame_error_code("2.0.1", unsupported, message_type=5, id_known=True) is None
    # Answers (and 2.1 SEND) are never answered, whatever the rule.
    for rule in FrameRule:
        for message_type in (3, 4, 5):
            for version in VERSIONS:
                assert frame_error_code(version, rule, message_type=message_type) is None
        assert frame_error_code("2.1", rule, message_type=6, id_known=True) is None
    for rule in (
        FrameRule.BAD_ERROR_CODE,
        FrameRule.BAD_ERROR_DESCRIPTION,
        FrameRule.BAD_ERROR_DETAILS,
    ):
        assert frame_error_code("2.0.1", rule, message_type=2, id_known=True) is None


# --- serialising ----------------------------------------------------------------------

ids = st.text(min_size=1, max_size=36)
json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
objects = st.dictionaries(st.text(max_size=8), json_values, max_size=5)
frames = st.one_of(
    st.builds(Call, unique_id=ids, action=st.text(min_size=1, max_size=30), payload=objects),
    st.builds(CallResult, unique_id=ids, payload=objects),
    st.builds(
        CallError,
        unique_id=ids,
        error_code=st.sampled_from(list(ErrorCode)),
        error_description=st.text(max_size=50),
        error_details=objects,
    ),
    st.builds(
        CallResultError,
        unique_id=ids,
        error_code=st.sampled_from(list(ErrorCode)),
        error_description=st.text(max_size=50),
        error_details=objects,
    ),
    st.builds(Send, unique_id=ids, action=st.text(min_size=1, max_size=30), payload=objects),
)


@given(frames)
def test_serialize_then_parse_is_identity(frame: Call) -> None:
    assert parse_frame(serialize_frame(frame), "2.1") == frame


def test_serialize_literal() -> None:
    assert (
        serialize_frame(Call(unique_id="1", action="Heartbeat", payload={}))
        == '[2,"1","Heartbeat",{}]'
    )
    assert (
        serialize_frame(CallError(unique_id="-1", error_code="RpcFrameworkError"))
        == '[4,"-1","RpcFrameworkError","",{}]'
    )
    assert (
        serialize_frame(Send(unique_id="s", action="A", payload={"é": 1})) == '[6,"s","A",{"é":1}]'
    )


@pytest.mark.parametrize(
    "frame",
    [
        Call(unique_id="", action="Heartbeat", payload={}),
        Call(unique_id="x" * 37, action="Heartbeat", payload={}),
        Call(unique_id="1", action="", payload={}),
        Call(unique_id="1", action="Heartbeat", payload={"v": float("nan")}),
        Call(unique_id="1", action="Heartbeat", payload={"v": object()}),
        Call(unique_id="1", action="Heartbeat", payload=[]),  # type: ignore[arg-type]
        CallResult(unique_id="1", payload=None),  # type: ignore[arg-type]
        CallError(unique_id="1", error_code=""),
        CallError(unique_id="1", error_code="GenericError", error_description=None),  # type: ignore[arg-type]
        CallError(unique_id="1", error_code="GenericError", error_details=[]),  # type: ignore[arg-type]
    ],
)
def test_serialize_refuses_what_may_not_be_sent(frame: Call) -> None:
    with pytest.raises(LocalProtocolError):
        serialize_frame(frame)


def test_frames_are_frozen_and_keyword_only() -> None:
    call = Call(unique_id="1", action="Heartbeat", payload={})
    with pytest.raises(AttributeError):
        call.unique_id = "2"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Call("1", "Heartbeat", {})  # type: ignore[misc]


def test_limits_on_bytes_and_scalars() -> None:
    limits = FrameLimits(max_chars=64, max_depth=4)
    error = error_of(b'[2,"a1","Heartbeat",{}]' + b" " * 300, "2.0.1", limits=limits)
    assert (error.rule, error.unique_id) == (FrameRule.TOO_LARGE, "a1")
    # A JSON string full of brackets is one scalar: not deep, but not an array.
    assert error_of('"' + "[" * 40 + '"', "2.0.1", limits=limits).rule is FrameRule.NOT_AN_ARRAY
