"""Adapters between the generated message types and the version-neutral model.

Every field of the 1.6, 2.0.1 and 2.1 ``ChargingProfile`` (with its schedules
and periods) has a home in the neutral model, so ``profile_from_ocpp`` followed
by ``profile_to_ocpp`` of the same version gives back an equal object: the
round trip is lossless. Values the engine does not interpret (``customData``,
``salesTariff``, the 2.1 price schedules) are carried as they came; converting
them to another version goes through their wire form.

Converting *between* versions drops what the target cannot say (2.1 setpoints
on the way to 2.0.1, schedule ids on the way to 1.6) and raises
:class:`ValueError` for what it cannot express at all (a 2.x purpose or kind
unknown to 1.6, a 2.1-only purpose in 2.0.1).

OCPP 2.0 (2018) is not supported: its profile model differs.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, overload

import attrs

from ocpp_core._api import encode_payload
from ocpp_core.errors import ErrorCode, OcppError
from ocpp_core.smart_charging._composite import (
    CompositePeriod,
    CompositeResult,
    CompositeSchedule,
    CompositeStatus,
    ExplanationKind,
    PeriodExplanation,
)
from ocpp_core.smart_charging._enums import to_version
from ocpp_core.smart_charging._model import (
    ChargingProfile,
    ChargingRateUnit,
    ChargingSchedule,
    LimitAtSoC,
    Opaque,
    OperationMode,
    ProfileKind,
    ProfilePurpose,
    RecurrencyKind,
    SchedulePeriod,
    V2XFreqWattPoint,
    V2XSignalWattPoint,
)
from ocpp_core.smart_charging._validation import ValidationResult
from ocpp_core.versions import OcppVersion, VersionLike

if TYPE_CHECKING:
    from ocpp_core import v16, v21, v201

__all__ = [
    "AnyChargingProfile",
    "AnyGetCompositeScheduleResponse",
    "AnySetChargingProfileRequest",
    "ChargingProfileRequest",
    "composite_from_ocpp",
    "composite_to_ocpp",
    "profile_from_ocpp",
    "profile_to_ocpp",
    "set_charging_profile_from_ocpp",
    "set_charging_profile_response",
    "set_charging_profile_to_ocpp",
]

AnyChargingProfile: TypeAlias = "v16.ChargingProfile | v201.ChargingProfile | v21.ChargingProfile"
"""A generated ChargingProfile of 1.6, 2.0.1 or 2.1."""
AnySetChargingProfileRequest: TypeAlias = (
    "v16.SetChargingProfileRequest | v201.SetChargingProfileRequest | v21.SetChargingProfileRequest"
)
"""A generated SetChargingProfile request of 1.6, 2.0.1 or 2.1."""
AnyGetCompositeScheduleResponse: TypeAlias = (
    "v16.GetCompositeScheduleResponse | v201.GetCompositeScheduleResponse"
    " | v21.GetCompositeScheduleResponse"
)
"""A generated GetCompositeSchedule response of 1.6, 2.0.1 or 2.1."""

_V16_MAX = "ChargePointMaxProfile"


_SUPPORTED = (OcppVersion.V16, OcppVersion.V201, OcppVersion.V21)


def _module(version: OcppVersion) -> Any:
    """The generated package of ``version``, imported on first use."""
    if version not in _SUPPORTED:
        raise ValueError(f"OCPP {version.value} is not supported by the smart-charging adapters")
    return importlib.import_module(version.package)


def _version_of(obj: object) -> OcppVersion:
    package = type(obj).__module__.rpartition(".")[0]
    for version in _SUPPORTED:
        if package == version.package:
            return version
    raise TypeError(f"not a generated OCPP 1.6/2.0.1/2.1 type: {type(obj).__name__}")


def _carry(value: object, cls_name: str, version: OcppVersion) -> Any:
    """Carry an opaque value into ``version``.

    As is when it already has the target type; otherwise through its wire form (a
    generated object of another version, or a wire dictionary).
    """
    if value is None:
        return None
    target = getattr(_module(version), cls_name)
    if isinstance(value, target):
        return value
    wire = value if isinstance(value, Mapping) else encode_payload(value)
    converter = importlib.import_module("ocpp_core._converter").make_converter(version)
    return converter.structure(dict(wire), target)


# --------------------------------------------------------------------------------------
# Profiles
# --------------------------------------------------------------------------------------


def _curve_from(curve: Any) -> Any:
    """Neutral points of a generated 2.1 V2X curve (frequency or signal)."""
    if curve is None:
        return None
    out: list[V2XFreqWattPoint | V2XSignalWattPoint] = []
    for point in curve:
        if hasattr(point, "frequency"):
            out.append(
                V2XFreqWattPoint(
                    frequency=point.frequency, power=point.power, custom_data=point.custom_data
                )
            )
        else:
            out.append(
                V2XSignalWattPoint(
                    signal=point.signal, power=point.power, custom_data=point.custom_data
                )
            )
    return tuple(out)


def _curve_to(curve: Any, mod: Any, version: OcppVersion) -> Any:
    """Generated 2.1 points of a neutral V2X curve."""
    if curve is None:
        return None
    out = []
    for point in curve:
        custom = _carry(point.custom_data, "CustomData", version)
        if isinstance(point, V2XFreqWattPoint):
            out.append(
                mod.V2XFreqWattPoint(
                    frequency=point.frequency, power=point.power, custom_data=custom
                )
            )
        else:
            out.append(
                mod.V2XSignalWattPoint(signal=point.signal, power=point.power, custom_data=custom)
            )
    return tuple(out)


def _period_from(period: Any, version: OcppVersion) -> SchedulePeriod:
    if version is OcppVersion.V16:
        return SchedulePeriod(
            start_period=period.start_period,
            limit=period.limit,
            number_phases=period.number_phases,
        )
    if version is OcppVersion.V201:
        return SchedulePeriod(
            start_period=period.start_period,
            limit=period.limit,
            number_phases=period.number_phases,
            phase_to_use=period.phase_to_use,
            custom_data=period.custom_data,
        )
    freq = period.v2x_freq_watt_curve
    signal = period.v2x_signal_watt_curve
    return SchedulePeriod(
        start_period=period.start_period,
        limit=period.limit,
        number_phases=period.number_phases,
        phase_to_use=period.phase_to_use,
        limit_l2=period.limit_l2,
        limit_l3=period.limit_l3,
        discharge_limit=period.discharge_limit,
        discharge_limit_l2=period.discharge_limit_l2,
        discharge_limit_l3=period.discharge_limit_l3,
        setpoint=period.setpoint,
        setpoint_l2=period.setpoint_l2,
        setpoint_l3=period.setpoint_l3,
        setpoint_reactive=period.setpoint_reactive,
        setpoint_reactive_l2=period.setpoint_reactive_l2,
        setpoint_reactive_l3=period.setpoint_reactive_l3,
        preconditioning_request=period.preconditioning_request,
        evse_sleep=period.evse_sleep,
        v2x_baseline=period.v2x_baseline,
        operation_mode=None
        if period.operation_mode is None
        else OperationMode(period.operation_mode.value),
        v2x_freq_watt_curve=None
        if freq is None
        else tuple(
            V2XFreqWattPoint(frequency=p.frequency, power=p.power, custom_data=p.custom_data)
            for p in freq
        ),
        v2x_signal_watt_curve=None
        if signal is None
        else tuple(
            V2XSignalWattPoint(signal=p.signal, power=p.power, custom_data=p.custom_data)
            for p in signal
        ),
        custom_data=period.custom_data,
    )


def _schedule_from(schedule: Any, version: OcppVersion) -> ChargingSchedule:
    periods = tuple(_period_from(p, version) for p in schedule.charging_schedule_period)
    unit = ChargingRateUnit(schedule.charging_rate_unit.value)
    if version is OcppVersion.V16:
        return ChargingSchedule(
            charging_rate_unit=unit,
            periods=periods,
            start_schedule=schedule.start_schedule,
            duration=schedule.duration,
            min_charging_rate=schedule.min_charging_rate,
        )
    common: dict[str, Any] = {
        "charging_rate_unit": unit,
        "periods": periods,
        "id": schedule.id,
        "start_schedule": schedule.start_schedule,
        "duration": schedule.duration,
        "min_charging_rate": schedule.min_charging_rate,
        "sales_tariff": schedule.sales_tariff,
        "custom_data": schedule.custom_data,
    }
    if version is OcppVersion.V21:
        soc = schedule.limit_at_soc
        common.update(
            limit_at_soc=None
            if soc is None
            else LimitAtSoC(soc=soc.soc, limit=soc.limit, custom_data=soc.custom_data),
            power_tolerance=schedule.power_tolerance,
            signature_id=schedule.signature_id,
            digest_value=schedule.digest_value,
            use_local_time=schedule.use_local_time,
            randomized_delay=schedule.randomized_delay,
            absolute_price_schedule=schedule.absolute_price_schedule,
            price_level_schedule=schedule.price_level_schedule,
        )
    return ChargingSchedule(**common)


def profile_from_ocpp(profile: AnyChargingProfile) -> ChargingProfile:
    """The neutral form of a generated ChargingProfile of 1.6, 2.0.1 or 2.1.

    1.6: ``csChargingProfiles`` of SetChargingProfile or ``chargingProfile`` of
    RemoteStartTransaction; 2.x: ``chargingProfile`` of SetChargingProfile or
    RequestStartTransaction.

    Raises:
        TypeError: ``profile`` is not a generated 1.6, 2.0.1 or 2.1 ChargingProfile.
    """
    version = _version_of(profile)
    p: Any = profile
    purpose_text = p.charging_profile_purpose.value
    purpose = (
        ProfilePurpose.CHARGING_STATION_MAX
        if purpose_text == _V16_MAX
        else ProfilePurpose(purpose_text)
    )
    recurrency = None if p.recurrency_kind is None else RecurrencyKind(p.recurrency_kind.value)
    kind = ProfileKind(p.charging_profile_kind.value)
    if version is OcppVersion.V16:
        return ChargingProfile(
            id=p.charging_profile_id,
            stack_level=p.stack_level,
            purpose=purpose,
            kind=kind,
            schedules=(_schedule_from(p.charging_schedule, version),),
            recurrency_kind=recurrency,
            valid_from=p.valid_from,
            valid_to=p.valid_to,
            transaction_id=p.transaction_id,
        )
    common: dict[str, Any] = {
        "id": p.id,
        "stack_level": p.stack_level,
        "purpose": purpose,
        "kind": kind,
        "schedules": tuple(_schedule_from(s, version) for s in p.charging_schedule),
        "recurrency_kind": recurrency,
        "valid_from": p.valid_from,
        "valid_to": p.valid_to,
        "transaction_id": p.transaction_id,
        "custom_data": p.custom_data,
    }
    if version is OcppVersion.V21:
        common.update(
            max_offline_duration=p.max_offline_duration,
            invalid_after_offline_duration=p.invalid_after_offline_duration,
            dyn_update_interval=p.dyn_update_interval,
            dyn_update_time=p.dyn_update_time,
            price_schedule_signature=p.price_schedule_signature,
        )
    return ChargingProfile(**common)


def _period_to(period: SchedulePeriod, version: OcppVersion, mod: Any) -> Any:
    if version is OcppVersion.V16:
        if period.limit is None:
            raise ValueError(f"period at {period.start_period} s has no limit (1.6 requires one)")
        return mod.ChargingSchedulePeriod(
            start_period=period.start_period,
            limit=period.limit,
            number_phases=period.number_phases,
        )
    custom = _carry(period.custom_data, "CustomData", version)
    if version is OcppVersion.V201:
        if period.limit is None:
            raise ValueError(f"period at {period.start_period} s has no limit (2.0.1 requires one)")
        return mod.ChargingSchedulePeriod(
            start_period=period.start_period,
            limit=period.limit,
            number_phases=period.number_phases,
            phase_to_use=period.phase_to_use,
            custom_data=custom,
        )
    return mod.ChargingSchedulePeriod(
        start_period=period.start_period,
        limit=period.limit,
        limit_l2=period.limit_l2,
        limit_l3=period.limit_l3,
        number_phases=period.number_phases,
        phase_to_use=period.phase_to_use,
        discharge_limit=period.discharge_limit,
        discharge_limit_l2=period.discharge_limit_l2,
        discharge_limit_l3=period.discharge_limit_l3,
        setpoint=period.setpoint,
        setpoint_l2=period.setpoint_l2,
        setpoint_l3=period.setpoint_l3,
        setpoint_reactive=period.setpoint_reactive,
        setpoint_reactive_l2=period.setpoint_reactive_l2,
        setpoint_reactive_l3=period.setpoint_reactive_l3,
        preconditioning_request=period.preconditioning_request,
        evse_sleep=period.evse_sleep,
        v2x_baseline=period.v2x_baseline,
        operation_mode=None
        if period.operation_mode is None
        else mod.OperationModeEnum(period.operation_mode.value),
        v2x_freq_watt_curve=None
        if period.v2x_freq_watt_curve is None
        else tuple(
            mod.V2XFreqWattPoint(
                frequency=p.frequency,
                power=p.power,
                custom_data=_carry(p.custom_data, "CustomData", version),
            )
            for p in period.v2x_freq_watt_curve
        ),
        v2x_signal_watt_curve=None
        if period.v2x_signal_watt_curve is None
        else tuple(
            mod.V2XSignalWattPoint(
                signal=p.signal,
                power=p.power,
                custom_data=_carry(p.custom_data, "CustomData", version),
            )
            for p in period.v2x_signal_watt_curve
        ),
        custom_data=custom,
    )


def _schedule_to(schedule: ChargingSchedule, version: OcppVersion, mod: Any) -> Any:
    periods = tuple(_period_to(p, version, mod) for p in schedule.periods)
    if version is OcppVersion.V16:
        return mod.ChargingSchedule(
            duration=schedule.duration,
            start_schedule=schedule.start_schedule,
            charging_rate_unit=mod.ChargingRateUnitType(schedule.charging_rate_unit.value),
            charging_schedule_period=periods,
            min_charging_rate=schedule.min_charging_rate,
        )
    common: dict[str, Any] = {
        "id": 0 if schedule.id is None else schedule.id,
        "start_schedule": schedule.start_schedule,
        "duration": schedule.duration,
        "charging_rate_unit": mod.ChargingRateUnitEnum(schedule.charging_rate_unit.value),
        "charging_schedule_period": periods,
        "min_charging_rate": schedule.min_charging_rate,
        "sales_tariff": _carry(schedule.sales_tariff, "SalesTariff", version),
        "custom_data": _carry(schedule.custom_data, "CustomData", version),
    }
    if version is OcppVersion.V21:
        soc = schedule.limit_at_soc
        common.update(
            limit_at_soc=None
            if soc is None
            else mod.LimitAtSoC(
                soc=soc.soc,
                limit=soc.limit,
                custom_data=_carry(soc.custom_data, "CustomData", version),
            ),
            power_tolerance=schedule.power_tolerance,
            signature_id=schedule.signature_id,
            digest_value=schedule.digest_value,
            use_local_time=schedule.use_local_time,
            randomized_delay=schedule.randomized_delay,
            absolute_price_schedule=_carry(
                schedule.absolute_price_schedule, "AbsolutePriceSchedule", version
            ),
            price_level_schedule=_carry(
                schedule.price_level_schedule, "PriceLevelSchedule", version
            ),
        )
    return mod.ChargingSchedule(**common)


@overload
def profile_to_ocpp(
    profile: ChargingProfile, version: Literal[OcppVersion.V16, "1.6"]
) -> v16.ChargingProfile: ...
@overload
def profile_to_ocpp(
    profile: ChargingProfile, version: Literal[OcppVersion.V201, "2.0.1"]
) -> v201.ChargingProfile: ...
@overload
def profile_to_ocpp(
    profile: ChargingProfile, version: Literal[OcppVersion.V21, "2.1"]
) -> v21.ChargingProfile: ...
@overload
def profile_to_ocpp(profile: ChargingProfile, version: VersionLike) -> AnyChargingProfile: ...
def profile_to_ocpp(profile: ChargingProfile, version: VersionLike) -> AnyChargingProfile:
    """The generated ChargingProfile of ``version`` for a neutral profile.

    Raises:
        ValueError: the profile cannot be expressed in ``version`` (a purpose or kind
            the version lacks, several schedules in 1.6, a period without limit
            before 2.1) or the version is not 1.6, 2.0.1 or 2.1.
    """
    target = to_version(version, "version")
    mod = _module(target)
    kind = profile.kind
    purpose = profile.purpose
    if target is not OcppVersion.V21 and (
        kind is ProfileKind.DYNAMIC
        or purpose in (ProfilePurpose.PRIORITY_CHARGING, ProfilePurpose.LOCAL_GENERATION)
    ):
        raise ValueError(f"OCPP {target.value} has no {purpose.value}/{kind.value} profiles")
    recurrency = profile.recurrency_kind
    if target is OcppVersion.V16:
        if purpose is ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS:
            raise ValueError("OCPP 1.6 has no ChargingStationExternalConstraints")
        if len(profile.schedules) != 1:
            raise ValueError("an OCPP 1.6 profile has exactly one charging schedule")
        transaction = profile.transaction_id
        if transaction is not None and not isinstance(transaction, int):
            raise ValueError(f"1.6 transactionId must be an integer, not {transaction!r}")
        return mod.ChargingProfile(  # type: ignore[no-any-return]
            charging_profile_id=profile.id,
            transaction_id=transaction,
            stack_level=profile.stack_level,
            charging_profile_purpose=mod.ChargingProfilePurposeType(
                _V16_MAX if purpose is ProfilePurpose.CHARGING_STATION_MAX else purpose.value
            ),
            charging_profile_kind=mod.ChargingProfileKindType(kind.value),
            recurrency_kind=None
            if recurrency is None
            else mod.RecurrencyKindType(recurrency.value),
            valid_from=profile.valid_from,
            valid_to=profile.valid_to,
            charging_schedule=_schedule_to(profile.schedules[0], target, mod),
        )
    common: dict[str, Any] = {
        "id": profile.id,
        "stack_level": profile.stack_level,
        "charging_profile_purpose": mod.ChargingProfilePurposeEnum(purpose.value),
        "charging_profile_kind": mod.ChargingProfileKindEnum(kind.value),
        "recurrency_kind": None if recurrency is None else mod.RecurrencyKindEnum(recurrency.value),
        "valid_from": profile.valid_from,
        "valid_to": profile.valid_to,
        "charging_schedule": tuple(_schedule_to(s, target, mod) for s in profile.schedules),
        "transaction_id": None if profile.transaction_id is None else str(profile.transaction_id),
        "custom_data": _carry(profile.custom_data, "CustomData", target),
    }
    if target is OcppVersion.V21:
        common.update(
            max_offline_duration=profile.max_offline_duration,
            invalid_after_offline_duration=profile.invalid_after_offline_duration,
            dyn_update_interval=profile.dyn_update_interval,
            dyn_update_time=profile.dyn_update_time,
            price_schedule_signature=profile.price_schedule_signature,
        )
    return mod.ChargingProfile(**common)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------
# SetChargingProfile
# --------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ChargingProfileRequest:
    """A SetChargingProfile request in neutral form."""

    evse_id: int
    """The EVSE (1.6: ``connectorId``); 0 for the whole station."""
    profile: ChargingProfile
    """The profile (1.6: ``csChargingProfiles``)."""
    custom_data: Opaque | None = None
    """2.x request ``customData``, carried untouched."""


def set_charging_profile_from_ocpp(
    request: AnySetChargingProfileRequest,
) -> ChargingProfileRequest:
    """The neutral form of a generated SetChargingProfile request of 1.6, 2.0.1 or 2.1."""
    version = _version_of(request)
    r: Any = request
    if version is OcppVersion.V16:
        return ChargingProfileRequest(
            evse_id=r.connector_id, profile=profile_from_ocpp(r.cs_charging_profiles)
        )
    return ChargingProfileRequest(
        evse_id=r.evse_id,
        profile=profile_from_ocpp(r.charging_profile),
        custom_data=r.custom_data,
    )


def set_charging_profile_to_ocpp(
    request: ChargingProfileRequest, version: VersionLike
) -> AnySetChargingProfileRequest:
    """The generated SetChargingProfile request of ``version`` for a neutral request.

    Raises:
        ValueError: as :func:`profile_to_ocpp`.
    """
    target = to_version(version, "version")
    mod = _module(target)
    generated = profile_to_ocpp(request.profile, target)
    if target is OcppVersion.V16:
        return mod.SetChargingProfileRequest(  # type: ignore[no-any-return]
            connector_id=request.evse_id, cs_charging_profiles=generated
        )
    return mod.SetChargingProfileRequest(  # type: ignore[no-any-return]
        evse_id=request.evse_id,
        charging_profile=generated,
        custom_data=_carry(request.custom_data, "CustomData", target),
    )


def set_charging_profile_response(result: ValidationResult, version: VersionLike) -> Any:
    """The SetChargingProfile response of ``version`` for a validation result.

    2.x rejections carry ``statusInfo`` (reasonCode and libocpp's additionalInfo).

    Raises:
        OcppError: the answer is a CALLERROR, not a response (K01.FR.29,
            ``code`` NotSupported); 1.6 answers status NotSupported instead.
    """
    target = to_version(version, "version")
    mod = _module(target)
    if target is OcppVersion.V16:
        status = "Accepted" if result.accepted else "Rejected"
        if result.call_error is ErrorCode.NOT_SUPPORTED:
            status = "NotSupported"
        return mod.SetChargingProfileResponse(status=mod.ChargingProfileStatus(status))
    if result.call_error is not None:
        raise OcppError(result.message or "smart charging is not available", code=result.call_error)
    info = None
    if not result.accepted and result.reason_code is not None:
        info = mod.StatusInfo(
            reason_code=result.reason_code, additional_info=result.additional_info
        )
    return mod.SetChargingProfileResponse(
        status=mod.ChargingProfileStatusEnum(result.status.value), status_info=info
    )


# --------------------------------------------------------------------------------------
# GetCompositeSchedule
# --------------------------------------------------------------------------------------


def _tenths_down(value: float) -> float:
    """``value`` rounded down to a multiple of 0.1 (1.6 limits are ``multipleOf: 0.1``).

    Works on the shortest decimal form of the float, so a value that already is
    a multiple of 0.1 (``21.4``) stays unchanged; any other is rounded towards
    the safe side (a lower limit), as the semantics notes (section 4.4) advise.
    """
    exact = Decimal(repr(float(value)))
    return float(exact.quantize(_TENTH, rounding=ROUND_FLOOR))


_TENTH = Decimal("0.1")


def _composite_period_to(period: CompositePeriod, version: OcppVersion, mod: Any) -> Any:
    if version is OcppVersion.V16:
        return mod.ChargingSchedulePeriod(
            start_period=period.start_period,
            limit=_tenths_down(period.limit),
            number_phases=period.number_phases,
        )
    custom = _carry(period.custom_data, "CustomData", version)
    if version is OcppVersion.V201:
        return mod.ChargingSchedulePeriod(
            start_period=period.start_period,
            limit=period.limit,
            number_phases=period.number_phases,
            phase_to_use=period.phase_to_use,
            custom_data=custom,
        )
    return mod.ChargingSchedulePeriod(
        start_period=period.start_period,
        limit=period.limit,
        limit_l2=period.limit_l2,
        limit_l3=period.limit_l3,
        number_phases=period.number_phases,
        phase_to_use=period.phase_to_use,
        discharge_limit=period.discharge_limit,
        discharge_limit_l2=period.discharge_limit_l2,
        discharge_limit_l3=period.discharge_limit_l3,
        setpoint=period.setpoint,
        setpoint_l2=period.setpoint_l2,
        setpoint_l3=period.setpoint_l3,
        operation_mode=None
        if period.operation_mode is None
        else mod.OperationModeEnum(period.operation_mode.value),
        setpoint_reactive=period.setpoint_reactive,
        setpoint_reactive_l2=period.setpoint_reactive_l2,
        setpoint_reactive_l3=period.setpoint_reactive_l3,
        preconditioning_request=period.preconditioning_request,
        evse_sleep=period.evse_sleep,
        v2x_baseline=period.v2x_baseline,
        v2x_freq_watt_curve=_curve_to(period.v2x_freq_watt_curve, mod, version),
        v2x_signal_watt_curve=_curve_to(period.v2x_signal_watt_curve, mod, version),
        custom_data=custom,
    )


@overload
def composite_to_ocpp(
    result: CompositeResult, version: Literal[OcppVersion.V16, "1.6"]
) -> v16.GetCompositeScheduleResponse: ...
@overload
def composite_to_ocpp(
    result: CompositeResult, version: Literal[OcppVersion.V201, "2.0.1"]
) -> v201.GetCompositeScheduleResponse: ...
@overload
def composite_to_ocpp(
    result: CompositeResult, version: Literal[OcppVersion.V21, "2.1"]
) -> v21.GetCompositeScheduleResponse: ...
@overload
def composite_to_ocpp(
    result: CompositeResult, version: VersionLike
) -> AnyGetCompositeScheduleResponse: ...
def composite_to_ocpp(
    result: CompositeResult, version: VersionLike
) -> AnyGetCompositeScheduleResponse:
    """The GetCompositeSchedule response of ``version`` for a composite result.

    1.6 limits are rounded down to a multiple of 0.1, as the 1.6 schema requires
    (``8.695652`` A becomes ``8.6``: the safe side). 1.6 writes
    :attr:`CompositeSchedule.start_schedule` as ``chargingSchedule.startSchedule``
    (the engine sets it to the window start, as libocpp does); 2.x rejections carry
    ``statusInfo``. The
    explanation, stack levels and ``converted`` flags are not part of the message;
    2.0.1 periods carry no 2.1 fields. 2.x carries the message's ``customData``.
    """
    target = to_version(version, "version")
    mod = _module(target)
    schedule = result.schedule
    accepted = result.status is CompositeStatus.ACCEPTED
    if target is OcppVersion.V16:
        status = mod.GetCompositeScheduleStatus(result.status.value)
        if not accepted or schedule is None:
            return mod.GetCompositeScheduleResponse(status=status)  # type: ignore[no-any-return]
        start = schedule.schedule_start
        return mod.GetCompositeScheduleResponse(  # type: ignore[no-any-return]
            status=status,
            connector_id=schedule.evse_id,
            schedule_start=start,
            charging_schedule=mod.ChargingSchedule(
                duration=schedule.duration,
                start_schedule=schedule.start_schedule,
                charging_rate_unit=mod.ChargingRateUnitType(schedule.charging_rate_unit.value),
                charging_schedule_period=tuple(
                    _composite_period_to(p, target, mod) for p in schedule.periods
                ),
                min_charging_rate=schedule.min_charging_rate,
            ),
        )
    info = None
    if result.reason_code is not None:
        info = mod.StatusInfo(
            reason_code=result.reason_code,
            additional_info=result.additional_info,
            custom_data=_carry(result.status_info_custom_data, "CustomData", target),
        )
    composite = None
    if schedule is not None:
        composite = mod.CompositeSchedule(
            evse_id=schedule.evse_id,
            duration=schedule.duration,
            schedule_start=schedule.schedule_start,
            charging_rate_unit=mod.ChargingRateUnitEnum(schedule.charging_rate_unit.value),
            charging_schedule_period=tuple(
                _composite_period_to(p, target, mod) for p in schedule.periods
            ),
            custom_data=_carry(schedule.custom_data, "CustomData", target),
        )
    return mod.GetCompositeScheduleResponse(  # type: ignore[no-any-return]
        status=mod.GenericStatusEnum(result.status.value),
        status_info=info,
        schedule=composite,
        custom_data=_carry(result.custom_data, "CustomData", target),
    )


def _composite_period_from(period: Any, version: OcppVersion) -> CompositePeriod:
    fields: dict[str, Any] = {
        "start_period": period.start_period,
        "limit": period.limit,
        "number_phases": period.number_phases,
    }
    if version is not OcppVersion.V16:
        fields["phase_to_use"] = period.phase_to_use
        fields["custom_data"] = period.custom_data
    if version is OcppVersion.V21:
        if period.limit is None:
            raise ValueError(f"composite period at {period.start_period} s has no limit")
        fields.update(
            limit_l2=period.limit_l2,
            limit_l3=period.limit_l3,
            discharge_limit=period.discharge_limit,
            discharge_limit_l2=period.discharge_limit_l2,
            discharge_limit_l3=period.discharge_limit_l3,
            setpoint=period.setpoint,
            setpoint_l2=period.setpoint_l2,
            setpoint_l3=period.setpoint_l3,
            operation_mode=None
            if period.operation_mode is None
            else OperationMode(period.operation_mode.value),
            setpoint_reactive=period.setpoint_reactive,
            setpoint_reactive_l2=period.setpoint_reactive_l2,
            setpoint_reactive_l3=period.setpoint_reactive_l3,
            preconditioning_request=period.preconditioning_request,
            evse_sleep=period.evse_sleep,
            v2x_baseline=period.v2x_baseline,
            v2x_freq_watt_curve=_curve_from(period.v2x_freq_watt_curve),
            v2x_signal_watt_curve=_curve_from(period.v2x_signal_watt_curve),
        )
    return CompositePeriod(**fields)


def composite_from_ocpp(response: AnyGetCompositeScheduleResponse) -> CompositeResult:
    """The neutral form of a generated GetCompositeSchedule response.

    The periods are marked :attr:`~ExplanationKind.UNEXPLAINED` (the message does
    not say where a limit comes from) and have stack level 0. The round trip
    ``composite_to_ocpp(composite_from_ocpp(r), v) == r`` holds for every response
    this function accepts.

    Raises:
        TypeError: ``response`` is not a generated 1.6/2.0.1/2.1 response.
        ValueError: a response the neutral form cannot hold: 1.6 Accepted without
            ``connectorId``, ``scheduleStart``, ``chargingSchedule`` or its
            ``duration``, or 1.6 Rejected with any of them; 2.1 periods without limit.
    """
    version = _version_of(response)
    r: Any = response
    status = CompositeStatus(r.status.value)
    if version is OcppVersion.V16:
        charging = r.charging_schedule
        if status is not CompositeStatus.ACCEPTED:
            if charging is not None or r.connector_id is not None or r.schedule_start is not None:
                raise ValueError("a Rejected GetCompositeSchedule.conf carries schedule fields")
            return CompositeResult(status=status)
        if (
            charging is None
            or r.connector_id is None
            or r.schedule_start is None
            or charging.duration is None
        ):
            raise ValueError(
                "an Accepted GetCompositeSchedule.conf needs connectorId, scheduleStart "
                "and chargingSchedule with duration"
            )
        periods = tuple(
            _composite_period_from(p, version) for p in charging.charging_schedule_period
        )
        start = r.schedule_start
        schedule = CompositeSchedule(
            evse_id=r.connector_id,
            schedule_start=start,
            duration=charging.duration,
            charging_rate_unit=ChargingRateUnit(charging.charging_rate_unit.value),
            periods=periods,
            explanation=_unexplained(periods),
            start_schedule=charging.start_schedule,
            min_charging_rate=charging.min_charging_rate,
        )
        return CompositeResult(status=status, schedule=schedule)
    info = r.status_info
    schedule_v2 = None
    if r.schedule is not None:
        composite = r.schedule
        periods = tuple(
            _composite_period_from(p, version) for p in composite.charging_schedule_period
        )
        schedule_v2 = CompositeSchedule(
            evse_id=composite.evse_id,
            schedule_start=composite.schedule_start,
            duration=composite.duration,
            charging_rate_unit=ChargingRateUnit(composite.charging_rate_unit.value),
            periods=periods,
            explanation=_unexplained(periods),
            custom_data=composite.custom_data,
        )
    return CompositeResult(
        status=status,
        schedule=schedule_v2,
        reason_code=None if info is None else info.reason_code,
        additional_info=None if info is None else info.additional_info,
        custom_data=r.custom_data,
        status_info_custom_data=None if info is None else info.custom_data,
    )


def _unexplained(periods: tuple[CompositePeriod, ...]) -> tuple[PeriodExplanation, ...]:
    return tuple(
        PeriodExplanation(
            start_period=p.start_period,
            kind=ExplanationKind.UNEXPLAINED,
            binding=None,
            converted=False,
            active=(),
        )
        for p in periods
    )
