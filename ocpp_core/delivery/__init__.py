"""Guaranteed delivery of billing data: a station-side queue and a CSMS-side ledger.

* :class:`TransactionQueue` (station side, a frozen value): transaction-related
  messages kept in order while offline, retried per version
  (``TransactionMessageAttempts`` / ``TransactionMessageRetryInterval`` in 1.6,
  ``MessageAttempts`` / ``MessageAttemptInterval`` in 2.x), ``seqNo`` and
  ``offline`` assigned for 2.x, a bounded size with the spec's dropping
  policy, every loss reported (:class:`Loss`), JSON persistence across reboots.
* :class:`Ledger` (CSMS side): one :class:`TransactionRecord` per transaction
  from received TransactionEvents (2.0, 2.0.1, 2.1) or 1.6
  StartTransaction / StopTransaction / MeterValues, idempotent, with typed
  :class:`Anomaly` values and their evidence, and a billing-ready export.
  The fold behind it is the pure function :func:`apply_event`.

No I/O, no clock: times are arguments. See ``docs/delivery.md`` for the
guarantees each version gives and ``docs/howto-queue-and-ledger.md`` for
wiring both into a station and a CSMS.
"""

from __future__ import annotations

from ocpp_core.delivery._ledger import (
    LEDGER_FORMAT,
    Anomaly,
    AnomalyKind,
    EnergySource,
    IngestResult,
    Ledger,
    LedgerSettings,
    Limit,
    Period,
    Severity,
    TransactionRecord,
    TxEvent,
    apply_event,
    normalise,
)
from ocpp_core.delivery._queue import (
    FORMAT,
    Loss,
    LossKind,
    MessageKind,
    OutgoingMessage,
    QueuedMessage,
    RetryPolicy,
    TransactionQueue,
)
from ocpp_core.errors import DeliveryError, DeliveryValueError, QueueFullError

__all__ = [
    "FORMAT",
    "LEDGER_FORMAT",
    "Anomaly",
    "AnomalyKind",
    "DeliveryError",
    "DeliveryValueError",
    "EnergySource",
    "IngestResult",
    "Ledger",
    "LedgerSettings",
    "Limit",
    "Loss",
    "LossKind",
    "MessageKind",
    "OutgoingMessage",
    "Period",
    "QueueFullError",
    "QueuedMessage",
    "RetryPolicy",
    "Severity",
    "TransactionQueue",
    "TransactionRecord",
    "TxEvent",
    "apply_event",
    "normalise",
]
