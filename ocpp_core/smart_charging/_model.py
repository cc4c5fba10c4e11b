"""The version-neutral smart-charging model: profiles, schedules, periods and the station.

One set of frozen values serves OCPP 1.6, 2.0 (2018), 2.0.1 and 2.1. Field names follow
the 2.x schemas in snake_case; the 1.6 names map onto them (``chargingProfileId``
is :attr:`ChargingProfile.id`, ``ChargePointMaxProfile`` is
:attr:`ProfilePurpose.CHARGING_STATION_MAX`, ``csChargingProfiles.chargingSchedule``
is the single entry of :attr:`ChargingProfile.schedules`). Every field of every
version has a home here, including the 2.1 fields the composite schedule does not
use, so that the adapters in :mod:`ocpp_core.smart_charging` convert both ways
without loss. Values the engine never interprets (tariffs, ``customData``) are
carried untouched as :data:`Opaque` values.

The station is an explicit value too (:class:`Station`): EVSEs and their supply,
the defaults a composite reports where no profile limits, the configured maxima
that SetChargingProfile enforces and the active transactions.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeAlias

import attrs

from ocpp_core.smart_charging._enums import enum_tuple, to_enum
from ocpp_core.versions import OcppVersion

__all__ = [
    "EPOCH",
    "PURPOSE_ALIASES",
    "ChargingProfile",
    "ChargingRateUnit",
    "ChargingSchedule",
    "Evse",
    "InstalledProfile",
    "InstalledProfiles",
    "LimitAtSoC",
    "Opaque",
    "OperationMode",
    "PhaseType",
    "ProfileKind",
    "ProfilePurpose",
    "RecurrencyKind",
    "SchedulePeriod",
    "SmartChargingFeature",
    "Station",
    "Transaction",
    "TransactionId",
    "V2XFreqWattPoint",
    "V2XSignalWattPoint",
    "evse_name",
    "from_epoch",
    "purpose_name",
    "to_epoch",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The Unix epoch; the engine works on whole seconds since it."""

_SECOND = timedelta(seconds=1)

Opaque: TypeAlias = object
"""A value the engine carries without interpreting it (tariffs, ``customData``).

Adapters store whatever representation they read (the generated object, or the
wire dictionary) and give it back unchanged."""

TransactionId: TypeAlias = int | str
"""A transaction id: an integer in OCPP 1.6, a string (at most 36 characters) in 2.x."""


def to_epoch(moment: datetime) -> int:
    """Return ``moment`` as whole seconds since the Unix epoch, rounded down.

    The engine floors every instant to the second (as the reference
    implementation does), so ``12:00:00.900`` counts as ``12:00:00``.

    Raises:
        ValueError: when ``moment`` is naive (has no UTC offset).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()} (an aware datetime is required)")
    return (moment - EPOCH) // _SECOND


def from_epoch(seconds: int) -> datetime:
    """Return the UTC datetime ``seconds`` after the Unix epoch (inverse of :func:`to_epoch`)."""
    return EPOCH + timedelta(seconds=seconds)


class ChargingRateUnit(enum.StrEnum):
    """The unit of a schedule's limits."""

    A = "A"
    """Amperes (current) per phase."""
    W = "W"
    """Watts (power), the sum over all phases unless per-phase values are given."""


class ProfilePurpose(enum.StrEnum):
    """What a charging profile is for; the values are the 2.x wire names."""

    CHARGING_STATION_MAX = "ChargingStationMaxProfile"
    """The station-wide maximum (1.6 ``ChargePointMaxProfile``); always a cap."""
    CHARGING_STATION_EXTERNAL_CONSTRAINTS = "ChargingStationExternalConstraints"
    """2.x: limits imposed by an external system (EMS); a cap, never set by the CSMS."""
    TX_DEFAULT = "TxDefaultProfile"
    """The default for transactions on an EVSE (or on every EVSE when installed on 0)."""
    TX = "TxProfile"
    """The profile of one transaction; overrides the TxDefaultProfile wherever it has a period."""
    PRIORITY_CHARGING = "PriorityCharging"
    """2.1: maximum-power charging requested by the driver."""
    LOCAL_GENERATION = "LocalGeneration"
    """2.1: limits from local generation."""


class ProfileKind(enum.StrEnum):
    """How a schedule is anchored in time."""

    ABSOLUTE = "Absolute"
    """Anchored at ``startSchedule``."""
    RECURRING = "Recurring"
    """Anchored at ``startSchedule`` and repeated every day or week."""
    RELATIVE = "Relative"
    """Anchored at the start of the transaction."""
    DYNAMIC = "Dynamic"
    """2.1: one period whose values the CSMS updates (UpdateDynamicSchedule)."""


class RecurrencyKind(enum.StrEnum):
    """The recurrence period of a Recurring profile."""

    DAILY = "Daily"
    """Every 86 400 s."""
    WEEKLY = "Weekly"
    """Every 604 800 s."""


class OperationMode(enum.StrEnum):
    """2.1: the operation mode of a schedule period (absent means ``ChargingOnly``)."""

    IDLE = "Idle"
    """Neither charge nor discharge."""
    CHARGING_ONLY = "ChargingOnly"
    """Charge up to ``limit``; the only mode before 2.1."""
    CENTRAL_SETPOINT = "CentralSetpoint"
    """Follow ``setpoint`` (negative: discharge) set by the CSMS."""
    EXTERNAL_SETPOINT = "ExternalSetpoint"
    """Follow a setpoint from an external actor."""
    EXTERNAL_LIMITS = "ExternalLimits"
    """Follow limits from an external actor."""
    CENTRAL_FREQUENCY = "CentralFrequency"
    """Frequency support with a central setpoint."""
    LOCAL_FREQUENCY = "LocalFrequency"
    """Frequency support along ``v2xFreqWattCurve``."""
    LOCAL_LOAD_BALANCING = "LocalLoadBalancing"
    """Local load balancing."""


class PhaseType(enum.StrEnum):
    """The supply of an EVSE."""

    AC = "AC"
    """Alternating current: numberPhases applies (absent means 3)."""
    DC = "DC"
    """Direct current: no phases."""


class SmartChargingFeature(enum.StrEnum):
    """2.1 ``SmartChargingCtrlr.SupportsFeature`` members that gate profile fields."""

    DYNAMIC_PROFILES = "DynamicProfiles"
    """Dynamic profiles (K01.FR.121)."""
    USE_LOCAL_TIME = "UseLocalTime"
    """``useLocalTime`` (K01.FR.123)."""
    RANDOMIZED_DELAY = "RandomizedDelay"
    """``randomizedDelay`` (K01.FR.124)."""
    LIMIT_AT_SOC = "LimitAtSoC"
    """``limitAtSoC`` (K01.FR.125)."""
    EVSE_SLEEP = "EvseSleep"
    """``evseSleep`` (K01.FR.126)."""


PURPOSE_ALIASES: dict[str, ProfilePurpose] = {
    "ChargePointMaxProfile": ProfilePurpose.CHARGING_STATION_MAX,
}
"""Purpose names of other versions: 1.6 ``ChargePointMaxProfile`` is the station maximum."""


# attrs converters, one per field so that an error names its field (see ._enums).


def _period_mode(value: object) -> OperationMode | None:
    return None if value is None else to_enum(OperationMode, value, "SchedulePeriod.operation_mode")


def _schedule_unit(value: object) -> ChargingRateUnit:
    return to_enum(ChargingRateUnit, value, "ChargingSchedule.charging_rate_unit")


def _profile_purpose(value: object) -> ProfilePurpose:
    return to_enum(ProfilePurpose, value, "ChargingProfile.purpose", PURPOSE_ALIASES)


def _profile_kind(value: object) -> ProfileKind:
    return to_enum(ProfileKind, value, "ChargingProfile.kind")


def _profile_recurrency(value: object) -> RecurrencyKind | None:
    if value is None:
        return None
    return to_enum(RecurrencyKind, value, "ChargingProfile.recurrency_kind")


def _evse_phase_type(value: object) -> PhaseType:
    return to_enum(PhaseType, value, "Evse.phase_type")


def _station_units(value: object) -> tuple[ChargingRateUnit, ...]:
    return enum_tuple(ChargingRateUnit, value, "Station.rate_units")


def _station_additional(value: object) -> frozenset[ProfilePurpose]:
    return frozenset(
        enum_tuple(ProfilePurpose, value, "Station.additional_purposes", PURPOSE_ALIASES)
    )


def _station_features(value: object) -> frozenset[SmartChargingFeature]:
    return frozenset(enum_tuple(SmartChargingFeature, value, "Station.features"))


def _station_supported(value: object) -> frozenset[ProfilePurpose] | None:
    if value is None:
        return None
    return frozenset(
        enum_tuple(ProfilePurpose, value, "Station.supported_purposes", PURPOSE_ALIASES)
    )


@attrs.frozen(kw_only=True)
class V2XFreqWattPoint:
    """2.1: one point of a frequency/power curve (``v2xFreqWattCurve``)."""

    frequency: float
    """Net frequency in Hz."""
    power: float
    """Power in W (or % as the schema allows) at that frequency; negative discharges."""
    custom_data: Opaque | None = None
    """2.x ``customData``, carried untouched."""


@attrs.frozen(kw_only=True)
class V2XSignalWattPoint:
    """2.1: one point of a signal/power curve (``v2xSignalWattCurve``)."""

    signal: int
    """The external signal value."""
    power: float
    """Power at that signal value."""
    custom_data: Opaque | None = None
    """2.x ``customData``, carried untouched."""


@attrs.frozen(kw_only=True)
class LimitAtSoC:
    """2.1: a limit that applies once the EV reaches a state of charge."""

    soc: int
    """State of charge in percent (0..100)."""
    limit: float
    """The limit, in the schedule's unit, from that state of charge on."""
    custom_data: Opaque | None = None
    """2.x ``customData``, carried untouched."""


@attrs.frozen(kw_only=True)
class SchedulePeriod:
    """One period of a charging schedule, from ``start_period`` to the next period's start.

    Only ``start_period`` is always present. ``limit`` is required in 1.6 and
    2.0.1 and optional in 2.1 (where the operation mode says what is needed).
    In W, ``limit`` (and ``setpoint``, ``discharge_limit``) is the total over all
    phases unless L2/L3 values are given, in which case it is the L1 value.
    """

    start_period: int
    """Seconds from the start of the schedule."""
    limit: float | None = None
    """Maximum rate (A or W); negative values are 2.1's backward-compatible discharge limits."""
    number_phases: int | None = None
    """Phases to charge on (absent: 3 for AC)."""
    phase_to_use: int | None = None
    """2.x: the phase to use when ``number_phases`` is 1 (needs AC phase switching)."""
    limit_l2: float | None = None
    """2.1: limit on phase L2."""
    limit_l3: float | None = None
    """2.1: limit on phase L3."""
    discharge_limit: float | None = None
    """2.1: discharge limit (<= 0)."""
    discharge_limit_l2: float | None = None
    """2.1: discharge limit on L2."""
    discharge_limit_l3: float | None = None
    """2.1: discharge limit on L3."""
    setpoint: float | None = None
    """2.1: setpoint (negative: discharge)."""
    setpoint_l2: float | None = None
    """2.1: setpoint on L2."""
    setpoint_l3: float | None = None
    """2.1: setpoint on L3."""
    setpoint_reactive: float | None = None
    """2.1: reactive power setpoint (+ inductive, - capacitive)."""
    setpoint_reactive_l2: float | None = None
    """2.1: reactive setpoint on L2."""
    setpoint_reactive_l3: float | None = None
    """2.1: reactive setpoint on L3."""
    preconditioning_request: bool | None = None
    """2.1: ask the EV to precondition."""
    evse_sleep: bool | None = None
    """2.1: the EVSE may sleep during this period."""
    v2x_baseline: float | None = None
    """2.1: baseline power for frequency support."""
    operation_mode: OperationMode | None = attrs.field(default=None, converter=_period_mode)
    """2.1: operation mode (absent means ChargingOnly)."""
    v2x_freq_watt_curve: tuple[V2XFreqWattPoint, ...] | None = None
    """2.1: frequency/power curve (LocalFrequency)."""
    v2x_signal_watt_curve: tuple[V2XSignalWattPoint, ...] | None = None
    """2.1: signal/power curve."""
    custom_data: Opaque | None = None
    """2.x ``customData``, carried untouched."""
    extra: Opaque | None = None
    """2.0 (2018): the properties beyond the schema's own (2.0 objects are open), carried
    untouched; dropped when converting to another version."""

    @property
    def effective_mode(self) -> OperationMode:
        """The operation mode, with absence read as ChargingOnly."""
        return self.operation_mode or OperationMode.CHARGING_ONLY

    @property
    def uses_phase_values(self) -> bool:
        """True when any L2/L3 limit, discharge limit or setpoint is given (2.1)."""
        return any(
            value is not None
            for value in (
                self.limit_l2,
                self.limit_l3,
                self.discharge_limit_l2,
                self.discharge_limit_l3,
                self.setpoint_l2,
                self.setpoint_l3,
            )
        )


@attrs.frozen(kw_only=True)
class ChargingSchedule:
    """A charging schedule: a unit, an optional anchor and duration, and its periods."""

    charging_rate_unit: ChargingRateUnit = attrs.field(converter=_schedule_unit)
    """Unit of every limit in the schedule."""
    periods: tuple[SchedulePeriod, ...]
    """The periods, ordered by ``start_period`` (the first at 0)."""
    id: int | None = None
    """2.x schedule id (required there; 1.6 has none)."""
    start_schedule: datetime | None = None
    """Anchor of Absolute and Recurring schedules."""
    duration: int | None = None
    """Seconds the schedule lasts from its anchor; absent: the last period runs on."""
    min_charging_rate: float | None = None
    """The EV's minimum rate (informational; the composite does not use it)."""
    limit_at_soc: LimitAtSoC | None = None
    """2.1: limit once a state of charge is reached."""
    power_tolerance: float | None = None
    """2.1: allowed deviation from the setpoint."""
    signature_id: int | None = None
    """2.1: id of the signature over the price schedule."""
    digest_value: str | None = None
    """2.1: digest of the signed price schedule."""
    use_local_time: bool | None = None
    """2.1: read the schedule's times as local wall time."""
    randomized_delay: int | None = None
    """2.1: random delay (0..N s) before each period."""
    sales_tariff: Opaque | None = None
    """2.x ISO 15118 sales tariff, carried untouched."""
    absolute_price_schedule: Opaque | None = None
    """2.1 ISO 15118-20 absolute price schedule, carried untouched."""
    price_level_schedule: Opaque | None = None
    """2.1 ISO 15118-20 price level schedule, carried untouched."""
    custom_data: Opaque | None = None
    """2.x ``customData``, carried untouched."""
    extra: Opaque | None = None
    """2.0 (2018): the properties beyond the schema's own, carried untouched."""


@attrs.frozen(kw_only=True)
class ChargingProfile:
    """A charging profile of any OCPP version.

    1.6 profiles have exactly one schedule; 2.x profiles have one to three
    (more than one only for ISO 15118 schedule offers). The composite uses the
    first schedule unless a selection is given
    (:attr:`~ocpp_core.smart_charging.CompositeOptions.schedule_selection`).
    """

    id: int
    """Profile id (1.6 ``chargingProfileId``); the replacement key."""
    stack_level: int
    """Priority within its purpose: the highest level with a period in force wins."""
    purpose: ProfilePurpose = attrs.field(converter=_profile_purpose)
    """What the profile is for (1.6 ``ChargePointMaxProfile`` reads as the station maximum)."""
    kind: ProfileKind = attrs.field(converter=_profile_kind)
    """How the schedule is anchored."""
    schedules: tuple[ChargingSchedule, ...]
    """The schedules (1.6: exactly one)."""
    recurrency_kind: RecurrencyKind | None = attrs.field(
        default=None, converter=_profile_recurrency
    )
    """Daily or Weekly, for Recurring profiles (ignored on other kinds)."""
    valid_from: datetime | None = None
    """Start of validity (inclusive); absent: valid from installation."""
    valid_to: datetime | None = None
    """End of validity (exclusive); absent: valid until replaced."""
    transaction_id: TransactionId | None = None
    """The transaction a TxProfile belongs to (1.6: integer, 2.x: string)."""
    max_offline_duration: int | None = None
    """2.1: seconds offline after which the profile stops being valid."""
    invalid_after_offline_duration: bool | None = None
    """2.1: exceeding ``max_offline_duration`` makes the profile invalid for good."""
    dyn_update_interval: int | None = None
    """2.1: seconds between dynamic schedule updates (Dynamic only)."""
    dyn_update_time: datetime | None = None
    """2.1: time of the last dynamic update (Dynamic only)."""
    price_schedule_signature: str | None = None
    """2.1: signature over the price schedule."""
    primary: bool | None = None
    """2.0 (2018) ``primary``, carried faithfully (the engine does not interpret it; 2.0.1
    dropped the field)."""
    custom_data: Opaque | None = None
    """2.x ``customData``, carried untouched."""
    extra: Opaque | None = None
    """2.0 (2018): the properties beyond the schema's own, carried untouched."""

    @property
    def schedule(self) -> ChargingSchedule:
        """The first schedule (the one the composite uses by default).

        Raises:
            ValueError: when the profile has no schedule at all.
        """
        if not self.schedules:
            raise ValueError(f"charging profile {self.id} has no charging schedule")
        return self.schedules[0]


@attrs.frozen(kw_only=True)
class Evse:
    """One EVSE of the station (in OCPP 1.6: one connector)."""

    id: int
    """EVSE id (1.6 connector id), counted from 1."""
    phase_type: PhaseType = attrs.field(default=PhaseType.AC, converter=_evse_phase_type)
    """AC or DC supply."""


@attrs.frozen(kw_only=True)
class Transaction:
    """An active transaction on an EVSE."""

    evse_id: int
    """The EVSE (1.6 connector) it runs on."""
    started_at: datetime
    """When it started: the anchor of Relative profiles (1.6: the start meter value time)."""
    transaction_id: TransactionId | None = None
    """Its id, which TxProfiles name in ``transactionId``."""


def _default_units() -> tuple[ChargingRateUnit, ...]:
    return (ChargingRateUnit.A, ChargingRateUnit.W)


@attrs.frozen(kw_only=True)
class Station:
    """The charging station as the engine sees it: supply, defaults, maxima, transactions.

    The defaults are those of libocpp 1.6 (48 A / 33 120 W, 3 phases, 230 V),
    so a station built with only its EVSEs reproduces the 1.6 reference cases.
    """

    evses: tuple[Evse, ...]
    """The EVSEs (1.6: connectors), ids from 1."""
    supply_voltage: float = 230.0
    """Voltage per phase used for A<->W conversion (libocpp ``SupplyVoltage``)."""
    supply_phases: int = 3
    """Phases the station is connected to (2.x ``ChargingStation.SupplyPhases``)."""
    default_limit_a: float = 48.0
    """Limit reported in A where no profile limits (per EVSE)."""
    default_limit_w: float = 33120.0
    """Limit reported in W where no profile limits (per EVSE)."""
    default_number_phases: int = 3
    """Phases used for conversion where no contributing period gives numberPhases."""
    rate_units: tuple[ChargingRateUnit, ...] = attrs.field(
        factory=_default_units, converter=_station_units
    )
    """Supported units in preference order (1.6 ``ChargingScheduleAllowedChargingRateUnit``,
    2.x ``SmartChargingCtrlr.RateUnit``); the first is the composite's default unit."""
    max_stack_level: int | None = None
    """Highest accepted stackLevel (``ChargeProfileMaxStackLevel`` / ``ProfileStackLevel``)."""
    max_periods_per_schedule: int | None = None
    """Most periods per schedule (``ChargingScheduleMaxPeriods`` / ``PeriodsPerSchedule``)."""
    max_profiles_installed: int | None = None
    """Most installed profiles (``MaxChargingProfilesInstalled``,
    ``Entries[ChargingProfiles]``)."""
    ac_phase_switching_supported: bool = False
    """2.x ``ACPhaseSwitchingSupported``: whether ``phaseToUse`` is accepted."""
    dc_input_phase_control: bool = False
    """2.1 ``DCInputPhaseControl``: whether DC EVSEs accept phase values."""
    max_external_constraints_id: int | None = None
    """2.1 ``MaxExternalConstraintsId``: ids up to it are reserved for external actors."""
    additional_purposes: frozenset[ProfilePurpose] = attrs.field(
        default=frozenset(), converter=_station_additional
    )
    """2.1 ``SupportedAdditionalPurposes`` (PriorityCharging, LocalGeneration)."""
    features: frozenset[SmartChargingFeature] = attrs.field(
        default=frozenset(), converter=_station_features
    )
    """2.1 ``SupportsFeature`` members that are true."""
    update_rate_limit: int | None = None
    """2.1 ``UpdateRateLimit``: least seconds between profiles of one purpose."""
    supported_purposes: frozenset[ProfilePurpose] | None = attrs.field(
        default=None, converter=_station_supported
    )
    """1.6 ``SupportedChargingProfilePurposeTypes`` (libocpp); ``None``: all."""
    allow_missing_start_schedule: bool = False
    """1.6 (libocpp ``AllowChargingProfileWithoutStartSchedule``): accept Absolute/Recurring
    profiles without startSchedule and anchor them at installation time."""
    available: bool = True
    """2.x ``SmartChargingCtrlr.Available``: when false SetChargingProfile gets a
    CALLERROR NotSupported (K01.FR.29)."""
    transactions: tuple[Transaction, ...] = ()
    """The active transactions, at most one per EVSE."""

    def evse(self, evse_id: int) -> Evse | None:
        """Return the EVSE with ``evse_id``, or ``None`` when there is none."""
        for evse in self.evses:
            if evse.id == evse_id:
                return evse
        return None

    def phase_type(self, evse_id: int) -> PhaseType:
        """The supply of ``evse_id``; for 0 (the station) DC only if every EVSE is DC."""
        if evse_id == 0:
            if self.evses and all(e.phase_type is PhaseType.DC for e in self.evses):
                return PhaseType.DC
            return PhaseType.AC
        evse = self.evse(evse_id)
        return PhaseType.AC if evse is None else evse.phase_type

    def transaction_on(
        self, evse_id: int, transactions: tuple[Transaction, ...] | None = None
    ) -> Transaction | None:
        """The active transaction on ``evse_id`` (from ``transactions`` if given)."""
        for transaction in self.transactions if transactions is None else transactions:
            if transaction.evse_id == evse_id:
                return transaction
        return None

    def default_limit(self, unit: ChargingRateUnit | str) -> float:
        """The default limit in ``unit`` (an A/W string or message enum is accepted too)."""
        chosen = to_enum(ChargingRateUnit, unit, "unit")
        return self.default_limit_a if chosen is ChargingRateUnit.A else self.default_limit_w


@attrs.frozen(kw_only=True)
class InstalledProfile:
    """A profile as a :class:`~ocpp_core.smart_charging.ProfileStore` holds it."""

    evse_id: int
    """Where it was installed: 0 for the whole station, else the EVSE (1.6: connector)."""
    profile: ChargingProfile
    """The profile as stored (after the version's conformance changes, e.g. K01.FR.49)."""
    sequence: int = 0
    """Installation order within the store (later installs have higher numbers)."""
    installed_at: datetime | None = None
    """When it was installed, if the caller said (used by the 2.1 rate limit, K01.FR.56)."""
    limit_source: str = "CSO"
    """2.x ``chargingLimitSource`` reported by GetChargingProfiles (``CSO`` for the CSMS)."""


class InstalledProfiles(Protocol):
    """What validation and the composite read of a store: its version and its entries.

    :class:`~ocpp_core.smart_charging.ProfileStore` is one; naming only these two
    attributes keeps the rules free of the store (no import cycle) and lets a host
    pass its own read-only view.
    """

    @property
    def version(self) -> OcppVersion:
        """The OCPP version whose rules apply."""
        ...

    @property
    def entries(self) -> tuple[InstalledProfile, ...]:
        """The installed profiles, in installation order."""
        ...


def purpose_name(purpose: ProfilePurpose, version: OcppVersion | None = None) -> str:
    """The purpose as ``version`` names it (1.6: ``ChargePointMaxProfile``)."""
    if version is OcppVersion.V16 and purpose is ProfilePurpose.CHARGING_STATION_MAX:
        return "ChargePointMaxProfile"
    return purpose.value


def evse_name(evse_id: int, version: OcppVersion | None = None) -> str:
    """``station`` for 0, else ``EVSE n`` (1.6: ``connector n``)."""
    if evse_id == 0:
        return "station"
    return f"connector {evse_id}" if version is OcppVersion.V16 else f"EVSE {evse_id}"
