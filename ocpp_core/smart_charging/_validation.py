"""SetChargingProfile acceptance rules of OCPP 1.6, 2.0.1 and 2.1.

Theory of operation
-------------------
:func:`validate_profile` checks a profile against the station, the installed
profiles and the request it came in, and answers Accepted or Rejected with the
:class:`Rule` that refused it. Each rule carries its requirement id where the
specification has one (as libocpp labels them; see the semantics notes,
sections 6.1 to 6.3), the 2.x ``statusInfo.reasonCode`` and the libocpp
``additionalInfo`` text (:data:`RULES`). The checks are two tables of
``(rule, check)`` rows beside :data:`RULES`, :data:`CHECKS_V16` and
:data:`CHECKS_V2X` (2.0, 2.0.1 and 2.1; a row runs only for the versions
:data:`RULES` gives its rule). Rows run in libocpp's order, so the first failing
rule is the one reported; a row looks at the profile, at each schedule or at
each period, and a check is a small function that returns the refusal message.

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
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import TypeAlias

import attrs

from ocpp_core.errors import ErrorCode, SmartChargingValueError
from ocpp_core.smart_charging._enums import to_enum, to_version
from ocpp_core.smart_charging._model import (
    ChargingProfile,
    ChargingRateUnit,
    ChargingSchedule,
    InstalledProfile,
    InstalledProfiles,
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

__all__ = [
    "CHECKS_V16",
    "CHECKS_V2X",
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
# The checks. Each looks at one _Subject and returns the refusal message, or None.
# --------------------------------------------------------------------------------------


class _Scope(enum.Enum):
    PROFILE = "profile"
    SCHEDULE = "schedule"
    PERIOD = "period"


@attrs.frozen(kw_only=True)
class _Subject:
    """What a check looks at: the request, the station, and the schedule/period in turn."""

    profile: ChargingProfile
    evse_id: int
    station: Station
    version: OcppVersion
    installed: tuple[InstalledProfile, ...]
    transaction: Transaction | None
    source: ProfileSource
    now: datetime | None
    schedule: ChargingSchedule | None = None
    period: SchedulePeriod | None = None

    @property
    def v21(self) -> bool:
        return self.version is OcppVersion.V21

    @property
    def sched(self) -> ChargingSchedule:
        """The schedule of a schedule- or period-scoped check."""
        assert self.schedule is not None
        return self.schedule

    @property
    def per(self) -> SchedulePeriod:
        """The period of a period-scoped check."""
        assert self.period is not None
        return self.period

    def same_level(self) -> list[InstalledProfile]:
        """Installed profiles of the same purpose and stack level, other ids."""
        return [
            other
            for other in self.installed
            if other.profile.purpose is self.profile.purpose
            and other.profile.stack_level == self.profile.stack_level
            and other.profile.id != self.profile.id
        ]


_Check: TypeAlias = Callable[[_Subject], "str | None"]


@attrs.frozen
class _Step:
    """One row of a check table: the rule, what it looks at, and the check."""

    rule: Rule
    scope: _Scope
    check: _Check


def _profile(rule: Rule, check: _Check) -> _Step:
    return _Step(rule, _Scope.PROFILE, check)


def _schedule(rule: Rule, check: _Check) -> _Step:
    return _Step(rule, _Scope.SCHEDULE, check)


def _period(rule: Rule, check: _Check) -> _Step:
    return _Step(rule, _Scope.PERIOD, check)


_EXTRA_PURPOSES = (ProfilePurpose.PRIORITY_CHARGING, ProfilePurpose.LOCAL_GENERATION)
_TX_PURPOSES = (ProfilePurpose.TX, ProfilePurpose.TX_DEFAULT)


def _overlaps(a: ChargingProfile, b: ChargingProfile) -> bool:
    """Whether the validity intervals overlap (absent bounds are -inf/+inf), half-open."""
    a_from = -(2**62) if a.valid_from is None else to_epoch(a.valid_from)
    a_to = 2**62 if a.valid_to is None else to_epoch(a.valid_to)
    b_from = -(2**62) if b.valid_from is None else to_epoch(b.valid_from)
    b_to = 2**62 if b.valid_to is None else to_epoch(b.valid_to)
    return a_from < b_to and b_from < a_to


# ---- checks shared by the versions ---------------------------------------------------


def _start_carries_non_tx(s: _Subject) -> str | None:
    if (
        s.source is ProfileSource.REQUEST_START_TRANSACTION
        and s.profile.purpose is not ProfilePurpose.TX
    ):
        name = (
            "RemoteStartTransaction" if s.version is OcppVersion.V16 else "RequestStartTransaction"
        )
        return f"{name} may only carry a TxProfile"
    return None


def _max_relative(s: _Subject) -> str | None:
    if s.profile.purpose is ProfilePurpose.CHARGING_STATION_MAX and s.profile.kind is (
        ProfileKind.RELATIVE
    ):
        name = (
            "ChargePointMaxProfile" if s.version is OcppVersion.V16 else "ChargingStationMaxProfile"
        )
        return f"{name} cannot be Relative"
    return None


def _first_start_not_zero(s: _Subject) -> str | None:
    first = s.sched.periods[0].start_period
    return None if first == 0 else f"first startPeriod is {first}, not 0"


def _periods_out_of_order(s: _Subject) -> str | None:
    periods = s.sched.periods
    for previous, period in itertools.pairwise(periods):
        if period.start_period <= previous.start_period:
            return f"startPeriod {period.start_period} does not follow {previous.start_period}"
    return None


def _missing_start_schedule(s: _Subject) -> str | None:
    if s.profile.kind not in (ProfileKind.ABSOLUTE, ProfileKind.RECURRING):
        return None
    if s.sched.start_schedule is not None or _lenient_start(s):
        return None
    return f"{s.profile.kind.value} profile without startSchedule"


def _lenient_start(s: _Subject) -> bool:
    """1.6 (libocpp): a missing startSchedule is anchored at ``now`` when allowed."""
    return (
        s.version is OcppVersion.V16
        and s.station.allow_missing_start_schedule
        and s.now is not None
    )


def _no_periods(s: _Subject) -> str | None:
    if s.sched.periods:
        return None
    return (
        "the schedule has no period" if s.version is OcppVersion.V16 else "a schedule has no period"
    )


def _too_many_periods(s: _Subject) -> str | None:
    most = s.station.max_periods_per_schedule
    count = len(s.sched.periods)
    if most is None or count <= most:
        return None
    if s.version is OcppVersion.V16:
        return f"{count} periods > maximum {most}"
    return f"{count} periods > PeriodsPerSchedule {most}"


def _unit_unsupported(s: _Subject) -> str | None:
    unit = s.sched.charging_rate_unit
    if unit in s.station.rate_units:
        return None
    if s.version is OcppVersion.V16:
        return f"unit {unit.value} not allowed"
    return f"unit {unit.value} not in SmartChargingCtrlr.RateUnit"


# ---- 1.6 -------------------------------------------------------------------------------


def _v16_connector_unknown(s: _Subject) -> str | None:
    if s.evse_id < 0 or (s.evse_id != 0 and s.station.evse(s.evse_id) is None):
        return f"connector {s.evse_id} does not exist"
    return None


def _v16_stack_level(s: _Subject) -> str | None:
    most = s.station.max_stack_level
    level = s.profile.stack_level
    if level < 0 or (most is not None and level > most):
        return f"stackLevel {level} outside 0..{most}"
    return None


_V16_PURPOSES = (ProfilePurpose.CHARGING_STATION_MAX, ProfilePurpose.TX_DEFAULT, ProfilePurpose.TX)


def _v16_purpose(s: _Subject) -> str | None:
    purpose = s.profile.purpose
    supported = s.station.supported_purposes
    if purpose not in _V16_PURPOSES or (supported is not None and purpose not in supported):
        return f"purpose {purpose.value} not supported"
    return None


def _v16_dynamic(s: _Subject) -> str | None:
    return "OCPP 1.6 has no Dynamic profiles" if s.profile.kind is ProfileKind.DYNAMIC else None


def _v16_one_schedule(s: _Subject) -> str | None:
    if len(s.profile.schedules) != 1:
        return "a 1.6 profile has exactly one schedule"
    return None


def _v16_store_full(s: _Subject) -> str | None:
    most = s.station.max_profiles_installed
    # libocpp counts before replacing, so even a replacement is refused when full
    if most is not None and len(s.installed) >= most:
        return f"{len(s.installed)} profiles installed (the maximum)"
    return None


def _v16_number_phases(s: _Subject) -> str | None:
    phases = s.per.number_phases
    if phases is not None and not 1 <= phases <= 3:
        return f"numberPhases {phases}"
    return None


def _v16_negative_limit(s: _Subject) -> str | None:
    limit = s.per.limit
    if limit is None or limit < 0:
        return f"limit {limit} is not a valid limit"
    return None


def _v16_recurrency(s: _Subject) -> str | None:
    if s.profile.kind is ProfileKind.RECURRING and s.profile.recurrency_kind is None:
        return "Recurring profile without recurrencyKind"
    return None


def _v16_max_on_connector(s: _Subject) -> str | None:
    if s.profile.purpose is ProfilePurpose.CHARGING_STATION_MAX and s.evse_id != 0:
        return "ChargePointMaxProfile needs connector 0"
    return None


def _v16_tx_on_zero(s: _Subject) -> str | None:
    if s.profile.purpose is ProfilePurpose.TX and s.evse_id == 0:
        return "TxProfile on connector 0"
    return None


def _v16_tx_no_transaction(s: _Subject) -> str | None:
    if (
        s.profile.purpose is ProfilePurpose.TX
        and s.transaction is None
        and s.source is not ProfileSource.REQUEST_START_TRANSACTION
    ):
        return f"no transaction on connector {s.evse_id}"
    return None


def _v16_tx_mismatch(s: _Subject) -> str | None:
    wanted = s.profile.transaction_id
    if (
        s.profile.purpose is ProfilePurpose.TX
        and wanted is not None
        and (s.transaction is None or s.transaction.transaction_id != wanted)
    ):
        return f"transactionId {wanted} is not the connector's transaction"
    return None


# ---- 2.x: the profile ----------------------------------------------------------------


def _unavailable(s: _Subject) -> str | None:
    return None if s.station.available else "SmartChargingCtrlr is not available"


def _external_in_request(s: _Subject) -> str | None:
    if (
        s.source is ProfileSource.SET_CHARGING_PROFILE
        and s.profile.purpose is ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS
    ):
        return "ChargingStationExternalConstraints cannot be set by the CSMS"
    return None


def _evse_unknown(s: _Subject) -> str | None:
    if s.evse_id < 0 or (s.evse_id != 0 and s.station.evse(s.evse_id) is None):
        return f"EVSE {s.evse_id} does not exist"
    return None


def _rate_limit(s: _Subject) -> str | None:
    limit = s.station.update_rate_limit
    if limit is None or s.now is None:
        return None
    moment = to_epoch(s.now)
    purpose = s.profile.purpose
    for other in s.installed:
        if (
            other.profile.purpose is purpose
            and other.installed_at is not None
            and moment - to_epoch(other.installed_at) < limit
        ):
            return f"a {purpose.value} was accepted less than {limit} s ago"
    return None


def _external_id_taken(s: _Subject) -> str | None:
    for other in s.installed:
        if (
            other.profile.id == s.profile.id
            and other.profile.purpose is ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS
        ):
            return f"id {s.profile.id} belongs to an external-constraints profile"
    return None


def _id_reserved(s: _Subject) -> str | None:
    reserved = s.station.max_external_constraints_id
    if reserved is not None and s.profile.id <= reserved:
        return f"id {s.profile.id} <= MaxExternalConstraintsId {reserved}"
    return None


def _stack_level(s: _Subject) -> str | None:
    most = s.station.max_stack_level
    if most is not None and s.profile.stack_level > most:
        return f"stackLevel {s.profile.stack_level} > maximum {most}"
    return None


def _store_full(s: _Subject) -> str | None:
    most = s.station.max_profiles_installed
    if most is None:
        return None
    kept = [other for other in s.installed if other.profile.id != s.profile.id]
    if len(kept) >= most:
        return f"{len(kept)} profiles installed (Entries[ChargingProfiles] maximum)"
    return None


def _no_schedules(s: _Subject) -> str | None:
    return None if s.profile.schedules else "the profile has no charging schedule"


def _purpose_unsupported(s: _Subject) -> str | None:
    purpose = s.profile.purpose
    if purpose not in _EXTRA_PURPOSES:
        return None
    if s.v21:
        if purpose in s.station.additional_purposes:
            return None
        return f"{purpose.value} not in SupportedAdditionalPurposes"
    if s.profile.kind is ProfileKind.DYNAMIC:
        return None  # reported as UNSUPPORTED_KIND, the check that follows
    return f"{s.version.value} has no {purpose.value}/{s.profile.kind.value}"


def _kind_unsupported(s: _Subject) -> str | None:
    if s.profile.kind is not ProfileKind.DYNAMIC:
        return None
    if s.v21:
        if SmartChargingFeature.DYNAMIC_PROFILES in s.station.features:
            return None
        return "Dynamic profiles are not supported"
    return f"{s.version.value} has no {s.profile.purpose.value}/{s.profile.kind.value}"


def _not_dynamic(s: _Subject) -> str | None:
    profile = s.profile
    if profile.kind is not ProfileKind.DYNAMIC and (
        profile.dyn_update_interval is not None or profile.dyn_update_time is not None
    ):
        return "dynUpdateInterval/dynUpdateTime on a static profile"
    return None


def _dynamic_schedules(s: _Subject) -> str | None:
    if s.profile.kind is ProfileKind.DYNAMIC and len(s.profile.schedules) != 1:
        return "Dynamic needs exactly one schedule"
    return None


def _dynamic_periods(s: _Subject) -> str | None:
    if s.profile.kind is ProfileKind.DYNAMIC and len(s.profile.schedule.periods) != 1:
        return "Dynamic needs exactly one period"
    return None


# ---- 2.x: each schedule ------------------------------------------------------------------


def _priority_duration(s: _Subject) -> str | None:
    if s.profile.purpose is ProfilePurpose.PRIORITY_CHARGING and s.sched.duration is not None:
        return "PriorityCharging with a duration"
    return None


def _randomized_delay_purpose(s: _Subject) -> str | None:
    if s.sched.randomized_delay and s.profile.purpose not in _TX_PURPOSES:
        return f"randomizedDelay on a {s.profile.purpose.value}"
    return None


def _feature(feature: SmartChargingFeature, used: Callable[[ChargingSchedule], bool]) -> _Check:
    def check(s: _Subject) -> str | None:
        if used(s.sched) and feature not in s.station.features:
            return f"{_FEATURE_FIELDS[feature]} is not supported"
        return None

    return check


_FEATURE_FIELDS = {
    SmartChargingFeature.USE_LOCAL_TIME: "useLocalTime",
    SmartChargingFeature.RANDOMIZED_DELAY: "randomizedDelay",
    SmartChargingFeature.LIMIT_AT_SOC: "limitAtSoC",
    SmartChargingFeature.EVSE_SLEEP: "evseSleep",
}


def _extraneous_start_schedule(s: _Subject) -> str | None:
    if s.profile.kind is ProfileKind.RELATIVE and s.sched.start_schedule is not None:
        return "Relative profile with startSchedule"
    return None


# ---- 2.x: each period ----------------------------------------------------------------


def _phase_to_use_without_one_phase(s: _Subject) -> str | None:
    period = s.per
    if period.phase_to_use is not None and period.number_phases != 1:
        return "phaseToUse needs numberPhases 1"
    return None


def _phase_switching(s: _Subject) -> str | None:
    if s.per.phase_to_use is not None and not s.station.ac_phase_switching_supported:
        return "ACPhaseSwitchingSupported is not true"
    return None


def _has_phase_values(period: SchedulePeriod) -> bool:
    return period.number_phases is not None or period.phase_to_use is not None


def _dc_phase_values(s: _Subject) -> str | None:
    if s.station.phase_type(s.evse_id) is PhaseType.DC and _has_phase_values(s.per):
        return "numberPhases/phaseToUse on a DC EVSE"
    return None


def _dc_phase_values_21(s: _Subject) -> str | None:
    if s.station.dc_input_phase_control:
        return None
    return _dc_phase_values(s)


def _more_phases_than_supply(s: _Subject) -> str | None:
    phases = s.per.number_phases
    supply = s.station.supply_phases
    if s.station.phase_type(s.evse_id) is PhaseType.AC and phases is not None and phases > supply:
        return f"numberPhases {phases} > SupplyPhases {supply}"
    return None


def _priority_not_charging_only(s: _Subject) -> str | None:
    if (
        s.profile.purpose is ProfilePurpose.PRIORITY_CHARGING
        and s.per.effective_mode is not OperationMode.CHARGING_ONLY
    ):
        return "PriorityCharging periods must be ChargingOnly"
    return None


# ---- 2.1 operation modes (also re-checked by the composite) -----------------------------

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

_VALUE_GROUPS: Mapping[str, tuple[str, str, str]] = MappingProxyType(
    {
        _LIMIT: ("limit", "limit_l2", "limit_l3"),
        _SETPOINT: ("setpoint", "setpoint_l2", "setpoint_l3"),
        _DISCHARGE: ("discharge_limit", "discharge_limit_l2", "discharge_limit_l3"),
        _REACTIVE: ("setpoint_reactive", "setpoint_reactive_l2", "setpoint_reactive_l3"),
    }
)
"""The per-phase period fields of each group the operation-mode table speaks of."""


def _present_fields(period: SchedulePeriod) -> set[str]:
    """The groups of :data:`_VALUE_GROUPS` the period gives a value in.

    Written out rather than looped over the table: the composite runs this for every
    stored 2.1 period on every calculation. A test checks it against the table.
    """
    present = set()
    if period.limit is not None or period.limit_l2 is not None or period.limit_l3 is not None:
        present.add(_LIMIT)
    if (
        period.setpoint is not None
        or period.setpoint_l2 is not None
        or period.setpoint_l3 is not None
    ):
        present.add(_SETPOINT)
    if (
        period.discharge_limit is not None
        or period.discharge_limit_l2 is not None
        or period.discharge_limit_l3 is not None
    ):
        present.add(_DISCHARGE)
    if (
        period.setpoint_reactive is not None
        or period.setpoint_reactive_l2 is not None
        or period.setpoint_reactive_l3 is not None
    ):
        present.add(_REACTIVE)
    return present


def _mode_not_allowed(s: _Subject) -> str | None:
    if s.per.effective_mode in _MODES_BY_PURPOSE[s.profile.purpose]:
        return None
    return _mode_message(s, Rule.OPERATION_MODE_NOT_ALLOWED)


def _values_mismatch(s: _Subject) -> str | None:
    required, optional = _MODE_FIELDS[s.per.effective_mode]
    present = _present_fields(s.per)
    if not required <= present or present - required - optional:
        return _mode_message(s, Rule.LIMIT_SETPOINT_MISMATCH)
    return None


def _no_freq_watt_curve(s: _Subject) -> str | None:
    period = s.per
    if period.effective_mode is not OperationMode.LOCAL_FREQUENCY:
        return None
    curve = period.v2x_freq_watt_curve
    if curve is None or len(curve) < 2 or period.v2x_baseline is None:
        return _mode_message(s, Rule.NO_FREQ_WATT_CURVE)
    return None


def _local_frequency_in_amps(s: _Subject) -> str | None:
    if (
        s.per.effective_mode is OperationMode.LOCAL_FREQUENCY
        and s.sched.charging_rate_unit is ChargingRateUnit.A
    ):
        return _mode_message(s, Rule.LOCAL_FREQUENCY_IN_AMPS)
    return None


def _setpoint_signs(s: _Subject) -> str | None:
    period = s.per
    signs = {v < 0 for v in (period.setpoint, period.setpoint_l2, period.setpoint_l3) if v}
    return _mode_message(s, Rule.SETPOINT_SIGN_DIFFERENCE) if len(signs) > 1 else None


def _mode_message(s: _Subject, rule: Rule) -> str:
    return f"period at {s.per.start_period} s: {rule.name}"


_MODE_STEPS: tuple[_Step, ...] = (
    _period(Rule.OPERATION_MODE_NOT_ALLOWED, _mode_not_allowed),
    _period(Rule.LIMIT_SETPOINT_MISMATCH, _values_mismatch),
    _period(Rule.NO_FREQ_WATT_CURVE, _no_freq_watt_curve),
    _period(Rule.LOCAL_FREQUENCY_IN_AMPS, _local_frequency_in_amps),
    _period(Rule.SETPOINT_SIGN_DIFFERENCE, _setpoint_signs),
)
"""The 2.1 operation-mode rules of one period, in libocpp's order."""


# --------------------------------------------------------------------------------------
# The tables: (rule, check) rows in libocpp's order, next to RULES. A row runs only for
# the versions RULES gives its rule; schedule rows run for each schedule, period rows for
# each period of it. The first row whose check returns a message refuses the profile.
# --------------------------------------------------------------------------------------

CHECKS_V16: tuple[_Step, ...] = (
    _profile(Rule.REQUEST_START_NON_TX_PROFILE, _start_carries_non_tx),
    _profile(Rule.CONNECTOR_DOES_NOT_EXIST, _v16_connector_unknown),
    _profile(Rule.STACK_LEVEL_TOO_HIGH, _v16_stack_level),
    _profile(Rule.UNSUPPORTED_PURPOSE, _v16_purpose),
    _profile(Rule.UNSUPPORTED_KIND, _v16_dynamic),
    _profile(Rule.NO_CHARGING_SCHEDULE_PERIODS, _v16_one_schedule),
    _schedule(Rule.MISSING_START_SCHEDULE, _missing_start_schedule),
    _profile(Rule.TOO_MANY_PROFILES, _v16_store_full),
    _schedule(Rule.NO_CHARGING_SCHEDULE_PERIODS, _no_periods),
    _schedule(Rule.TOO_MANY_PERIODS, _too_many_periods),
    _schedule(Rule.RATE_UNIT_UNSUPPORTED, _unit_unsupported),
    _period(Rule.INVALID_NUMBER_PHASES, _v16_number_phases),
    _period(Rule.NEGATIVE_LIMIT, _v16_negative_limit),
    _schedule(Rule.FIRST_START_PERIOD_NOT_ZERO, _first_start_not_zero),
    _schedule(Rule.PERIODS_OUT_OF_ORDER, _periods_out_of_order),
    _profile(Rule.MISSING_RECURRENCY_KIND, _v16_recurrency),
    _profile(Rule.MAX_PROFILE_NOT_ON_CONNECTOR_ZERO, _v16_max_on_connector),
    _profile(Rule.MAX_PROFILE_RELATIVE, _max_relative),
    _profile(Rule.TX_PROFILE_ON_CONNECTOR_ZERO, _v16_tx_on_zero),
    _profile(Rule.TX_PROFILE_NO_TRANSACTION, _v16_tx_no_transaction),
    _profile(Rule.TX_PROFILE_TRANSACTION_MISMATCH, _v16_tx_mismatch),
)
"""The OCPP 1.6 SetChargingProfile checks, in libocpp's order."""


def _overlap(s: _Subject) -> str | None:
    if s.profile.purpose not in (
        ProfilePurpose.CHARGING_STATION_MAX,
        ProfilePurpose.TX_DEFAULT,
        ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS,
    ):
        return None  # K01.FR.06 is not for TxProfiles (K01.FR.39 is)
    for other in s.same_level():
        if other.evse_id == s.evse_id and _overlaps(s.profile, other.profile):
            return (
                f"profile {other.profile.id} has the same purpose, stack level and EVSE "
                "and an overlapping validity"
            )
    return None


def _max_on_evse(s: _Subject) -> str | None:
    if s.profile.purpose is ProfilePurpose.CHARGING_STATION_MAX and s.evse_id > 0:
        return "ChargingStationMaxProfile must be for EVSE 0"
    return None


def _tx_default_station_wide(s: _Subject) -> str | None:
    if s.profile.purpose is not ProfilePurpose.TX_DEFAULT or s.evse_id != 0:
        return None
    for other in s.same_level():
        if other.evse_id != 0:
            return (
                f"EVSE {other.evse_id} has TxDefaultProfile {other.profile.id} "
                f"at stack level {s.profile.stack_level}"
            )
    return None


def _tx_default_on_evse(s: _Subject) -> str | None:
    if s.profile.purpose is not ProfilePurpose.TX_DEFAULT or s.evse_id == 0:
        return None
    for other in s.same_level():
        if other.evse_id == 0:
            return (
                f"station-wide TxDefaultProfile {other.profile.id} has stack level "
                f"{s.profile.stack_level}"
            )
    return None


def _tx_on_station(s: _Subject) -> str | None:
    if s.profile.purpose is ProfilePurpose.TX and s.evse_id <= 0:
        return "TxProfile needs an EVSE > 0"
    return None


def _tx_request(s: _Subject) -> bool:
    """A TxProfile in SetChargingProfile (RequestStartTransaction's has no transaction yet)."""
    return s.profile.purpose is ProfilePurpose.TX and s.source is ProfileSource.SET_CHARGING_PROFILE


def _tx_without_id(s: _Subject) -> str | None:
    if _tx_request(s) and s.profile.transaction_id is None:
        return "TxProfile without transactionId"
    return None


def _tx_without_transaction(s: _Subject) -> str | None:
    if _tx_request(s) and s.transaction is None:
        return f"EVSE {s.evse_id} has no transaction"
    return None


def _tx_elsewhere(s: _Subject) -> str | None:
    if (
        _tx_request(s)
        and s.transaction is not None
        and s.transaction.transaction_id != s.profile.transaction_id
    ):
        return f"transaction {s.profile.transaction_id} is not on EVSE {s.evse_id}"
    return None


def _tx_stack_level_taken(s: _Subject) -> str | None:
    if not _tx_request(s):
        return None
    for other in s.same_level():
        if other.profile.transaction_id == s.profile.transaction_id:
            return f"TxProfile {other.profile.id} has this transaction and stack level"
    return None


CHECKS_V2X: tuple[_Step, ...] = (
    _profile(Rule.SMART_CHARGING_UNAVAILABLE, _unavailable),
    _profile(Rule.REQUEST_START_NON_TX_PROFILE, _start_carries_non_tx),
    _profile(Rule.EXTERNAL_CONSTRAINTS_IN_REQUEST, _external_in_request),
    _profile(Rule.EVSE_DOES_NOT_EXIST, _evse_unknown),
    _profile(Rule.RATE_LIMIT_EXCEEDED, _rate_limit),
    _profile(Rule.EXISTING_EXTERNAL_CONSTRAINTS, _external_id_taken),
    _profile(Rule.ID_BELOW_MAX_EXTERNAL_CONSTRAINTS_ID, _id_reserved),
    _profile(Rule.STACK_LEVEL_TOO_HIGH, _stack_level),
    _profile(Rule.TOO_MANY_PROFILES, _store_full),
    _profile(Rule.EMPTY_CHARGING_SCHEDULES, _no_schedules),
    _profile(Rule.UNSUPPORTED_PURPOSE, _purpose_unsupported),
    _profile(Rule.UNSUPPORTED_KIND, _kind_unsupported),
    _profile(Rule.NOT_DYNAMIC, _not_dynamic),
    _profile(Rule.DYNAMIC_SINGLE_SCHEDULE, _dynamic_schedules),
    _profile(Rule.DYNAMIC_SINGLE_PERIOD, _dynamic_periods),
    _schedule(Rule.RATE_UNIT_UNSUPPORTED, _unit_unsupported),
    _schedule(Rule.NO_CHARGING_SCHEDULE_PERIODS, _no_periods),
    _schedule(Rule.TOO_MANY_PERIODS, _too_many_periods),
    _schedule(Rule.PRIORITY_CHARGING_DURATION, _priority_duration),
    _schedule(Rule.RANDOMIZED_DELAY_PURPOSE, _randomized_delay_purpose),
    _schedule(
        Rule.UNSUPPORTED_LOCAL_TIME,
        _feature(SmartChargingFeature.USE_LOCAL_TIME, lambda c: bool(c.use_local_time)),
    ),
    _schedule(
        Rule.UNSUPPORTED_RANDOMIZED_DELAY,
        _feature(SmartChargingFeature.RANDOMIZED_DELAY, lambda c: c.randomized_delay is not None),
    ),
    _schedule(
        Rule.UNSUPPORTED_LIMIT_AT_SOC,
        _feature(SmartChargingFeature.LIMIT_AT_SOC, lambda c: c.limit_at_soc is not None),
    ),
    _schedule(
        Rule.UNSUPPORTED_EVSE_SLEEP,
        _feature(SmartChargingFeature.EVSE_SLEEP, lambda c: any(p.evse_sleep for p in c.periods)),
    ),
    _schedule(Rule.MISSING_START_SCHEDULE, _missing_start_schedule),
    _schedule(Rule.EXTRANEOUS_START_SCHEDULE, _extraneous_start_schedule),
    _schedule(Rule.FIRST_START_PERIOD_NOT_ZERO, _first_start_not_zero),
    _schedule(Rule.PERIODS_OUT_OF_ORDER, _periods_out_of_order),
    _period(Rule.INVALID_PHASE_TO_USE, _phase_to_use_without_one_phase),
    _period(Rule.PHASE_SWITCHING_UNSUPPORTED, _phase_switching),
    _period(Rule.EXTRANEOUS_PHASE_VALUES, _dc_phase_values),
    _period(Rule.NO_PHASE_FOR_DC, _dc_phase_values_21),
    _period(Rule.UNSUPPORTED_NUMBER_PHASES, _more_phases_than_supply),
    _period(Rule.PRIORITY_CHARGING_NOT_CHARGING_ONLY, _priority_not_charging_only),
    *_MODE_STEPS,
    _profile(Rule.DUPLICATE_VALIDITY_PERIOD, _overlap),
    _profile(Rule.MAX_PROFILE_EVSE_NOT_ZERO, _max_on_evse),
    _profile(Rule.MAX_PROFILE_RELATIVE, _max_relative),
    _profile(Rule.DUPLICATE_TX_DEFAULT_STATION_WIDE, _tx_default_station_wide),
    _profile(Rule.DUPLICATE_TX_DEFAULT_EVSE, _tx_default_on_evse),
    _profile(Rule.TX_PROFILE_EVSE_NOT_POSITIVE, _tx_on_station),
    _profile(Rule.TX_PROFILE_MISSING_TRANSACTION_ID, _tx_without_id),
    _profile(Rule.TX_PROFILE_NO_ACTIVE_TRANSACTION, _tx_without_transaction),
    _profile(Rule.TX_PROFILE_TRANSACTION_NOT_ON_EVSE, _tx_elsewhere),
    _profile(Rule.TX_PROFILE_CONFLICTING_STACK_LEVEL, _tx_stack_level_taken),
)
"""The OCPP 2.0, 2.0.1 and 2.1 SetChargingProfile checks, in libocpp's order."""


# --------------------------------------------------------------------------------------
# Running a table.
# --------------------------------------------------------------------------------------


def _first_refusal(steps: Sequence[_Step], subject: _Subject) -> tuple[Rule, str] | None:
    """Run ``steps`` in order; a run of schedule/period rows loops over the schedules."""
    index = 0
    count = len(steps)
    while index < count:
        step = steps[index]
        if step.scope is _Scope.PROFILE:
            index += 1
            if subject.version in RULES[step.rule].versions:
                message = step.check(subject)
                if message is not None:
                    return step.rule, message
            continue
        end = index
        while end < count and steps[end].scope is not _Scope.PROFILE:
            end += 1
        block = steps[index:end]
        for schedule in subject.profile.schedules:
            found = _first_in_schedule(block, attrs.evolve(subject, schedule=schedule))
            if found is not None:
                return found
        index = end
    return None


def _first_in_schedule(block: Sequence[_Step], subject: _Subject) -> tuple[Rule, str] | None:
    """Schedule rows in order; a run of period rows loops over the periods."""
    index = 0
    count = len(block)
    while index < count:
        step = block[index]
        if step.scope is _Scope.SCHEDULE:
            index += 1
            if subject.version in RULES[step.rule].versions:
                message = step.check(subject)
                if message is not None:
                    return step.rule, message
            continue
        end = index
        while end < count and block[end].scope is _Scope.PERIOD:
            end += 1
        rows = [s for s in block[index:end] if subject.version in RULES[s.rule].versions]
        for period in subject.sched.periods:
            at = attrs.evolve(subject, period=period)
            for row in rows:
                message = row.check(at)
                if message is not None:
                    return row.rule, message
        index = end
    return None


def period_mode_problem(
    period: SchedulePeriod, profile: ChargingProfile, schedule: ChargingSchedule
) -> Rule | None:
    """Check a 2.1 period against the operation-mode rules; return the broken rule or ``None``.

    Covers Table 95 (modes per purpose), the limits/setpoints table
    (Q08.FR.04, Q10.FR.01/02), LocalFrequency's curve (Q08.FR.02) and unit
    (Q08.FR.05), and libocpp's same-sign rule for per-phase setpoints. The
    composite applies the same checks to stored profiles (libocpp re-validates
    before each calculation) and ignores a profile that fails them.
    """
    subject = _Subject(
        profile=profile,
        evse_id=0,
        station=_NO_STATION,
        version=OcppVersion.V21,
        installed=(),
        transaction=None,
        source=ProfileSource.SET_CHARGING_PROFILE,
        now=None,
        schedule=schedule,
        period=period,
    )
    for step in _MODE_STEPS:
        if step.check(subject) is not None:
            return step.rule
    return None


_NO_STATION = Station(evses=())


# --------------------------------------------------------------------------------------
# Conformance: what acceptance changes in the stored profile.
# --------------------------------------------------------------------------------------


def _conform_v16(subject: _Subject) -> ChargingProfile:
    """1.6 conformance: a missing startSchedule and an over-long Recurring duration.

    libocpp anchors a missing startSchedule at ``now`` (when allowed) and clamps a
    Recurring duration to the recurrence period instead of rejecting it.
    """
    profile = subject.profile
    schedule = profile.schedule
    if (
        profile.kind in (ProfileKind.ABSOLUTE, ProfileKind.RECURRING)
        and schedule.start_schedule is None
        and _lenient_start(subject)
    ):
        schedule = attrs.evolve(schedule, start_schedule=subject.now)
    if profile.kind is ProfileKind.RECURRING and profile.recurrency_kind is not None:
        cap = 86_400 if profile.recurrency_kind is RecurrencyKind.DAILY else 604_800
        if schedule.duration is not None and schedule.duration > cap:
            schedule = attrs.evolve(schedule, duration=cap)  # libocpp clamps, not rejects
    if schedule is profile.schedule:
        return profile
    return attrs.evolve(profile, schedules=(schedule,))


def _conform_v2x(subject: _Subject) -> ChargingProfile:
    """K01.FR.49: numberPhases absent on AC is set to 3."""
    profile = subject.profile
    if subject.station.phase_type(subject.evse_id) is not PhaseType.AC:
        return profile
    schedules = tuple(
        attrs.evolve(
            schedule,
            periods=tuple(
                period
                if period.number_phases is not None
                else attrs.evolve(period, number_phases=3)
                for period in schedule.periods
            ),
        )
        for schedule in profile.schedules
    )
    return attrs.evolve(profile, schedules=schedules)


def validate_profile(
    profile: ChargingProfile,
    evse_id: int,
    store: InstalledProfiles,
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
        store: the installed profiles (a :class:`~ocpp_core.smart_charging.ProfileStore`,
            or anything with its ``version`` and ``entries``; the version selects the rules).
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
    subject = _Subject(
        profile=profile,
        evse_id=evse_id,
        station=station,
        version=version,
        installed=tuple(store.entries),
        transaction=station.transaction_on(evse_id, txs),
        source=origin,
        now=now,
    )
    v16 = version is OcppVersion.V16
    refusal = _first_refusal(CHECKS_V16 if v16 else CHECKS_V2X, subject)
    if refusal is not None:
        rule, message = refusal
        return ValidationResult(
            status=ValidationStatus.REJECTED,
            profile=profile,
            rule=rule,
            message=message,
            version=version,
        )
    stored = _conform_v16(subject) if v16 else _conform_v2x(subject)
    return ValidationResult(status=ValidationStatus.ACCEPTED, profile=stored, version=version)
