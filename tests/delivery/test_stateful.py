"""A station queue and a CSMS ledger over a link that drops, delays, duplicates and reorders.

The station starts, meters and ends transactions, goes offline and online and
reboots (persisting its queue as JSON and reloading it); the CSMS restarts from
its saved ledger JSON at random steps. Its CALLs travel in a
link buffer from which any copy may be delivered (reordering and delay),
dropped or duplicated; the CSMS may answer a CALL with a CALLERROR; answers
may be lost, and the station then times out. When the link heals, the station
sends everything it still has, and then:

* the ledger holds exactly one record per transaction the station started and
  whose start was not reported lost;
* every transaction the station ended, whose start and end were not reported
  lost, is ended in the ledger with the energy the station measured;
* every sequence-number gap in the ledger is a loss the queue reported; a
  record is complete exactly when no message of its transaction was lost.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ocpp_core import v16
from ocpp_core.delivery import Ledger, Loss, MessageKind, QueueFullError, TransactionQueue
from tests.delivery._build import at, meter16, start16, stop16, tx_event


class Delivery(RuleBasedStateMachine):
    version = "2.0.1"

    @initialize()
    def setup(self) -> None:
        self.queue = TransactionQueue.new(self.version, attempts=4, interval=5, capacity=8)
        self.ledger = Ledger()
        self.now = 0.0
        self.minute = 0
        self.link: list[tuple[str, Any, str]] = []  # (unique id, request, action) in transit
        self.registers: dict[str, float] = {}  # open transactions -> meter register (Wh)
        self.begin: dict[str, float] = {}
        self.measured: dict[str, float] = {}  # ended transactions -> energy (Wh)
        self.started: list[str] = []
        self.losses: list[Loss] = []
        self.next_id = 100  # 1.6: the CSMS's transaction ids
        self.count = 0

    # --- the station -------------------------------------------------------------

    def enqueue(self, message: Any, tx: str) -> bool:
        """Queue a message; a station whose queue is full waits (the event does not happen)."""
        try:
            self.queue = self.queue.enqueue(message, now=self.now, transaction=tx)
        except QueueFullError:
            return False
        self.minute += 1
        return True

    @precondition(lambda self: len(self.registers) < 3)
    @rule(begin=st.integers(0, 10**6))
    def start(self, begin: int) -> None:
        tx = f"tx{self.count + 1}"
        if self.version == "1.6":
            message = start16(self.minute, meter=begin)
        else:
            message = tx_event(self.version, "Started", tx, self.minute, wh=float(begin),
                               context="Transaction.Begin")  # fmt: skip
        if self.enqueue(message, tx):
            self.count += 1
            self.registers[tx] = self.begin[tx] = float(begin)
            self.started.append(tx)

    @precondition(lambda self: self.registers)
    @rule(data=st.data(), delta=st.integers(0, 5000))
    def meter(self, data: st.DataObject, delta: int) -> None:
        tx = data.draw(st.sampled_from(sorted(self.registers)))
        value = self.registers[tx] + delta
        if self.version == "1.6":
            message = meter16(-1, self.minute, int(value))
        else:
            message = tx_event(self.version, "Updated", tx, self.minute, wh=value)
        if self.enqueue(message, tx):
            self.registers[tx] = value

    @precondition(lambda self: self.registers)
    @rule(data=st.data(), delta=st.integers(0, 5000))
    def end(self, data: st.DataObject, delta: int) -> None:
        tx = data.draw(st.sampled_from(sorted(self.registers)))
        value = self.registers[tx] + delta
        if self.version == "1.6":
            message = stop16(-1, self.minute, int(value))
        else:
            message = tx_event(self.version, "Ended", tx, self.minute, wh=value,
                               context="Transaction.End")  # fmt: skip
        if self.enqueue(message, tx):
            del self.registers[tx]
            self.measured[tx] = value - self.begin[tx]

    @rule()
    def go_offline(self) -> None:
        self.queue = self.queue.disconnected(self.now)

    @rule()
    def go_online(self) -> None:
        self.queue = self.queue.connected(self.now)

    @rule()
    def reboot(self) -> None:
        self.queue = TransactionQueue.from_json(self.queue.to_json()).disconnected(self.now)

    @rule()
    def csms_restart(self) -> None:
        """The CSMS restarts from its saved ledger (messages in transit still arrive)."""
        self.ledger = Ledger.from_json(self.ledger.to_json())

    @rule(seconds=st.integers(1, 60))
    def time_passes(self, seconds: int) -> None:
        self.now += seconds

    @rule()
    def send(self) -> None:
        self.queue, out = self.queue.take(self.now)
        if out is not None:
            self.link.append((out.unique_id, out.request, out.action))

    @precondition(lambda self: self.in_flight() is not None)
    @rule()
    def time_out(self) -> None:
        uid = self.in_flight()
        assert uid is not None
        self.queue = self.queue.failed(uid, self.now, reason="timeout")

    def in_flight(self) -> str | None:
        return next((e.in_flight for e in self.queue.entries if e.in_flight), None)

    # --- the link and the CSMS -----------------------------------------------------

    @precondition(lambda self: self.link)
    @rule(data=st.data(), answer_lost=st.booleans())
    def deliver(self, data: st.DataObject, answer_lost: bool) -> None:
        index = data.draw(st.integers(0, len(self.link) - 1))
        uid, request, action = self.link.pop(index)
        response = self.csms(uid, request, action)
        if not answer_lost:
            self.queue = self.queue.answered(uid, response)

    @precondition(lambda self: self.link)
    @rule(data=st.data())
    def drop(self, data: st.DataObject) -> None:
        self.link.pop(data.draw(st.integers(0, len(self.link) - 1)))

    @precondition(lambda self: self.link)
    @rule(data=st.data())
    def duplicate(self, data: st.DataObject) -> None:
        self.link.append(self.link[data.draw(st.integers(0, len(self.link) - 1))])

    @precondition(lambda self: self.link)
    @rule(data=st.data())
    def csms_error(self, data: st.DataObject) -> None:
        uid, _, _ = self.link.pop(data.draw(st.integers(0, len(self.link) - 1)))
        self.queue = self.queue.failed(uid, self.now, reason="InternalError")

    def csms(self, uid: str, request: Any, action: str) -> Any:
        received = at(self.minute + 1)
        if action != "StartTransaction":
            self.ledger.ingest("CS", request, message_id=uid, received_at=received)
            return None
        result = self.ledger.ingest(
            "CS", request, message_id=uid, received_at=received, transaction_id=self.next_id
        )
        if not result.duplicate:
            self.next_id += 1
        return v16.StartTransactionResponse(
            transaction_id=int(result.transaction_id or 0),
            id_tag_info=v16.IdTagInfo(status="Accepted"),
        )

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def bounded(self) -> None:
        if hasattr(self, "queue"):
            assert len(self.queue) <= self.queue.capacity

    @rule()
    def heal_and_check(self) -> None:
        self.link.clear()
        self.queue = self.queue.connected(self.now)
        for _ in range(10_000):
            self.queue, out = self.queue.take(self.now)
            if out is not None:
                self.queue = self.queue.answered(
                    out.unique_id, self.csms(out.unique_id, out.request, out.action)
                )
                continue
            deadline = self.queue.next_deadline()
            if deadline is None:
                break
            self.now = max(self.now, deadline)
        assert len(self.queue) == 0
        self.queue, losses = self.queue.take_losses()
        self.losses.extend(losses)
        self.check()

    def record_of(self, tx: str) -> Any:
        if self.version == "1.6":
            issued = self.queue.transaction_ids.get(tx)
            return None if issued is None else self.ledger.record("CS", issued)
        return self.ledger.record("CS", tx)

    def check(self) -> None:
        lost: dict[str, list[Loss]] = {}
        for loss in self.losses:
            lost.setdefault(loss.message.transaction or "", []).append(loss)
        lost_kinds = {tx: {loss.message.kind for loss in items} for tx, items in lost.items()}
        assert len(self.ledger) == sum(
            1 for tx in self.started if MessageKind.START not in lost_kinds.get(tx, set())
        ) + (0 if self.version == "1.6" else self.starts_lost_but_seen())
        for tx in self.started:
            record = self.record_of(tx)
            kinds = lost_kinds.get(tx, set())
            if MessageKind.START in kinds and self.version == "1.6":
                continue
            assert record is not None, tx
            if tx in self.measured and not kinds & {MessageKind.START, MessageKind.END}:
                assert record.ended, tx
                assert record.energy_wh == self.measured[tx], tx
            if self.version != "1.6":
                lost_seq = {loss.message.seq_no for loss in lost.get(tx, [])}
                assert set(record.missing_seq_nos) <= lost_seq, tx
                if tx in self.measured and not lost.get(tx):
                    assert record.complete, tx
            elif tx in self.measured and not kinds:
                assert record.complete, tx

    def starts_lost_but_seen(self) -> int:
        """2.x: a transaction whose Started was lost still gets a record from its other events."""
        return sum(
            1
            for tx in self.started
            if any(
                loss.message.kind is MessageKind.START
                for loss in self.losses
                if loss.message.transaction == tx
            )
            and self.ledger.record("CS", tx) is not None
        )


class Delivery16(Delivery):
    version = "1.6"


class Delivery20(Delivery):
    version = "2.0"


class Delivery21(Delivery):
    version = "2.1"


_SETTINGS = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestDelivery201 = Delivery.TestCase
TestDelivery201.settings = _SETTINGS
TestDelivery16 = Delivery16.TestCase
TestDelivery16.settings = _SETTINGS
TestDelivery20 = Delivery20.TestCase
TestDelivery20.settings = settings(max_examples=20, stateful_step_count=30, deadline=None)
TestDelivery21 = Delivery21.TestCase
TestDelivery21.settings = settings(max_examples=20, stateful_step_count=30, deadline=None)
