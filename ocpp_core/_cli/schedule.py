"""The ``ocpp-core schedule`` command: a composite schedule from a scenario file.

A scenario is a JSON file written by users::

    {
      "ocppVersion": "2.0.1",
      "description": "optional text",
      "station": {"evses": [{"id": 1}, {"id": 2, "phaseType": "DC"}], "supplyVoltage": 230, ...},
      "transactions": [{"evseId": 1, "transactionId": "tx-1", "start": "2025-06-02T07:30:00Z"}],
      "requests": [ {SetChargingProfile request payload}, ... ],
      "query": {"evseId": 1, "start": "2025-06-02T06:00:00Z", "duration": 86400, "unit": "W"}
    }

``requests`` are SetChargingProfile request payloads in wire form (1.6:
``{"connectorId": .., "csChargingProfiles": {..}}``; 2.x: ``{"evseId": ..,
"chargingProfile": {..}}``), installed in order through the version's rules;
each is reported Accepted or Rejected with the rule and requirement id. An entry
may also be wrapped, ``{"payload": {..}, "source": "External", "now": T}``: the
source is ``SetChargingProfile`` (default), ``External`` (the station's EMS, the
only way ChargingStationExternalConstraints get in) or
``RequestStartTransaction``; ``now`` is the time of the request (2.1 rate limit).
``query`` holds defaults for the command-line options. The station keys are documented in
``docs/smart-charging.md``. Every object is checked for unknown keys (the error
names the key and its path), and every value error names the scenario field it
came from (``query.start``), or the option when it came from the command line
(``--start``). 1.6 scenarios name the EVSE ``connectorId`` (``evseId`` is
accepted too), and their transaction ids are integers; 2.x ids are strings.
Output of a 1.6 scenario uses 1.6's words (ChargePointMaxProfile, connector).
``--tz`` shows the table's times and the chart's axis in a time zone.

Exit status: 0 the composite was computed, 1 it was rejected (unknown EVSE,
unsupported unit), 2 bad input (unreadable or invalid scenario, bad options),
reported in one line on standard error, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ocpp_core._api import decode_payload, encode_payload
from ocpp_core.errors import OcppError, ScenarioError
from ocpp_core.smart_charging import (
    ChargingRateUnit,
    CompositeOptions,
    CompositeResult,
    CompositeStatus,
    Evse,
    EvseZeroMode,
    PhaseType,
    ProfilePurpose,
    ProfileSource,
    ProfileStore,
    SmartChargingFeature,
    Station,
    TieBreak,
    Transaction,
    composite_schedule,
    composite_svg,
    composite_to_ocpp,
    set_charging_profile_from_ocpp,
)
from ocpp_core.versions import OcppVersion

__all__ = ["register"]

_PROG = "ocpp-core schedule"
_MAX_SCENARIO_BYTES = 16 * 1024 * 1024


def _parse_time(text: object, where: str) -> datetime:
    if not isinstance(text, str):
        raise ScenarioError(f"{where}: expected a date-time string, got {text!r:.40}")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ScenarioError(f"{where}: not an ISO 8601 date-time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{where}: expected an integer, got {value!r:.40}")
    return value


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(f"{where}: expected a number, got {value!r:.40}")
    return float(value)


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(f"{where}: expected an object")
    return value


def _known_keys(spec: Mapping[str, Any], known: set[str], where: str) -> None:
    """Refuse a key ``spec`` does not know, naming it and its path."""
    unknown = sorted(set(spec) - known)
    if unknown:
        place = "at the top level of the scenario" if where == "" else f"in {where}"
        keys = ", ".join(sorted(known))
        raise ScenarioError(f"unknown key {unknown[0]!r} {place} (known: {keys})")


def _enum_set(values: object, kind: type, where: str) -> frozenset[Any]:
    if not isinstance(values, list):
        raise ScenarioError(f"{where}: expected a list")
    try:
        return frozenset(kind(v) for v in values)
    except (ValueError, TypeError):
        names = ", ".join(m.value for m in kind)  # type: ignore[attr-defined]
        raise ScenarioError(f"{where}: only {names}") from None


_STATION_NUMBERS = {
    "supplyVoltage": "supply_voltage",
    "defaultLimitA": "default_limit_a",
    "defaultLimitW": "default_limit_w",
}
_STATION_INTS = {
    "supplyPhases": "supply_phases",
    "defaultNumberPhases": "default_number_phases",
    "maxStackLevel": "max_stack_level",
    "periodsPerSchedule": "max_periods_per_schedule",
    "maxProfilesInstalled": "max_profiles_installed",
    "maxExternalConstraintsId": "max_external_constraints_id",
    "updateRateLimit": "update_rate_limit",
}
_STATION_BOOLS = {
    "acPhaseSwitchingSupported": "ac_phase_switching_supported",
    "dcInputPhaseControl": "dc_input_phase_control",
    "allowMissingStartSchedule": "allow_missing_start_schedule",
    "available": "available",
}
_STATION_KEYS = (
    {"evses", "rateUnits", "supportedAdditionalPurposes", "supportsFeatures"}
    | set(_STATION_NUMBERS)
    | set(_STATION_INTS)
    | set(_STATION_BOOLS)
)
_TOP_KEYS = {"ocppVersion", "description", "station", "transactions", "requests", "query"}
_EVSE_KEYS = {"id", "phaseType"}
_TRANSACTION_KEYS = {"evseId", "connectorId", "transactionId", "start"}
_WRAPPED_KEYS = {"payload", "source", "now"}
_QUERY_KEYS = {"evseId", "connectorId", "start", "duration", "unit"}


def _evses(raw: object) -> list[Evse]:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return [Evse(id=i) for i in range(1, raw + 1)]
    if not isinstance(raw, list):
        raise ScenarioError("station.evses: a count or a list of {id, phaseType}")
    evses = []
    for index, item in enumerate(raw):
        where = f"station.evses[{index}]"
        entry = _object(item, where)
        _known_keys(entry, _EVSE_KEYS, where)
        try:
            phase = PhaseType(entry.get("phaseType", "AC"))
        except ValueError:
            raise ScenarioError(f"{where}.phaseType: AC or DC") from None
        evses.append(Evse(id=_int(entry.get("id"), f"{where}.id"), phase_type=phase))
    return evses


def _station(spec: Mapping[str, Any], transactions: tuple[Transaction, ...]) -> Station:
    _known_keys(spec, _STATION_KEYS, "station")
    fields: dict[str, Any] = {
        "evses": tuple(_evses(spec.get("evses", 1))),
        "transactions": transactions,
    }
    for key, name in _STATION_NUMBERS.items():
        if key in spec:
            fields[name] = _number(spec[key], f"station.{key}")
    for key, name in _STATION_INTS.items():
        if key in spec and spec[key] is not None:
            fields[name] = _int(spec[key], f"station.{key}")
    for key, name in _STATION_BOOLS.items():
        if key in spec:
            if not isinstance(spec[key], bool):
                raise ScenarioError(f"station.{key}: expected true or false")
            fields[name] = spec[key]
    if "rateUnits" in spec:
        units = spec["rateUnits"]
        if not isinstance(units, list) or not units:
            raise ScenarioError("station.rateUnits: a non-empty list of A and W")
        if not all(unit in ("A", "W") for unit in units):
            raise ScenarioError("station.rateUnits: only A and W")
        fields["rate_units"] = tuple(ChargingRateUnit(unit) for unit in units)
    if "supportedAdditionalPurposes" in spec:
        fields["additional_purposes"] = _enum_set(
            spec["supportedAdditionalPurposes"],
            ProfilePurpose,
            "station.supportedAdditionalPurposes",
        )
    if "supportsFeatures" in spec:
        fields["features"] = _enum_set(
            spec["supportsFeatures"], SmartChargingFeature, "station.supportsFeatures"
        )
    return Station(**fields)


def _evse_key(spec: Mapping[str, Any], where: str, version: OcppVersion) -> object:
    """The EVSE of ``spec``: ``evseId``, or in 1.6 ``connectorId`` (1.6's name)."""
    if "connectorId" in spec:
        if version is not OcppVersion.V16:
            raise ScenarioError(
                f"{where}.connectorId: a 1.6 name; OCPP {version.value} names the EVSE evseId"
            )
        if "evseId" in spec:
            raise ScenarioError(f"{where}: give connectorId or evseId, not both")
        return spec["connectorId"]
    return spec.get("evseId")


def _evse_field(spec: Mapping[str, Any], where: str) -> str:
    key = "connectorId" if "connectorId" in spec else "evseId"
    return f"{where}.{key}"


def _transaction_id(value: object, where: str, version: OcppVersion) -> int | str | None:
    if value is None:
        return None
    if version is OcppVersion.V16:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(
                f"{where}: OCPP 1.6 transaction ids are integers, got {value!r:.40}"
            )
        return value
    if not isinstance(value, str) or len(value) > 36:
        raise ScenarioError(
            f"{where}: OCPP {version.value} transaction ids are strings of at most "
            f"36 characters, got {value!r:.40}"
        )
    return value


def _transactions(items: object, version: OcppVersion) -> tuple[Transaction, ...]:
    if not isinstance(items, list):
        raise ScenarioError("transactions: expected a list")
    out = []
    for index, item in enumerate(items):
        where = f"transactions[{index}]"
        entry = _object(item, where)
        _known_keys(entry, _TRANSACTION_KEYS, where)
        evse = _evse_key(entry, where, version)
        out.append(
            Transaction(
                evse_id=_int(evse, _evse_field(entry, where)),
                started_at=_parse_time(entry.get("start"), f"{where}.start"),
                transaction_id=_transaction_id(
                    entry.get("transactionId"), f"{where}.transactionId", version
                ),
            )
        )
    return tuple(out)


def _version(data: Mapping[str, Any]) -> OcppVersion:
    known = ", ".join(v.value for v in OcppVersion)
    if "ocppVersion" not in data:
        raise ScenarioError(f"ocppVersion: missing; name the scenario's OCPP version ({known})")
    raw = data["ocppVersion"]
    if not isinstance(raw, str):
        raise ScenarioError(f'ocppVersion: a string such as "2.0.1" ({known}), got {raw!r:.40}')
    try:
        return OcppVersion.parse(raw)
    except ValueError:
        raise ScenarioError(f"ocppVersion: {raw[:20]!r} is not one of {known}") from None


class Scenario:
    """A loaded scenario: the version, the station and the store after the requests."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        _known_keys(data, _TOP_KEYS, "")
        self.version = _version(data)
        self.description = str(data.get("description", ""))
        self.transactions = _transactions(data.get("transactions", []), self.version)
        self.station = _station(_object(data.get("station", {}), "station"), self.transactions)
        self.query = _object(data.get("query", {}), "query")
        _known_keys(self.query, _QUERY_KEYS, "query")
        requests = data.get("requests", [])
        if not isinstance(requests, list):
            raise ScenarioError("requests: expected a list")
        self.store = ProfileStore(version=self.version)
        self.report: list[str] = []
        for index, item in enumerate(requests):
            self._install(index, _object(item, f"requests[{index}]"))

    @property
    def v16(self) -> bool:
        """Whether the scenario is OCPP 1.6 (its output then uses 1.6's words)."""
        return self.version is OcppVersion.V16

    def place(self, evse_id: int) -> str:
        """``connector n`` (1.6) or ``EVSE n``."""
        return f"connector {evse_id}" if self.v16 else f"EVSE {evse_id}"

    def purpose(self, purpose: ProfilePurpose) -> str:
        """The purpose as the scenario's version names it."""
        if self.v16 and purpose is ProfilePurpose.CHARGING_STATION_MAX:
            return "ChargePointMaxProfile"
        return purpose.value

    def _install(self, index: int, item: Mapping[str, Any]) -> None:
        where = f"requests[{index}]"
        source = ProfileSource.SET_CHARGING_PROFILE
        payload: Any = item
        now = None
        if "payload" in item:  # the wrapped form: {"payload": .., "source": .., "now": ..}
            _known_keys(item, _WRAPPED_KEYS, where)
            payload = item["payload"]
            try:
                source = ProfileSource(item.get("source", "SetChargingProfile"))
            except ValueError:
                names = ", ".join(s.value for s in ProfileSource)
                raise ScenarioError(f"{where}.source: one of {names}") from None
            if item.get("now") is not None:
                now = _parse_time(item["now"], f"{where}.now")
            where += ".payload"
        try:
            request = decode_payload(self.version, "SetChargingProfile", "request", payload)
        except OcppError as exc:
            raise ScenarioError(f"{where}: not a valid SetChargingProfile request: {exc}") from None
        neutral = set_charging_profile_from_ocpp(request)
        profile = neutral.profile
        result = self.store.install(
            profile,
            neutral.evse_id,
            self.station,
            source=source,
            now=now,
            limit_source="EMS" if source is ProfileSource.EXTERNAL else "CSO",
        )
        self.store = result.store
        place = "station" if neutral.evse_id == 0 else self.place(neutral.evse_id)
        head = (
            f"#{index + 1} {source.value} {place}: profile {profile.id} "
            f"({self.purpose(profile.purpose)}, {profile.kind.value}, stack {profile.stack_level})"
        )
        verdict = result.validation.describe()
        if result.replaced:
            verdict += " (replaces " + ", ".join(f"#{e.profile.id}" for e in result.replaced) + ")"
        self.report.append(f"{head}: {verdict}")


def load_scenario(path: str) -> Scenario:
    """Read and install a scenario file.

    Raises:
        ScenarioError: the file cannot be read, is not JSON or not a valid scenario.
    """
    try:
        with open(path, "rb") as stream:
            raw = stream.read(_MAX_SCENARIO_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    if len(raw) > _MAX_SCENARIO_BYTES:
        raise ScenarioError(f"{path}: larger than {_MAX_SCENARIO_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"{path}: invalid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise ScenarioError(f"{path}: JSON nested too deeply") from None
    return Scenario(_object(data, "scenario"))


def _duration_text(seconds: int) -> str:
    parts = []
    for size, unit in ((86_400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts[:2]) or "0 s"


def _table(scenario: Scenario, result: CompositeResult, tz: tzinfo) -> list[str]:
    lines = [
        f"OCPP {scenario.version.value} scenario"
        + (f": {scenario.description}" if scenario.description else "")
    ]
    lines.append("")
    lines.append("Requests:")
    lines.extend(f"  {line}" for line in scenario.report or ["(none)"])
    lines.append("")
    schedule = result.schedule
    if schedule is None:
        info = f" ({result.additional_info})" if result.additional_info else ""
        lines.append(f"Composite schedule: Rejected: {result.reason_code}{info}")
        return lines
    unit = schedule.charging_rate_unit.value
    began = schedule.schedule_start.astimezone(tz)
    zone = began.tzname() or "UTC"
    where = "the whole station" if schedule.evse_id == 0 else scenario.place(schedule.evse_id)
    lines.append(
        f"Composite schedule for {where} from {began.isoformat().replace('+00:00', 'Z')} "
        f"for {_duration_text(schedule.duration)} ({schedule.duration} s), in {unit}:"
    )
    lines.append("")
    stamp_head = f"time ({zone})"
    header = f"  {'start':>7}  {stamp_head:<19}  {'limit':>10}  {'phases':>6}  {'stack':>5}  why"
    lines.append(header)
    lines.append("  " + "-" * (len(header) - 2))
    for period, explanation in zip(schedule.periods, schedule.explanation, strict=True):
        moment = schedule.schedule_start.timestamp() + period.start_period
        stamp = datetime.fromtimestamp(moment, tz=tz).strftime("%Y-%m-%d %H:%M:%S")
        phases = "-" if period.number_phases is None else str(period.number_phases)
        extra = []
        if period.setpoint is not None:
            extra.append(f"setpoint {period.setpoint:g}")
        if period.discharge_limit is not None:
            extra.append(f"discharge {period.discharge_limit:g}")
        if period.operation_mode is not None:
            extra.append(period.operation_mode.value)
        why = explanation.describe(scenario.version) + (f" [{', '.join(extra)}]" if extra else "")
        lines.append(
            f"  {period.start_period:>7}  {stamp:<19}  {period.limit:>10.1f}  {phases:>6}  "
            f"{period.stack_level:>5}  {why}"
        )
    if result.invalidated_profile_ids:
        ids = ", ".join(str(i) for i in result.invalidated_profile_ids)
        lines.append("")
        lines.append(f"Profiles to delete (invalid after offline duration): {ids}")
    return lines


def _query_value(
    args: argparse.Namespace, flag: str, query: Mapping[str, Any], key: str
) -> tuple[object, str]:
    """A query value and where it came from: the option (``--start``) or the scenario."""
    given = getattr(args, flag)
    if given is not None:
        return given, f"--{flag}"
    return query.get(key), f"query.{key}"


def _zone(name: str | None) -> tzinfo:
    if name is None:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScenarioError(
            f"--tz: unknown time zone {name[:40]!r} (an IANA name such as Europe/Berlin)"
        ) from None


def _query(
    args: argparse.Namespace, scenario: Scenario
) -> tuple[int, datetime, int, ChargingRateUnit | None]:
    query = scenario.query
    if args.evse is not None:
        evse, evse_where = args.evse, "--evse"
    else:
        evse = _evse_key(query, "query", scenario.version)
        evse_where = _evse_field(query, "query")
    start, start_where = _query_value(args, "start", query, "start")
    duration, duration_where = _query_value(args, "duration", query, "duration")
    unit_text, unit_where = _query_value(args, "unit", query, "unit")
    if evse is None or start is None or duration is None:
        name = "connectorId" if scenario.v16 else "evseId"
        raise ScenarioError(
            f"--evse, --start and --duration are required (or the scenario's query "
            f"{name}, start and duration)"
        )
    evse_id = _int(evse, evse_where)
    length = _int(duration, duration_where)
    moment = _parse_time(start, start_where)
    if unit_text is not None and unit_text not in ("A", "W"):
        raise ScenarioError(f"{unit_where}: A or W, got {unit_text!r:.20}")
    unit = None if unit_text is None else ChargingRateUnit(str(unit_text))
    return evse_id, moment, length, unit


def _run(args: argparse.Namespace) -> int:
    try:
        zone = _zone(args.tz)
        scenario = load_scenario(args.scenario)
        evse_id, start, length, unit = _query(args, scenario)
    except ScenarioError as exc:
        print(f"{_PROG}: {exc}", file=sys.stderr)
        return 2
    options = CompositeOptions(
        simulate_transaction=not args.no_simulate,
        offline_seconds=args.offline_seconds,
        tie_break=TieBreak(args.tie_break),
        recurring_before_start=not args.no_recurring_before_start,
        evse_zero=EvseZeroMode(args.evse_zero),
    )
    result = composite_schedule(
        scenario.store, scenario.station, evse_id, start, length, unit, options=options
    )
    if args.format == "json":
        text = (
            json.dumps(encode_payload(composite_to_ocpp(result, scenario.version)), indent=2) + "\n"
        )
    elif args.format == "svg":
        text = composite_svg(
            result,
            scenario.store.entries,
            scenario.station,
            version=scenario.version,
            title=args.title or None,
            tz=zone,
        )
    else:
        text = "\n".join(_table(scenario, result, zone)) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        try:
            with open(args.output, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            print(f"{_PROG}: cannot write {args.output}: {reason}", file=sys.stderr)
            return 2
    return 0 if result.status is CompositeStatus.ACCEPTED else 1


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text[:20]!r}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text[:20]!r}") from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``schedule`` subcommand to ``subparsers`` (its ``func`` runs it)."""
    parser = subparsers.add_parser(
        "schedule",
        help="compute a composite charging schedule from a scenario file",
        description=(
            "Install the SetChargingProfile requests of a scenario (JSON: OCPP version, "
            "station, transactions, requests in wire form), report each as Accepted or "
            "Rejected, and print the composite schedule of an EVSE as a table with the "
            "reason for every period, as the version's GetCompositeSchedule response "
            "(json), or as an SVG chart. Exit status: 0 computed, 1 rejected, 2 bad input."
        ),
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="the scenario file (JSON)")
    parser.add_argument(
        "--evse", type=_integer, default=None, metavar="N", help="EVSE id (0: station)"
    )
    parser.add_argument(
        "--start", default=None, metavar="T", help="window start, ISO 8601 (e.g. 2025-06-02T06:00Z)"
    )
    parser.add_argument("--duration", type=_integer, default=None, metavar="S", help="seconds")
    parser.add_argument(
        "--unit", choices=("A", "W"), default=None, help="unit (default: the station's first)"
    )
    parser.add_argument(
        "--format", choices=("table", "json", "svg"), default="table", help="output format"
    )
    parser.add_argument("-o", "--output", default=None, metavar="FILE", help="write to FILE")
    parser.add_argument("--title", default="", help="SVG chart title")
    parser.add_argument(
        "--tz",
        default=None,
        metavar="ZONE",
        help="show times in this IANA time zone, e.g. Europe/Berlin (default: UTC)",
    )
    parser.add_argument(
        "--no-simulate",
        action="store_true",
        help="do not simulate a transaction on an idle EVSE (only caps apply there)",
    )
    parser.add_argument(
        "--offline-seconds",
        type=_non_negative,
        default=None,
        metavar="S",
        help="2.1: the station has been offline S seconds (maxOfflineDuration)",
    )
    parser.add_argument(
        "--tie-break",
        choices=[t.value for t in TieBreak],
        default=TieBreak.EVSE_SPECIFIC.value,
        help="winner of equal stack levels (default: evse-specific)",
    )
    parser.add_argument(
        "--evse-zero",
        choices=[m.value for m in EvseZeroMode],
        default=EvseZeroMode.SUM_OF_EVSES.value,
        help="meaning of the EVSE 0 composite (default: sum-of-evses)",
    )
    parser.add_argument(
        "--no-recurring-before-start",
        action="store_true",
        help="Recurring profiles do not recur before their startSchedule",
    )
    parser.set_defaults(func=_run)
