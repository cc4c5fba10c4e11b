"""Site files: a whole site, its sessions, external limits and policy as one JSON document.

:func:`site_from_json` reads the parsed document (a ``dict``; reading the file
is the caller's business) strictly: an unknown key, a value of the wrong type,
a missing required key or a value the model refuses raises
:class:`~ocpp_core.errors.SiteError` naming the JSON path (``$.stations[0].evses[1].circuit``).
The keys are camelCase, as in OCPP; ``docs/howto-balance-a-site.md`` lists them
and ``examples/sites/`` holds complete files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import attrs

from ocpp_core.energy._model import (
    Circuit,
    ExternalLimit,
    Limit,
    LimitSchedule,
    Policy,
    Session,
    Site,
    SiteEvse,
    SiteStation,
)
from ocpp_core.energy._results import PlanMethod
from ocpp_core.errors import OcppError, SiteError
from ocpp_core.smart_charging import ChargingRateUnit, Evse, Station

__all__ = ["SiteFile", "site_from_json"]

_T = TypeVar("_T")


@attrs.frozen(kw_only=True)
class SiteFile:
    """The contents of a site file."""

    site: Site
    """The site (circuits, stations, EVSEs, external limits)."""
    sessions: tuple[Session, ...]
    """The sessions."""
    policy: Policy
    """The policy (defaults where the file says nothing)."""
    at: datetime | None
    """The plan start the file proposes (``"at"``), if any."""
    horizon: int | None
    """The horizon in seconds the file proposes (``"horizon"``), if any."""
    method: PlanMethod
    """The planner the file asks for (``policy.method``; default greedy)."""
    description: str
    """Free text."""


def _keys(
    obj: object, path: str, allowed: set[str], required: frozenset[str] | set[str] = frozenset()
) -> dict[str, Any]:
    if not isinstance(obj, Mapping):
        raise SiteError(path, f"expected an object, got {type(obj).__name__}")
    for key in obj:
        if key not in allowed:
            raise SiteError(f"{path}.{key}", "unknown key")
    for key in sorted(required):
        if key not in obj:
            raise SiteError(f"{path}.{key}", "required key missing")
    return dict(obj)


def _list(obj: object, path: str) -> list[Any]:
    if not isinstance(obj, list):
        raise SiteError(path, f"expected a list, got {type(obj).__name__}")
    return obj


def _time(obj: object, path: str) -> datetime:
    if not isinstance(obj, str):
        raise SiteError(path, "expected an ISO 8601 date-time string")
    try:
        moment = datetime.fromisoformat(obj.replace("Z", "+00:00"))
    except ValueError:
        raise SiteError(path, f"not an ISO 8601 date-time: {obj[:40]!r}") from None
    if moment.tzinfo is None:
        raise SiteError(path, "a date-time needs a UTC offset (e.g. Z)")
    return moment


def _int(obj: object, path: str) -> int:
    if isinstance(obj, bool) or not isinstance(obj, int):
        raise SiteError(path, "expected an integer")
    return obj


def _str(obj: object, path: str) -> str:
    if not isinstance(obj, str):
        raise SiteError(path, "expected a string")
    return obj


def _build(path: str, factory: Callable[..., _T], **kwargs: Any) -> _T:
    """Call a model constructor, re-raising its errors with the JSON path."""
    try:
        return factory(**kwargs)
    except SiteError as exc:
        raise SiteError(f"{path}.{_camel(exc.field)}", str(exc).split(": ", 1)[-1]) from None
    except (OcppError, ValueError, TypeError) as exc:
        raise SiteError(path, str(exc)) from None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


_LIMIT_KEYS = {"start", "currentA", "powerW"}


def _schedule(obj: object, path: str) -> LimitSchedule:
    points = []
    for index, item in enumerate(_list(obj, path)):
        where = f"{path}[{index}]"
        data = _keys(item, where, _LIMIT_KEYS, {"start"})
        limit = _build(where, Limit, current_a=data.get("currentA"), power_w=data.get("powerW"))
        points.append((_time(data["start"], f"{where}.start"), limit))
    return _build(path, LimitSchedule, points=tuple(points))


_CIRCUIT_KEYS = {
    "id",
    "parent",
    "maxCurrentA",
    "maxPowerW",
    "limitSchedule",
    "baseLoad",
    "exportLimitW",
}


def _circuit(obj: object, path: str) -> Circuit:
    data = _keys(obj, path, _CIRCUIT_KEYS, {"id"})
    return _build(
        path,
        Circuit,
        id=data["id"],
        parent=data.get("parent"),
        max_current_a=data.get("maxCurrentA"),
        max_power_w=data.get("maxPowerW"),
        limit_schedule=None
        if data.get("limitSchedule") is None
        else _schedule(data["limitSchedule"], f"{path}.limitSchedule"),
        base_load=None
        if data.get("baseLoad") is None
        else _schedule(data["baseLoad"], f"{path}.baseLoad"),
        export_limit_w=data.get("exportLimitW"),
    )


_EVSE_KEYS = {
    "id",
    "circuit",
    "phases",
    "phaseType",
    "minCurrentA",
    "maxCurrentA",
    "minPowerW",
    "maxPowerW",
    "efficiency",
    "voltage",
    "dischargeMaxPowerW",
}

_STATION_KEYS = {
    "id",
    "ocppVersion",
    "evses",
    "supplyVoltage",
    "supplyPhases",
    "rateUnits",
    "maxStackLevel",
    "maxPeriodsPerSchedule",
    "maxProfilesInstalled",
    "maxExternalConstraintsId",
    "maxCurrentA",
    "maxPowerW",
}


def _station(obj: object, path: str) -> tuple[SiteStation, list[SiteEvse]]:
    data = _keys(obj, path, _STATION_KEYS, {"id", "ocppVersion", "evses"})
    station_id = _str(data["id"], f"{path}.id")
    evses: list[SiteEvse] = []
    engine_evses = []
    for index, item in enumerate(_list(data["evses"], f"{path}.evses")):
        where = f"{path}.evses[{index}]"
        evse = _keys(item, where, _EVSE_KEYS, {"id", "circuit"})
        kwargs: dict[str, Any] = {
            "station_id": station_id,
            "evse_id": _int(evse["id"], f"{where}.id"),
            "circuit": evse["circuit"],
        }
        for key, name in (
            ("phases", "phases"),
            ("phaseType", "phase_type"),
            ("minCurrentA", "min_current_a"),
            ("maxCurrentA", "max_current_a"),
            ("minPowerW", "min_power_w"),
            ("maxPowerW", "max_power_w"),
            ("efficiency", "efficiency"),
            ("voltage", "voltage"),
            ("dischargeMaxPowerW", "discharge_max_power_w"),
        ):
            if key in evse:
                kwargs[name] = evse[key]
        built = _build(where, SiteEvse, **kwargs)
        evses.append(built)
        engine_evses.append(Evse(id=built.evse_id, phase_type=built.phase_type))
    engine: dict[str, Any] = {"evses": tuple(engine_evses)}
    for key, name in (
        ("supplyVoltage", "supply_voltage"),
        ("supplyPhases", "supply_phases"),
        ("maxStackLevel", "max_stack_level"),
        ("maxPeriodsPerSchedule", "max_periods_per_schedule"),
        ("maxProfilesInstalled", "max_profiles_installed"),
        ("maxExternalConstraintsId", "max_external_constraints_id"),
    ):
        if key in data:
            engine[name] = data[key]
    if "rateUnits" in data:
        units = []
        for index, unit in enumerate(_list(data["rateUnits"], f"{path}.rateUnits")):
            if unit not in ("A", "W"):
                raise SiteError(f"{path}.rateUnits[{index}]", "expected A or W")
            units.append(ChargingRateUnit(unit))
        engine["rate_units"] = tuple(units)
    station = _build(path, Station, **engine)
    return (
        _build(
            path,
            SiteStation,
            id=station_id,
            version=data["ocppVersion"],
            station=station,
            max_current_a=data.get("maxCurrentA"),
            max_power_w=data.get("maxPowerW"),
        ),
        evses,
    )


_SESSION_KEYS = {
    "station",
    "evse",
    "transactionId",
    "arrival",
    "departure",
    "energyWantedWh",
    "energyDeliveredWh",
    "minCurrentA",
    "maxCurrentA",
    "minPowerW",
    "maxPowerW",
    "evPhases",
    "soc",
    "priority",
    "weight",
    "measuredCurrentA",
    "measuredAt",
    "dischargeMaxPowerW",
    "minEnergyWh",
}


def _session(obj: object, path: str) -> Session:
    data = _keys(obj, path, _SESSION_KEYS, {"station", "evse", "arrival"})
    kwargs: dict[str, Any] = {
        "station_id": data["station"],
        "evse_id": _int(data["evse"], f"{path}.evse"),
        "arrival": _time(data["arrival"], f"{path}.arrival"),
    }
    if data.get("departure") is not None:
        kwargs["departure"] = _time(data["departure"], f"{path}.departure")
    if data.get("measuredAt") is not None:
        kwargs["measured_at"] = _time(data["measuredAt"], f"{path}.measuredAt")
    if "transactionId" in data:
        tx = data["transactionId"]
        if tx is not None and (isinstance(tx, bool) or not isinstance(tx, int | str)):
            raise SiteError(f"{path}.transactionId", "expected an integer or a string")
        kwargs["transaction_id"] = tx
    for key, name in (
        ("energyWantedWh", "energy_wanted_wh"),
        ("energyDeliveredWh", "energy_delivered_wh"),
        ("minCurrentA", "min_current_a"),
        ("maxCurrentA", "max_current_a"),
        ("minPowerW", "min_power_w"),
        ("maxPowerW", "max_power_w"),
        ("evPhases", "ev_phases"),
        ("soc", "soc"),
        ("priority", "priority"),
        ("weight", "weight"),
        ("measuredCurrentA", "measured_current_a"),
        ("dischargeMaxPowerW", "discharge_max_power_w"),
        ("minEnergyWh", "min_energy_wh"),
    ):
        if key in data:
            kwargs[name] = data[key]
    return _build(path, Session, **kwargs)


_LIMIT_OBJECT_KEYS = {"id", "source", "scope", "target", "gridCritical", "schedule"}


def _external(obj: object, path: str) -> ExternalLimit:
    data = _keys(obj, path, _LIMIT_OBJECT_KEYS, {"id", "source", "scope", "schedule"})
    critical = data.get("gridCritical", False)
    if not isinstance(critical, bool):
        raise SiteError(f"{path}.gridCritical", "expected true or false")
    return _build(
        path,
        ExternalLimit,
        id=data["id"],
        source=data["source"],
        scope=data["scope"],
        target=data.get("target"),
        grid_critical=critical,
        schedule=_schedule(data["schedule"], f"{path}.schedule"),
    )


_POLICY_KEYS = {
    "objective",
    "belowMinimum",
    "fairUnit",
    "slotS",
    "horizonS",
    "hysteresisA",
    "currentStepA",
    "powerStepW",
    "measuredMarginA",
    "measurementMaxAgeS",
    "method",
    "prices",
    "allowDischarge",
    "cycleCostPerKwh",
    "dischargeHeadroom",
}


def _policy(obj: object, path: str) -> tuple[Policy, PlanMethod]:
    data = _keys(obj, path, _POLICY_KEYS)
    kwargs: dict[str, Any] = {}
    for key, name in (
        ("objective", "objective"),
        ("belowMinimum", "below_minimum"),
        ("fairUnit", "fair_unit"),
        ("slotS", "slot_s"),
        ("horizonS", "horizon_s"),
        ("hysteresisA", "hysteresis_a"),
        ("currentStepA", "current_step_a"),
        ("powerStepW", "power_step_w"),
        ("measuredMarginA", "measured_margin_a"),
        ("measurementMaxAgeS", "measurement_max_age_s"),
        ("allowDischarge", "allow_discharge"),
        ("cycleCostPerKwh", "cycle_cost_per_kwh"),
        ("dischargeHeadroom", "discharge_headroom"),
    ):
        if key in data:
            kwargs[name] = data[key]
    if "prices" in data:
        # A price series: ``[{"start": ..., "price": 0.31}, ...]``, per kWh.
        points = []
        for index, item in enumerate(_list(data["prices"], f"{path}.prices")):
            where = f"{path}.prices[{index}]"
            entry = _keys(item, where, {"start", "price"}, {"start", "price"})
            price = entry["price"]
            if isinstance(price, bool) or not isinstance(price, int | float):
                raise SiteError(f"{where}.price", "expected a number")
            limit = _build(where, Limit, power_w=price)
            points.append((_time(entry["start"], f"{where}.start"), limit))
        kwargs["prices"] = _build(f"{path}.prices", LimitSchedule, points=tuple(points))
    method = PlanMethod.GREEDY
    if "method" in data:
        if data["method"] not in ("greedy", "lp"):
            raise SiteError(f"{path}.method", "expected greedy or lp")
        method = PlanMethod(data["method"])
    return _build(path, Policy, **kwargs), method


_TOP_KEYS = {
    "description",
    "at",
    "horizon",
    "voltage",
    "circuits",
    "stations",
    "sessions",
    "externalLimits",
    "policy",
}


def site_from_json(document: object) -> SiteFile:
    """Read a parsed site file (see the module docstring).

    Raises:
        SiteError: naming the JSON path of the first problem.
    """
    data = _keys(document, "$", _TOP_KEYS, {"circuits", "stations"})
    circuits = [
        _circuit(item, f"$.circuits[{i}]")
        for i, item in enumerate(_list(data["circuits"], "$.circuits"))
    ]
    stations: list[SiteStation] = []
    evses: list[SiteEvse] = []
    for index, item in enumerate(_list(data["stations"], "$.stations")):
        station, station_evses = _station(item, f"$.stations[{index}]")
        stations.append(station)
        evses.extend(station_evses)
    limits = [
        _external(item, f"$.externalLimits[{i}]")
        for i, item in enumerate(_list(data.get("externalLimits", []), "$.externalLimits"))
    ]
    site_kwargs: dict[str, Any] = {
        "circuits": circuits,
        "stations": stations,
        "evses": evses,
        "external_limits": limits,
    }
    if "voltage" in data:
        site_kwargs["voltage"] = data["voltage"]
    try:
        site = Site(**site_kwargs)
    except SiteError as exc:
        raise SiteError(_site_path(exc.field, stations), str(exc).split(": ", 1)[-1]) from None
    sessions = tuple(
        _session(item, f"$.sessions[{i}]")
        for i, item in enumerate(_list(data.get("sessions", []), "$.sessions"))
    )
    try:
        site.check_sessions(sessions)
    except SiteError as exc:
        head, _, rest = exc.field.partition(".")
        key = {"evse_id": "evse", "station_id": "station"}.get(rest, _camel(rest))
        field = f"$.{head}.{key}" if rest else f"$.{head}"
        raise SiteError(field, str(exc).split(": ", 1)[-1]) from None
    policy, method = _policy(data.get("policy", {}), "$.policy")
    at = None if data.get("at") is None else _time(data["at"], "$.at")
    horizon = None if data.get("horizon") is None else _int(data["horizon"], "$.horizon")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise SiteError("$.description", "expected a string")
    return SiteFile(
        site=site,
        sessions=sessions,
        policy=policy,
        at=at,
        horizon=horizon,
        method=method,
        description=description,
    )


def _site_path(field: str, stations: list[SiteStation]) -> str:
    """Map a model path (``evses[3].circuit``) back to the file (``stations[i].evses[j]``)."""
    head, _, rest = field.partition(".")
    if head.startswith("evses[") and head.endswith("]"):
        index = int(head[6:-1])
        # EVSEs are listed station by station in file order.
        for s_index, station in enumerate(stations):
            count = len(station.station.evses)
            if index < count:
                tail = f".{_camel(rest)}" if rest else ""
                return f"$.stations[{s_index}].evses[{index}]{tail}"
            index -= count
    parts = [_camel(p) for p in field.split(".")]
    return "$." + ".".join(parts)
