"""All naming rules of the code generator, in one tested place.

* **Datatype and enum names.** 2.x schemas (and the 1.6 security-extension
  schemas) name their datatypes under ``definitions``; the bundle uses those
  names with a trailing ``Type`` dropped (``IdTokenType`` -> ``IdToken``,
  ``IdTokenEnumType`` -> ``IdTokenEnum``). The 1.6 core schemas nest anonymous
  objects and enums; :data:`V16_NAMES` gives each of them the name the 1.6
  specification uses (``IdTagInfo``, ``ChargePointStatus``, ...). Where two 1.6
  files define "the same" type differently the table gives the variants
  distinct names, so the bundle stays faithful to every file.
* **Attribute names** are the wire names in snake_case (:func:`snake_case`),
  with the few exceptions in :data:`FIELD_OVERRIDES`.
* **Enum member names** are the values in UPPER_SNAKE (:func:`enum_member_name`).
"""

from __future__ import annotations

import keyword
import re

__all__ = [
    "ANONYMOUS_NAMES",
    "DEFINITION_OVERRIDES",
    "FIELD_OVERRIDES",
    "V20_NAMES",
    "V16_NAMES",
    "class_name_for_definition",
    "enum_member_name",
    "snake_case",
]

_CHARGING_PROFILE = {
    "": "ChargingProfile",
    ".chargingProfilePurpose": "ChargingProfilePurposeType",
    ".chargingProfileKind": "ChargingProfileKindType",
    ".recurrencyKind": "RecurrencyKindType",
    ".chargingSchedule": "ChargingSchedule",
    ".chargingSchedule.chargingRateUnit": "ChargingRateUnitType",
    ".chargingSchedule.chargingSchedulePeriod[]": "ChargingSchedulePeriod",
}
_SAMPLED_VALUE_ENUMS = {
    ".context": "ReadingContext",
    ".format": "ValueFormat",
    ".measurand": "Measurand",
    ".phase": "Phase",
    ".location": "Location",
}


def _build_v16_names() -> dict[str, str]:
    names = {
        "AuthorizeResponse.idTagInfo": "IdTagInfo",
        "AuthorizeResponse.idTagInfo.status": "AuthorizationStatus",
        "BootNotificationResponse.status": "RegistrationStatus",
        "CancelReservationResponse.status": "CancelReservationStatus",
        "ChangeAvailabilityRequest.type": "AvailabilityType",
        "ChangeAvailabilityResponse.status": "AvailabilityStatus",
        "ChangeConfigurationResponse.status": "ConfigurationStatus",
        "ClearCacheResponse.status": "ClearCacheStatus",
        "ClearChargingProfileRequest.chargingProfilePurpose": "ChargingProfilePurposeType",
        "ClearChargingProfileResponse.status": "ClearChargingProfileStatus",
        "DataTransferResponse.status": "DataTransferStatus",
        "DiagnosticsStatusNotificationRequest.status": "DiagnosticsStatus",
        "FirmwareStatusNotificationRequest.status": "FirmwareStatus",
        "GetCompositeScheduleRequest.chargingRateUnit": "ChargingRateUnitType",
        "GetCompositeScheduleResponse.status": "GetCompositeScheduleStatus",
        "GetCompositeScheduleResponse.chargingSchedule": "ChargingSchedule",
        "GetCompositeScheduleResponse.chargingSchedule.chargingRateUnit": "ChargingRateUnitType",
        "GetCompositeScheduleResponse.chargingSchedule.chargingSchedulePeriod[]": (
            "ChargingSchedulePeriod"
        ),
        "GetConfigurationResponse.configurationKey[]": "KeyValue",
        "MeterValuesRequest.meterValue[]": "MeterValue",
        "MeterValuesRequest.meterValue[].sampledValue[]": "SampledValue",
        "MeterValuesRequest.meterValue[].sampledValue[].unit": "UnitOfMeasure",
        "RemoteStartTransactionResponse.status": "RemoteStartStopStatus",
        "RemoteStopTransactionResponse.status": "RemoteStartStopStatus",
        "ReserveNowResponse.status": "ReservationStatus",
        "ResetRequest.type": "ResetType",
        "ResetResponse.status": "ResetStatus",
        "SendLocalListRequest.localAuthorizationList[]": "AuthorizationData",
        "SendLocalListRequest.localAuthorizationList[].idTagInfo": "IdTagInfo",
        "SendLocalListRequest.localAuthorizationList[].idTagInfo.status": "AuthorizationStatus",
        "SendLocalListRequest.updateType": "UpdateType",
        "SendLocalListResponse.status": "UpdateStatus",
        "SetChargingProfileResponse.status": "ChargingProfileStatus",
        "StartTransactionResponse.idTagInfo": "IdTagInfo",
        "StartTransactionResponse.idTagInfo.status": "AuthorizationStatus",
        "StatusNotificationRequest.errorCode": "ChargePointErrorCode",
        "StatusNotificationRequest.status": "ChargePointStatus",
        "StopTransactionRequest.reason": "Reason",
        # The official StopTransaction schema lists "Celcius" but not "Celsius" in
        # its unit enum (MeterValues has both), so its meter values are a variant.
        "StopTransactionRequest.transactionData[]": "TransactionMeterValue",
        "StopTransactionRequest.transactionData[].sampledValue[]": "TransactionSampledValue",
        "StopTransactionRequest.transactionData[].sampledValue[].unit": (
            "TransactionUnitOfMeasure"
        ),
        "StopTransactionResponse.idTagInfo": "IdTagInfo",
        "StopTransactionResponse.idTagInfo.status": "AuthorizationStatus",
        "TriggerMessageRequest.requestedMessage": "MessageTrigger",
        "TriggerMessageResponse.status": "TriggerMessageStatus",
        "UnlockConnectorResponse.status": "UnlockStatus",
    }
    for root in (
        "RemoteStartTransactionRequest.chargingProfile",
        "SetChargingProfileRequest.csChargingProfiles",
    ):
        for suffix, name in _CHARGING_PROFILE.items():
            names[root + suffix] = name
    for root in (
        "MeterValuesRequest.meterValue[].sampledValue[]",
        "StopTransactionRequest.transactionData[].sampledValue[]",
    ):
        for suffix, name in _SAMPLED_VALUE_ENUMS.items():
            names[root + suffix] = name
    return names


V16_NAMES: dict[str, str] = _build_v16_names()
"""Names of the anonymous objects and enums of the OCPP 1.6 core schemas.

Keys are paths: ``<Message>.<property>``, ``[]`` for the items of an array.
"""

V20_NAMES: dict[str, str] = {
    # OCPP 2.0 (2018) writes many enums inline; each takes the name that 2.0.1
    # gives the enum of the same field (its values may differ from 2.0.1's).
    "BootNotificationResponse.status": "RegistrationStatusEnum",
    "CancelReservationResponse.status": "CancelReservationStatusEnum",
    "CertificateSignedRequest.typeOfCertificate": "CertificateSigningUseEnum",
    "CertificateSignedResponse.status": "CertificateSignedStatusEnum",
    "ChangeAvailabilityRequest.operationalStatus": "OperationalStatusEnum",
    "ChangeAvailabilityResponse.status": "ChangeAvailabilityStatusEnum",
    "ClearCacheResponse.status": "ClearCacheStatusEnum",
    "ClearChargingProfileResponse.status": "ClearChargingProfileStatusEnum",
    "ClearDisplayMessageResponse.status": "ClearMessageStatusEnum",
    "ClearedChargingLimitRequest.chargingLimitSource": "ChargingLimitSourceEnum",
    "CustomerInformationResponse.status": "CustomerInformationStatusEnum",
    "DataTransferResponse.status": "DataTransferStatusEnum",
    "DeleteCertificateResponse.status": "DeleteCertificateStatusEnum",
    "FirmwareStatusNotificationRequest.status": "FirmwareStatusEnum",
    "GetBaseReportRequest.reportBase": "ReportBaseEnum",
    "GetBaseReportResponse.status": "GenericDeviceModelStatusEnum",
    "GetCertificateStatusResponse.status": "GetCertificateStatusEnum",
    "GetChargingProfilesResponse.status": "GetChargingProfileStatusEnum",
    "GetCompositeScheduleRequest.chargingRateUnit": "ChargingRateUnitEnum",
    "GetDisplayMessagesRequest.priority": "MessagePriorityEnum",
    "GetDisplayMessagesRequest.state": "MessageStateEnum",
    "GetDisplayMessagesResponse.status": "GetDisplayMessagesStatusEnum",
    "GetInstalledCertificateIdsRequest.typeOfCertificate": "GetCertificateIdUseEnum",
    "GetLogResponse.status": "LogStatusEnum",
    "GetMonitoringReportResponse.status": "GenericDeviceModelStatusEnum",
    "GetReportResponse.status": "GenericDeviceModelStatusEnum",
    "InstallCertificateRequest.certificateType": "InstallCertificateUseEnum",
    "InstallCertificateResponse.status": "InstallCertificateStatusEnum",
    "LogStatusNotificationRequest.status": "UploadLogStatusEnum",
    "NotifyCentralChargingNeedsResponse.status": "NotifyCentralChargingNeedsStatusEnum",
    "NotifyEVChargingNeedsResponse.status": "NotifyEVChargingNeedsStatusEnum",
    "NotifyEVChargingScheduleResponse.status": "GenericStatusEnum",
    "PublishFirmwareResponse.status": "GenericStatusEnum",
    "PublishFirmwareStatusNotificationRequest.status": "PublishFirmwareStatusEnum",
    "Renegotiate15118ScheduleResponse.status": "Renegotiate15118ScheduleStatusEnum",
    "RequestStartTransactionResponse.status": "RequestStartStopStatusEnum",
    "RequestStopTransactionResponse.status": "RequestStartStopStatusEnum",
    "ReservationStatusUpdateRequest.reservationUpdateStatus": "ReservationUpdateStatusEnum",
    "ReserveNowResponse.status": "ReserveNowStatusEnum",
    "ResetRequest.type": "ResetEnum",
    "ResetResponse.status": "ResetStatusEnum",
    "SecurityEventNotificationRequest.type": "SecurityEventEnum",
    "SendLocalListResponse.status": "SendLocalListStatusEnum",
    "SetChargingProfileResponse.status": "ChargingProfileStatusEnum",
    "SetDisplayMessageResponse.status": "DisplayMessageStatusEnum",
    "SetMonitoringBaseRequest.monitoringBase": "MonitoringBaseEnum",
    "SetMonitoringBaseResponse.status": "GenericDeviceModelStatusEnum",
    "SetMonitoringLevelResponse.status": "GenericStatusEnum",
    "SetNetworkProfileResponse.status": "SetNetworkProfileStatusEnum",
    "SignCertificateRequest.typeOfCertificate": "CertificateSigningUseEnum",
    "SignCertificateResponse.status": "GenericStatusEnum",
    "StatusNotificationRequest.connectorStatus": "ConnectorStatusEnum",
    "TriggerMessageResponse.status": "TriggerMessageStatusEnum",
    "UnlockConnectorResponse.status": "UnlockStatusEnum",
    "UnpublishFirmwareResponse.status": "UnpublishFirmwareStatusEnum",
    "Update15118EVCertificateResponse.status": "Iso15118EVCertificateStatusEnum",
    "UpdateFirmwareResponse.status": "UpdateFirmwareStatusEnum",
}
"""Names of the anonymous enums of the OCPP 2.0 (2018) schemas, keyed like :data:`V16_NAMES`."""

ANONYMOUS_NAMES: dict[str, dict[str, str]] = {"1.6": V16_NAMES, "2.0": V20_NAMES}
"""The naming table of each version whose schemas have anonymous objects or enums."""

DEFINITION_OVERRIDES: dict[tuple[str, str, str], str] = {
    # Two 2.0 messages let a ChargingSchedule have no periods, unlike the other
    # 2.0 messages, so that variant is a type of its own.
    ("2.0", "GetCompositeScheduleResponse", "ChargingScheduleType"): (
        "ChargingScheduleOptionalPeriods"
    ),
    ("2.0", "NotifyEVChargingScheduleRequest", "ChargingScheduleType"): (
        "ChargingScheduleOptionalPeriods"
    ),
}
"""Class names for definitions that one file defines unlike the others:
``(version, message, definition) -> name``."""

FIELD_OVERRIDES: dict[str, str] = {
    # A wire name that starts with a digit cannot be a Python name; 2.0.1 calls
    # the same field ``iso15118SchemaVersion``.
    "15118SchemaVersion": "iso15118_schema_version",
    "15118CertificateHashData": "iso15118_certificate_hash_data",
    # A plural acronym: the rule would split it as ``emai_ds``.
    "prioritizedEMAIDs": "prioritized_emaids",
}
"""Attribute names that :func:`snake_case` cannot derive by rule."""


def class_name_for_definition(definition: str, version: str = "", message: str = "") -> str:
    """Return the class name for a schema ``definitions`` entry.

    :data:`DEFINITION_OVERRIDES` is consulted first, for the definition as
    written in ``message`` of ``version``.

    >>> class_name_for_definition("IdTokenType")
    'IdToken'
    >>> class_name_for_definition("IdTokenEnumType")
    'IdTokenEnum'
    >>> class_name_for_definition("15118EVCertificateStatusEnumType")
    'Iso15118EVCertificateStatusEnum'
    >>> class_name_for_definition("Type")
    'Type'
    """
    override = DEFINITION_OVERRIDES.get((version, message, definition))
    if override is not None:
        return override
    name = definition
    if name.endswith("Type") and len(name) > 4:
        name = name[:-4]
    if name[:1].isdigit():
        # 2.0 names ISO 15118 types by the standard's number alone.
        name = "Iso" + name
    return name


_UPPER_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z0-9])(?=[A-Z][a-z])")
# Enum values such as ``kWh`` or ``eMAID`` start with a one-letter prefix that
# is not a word of its own, so a lower-case letter makes a boundary only when
# something stands before it (``NoError`` -> ``NO_ERROR``, ``kWh`` -> ``KWH``).
_ENUM_BOUNDARY = re.compile(r"(?<=[A-Za-z0-9][a-z])(?=[A-Z])|(?<=[A-Z0-9])(?=[A-Z][a-z])")


def snake_case(wire_name: str) -> str:
    """Return the Python attribute name for a camelCase wire name.

    An underscore goes before a capital that follows a lower-case letter, and
    before the last capital of an acronym that a lower-case letter follows;
    digits stay with what they touch. Python keywords get a trailing ``_``.

    >>> snake_case("chargePointVendor")
    'charge_point_vendor'
    >>> snake_case("responderURL")
    'responder_url'
    >>> snake_case("evMaxV2XEnergyRequest")
    'ev_max_v2x_energy_request'
    >>> snake_case("iso15118SchemaVersion")
    'iso15118_schema_version'
    >>> snake_case("fullSoC")
    'full_soc'
    >>> snake_case("limit_L2")
    'limit_l2'
    >>> snake_case("EVSE")
    'evse'
    """
    if wire_name in FIELD_OVERRIDES:
        return FIELD_OVERRIDES[wire_name]
    # State of charge / health are one word each: ``fullSoC`` -> ``full_soc``.
    name = wire_name.replace("SoC", "Soc").replace("SoH", "Soh")
    name = _UPPER_BOUNDARY.sub("_", name).lower()
    name = re.sub(r"[^0-9a-z_]", "_", name)
    if not name.isidentifier():
        raise ValueError(f"no rule names the wire field {wire_name!r}; add it to FIELD_OVERRIDES")
    # Hard keywords only: soft keywords (``match``, ``type``) are valid names,
    # and their list grows with Python versions, which would make the output
    # depend on the Python that runs the generator.
    if keyword.iskeyword(name):
        name += "_"
    return name


def enum_member_name(value: str) -> str:
    """Return the UPPER_SNAKE member name for an enumeration value.

    >>> enum_member_name("Energy.Active.Import.Register")
    'ENERGY_ACTIVE_IMPORT_REGISTER'
    >>> enum_member_name("L1-N")
    'L1_N'
    >>> enum_member_name("kWh")
    'KWH'
    >>> enum_member_name("EVDisconnected")
    'EV_DISCONNECTED'
    >>> enum_member_name("ISO15118-2")
    'ISO15118_2'
    >>> enum_member_name("NoError")
    'NO_ERROR'
    >>> enum_member_name("SoC")
    'SOC'
    >>> enum_member_name("eMAID")
    'EMAID'
    >>> enum_member_name("3")
    'V3'
    """
    name = _ENUM_BOUNDARY.sub("_", value.replace("SoC", "Soc").replace("RoCoF", "Rocof"))
    name = re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").upper()
    if not name:
        raise ValueError(f"no member name for enumeration value {value!r}")
    if name[0].isdigit():
        name = "V" + name
    if keyword.iskeyword(name):
        name += "_"
    return name
