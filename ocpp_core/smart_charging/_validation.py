"""SetChargingProfile acceptance rules of OCPP 1.6, 2.0.1 and 2.1.

Theory of operation
-------------------
:func:`validate_profile` checks a profile against the station, the installed
profiles and the request it came in, and answers Accepted or Rejected with the
:class:`Rule` that refused it. Each rule carries its requirement id where the
specification has one (as libocpp labels them; see the semantics notes,
sections 6.1 to 6.3), the 2.x ``statusInfo.reasonCode`` and the libocpp
``additionalInfo`` text (:data:`RULES`). The checks run in libocpp's order, so
the first failing rule is the one reported.

Acceptance may change the profile before it is stored: 2.x fills in
``numberPhases = 3`` on AC (K01.FR.49) and 1.6 clamps a Recurring duration to
the recurrence period (libocpp). :attr:`ValidationResult.profile` is the
profile to store.

Beyond libocpp, three configured maxima are enforced in 2.x as well as in 1.6
(``ProfileStackLevel``, ``PeriodsPerSchedule``, ``Entries[ChargingProfiles]``),
as the semantics notes advise; they have no requirement id.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from ocpp_core.errors import ErrorCode, SmartChargingValueError
from ocpp_core.errors import RuleRefusal as _RefusedError
from ocpp_core.smart_charging._enums import to_enum, to_version
from ocpp_core.smart_charging._model import (
    ChargingProfile,
    ChargingRateUnit,
    ChargingSchedule,
    InstalledProfile,
    OperationMode,
    PhaseType,
    ProfileKind,
    ProfilePurpose,
    RecurrencyKind,
    SchedulePeriod,
    SmartChargingFeature,
    Station,
    Transaction,
    to_epoch,
)
from ocpp_core.versions import OcppVersion

if TYPE_CHECKING:
    from ocpp_core.smart_charging._store import ProfileStore

__all__ = [
    "RULES",
    "ProfileSource",
    "Rule",
    "RuleInfo",
    "ValidationResult",
    "ValidationStatus",
    "period_mode_problem",
    "validate_profile",
]


class ValidationStatus(enum.StrEnum):
    """SetChargingProfile status."""

    ACCEPTED = "Accepted"
    """The profile is accepted (and may be stored)."""
    REJECTED = "Rejected"
    """The profile is refused; see the rule."""


class ProfileSource(enum.StrEnum):
    """The message a profile arrived in."""

    SET_CHARGING_PROFILE = "SetChargingProfile"
    """SetChargingProfile (the normal case)."""
    REQUEST_START_TRANSACTION = "RequestStartTransaction"
    """2.x RequestStartTransaction / 1.6 RemoteStartTransaction: a TxProfile for the
    transaction about to start (no transaction needs to be active yet)."""
    EXTERNAL = "External"
    """2.x: installed by the station itself for an external system (an EMS), the only way
    a ChargingStationExternalConstraints profile gets in (K01.FR.22 does not apply)."""


class Rule(enum.StrEnum):
    """A SetChargingProfile acceptance rule; the value is a stable identifier.

    For 2.x the values are libocpp's ``additionalInfo`` names, so that an answer
    reads the same as libocpp's.
    """

    # 2.0.1 and 2.1
    SMART_CHARGING_UNAVAILABLE = "SmartChargingCtrlrUnavailable"
    """SmartChargingCtrlr.Available is false: CALLERROR NotSupported (K01.FR.29)."""
    EXTERNAL_CONSTRAINTS_IN_REQUEST = (
        "ChargingStationExternalConstraintsInSetChargingProfileRequest"
    )
    """SetChargingProfile may not install ChargingStationExternalConstraints (K01.FR.22)."""
    EVSE_DOES_NOT_EXIST = "EvseDoesNotExist"
    """The EVSE does not exist (K01.FR.28)."""
    EXISTING_EXTERNAL_CONSTRAINTS = "ExstingChargingStationExternalConstraints"
    """The id belongs to an installed external-constraints profile (K01.FR.05)."""
    EMPTY_CHARGING_SCHEDULES = "ChargingProfileEmptyChargingSchedules"
    """The profile has no charging schedule."""
    NO_CHARGING_SCHEDULE_PERIODS = "ChargingProfileNoChargingSchedulePeriods"
    """A schedule has no period."""
    RATE_UNIT_UNSUPPORTED = "ChargingScheduleChargingRateUnitUnsupported"
    """The unit is not a supported rate unit (K01.FR.26; 1.6 allowed units)."""
    FIRST_START_PERIOD_NOT_ZERO = "ChargingProfileFirstStartScheduleIsNotZero"
    """The first period does not start at 0 (K01.FR.31)."""
    PERIODS_OUT_OF_ORDER = "ChargingSchedulePeriodsOutOfOrder"
    """startPeriod values are not strictly increasing (K01.FR.35)."""
    INVALID_PHASE_TO_USE = "ChargingSchedulePeriodInvalidPhaseToUse"
    """phaseToUse with numberPhases other than 1 (K01.FR.19/K01.FR.48)."""
    PHASE_SWITCHING_UNSUPPORTED = "ChargingSchedulePeriodPhaseToUseACPhaseSwitchingUnsupported"
    """phaseToUse while ACPhaseSwitchingSupported is not true (K01.FR.20/K01.FR.48)."""
    EXTRANEOUS_PHASE_VALUES = "ChargingSchedulePeriodExtraneousPhaseValues"
    """2.0.1: numberPhases or phaseToUse on a DC EVSE (K01.FR.44)."""
    NO_PHASE_FOR_DC = "ChargingSchedulePeriodNoPhaseForDC"
    """2.1: numberPhases or phaseToUse on a DC EVSE without DCInputPhaseControl (K01.FR.44)."""
    UNSUPPORTED_NUMBER_PHASES = "ChargingSchedulePeriodUnsupportedNumberPhases"
    """numberPhases above the station's supply phases (K01.FR.45)."""
    MISSING_START_SCHEDULE = "ChargingProfileMissingRequiredStartSchedule"
    """Absolute or Recurring without startSchedule (K01.FR.40; 1.6 likewise)."""
    EXTRANEOUS_START_SCHEDULE = "ChargingProfileExtraneousStartSchedule"
    """Relative with a startSchedule (K01.FR.41)."""
    DUPLICATE_VALIDITY_PERIOD = "DuplicateProfileValidityPeriod"
    """Same purpose, stack level and EVSE as another id with overlapping validity (K01.FR.06)."""
    MAX_PROFILE_EVSE_NOT_ZERO = "ChargingStationMaxProfileEvseIdGreaterThanZero"
    """ChargingStationMaxProfile on an EVSE (K01.FR.03 as libocpp labels it; K04.FR.03)."""
    MAX_PROFILE_RELATIVE = "ChargingStationMaxProfileCannotBeRelative"
    """ChargingStationMaxProfile of kind Relative (K01.FR.38)."""
    DUPLICATE_TX_DEFAULT_STATION_WIDE = "DuplicateTxDefaultProfileFound"
    """Station-wide TxDefault while an EVSE TxDefault has that stack level (K01.FR.52)."""
    DUPLICATE_TX_DEFAULT_EVSE = "DuplicateTxDefaultProfileFoundOnEvse"
    """EVSE TxDefault while a station-wide TxDefault has that stack level (K01.FR.53)."""
    TX_PROFILE_EVSE_NOT_POSITIVE = "TxProfileEvseIdNotGreaterThanZero"
    """TxProfile for EVSE 0 (K01.FR.16)."""
    TX_PROFILE_MISSING_TRANSACTION_ID = "TxProfileMissingTransactionId"
    """TxProfile without transactionId (K01.FR.03)."""
    TX_PROFILE_NO_ACTIVE_TRANSACTION = "TxProfileEvseHasNoActiveTransaction"
    """TxProfile while the EVSE has no transaction (K01.FR.09)."""
    TX_PROFILE_TRANSACTION_NOT_ON_EVSE = "TxProfileTransactionNotOnEvse"
    """TxProfile whose transactionId is not the EVSE's transaction (K01.FR.33)."""
    TX_PROFILE_CONFLICTING_STACK_LEVEL = "TxProfileConflictingStackLevel"
    """TxProfile with the transaction and stack level of another id (K01.FR.39)."""
    REQUEST_START_NON_TX_PROFILE = "RequestStartTransactionNonTxProfile"
    """A start-transaction request carrying a profile that is not a TxProfile (K05.FR.02)."""
    STACK_LEVEL_TOO_HIGH = "ChargingProfileStackLevelTooHigh"
    """stackLevel above ProfileStackLevel / ChargeProfileMaxStackLevel (1.6; 2.x: ours)."""
    TOO_MANY_PERIODS = "ChargingScheduleTooManyPeriods"
    """More periods than PeriodsPerSchedule / ChargingScheduleMaxPeriods (1.6; 2.x: ours)."""
    TOO_MANY_PROFILES = "ChargingProfileTooManyInstalled"
    """The store is full (MaxChargingProfilesInstalled / Entries[ChargingProfiles])."""
    # 2.1 only
    RATE_LIMIT_EXCEEDED = "ChargingProfileRateLimitExceeded"
    """A profile of the same purpose was accepted less than UpdateRateLimit ago (K01.FR.56)."""
    PRIORITY_CHARGING_DURATION = "ChargingSchedulePriorityExtranousDuration"
    """PriorityCharging schedule with a duration (K01.FR.70)."""
    PRIORITY_CHARGING_NOT_CHARGING_ONLY = "ChargingSchedulePeriodPriorityChargingNotChargingOnly"
    """PriorityCharging period with an operationMode other than ChargingOnly (K01.FR.71)."""
    ID_BELOW_MAX_EXTERNAL_CONSTRAINTS_ID = "ChargingProfileIdSmallerThanMaxExternalConstraintsId"
    """Profile id not above MaxExternalConstraintsId (K01.FR.81)."""
    RANDOMIZED_DELAY_PURPOSE = "ChargingScheduleRandomizedDelay"
    """randomizedDelay on a purpose other than TxProfile/TxDefaultProfile (K01.FR.95)."""
    UNSUPPORTED_PURPOSE = "ChargingProfileUnsupportedPurpose"
    """PriorityCharging/LocalGeneration not in SupportedAdditionalPurposes (K01.FR.120);
    1.6: a purpose the version or the station does not support."""
    UNSUPPORTED_KIND = "ChargingProfileUnsupportedKind"
    """Dynamic without SupportsFeature[DynamicProfiles] (K01.FR.121); 1.6: Dynamic."""
    NOT_DYNAMIC = "ChargingProfileNotDynamic"
    """dynUpdateInterval/dynUpdateTime on a profile that is not Dynamic (K01.FR.122)."""
    UNSUPPORTED_LOCAL_TIME = "ChargingScheduleUnsupportedLocalTime"
    """useLocalTime without SupportsFeature[UseLocalTime] (K01.FR.123)."""
    UNSUPPORTED_RANDOMIZED_DELAY = "ChargingScheduleUnsupportedRandomizedDelay"
    """randomizedDelay without SupportsFeature[RandomizedDelay] (K01.FR.124)."""
    UNSUPPORTED_LIMIT_AT_SOC = "ChargingScheduleUnsupportedLimitAtSoC"
    """limitAtSoC without SupportsFeature[LimitAtSoC] (K01.FR.125)."""
    UNSUPPORTED_EVSE_SLEEP = "ChargingScheduleUnsupportedEvseSleep"
    """evseSleep without SupportsFeature[EvseSleep] (K01.FR.126)."""
    OPERATION_MODE_NOT_ALLOWED = "ChargingSchedulePeriodUnsupportedOperationMode"
    """An operationMode the purpose may not use (2.1 Table 95)."""
    LIMIT_SETPOINT_MISMATCH = "ChargingSchedulePeriodUnsupportedLimitSetpoint"
    """Limits/setpoints not as the operationMode requires (Q08.FR.04, Q10.FR.01/02)."""
    NO_FREQ_WATT_CURVE = "ChargingSchedulePeriodNoFreqWattCurve"
    """LocalFrequency without a v2xFreqWattCurve of >= 2 points or a v2xBaseline (Q08.FR.02)."""
    LOCAL_FREQUENCY_IN_AMPS = "ChargingScheduleLocalFrequencyInAmps"
    """LocalFrequency in a schedule in A (Q08.FR.05)."""
    SETPOINT_SIGN_DIFFERENCE = "ChargingSchedulePeriodSignDifference"
    """setpoint, setpoint_L2 and setpoint_L3 of a period differ in sign (libocpp)."""
    DYNAMIC_SINGLE_SCHEDULE = "ChargingProfileDynamicMustHaveSingleSchedule"
    """A Dynamic profile needs exactly one schedule (K28.FR.01)."""
    DYNAMIC_SINGLE_PERIOD = "ChargingProfileDynamicMustHaveSinglePeriod"
    """A Dynamic profile's schedule needs exactly one period (K28.FR.01)."""
    # 1.6 only
    CONNECTOR_DOES_NOT_EXIST = "ConnectorDoesNotExist"
    """1.6: connectorId negative or not a connector of the station."""
    MISSING_RECURRENCY_KIND = "ChargingProfileMissingRecurrencyKind"
    """1.6: Recurring without recurrencyKind."""
    INVALID_NUMBER_PHASES = "ChargingSchedulePeriodInvalidNumberPhases"
    """1.6 (libocpp): numberPhases outside 1..3."""
    NEGATIVE_LIMIT = "ChargingSchedulePeriodNegativeLimit"
    """1.6 (libocpp): a negative limit."""
    MAX_PROFILE_NOT_ON_CONNECTOR_ZERO = "ChargePointMaxProfileConnectorIdNotZero"
    """1.6: ChargePointMaxProfile on a connector other than 0."""
    TX_PROFILE_ON_CONNECTOR_ZERO = "TxProfileConnectorIdZero"
    """1.6: TxProfile on connector 0."""
    TX_PROFILE_NO_TRANSACTION = "TxProfileConnectorHasNoActiveTransaction"
    """1.6: TxProfile while the connector has no transaction."""
    TX_PROFILE_TRANSACTION_MISMATCH = "TxProfileTransactionIdMismatch"
    """1.6: TxProfile whose transactionId differs from the connector's transaction."""


def _rule_versions(value: object) -> frozenset[OcppVersion]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise SmartChargingValueError("RuleInfo.versions", value, "a collection of versions")
    return frozenset(
        to_version(item, f"RuleInfo.versions[{index}]") for index, item in enumerate(value)
    )


def _rule_call_error(value: object) -> ErrorCode | None:
    return None if value is None else to_enum(ErrorCode, value, "RuleInfo.call_error")


def _result_status(value: object) -> ValidationStatus:
    return to_enum(ValidationStatus, value, "ValidationResult.status")


def _result_rule(value: object) -> Rule | None:
    return None if value is None else to_enum(Rule, value, "ValidationResult.rule")


def _result_version(value: object) -> OcppVersion | None:
    return None if value is None else to_version(value, "ValidationResult.version")


@attrs.frozen(kw_only=True)
class RuleInfo:
    """What the specification (and libocpp) say about a :class:`Rule`."""

    requirement_id: str | None
    """The requirement id (as libocpp labels it), or ``None`` where there is none."""
    reason_code: str | None
    """2.x ``statusInfo.reasonCode`` (libocpp's value; ours for the rules it lacks)."""
    versions: frozenset[OcppVersion] = attrs.field(converter=_rule_versions)
    """The versions the rule belongs to."""
    call_error: ErrorCode | None = attrs.field(default=None, converter=_rule_call_error)
    """A CALLERROR to answer instead of a Rejected response (K01.FR.29)."""
    additional_info: str | None = None
    """2.x ``statusInfo.additionalInfo``: libocpp's text, where it differs from the rule's value."""


_V16 = frozenset({OcppVersion.V16})
_V2X = frozenset({OcppVersion.V20, OcppVersion.V201, OcppVersion.V21})
_V21 = frozenset({OcppVersion.V21})
_ALL = _V16 | _V2X


def _info(
    requirement: str | None,
    reason: str | None,
    versions: frozenset[OcppVersion],
    call_error: ErrorCode | None = None,
    additional_info: str | None = None,
) -> RuleInfo:
    return RuleInfo(
        requirement_id=requirement,
        reason_code=reason,
        versions=versions,
        call_error=call_error,
        additional_info=additional_info,
    )


RULES: Mapping[Rule, RuleInfo] = MappingProxyType(
    {
        Rule.SMART_CHARGING_UNAVAILABLE: _info("K01.FR.29", None, _V2X, ErrorCode.NOT_SUPPORTED),
        Rule.EXTERNAL_CONSTRAINTS_IN_REQUEST: _info("K01.FR.22", "InvalidValue", _V2X),
        Rule.EVSE_DOES_NOT_EXIST: _info("K01.FR.28", "InvalidValue", _V2X),
        Rule.EXISTING_EXTERNAL_CONSTRAINTS: _info("K01.FR.05", "DuplicateProfile", _V2X),
        Rule.EMPTY_CHARGING_SCHEDULES: _info(None, "InvalidSchedule", _V2X),
        Rule.NO_CHARGING_SCHEDULE_PERIODS: _info(None, "InvalidSchedule", _ALL),
        Rule.RATE_UNIT_UNSUPPORTED: _info("K01.FR.26", "UnsupportedRateUnit", _ALL),
        Rule.FIRST_START_PERIOD_NOT_ZERO: _info("K01.FR.31", "InvalidSchedule", _ALL),
        Rule.PERIODS_OUT_OF_ORDER: _info("K01.FR.35", "InvalidSchedule", _ALL),
        Rule.INVALID_PHASE_TO_USE: _info("K01.FR.19/K01.FR.48", "InvalidSchedule", _V2X),
        Rule.PHASE_SWITCHING_UNSUPPORTED: _info("K01.FR.20/K01.FR.48", "InvalidSchedule", _V2X),
        Rule.EXTRANEOUS_PHASE_VALUES: _info("K01.FR.44", "InvalidSchedule", _V2X - _V21),
        Rule.NO_PHASE_FOR_DC: _info("K01.FR.44", "NoPhaseForDC", _V21),
        Rule.UNSUPPORTED_NUMBER_PHASES: _info("K01.FR.45", "InvalidSchedule", _V2X),
        Rule.MISSING_START_SCHEDULE: _info("K01.FR.40", "InvalidSchedule", _ALL),
        Rule.EXTRANEOUS_START_SCHEDULE: _info("K01.FR.41", "InvalidSchedule", _V2X),
        Rule.DUPLICATE_VALIDITY_PERIOD: _info("K01.FR.06", "DuplicateProfile", _V2X),
        Rule.MAX_PROFILE_EVSE_NOT_ZERO: _info("K01.FR.03/K04.FR.03", "InvalidValue", _V2X),
        Rule.MAX_PROFILE_RELATIVE: _info("K01.FR.38", "InvalidValue", _ALL),
        Rule.DUPLICATE_TX_DEFAULT_STATION_WIDE: _info("K01.FR.52", "DuplicateProfile", _V2X),
        Rule.DUPLICATE_TX_DEFAULT_EVSE: _info(
            "K01.FR.53", "DuplicateProfile", _V2X, additional_info="DuplicateTxDefaultProfileFound"
        ),
        Rule.TX_PROFILE_EVSE_NOT_POSITIVE: _info("K01.FR.16", "InvalidValue", _V2X),
        Rule.TX_PROFILE_MISSING_TRANSACTION_ID: _info("K01.FR.03", "MissingParam", _V2X),
        Rule.TX_PROFILE_NO_ACTIVE_TRANSACTION: _info("K01.FR.09", "TxNotFound", _V2X),
        Rule.TX_PROFILE_TRANSACTION_NOT_ON_EVSE: _info("K01.FR.33", "TxNotFound", _V2X),
        Rule.TX_PROFILE_CONFLICTING_STACK_LEVEL: _info("K01.FR.39", "InvalidStackLevel", _V2X),
        Rule.REQUEST_START_NON_TX_PROFILE: _info("K05.FR.02", "InvalidValue", _ALL),
        Rule.STACK_LEVEL_TOO_HIGH: _info(None, "InvalidStackLevel", _ALL),
        Rule.TOO_MANY_PERIODS: _info(None, "InvalidSchedule", _ALL),
        Rule.TOO_MANY_PROFILES: _info(None, "NoResources", _ALL),
        Rule.RATE_LIMIT_EXCEEDED: _info("K01.FR.56", "RateLimitExceeded", _V21),
        Rule.PRIORITY_CHARGING_DURATION: _info("K01.FR.70", "InvalidSchedule", _V21),
        Rule.PRIORITY_CHARGING_NOT_CHARGING_ONLY: _info("K01.FR.71", "InvalidSchedule", _V21),
        Rule.ID_BELOW_MAX_EXTERNAL_CONSTRAINTS_ID: _info("K01.FR.81", "InvalidProfileId", _V21),
        Rule.RANDOMIZED_DELAY_PURPOSE: _info("K01.FR.95", "InvalidSchedule", _V21),
        Rule.UNSUPPORTED_PURPOSE: _info("K01.FR.120", "UnsupportedPurpose", _ALL),
        Rule.UNSUPPORTED_KIND: _info("K01.FR.121", "UnsupportedKind", _ALL),
        Rule.NOT_DYNAMIC: _info("K01.FR.122", "InvalidProfile", _V21),
        Rule.UNSUPPORTED_LOCAL_TIME: _info("K01.FR.123", "InvalidSchedule", _V21),
        Rule.UNSUPPORTED_RANDOMIZED_DELAY: _info("K01.FR.124", "InvalidSchedule", _V21),
        Rule.UNSUPPORTED_LIMIT_AT_SOC: _info("K01.FR.125", "InvalidSchedule", _V21),
        Rule.UNSUPPORTED_EVSE_SLEEP: _info("K01.FR.126", "InvalidSchedule", _V21),
        Rule.OPERATION_MODE_NOT_ALLOWED: _info("Table 95", "InvalidSchedule", _V21),
        Rule.LIMIT_SETPOINT_MISMATCH: _info(
            "Q08.FR.04/Q10.FR.01/Q10.FR.02", "InvalidSchedule", _V21
        ),
        Rule.NO_FREQ_WATT_CURVE: _info("Q08.FR.02", "NoFreqWattCurve", _V21),
        Rule.LOCAL_FREQUENCY_IN_AMPS: _info(
            "Q08.FR.05",
            "UnsupportedRateUnit",
            _V21,
            additional_info="ChargingScheduleChargingRateUnitUnsupported",
        ),
        Rule.SETPOINT_SIGN_DIFFERENCE: _info(None, "InvalidSchedule", _V21),
        Rule.DYNAMIC_SINGLE_SCHEDULE: _info("K28.FR.01", "InvalidSchedule", _V21),
        Rule.DYNAMIC_SINGLE_PERIOD: _info("K28.FR.01", "InvalidSchedule", _V21),
        Rule.CONNECTOR_DOES_NOT_EXIST: _info(None, None, _V16),
        Rule.MISSING_RECURRENCY_KIND: _info(None, None, _V16),
        Rule.INVALID_NUMBER_PHASES: _info(None, None, _V16),
        Rule.NEGATIVE_LIMIT: _info(None, None, _V16),
        Rule.MAX_PROFILE_NOT_ON_CONNECTOR_ZERO: _info(None, None, _V16),
        Rule.TX_PROFILE_ON_CONNECTOR_ZERO: _info(None, None, _V16),
        Rule.TX_PROFILE_NO_TRANSACTION: _info(None, None, _V16),
        Rule.TX_PROFILE_TRANSACTION_MISMATCH: _info(None, None, _V16),
    }
)
"""Requirement id, reasonCode and versions of every :class:`Rule`."""


@attrs.frozen(kw_only=True)
class ValidationResult:
    """The answer to a SetChargingProfile: Accepted or Rejected, and why."""

    status: ValidationStatus = attrs.field(converter=_result_status)
    """Accepted or Rejected."""
    profile: ChargingProfile
    """The profile to store when accepted (after conformance changes)."""
    rule: Rule | None = attrs.field(default=None, converter=_result_rule)
    """The rule that refused the profile."""
    message: str = ""
    """A human explanation of the refusal."""
    version: OcppVersion | None = attrs.field(default=None, converter=_result_version)
    """The version whose rules applied (1.6 has no requirement ids)."""

    @property
    def accepted(self) -> bool:
        """Whether the profile was accepted."""
        return self.status is ValidationStatus.ACCEPTED

    @property
    def requirement_id(self) -> str | None:
        """The requirement id of the refusing rule (``None`` under 1.6, which has none)."""
        if self.rule is None or self.version is OcppVersion.V16:
            return None
        return RULES[self.rule].requirement_id

    @property
    def reason_code(self) -> str | None:
        """The 2.x ``statusInfo.reasonCode`` of the refusal."""
        return None if self.rule is None else RULES[self.rule].reason_code

    @property
    def additional_info(self) -> str | None:
        """The 2.x ``statusInfo.additionalInfo`` of the refusal (libocpp's wording)."""
        if self.rule is None:
            return None
        return RULES[self.rule].additional_info or self.rule.value

    @property
    def call_error(self) -> ErrorCode | None:
        """A CALLERROR code to answer instead of a response (K01.FR.29)."""
        return None if self.rule is None else RULES[self.rule].call_error

    def describe(self) -> str:
        """One line: ``Accepted`` or ``Rejected: <rule> (<id>): <message>``."""
        if self.rule is None:
            return self.status.value
        requirement = self.requirement_id
        head = f"Rejected: {self.rule.name}" + (f" ({requirement})" if requirement else "")
        return head + (f": {self.message}" if self.message else "")


# --------------------------------------------------------------------------------------
# 2.1 operation modes
# --------------------------------------------------------------------------------------

_ALL_MODES = frozenset(OperationMode)
_MODES_BY_PURPOSE: Mapping[ProfilePurpose, frozenset[OperationMode]] = MappingProxyType(
    {
        ProfilePurpose.TX: _ALL_MODES,
        ProfilePurpose.TX_DEFAULT: _ALL_MODES,
        ProfilePurpose.PRIORITY_CHARGING: frozenset({OperationMode.CHARGING_ONLY}),
        ProfilePurpose.CHARGING_STATION_MAX: frozenset({OperationMode.CHARGING_ONLY}),
        ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS: frozenset(
            {
                OperationMode.CHARGING_ONLY,
                OperationMode.EXTERNAL_LIMITS,
                OperationMode.EXTERNAL_SETPOINT,
            }
        ),
        ProfilePurpose.LOCAL_GENERATION: frozenset(
            {OperationMode.CHARGING_ONLY, OperationMode.EXTERNAL_LIMITS}
        ),
    }
)
"""Table 95 of OCPP 2.1 (as libocpp encodes it): the modes each purpose may use."""

_LIMIT, _SETPOINT, _DISCHARGE, _REACTIVE = "limit", "setpoint", "dischargeLimit", "reactive"
_MODE_FIELDS: Mapping[OperationMode, tuple[frozenset[str], frozenset[str]]] = MappingProxyType(
    {
        OperationMode.CHARGING_ONLY: (frozenset({_LIMIT}), frozenset()),
        OperationMode.CENTRAL_SETPOINT: (
            frozenset({_SETPOINT}),
            frozenset({_LIMIT, _DISCHARGE, _REACTIVE}),
        ),
        OperationMode.CENTRAL_FREQUENCY: (frozenset({_SETPOINT}), frozenset({_LIMIT, _DISCHARGE})),
        OperationMode.EXTERNAL_SETPOINT: (frozenset(), frozenset({_LIMIT, _DISCHARGE})),
        OperationMode.LOCAL_FREQUENCY: (frozenset(), frozenset()),
        OperationMode.EXTERNAL_LIMITS: (frozenset(), frozenset()),
        OperationMode.LOCAL_LOAD_BALANCING: (frozenset(), frozenset()),
        OperationMode.IDLE: (frozenset(), frozenset()),
    }
)
"""2.1 "limits and setpoints per operation mode": (required, optional) fields."""


def _present_fields(period: SchedulePeriod) -> set[str]:
    present = set()
    if any(v is not None for v in (period.limit, period.limit_l2, period.limit_l3)):
        present.add(_LIMIT)
    if any(v is not None for v in (period.setpoint, period.setpoint_l2, period.setpoint_l3)):
        present.add(_SETPOINT)
    if any(
        v is not None
        for v in (period.discharge_limit, period.discharge_limit_l2, period.discharge_limit_l3)
    ):
        present.add(_DISCHARGE)
    if any(
        v is not None
        for v in (
            period.setpoint_reactive,
            period.setpoint_reactive_l2,
            period.setpoint_reactive_l3,
        )
    ):
        present.add(_REACTIVE)
    return present


def period_mode_problem(
    period: SchedulePeriod, purpose: ProfilePurpose, schedule: ChargingSchedule
) -> Rule | None:
    """Check a 2.1 period against the operation-mode rules; return the broken rule or ``None``.

    Covers Table 95 (modes per purpose), the limits/setpoints table
    (Q08.FR.04, Q10.FR.01/02), LocalFrequency's curve (Q08.FR.02) and unit
    (Q08.FR.05), and libocpp's same-sign rule for per-phase setpoints. The
    composite applies the same checks to stored profiles (libocpp re-validates
    before each calculation) and ignores a profile that fails them.
    """
    mode = period.effective_mode
    if mode not in _MODES_BY_PURPOSE[purpose]:
        return Rule.OPERATION_MODE_NOT_ALLOWED
    required, optional = _MODE_FIELDS[mode]
    present = _present_fields(period)
    if not required <= present or present - required - optional:
        return Rule.LIMIT_SETPOINT_MISMATCH
    if mode is OperationMode.LOCAL_FREQUENCY:
        curve = period.v2x_freq_watt_curve
        if curve is None or len(curve) < 2 or period.v2x_baseline is None:
            return Rule.NO_FREQ_WATT_CURVE
        if schedule.charging_rate_unit is ChargingRateUnit.A:
            return Rule.LOCAL_FREQUENCY_IN_AMPS
    signs = {v < 0 for v in (period.setpoint, period.setpoint_l2, period.setpoint_l3) if v}
    if len(signs) > 1:
        return Rule.SETPOINT_SIGN_DIFFERENCE
    return None


# --------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------


def _overlaps(a: ChargingProfile, b: ChargingProfile) -> bool:
    """Whether the validity intervals overlap (absent bounds are -inf/+inf), half-open."""
    a_from = -(2**62) if a.valid_from is None else to_epoch(a.valid_from)
    a_to = 2**62 if a.valid_to is None else to_epoch(a.valid_to)
    b_from = -(2**62) if b.valid_from is None else to_epoch(b.valid_from)
    b_to = 2**62 if b.valid_to is None else to_epoch(b.valid_to)
    return a_from < b_to and b_from < a_to


def _check_periods_shape(schedule: ChargingSchedule) -> None:
    previous: int | None = None
    for index, period in enumerate(schedule.periods):
        if index == 0 and period.start_period != 0:
            raise _RefusedError(
                Rule.FIRST_START_PERIOD_NOT_ZERO,
                f"first startPeriod is {period.start_period}, not 0",
            )
        if previous is not None and period.start_period <= previous:
            raise _RefusedError(
                Rule.PERIODS_OUT_OF_ORDER,
                f"startPeriod {period.start_period} does not follow {previous}",
            )
        previous = period.start_period


def _check_common_limits(
    profile: ChargingProfile, station: Station, installed: tuple[InstalledProfile, ...]
) -> None:
    if station.max_stack_level is not None and profile.stack_level > station.max_stack_level:
        raise _RefusedError(
            Rule.STACK_LEVEL_TOO_HIGH,
            f"stackLevel {profile.stack_level} > maximum {station.max_stack_level}",
        )


def _validate_v16(
    profile: ChargingProfile,
    *,
    evse_id: int,
    station: Station,
    installed: tuple[InstalledProfile, ...],
    transaction: Transaction | None,
    source: ProfileSource,
    now: datetime | None,
) -> ChargingProfile:
    if (
        source is ProfileSource.REQUEST_START_TRANSACTION
        and profile.purpose is not ProfilePurpose.TX
    ):
        raise _RefusedError(
            Rule.REQUEST_START_NON_TX_PROFILE,
            "RemoteStartTransaction may only carry a TxProfile",
        )
    if evse_id < 0 or (evse_id != 0 and station.evse(evse_id) is None):
        raise _RefusedError(Rule.CONNECTOR_DOES_NOT_EXIST, f"connector {evse_id} does not exist")
    if profile.stack_level < 0 or (
        station.max_stack_level is not None and profile.stack_level > station.max_stack_level
    ):
        raise _RefusedError(
            Rule.STACK_LEVEL_TOO_HIGH,
            f"stackLevel {profile.stack_level} outside 0..{station.max_stack_level}",
        )
    if profile.purpose not in (
        ProfilePurpose.CHARGING_STATION_MAX,
        ProfilePurpose.TX_DEFAULT,
        ProfilePurpose.TX,
    ) or (
        station.supported_purposes is not None and profile.purpose not in station.supported_purposes
    ):
        raise _RefusedError(
            Rule.UNSUPPORTED_PURPOSE, f"purpose {profile.purpose.value} not supported"
        )
    if profile.kind is ProfileKind.DYNAMIC:
        raise _RefusedError(Rule.UNSUPPORTED_KIND, "OCPP 1.6 has no Dynamic profiles")
    if len(profile.schedules) != 1:
        raise _RefusedError(
            Rule.NO_CHARGING_SCHEDULE_PERIODS, "a 1.6 profile has exactly one schedule"
        )
    schedule = profile.schedule
    if (
        profile.kind in (ProfileKind.ABSOLUTE, ProfileKind.RECURRING)
        and schedule.start_schedule is None
    ):
        if station.allow_missing_start_schedule and now is not None:
            schedule = attrs.evolve(schedule, start_schedule=now)
        else:
            raise _RefusedError(
                Rule.MISSING_START_SCHEDULE, f"{profile.kind.value} profile without startSchedule"
            )
    if station.max_profiles_installed is not None and len(installed) >= (
        station.max_profiles_installed
    ):
        # libocpp counts before replacing, so even a replacement is refused when full
        raise _RefusedError(
            Rule.TOO_MANY_PROFILES, f"{len(installed)} profiles installed (the maximum)"
        )
    if not schedule.periods:
        raise _RefusedError(Rule.NO_CHARGING_SCHEDULE_PERIODS, "the schedule has no period")
    if (
        station.max_periods_per_schedule is not None
        and len(schedule.periods) > station.max_periods_per_schedule
    ):
        raise _RefusedError(
            Rule.TOO_MANY_PERIODS,
            f"{len(schedule.periods)} periods > maximum {station.max_periods_per_schedule}",
        )
    if schedule.charging_rate_unit not in station.rate_units:
        raise _RefusedError(
            Rule.RATE_UNIT_UNSUPPORTED, f"unit {schedule.charging_rate_unit.value} not allowed"
        )
    for period in schedule.periods:
        if period.number_phases is not None and not 1 <= period.number_phases <= 3:
            raise _RefusedError(Rule.INVALID_NUMBER_PHASES, f"numberPhases {period.number_phases}")
        if period.limit is None or period.limit < 0:
            raise _RefusedError(Rule.NEGATIVE_LIMIT, f"limit {period.limit} is not a valid limit")
    _check_periods_shape(schedule)
    if profile.kind is ProfileKind.RECURRING:
        if profile.recurrency_kind is None:
            raise _RefusedError(
                Rule.MISSING_RECURRENCY_KIND, "Recurring profile without recurrencyKind"
            )
        cap = 86_400 if profile.recurrency_kind is RecurrencyKind.DAILY else 604_800
        if schedule.duration is not None and schedule.duration > cap:
            schedule = attrs.evolve(schedule, duration=cap)  # libocpp clamps, not rejects
    if profile.purpose is ProfilePurpose.CHARGING_STATION_MAX:
        if evse_id != 0:
            raise _RefusedError(
                Rule.MAX_PROFILE_NOT_ON_CONNECTOR_ZERO, "ChargePointMaxProfile needs connector 0"
            )
        if profile.kind is ProfileKind.RELATIVE:
            raise _RefusedError(
                Rule.MAX_PROFILE_RELATIVE, "ChargePointMaxProfile cannot be Relative"
            )
    if profile.purpose is ProfilePurpose.TX:
        if evse_id == 0:
            raise _RefusedError(Rule.TX_PROFILE_ON_CONNECTOR_ZERO, "TxProfile on connector 0")
        if transaction is None and source is not ProfileSource.REQUEST_START_TRANSACTION:
            raise _RefusedError(
                Rule.TX_PROFILE_NO_TRANSACTION, f"no transaction on connector {evse_id}"
            )
        if profile.transaction_id is not None and (
            transaction is None or transaction.transaction_id != profile.transaction_id
        ):
            raise _RefusedError(
                Rule.TX_PROFILE_TRANSACTION_MISMATCH,
                f"transactionId {profile.transaction_id} is not the connector's transaction",
            )
    if schedule is not profile.schedule:
        profile = attrs.evolve(profile, schedules=(schedule,))
    return profile


def _check_schedule_2x(
    profile: ChargingProfile,
    schedule: ChargingSchedule,
    *,
    evse_id: int,
    station: Station,
    version: OcppVersion,
) -> ChargingSchedule:
    v21 = version is OcppVersion.V21
    if schedule.charging_rate_unit not in station.rate_units:
        raise _RefusedError(
            Rule.RATE_UNIT_UNSUPPORTED,
            f"unit {schedule.charging_rate_unit.value} not in SmartChargingCtrlr.RateUnit",
        )
    if not schedule.periods:
        raise _RefusedError(Rule.NO_CHARGING_SCHEDULE_PERIODS, "a schedule has no period")
    if (
        station.max_periods_per_schedule is not None
        and len(schedule.periods) > station.max_periods_per_schedule
    ):
        raise _RefusedError(
            Rule.TOO_MANY_PERIODS,
            f"{len(schedule.periods)} periods > PeriodsPerSchedule "
            f"{station.max_periods_per_schedule}",
        )
    features = station.features
    if v21:
        if profile.purpose is ProfilePurpose.PRIORITY_CHARGING and schedule.duration is not None:
            raise _RefusedError(Rule.PRIORITY_CHARGING_DURATION, "PriorityCharging with a duration")
        if schedule.randomized_delay and profile.purpose not in (
            ProfilePurpose.TX,
            ProfilePurpose.TX_DEFAULT,
        ):
            raise _RefusedError(
                Rule.RANDOMIZED_DELAY_PURPOSE,
                f"randomizedDelay on a {profile.purpose.value}",
            )
        if schedule.use_local_time and SmartChargingFeature.USE_LOCAL_TIME not in features:
            raise _RefusedError(Rule.UNSUPPORTED_LOCAL_TIME, "useLocalTime is not supported")
        if (
            schedule.randomized_delay is not None
            and SmartChargingFeature.RANDOMIZED_DELAY not in features
        ):
            raise _RefusedError(
                Rule.UNSUPPORTED_RANDOMIZED_DELAY, "randomizedDelay is not supported"
            )
        if schedule.limit_at_soc is not None and SmartChargingFeature.LIMIT_AT_SOC not in features:
            raise _RefusedError(Rule.UNSUPPORTED_LIMIT_AT_SOC, "limitAtSoC is not supported")
        if (
            any(period.evse_sleep for period in schedule.periods)
            and SmartChargingFeature.EVSE_SLEEP not in features
        ):
            raise _RefusedError(Rule.UNSUPPORTED_EVSE_SLEEP, "evseSleep is not supported")
    if (
        profile.kind in (ProfileKind.ABSOLUTE, ProfileKind.RECURRING)
        and schedule.start_schedule is None
    ):
        raise _RefusedError(
            Rule.MISSING_START_SCHEDULE, f"{profile.kind.value} profile without startSchedule"
        )
    if profile.kind is ProfileKind.RELATIVE and schedule.start_schedule is not None:
        raise _RefusedError(Rule.EXTRANEOUS_START_SCHEDULE, "Relative profile with startSchedule")
    _check_periods_shape(schedule)
    phase_type = station.phase_type(evse_id)
    periods = []
    for original in schedule.periods:
        period = original
        if period.phase_to_use is not None:
            if period.number_phases != 1:
                raise _RefusedError(Rule.INVALID_PHASE_TO_USE, "phaseToUse needs numberPhases 1")
            if not station.ac_phase_switching_supported:
                raise _RefusedError(
                    Rule.PHASE_SWITCHING_UNSUPPORTED, "ACPhaseSwitchingSupported is not true"
                )
        has_phases = period.number_phases is not None or period.phase_to_use is not None
        if phase_type is PhaseType.DC:
            if has_phases and not v21:
                raise _RefusedError(
                    Rule.EXTRANEOUS_PHASE_VALUES, "numberPhases/phaseToUse on a DC EVSE"
                )
            if has_phases and not station.dc_input_phase_control:
                raise _RefusedError(Rule.NO_PHASE_FOR_DC, "numberPhases/phaseToUse on a DC EVSE")
        elif period.number_phases is not None and period.number_phases > station.supply_phases:
            raise _RefusedError(
                Rule.UNSUPPORTED_NUMBER_PHASES,
                f"numberPhases {period.number_phases} > SupplyPhases {station.supply_phases}",
            )
        if v21:
            if (
                profile.purpose is ProfilePurpose.PRIORITY_CHARGING
                and period.effective_mode is not OperationMode.CHARGING_ONLY
            ):
                raise _RefusedError(
                    Rule.PRIORITY_CHARGING_NOT_CHARGING_ONLY,
                    "PriorityCharging periods must be ChargingOnly",
                )
            problem = period_mode_problem(period, profile.purpose, schedule)
            if problem is not None:
                raise _RefusedError(problem, f"period at {period.start_period} s: {problem.name}")
        if phase_type is PhaseType.AC and period.number_phases is None:
            period = attrs.evolve(period, number_phases=3)  # K01.FR.49
        periods.append(period)
    return attrs.evolve(schedule, periods=tuple(periods))


def _validate_v2x(
    profile: ChargingProfile,
    *,
    evse_id: int,
    station: Station,
    version: OcppVersion,
    installed: tuple[InstalledProfile, ...],
    transaction: Transaction | None,
    source: ProfileSource,
    now: datetime | None,
) -> ChargingProfile:
    v21 = version is OcppVersion.V21
    purpose = profile.purpose
    if not station.available:
        raise _RefusedError(Rule.SMART_CHARGING_UNAVAILABLE, "SmartChargingCtrlr is not available")
    if source is ProfileSource.REQUEST_START_TRANSACTION and purpose is not ProfilePurpose.TX:
        raise _RefusedError(
            Rule.REQUEST_START_NON_TX_PROFILE, "RequestStartTransaction may only carry a TxProfile"
        )
    if (
        source is ProfileSource.SET_CHARGING_PROFILE
        and purpose is ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS
    ):
        raise _RefusedError(
            Rule.EXTERNAL_CONSTRAINTS_IN_REQUEST,
            "ChargingStationExternalConstraints cannot be set by the CSMS",
        )
    if evse_id < 0 or (evse_id != 0 and station.evse(evse_id) is None):
        raise _RefusedError(Rule.EVSE_DOES_NOT_EXIST, f"EVSE {evse_id} does not exist")
    if v21 and station.update_rate_limit is not None and now is not None:
        moment = to_epoch(now)
        for other in installed:
            if (
                other.profile.purpose is purpose
                and other.installed_at is not None
                and moment - to_epoch(other.installed_at) < station.update_rate_limit
            ):
                raise _RefusedError(
                    Rule.RATE_LIMIT_EXCEEDED,
                    f"a {purpose.value} was accepted less than {station.update_rate_limit} s ago",
                )
    for other in installed:
        if (
            other.profile.id == profile.id
            and other.profile.purpose is ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS
        ):
            raise _RefusedError(
                Rule.EXISTING_EXTERNAL_CONSTRAINTS,
                f"id {profile.id} belongs to an external-constraints profile",
            )
    if (
        v21
        and station.max_external_constraints_id is not None
        and profile.id <= station.max_external_constraints_id
    ):
        raise _RefusedError(
            Rule.ID_BELOW_MAX_EXTERNAL_CONSTRAINTS_ID,
            f"id {profile.id} <= MaxExternalConstraintsId {station.max_external_constraints_id}",
        )
    _check_common_limits(profile, station, installed)
    if station.max_profiles_installed is not None:
        kept = [other for other in installed if other.profile.id != profile.id]
        if len(kept) >= station.max_profiles_installed:
            raise _RefusedError(
                Rule.TOO_MANY_PROFILES,
                f"{len(kept)} profiles installed (Entries[ChargingProfiles] maximum)",
            )
    if not profile.schedules:
        raise _RefusedError(Rule.EMPTY_CHARGING_SCHEDULES, "the profile has no charging schedule")
    if v21:
        if (
            purpose in (ProfilePurpose.PRIORITY_CHARGING, ProfilePurpose.LOCAL_GENERATION)
            and purpose not in station.additional_purposes
        ):
            raise _RefusedError(
                Rule.UNSUPPORTED_PURPOSE, f"{purpose.value} not in SupportedAdditionalPurposes"
            )
        if (
            profile.kind is ProfileKind.DYNAMIC
            and SmartChargingFeature.DYNAMIC_PROFILES not in station.features
        ):
            raise _RefusedError(Rule.UNSUPPORTED_KIND, "Dynamic profiles are not supported")
        if profile.kind is not ProfileKind.DYNAMIC and (
            profile.dyn_update_interval is not None or profile.dyn_update_time is not None
        ):
            raise _RefusedError(
                Rule.NOT_DYNAMIC, "dynUpdateInterval/dynUpdateTime on a static profile"
            )
        if profile.kind is ProfileKind.DYNAMIC:
            if len(profile.schedules) != 1:
                raise _RefusedError(
                    Rule.DYNAMIC_SINGLE_SCHEDULE, "Dynamic needs exactly one schedule"
                )
            if len(profile.schedule.periods) != 1:
                raise _RefusedError(Rule.DYNAMIC_SINGLE_PERIOD, "Dynamic needs exactly one period")
    elif purpose in (ProfilePurpose.PRIORITY_CHARGING, ProfilePurpose.LOCAL_GENERATION) or (
        profile.kind is ProfileKind.DYNAMIC
    ):
        rule = (
            Rule.UNSUPPORTED_KIND
            if profile.kind is ProfileKind.DYNAMIC
            else (Rule.UNSUPPORTED_PURPOSE)
        )
        raise _RefusedError(rule, f"{version.value} has no {purpose.value}/{profile.kind.value}")
    schedules = tuple(
        _check_schedule_2x(profile, schedule, evse_id=evse_id, station=station, version=version)
        for schedule in profile.schedules
    )
    profile = attrs.evolve(profile, schedules=schedules)
    same_level = [
        other
        for other in installed
        if other.profile.purpose is purpose
        and other.profile.stack_level == profile.stack_level
        and other.profile.id != profile.id
    ]
    if purpose is ProfilePurpose.CHARGING_STATION_MAX:
        _check_overlap(profile, evse_id, same_level)
        if evse_id > 0:
            raise _RefusedError(
                Rule.MAX_PROFILE_EVSE_NOT_ZERO, "ChargingStationMaxProfile must be for EVSE 0"
            )
        if profile.kind is ProfileKind.RELATIVE:
            raise _RefusedError(
                Rule.MAX_PROFILE_RELATIVE, "ChargingStationMaxProfile cannot be Relative"
            )
    elif purpose is ProfilePurpose.TX_DEFAULT:
        _check_overlap(profile, evse_id, same_level)
        for other in same_level:
            if evse_id == 0 and other.evse_id != 0:
                raise _RefusedError(
                    Rule.DUPLICATE_TX_DEFAULT_STATION_WIDE,
                    f"EVSE {other.evse_id} has TxDefaultProfile {other.profile.id} "
                    f"at stack level {profile.stack_level}",
                )
            if evse_id != 0 and other.evse_id == 0:
                raise _RefusedError(
                    Rule.DUPLICATE_TX_DEFAULT_EVSE,
                    f"station-wide TxDefaultProfile {other.profile.id} has stack level "
                    f"{profile.stack_level}",
                )
    elif purpose is ProfilePurpose.TX:
        if evse_id <= 0:
            raise _RefusedError(Rule.TX_PROFILE_EVSE_NOT_POSITIVE, "TxProfile needs an EVSE > 0")
        if source is ProfileSource.SET_CHARGING_PROFILE:
            if profile.transaction_id is None:
                raise _RefusedError(
                    Rule.TX_PROFILE_MISSING_TRANSACTION_ID, "TxProfile without transactionId"
                )
            if transaction is None:
                raise _RefusedError(
                    Rule.TX_PROFILE_NO_ACTIVE_TRANSACTION, f"EVSE {evse_id} has no transaction"
                )
            if transaction.transaction_id != profile.transaction_id:
                raise _RefusedError(
                    Rule.TX_PROFILE_TRANSACTION_NOT_ON_EVSE,
                    f"transaction {profile.transaction_id} is not on EVSE {evse_id}",
                )
            for other in same_level:
                if other.profile.transaction_id == profile.transaction_id:
                    raise _RefusedError(
                        Rule.TX_PROFILE_CONFLICTING_STACK_LEVEL,
                        f"TxProfile {other.profile.id} has this transaction and stack level",
                    )
    elif purpose is ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS:
        _check_overlap(profile, evse_id, same_level)
    return profile


def _check_overlap(
    profile: ChargingProfile, evse_id: int, same_level: Iterable[InstalledProfile]
) -> None:
    for other in same_level:
        if other.evse_id == evse_id and _overlaps(profile, other.profile):
            raise _RefusedError(
                Rule.DUPLICATE_VALIDITY_PERIOD,
                f"profile {other.profile.id} has the same purpose, stack level and EVSE "
                "and an overlapping validity",
            )


def validate_profile(
    profile: ChargingProfile,
    evse_id: int,
    store: ProfileStore,
    station: Station,
    *,
    source: ProfileSource | str = ProfileSource.SET_CHARGING_PROFILE,
    now: datetime | None = None,
    transactions: Iterable[Transaction] | None = None,
) -> ValidationResult:
    """Check ``profile`` for ``evse_id`` as SetChargingProfile would, by the store's version.

    Args:
        profile: the profile received.
        evse_id: the EVSE (1.6: connector) it is for; 0 for the whole station.
        store: the installed profiles (its version selects the rules).
        station: the station (EVSEs, supported units, maxima, transactions).
        source: the message the profile came in.
        now: the current time; needed for the 2.1 rate limit (K01.FR.56) and for
            1.6 leniency on a missing startSchedule, ignored otherwise.
        transactions: the active transactions, replacing ``station.transactions``.

    Returns:
        Accepted with the profile to store, or Rejected with the rule.

    Raises:
        SmartChargingValueError: ``source`` is not a :class:`ProfileSource` (its
            value strings are accepted).
    """
    origin = to_enum(ProfileSource, source, "source")
    version = store.version
    txs = station.transactions if transactions is None else tuple(transactions)
    transaction = station.transaction_on(evse_id, txs)
    installed = tuple(store.entries)
    try:
        if version is OcppVersion.V16:
            stored = _validate_v16(
                profile,
                evse_id=evse_id,
                station=station,
                installed=installed,
                transaction=transaction,
                source=origin,
                now=now,
            )
        else:
            stored = _validate_v2x(
                profile,
                evse_id=evse_id,
                station=station,
                version=version,
                installed=installed,
                transaction=transaction,
                source=origin,
                now=now,
            )
    except _RefusedError as refusal:
        return ValidationResult(
            status=ValidationStatus.REJECTED,
            profile=profile,
            rule=refusal.rule,
            message=refusal.message,
            version=version,
        )
    return ValidationResult(status=ValidationStatus.ACCEPTED, profile=stored, version=version)
