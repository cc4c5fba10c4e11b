"""Builders of transaction messages for every version (test helpers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

from ocpp_core import OcppVersion, v16, v20, v21, v201

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

MODULES: dict[OcppVersion, ModuleType] = {
    OcppVersion.V20: v20,
    OcppVersion.V201: v201,
    OcppVersion.V21: v21,
}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def tx_event(
    version: OcppVersion | str,
    event: str,
    tx: str,
    minute: float,
    *,
    trigger: str | None = None,
    seq_no: int = 0,
    wh: float | None = None,
    context: str | None = None,
    state: str | None = None,
    offline: bool | None = None,
    token: str | None = None,
    unit: str | None = None,
    measurand: str | None = None,
    extra_samples: tuple[Any, ...] = (),
    limit: dict[str, float] | None = None,
    stopped_reason: str | None = None,
) -> Any:
    """A 2.x TransactionEventRequest (2.0 uses transactionData, 2.0.1/2.1 transactionInfo)."""
    version = OcppVersion.parse(version)
    mod = MODULES[version]
    if trigger is None:
        trigger = {"Started": "CablePluggedIn", "Ended": "EVCommunicationLost"}.get(
            event, "MeterValuePeriodic"
        )
    meter = None
    when = at(minute)
    samples = list(extra_samples)
    if wh is not None:
        uom = None if unit is None else mod.UnitOfMeasure(unit=unit)
        samples.insert(
            0,
            mod.SampledValue(value=wh, context=context, unit_of_measure=uom, measurand=measurand),
        )
    if samples:
        meter = (mod.MeterValue(timestamp=when, sampled_value=tuple(samples)),)
    if version is OcppVersion.V20:
        info = mod.Transaction(id=tx, charging_state=state, stopped_reason=stopped_reason)
        return mod.TransactionEventRequest(
            event_type=event,
            timestamp=when,
            trigger_reason=trigger,
            seq_no=seq_no,
            transaction_data=info,
            meter_value=meter,
            offline=offline,
            evse=mod.EVSE(id=1, connector_id=1),
            id_token=None if token is None else mod.IdToken(id_token=token, type="ISO14443"),
        )
    kwargs: dict[str, Any] = {}
    if limit is not None:
        kwargs["transaction_limit"] = mod.TransactionLimit(**limit)
    info = mod.Transaction(
        transaction_id=tx, charging_state=state, stopped_reason=stopped_reason, **kwargs
    )
    return mod.TransactionEventRequest(
        event_type=event,
        timestamp=when,
        trigger_reason=trigger,
        seq_no=seq_no,
        transaction_info=info,
        meter_value=meter,
        offline=offline,
        evse=mod.EVSE(id=1, connector_id=1),
        id_token=None if token is None else mod.IdToken(id_token=token, type="ISO14443"),
    )


def start16(minute: float, meter: int = 1000, tag: str = "TAG1", connector: int = 1) -> Any:
    return v16.StartTransactionRequest(
        connector_id=connector, id_tag=tag, meter_start=meter, timestamp=at(minute)
    )


def stop16(
    tx: int, minute: float, meter: int, reason: str | None = None, tag: str | None = None
) -> Any:
    return v16.StopTransactionRequest(
        transaction_id=tx, timestamp=at(minute), meter_stop=meter, reason=reason, id_tag=tag
    )


def meter16(tx: int | None, minute: float, wh: float | str, unit: str = "Wh") -> Any:
    sample = v16.SampledValue(value=str(wh), unit=unit, context="Sample.Periodic")
    return v16.MeterValuesRequest(
        connector_id=1,
        transaction_id=tx,
        meter_value=(v16.MeterValue(timestamp=at(minute), sampled_value=(sample,)),),
    )
