"""Which side sends the request of each action, per OCPP version.

The OCA JSON schemas do not say who sends a message; the specifications do
(OCPP 1.6 section 3 and the security whitepaper; OCPP 2.x part 2, per use
case). The importer writes this table into each bundle as the ``senders``
annotation of every action, and the RPC session uses it to answer an action
sent by the wrong side.
"""

from __future__ import annotations

__all__ = ["BOTH", "CS", "CSMS", "senders_for"]

CS = ("ChargingStation",)
"""Sent by the charging station (1.6: Charge Point)."""
CSMS = ("CSMS",)
"""Sent by the CSMS (1.6: Central System)."""
BOTH = ("ChargingStation", "CSMS")
"""Sent by either side."""

_V16_CS = """Authorize BootNotification DiagnosticsStatusNotification
FirmwareStatusNotification Heartbeat MeterValues StartTransaction StatusNotification
StopTransaction LogStatusNotification SecurityEventNotification SignCertificate
SignedFirmwareStatusNotification"""
_V16_CSMS = """CancelReservation ChangeAvailability ChangeConfiguration ClearCache
ClearChargingProfile GetCompositeSchedule GetConfiguration GetDiagnostics
GetLocalListVersion RemoteStartTransaction RemoteStopTransaction ReserveNow Reset
SendLocalList SetChargingProfile TriggerMessage UnlockConnector UpdateFirmware
CertificateSigned DeleteCertificate ExtendedTriggerMessage GetInstalledCertificateIds
GetLog InstallCertificate SignedUpdateFirmware"""

_V201_CS = """Authorize BootNotification ClearedChargingLimit FirmwareStatusNotification
Get15118EVCertificate GetCertificateStatus Heartbeat LogStatusNotification MeterValues
NotifyChargingLimit NotifyCustomerInformation NotifyDisplayMessages NotifyEVChargingNeeds
NotifyEVChargingSchedule NotifyEvent NotifyMonitoringReport NotifyReport
PublishFirmwareStatusNotification ReportChargingProfiles ReservationStatusUpdate
SecurityEventNotification SignCertificate StatusNotification TransactionEvent"""
_V201_CSMS = """CancelReservation CertificateSigned ChangeAvailability ClearCache
ClearChargingProfile ClearDisplayMessage ClearVariableMonitoring CostUpdated
CustomerInformation DeleteCertificate GetBaseReport GetChargingProfiles
GetCompositeSchedule GetDisplayMessages GetInstalledCertificateIds GetLocalListVersion
GetLog GetMonitoringReport GetReport GetTransactionStatus GetVariables InstallCertificate
PublishFirmware RequestStartTransaction RequestStopTransaction ReserveNow Reset
SendLocalList SetChargingProfile SetDisplayMessage SetMonitoringBase SetMonitoringLevel
SetNetworkProfile SetVariableMonitoring SetVariables TriggerMessage UnlockConnector
UnpublishFirmware UpdateFirmware"""

# OCPP 2.0 (2018) had three more actions, dropped in 2.0.1.
_V20_CS = _V201_CS + " Update15118EVCertificate"
_V20_CSMS = _V201_CSMS + " NotifyCentralChargingNeeds Renegotiate15118Schedule"

# OCPP 2.1 adds 27 actions to 2.0.1.
_V21_CS = (
    _V201_CS
    + """ BatterySwap ClosePeriodicEventStream GetCertificateChainStatus NotifyDERAlarm
NotifyDERStartStop NotifyPeriodicEventStream NotifyPriorityCharging NotifySettlement
OpenPeriodicEventStream PullDynamicScheduleUpdate ReportDERControl VatNumberValidation"""
)
_V21_CSMS = (
    _V201_CSMS
    + """ AFRRSignal AdjustPeriodicEventStream ChangeTransactionTariff ClearDERControl
ClearTariffs GetDERControl GetPeriodicEventStream GetTariffs NotifyAllowedEnergyTransfer
NotifyWebPaymentStarted RequestBatterySwap SetDERControl SetDefaultTariff
UpdateDynamicSchedule UsePriorityCharging"""
)

_TABLES = {
    "1.6": (_V16_CS, _V16_CSMS),
    "2.0": (_V20_CS, _V20_CSMS),
    "2.0.1": (_V201_CS, _V201_CSMS),
    "2.1": (_V21_CS, _V21_CSMS),
}


def _table(version: str) -> dict[str, tuple[str, ...]]:
    cs_text, csms_text = _TABLES[version]
    table: dict[str, tuple[str, ...]] = {"DataTransfer": BOTH}
    for name in cs_text.split():
        table[name] = CS
    for name in csms_text.split():
        table[name] = CSMS
    return table


def senders_for(version: str, action: str) -> tuple[str, ...]:
    """Return who may send the request of ``action`` in ``version``.

    Raises:
        KeyError: when the table does not know the action.

    >>> senders_for("2.0.1", "BootNotification")
    ('ChargingStation',)
    >>> senders_for("1.6", "DataTransfer")
    ('ChargingStation', 'CSMS')
    """
    return _table(version)[action]
