"""The station-side transaction queue: order, retries, seqNo/offline, 1.6 ids, bounds, JSON."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpp_core import OcppVersion, Role, v16, v201
from ocpp_core.delivery import (
    DeliveryValueError,
    LossKind,
    MessageKind,
    QueueFullError,
    RetryPolicy,
    TransactionQueue,
)
from ocpp_core.rpc import Session
from tests.delivery._build import meter16, start16, stop16, tx_event


def drain(queue: TransactionQueue, now: float) -> tuple[TransactionQueue, list[dict[str, object]]]:
    """Send and acknowledge everything that may leave at ``now``."""
    sent = []
    while True:
        queue, out = queue.take(now)
        if out is None:
            return queue, sent
        sent.append(out.payload)
        queue = queue.answered(out.unique_id)


# --- order, seqNo and offline ------------------------------------------------------


@pytest.mark.parametrize("version", ["2.0", "2.0.1", "2.1"])
def test_seq_no_and_offline_flag_2x(version: str) -> None:
    queue = TransactionQueue.new(version)
    queue = queue.enqueue(tx_event(version, "Started", "a", 0, seq_no=99), now=0)  # offline
    queue = queue.connected(1)
    queue = queue.enqueue(tx_event(version, "Updated", "a", 1, seq_no=99), now=1)
    queue = queue.enqueue(tx_event(version, "Started", "b", 2, seq_no=99), now=2)
    queue = queue.enqueue(tx_event(version, "Ended", "a", 3, seq_no=99), now=3)
    queue = queue.enqueue(tx_event(version, "Updated", "b", 4, seq_no=99), now=4)
    queue, sent = drain(queue, 5)
    assert [(p["seqNo"], p.get("offline", False)) for p in sent] == [
        (0, True),
        (1, False),
        (0, False),
        (2, False),
        (1, False),
    ]
    assert queue.delivered == 5
    assert dict(queue.seq_nos) == {"b": 2}  # a ended: its counter is gone


def test_disconnect_marks_queued_events_offline_e11_fr_07() -> None:
    queue = TransactionQueue.new("2.0.1").connected(0)
    queue = queue.enqueue(tx_event("2.0.1", "Started", "a", 0), now=0)
    queue = queue.enqueue(tx_event("2.0.1", "Updated", "a", 1), now=0)
    queue, out = queue.take(0)
    assert out is not None
    assert "offline" not in out.payload
    queue = queue.disconnected(1)
    assert queue.next_deadline() is None
    queue = queue.connected(2)
    queue, sent = drain(queue, 2)
    # The in-flight event is sent again (no failure counted); both now say offline.
    assert [(p["seqNo"], p["offline"]) for p in sent] == [(0, True), (1, True)]


def test_order_is_kept_and_a_retry_holds_back_the_rest() -> None:
    queue = TransactionQueue.new("2.0.1", attempts=3, interval=30).connected(0)
    for minute in range(3):
        queue = queue.enqueue(tx_event("2.0.1", "Updated", "a", minute), now=0)
    queue, first = queue.take(0)
    assert first is not None
    queue = queue.failed(first.unique_id, 10, reason="InternalError")
    assert queue.next_deadline() == 40.0
    assert queue.take(39)[1] is None
    queue, again = queue.take(40)
    assert again is not None
    assert again.key == first.key
    assert again.unique_id != first.unique_id


# --- retries per version ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1.6", lambda: stop16(7, 0, 100)),
        ("2.0.1", lambda: tx_event("2.0.1", "Ended", "a", 0)),
    ],
)
@given(attempts=st.integers(0, 6), interval=st.integers(0, 600))
def test_backoff_is_interval_times_failures_then_discard(
    version: str, message: object, attempts: int, interval: int
) -> None:
    """1.6 section 3.7.1 and 2.x E13.FR.02-04: wait interval x n after the n-th failure."""
    policy = RetryPolicy(attempts=attempts, interval=interval)
    queue = TransactionQueue.new(version, attempts=attempts, interval=interval).connected(0)
    queue = queue.enqueue(message(), now=0)  # type: ignore[operator]
    now, sends, waits = 0.0, 0, []
    while True:
        queue, out = queue.take(now)
        if out is None:
            break
        sends += 1
        queue = queue.failed(out.unique_id, now, reason="timeout")
        deadline = queue.next_deadline()
        if deadline is None:
            break
        waits.append(deadline - now)
        now = deadline
    assert sends == max(attempts, 1)
    assert waits == [policy.delay(n) for n in range(1, sends)]
    assert waits == [float(interval * n) for n in range(1, sends)]
    queue, losses = queue.take_losses()
    assert [(loss.kind, loss.message.failures) for loss in losses] == [
        (LossKind.DISCARDED, max(attempts, 1))
    ]
    assert len(queue) == 0
    assert queue.losses == ()


def test_session_events_drive_the_queue() -> None:
    """A real station Session and CSMS Session: result, CALLERROR and timeout outcomes."""
    station = Session("2.0.1", Role.CHARGING_STATION, call_timeout=30)
    csms = Session("2.0.1", Role.CSMS)
    queue = TransactionQueue.new("2.0.1", attempts=2, interval=5).connected(0)
    queue = queue.enqueue(tx_event("2.0.1", "Started", "a", 0), now=0)
    queue = queue.enqueue(tx_event("2.0.1", "Ended", "a", 1), now=0)

    queue, out = queue.take(0)
    assert out is not None
    text = station.send_call(out.request, 0, unique_id=out.unique_id)
    assert text is not None
    (call,) = csms.receive(text, 0)
    reply = csms.send_error(call, "InternalError", "database down")  # type: ignore[arg-type]
    for event in station.receive(reply, 1):
        queue = queue.on_event(event, 1)
    assert queue.entries[0].last_error == "InternalError"
    queue, out = queue.take(6)
    assert out is not None
    text = station.send_call(out.request, 6, unique_id=out.unique_id)
    assert text is not None
    (call,) = csms.receive(text, 6)
    reply = csms.send_result(call, v201.TransactionEventResponse())  # type: ignore[arg-type]
    for event in station.receive(reply, 7):
        queue = queue.on_event(event, 7)
    assert queue.delivered == 1

    queue, out = queue.take(7)
    assert out is not None
    assert station.send_call(out.request, 7, unique_id=out.unique_id) is not None
    for event in station.expire(40):
        queue = queue.on_event(event, 40)
    assert queue.entries[0].last_error == "timeout"
    assert queue.on_event(object(), 41) is queue


# --- 1.6 transaction ids --------------------------------------------------------------


def test_16_issued_id_is_written_into_later_messages() -> None:
    queue = TransactionQueue.new("1.6")
    queue = queue.enqueue(start16(0), now=0, transaction="local-1")
    queue = queue.enqueue(meter16(-1, 5, 1200), now=5, transaction="local-1")
    queue = queue.enqueue(stop16(-1, 9, 1500), now=9, transaction="local-1")
    queue = queue.connected(10)
    queue, out = queue.take(10)
    assert out is not None
    assert out.action == "StartTransaction"
    response = v16.StartTransactionResponse(
        transaction_id=4242, id_tag_info=v16.IdTagInfo(status="Accepted")
    )
    queue = queue.answered(out.unique_id, response)
    queue, sent = drain(queue, 11)
    assert [p["transactionId"] for p in sent] == [4242, 4242]
    # A message queued after the answer gets the id at once.
    queue = queue.enqueue(meter16(-1, 12, 1600), now=12, transaction="local-1")
    assert json.loads(queue.entries[0].payload)["transactionId"] == 4242


def test_16_discarded_start_discards_its_messages_and_reports_them() -> None:
    queue = TransactionQueue.new("1.6", attempts=1).connected(0)
    queue = queue.enqueue(start16(0), now=0, transaction="x")
    queue = queue.enqueue(stop16(-1, 9, 1500), now=0, transaction="x")
    queue = queue.enqueue(stop16(55, 9, 1500), now=0)  # another, known transaction
    queue, out = queue.take(0)
    assert out is not None
    queue = queue.failed(out.unique_id, 0, reason="InternalError")
    queue, out = queue.take(0)
    assert out is not None
    assert out.payload["transactionId"] == 55
    assert [loss.kind for loss in queue.losses] == [LossKind.DISCARDED, LossKind.NO_TRANSACTION_ID]


# --- bounded size ------------------------------------------------------------------------


def test_full_queue_drops_every_second_intermediate_meter_value_e11_fr_05() -> None:
    queue = TransactionQueue.new("2.0.1", capacity=6)
    queue = queue.enqueue(tx_event("2.0.1", "Started", "a", 0), now=0)
    for minute in range(1, 6):
        queue = queue.enqueue(tx_event("2.0.1", "Updated", "a", minute, wh=10.0 * minute), now=0)
    queue = queue.enqueue(tx_event("2.0.1", "Ended", "a", 9), now=0)
    # Five meter values, the last protected: candidates seqNo 1..4, every second dropped.
    assert [e.seq_no for e in queue.entries] == [0, 1, 3, 5, 6]
    assert [loss.message.seq_no for loss in queue.losses] == [2, 4]
    assert {loss.kind for loss in queue.losses} == {LossKind.DROPPED}


def test_never_dropped_start_end_last_reading_and_state_changes() -> None:
    queue = TransactionQueue.new("2.0.1", capacity=3)
    queue = queue.enqueue(tx_event("2.0.1", "Started", "a", 0), now=0)
    queue = queue.enqueue(tx_event("2.0.1", "Updated", "a", 1, wh=1.0), now=0)
    queue = queue.enqueue(
        tx_event("2.0.1", "Updated", "a", 2, trigger="ChargingStateChanged", state="Charging"),
        now=0,
    )
    kinds = [e.kind for e in queue.entries]
    assert kinds == [MessageKind.START, MessageKind.METER, MessageKind.UPDATE]
    # Full of messages that may not be dropped (the meter value is the last of "a"):
    refused = queue.enqueue(tx_event("2.0.1", "Updated", "b", 3, wh=1.0), now=0)
    assert refused.entries == queue.entries
    assert [loss.kind for loss in refused.losses] == [LossKind.REFUSED]
    with pytest.raises(QueueFullError) as info:
        queue.enqueue(tx_event("2.0.1", "Ended", "a", 4), now=0)
    assert info.value.capacity == 3


def test_16_meter_values_are_the_droppable_ones() -> None:
    queue = TransactionQueue.new("1.6", capacity=4)
    queue = queue.enqueue(start16(0), now=0, transaction="t")
    for minute in range(1, 4):
        queue = queue.enqueue(meter16(-1, minute, minute), now=0, transaction="t")
    queue = queue.enqueue(stop16(-1, 5, 9), now=0, transaction="t")
    assert [e.kind for e in queue.entries] == [
        MessageKind.START,
        MessageKind.METER,
        MessageKind.METER,
        MessageKind.END,
    ]
    assert len(queue.losses) == 1
    assert queue.pending("t")
    assert not queue.pending("other")


# --- persistence --------------------------------------------------------------------


@given(
    ops=st.lists(
        st.sampled_from(["enqueue", "take", "fail", "answer", "online", "offline"]),
        max_size=25,
    )
)
def test_json_round_trip_at_every_step(ops: list[str]) -> None:
    queue = TransactionQueue.new("2.0.1", attempts=2, interval=1, capacity=4)
    now, minute, out = 0.0, 0, None
    for op in ops:
        now += 1
        if op == "enqueue":
            event = "Started" if minute == 0 else "Updated"
            queue = queue.enqueue(tx_event("2.0.1", event, "a", minute, wh=float(minute)), now=now)
            minute += 1
        elif op == "take":
            queue, out = queue.take(now)
        elif op == "fail" and out is not None:
            queue = queue.failed(out.unique_id, now)
        elif op == "answer" and out is not None:
            queue = queue.answered(out.unique_id)
        elif op == "online":
            queue = queue.connected(now)
        elif op == "offline":
            queue = queue.disconnected(now)
        assert TransactionQueue.from_json(queue.to_json()) == queue
        assert len(queue) <= queue.capacity


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("nope", "queue"),
        ("[]", "format"),
        ('{"format": "ocpp_core.delivery.queue/1"}', "entries"),
        (
            '{"format": "ocpp_core.delivery.queue/1", "entries": [{"key": 1}], "losses": []}',
            "entries",
        ),
    ],
)
def test_from_json_names_the_field(text: str, field: str) -> None:
    with pytest.raises(DeliveryValueError) as info:
        TransactionQueue.from_json(text)
    assert info.value.field == field


def test_bad_values_are_refused_with_the_field() -> None:
    with pytest.raises(DeliveryValueError, match="capacity"):
        TransactionQueue.new("2.0.1", capacity=1)
    with pytest.raises(DeliveryValueError, match="attempts"):
        RetryPolicy(attempts=-1)
    with pytest.raises(DeliveryValueError, match="interval"):
        RetryPolicy(interval=float("nan"))
    with pytest.raises(DeliveryValueError, match="version"):
        TransactionQueue.new("3.0")
    queue = TransactionQueue.new("2.0.1")
    with pytest.raises(DeliveryValueError, match="not a transaction-related"):
        queue.enqueue(v201.HeartbeatRequest(), now=0)
    with pytest.raises(DeliveryValueError, match=r"OCPP 1\.6"):
        queue.enqueue(start16(0), now=0)
    with pytest.raises(DeliveryValueError, match="generated request"):
        queue.enqueue({"eventType": "Started"}, now=0)
    with pytest.raises(DeliveryValueError, match="transaction"):
        TransactionQueue.new("1.6").enqueue(start16(0), now=0)
    assert queue.version is OcppVersion.V201
