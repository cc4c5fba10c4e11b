"""Dispatching received CALLs to typed handlers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ocpp_core import ErrorCode, v16, v201
from ocpp_core.errors import EncodeError, LocalProtocolError
from ocpp_core.rpc import (
    CallErrorReply,
    CallReceived,
    Dispatcher,
    HandlerError,
    Session,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def received(session: Session, text: str) -> CallReceived:
    [event] = session.receive(text, 0.0)
    assert isinstance(event, CallReceived)
    return event


def test_handler_answers_with_its_response() -> None:
    dispatcher = Dispatcher()

    @dispatcher.on(v201.HeartbeatRequest)
    def heartbeat(request: v201.HeartbeatRequest) -> v201.HeartbeatResponse:
        assert request == v201.HeartbeatRequest()
        return v201.HeartbeatResponse(current_time=T0)

    csms = Session("2.0.1", "CSMS")
    event = received(csms, '[2,"h1","Heartbeat",{}]')
    assert dispatcher.dispatch(csms, event) == '[3,"h1",{"currentTime":"2026-01-01T00:00:00Z"}]'
    assert dispatcher.handler_for(v201.HeartbeatRequest) is heartbeat
    assert csms.owed == ()


def test_unhandled_action_is_not_supported() -> None:
    csms = Session("2.0.1", "CSMS")
    event = received(csms, '[2,"u1","Authorize",{"idToken":{"idToken":"A","type":"ISO14443"}}]')
    assert Dispatcher().dispatch(csms, event) == (
        '[4,"u1","NotSupported","Authorize is recognised but not supported by the receiver",{}]'
    )


def test_handler_refuses_with_call_error_reply() -> None:
    dispatcher = Dispatcher()

    @dispatcher.on(v16.AuthorizeRequest)
    def authorize(request: v16.AuthorizeRequest) -> v16.AuthorizeResponse:
        raise CallErrorReply(ErrorCode.GENERIC_ERROR, "directory offline", {"retryIn": 30})

    csms = Session("1.6", "CSMS")
    event = received(csms, '[2,"a1","Authorize",{"idTag":"TAG"}]')
    assert dispatcher.dispatch(csms, event) == (
        '[4,"a1","GenericError","directory offline",{"retryIn":30}]'
    )


def test_guard_answers_security_error() -> None:
    # K2: CALLs before the station's BootNotification is accepted.
    accepted: set[str] = set()

    def registered_only(event: CallReceived) -> None:
        if event.action != "BootNotification" and "CP_1" not in accepted:
            raise CallErrorReply("SecurityError", "BootNotification not accepted yet")

    dispatcher = Dispatcher(guard=registered_only)

    @dispatcher.on(v201.HeartbeatRequest)
    def heartbeat(request: v201.HeartbeatRequest) -> v201.HeartbeatResponse:
        return v201.HeartbeatResponse(current_time=T0)

    csms = Session("2.0.1", "CSMS")
    first = received(csms, '[2,"1","Heartbeat",{}]')
    assert dispatcher.dispatch(csms, first) == (
        '[4,"1","SecurityError","BootNotification not accepted yet",{}]'
    )
    accepted.add("CP_1")
    second = received(csms, '[2,"2","Heartbeat",{}]')
    assert json.loads(dispatcher.dispatch(csms, second))[0] == 3


def test_failures_become_internal_error() -> None:
    seen: list[tuple[str, type]] = []
    dispatcher = Dispatcher(on_exception=lambda event, exc: seen.append((event.action, type(exc))))

    @dispatcher.on(v16.HeartbeatRequest)
    def heartbeat(request: v16.HeartbeatRequest) -> v16.HeartbeatResponse:
        raise KeyError("secret database detail")

    @dispatcher.on(v16.AuthorizeRequest)
    def authorize(request: v16.AuthorizeRequest) -> object:
        return v16.HeartbeatResponse(current_time=T0)  # the wrong response

    @dispatcher.on(v16.StatusNotificationRequest)
    def status(request: v16.StatusNotificationRequest) -> object:
        raise CallErrorReply("RpcFrameworkError")  # a 2.x-only code on 1.6

    csms = Session("1.6", "CSMS")
    internal = '"InternalError","the receiver failed to handle the request",{}]'
    event = received(csms, '[2,"1","Heartbeat",{}]')
    assert dispatcher.dispatch(csms, event) == '[4,"1",' + internal
    event = received(csms, '[2,"2","Authorize",{"idTag":"T"}]')
    assert dispatcher.dispatch(csms, event) == '[4,"2",' + internal
    event = received(
        csms,
        '[2,"3","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available"}]',
    )
    assert dispatcher.dispatch(csms, event) == '[4,"3",' + internal
    assert seen == [
        ("Heartbeat", KeyError),
        ("Authorize", LocalProtocolError),
        ("StatusNotification", LocalProtocolError),
    ]
    assert csms.owed == ()


def test_without_on_exception_the_failure_is_raised_with_the_reply() -> None:
    dispatcher = Dispatcher()

    @dispatcher.on(v16.HeartbeatRequest)
    def heartbeat(request: v16.HeartbeatRequest) -> v16.HeartbeatResponse:
        raise RuntimeError("boom")

    csms = Session("1.6", "CSMS")
    event = received(csms, '[2,"1","Heartbeat",{}]')
    with pytest.raises(HandlerError) as info:
        dispatcher.dispatch(csms, event)
    assert info.value.reply.startswith('[4,"1","InternalError"')
    assert isinstance(info.value.__cause__, RuntimeError)
    assert info.value.event is event
    assert csms.owed == ()  # answered all the same


def test_dispatch_all_and_registration_rules() -> None:
    dispatcher = Dispatcher()
    dispatcher.register(v201.HeartbeatRequest, lambda r: v201.HeartbeatResponse(current_time=T0))
    with pytest.raises(LocalProtocolError, match="already has a handler"):
        dispatcher.register(v201.HeartbeatRequest, lambda r: None)
    with pytest.raises(LocalProtocolError, match="not a request class"):
        dispatcher.register(v201.HeartbeatResponse, lambda r: None)
    with pytest.raises(LocalProtocolError, match="not a generated"):
        dispatcher.register(dict, lambda r: None)
    csms = Session("2.0.1", "CSMS")
    events = csms.receive('[2,"1","Heartbeat",{}]', 0.0) + csms.receive('[3,"zz",{}]', 0.0)
    assert dispatcher.dispatch_all(csms, events) == [
        '[3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]'
    ]
    # One dispatcher serves sessions of several versions.
    dispatcher.register(v16.HeartbeatRequest, lambda r: v16.HeartbeatResponse(current_time=T0))
    old = Session("1.6", "CSMS")
    [event] = old.receive('[2,"9","Heartbeat",{}]', 0.0)
    assert dispatcher.dispatch_all(old, [event]) == [
        '[3,"9",{"currentTime":"2026-01-01T00:00:00Z"}]'
    ]


@pytest.mark.parametrize(
    "answer",
    [
        v16.HeartbeatResponse(current_time="2026-01-01T00:00:00Z"),  # type: ignore[arg-type]
        v16.HeartbeatResponse(current_time=datetime(2026, 1, 1)),  # naive
    ],
    ids=["str for datetime", "naive datetime"],
)
def test_a_wrongly_typed_answer_becomes_internal_error(answer: object) -> None:
    """Issue 10 item 3: the encoder refuses the answer; the peer gets InternalError."""
    seen: list[Exception] = []
    dispatcher = Dispatcher(on_exception=lambda event, exc: seen.append(exc))
    dispatcher.register(v16.HeartbeatRequest, lambda request: answer)
    csms = Session("1.6", "CSMS")
    event = received(csms, '[2,"1","Heartbeat",{}]')
    assert dispatcher.dispatch(csms, event).startswith('[4,"1","InternalError"')
    [error] = seen
    assert isinstance(error, EncodeError)
    assert error.path == "$.currentTime"
    assert csms.owed == ()


def test_a_dict_for_a_nested_class_in_an_answer_becomes_internal_error() -> None:
    seen: list[Exception] = []
    dispatcher = Dispatcher(on_exception=lambda event, exc: seen.append(exc))
    dispatcher.register(
        v16.AuthorizeRequest,
        lambda request: v16.AuthorizeResponse(id_tag_info={"status": "Accepted"}),  # type: ignore[arg-type]
    )
    csms = Session("1.6", "CSMS")
    event = received(csms, '[2,"1","Authorize",{"idTag":"T"}]')
    assert dispatcher.dispatch(csms, event).startswith('[4,"1","InternalError"')
    assert isinstance(seen[0], EncodeError)
    assert seen[0].path == "$.idTagInfo"


# --- every failure while writing the answer is InternalError (issue 10, item 3) ---------

BROKEN_ANSWERS = {
    "string for a date-time": lambda: v201.HeartbeatResponse(
        current_time="2026-01-01T00:00:00Z"  # type: ignore[arg-type]
    ),
    "dict for a nested class": lambda: v201.BootNotificationResponse(
        current_time=T0,
        interval=60,
        status=v201.RegistrationStatusEnum.ACCEPTED,
        status_info={"reasonCode": "x"},  # type: ignore[arg-type]
    ),
    "naive datetime": lambda: v201.HeartbeatResponse(current_time=datetime(2026, 1, 1)),
}
BOOT = (
    '[2,"b1","BootNotification",'
    '{"chargingStation":{"model":"M","vendorName":"V"},"reason":"PowerUp"}]'
)


def _dispatcher_answering(broken: object, **kwargs: object) -> Dispatcher:
    dispatcher = Dispatcher(**kwargs)  # type: ignore[arg-type]
    dispatcher.register(v201.HeartbeatRequest, lambda request: broken)
    dispatcher.register(v201.BootNotificationRequest, lambda request: broken)
    return dispatcher


@pytest.mark.parametrize("name", list(BROKEN_ANSWERS))
def test_answer_that_cannot_be_written_is_internal_error_with_on_exception(name: str) -> None:
    broken = BROKEN_ANSWERS[name]()
    seen: list[Exception] = []
    dispatcher = _dispatcher_answering(broken, on_exception=lambda event, exc: seen.append(exc))
    csms = Session("2.0.1", "CSMS")
    call = BOOT if isinstance(broken, v201.BootNotificationResponse) else '[2,"b1","Heartbeat",{}]'
    [answer] = dispatcher.dispatch_all(csms, csms.receive(call, 0.0))
    assert json.loads(answer)[:3] == [4, "b1", "InternalError"]
    assert csms.owed == ()
    assert len(seen) == 1


@pytest.mark.parametrize("name", list(BROKEN_ANSWERS))
def test_answer_that_cannot_be_written_is_internal_error_without_on_exception(name: str) -> None:
    broken = BROKEN_ANSWERS[name]()
    dispatcher = _dispatcher_answering(broken)
    csms = Session("2.0.1", "CSMS")
    call = BOOT if isinstance(broken, v201.BootNotificationResponse) else '[2,"b1","Heartbeat",{}]'
    [event] = csms.receive(call, 0.0)
    assert isinstance(event, CallReceived)
    with pytest.raises(HandlerError) as caught:
        dispatcher.dispatch(csms, event)
    assert json.loads(caught.value.reply)[:3] == [4, "b1", "InternalError"]
    assert csms.owed == ()


def test_any_exception_while_writing_the_answer_is_internal_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not only EncodeError: whatever fails while the answer is written is caught."""

    def broken_encoder(message: object) -> dict[str, object]:
        raise RuntimeError("boom")

    monkeypatch.setattr("ocpp_core.rpc._session.encode_payload", broken_encoder)
    seen: list[Exception] = []
    dispatcher = _dispatcher_answering(
        v201.HeartbeatResponse(current_time=T0), on_exception=lambda event, exc: seen.append(exc)
    )
    csms = Session("2.0.1", "CSMS")
    [answer] = dispatcher.dispatch_all(csms, csms.receive('[2,"b1","Heartbeat",{}]', 0.0))
    assert json.loads(answer)[:3] == [4, "b1", "InternalError"]
    assert [type(e) for e in seen] == [RuntimeError]
    assert csms.owed == ()
