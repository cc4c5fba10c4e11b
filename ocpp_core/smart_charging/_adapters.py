"""Adapters between the generated message types and the version-neutral model.

Every field of the 1.6, 2.0 (2018), 2.0.1 and 2.1 ``ChargingProfile`` (with its
schedules and periods) has a home in the neutral model, so ``profile_from_ocpp``
followed by ``profile_to_ocpp`` of the same version gives back an equal object:
the round trip is lossless. Values the engine does not interpret
(``customData``, ``salesTariff``, the 2.1 price schedules, the extra properties
of 2.0's open objects) are carried as they came; converting them to another
version goes through their wire form (2.0 extras are dropped).

The mappings are tables: for each version, the fields a neutral value shares by
name with the generated class (:data:`_PERIOD_FIELDS`, :data:`_SCHEDULE_FIELDS`,
:data:`_PROFILE_FIELDS`), copied both ways by one helper; only the fields that
need a conversion (enums, nested objects, carried values) have code of their own.

OCPP 2.0 differs from 2.0.1 in shape, not in rules: a profile has one
``chargingSchedule`` object without ``id`` and a ``primary`` flag; ClearChargingProfile
names the EVSE beside a ``chargingProfile`` criterion that holds the id; no message
has ``statusInfo``; and the GetCompositeSchedule response nests the schedule as
``{evseId, schedule: {startDateTime, chargingSchedule: {...}}}``.

Converting *between* versions drops what the target cannot say (2.1 setpoints
on the way to 2.0.1, schedule ids on the way to 1.6 and 2.0) and raises
:class:`ValueError` for what it cannot express at all (a 2.x purpose or kind
unknown to 1.6, a 2.1-only purpose in 2.0.1, several schedules in 1.6 or 2.0).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal
from types import MappingProxyType
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
from ocpp_core.smart_charging._enums import to_enum, to_version
from ocpp_core.smart_charging._model import (
    PURPOSE_ALIASES,
    ChargingProfile,
    ChargingSchedule,
    LimitAtSoC,
    Opaque,
    ProfileKind,
    ProfilePurpose,
    SchedulePeriod,
    V2XFreqWattPoint,
    V2XSignalWattPoint,
)
from ocpp_core.smart_charging._store import ClearResult, ProfileStore
from ocpp_core.smart_charging._validation import ValidationResult
from ocpp_core.versions import OcppVersion, VersionLike

if TYPE_CHECKING:
    from ocpp_core import v16, v20, v21, v201

__all__ = [
    "AnyChargingProfile",
    "AnyClearChargingProfileRequest",
    "AnyGetCompositeScheduleResponse",
    "AnySetChargingProfileRequest",
    "ChargingProfileRequest",
    "ClearProfilesRequest",
    "clear_charging_profile_from_ocpp",
    "clear_charging_profile_response",
    "composite_from_ocpp",
    "composite_to_ocpp",
    "profile_from_ocpp",
    "profile_to_ocpp",
    "set_charging_profile_from_ocpp",
    "set_charging_profile_response",
    "set_charging_profile_to_ocpp",
]

AnyChargingProfile: TypeAlias = (
    "v16.ChargingProfile | v20.ChargingProfile | v201.ChargingProfile | v21.ChargingProfile"
)
"""A generated ChargingProfile of 1.6, 2.0, 2.0.1 or 2.1."""
AnySetChargingProfileRequest: TypeAlias = (
    "v16.SetChargingProfileRequest | v20.SetChargingProfileRequest"
    " | v201.SetChargingProfileRequest | v21.SetChargingProfileRequest"
)
"""A generated SetChargingProfile request of 1.6, 2.0, 2.0.1 or 2.1."""
AnyGetCompositeScheduleResponse: TypeAlias = (
    "v16.GetCompositeScheduleResponse | v20.GetCompositeScheduleResponse"
    " | v201.GetCompositeScheduleResponse | v21.GetCompositeScheduleResponse"
)
"""A generated GetCompositeSchedule response of 1.6, 2.0, 2.0.1 or 2.1."""
AnyClearChargingProfileRequest: TypeAlias = (
    "v16.ClearChargingProfileRequest | v20.ClearChargingProfileRequest"
    " | v201.ClearChargingProfileRequest | v21.ClearChargingProfileRequest"
)
"""A generated ClearChargingProfile request of 1.6, 2.0, 2.0.1 or 2.1."""

_V16, _V20, _V201, _V21 = OcppVersion.V16, OcppVersion.V20, OcppVersion.V201, OcppVersion.V21
_V16_MAX = "ChargePointMaxProfile"


def _module(version: OcppVersion) -> Any:
    """The generated package of ``version`` (:attr:`OcppVersion.package`), imported on first use."""
    return importlib.import_module(version.package)


def _version_of(obj: object) -> OcppVersion:
    package = type(obj).__module__.rpartition(".")[0]
    for version in OcppVersion:
        if package == version.package:
            return version
    raise TypeError(f"not a generated OCPP 1.6/2.0/2.0.1/2.1 type: {type(obj).__name__}")


# --------------------------------------------------------------------------------------
# The tables: fields a neutral value shares by name with the generated class.
# --------------------------------------------------------------------------------------

_PERIOD_BASE = ("start_period", "limit", "number_phases")
_PERIOD_2X = (*_PERIOD_BASE, "phase_to_use")
_PERIOD_FIELDS: Mapping[OcppVersion, tuple[str, ...]] = MappingProxyType(
    {
        _V16: _PERIOD_BASE,
        _V20: _PERIOD_2X,
        _V201: _PERIOD_2X,
        _V21: (
            *_PERIOD_2X,
            "limit_l2",
            "limit_l3",
            "discharge_limit",
            "discharge_limit_l2",
            "discharge_limit_l3",
            "setpoint",
            "setpoint_l2",
            "setpoint_l3",
            "setpoint_reactive",
            "setpoint_reactive_l2",
            "setpoint_reactive_l3",
            "preconditioning_request",
            "evse_sleep",
            "v2x_baseline",
        ),
    }
)
"""ChargingSchedulePeriod fields copied as they are (the 2.1 ``operationMode`` and V2X
curves are converted apart). Used for profile periods and composite periods alike."""

_SCHEDULE_BASE = ("start_schedule", "duration", "min_charging_rate")
_SCHEDULE_FIELDS: Mapping[OcppVersion, tuple[str, ...]] = MappingProxyType(
    {
        _V16: _SCHEDULE_BASE,
        _V20: _SCHEDULE_BASE,
        _V201: _SCHEDULE_BASE,
        _V21: (
            *_SCHEDULE_BASE,
            "power_tolerance",
            "signature_id",
            "digest_value",
            "use_local_time",
            "randomized_delay",
        ),
    }
)
"""ChargingSchedule fields copied as they are (2.x ``id``, the unit, the periods, the
2.1 ``limitAtSoC`` and the carried tariffs are converted apart)."""

_SCHEDULE_CARRIED: Mapping[OcppVersion, tuple[tuple[str, str], ...]] = MappingProxyType(
    {
        _V16: (),
        _V20: (),
        _V201: (("sales_tariff", "SalesTariff"),),
        _V21: (
            ("sales_tariff", "SalesTariff"),
            ("absolute_price_schedule", "AbsolutePriceSchedule"),
            ("price_level_schedule", "PriceLevelSchedule"),
        ),
    }
)
"""ChargingSchedule values carried untouched: (field, generated class) pairs."""

_PROFILE_BASE = ("stack_level", "valid_from", "valid_to")
_PROFILE_FIELDS: Mapping[OcppVersion, tuple[str, ...]] = MappingProxyType(
    {
        _V16: _PROFILE_BASE,
        _V20: (*_PROFILE_BASE, "id", "primary"),
        _V201: (*_PROFILE_BASE, "id"),
        _V21: (
            *_PROFILE_BASE,
            "id",
            "max_offline_duration",
            "invalid_after_offline_duration",
            "dyn_update_interval",
            "dyn_update_time",
            "price_schedule_signature",
        ),
    }
)
"""ChargingProfile fields copied as they are (1.6 ``chargingProfileId``, the
transaction id, the enums and the schedules are converted apart)."""

_ENUMS: Mapping[OcppVersion, Mapping[str, str]] = MappingProxyType(
    {
        _V16: {
            "purpose": "ChargingProfilePurposeType",
            "kind": "ChargingProfileKindType",
            "recurrency": "RecurrencyKindType",
            "unit": "ChargingRateUnitType",
        },
        **{
            version: {
                "purpose": "ChargingProfilePurposeEnum",
                "kind": "ChargingProfileKindEnum",
                "recurrency": "RecurrencyKindEnum",
                "unit": "ChargingRateUnitEnum",
            }
            for version in (_V20, _V201, _V21)
        },
    }
)
"""The generated enum class behind each neutral enum, per version."""

_ONE_SCHEDULE = frozenset({_V16, _V20})
"""Versions whose profile holds exactly one ``chargingSchedule`` object (no list)."""


def _copy(source: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(source, name) for name in names}


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


def _decorations_from(obj: Any, version: OcppVersion) -> dict[str, Any]:
    """The carried ``customData`` (2.0.1, 2.1) or extra properties (2.0) of ``obj``."""
    if version is _V20:
        return {"extra": obj.extra}
    if version is _V16:
        return {}
    return {"custom_data": obj.custom_data}


def _decorations_to(value: Any, version: OcppVersion) -> dict[str, Any]:
    """``customData`` (2.0.1, 2.1) or extra properties (2.0) for a generated object."""
    if version is _V20:
        extra = value.extra
        return {"extra": None if extra is None else dict(extra)}
    if version is _V16:
        return {}
    return {"custom_data": _carry(value.custom_data, "CustomData", version)}


def _enum_to(mod: Any, version: OcppVersion, which: str, value: Any) -> Any:
    if value is None:
        return None
    return getattr(mod, _ENUMS[version][which])(value.value)


# --------------------------------------------------------------------------------------
# Periods (of profiles and of composites)
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


def _period_fields_from(period: Any, version: OcppVersion) -> dict[str, Any]:
    fields = _copy(period, _PERIOD_FIELDS[version]) | _decorations_from(period, version)
    if version is _V21:
        fields.update(
            operation_mode=period.operation_mode,
            v2x_freq_watt_curve=_curve_from(period.v2x_freq_watt_curve),
            v2x_signal_watt_curve=_curve_from(period.v2x_signal_watt_curve),
        )
    return fields


def _period_to(period: SchedulePeriod | CompositePeriod, version: OcppVersion, mod: Any) -> Any:
    if version is not _V21 and period.limit is None:
        raise ValueError(
            f"period at {period.start_period} s has no limit (OCPP {version.value} requires one)"
        )
    fields = _copy(period, _PERIOD_FIELDS[version]) | _decorations_to(period, version)
    if version is _V21:
        fields.update(
            operation_mode=None
            if period.operation_mode is None
            else mod.OperationModeEnum(period.operation_mode.value),
            v2x_freq_watt_curve=_curve_to(period.v2x_freq_watt_curve, mod, version),
            v2x_signal_watt_curve=_curve_to(period.v2x_signal_watt_curve, mod, version),
        )
    return mod.ChargingSchedulePeriod(**fields)


# --------------------------------------------------------------------------------------
# Schedules and profiles
# --------------------------------------------------------------------------------------


def _schedule_from(schedule: Any, version: OcppVersion) -> ChargingSchedule:
    fields = _copy(schedule, _SCHEDULE_FIELDS[version]) | _decorations_from(schedule, version)
    fields.update(
        charging_rate_unit=schedule.charging_rate_unit,
        periods=tuple(
            SchedulePeriod(**_period_fields_from(p, version))
            for p in schedule.charging_schedule_period
        ),
    )
    if version in (_V201, _V21):
        fields["id"] = schedule.id
    for name, _cls in _SCHEDULE_CARRIED[version]:
        fields[name] = getattr(schedule, name)
    if version is _V21:
        soc = schedule.limit_at_soc
        fields["limit_at_soc"] = (
            None
            if soc is None
            else LimitAtSoC(soc=soc.soc, limit=soc.limit, custom_data=soc.custom_data)
        )
    return ChargingSchedule(**fields)


def _schedule_to(schedule: ChargingSchedule, version: OcppVersion, mod: Any) -> Any:
    fields = _copy(schedule, _SCHEDULE_FIELDS[version]) | _decorations_to(schedule, version)
    fields.update(
        charging_rate_unit=_enum_to(mod, version, "unit", schedule.charging_rate_unit),
        charging_schedule_period=tuple(_period_to(p, version, mod) for p in schedule.periods),
    )
    if version in (_V201, _V21):
        fields["id"] = 0 if schedule.id is None else schedule.id
    for name, cls_name in _SCHEDULE_CARRIED[version]:
        fields[name] = _carry(getattr(schedule, name), cls_name, version)
    if version is _V21:
        soc = schedule.limit_at_soc
        fields["limit_at_soc"] = (
            None
            if soc is None
            else mod.LimitAtSoC(
                soc=soc.soc,
                limit=soc.limit,
                custom_data=_carry(soc.custom_data, "CustomData", version),
            )
        )
    return mod.ChargingSchedule(**fields)


def profile_from_ocpp(profile: AnyChargingProfile) -> ChargingProfile:
    """The neutral form of a generated ChargingProfile of 1.6, 2.0, 2.0.1 or 2.1.

    1.6: ``csChargingProfiles`` of SetChargingProfile or ``chargingProfile`` of
    RemoteStartTransaction; 2.x: ``chargingProfile`` of SetChargingProfile or
    RequestStartTransaction.

    Raises:
        TypeError: ``profile`` is not a generated 1.6, 2.0, 2.0.1 or 2.1 ChargingProfile.
    """
    version = _version_of(profile)
    p: Any = profile
    fields = _copy(p, _PROFILE_FIELDS[version]) | _decorations_from(p, version)
    fields.update(
        purpose=p.charging_profile_purpose,  # the model converts every version's enum
        kind=p.charging_profile_kind,
        recurrency_kind=p.recurrency_kind,
        transaction_id=p.transaction_id,
    )
    if version is _V16:
        fields["id"] = p.charging_profile_id
    if version in _ONE_SCHEDULE:
        fields["schedules"] = (_schedule_from(p.charging_schedule, version),)
    else:
        fields["schedules"] = tuple(_schedule_from(s, version) for s in p.charging_schedule)
    return ChargingProfile(**fields)


@overload
def profile_to_ocpp(
    profile: ChargingProfile, version: Literal[OcppVersion.V16, "1.6"]
) -> v16.ChargingProfile: ...
@overload
def profile_to_ocpp(
    profile: ChargingProfile, version: Literal[OcppVersion.V20, "2.0"]
) -> v20.ChargingProfile: ...
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
            the version lacks, several schedules in 1.6 or 2.0, a period without limit
            before 2.1, a 1.6 transaction id that is not an integer).
        SmartChargingValueError: ``version`` is not an OCPP version.
    """
    target = to_version(version, "version")
    mod = _module(target)
    kind = profile.kind
    purpose = profile.purpose
    if target is not _V21 and (
        kind is ProfileKind.DYNAMIC
        or purpose in (ProfilePurpose.PRIORITY_CHARGING, ProfilePurpose.LOCAL_GENERATION)
    ):
        raise ValueError(f"OCPP {target.value} has no {purpose.value}/{kind.value} profiles")
    if target is _V16 and purpose is ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS:
        raise ValueError("OCPP 1.6 has no ChargingStationExternalConstraints")
    if target in _ONE_SCHEDULE and len(profile.schedules) != 1:
        raise ValueError(f"an OCPP {target.value} profile has exactly one charging schedule")
    transaction = profile.transaction_id
    if target is _V16:
        if transaction is not None and not isinstance(transaction, int):
            raise ValueError(f"1.6 transactionId must be an integer, not {transaction!r}")
    elif transaction is not None:
        transaction = str(transaction)
    fields = _copy(profile, _PROFILE_FIELDS[target]) | _decorations_to(profile, target)
    purpose_text = (
        _V16_MAX
        if target is _V16 and purpose is ProfilePurpose.CHARGING_STATION_MAX
        else purpose.value
    )
    fields.update(
        charging_profile_purpose=getattr(mod, _ENUMS[target]["purpose"])(purpose_text),
        charging_profile_kind=_enum_to(mod, target, "kind", kind),
        recurrency_kind=_enum_to(mod, target, "recurrency", profile.recurrency_kind),
        transaction_id=transaction,
    )
    if target is _V16:
        fields["charging_profile_id"] = profile.id
    if target in _ONE_SCHEDULE:
        fields["charging_schedule"] = _schedule_to(profile.schedules[0], target, mod)
    else:
        fields["charging_schedule"] = tuple(_schedule_to(s, target, mod) for s in profile.schedules)
    return mod.ChargingProfile(**fields)  # type: ignore[no-any-return]


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
    """2.0.1/2.1 request ``customData``, carried untouched."""
    extra: Opaque | None = None
    """2.0 (2018): the request's properties beyond the schema's own, carried untouched."""


def set_charging_profile_from_ocpp(
    request: AnySetChargingProfileRequest,
) -> ChargingProfileRequest:
    """The neutral form of a generated SetChargingProfile request of 1.6, 2.0, 2.0.1 or 2.1."""
    version = _version_of(request)
    r: Any = request
    if version is _V16:
        return ChargingProfileRequest(
            evse_id=r.connector_id, profile=profile_from_ocpp(r.cs_charging_profiles)
        )
    return ChargingProfileRequest(
        evse_id=r.evse_id,
        profile=profile_from_ocpp(r.charging_profile),
        **_decorations_from(r, version),
    )


def set_charging_profile_to_ocpp(
    request: ChargingProfileRequest, version: VersionLike
) -> AnySetChargingProfileRequest:
    """The generated SetChargingProfile request of ``version`` for a neutral request.

    Raises:
        ValueError: as :func:`profile_to_ocpp`.
        SmartChargingValueError: ``version`` is not an OCPP version.
    """
    target = to_version(version, "version")
    mod = _module(target)
    generated = profile_to_ocpp(request.profile, target)
    if target is _V16:
        return mod.SetChargingProfileRequest(  # type: ignore[no-any-return]
            connector_id=request.evse_id, cs_charging_profiles=generated
        )
    return mod.SetChargingProfileRequest(  # type: ignore[no-any-return]
        evse_id=request.evse_id, charging_profile=generated, **_decorations_to(request, target)
    )


def set_charging_profile_response(result: ValidationResult, version: VersionLike) -> Any:
    """The SetChargingProfile response of ``version`` for a validation result.

    2.0.1/2.1 rejections carry ``statusInfo`` (reasonCode and libocpp's
    additionalInfo); 1.6 and 2.0 have no ``statusInfo``.

    Raises:
        OcppError: the answer is a CALLERROR, not a response (K01.FR.29,
            ``code`` NotSupported); 1.6 answers status NotSupported instead.
        SmartChargingValueError: ``version`` is not an OCPP version.
    """
    target = to_version(version, "version")
    mod = _module(target)
    if target is _V16:
        status = "Accepted" if result.accepted else "Rejected"
        if result.call_error is ErrorCode.NOT_SUPPORTED:
            status = "NotSupported"
        return mod.SetChargingProfileResponse(status=mod.ChargingProfileStatus(status))
    if result.call_error is not None:
        raise OcppError(result.message or "smart charging is not available", code=result.call_error)
    status_enum = mod.ChargingProfileStatusEnum(result.status.value)
    if target is _V20:
        return mod.SetChargingProfileResponse(status=status_enum)
    info = None
    if not result.accepted and result.reason_code is not None:
        info = mod.StatusInfo(
            reason_code=result.reason_code, additional_info=result.additional_info
        )
    return mod.SetChargingProfileResponse(status=status_enum, status_info=info)


# --------------------------------------------------------------------------------------
# ClearChargingProfile
# --------------------------------------------------------------------------------------


def _clear_purpose(value: object) -> ProfilePurpose | None:
    if value is None:
        return None
    return to_enum(ProfilePurpose, value, "ClearProfilesRequest.purpose", PURPOSE_ALIASES)


@attrs.frozen(kw_only=True)
class ClearProfilesRequest:
    """A ClearChargingProfile request in neutral form.

    Its fields are the arguments of :meth:`~ocpp_core.smart_charging.ProfileStore.clear`.
    """

    profile_id: int | None = None
    """1.6 ``id``; 2.0 ``chargingProfile.id``; 2.0.1/2.1 ``chargingProfileId``."""
    evse_id: int | None = None
    """1.6 ``connectorId``; 2.0 ``evseId``; 2.0.1/2.1 ``chargingProfileCriteria.evseId``."""
    purpose: ProfilePurpose | None = attrs.field(default=None, converter=_clear_purpose)
    """``chargingProfilePurpose`` (1.6 ``ChargePointMaxProfile`` reads as the station maximum)."""
    stack_level: int | None = None
    """``stackLevel``."""
    criteria_given: bool | None = None
    """2.x: whether the criteria object was sent (2.0 ``chargingProfile``, 2.0.1/2.1
    ``chargingProfileCriteria``); an empty one clears nothing. ``None`` in 1.6."""

    def apply(self, store: ProfileStore, *, id_only: bool | None = None) -> ClearResult:
        """Clear ``store`` as the request says, by the store's version (see ``clear``)."""
        return store.clear(
            profile_id=self.profile_id,
            evse_id=self.evse_id,
            purpose=self.purpose,
            stack_level=self.stack_level,
            criteria_given=self.criteria_given,
            id_only=id_only,
        )


def clear_charging_profile_from_ocpp(
    request: AnyClearChargingProfileRequest,
) -> ClearProfilesRequest:
    """The neutral form of a generated ClearChargingProfile request of any version.

    Raises:
        TypeError: ``request`` is not a generated ClearChargingProfile request.
    """
    version = _version_of(request)
    r: Any = request
    if version is _V16:
        return ClearProfilesRequest(
            profile_id=r.id,
            evse_id=r.connector_id,
            purpose=r.charging_profile_purpose,
            stack_level=r.stack_level,
        )
    if version is _V20:
        criterion = r.charging_profile
        return ClearProfilesRequest(
            profile_id=None if criterion is None else criterion.id,
            evse_id=r.evse_id,
            purpose=None if criterion is None else criterion.charging_profile_purpose,
            stack_level=None if criterion is None else criterion.stack_level,
            criteria_given=criterion is not None or r.evse_id is not None,
        )
    criteria = r.charging_profile_criteria
    return ClearProfilesRequest(
        profile_id=r.charging_profile_id,
        evse_id=None if criteria is None else criteria.evse_id,
        purpose=None if criteria is None else criteria.charging_profile_purpose,
        stack_level=None if criteria is None else criteria.stack_level,
        criteria_given=criteria is not None,
    )


def clear_charging_profile_response(result: ClearResult, version: VersionLike) -> Any:
    """The ClearChargingProfile response of ``version`` for a clear result.

    2.0.1/2.1 carry ``statusInfo`` with the reasonCode of a refused request
    (``InvalidValue``, K10.FR.06); 1.6 and 2.0 have none.

    Raises:
        SmartChargingValueError: ``version`` is not an OCPP version.
    """
    target = to_version(version, "version")
    mod = _module(target)
    if target is _V16:
        return mod.ClearChargingProfileResponse(
            status=mod.ClearChargingProfileStatus(result.status.value)
        )
    status = mod.ClearChargingProfileStatusEnum(result.status.value)
    if target is _V20:
        return mod.ClearChargingProfileResponse(status=status)
    info = None if result.reason_code is None else mod.StatusInfo(reason_code=result.reason_code)
    return mod.ClearChargingProfileResponse(status=status, status_info=info)


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
    if version is _V16:
        period = attrs.evolve(period, limit=_tenths_down(period.limit))
    return _period_to(period, version, mod)


def _composite_periods_to(schedule: CompositeSchedule, version: OcppVersion, mod: Any) -> Any:
    return tuple(_composite_period_to(p, version, mod) for p in schedule.periods)


@overload
def composite_to_ocpp(
    result: CompositeResult, version: Literal[OcppVersion.V16, "1.6"]
) -> v16.GetCompositeScheduleResponse: ...
@overload
def composite_to_ocpp(
    result: CompositeResult, version: Literal[OcppVersion.V20, "2.0"]
) -> v20.GetCompositeScheduleResponse: ...
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
    (the engine sets it to the window start, as libocpp does); 2.0 nests the
    schedule as ``{evseId, schedule: {startDateTime, chargingSchedule}}`` and names
    the EVSE even when Rejected; 2.0.1/2.1 rejections carry ``statusInfo``. The
    explanation, stack levels and ``converted`` flags are not part of the message;
    2.0.1 periods carry no 2.1 fields. 2.x carries the message's ``customData``
    (2.0: its extra properties).

    Raises:
        ValueError: a 2.0 result that names no EVSE (neither a schedule nor
            :attr:`CompositeResult.evse_id`).
        SmartChargingValueError: ``version`` is not an OCPP version.
    """
    target = to_version(version, "version")
    mod = _module(target)
    schedule = result.schedule
    if target is _V16:
        status = mod.GetCompositeScheduleStatus(result.status.value)
        if result.status is not CompositeStatus.ACCEPTED or schedule is None:
            return mod.GetCompositeScheduleResponse(status=status)  # type: ignore[no-any-return]
        return mod.GetCompositeScheduleResponse(  # type: ignore[no-any-return]
            status=status,
            connector_id=schedule.evse_id,
            schedule_start=schedule.schedule_start,
            charging_schedule=mod.ChargingSchedule(
                duration=schedule.duration,
                start_schedule=schedule.start_schedule,
                charging_rate_unit=_enum_to(mod, target, "unit", schedule.charging_rate_unit),
                charging_schedule_period=_composite_periods_to(schedule, target, mod),
                min_charging_rate=schedule.min_charging_rate,
            ),
        )
    if target is _V20:
        return _composite_to_v20(result, mod)  # type: ignore[no-any-return]
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
            charging_rate_unit=_enum_to(mod, target, "unit", schedule.charging_rate_unit),
            charging_schedule_period=_composite_periods_to(schedule, target, mod),
            custom_data=_carry(schedule.custom_data, "CustomData", target),
        )
    return mod.GetCompositeScheduleResponse(  # type: ignore[no-any-return]
        status=mod.GenericStatusEnum(result.status.value),
        status_info=info,
        schedule=composite,
        custom_data=_carry(result.custom_data, "CustomData", target),
    )


def _extra(value: Opaque | None) -> dict[str, Any] | None:
    return None if value is None else dict(value)  # type: ignore[call-overload]


def _composite_to_v20(result: CompositeResult, mod: Any) -> Any:
    schedule = result.schedule
    evse_id = schedule.evse_id if schedule is not None else result.evse_id
    if evse_id is None:
        raise ValueError("a 2.0 GetCompositeSchedule response names its EVSE (evseId)")
    composite = None
    if schedule is not None:
        composite = mod.CompositeSchedule(
            start_date_time=schedule.schedule_start,
            charging_schedule=mod.ChargingScheduleOptionalPeriods(
                start_schedule=schedule.start_schedule,
                duration=schedule.duration,
                charging_rate_unit=_enum_to(mod, _V20, "unit", schedule.charging_rate_unit),
                charging_schedule_period=_composite_periods_to(schedule, _V20, mod),
                min_charging_rate=schedule.min_charging_rate,
                extra=_extra(schedule.schedule_extra),
            ),
            extra=_extra(schedule.extra),
        )
    return mod.GetCompositeScheduleResponse(
        status=mod.GetCompositeScheduleStatusEnum(result.status.value),
        evse_id=evse_id,
        schedule=composite,
        extra=_extra(result.extra),
    )


def _composite_periods_from(periods: Any, version: OcppVersion) -> tuple[CompositePeriod, ...]:
    out = []
    for period in periods:
        if period.limit is None:
            raise ValueError(f"composite period at {period.start_period} s has no limit")
        out.append(CompositePeriod(**_period_fields_from(period, version)))
    return tuple(out)


def composite_from_ocpp(response: AnyGetCompositeScheduleResponse) -> CompositeResult:
    """The neutral form of a generated GetCompositeSchedule response.

    The periods are marked :attr:`~ExplanationKind.UNEXPLAINED` (the message does
    not say where a limit comes from) and have stack level 0. The round trip
    ``composite_to_ocpp(composite_from_ocpp(r), v) == r`` holds for every response
    this function accepts.

    Raises:
        TypeError: ``response`` is not a generated 1.6/2.0/2.0.1/2.1 response.
        ValueError: a response the neutral form cannot hold: 1.6 Accepted without
            ``connectorId``, ``scheduleStart``, ``chargingSchedule`` or its
            ``duration``, or 1.6 Rejected with any of them; a 2.0 ``schedule``
            without ``startDateTime``, ``chargingSchedule``, its ``duration`` or
            periods; 2.1 periods without limit.
    """
    version = _version_of(response)
    r: Any = response
    status = CompositeStatus(r.status.value)
    if version is _V16:
        return _composite_from_v16(r, status)
    if version is _V20:
        return _composite_from_v20(r, status)
    info = r.status_info
    schedule_v2 = None
    if r.schedule is not None:
        composite = r.schedule
        periods = _composite_periods_from(composite.charging_schedule_period, version)
        schedule_v2 = CompositeSchedule(
            evse_id=composite.evse_id,
            schedule_start=composite.schedule_start,
            duration=composite.duration,
            charging_rate_unit=composite.charging_rate_unit,
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


def _composite_from_v16(r: Any, status: CompositeStatus) -> CompositeResult:
    charging = r.charging_schedule
    if status is not CompositeStatus.ACCEPTED:
        if charging is not None or r.connector_id is not None or r.schedule_start is not None:
            raise ValueError("a Rejected GetCompositeSchedule.conf carries schedule fields")
        return CompositeResult(status=status)
    if charging is None or r.connector_id is None or r.schedule_start is None:
        raise ValueError(
            "an Accepted GetCompositeSchedule.conf needs connectorId, scheduleStart "
            "and chargingSchedule with duration"
        )
    if charging.duration is None:
        raise ValueError(
            "an Accepted GetCompositeSchedule.conf needs connectorId, scheduleStart "
            "and chargingSchedule with duration"
        )
    periods = _composite_periods_from(charging.charging_schedule_period, _V16)
    schedule = CompositeSchedule(
        evse_id=r.connector_id,
        schedule_start=r.schedule_start,
        duration=charging.duration,
        charging_rate_unit=charging.charging_rate_unit,
        periods=periods,
        explanation=_unexplained(periods),
        start_schedule=charging.start_schedule,
        min_charging_rate=charging.min_charging_rate,
    )
    return CompositeResult(status=status, schedule=schedule)


def _composite_from_v20(r: Any, status: CompositeStatus) -> CompositeResult:
    composite = r.schedule
    if composite is None:
        return CompositeResult(status=status, evse_id=r.evse_id, extra=r.extra)
    charging = composite.charging_schedule
    if (
        composite.start_date_time is None
        or charging is None
        or charging.duration is None
        or not charging.charging_schedule_period
    ):
        raise ValueError(
            "a 2.0 GetCompositeSchedule schedule needs startDateTime and a chargingSchedule "
            "with duration and periods"
        )
    periods = _composite_periods_from(charging.charging_schedule_period, _V20)
    schedule = CompositeSchedule(
        evse_id=r.evse_id,
        schedule_start=composite.start_date_time,
        duration=charging.duration,
        charging_rate_unit=charging.charging_rate_unit,
        periods=periods,
        explanation=_unexplained(periods),
        start_schedule=charging.start_schedule,
        min_charging_rate=charging.min_charging_rate,
        extra=composite.extra,
        schedule_extra=charging.extra,
    )
    return CompositeResult(status=status, schedule=schedule, evse_id=r.evse_id, extra=r.extra)


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
