"""Smart charging: charging-profile validation, a profile store and composite schedules.

Pure functions over frozen values, for OCPP 1.6, 2.0 (2018), 2.0.1 and 2.1:

* a version-neutral model of profiles, schedules and periods
  (:class:`ChargingProfile`, :class:`ChargingSchedule`, :class:`SchedulePeriod`) and
  of the station (:class:`Station`, :class:`Evse`, :class:`Transaction`);
* SetChargingProfile validation with every acceptance rule of each version as a
  named :class:`Rule` carrying its requirement id (:func:`validate_profile`);
* an immutable :class:`ProfileStore` with each version's install, clear, query
  and transaction-end semantics;
* composite schedules computed by a sweep over period boundaries
  (:func:`composite_schedule`), with an explanation of every period.

See ``docs/smart-charging.md`` for the algorithm and every choice made where the
specification is silent.
"""

from ocpp_core.errors import SmartChargingValueError
from ocpp_core.smart_charging._adapters import (
    AnyChargingProfile,
    AnyClearChargingProfileRequest,
    AnyGetCompositeScheduleResponse,
    AnySetChargingProfileRequest,
    ChargingProfileRequest,
    ClearProfilesRequest,
    clear_charging_profile_from_ocpp,
    clear_charging_profile_response,
    composite_from_ocpp,
    composite_to_ocpp,
    profile_from_ocpp,
    profile_to_ocpp,
    set_charging_profile_from_ocpp,
    set_charging_profile_response,
    set_charging_profile_to_ocpp,
)
from ocpp_core.smart_charging._chart import composite_svg
from ocpp_core.smart_charging._composite import (
    CompositeOptions,
    CompositePeriod,
    CompositeResult,
    CompositeSchedule,
    CompositeStatus,
    Contributor,
    EvseZeroMode,
    ExplanationKind,
    PeriodExplanation,
    TieBreak,
    composite_schedule,
)
from ocpp_core.smart_charging._expand import Activation, activations, schedule_anchors
from ocpp_core.smart_charging._model import (
    ChargingProfile,
    ChargingRateUnit,
    ChargingSchedule,
    Evse,
    InstalledProfile,
    LimitAtSoC,
    OperationMode,
    PhaseType,
    ProfileKind,
    ProfilePurpose,
    RecurrencyKind,
    SchedulePeriod,
    SmartChargingFeature,
    Station,
    Transaction,
    V2XFreqWattPoint,
    V2XSignalWattPoint,
)
from ocpp_core.smart_charging._store import (
    ClearResult,
    ClearStatus,
    InstallResult,
    ProfileReport,
    ProfileStore,
    QueryResult,
    QueryStatus,
)
from ocpp_core.smart_charging._validation import (
    RULES,
    ProfileSource,
    Rule,
    RuleInfo,
    ValidationResult,
    ValidationStatus,
    validate_profile,
)

__all__ = [
    "RULES",
    "Activation",
    "AnyChargingProfile",
    "AnyClearChargingProfileRequest",
    "AnyGetCompositeScheduleResponse",
    "AnySetChargingProfileRequest",
    "ChargingProfile",
    "ChargingProfileRequest",
    "ChargingRateUnit",
    "ChargingSchedule",
    "ClearProfilesRequest",
    "ClearResult",
    "ClearStatus",
    "CompositeOptions",
    "CompositePeriod",
    "CompositeResult",
    "CompositeSchedule",
    "CompositeStatus",
    "Contributor",
    "Evse",
    "EvseZeroMode",
    "ExplanationKind",
    "InstallResult",
    "InstalledProfile",
    "LimitAtSoC",
    "OperationMode",
    "PeriodExplanation",
    "PhaseType",
    "ProfileKind",
    "ProfilePurpose",
    "ProfileReport",
    "ProfileSource",
    "ProfileStore",
    "QueryResult",
    "QueryStatus",
    "RecurrencyKind",
    "Rule",
    "RuleInfo",
    "SchedulePeriod",
    "SmartChargingFeature",
    "SmartChargingValueError",
    "Station",
    "TieBreak",
    "Transaction",
    "V2XFreqWattPoint",
    "V2XSignalWattPoint",
    "ValidationResult",
    "ValidationStatus",
    "activations",
    "clear_charging_profile_from_ocpp",
    "clear_charging_profile_response",
    "composite_from_ocpp",
    "composite_schedule",
    "composite_svg",
    "composite_to_ocpp",
    "profile_from_ocpp",
    "profile_to_ocpp",
    "schedule_anchors",
    "set_charging_profile_from_ocpp",
    "set_charging_profile_response",
    "set_charging_profile_to_ocpp",
    "validate_profile",
]
