"""The station side: an outbound queue of transaction-related messages.

Theory of operation
-------------------
A :class:`TransactionQueue` is a frozen value. Every operation returns a new
queue (and, where there is one, a result); nothing is mutated, nothing reads
a clock: ``now`` is the host's time in seconds, on the same clock it gives
the :class:`~ocpp_core.rpc.Session`.

What it implements, per version:

* **Order.** Transaction-related messages leave strictly in the order they
  were queued, one at a time: "the delivery of new transaction-related
  messages SHALL wait until the queue has been emptied" (OCPP 1.6 section
  3.7); 2.x keeps the same order for ``TransactionEventRequest`` (E11.FR.01,
  E12). A message waiting for its retry holds back the ones after it.
* **Retries.** A CALLERROR, a timeout or a broken answer is a "failure to
  process the message". After the n-th failure the message is sent again
  ``interval * n`` seconds later ("multiplied by the number of preceding
  transmissions": 1.6 section 3.7.1 with ``TransactionMessageAttempts`` /
  ``TransactionMessageRetryInterval``; 2.x E13.FR.02 and E13.FR.03 with
  ``OCPPCommCtrlr.MessageAttempts`` / ``MessageAttemptInterval`` for
  ``TransactionEvent``). When ``attempts`` failures have happened the message
  is discarded and the next one goes (1.6 section 3.7.1 "SHOULD discard",
  2.x E13.FR.04 "SHALL discard"); the discard is *reported* as a
  :class:`Loss`, never silent. A lost connection is not a failure to process:
  the message is sent again after reconnecting and no attempt is counted.
* **seqNo and offline (2.x).** The queue numbers each transaction's events:
  ``seqNo`` 0 for ``Started``, then +1 for every event of the transaction
  (2.0.1 section E 1.3.2: start at 0, increment by 1). An event queued while
  the station is offline carries ``offline: true`` (E11.FR.02, E12.FR.02), and
  when the connection is lost every event still in the queue is marked
  offline too (E11.FR.07).
* **1.6 transaction ids.** In 1.6 the CSMS issues the ``transactionId`` in
  the StartTransaction answer, which an offline station does not have yet.
  Messages are queued with the host's own reference for the transaction
  (``transaction=``); the id from the answer is written into the queued
  MeterValues and StopTransaction of that transaction before they leave. If
  the StartTransaction itself is discarded after its attempts, the id never
  comes: its later messages are discarded and reported
  (:attr:`LossKind.NO_TRANSACTION_ID`), since no CSMS could file them.
* **Bounded size** (:attr:`TransactionQueue.capacity`). Dropping is allowed
  (2.0.1 E11.FR.04 "MAY"), and the policy is the spec's: only intermediate
  periodic or clock-aligned meter values (2.x ``Updated`` events with
  trigger ``MeterValuePeriodic`` / ``MeterValueClock``; 1.6 ``MeterValues``)
  are ever dropped, and "intermediate messages first (2nd message, 4th
  message, 6th message etc.)" (E11.FR.05): when the queue is full, every
  second droppable message is dropped in one pass. Never dropped: transaction
  starts and ends, other ``Updated`` events (authorisation, state changes),
  and the *last* meter reading of each transaction (it is the best evidence
  for a bill if the end is lost elsewhere). A droppable message arriving at a
  full queue with nothing left to drop is refused and reported; a message
  that may never be dropped raises :class:`~ocpp_core.errors.QueueFullError`
  and changes nothing. Every drop is a :class:`Loss`.
* **Persistence.** :meth:`TransactionQueue.to_json` /
  :meth:`TransactionQueue.from_json` write and read the whole queue (entries,
  counters, issued ids, unreported losses), so a host can save it after each
  change and reload it after a reboot.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from ocpp_core._api import decode_payload, encode_payload, message_meta
from ocpp_core.errors import DeliveryValueError, ErrorCode, QueueFullError
from ocpp_core.rpc import (
    CallErrorReceived,
    CallResultReceived,
    CallTimedOut,
    InvalidResponseReceived,
)
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = [
    "FORMAT",
    "Loss",
    "LossKind",
    "MessageKind",
    "OutgoingMessage",
    "QueuedMessage",
    "RetryPolicy",
    "TransactionQueue",
]

FORMAT: Final = "ocpp_core.delivery.queue/1"
"""The ``format`` tag of :meth:`TransactionQueue.to_json` documents."""

_ACTIONS_16: Final = frozenset({"StartTransaction", "StopTransaction", "MeterValues"})
_ACTIONS_2X: Final = frozenset({"TransactionEvent"})
_METER_TRIGGERS: Final = frozenset({"MeterValuePeriodic", "MeterValueClock"})
_MAX_LOSSES: Final = 10_000


def _version(value: VersionLike) -> OcppVersion:
    try:
        return OcppVersion.parse(value)
    except ValueError as exc:
        raise DeliveryValueError("version", str(exc)) from None


def _frozen_map(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


class MessageKind(enum.StrEnum):
    """What a queued message is to its transaction; decides what may be dropped."""

    START = "start"
    """Starts the transaction (1.6 StartTransaction, 2.x ``Started``). Never dropped."""
    UPDATE = "update"
    """2.x ``Updated`` other than a meter reading (authorisation, state change). Never dropped."""
    METER = "meter"
    """A periodic or clock-aligned meter reading (1.6 MeterValues, 2.x ``Updated`` with
    trigger ``MeterValuePeriodic``/``MeterValueClock``). Droppable, except the last of
    its transaction."""
    END = "end"
    """Ends the transaction (1.6 StopTransaction, 2.x ``Ended``). Never dropped."""


class LossKind(enum.StrEnum):
    """Why a message left the queue without being delivered."""

    DROPPED = "dropped"
    """Dropped to make room (E11.FR.04/05: an intermediate meter reading)."""
    REFUSED = "refused"
    """Not queued: the queue was full and nothing else could be dropped."""
    DISCARDED = "discarded"
    """The CSMS failed to process it ``attempts`` times (1.6 section 3.7.1, E13.FR.04)."""
    NO_TRANSACTION_ID = "no-transaction-id"
    """1.6: its StartTransaction was discarded, so no transactionId was ever issued."""


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often and how patiently a failed transaction message is sent again.

    Attributes:
        attempts: failures to process tolerated before the message is
            discarded: 1.6 ``TransactionMessageAttempts``, 2.x
            ``OCPPCommCtrlr.MessageAttempts[TransactionEvent]``. ``0`` is read
            as ``1`` (send once, never retry).
        interval: seconds; after the n-th failure the message waits
            ``interval * n`` before it is sent again: 1.6
            ``TransactionMessageRetryInterval``, 2.x
            ``OCPPCommCtrlr.MessageAttemptInterval[TransactionEvent]``.
    """

    attempts: int = attrs.field(default=3)
    interval: float = attrs.field(default=60.0)

    @attempts.validator
    def _check_attempts(self, _: object, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise DeliveryValueError("attempts", f"expected an integer >= 0, got {value!r}")

    @interval.validator
    def _check_interval(self, _: object, value: float) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 <= value < float("inf")
        ):
            raise DeliveryValueError("interval", f"expected seconds >= 0, got {value!r}")

    def delay(self, failures: int) -> float:
        """Seconds to wait before sending again after ``failures`` failures (interval x n)."""
        return float(self.interval) * failures

    def exhausted(self, failures: int) -> bool:
        """Whether a message that failed ``failures`` times is to be discarded."""
        return failures >= max(self.attempts, 1)


@attrs.frozen(kw_only=True)
class QueuedMessage:
    """One transaction-related message waiting in the queue.

    Attributes:
        key: the queue's own number for it, unique for the queue's lifetime.
        action: ``TransactionEvent``, ``StartTransaction``, ``StopTransaction``
            or ``MeterValues``.
        payload: the request's wire payload as JSON text (``seqNo``,
            ``offline`` and 1.6 ``transactionId`` already filled in where known).
        kind: what the message is to its transaction (decides dropping).
        transaction: the transaction: the 2.x ``transactionId``, or the host's
            reference for a 1.6 transaction; ``None`` for 1.6 meter values
            outside a transaction.
        seq_no: the 2.x ``seqNo`` assigned, else ``None``.
        enqueued_at: when it was queued.
        not_before: the earliest time it may be sent (after a failure: the back-off).
        transmissions: how many times it was sent.
        failures: how many times the CSMS failed to process it.
        last_error: the error code or ``"timeout"`` of the last failure.
        in_flight: the message id of the CALL carrying it now, else ``None``.
    """

    key: int
    action: str
    payload: str
    kind: MessageKind = attrs.field(converter=MessageKind)
    transaction: str | None = None
    seq_no: int | None = None
    enqueued_at: float = 0.0
    not_before: float = 0.0
    transmissions: int = 0
    failures: int = 0
    last_error: str | None = None
    in_flight: str | None = None

    @property
    def droppable(self) -> bool:
        """Whether the kind of the message allows dropping it (see the module docs)."""
        return self.kind is MessageKind.METER


@attrs.frozen(kw_only=True)
class Loss:
    """A message that will never reach the CSMS, and why. The queue reports every one.

    Attributes:
        kind: why it was lost.
        message: the message as it was in the queue.
        at: when it was lost (host time).
    """

    kind: LossKind = attrs.field(converter=LossKind)
    message: QueuedMessage
    at: float


@attrs.frozen(kw_only=True)
class OutgoingMessage:
    """The message to send now; the queue already counts it as in flight.

    Send ``request`` with ``Session.send_call(request, now, unique_id=unique_id)``
    and feed the outcome back with :meth:`TransactionQueue.on_event`.

    Attributes:
        key: the queue key of the message.
        action: its action.
        payload: its wire payload (a fresh dict).
        request: the typed request of the queue's version.
        unique_id: the message id the queue expects the CALL to carry.
    """

    key: int
    action: str
    payload: dict[str, Any]
    request: Any
    unique_id: str


def _dumps(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


@attrs.frozen(kw_only=True)
class TransactionQueue:
    """The station's queue of transaction-related messages (a frozen value).

    Build one per station connection with :meth:`new` (or :meth:`from_json`
    after a reboot), then: :meth:`enqueue` each transaction message as it
    happens, :meth:`connected` / :meth:`disconnected` as the link changes,
    :meth:`take` the next message to send when :meth:`next_deadline` has come,
    and feed the session's outcome events to :meth:`on_event`.
    :meth:`take_losses` hands over the losses to report.

    Attributes:
        version: the OCPP version of the messages.
        policy: the retry policy.
        capacity: the most messages held at once (see the module docs for
            what is dropped when it is reached).
        id_prefix: the start of the message ids :meth:`take` proposes; make it
            unique per queue if several queues share a connection.
        online: whether the connection to the CSMS is up.
        entries: the messages in sending order.
        next_key: the key of the next message queued.
        seq_nos: 2.x: the next ``seqNo`` of each open transaction.
        transaction_ids: 1.6: the ``transactionId`` issued for each host reference.
        failed_starts: 1.6: references whose StartTransaction was discarded.
        losses: losses not yet taken with :meth:`take_losses` (at most 10,000).
        delivered: messages delivered so far.
    """

    version: OcppVersion = attrs.field(converter=_version)
    policy: RetryPolicy = attrs.field(factory=RetryPolicy)
    capacity: int = attrs.field(default=1000)
    id_prefix: str = "txq-"
    online: bool = False
    entries: tuple[QueuedMessage, ...] = ()
    next_key: int = 0
    seq_nos: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen_map)
    transaction_ids: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen_map)
    failed_starts: frozenset[str] = frozenset()
    losses: tuple[Loss, ...] = ()
    delivered: int = 0

    @capacity.validator
    def _check_capacity(self, _: object, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 2:
            raise DeliveryValueError("capacity", f"expected an integer >= 2, got {value!r}")

    @classmethod
    def new(
        cls,
        version: VersionLike,
        *,
        attempts: int = 3,
        interval: float = 60.0,
        capacity: int = 1000,
        id_prefix: str = "txq-",
    ) -> TransactionQueue:
        """Return an empty, offline queue.

        Args:
            version: the OCPP version (``"1.6"``, ``"2.0"``, ``"2.0.1"``, ``"2.1"``).
            attempts: the version's attempts setting (see :class:`RetryPolicy`).
            interval: the version's retry interval in seconds.
            capacity: the bound on queued messages (>= 2).
            id_prefix: the start of proposed message ids.

        Raises:
            DeliveryValueError: a value is out of range; the field is named.
        """
        return cls(
            version=version,
            policy=RetryPolicy(attempts=attempts, interval=interval),
            capacity=capacity,
            id_prefix=id_prefix,
        )

    # --- looking ------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.entries)

    def pending(self, transaction: str | None = None) -> bool:
        """Whether messages wait (of ``transaction``, or any): 2.x E14 ``messagesInQueue``."""
        if transaction is None:
            return bool(self.entries)
        return any(entry.transaction == transaction for entry in self.entries)

    def next_deadline(self) -> float | None:
        """When :meth:`take` will have a message, or ``None`` (offline, empty or one in flight).

        A time at or before ``now`` means: now.
        """
        if not self.online or not self.entries:
            return None
        head = self.entries[0]
        return None if head.in_flight is not None else head.not_before

    # --- queueing ------------------------------------------------------------------

    def enqueue(
        self, message: object, *, now: float, transaction: str | None = None
    ) -> TransactionQueue:
        """Queue a transaction-related request and return the new queue.

        Args:
            message: a generated request of the queue's version: 2.x
                ``TransactionEventRequest`` (its ``seqNo`` and ``offline`` are
                set here), 1.6 ``StartTransactionRequest``,
                ``StopTransactionRequest`` or ``MeterValuesRequest``.
            now: the host's time.
            transaction: 1.6 only: the host's reference for the transaction
                (required for StartTransaction; for StopTransaction and
                MeterValues, the queue then writes the issued ``transactionId``
                in). Ignored for 2.x, where the ``transactionId`` is the reference.

        Raises:
            DeliveryValueError: the message is not a transaction-related
                request of the queue's version, or a 1.6 StartTransaction has
                no ``transaction`` reference. Nothing changes.
            QueueFullError: the queue is full of messages that may not be
                dropped and this one may not be dropped either. Nothing changes.
        """
        try:
            meta = message_meta(message)
        except TypeError:
            raise DeliveryValueError(
                "message", f"expected a generated request, got {type(message).__name__}"
            ) from None
        if meta.version is not self.version or meta.kind != "request":
            raise DeliveryValueError(
                "message",
                f"expected a request of OCPP {self.version}, got OCPP {meta.version} "
                f"{meta.action} {meta.kind}",
            )
        allowed = _ACTIONS_16 if self.version is OcppVersion.V16 else _ACTIONS_2X
        if meta.action not in allowed:
            raise DeliveryValueError(
                "message", f"{meta.action} is not a transaction-related message of {self.version}"
            )
        payload = encode_payload(message)
        seq_nos = self.seq_nos
        seq_no: int | None = None
        if self.version is OcppVersion.V16:
            kind, transaction = self._classify_16(meta.action, payload, transaction)
        else:
            kind, transaction = self._classify_2x(payload)
            seq_no = 0 if kind is MessageKind.START else self.seq_nos.get(transaction, 0)
            seq_nos = dict(self.seq_nos)
            if kind is MessageKind.END:
                seq_nos.pop(transaction, None)
            else:
                seq_nos[transaction] = seq_no + 1
            payload["seqNo"] = seq_no
            if not self.online:
                payload["offline"] = True  # E11.FR.02 / E12.FR.02
        entry = QueuedMessage(
            key=self.next_key,
            action=meta.action,
            payload=_dumps(payload),
            kind=kind,
            transaction=transaction,
            seq_no=seq_no,
            enqueued_at=now,
            not_before=now,
        )
        queue = self
        if len(self.entries) >= self.capacity:
            queue = self._thin(now)
            if len(queue.entries) >= self.capacity:
                if not entry.droppable:
                    raise QueueFullError(self.capacity)
                return attrs.evolve(
                    queue,
                    next_key=self.next_key + 1,
                    seq_nos=seq_nos,
                    losses=_add_losses(queue.losses, [Loss(kind="refused", message=entry, at=now)]),
                )
        return attrs.evolve(
            queue, entries=(*queue.entries, entry), next_key=self.next_key + 1, seq_nos=seq_nos
        )

    def _classify_16(
        self, action: str, payload: dict[str, Any], transaction: str | None
    ) -> tuple[MessageKind, str | None]:
        if action == "StartTransaction":
            if transaction is None:
                raise DeliveryValueError(
                    "transaction", "a 1.6 StartTransaction needs the host's transaction reference"
                )
            return MessageKind.START, transaction
        if transaction is not None and transaction in self.transaction_ids:
            payload["transactionId"] = self.transaction_ids[transaction]
        if action == "StopTransaction":
            if transaction is None:
                transaction = f"#{payload['transactionId']}"
            return MessageKind.END, transaction
        if transaction is None and "transactionId" in payload:
            transaction = f"#{payload['transactionId']}"
        return MessageKind.METER, transaction

    def _classify_2x(self, payload: dict[str, Any]) -> tuple[MessageKind, str]:
        info = payload.get("transactionInfo") or payload.get("transactionData") or {}
        transaction = str(info.get("transactionId", info.get("id", "")))
        event = payload.get("eventType")
        if event == "Started":
            return MessageKind.START, transaction
        if event == "Ended":
            return MessageKind.END, transaction
        if payload.get("triggerReason") in _METER_TRIGGERS and "meterValue" in payload:
            return MessageKind.METER, transaction
        return MessageKind.UPDATE, transaction

    def _thin(self, now: float) -> TransactionQueue:
        """Drop every second droppable message (E11.FR.05), keeping each transaction's last."""
        last: dict[str | None, int] = {}
        for entry in self.entries:
            if entry.droppable:
                last[entry.transaction] = entry.key
        candidates = [
            entry.key
            for entry in self.entries
            if entry.droppable
            and entry.in_flight is None
            and last.get(entry.transaction) != entry.key
        ]
        doomed = set(candidates[1::2] if len(candidates) > 1 else candidates)
        if not doomed:
            return self
        kept = tuple(entry for entry in self.entries if entry.key not in doomed)
        lost = [Loss(kind="dropped", message=e, at=now) for e in self.entries if e.key in doomed]
        return attrs.evolve(self, entries=kept, losses=_add_losses(self.losses, lost))

    # --- the connection -----------------------------------------------------------

    def connected(self, now: float) -> TransactionQueue:
        """The connection to the CSMS is up (after a boot, too); sending may start.

        A message that was in flight on an earlier connection is sent again
        without counting a failure.
        """
        del now  # the same signature as the rest; the state does not depend on it
        return attrs.evolve(self, online=True, entries=tuple(_land(e) for e in self.entries))

    def disconnected(self, now: float) -> TransactionQueue:
        """The connection is lost: hold the messages; 2.x marks them all offline (E11.FR.07).

        A message in flight is sent again after reconnecting; the CSMS may then
        get it twice (the ledger recognises the duplicate).
        """
        del now
        entries = tuple(_land(e) for e in self.entries)
        if self.version is not OcppVersion.V16:
            entries = tuple(_mark_offline(e) for e in entries)
        return attrs.evolve(self, online=False, entries=entries)

    # --- sending ------------------------------------------------------------------

    def take(self, now: float) -> tuple[TransactionQueue, OutgoingMessage | None]:
        """Return the queue with the head in flight, and the message to send now (or ``None``).

        ``None`` when offline, empty, a message is already in flight, or the
        head's back-off has not passed (see :meth:`next_deadline`). 1.6
        messages whose StartTransaction was discarded are discarded here and
        reported (:attr:`LossKind.NO_TRANSACTION_ID`).
        """
        queue = self
        while True:
            if not queue.online or not queue.entries:
                return queue, None
            head = queue.entries[0]
            if head.in_flight is not None or head.not_before > now:
                return queue, None
            if (
                head.kind is not MessageKind.START
                and head.transaction is not None
                and head.transaction in queue.failed_starts
            ):
                queue = attrs.evolve(
                    queue,
                    entries=queue.entries[1:],
                    losses=_add_losses(
                        queue.losses, [Loss(kind="no-transaction-id", message=head, at=now)]
                    ),
                )
                continue
            break
        payload = json.loads(head.payload)
        issued = queue.transaction_ids.get(head.transaction or "")
        if issued is not None and head.action != "StartTransaction":
            payload["transactionId"] = issued
        unique_id = f"{queue.id_prefix}{head.key}.{head.transmissions + 1}"
        request = decode_payload(queue.version, head.action, "request", payload)
        sent = attrs.evolve(
            head,
            payload=_dumps(payload),
            transmissions=head.transmissions + 1,
            in_flight=unique_id,
        )
        out = OutgoingMessage(
            key=head.key, action=head.action, payload=payload, request=request, unique_id=unique_id
        )
        return attrs.evolve(queue, entries=(sent, *queue.entries[1:])), out

    def sent_as(self, key: int, unique_id: str) -> TransactionQueue:
        """Record that the in-flight message ``key`` went out under another message id."""
        entries = tuple(
            attrs.evolve(e, in_flight=unique_id) if e.key == key and e.in_flight else e
            for e in self.entries
        )
        return attrs.evolve(self, entries=entries)

    # --- outcomes -----------------------------------------------------------------

    def on_event(self, event: object, now: float) -> TransactionQueue:
        """Feed one event of the session; events about other CALLs change nothing.

        :class:`~ocpp_core.rpc.CallResultReceived` delivers the message (and
        for a 1.6 StartTransaction records the issued ``transactionId``);
        :class:`~ocpp_core.rpc.CallErrorReceived`,
        :class:`~ocpp_core.rpc.CallTimedOut` and
        :class:`~ocpp_core.rpc.InvalidResponseReceived` are failures to
        process (see :meth:`failed`).
        """
        if isinstance(event, CallResultReceived):
            return self.answered(event.call.unique_id, event.response)
        if isinstance(event, CallErrorReceived):
            code = event.code.value if isinstance(event.code, ErrorCode) else event.error.error_code
            return self.failed(event.call.unique_id, now, reason=code)
        if isinstance(event, CallTimedOut):
            return self.failed(event.call.unique_id, now, reason="timeout")
        if isinstance(event, InvalidResponseReceived):
            return self.failed(event.call.unique_id, now, reason="invalid-response")
        return self

    def _find(self, unique_id: str) -> int | None:
        for index, entry in enumerate(self.entries):
            if entry.in_flight == unique_id:
                return index
        return None

    def answered(self, unique_id: str, response: object = None) -> TransactionQueue:
        """The CSMS answered the CALL ``unique_id`` with a CALLRESULT: the message is delivered.

        Args:
            unique_id: the CALL's message id.
            response: the typed response; for a 1.6 StartTransaction its
                ``transaction_id`` is recorded for the transaction's later messages.
        """
        index = self._find(unique_id)
        if index is None:
            return self
        entry = self.entries[index]
        issued = self.transaction_ids
        issued_id = getattr(response, "transaction_id", None)
        if (
            entry.action == "StartTransaction"
            and entry.transaction is not None
            and isinstance(issued_id, int)
        ):
            issued = {**issued, entry.transaction: issued_id}
        return attrs.evolve(
            self,
            entries=self.entries[:index] + self.entries[index + 1 :],
            transaction_ids=issued,
            delivered=self.delivered + 1,
        )

    def failed(self, unique_id: str, now: float, *, reason: str = "error") -> TransactionQueue:
        """The CSMS failed to process the CALL ``unique_id``: retry later, or discard and report.

        Args:
            unique_id: the CALL's message id.
            now: the host's time.
            reason: the CallError code, ``"timeout"``, or another short word;
                kept as :attr:`QueuedMessage.last_error`.
        """
        index = self._find(unique_id)
        if index is None:
            return self
        entry = self.entries[index]
        failures = entry.failures + 1
        rest = self.entries[:index] + self.entries[index + 1 :]
        if self.policy.exhausted(failures):  # 1.6 section 3.7.1; E13.FR.04
            gone = attrs.evolve(entry, failures=failures, last_error=reason, in_flight=None)
            failed_starts = self.failed_starts
            if entry.action == "StartTransaction" and entry.transaction is not None:
                failed_starts = failed_starts | {entry.transaction}
            return attrs.evolve(
                self,
                entries=rest,
                failed_starts=failed_starts,
                losses=_add_losses(self.losses, [Loss(kind="discarded", message=gone, at=now)]),
            )
        waiting = attrs.evolve(
            entry,
            failures=failures,
            last_error=reason,
            in_flight=None,
            not_before=now + self.policy.delay(failures),  # 1.6 section 3.7.1; E13.FR.03
        )
        return attrs.evolve(self, entries=(*rest[:index], waiting, *rest[index:]))

    def take_losses(self) -> tuple[TransactionQueue, tuple[Loss, ...]]:
        """Return the queue without its losses, and the losses to report (oldest first)."""
        return attrs.evolve(self, losses=()), self.losses

    # --- persistence --------------------------------------------------------------

    def to_json(self) -> str:
        """Return the whole queue as a JSON document (see :meth:`from_json`)."""
        doc = {
            "format": FORMAT,
            "version": self.version.value,
            "attempts": self.policy.attempts,
            "interval": self.policy.interval,
            "capacity": self.capacity,
            "id_prefix": self.id_prefix,
            "online": self.online,
            "next_key": self.next_key,
            "delivered": self.delivered,
            "seq_nos": dict(self.seq_nos),
            "transaction_ids": dict(self.transaction_ids),
            "failed_starts": sorted(self.failed_starts),
            "entries": [_entry_doc(e) for e in self.entries],
            "losses": [
                {"kind": loss.kind.value, "at": loss.at, "message": _entry_doc(loss.message)}
                for loss in self.losses
            ],
        }
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> TransactionQueue:
        """Read a queue written by :meth:`to_json` (e.g. after a reboot).

        The queue comes back exactly as saved; call :meth:`connected` once
        the connection is up (a message that was in flight is sent again).

        Raises:
            DeliveryValueError: the text is not such a document; the field is named.
        """
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise DeliveryValueError("queue", f"not JSON: {exc}") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise DeliveryValueError("format", f"expected a {FORMAT!r} document")
        field = "queue"
        try:
            field = "entries"
            entries = tuple(_entry_from_doc(e) for e in doc["entries"])
            field = "losses"
            losses = tuple(
                Loss(kind=x["kind"], at=float(x["at"]), message=_entry_from_doc(x["message"]))
                for x in doc["losses"]
            )
            field = "queue"
            return cls(
                version=doc["version"],
                policy=RetryPolicy(attempts=doc["attempts"], interval=doc["interval"]),
                capacity=doc["capacity"],
                id_prefix=str(doc["id_prefix"]),
                online=bool(doc["online"]),
                entries=entries,
                next_key=int(doc["next_key"]),
                delivered=int(doc["delivered"]),
                seq_nos={str(k): int(v) for k, v in doc["seq_nos"].items()},
                transaction_ids={str(k): int(v) for k, v in doc["transaction_ids"].items()},
                failed_starts=frozenset(str(x) for x in doc["failed_starts"]),
                losses=losses,
            )
        except DeliveryValueError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DeliveryValueError(field, f"malformed queue document ({exc!s:.120})") from None


def _land(entry: QueuedMessage) -> QueuedMessage:
    return entry if entry.in_flight is None else attrs.evolve(entry, in_flight=None)


def _mark_offline(entry: QueuedMessage) -> QueuedMessage:
    if entry.action != "TransactionEvent":
        return entry
    payload = json.loads(entry.payload)
    if payload.get("offline") is True:
        return entry
    payload["offline"] = True
    return attrs.evolve(entry, payload=_dumps(payload))


def _add_losses(losses: tuple[Loss, ...], new: list[Loss]) -> tuple[Loss, ...]:
    merged = (*losses, *new)
    return merged[-_MAX_LOSSES:]


_ENTRY_FIELDS: Final = tuple(f.name for f in attrs.fields(QueuedMessage))


def _entry_doc(entry: QueuedMessage) -> dict[str, Any]:
    doc = {name: getattr(entry, name) for name in _ENTRY_FIELDS}
    doc["kind"] = entry.kind.value
    return doc


def _entry_from_doc(doc: Mapping[str, Any]) -> QueuedMessage:
    if not isinstance(doc, Mapping):
        raise TypeError("an entry is not an object")
    payload = doc["payload"]
    if not isinstance(payload, str):
        raise TypeError("payload is not a string")
    json.loads(payload)
    return QueuedMessage(
        key=int(doc["key"]),
        action=str(doc["action"]),
        payload=payload,
        kind=doc["kind"],
        transaction=None if doc["transaction"] is None else str(doc["transaction"]),
        seq_no=None if doc["seq_no"] is None else int(doc["seq_no"]),
        enqueued_at=float(doc["enqueued_at"]),
        not_before=float(doc["not_before"]),
        transmissions=int(doc["transmissions"]),
        failures=int(doc["failures"]),
        last_error=None if doc["last_error"] is None else str(doc["last_error"]),
        in_flight=None if doc["in_flight"] is None else str(doc["in_flight"]),
    )
