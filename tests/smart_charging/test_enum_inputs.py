"""Every enum-typed field and parameter of ``ocpp_core.smart_charging`` converts its input.

The walk is generic: it finds every public attrs class and every public
function or method whose annotations name an enum (directly, optional, or as
the items of a tuple or frozenset), and checks that each accepts the engine's
own member, an equal plain string and the message enum of every OCPP version
with an equal value, giving the same result, and refuses anything else with a
:class:`SmartChargingValueError` naming the field. A new enum-typed field or
parameter without an entry in the fixture tables below fails the test, so the
rule cannot be forgotten.
"""

from __future__ import annotations

import enum
import inspect
import typing
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

import ocpp_core.smart_charging as sc
from ocpp_core import v16, v20, v21, v201
from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingRateUnit,
    ChargingSchedule,
    CompositeResult,
    CompositeStatus,
    Evse,
    ProfileKind,
    ProfilePurpose,
    ProfileStore,
    SchedulePeriod,
    SmartChargingValueError,
    Station,
    composite_schedule,
    composite_to_ocpp,
)
from ocpp_core.versions import OcppVersion

T0 = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)

MESSAGE_ENUMS: list[type[enum.Enum]] = [
    obj
    for module in (v16, v20, v201, v21)
    for obj in vars(module).values()
    if isinstance(obj, type) and issubclass(obj, enum.Enum)
]

_ALIASES: dict[enum.Enum, tuple[object, ...]] = {
    ProfilePurpose.CHARGING_STATION_MAX: (
        "ChargePointMaxProfile",
        v16.ChargingProfilePurposeType.CHARGE_POINT_MAX_PROFILE,
    ),
}


def equal_forms(member: enum.Enum) -> Iterator[object]:
    """The member, its value as a plain string, and every message enum member equal to it."""
    yield member
    yield str(member.value)
    for cls in MESSAGE_ENUMS:
        for other in cls:
            if other.value == member.value:
                yield other
    yield from _ALIASES.get(member, ())


def _enums_in(annotation: object) -> list[type[enum.Enum]]:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [annotation]
    return [found for arg in typing.get_args(annotation) for found in _enums_in(arg)]


def _collection(annotation: object) -> type | None:
    """``tuple`` or ``frozenset`` when the annotation is a collection of enums."""
    for arg in (annotation, *typing.get_args(annotation)):
        origin = typing.get_origin(arg)
        if origin in (tuple, frozenset):
            return origin
    return None


_NAMESPACE: dict[str, Any] = {
    **vars(sc),
    "v16": v16,
    "v20": v20,
    "v201": v201,
    "v21": v21,
    "ProfileStore": ProfileStore,
    "OcppVersion": OcppVersion,
}


def _hints(obj: Any) -> dict[str, Any]:
    return typing.get_type_hints(obj, globalns=vars(inspect.getmodule(obj)), localns=_NAMESPACE)


# --------------------------------------------------------------------------------------
# Values: a valid instance of every public attrs class.
# --------------------------------------------------------------------------------------

_PERIOD = SchedulePeriod(start_period=0, limit=16.0)
_SCHEDULE = ChargingSchedule(charging_rate_unit=ChargingRateUnit.A, periods=(_PERIOD,))
_PROFILE = ChargingProfile(
    id=1,
    stack_level=0,
    purpose=ProfilePurpose.TX_DEFAULT,
    kind=ProfileKind.RELATIVE,
    schedules=(_SCHEDULE,),
)
_STATION = Station(evses=(Evse(id=1),))
_STORE = ProfileStore(version="2.0.1").put(_PROFILE, 1)
_RESULT = composite_schedule(_STORE, _STATION, 1, T0, 3600)
assert _RESULT.schedule is not None
_VALIDATION = sc.validate_profile(_PROFILE, 1, ProfileStore(version="2.0.1"), _STATION)

INSTANCES: dict[type, Any] = {
    sc.SchedulePeriod: _PERIOD,
    sc.ChargingSchedule: _SCHEDULE,
    sc.ChargingProfile: _PROFILE,
    sc.Evse: Evse(id=1),
    sc.Station: _STATION,
    sc.CompositeOptions: sc.CompositeOptions(),
    sc.Contributor: sc.Contributor(
        profile_id=1, purpose=ProfilePurpose.TX_DEFAULT, stack_level=0, installed_on=1, evse_id=1
    ),
    sc.CompositePeriod: _RESULT.schedule.periods[0],
    sc.PeriodExplanation: _RESULT.schedule.explanation[0],
    sc.CompositeSchedule: _RESULT.schedule,
    sc.CompositeResult: _RESULT,
    sc.ClearResult: sc.ClearResult(store=_STORE, status=sc.ClearStatus.UNKNOWN),
    sc.QueryResult: sc.QueryResult(status=sc.QueryStatus.NO_PROFILES),
    sc.ProfileStore: _STORE,
    sc.RuleInfo: sc.RULES[sc.Rule.EVSE_DOES_NOT_EXIST],
    sc.ValidationResult: _VALIDATION,
    sc.ClearProfilesRequest: sc.ClearProfilesRequest(),
}
"""One valid instance per public attrs class that has an enum-typed field."""


def _enum_fields() -> list[tuple[type, str, type[enum.Enum], type | None]]:
    out = []
    for name in sc.__all__:
        cls = getattr(sc, name)
        if not (isinstance(cls, type) and attrs.has(cls)):
            continue
        hints = _hints(cls)
        for field in attrs.fields(cls):
            found = _enums_in(hints[field.name])
            if found:
                out.append((cls, field.name, found[0], _collection(hints[field.name])))
    return out


ENUM_FIELDS = _enum_fields()


def test_every_class_with_an_enum_field_has_an_instance() -> None:
    assert ENUM_FIELDS, "the walk found no enum-typed field"
    missing = {cls.__name__ for cls, *_ in ENUM_FIELDS} - {c.__name__ for c in INSTANCES}
    assert not missing, f"add an instance to INSTANCES for {sorted(missing)}"


@pytest.mark.parametrize(
    ("cls", "field", "kind", "collection"),
    ENUM_FIELDS,
    ids=[f"{c.__name__}.{f}" for c, f, _, _ in ENUM_FIELDS],
)
def test_enum_field_converts_equal_values_at_construction(
    cls: type, field: str, kind: type[enum.Enum], collection: type | None
) -> None:
    base = INSTANCES[cls]
    for member in kind:
        for form in equal_forms(member):
            value = [form] if collection is not None else form
            built = attrs.evolve(base, **{field: value})
            stored = getattr(built, field)
            if collection is not None:
                assert isinstance(stored, collection)
                (item,) = tuple(stored)
                assert type(item) is kind, (field, form)
                assert item is member, (field, form)
            else:
                assert type(stored) is kind, (field, form)
                assert stored is member, (field, form)


@pytest.mark.parametrize(
    ("cls", "field", "kind", "collection"),
    ENUM_FIELDS,
    ids=[f"{c.__name__}.{f}" for c, f, _, _ in ENUM_FIELDS],
)
def test_enum_field_refuses_other_values_naming_the_field(
    cls: type, field: str, kind: type[enum.Enum], collection: type | None
) -> None:
    base = INSTANCES[cls]
    bad: list[object] = ["no-such-value", 42, object()]
    if collection is not None:
        bad = [[item] for item in bad] + ["A"]  # a bare string is not a collection
    for value in bad:
        with pytest.raises(SmartChargingValueError) as caught:
            attrs.evolve(base, **{field: value})
        assert f"{cls.__name__}.{field}" in str(caught.value)
        assert caught.value.field.startswith(f"{cls.__name__}.{field}")
        assert isinstance(caught.value, ValueError)
        assert isinstance(caught.value, TypeError)


# --------------------------------------------------------------------------------------
# Functions and methods: one call per enum-typed parameter.
# --------------------------------------------------------------------------------------


def _callables() -> Iterator[tuple[str, Callable[..., Any]]]:
    for name in sc.__all__:
        obj = getattr(sc, name)
        if inspect.isfunction(obj):
            yield name, obj
        elif isinstance(obj, type) and obj.__module__.startswith("ocpp_core.smart_charging"):
            for attr, member in vars(obj).items():
                if inspect.isfunction(member) and not attr.startswith("_"):
                    yield f"{name}.{attr}", member
                elif isinstance(member, classmethod) and not attr.startswith("_"):
                    yield f"{name}.{attr}", member.__func__


def _enum_parameters() -> list[tuple[str, str, type[enum.Enum]]]:
    out = []
    for name, function in _callables():
        hints = _hints(function)
        for parameter in inspect.signature(function).parameters:
            if parameter in hints and parameter != "return":
                found = _enums_in(hints[parameter])
                if found:
                    out.append((name, parameter, found[0]))
    return out


ENUM_PARAMETERS = _enum_parameters()

_ACCEPTED = CompositeResult(status=CompositeStatus.ACCEPTED, schedule=_RESULT.schedule)

CALLS: dict[tuple[str, str], Callable[[object], object]] = {
    ("composite_schedule", "unit"): lambda u: composite_schedule(_STORE, _STATION, 1, T0, 3600, u),
    ("validate_profile", "source"): lambda s: sc.validate_profile(
        _PROFILE, 1, ProfileStore(version="2.0.1"), _STATION, source=s
    ),
    ("ProfileStore.install", "source"): lambda s: (
        ProfileStore(version="2.0.1").install(_PROFILE, 1, _STATION, source=s).validation
    ),
    ("ProfileStore.clear", "purpose"): lambda p: _STORE.clear(purpose=p).status,
    ("ProfileStore.query", "purpose"): lambda p: _STORE.query(purpose=p),
    ("ProfileStore.of", "version"): lambda v: ProfileStore.of(v, []),
    ("Station.default_limit", "unit"): _STATION.default_limit,
    ("composite_svg", "version"): lambda v: sc.composite_svg(
        _RESULT, _STORE.entries, _STATION, version=v
    ),
    ("composite_to_ocpp", "version"): lambda v: composite_to_ocpp(_ACCEPTED, v),  # type: ignore[arg-type]
    ("profile_to_ocpp", "version"): lambda v: sc.profile_to_ocpp(_PROFILE, v),  # type: ignore[arg-type]
    ("set_charging_profile_to_ocpp", "version"): lambda v: sc.set_charging_profile_to_ocpp(
        sc.ChargingProfileRequest(evse_id=1, profile=_PROFILE),
        v,  # type: ignore[arg-type]
    ),
    ("Contributor.describe", "version"): INSTANCES[sc.Contributor].describe,
    ("PeriodExplanation.describe", "version"): INSTANCES[sc.PeriodExplanation].describe,
    ("clear_charging_profile_response", "version"): lambda v: sc.clear_charging_profile_response(
        _STORE.clear(profile_id=1), v
    ),
    ("set_charging_profile_response", "version"): lambda v: sc.set_charging_profile_response(
        _VALIDATION,
        v,  # type: ignore[arg-type]
    ),
}
"""A call for every enum-typed parameter, varying only that parameter."""


def test_every_enum_parameter_has_a_call() -> None:
    assert ENUM_PARAMETERS, "the walk found no enum-typed parameter"
    missing = {(f, p) for f, p, _ in ENUM_PARAMETERS} - set(CALLS)
    assert not missing, f"add a call to CALLS for {sorted(missing)}"


def _members_for(kind: type[enum.Enum], function: str) -> list[enum.Enum]:
    if kind is OcppVersion and function in {
        "composite_to_ocpp",
        "profile_to_ocpp",
        "set_charging_profile_to_ocpp",
        "set_charging_profile_response",
    }:
        return [OcppVersion.V201, OcppVersion.V21]  # versions that can say this profile
    return list(kind)


@pytest.mark.parametrize(
    ("function", "parameter", "kind"),
    ENUM_PARAMETERS,
    ids=[f"{f}({p})" for f, p, _ in ENUM_PARAMETERS],
)
def test_enum_parameter_gives_the_same_result_for_equal_values(
    function: str, parameter: str, kind: type[enum.Enum]
) -> None:
    call = CALLS[(function, parameter)]
    for member in _members_for(kind, function):
        expected = call(member)
        for form in equal_forms(member):
            assert call(form) == expected, (function, parameter, form)


@pytest.mark.parametrize(
    ("function", "parameter", "kind"),
    ENUM_PARAMETERS,
    ids=[f"{f}({p})" for f, p, _ in ENUM_PARAMETERS],
)
def test_enum_parameter_refuses_other_values_naming_it(
    function: str, parameter: str, kind: type[enum.Enum]
) -> None:
    call = CALLS[(function, parameter)]
    for value in ("no-such-value", 42):
        with pytest.raises(SmartChargingValueError) as caught:
            call(value)
        assert caught.value.field == parameter


# --------------------------------------------------------------------------------------
# The reported cases.
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "unit",
    ["A", v16.ChargingRateUnitType.A, v20.ChargingRateUnitEnum.A, v201.ChargingRateUnitEnum.A],
    ids=repr,
)
def test_composite_unit_given_as_string_or_message_enum_is_amperes(unit: object) -> None:
    station = Station(evses=(Evse(id=1),))
    store = ProfileStore(version="2.0.1")
    reference = composite_schedule(store, station, 1, T0, 3600, ChargingRateUnit.A)
    result = composite_schedule(store, station, 1, T0, 3600, unit)  # type: ignore[arg-type]
    assert result == reference
    assert result.schedule is not None
    assert result.schedule.charging_rate_unit is ChargingRateUnit.A
    assert [p.limit for p in result.schedule.periods] == [station.default_limit_a]


def test_station_rate_units_as_strings_then_composite_to_ocpp() -> None:
    station = Station(evses=(Evse(id=1),), rate_units=("A",))  # type: ignore[arg-type]
    assert station.rate_units == (ChargingRateUnit.A,)
    result = composite_schedule(ProfileStore(version="2.0.1"), station, 1, T0, 3600)
    response = composite_to_ocpp(result, "2.0.1")
    assert response.schedule is not None
    assert response.schedule.charging_rate_unit is v201.ChargingRateUnitEnum.A
    assert response.schedule.charging_schedule_period[0].limit == station.default_limit_a


def test_no_identity_comparison_reaches_user_input() -> None:
    """A profile built from message enums composes exactly as one built from the model's."""
    mixed = ChargingProfile(
        id=1,
        stack_level=0,
        purpose=v201.ChargingProfilePurposeEnum.TX_DEFAULT_PROFILE,  # type: ignore[arg-type]
        kind="Relative",  # type: ignore[arg-type]
        schedules=(
            ChargingSchedule(
                charging_rate_unit=v16.ChargingRateUnitType.W,  # type: ignore[arg-type]
                periods=(SchedulePeriod(start_period=0, limit=7400.0),),
            ),
        ),
    )
    own = attrs.evolve(
        mixed,
        purpose=ProfilePurpose.TX_DEFAULT,
        kind=ProfileKind.RELATIVE,
        schedules=(attrs.evolve(mixed.schedule, charging_rate_unit=ChargingRateUnit.W),),
    )
    assert mixed == own
    for unit in ("A", "W"):
        a = composite_schedule(ProfileStore.of("1.6", [(1, mixed)]), _STATION, 1, T0, 3600, unit)
        b = composite_schedule(ProfileStore.of("1.6", [(1, own)]), _STATION, 1, T0, 3600, unit)
        assert a == b


def test_version_parameters_accept_only_versions() -> None:
    with pytest.raises(SmartChargingValueError, match=r"ProfileStore\.version"):
        ProfileStore(version=1.6)  # type: ignore[arg-type]
