"""A corpus of realistic OCPP-J payloads for 1.6 and 2.0.1, shared by the benchmarks.

Each entry is ``(action, kind, payload)``; every payload is valid for its
schema (the benchmarks check that before timing anything).
"""

from __future__ import annotations

from typing import Any

TS = "2026-03-14T09:26:53.589Z"


def _periods_16() -> list[dict[str, Any]]:
    return [{"startPeriod": h * 3600, "limit": round(16 + (h % 6) * 2.3, 1)} for h in range(24)]


def _periods_201() -> list[dict[str, Any]]:
    return [
        {"startPeriod": h * 3600, "limit": round(11000 + (h % 6) * 730.5, 1), "numberPhases": 3}
        for h in range(24)
    ]


def _sampled_16() -> list[dict[str, Any]]:
    values = [
        {
            "value": "15234.5",
            "context": "Sample.Periodic",
            "measurand": "Energy.Active.Import.Register",
            "unit": "Wh",
            "location": "Outlet",
        },
        {
            "value": "7210.4",
            "context": "Sample.Periodic",
            "measurand": "Power.Active.Import",
            "unit": "W",
        },
    ]
    for phase in ("L1", "L2", "L3"):
        values.append(
            {
                "value": "10.4",
                "context": "Sample.Periodic",
                "measurand": "Current.Import",
                "phase": phase,
                "unit": "A",
            }
        )
    for phase in ("L1-N", "L2-N", "L3-N"):
        values.append(
            {
                "value": "231.2",
                "context": "Sample.Periodic",
                "measurand": "Voltage",
                "phase": phase,
                "unit": "V",
            }
        )
    values.append(
        {"value": "32", "context": "Sample.Periodic", "measurand": "Current.Offered", "unit": "A"}
    )
    values.append(
        {
            "value": "64",
            "context": "Sample.Periodic",
            "measurand": "SoC",
            "unit": "Percent",
            "location": "EV",
        }
    )
    values.append(
        {
            "value": "38.5",
            "context": "Sample.Periodic",
            "measurand": "Temperature",
            "unit": "Celsius",
            "location": "Body",
        }
    )
    return values


def _sampled_201() -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = [
        {
            "value": 15234.5,
            "context": "Sample.Periodic",
            "measurand": "Energy.Active.Import.Register",
            "location": "Outlet",
            "unitOfMeasure": {"unit": "Wh"},
        },
        {
            "value": 7210.4,
            "context": "Sample.Periodic",
            "measurand": "Power.Active.Import",
            "unitOfMeasure": {"unit": "W"},
        },
    ]
    for phase in ("L1", "L2", "L3"):
        values.append(
            {
                "value": 10.4,
                "context": "Sample.Periodic",
                "measurand": "Current.Import",
                "phase": phase,
                "unitOfMeasure": {"unit": "A"},
            }
        )
    for phase in ("L1-N", "L2-N", "L3-N"):
        values.append(
            {
                "value": 231.2,
                "context": "Sample.Periodic",
                "measurand": "Voltage",
                "phase": phase,
                "unitOfMeasure": {"unit": "V"},
            }
        )
    values.append(
        {
            "value": 32,
            "context": "Sample.Periodic",
            "measurand": "Current.Offered",
            "unitOfMeasure": {"unit": "A"},
        }
    )
    values.append(
        {
            "value": 64,
            "context": "Sample.Periodic",
            "measurand": "SoC",
            "location": "EV",
            "unitOfMeasure": {"unit": "Percent"},
        }
    )
    values.append(
        {
            "value": 11000,
            "context": "Sample.Periodic",
            "measurand": "Power.Offered",
            "unitOfMeasure": {"unit": "W"},
        }
    )
    return values


CORPUS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "1.6": [
        (
            "BootNotification",
            "request",
            {
                "chargePointVendor": "VoltWorks",
                "chargePointModel": "VW-22-AC",
                "chargePointSerialNumber": "VW22-0004711",
                "chargeBoxSerialNumber": "CB-0004711",
                "firmwareVersion": "3.4.1",
                "iccid": "8931440400012345678",
                "imsi": "262011234567890",
                "meterType": "EEM-350-D",
                "meterSerialNumber": "MS-99812",
            },
        ),
        ("Authorize", "request", {"idTag": "04A2B3C4D5E6F7"}),
        (
            "StartTransaction",
            "request",
            {
                "connectorId": 1,
                "idTag": "04A2B3C4D5E6F7",
                "meterStart": 15234,
                "timestamp": TS,
                "reservationId": 12,
            },
        ),
        (
            "MeterValues",
            "request",
            {
                "connectorId": 1,
                "transactionId": 1187,
                "meterValue": [{"timestamp": TS, "sampledValue": _sampled_16()}],
            },
        ),
        (
            "StatusNotification",
            "request",
            {
                "connectorId": 1,
                "errorCode": "NoError",
                "status": "Charging",
                "timestamp": TS,
                "info": "cable locked",
                "vendorId": "VoltWorks",
                "vendorErrorCode": "0",
            },
        ),
        (
            "SetChargingProfile",
            "request",
            {
                "connectorId": 1,
                "csChargingProfiles": {
                    "chargingProfileId": 101,
                    "stackLevel": 1,
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "chargingProfileKind": "Absolute",
                    "chargingSchedule": {
                        "duration": 86400,
                        "startSchedule": "2026-03-14T00:00:00Z",
                        "chargingRateUnit": "A",
                        "chargingSchedulePeriod": _periods_16(),
                        "minChargingRate": 6.0,
                    },
                },
            },
        ),
        (
            "GetCompositeSchedule",
            "response",
            {
                "status": "Accepted",
                "connectorId": 1,
                "scheduleStart": "2026-03-14T00:00:00Z",
                "chargingSchedule": {
                    "duration": 86400,
                    "startSchedule": "2026-03-14T00:00:00Z",
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": _periods_16(),
                },
            },
        ),
        ("Heartbeat", "request", {}),
        (
            "DataTransfer",
            "request",
            {
                "vendorId": "com.voltworks",
                "messageId": "PlugState",
                "data": '{"locked":true,"temp":38.5}',
            },
        ),
    ],
    "2.0.1": [
        (
            "BootNotification",
            "request",
            {
                "reason": "PowerUp",
                "chargingStation": {
                    "model": "VW-22-AC",
                    "vendorName": "VoltWorks",
                    "serialNumber": "VW22-0004711",
                    "firmwareVersion": "3.4.1",
                    "modem": {"iccid": "8931440400012345678", "imsi": "262011234567890"},
                },
            },
        ),
        ("Authorize", "request", {"idToken": {"idToken": "04A2B3C4D5E6F7", "type": "ISO14443"}}),
        (
            "TransactionEvent",
            "request",
            {
                "eventType": "Started",
                "timestamp": TS,
                "triggerReason": "Authorized",
                "seqNo": 0,
                "transactionInfo": {
                    "transactionId": "f3b2c1d0-7a6e-4b5c-9d8e-112233445566",
                    "chargingState": "Charging",
                },
                "idToken": {"idToken": "04A2B3C4D5E6F7", "type": "ISO14443"},
                "evse": {"id": 1, "connectorId": 1},
                "meterValue": [{"timestamp": TS, "sampledValue": _sampled_201()[:3]}],
            },
        ),
        (
            "MeterValues",
            "request",
            {"evseId": 1, "meterValue": [{"timestamp": TS, "sampledValue": _sampled_201()}]},
        ),
        (
            "StatusNotification",
            "request",
            {"timestamp": TS, "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1},
        ),
        (
            "SetChargingProfile",
            "request",
            {
                "evseId": 1,
                "chargingProfile": {
                    "id": 101,
                    "stackLevel": 1,
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "chargingProfileKind": "Absolute",
                    "chargingSchedule": [
                        {
                            "id": 1,
                            "duration": 86400,
                            "startSchedule": "2026-03-14T00:00:00Z",
                            "chargingRateUnit": "W",
                            "chargingSchedulePeriod": _periods_201(),
                            "minChargingRate": 4140.0,
                        }
                    ],
                },
            },
        ),
        (
            "GetCompositeSchedule",
            "response",
            {
                "status": "Accepted",
                "schedule": {
                    "evseId": 1,
                    "duration": 86400,
                    "scheduleStart": "2026-03-14T00:00:00Z",
                    "chargingRateUnit": "W",
                    "chargingSchedulePeriod": _periods_201(),
                },
            },
        ),
        ("Heartbeat", "request", {}),
        (
            "DataTransfer",
            "request",
            {
                "vendorId": "com.voltworks",
                "messageId": "PlugState",
                "data": {"locked": True, "temp": 38.5},
            },
        ),
    ],
}
"""Payloads per version: ``(action, kind, payload)``."""
