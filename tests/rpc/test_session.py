"""The session: literal frames in, literal events and frames out."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ocpp_core import (
    DecodeOptions,
    ErrorCode,
    PayloadError,
    PayloadRule,
    payload_error_code,
    v16,
    v21,
    v201,
)
from ocpp_core.errors import FrameError, FrameRule, LocalProtocolError
from ocpp_core.rpc import (
    Call,
    CallError,
    CallErrorReceived,
    CallReceived,
    CallResult,
    CallResultError,
    CallResultErrorReceived,
    CallResultReceived,
    CallTimedOut,
    InvalidResponseReceived,
    ProtocolViolation,
    Send,
    SendReceived,
    Session,
    SessionState,
    State,
    Violation,
)
from tests.rpc._pair import CS, CSMS, SessionPair

T0 = datetime(2026, 1, 1, tzinfo=UTC)
BOOT_201 = v201.BootNotificationRequest(
    charging_station=v201.ChargingStation(model="SingleSocketCharger", vendor_name="VendorX"),
    reason=v201.BootReasonEnum.POWER_UP,
)
BOOT_201_TEXT = (
    '[2,"1","BootNotification",{"chargingStation":{"model":"SingleSocketCharger",'
    '"vendorName":"VendorX"},"reason":"PowerUp"}]'
)


def violation(events: list[object]) -> ProtocolViolation:
    [event] = events
    assert isinstance(event, ProtocolViolation)
    return event


# --- conversations ---------------------------------------------------------------------


def test_boot_conversation_201() -> None:
    cs = Session("2.0.1", "ChargingStation")
    csms = Session("2.0.1", "CSMS")

    assert cs.send_call(BOOT_201, now=0.0) == BOOT_201_TEXT
    assert cs.state == SessionState(outbound=State.AWAITING_RESPONSE, inbound=State.IDLE)
    assert cs.next_deadline() == 30.0

    [received] = csms.receive(BOOT_201_TEXT, now=0.1)
    assert received == CallReceived(
        call=Call(
            unique_id="1",
            action="BootNotification",
            payload={
                "chargingStation": {"model": "SingleSocketCharger", "vendorName": "VendorX"},
                "reason": "PowerUp",
            },
        ),
        request=BOOT_201,
    )
    assert csms.owed == (received.call,)
    response = v201.BootNotificationResponse(
        current_time=T0, interval=300, status=v201.RegistrationStatusEnum.ACCEPTED
    )
    answer = csms.send_result(received, response)
    assert (
        answer
        == '[3,"1",{"currentTime":"2026-01-01T00:00:00Z","interval":300,"status":"Accepted"}]'
    )
    assert csms.state == SessionState(outbound=State.IDLE, inbound=State.IDLE)

    [outcome] = cs.receive(answer, now=0.2)
    assert isinstance(outcome, CallResultReceived)
    assert outcome.response == response
    assert outcome.request is BOOT_201
    assert outcome.result == CallResult(
        unique_id="1",
        payload={"currentTime": "2026-01-01T00:00:00Z", "interval": 300, "status": "Accepted"},
    )
    assert cs.next_deadline() is None
    assert cs.data_to_send() == []
    assert csms.data_to_send() == []


def test_heartbeat_16_with_fixed_ids() -> None:
    ids = iter(["hb-1", "hb-2"])
    cp = Session("1.6", "ChargingStation", new_id=lambda: next(ids), call_timeout=10)
    assert cp.send_call(v16.HeartbeatRequest(), 100.0) == '[2,"hb-1","Heartbeat",{}]'
    [event] = cp.receive('[3,"hb-1",{"currentTime":"2026-01-01T00:00:00.000Z"}]', 101.0)
    assert isinstance(event, CallResultReceived)
    assert event.response == v16.HeartbeatResponse(current_time=T0)
    assert cp.send_call(v16.HeartbeatRequest(), 102.0) == '[2,"hb-2","Heartbeat",{}]'
    assert cp.next_deadline() == 112.0


def test_callerror_answer() -> None:
    csms = Session("2.0.1", "CSMS")
    text = csms.send_call(v201.ClearCacheRequest(), 0.0)
    assert text == '[2,"1","ClearCache",{}]'
    [event] = csms.receive('[4,"1","NotSupported","ClearCache not implemented",{}]', 1.0)
    assert event == CallErrorReceived(
        call=Call(unique_id="1", action="ClearCache", payload={}),
        request=v201.ClearCacheRequest(),
        error=CallError(
            unique_id="1",
            error_code="NotSupported",
            error_description="ClearCache not implemented",
            error_details={},
        ),
        code=ErrorCode.NOT_SUPPORTED,
    )


def test_callerror_with_unknown_code() -> None:
    csms = Session("2.0.1", "CSMS")
    csms.send_call(v201.ClearCacheRequest(), 0.0)
    first, second = csms.receive('[4,"1","NoSuchCode","",{}]', 1.0)
    assert isinstance(first, ProtocolViolation)
    assert first.kind is Violation.UNKNOWN_ERROR_CODE
    assert first.description == "error code 'NoSuchCode' is not defined in OCPP 2.0.1"
    assert isinstance(second, CallErrorReceived)
    assert second.code is None
    assert second.error.error_code == "NoSuchCode"
    assert csms.data_to_send() == []


def test_answering_with_a_callerror() -> None:
    cs = Session("1.6", "ChargingStation")
    [event] = cs.receive('[2,"c1","ClearCache",{}]', 0.0)
    assert isinstance(event, CallReceived)
    assert cs.send_error(event, "InternalError", "cache locked", {"retry": 5}) == (
        '[4,"c1","InternalError","cache locked",{"retry":5}]'
    )
    assert cs.owed == ()
    with pytest.raises(LocalProtocolError, match="awaits an answer"):
        cs.send_error(event, "InternalError")


# --- one CALL in flight (K1, C6, C7, C8) ------------------------------------------------


def test_one_call_in_flight_queue() -> None:
    cs = Session("2.0.1", "ChargingStation", call_timeout=10)
    assert cs.send_call(v201.HeartbeatRequest(), 0.0) == '[2,"1","Heartbeat",{}]'
    assert cs.send_call(v201.HeartbeatRequest(), 1.0) is None
    assert cs.send_call(v201.HeartbeatRequest(), 2.0, timeout=3) is None
    assert [c.unique_id for c in cs.queued] == ["2", "3"]
    assert cs.next_deadline() == 10.0
    # The answer releases the next CALL; its timeout starts now.
    [event] = cs.receive('[3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]', 4.0)
    assert isinstance(event, CallResultReceived)
    assert cs.data_to_send() == ['[2,"2","Heartbeat",{}]']
    assert cs.next_deadline() == 14.0
    # A timeout releases the next one too, with its own timeout.
    assert cs.expire(13.9) == []
    [timeout] = cs.expire(14.0)
    assert timeout == CallTimedOut(
        call=Call(unique_id="2", action="Heartbeat", payload={}),
        request=v201.HeartbeatRequest(),
        deadline=14.0,
    )
    assert cs.data_to_send() == ['[2,"3","Heartbeat",{}]']
    assert cs.next_deadline() == 17.0
    assert cs.queued == ()


def test_crossing_calls() -> None:
    # 1.6 section 4.1.1: a CALL that crosses ours is handled, not refused.
    cs = Session("2.0.1", "ChargingStation")
    csms = Session("2.0.1", "CSMS")
    boot = cs.send_call(BOOT_201, 0.0)
    clear = csms.send_call(v201.ClearCacheRequest(), 0.0)
    assert boot
    assert clear
    [call_at_cs] = cs.receive(clear, 0.1)
    [call_at_csms] = csms.receive(boot, 0.1)
    assert isinstance(call_at_cs, CallReceived)
    assert isinstance(call_at_csms, CallReceived)
    assert cs.state == SessionState(outbound=State.AWAITING_RESPONSE, inbound=State.ANSWER_OWED)
    answer_cs = cs.send_result(
        call_at_cs, v201.ClearCacheResponse(status=v201.ClearCacheStatusEnum.ACCEPTED)
    )
    answer_csms = csms.send_result(
        call_at_csms,
        v201.BootNotificationResponse(
            current_time=T0, interval=60, status=v201.RegistrationStatusEnum.PENDING
        ),
    )
    [a] = csms.receive(answer_cs, 0.2)
    [b] = cs.receive(answer_csms, 0.2)
    assert isinstance(a, CallResultReceived)
    assert isinstance(b, CallResultReceived)
    assert cs.state == csms.state == SessionState(outbound=State.IDLE, inbound=State.IDLE)


def test_concurrent_call_from_the_peer_is_delivered_and_reported() -> None:
    csms = Session("1.6", "CSMS")
    [first] = csms.receive('[2,"a","Heartbeat",{}]', 0.0)
    second_events = csms.receive('[2,"b","Heartbeat",{}]', 0.0)
    assert [type(e) for e in second_events] == [ProtocolViolation, CallReceived]
    assert second_events[0].kind is Violation.CONCURRENT_CALL  # type: ignore[union-attr]
    response = v16.HeartbeatResponse(current_time=T0)
    assert csms.send_result(second_events[1].call, response).startswith('[3,"b"')  # type: ignore[union-attr]
    assert csms.state.inbound is State.ANSWER_OWED
    assert csms.send_result(first, response).startswith('[3,"a"')  # type: ignore[arg-type]
    assert csms.state.inbound is State.IDLE


def test_unknown_duplicate_late_responses() -> None:
    cs = Session("2.0.1", "ChargingStation", call_timeout=5)
    cs.send_call(v201.HeartbeatRequest(), 0.0)
    result = '[3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]'
    # Unsolicited: no call of ours has that id.
    assert violation(cs.receive('[3,"99",{}]', 1.0)).kind is Violation.UNKNOWN_RESPONSE
    [ok] = cs.receive(result, 1.0)
    assert isinstance(ok, CallResultReceived)
    duplicate = violation(cs.receive(result, 1.5))
    assert duplicate.kind is Violation.DUPLICATE_RESPONSE
    assert duplicate.description == (
        "CALLRESULT with id '1' answers a CALL that was already answered; dropped"
    )
    cs.send_call(v201.HeartbeatRequest(), 2.0)
    [timed_out] = cs.expire(7.0)
    assert isinstance(timed_out, CallTimedOut)
    late = violation(cs.receive('[4,"2","InternalError","",{}]', 8.0))
    assert late.kind is Violation.LATE_RESPONSE
    assert late.frame == CallError(unique_id="2", error_code="InternalError")
    # Never answered.
    assert cs.data_to_send() == []


def test_an_answer_after_the_deadline_is_late_even_before_expire() -> None:
    cs = Session("2.0.1", "ChargingStation", call_timeout=5)
    cs.send_call(v201.HeartbeatRequest(), 0.0)
    events = cs.receive('[3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]', 5.0)
    assert [type(e) for e in events] == [CallTimedOut, ProtocolViolation]
    assert events[1].kind is Violation.LATE_RESPONSE  # type: ignore[union-attr]


def test_stray_response_leaves_call_in_flight() -> None:
    # EVerest/EVerest#2230: an answer with another call's id must not end ours.
    cs = Session("2.0.1", "ChargingStation", call_timeout=30)
    cs.send_call(v201.HeartbeatRequest(), 0.0)
    violation(cs.receive('[3,"other",{"currentTime":"2026-01-01T00:00:00Z"}]', 10.0))
    assert cs.in_flight == Call(unique_id="1", action="Heartbeat", payload={})
    assert cs.next_deadline() == 30.0
    [timeout] = cs.expire(30.0)
    assert isinstance(timeout, CallTimedOut)


def test_retry_after_timeout_gets_new_id() -> None:
    cs = Session("2.0.1", "ChargingStation", call_timeout=1)
    assert cs.send_call(BOOT_201, 0.0) == BOOT_201_TEXT
    cs.expire(1.0)
    retry = cs.send_call(BOOT_201, 2.0)
    assert retry is not None
    assert json.loads(retry)[1] == "2"
    # An id may never be used twice by the same side.
    with pytest.raises(LocalProtocolError, match="already used"):
        cs.send_call(BOOT_201, 3.0, unique_id="1")


def test_response_to_response() -> None:
    # EVerest/libocpp#995: a peer answering our CALLRESULT with a CALLERROR.
    csms = Session("2.0.1", "CSMS")
    [event] = csms.receive('[2,"x","Heartbeat",{}]', 0.0)
    csms.send_result(event, v201.HeartbeatResponse(current_time=T0))  # type: ignore[arg-type]
    reported = violation(csms.receive('[4,"x","FormatViolation","",{}]', 1.0))
    assert reported.kind is Violation.RESPONSE_TO_RESPONSE
    assert csms.data_to_send() == []


def test_four_element_callresult_ends_pending_call() -> None:
    # What the fuzzer sends in "Response" mode; mobilityhouse/ocpp#436 hung on [4,"id"].
    cs = Session("2.0.1", "ChargingStation")
    cs.send_call(v201.HeartbeatRequest(), 0.0)
    [event] = cs.receive('[3,"1","Heartbeat",{"currentTime":"2026-01-01T00:00:00Z"}]', 1.0)
    assert isinstance(event, InvalidResponseReceived)
    assert isinstance(event.error, FrameError)
    assert event.error.rule is FrameRule.BAD_LENGTH
    assert event.reply is None
    assert cs.data_to_send() == []
    assert cs.in_flight is None
    cs.send_call(v201.HeartbeatRequest(), 2.0)
    [event] = cs.receive('[4,"2"]', 3.0)
    assert isinstance(event, InvalidResponseReceived)
    # An unsolicited broken answer is reported, never answered.
    reported = violation(cs.receive('[3,"zz",{},{}]', 4.0))
    assert reported.kind is Violation.MALFORMED_FRAME
    assert cs.data_to_send() == []


def test_invalid_result_payload_201_and_21() -> None:
    for version, reply in [
        ("2.0.1", None),
        (
            "2.1",
            '[5,"1","TypeConstraintViolation","$.currentTime: expected a date-time string, '
            'got 5",{"path":"$.currentTime","rule":"type"}]',
        ),
    ]:
        cs = Session(version, "ChargingStation")
        message = v201.HeartbeatRequest() if version == "2.0.1" else v21.HeartbeatRequest()
        cs.send_call(message, 0.0)
        [event] = cs.receive('[3,"1",{"currentTime":5}]', 1.0)
        assert isinstance(event, InvalidResponseReceived)
        assert isinstance(event.error, PayloadError)
        sent = cs.data_to_send()
        if reply is None:
            assert sent == []
            assert event.reply is None
        else:
            assert sent == [event.reply]
            parsed = json.loads(sent[0])
            assert parsed[:3] == [5, "1", "TypeConstraintViolation"]
            assert parsed[4] == {"path": "$.currentTime", "rule": "type"}


def test_broken_callresult_in_21_gets_a_callresulterror() -> None:
    cs = Session("2.1", "ChargingStation")
    cs.send_call(v21.HeartbeatRequest(), 0.0)
    [event] = cs.receive('[3,"1",[]]', 1.0)
    assert isinstance(event, InvalidResponseReceived)
    assert json.loads(cs.data_to_send()[0])[:3] == [5, "1", "FormatViolation"]
    cs.send_call(v21.HeartbeatRequest(), 2.0)
    cs.receive('[3,"2",{},"x"]', 3.0)
    assert json.loads(cs.data_to_send()[0])[:3] == [5, "2", "RpcFrameworkError"]


# --- the peer's CALLs: ids, actions, payloads (C3, C5, D*, E*) ---------------------------


def test_ids_are_exact_strings() -> None:
    csms = Session("2.0.1", "CSMS")
    [a] = csms.receive('[2,"abc","Heartbeat",{}]', 0.0)
    events = csms.receive('[2,"ABC","Heartbeat",{}]', 0.0)
    assert isinstance(events[-1], CallReceived)  # not a duplicate of "abc"
    [c] = csms.receive('[2,"\\u0007\u00e9\U0001f50b","Heartbeat",{}]', 0.0)[-1:]
    assert isinstance(c, CallReceived)
    answer = csms.send_result(c, v201.HeartbeatResponse(current_time=T0))
    assert json.loads(answer)[1] == "\u0007é🔋"
    assert isinstance(a, CallReceived)


def test_duplicate_call_id_while_owed() -> None:
    for version, code in [("1.6", "ProtocolError"), ("2.0.1", "RpcFrameworkError")]:
        csms = Session(version, "CSMS")
        [first] = csms.receive('[2,"dup","Heartbeat",{}]', 0.0)
        reported = violation(csms.receive('[2,"dup","Heartbeat",{}]', 0.1))
        assert reported.kind is Violation.DUPLICATE_CALL_ID
        assert reported.reply == (
            f'[4,"dup","{code}","message id \'dup\' is in use by a CALL still being handled",{{}}]'
        )
        assert csms.data_to_send() == [reported.reply]
        # The first stays owed and is answered normally.
        assert csms.owed == (first.call,)  # type: ignore[union-attr]


def test_duplicate_call_id_after_answer() -> None:
    csms = Session("2.0.1", "CSMS")
    [first] = csms.receive('[2,"dup","Heartbeat",{}]', 0.0)
    csms.send_result(first, v201.HeartbeatResponse(current_time=T0))  # type: ignore[arg-type]
    reported, delivered = csms.receive('[2,"dup","Heartbeat",{}]', 1.0)
    assert isinstance(reported, ProtocolViolation)
    assert reported.kind is Violation.DUPLICATE_CALL_ID
    assert reported.reply is None
    assert isinstance(delivered, CallReceived)


def test_long_action_is_unknown_and_clipped() -> None:
    csms = Session("2.0.1", "CSMS")
    action = "A" * 10_000
    reported = violation(csms.receive(f'[2,"a1","{action}",{{}}]', 0.0))
    assert reported.kind is Violation.UNKNOWN_ACTION
    reply = json.loads(reported.reply or "")
    assert reply[:2] == [4, "a1"]
    assert reply[2] == "NotImplemented"
    assert len(reported.reply or "") < 120


def test_wrong_direction_both_roles() -> None:
    cs = Session("2.0.1", "ChargingStation")
    reported = violation(cs.receive('[2,"w","BootNotification",{}]', 0.0))
    assert reported.kind is Violation.WRONG_DIRECTION
    assert reported.reply == '[4,"w","NotSupported","BootNotification is not sent by the CSMS",{}]'
    csms = Session("1.6", "CSMS")
    reported = violation(csms.receive('[2,"w","RemoteStartTransaction",{"idTag":"x"}]', 0.0))
    assert reported.reply == (
        '[4,"w","NotSupported","RemoteStartTransaction is not sent by the ChargingStation",{}]'
    )
    # Actions both sides send (2.x DataTransfer) are fine either way.
    for session in (Session("2.0.1", "CSMS"), Session("2.0.1", "ChargingStation")):
        [event] = session.receive('[2,"d","DataTransfer",{"vendorId":"v"}]', 0.0)
        assert isinstance(event, CallReceived)


def test_action_of_another_version() -> None:
    csms = Session("2.0.1", "CSMS")
    for action in ("StartTransaction", "NotifyDERAlarm"):  # 1.6 and 2.1 actions
        reported = violation(csms.receive(f'[2,"v","{action}",{{}}]', 0.0))
        assert reported.kind is Violation.UNSUPPORTED_ACTION
        assert reported.reply == (
            f'[4,"v","NotSupported","{action} is not an action of OCPP 2.0.1",{{}}]'
        )


def test_action_swap() -> None:
    # A valid Authorize payload sent as a StatusNotification.
    csms = Session("1.6", "CSMS")
    reported = violation(csms.receive('[2,"s","StatusNotification",{"idTag":"ABC"}]', 0.0))
    assert reported.kind is Violation.INVALID_PAYLOAD
    assert isinstance(reported.error, PayloadError)
    assert json.loads(reported.reply or "")[2] in {
        "FormationViolation",
        "OccurenceConstraintViolation",
    }


@pytest.mark.parametrize(
    ("version", "frame", "code", "path"),
    [
        # E3: required missing, top level and nested.
        ("2.0.1", '[2,"p","Authorize",{}]', "OccurrenceConstraintViolation", "$"),
        (
            "2.0.1",
            '[2,"p","Authorize",{"idToken":{"type":"ISO14443"}}]',
            "OccurrenceConstraintViolation",
            "$.idToken",
        ),
        ("1.6", '[2,"p","Authorize",{}]', "OccurenceConstraintViolation", "$"),
        # E4: unknown property, top level and nested; 2.x customData allows extras.
        ("1.6", '[2,"p","Authorize",{"idTag":"A","x":1}]', "FormationViolation", "$.x"),
        ("2.0.1", '[2,"p","Heartbeat",{"chargeBoxId":"A"}]', "ProtocolError", "$.chargeBoxId"),
        (
            "2.0.1",
            '[2,"p","Authorize",{"idToken":{"idToken":"A","type":"ISO14443","x":1}}]',
            "ProtocolError",
            "$.idToken.x",
        ),
        # E6: null for an optional field (strict by default).
        (
            "1.6",
            '[2,"p","BootNotification",{"chargePointVendor":"V","chargePointModel":"M","iccid":null}]',
            "TypeConstraintViolation",
            "$.iccid",
        ),
        # F: scalars (the decoder's rules; the session answers with the code).
        (
            "1.6",
            '[2,"p","StatusNotification",{"connectorId":"1","errorCode":"NoError","status":"Available"}]',
            "TypeConstraintViolation",
            "$.connectorId",
        ),
        (
            "1.6",
            '[2,"p","StatusNotification",{"connectorId":1.0,"errorCode":"NoError","status":"Available"}]',
            "TypeConstraintViolation",
            "$.connectorId",
        ),
        (
            "1.6",
            '[2,"p","StatusNotification",{"connectorId":true,"errorCode":"NoError","status":"Available"}]',
            "TypeConstraintViolation",
            "$.connectorId",
        ),
        (
            "1.6",
            '[2,"p","DataTransfer",{"vendorId":"v","data":{"a":1}}]',
            "TypeConstraintViolation",
            "$.data",
        ),
        (
            "1.6",
            '[2,"p","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"available"}]',
            "PropertyConstraintViolation",
            "$.status",
        ),
        (
            "1.6",
            '[2,"p","Authorize",{"idTag":"123456789012345678901"}]',
            "TypeConstraintViolation",
            "$.idTag",
        ),
    ],
)
def test_payload_error_replies(version: str, frame: str, code: str, path: str) -> None:
    csms = Session(version, "CSMS")
    reported = violation(csms.receive(frame, 0.0))
    assert reported.kind is Violation.INVALID_PAYLOAD
    reply = json.loads(reported.reply or "")
    assert reply[:3] == [4, "p", code]
    assert reply[4]["path"] == path
    assert reply[3].startswith(path + ": ")


def test_payload_accepted_cases() -> None:
    csms = Session("2.0.1", "CSMS")
    frame = '[2,"p","Heartbeat",{"customData":{"vendorId":"v","anything":[1,{"b":2}]}}]'
    [event] = csms.receive(frame, 0.0)
    assert isinstance(event, CallReceived)
    cp = Session("1.6", "CSMS")
    [event] = cp.receive(
        '[2,"q","StatusNotification",{"connectorId":0,"errorCode":"NoError","status":"Available"}]',
        0.0,
    )
    assert isinstance(event, CallReceived)


def test_decode_options_reach_the_decoder() -> None:
    frame = (
        '[2,"p","BootNotification",{"chargePointVendor":"V","chargePointModel":"M","iccid":null}]'
    )
    csms = Session("1.6", "CSMS", decode_options=DecodeOptions(null_as_absent=True))
    [event] = csms.receive(frame, 0.0)
    assert isinstance(event, CallReceived)
    assert event.request == v16.BootNotificationRequest(
        charge_point_vendor="V", charge_point_model="M"
    )


# --- 2.1: SEND and CALLRESULTERROR ---------------------------------------------------


def test_send_round_trip_21() -> None:
    cs = Session("2.1", "ChargingStation")
    csms = Session("2.1", "CSMS")
    message = v21.NotifyPeriodicEventStreamRequest(
        data=(v21.StreamDataElement(t=0.5, v="230.1"),), id=7, pending=0, basetime=T0
    )
    text = cs.send(message)
    assert text == (
        '[6,"1","NotifyPeriodicEventStream",{"data":[{"t":0.5,"v":"230.1"}],"id":7,'
        '"pending":0,"basetime":"2026-01-01T00:00:00Z"}]'
    )
    assert cs.state == SessionState(outbound=State.IDLE, inbound=State.IDLE)
    [event] = csms.receive(text, 0.0)
    assert isinstance(event, SendReceived)
    assert event.message == message
    assert event.send == Send(
        unique_id="1",
        action="NotifyPeriodicEventStream",
        payload=json.loads(text)[3],
    )
    assert csms.data_to_send() == []
    # An answer to a SEND is stray.
    assert violation(cs.receive('[3,"1",{}]', 1.0)).kind is Violation.UNKNOWN_RESPONSE


def test_send_with_unknown_action_is_not_answered() -> None:
    csms = Session("2.1", "CSMS")
    for frame in [
        '[6,"s1","TotallyUnknownAction",{}]',
        '[6,"s2","Heartbeat",{}]',  # a CALL action
        '[6,"s3","NotifyPeriodicEventStream",{}]',  # invalid payload
    ]:
        reported = violation(csms.receive(frame, 0.0))
        assert reported.kind is Violation.INVALID_SEND
        assert reported.reply is None
    assert csms.data_to_send() == []
    cs = Session("2.1", "ChargingStation")
    payload = '{"data":[],"id":1,"pending":0,"basetime":"2026-01-01T00:00:00Z"}'
    reported = violation(cs.receive(f'[6,"s4","NotifyPeriodicEventStream",{payload}]', 0.0))
    assert reported.description == "NotifyPeriodicEventStream is not sent by the CSMS"


def test_callresulterror_for_our_result() -> None:
    csms = Session("2.1", "CSMS")
    [event] = csms.receive('[2,"h","Heartbeat",{}]', 0.0)
    csms.send_result(event, v21.HeartbeatResponse(current_time=T0))  # type: ignore[arg-type]
    [complaint] = csms.receive('[5,"h","FormatViolation","bad time",{}]', 1.0)
    assert complaint == CallResultErrorReceived(
        error=CallResultError(
            unique_id="h",
            error_code="FormatViolation",
            error_description="bad time",
            error_details={},
        ),
        call=Call(unique_id="h", action="Heartbeat", payload={}),
        code=ErrorCode.FORMAT_VIOLATION,
    )
    assert csms.data_to_send() == []


def test_callresulterror_for_unknown_id() -> None:
    csms = Session("2.1", "CSMS")
    reported = violation(csms.receive('[5,"nope","GenericError","",{}]', 0.0))
    assert reported.kind is Violation.UNKNOWN_RESPONSE
    [event] = csms.receive('[2,"e","Heartbeat",{}]', 0.0)
    csms.send_error(event, "GenericError")  # type: ignore[arg-type]
    reported = violation(csms.receive('[5,"e","GenericError","",{}]', 0.0))
    assert reported.kind is Violation.RESPONSE_TO_RESPONSE
    assert csms.data_to_send() == []


# --- misuse of the API: LocalProtocolError, state unchanged ----------------------------


def test_local_errors_leave_state_unchanged() -> None:
    cs = Session("2.0.1", "ChargingStation")
    before = cs.state
    with pytest.raises(LocalProtocolError, match=r"OCPP 1\.6 message"):
        cs.send_call(v16.HeartbeatRequest(), 0.0)
    with pytest.raises(LocalProtocolError, match="not sent by the ChargingStation"):
        cs.send_call(v201.ResetRequest(type=v201.ResetEnum.IMMEDIATE), 0.0)
    with pytest.raises(LocalProtocolError, match="not a request"):
        cs.send_call(v201.HeartbeatResponse(current_time=T0), 0.0)
    with pytest.raises(LocalProtocolError, match="not a generated"):
        cs.send_call({"action": "Heartbeat"}, 0.0)
    with pytest.raises(LocalProtocolError, match="positive"):
        cs.send_call(v201.HeartbeatRequest(), 0.0, timeout=0)
    with pytest.raises(LocalProtocolError, match="36"):
        cs.send_call(v201.HeartbeatRequest(), 0.0, unique_id="x" * 37)
    with pytest.raises(LocalProtocolError, match="SEND does not exist"):
        cs.send(v201.HeartbeatRequest())
    assert cs.state == before
    assert cs.data_to_send() == []

    [event] = cs.receive('[2,"c","ClearCache",{}]', 0.0)
    with pytest.raises(LocalProtocolError, match="does not answer a ClearCache"):
        cs.send_result(event, v201.HeartbeatResponse(current_time=T0))  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match=r"not a CallError code of OCPP 2\.0\.1"):
        cs.send_error(event, "NoSuchCode")  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="255"):
        cs.send_error(event, "GenericError", "x" * 256)  # type: ignore[arg-type]
    assert cs.state.inbound is State.ANSWER_OWED

    s21 = Session("2.1", "CSMS")
    with pytest.raises(LocalProtocolError, match="use send_call"):
        s21.send(v21.HeartbeatRequest())
    with pytest.raises(LocalProtocolError, match="not sent by the CSMS"):
        s21.send(v21.NotifyPeriodicEventStreamRequest(data=(), id=1, pending=0, basetime=T0))
    cs21 = Session("2.1", "ChargingStation")
    with pytest.raises(LocalProtocolError, match="use send"):
        cs21.send_call(
            v21.NotifyPeriodicEventStreamRequest(data=(), id=1, pending=0, basetime=T0), 0.0
        )
    with pytest.raises(LocalProtocolError):
        cs21.receive(42, 0.0)  # type: ignore[arg-type]


def test_constructor_checks() -> None:
    with pytest.raises(ValueError, match="positive"):
        Session("2.0.1", "CSMS", call_timeout=0)
    with pytest.raises(ValueError, match="remember"):
        Session("2.0.1", "CSMS", remember=0)
    with pytest.raises(ValueError, match="unknown OCPP version"):
        Session("3.0", "CSMS")
    with pytest.raises(ValueError, match="Car"):
        Session("2.0.1", "Car")
    session = Session("ocpp2.0.1", "CSMS")
    assert (session.version.value, session.role.value) == ("2.0.1", "CSMS")


def test_memory_of_finished_calls_is_bounded() -> None:
    cs = Session("2.0.1", "ChargingStation", remember=2)
    for n in range(1, 5):
        cs.send_call(v201.HeartbeatRequest(), 0.0)
        cs.receive(f'[3,"{n}",{{"currentTime":"2026-01-01T00:00:00Z"}}]', 0.0)
    assert violation(cs.receive('[3,"4",{}]', 0.0)).kind is Violation.DUPLICATE_RESPONSE
    assert violation(cs.receive('[3,"1",{}]', 0.0)).kind is Violation.UNKNOWN_RESPONSE


def test_call_received_shortcuts() -> None:
    csms = Session("2.0.1", "CSMS")
    [event] = csms.receive('[2,"k1","Heartbeat",{}]', 0.0)
    assert isinstance(event, CallReceived)
    assert (event.unique_id, event.action) == ("k1", "Heartbeat")


def test_answer_to_our_own_callerror_is_not_answered() -> None:
    # The loop EVerest/libocpp#995 warns about: a CALLERROR answering a CALLERROR.
    csms = Session("2.0.1", "CSMS")
    violation(csms.receive('[2,"q","NoSuchAction",{}]', 0.0))
    assert csms.data_to_send() == ['[4,"q","NotImplemented","unknown action \'NoSuchAction\'",{}]']
    reported = violation(csms.receive('[4,"q","FormatViolation","what?",{}]', 1.0))
    assert reported.kind is Violation.RESPONSE_TO_RESPONSE
    assert csms.data_to_send() == []


# --- conversations through a SessionPair ------------------------------------------------


def test_pair_boot_and_heartbeat_201() -> None:
    pair = SessionPair("2.0.1")
    response = v201.BootNotificationResponse(
        current_time=T0, interval=300, status=v201.RegistrationStatusEnum.ACCEPTED
    )
    outcome = pair.exchange(CS, BOOT_201, response)
    assert outcome.request is BOOT_201
    pair.exchange(CS, v201.HeartbeatRequest(), v201.HeartbeatResponse(current_time=T0))
    assert pair.wire == [
        (CS, BOOT_201_TEXT),
        (CSMS, '[3,"1",{"currentTime":"2026-01-01T00:00:00Z","interval":300,"status":"Accepted"}]'),
        (CS, '[2,"2","Heartbeat",{}]'),
        (CSMS, '[3,"2",{"currentTime":"2026-01-01T00:00:00Z"}]'),
    ]
    for session in pair.sessions.values():
        assert session.state == SessionState(outbound=State.IDLE, inbound=State.IDLE)


def test_pair_refused_call_reaches_the_caller_as_callerror() -> None:
    pair = SessionPair("1.6")
    text = '[2,"x","BootNotification",{"chargePointModel":"M"}]'
    [violation_event] = pair.send(CS, text)
    assert isinstance(violation_event, ProtocolViolation)
    assert pair.wire[-1][0] is CSMS
    assert json.loads(pair.wire[-1][1])[:3] == [4, "x", "OccurenceConstraintViolation"]


def test_pair_queued_call_leaves_when_the_first_is_answered() -> None:
    pair = SessionPair("2.0.1")
    first = pair.call(CS, v201.HeartbeatRequest())
    assert pair.station.send_call(v201.HeartbeatRequest(), pair.now) is None
    pair.answer(first, v201.HeartbeatResponse(current_time=T0))
    # The released CALL travelled through data_to_send and is now owed by the CSMS.
    assert pair.wire[-1] == (CS, '[2,"2","Heartbeat",{}]')
    assert [c.unique_id for c in pair.csms.owed] == ["2"]


# --- record_sent: frames this side sent by other means ---------------------------------


def test_record_sent_call_correlates_its_answer() -> None:
    cs = Session("2.0.1", "ChargingStation")
    call = Call(unique_id="ext-1", action="Heartbeat", payload={})
    cs.record_sent(call, 5.0, request=v201.HeartbeatRequest())
    assert cs.in_flight == call
    assert cs.next_deadline() == 35.0
    [outcome] = cs.receive('[3,"ext-1",{"currentTime":"2026-01-01T00:00:00Z"}]', 6.0)
    assert isinstance(outcome, CallResultReceived)
    assert outcome.request == v201.HeartbeatRequest()
    assert cs.data_to_send() == []


def test_record_sent_refuses_a_second_call_in_flight_and_changes_nothing() -> None:
    cs = Session("2.0.1", "ChargingStation")
    cs.record_sent(Call(unique_id="a", action="Heartbeat", payload={}), 0.0)
    before = (cs.state, cs.in_flight, cs.queued)
    with pytest.raises(LocalProtocolError, match="in flight"):
        cs.record_sent(Call(unique_id="b", action="Heartbeat", payload={}), 1.0)
    assert (cs.state, cs.in_flight, cs.queued) == before


def test_record_sent_answer_ends_the_owed_call() -> None:
    csms = Session("2.0.1", "CSMS")
    [event] = csms.receive('[2,"h","Heartbeat",{}]', 0.0)
    assert isinstance(event, CallReceived)
    csms.record_sent(CallResult(unique_id="h", payload={"currentTime": "x"}), 1.0)
    assert csms.owed == ()
    assert csms.state.inbound is State.IDLE
    with pytest.raises(LocalProtocolError, match="awaits an answer"):
        csms.record_sent(CallError(unique_id="h", error_code="GenericError",
                                   error_description="", error_details={}), 2.0)  # fmt: skip


def test_record_sent_send_is_remembered_as_unconfirmed() -> None:
    cs = Session("2.1", "ChargingStation")
    cs.record_sent(Send(unique_id="s1", action="NotifyPeriodicEventStream", payload={}), 0.0)
    event = violation(cs.receive('[3,"s1",{}]', 1.0))
    assert event.kind is Violation.UNKNOWN_RESPONSE
    assert "SEND" in event.description


# --- the two codes 1.6 and 2.x spell differently (issue 10) ----------------------------

SPELLINGS = [
    ("2.0.1", "OccurenceConstraintViolation", ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION),
    ("2.1", "OccurenceConstraintViolation", ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION),
    ("2.0.1", "FormationViolation", ErrorCode.FORMAT_VIOLATION),
    ("1.6", "OccurrenceConstraintViolation", ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION),
    ("1.6", "FormatViolation", ErrorCode.FORMATION_VIOLATION),
]


@pytest.mark.parametrize(("version", "received", "code"), SPELLINGS)
def test_other_spelling_of_an_error_code_is_read_with_a_warning(
    version: str, received: str, code: ErrorCode
) -> None:
    csms = Session(version, "CSMS")
    request = v16.ClearCacheRequest() if version == "1.6" else (
        v201.ClearCacheRequest() if version == "2.0.1" else v21.ClearCacheRequest())  # fmt: skip
    csms.send_call(request, 0.0)
    warning, answer = csms.receive(f'[4,"1","{received}","",{{}}]', 1.0)
    assert isinstance(warning, ProtocolViolation)
    assert warning.kind is Violation.ERROR_CODE_SPELLING
    assert isinstance(answer, CallErrorReceived)
    assert answer.code is code


@pytest.mark.parametrize(("version", "received", "code"), SPELLINGS)
def test_peer_that_insists_on_the_other_spelling(
    version: str, received: str, code: ErrorCode
) -> None:
    other = "2.0.1" if version == "1.6" else "1.6"
    cs = Session(version, "ChargingStation", spell_error_codes_as=other)
    # Our refusals and our own CALLERRORs are written in the peer's spelling ...
    occurrence = code in (
        ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
        ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
    )
    refusal = '[2,"r","Reset",{}]' if occurrence else '[2,"r","Reset",[]]'
    [violation_event] = cs.receive(refusal, 0.0)
    assert isinstance(violation_event, ProtocolViolation)
    assert json.loads(cs.data_to_send()[0])[2] == received
    [event] = cs.receive('[2,"c","ClearCache",{}]', 0.0)
    assert isinstance(event, CallReceived)
    assert json.loads(cs.send_error(event, code))[2] == received
    # ... and its spelling is read without a warning.
    request = v16.HeartbeatRequest() if version == "1.6" else (
        v201.HeartbeatRequest() if version == "2.0.1" else v21.HeartbeatRequest())  # fmt: skip
    cs.send_call(request, 0.0)
    [answer] = cs.receive(f'[4,"1","{received}","",{{}}]', 1.0)
    assert isinstance(answer, CallErrorReceived)
    assert answer.code is code


@pytest.mark.parametrize("version", ["1.6", "2.0", "2.0.1", "2.1"])
def test_error_codes_are_written_as_each_version_spells_them(version: str) -> None:
    cs = Session(version, "ChargingStation")
    [event] = cs.receive('[2,"c","ClearCache",{}]', 0.0)
    assert isinstance(event, CallReceived)
    written = json.loads(cs.send_error(event, "OccurrenceConstraintViolation"))[2]
    assert written == payload_error_code(version, PayloadRule.REQUIRED).value
    assert written == ("OccurenceConstraintViolation" if version == "1.6"
                       else "OccurrenceConstraintViolation")  # fmt: skip
