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
``docs/smart-charging.md``.

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
from datetime import UTC, datetime
from typing import Any

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


def _enum_set(values: object, kind: type, where: str) -> frozenset[Any]:
    if not isinstance(values, list):
        raise ScenarioError(f"{where}: expected a list")
    try:
        return frozenset(kind(v) for v in values)
    except ValueError as exc:
        raise ScenarioError(f"{where}: {exc}") from None


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


def _station(spec: Mapping[str, Any], transactions: tuple[Transaction, ...]) -> Station:
    known = (
        {"evses", "rateUnits", "supportedAdditionalPurposes", "supportsFeatures"}
        | set(_STATION_NUMBERS)
        | set(_STATION_INTS)
        | set(_STATION_BOOLS)
    )
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ScenarioError(f"station: unknown key {unknown[0]!r}")
    raw = spec.get("evses", 1)
    evses: list[Evse] = []
    if isinstance(raw, int) and not isinstance(raw, bool):
        evses = [Evse(id=i) for i in range(1, raw + 1)]
    elif isinstance(raw, list):
        for index, item in enumerate(raw):
            entry = _object(item, f"station.evses[{index}]")
            try:
                phase = PhaseType(entry.get("phaseType", "AC"))
            except ValueError:
                raise ScenarioError(f"station.evses[{index}].phaseType: AC or DC") from None
            evses.append(
                Evse(id=_int(entry.get("id"), f"station.evses[{index}].id"), phase_type=phase)
            )
    else:
        raise ScenarioError("station.evses: a count or a list of {id, phaseType}")
    fields: dict[str, Any] = {"evses": tuple(evses), "transactions": transactions}
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
        try:
            fields["rate_units"] = tuple(ChargingRateUnit(u) for u in units)
        except ValueError:
            raise ScenarioError("station.rateUnits: only A and W") from None
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


def _transactions(items: object) -> tuple[Transaction, ...]:
    if not isinstance(items, list):
        raise ScenarioError("transactions: expected a list")
    out = []
    for index, item in enumerate(items):
        where = f"transactions[{index}]"
        entry = _object(item, where)
        evse = entry.get("evseId", entry.get("connectorId"))
        tx_id = entry.get("transactionId")
        if tx_id is not None and (isinstance(tx_id, bool) or not isinstance(tx_id, int | str)):
            raise ScenarioError(f"{where}.transactionId: an integer (1.6) or a string (2.x)")
        out.append(
            Transaction(
                evse_id=_int(evse, f"{where}.evseId"),
                started_at=_parse_time(entry.get("start"), f"{where}.start"),
                transaction_id=tx_id,
            )
        )
    return tuple(out)


class Scenario:
    """A loaded scenario: the version, the station and the store after the requests."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        try:
            self.version = OcppVersion.parse(data.get("ocppVersion", ""))
        except ValueError as exc:
            raise ScenarioError(f"ocppVersion: {exc}") from None
        if self.version is OcppVersion.V20:
            raise ScenarioError("ocppVersion: 2.0 (2018) is not supported; use 1.6, 2.0.1 or 2.1")
        self.description = str(data.get("description", ""))
        self.transactions = _transactions(data.get("transactions", []))
        self.station = _station(_object(data.get("station", {}), "station"), self.transactions)
        self.query = _object(data.get("query", {}), "query")
        requests = data.get("requests", [])
        if not isinstance(requests, list):
            raise ScenarioError("requests: expected a list")
        self.store = ProfileStore(version=self.version)
        self.report: list[str] = []
        for index, item in enumerate(requests):
            self._install(index, _object(item, f"requests[{index}]"))

    def _install(self, index: int, item: Mapping[str, Any]) -> None:
        where = f"requests[{index}]"
        source = ProfileSource.SET_CHARGING_PROFILE
        payload: Any = item
        now = None
        if "payload" in item:  # the wrapped form: {"payload": .., "source": .., "now": ..}
            payload = item["payload"]
            try:
                source = ProfileSource(item.get("source", "SetChargingProfile"))
            except ValueError:
                names = ", ".join(s.value for s in ProfileSource)
                raise ScenarioError(f"{where}.source: one of {names}") from None
            if item.get("now") is not None:
                now = _parse_time(item["now"], f"{where}.now")
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
        head = (
            f"#{index + 1} {source.value} EVSE {neutral.evse_id}: profile {profile.id} "
            f"({profile.purpose.value}, {profile.kind.value}, stack {profile.stack_level})"
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


def _table(scenario: Scenario, result: CompositeResult) -> list[str]:
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
    began = schedule.schedule_start.isoformat().replace("+00:00", "Z")
    lines.append(
        f"Composite schedule for EVSE {schedule.evse_id} from {began} "
        f"for {schedule.duration} s, in {unit}:"
    )
    lines.append("")
    header = f"  {'start':>7}  {'time (UTC)':<19}  {'limit':>10}  {'phases':>6}  {'stack':>5}  why"
    lines.append(header)
    lines.append("  " + "-" * (len(header) - 2))
    for period, explanation in zip(schedule.periods, schedule.explanation, strict=True):
        moment = schedule.schedule_start.timestamp() + period.start_period
        stamp = datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
        phases = "-" if period.number_phases is None else str(period.number_phases)
        extra = []
        if period.setpoint is not None:
            extra.append(f"setpoint {period.setpoint:g}")
        if period.discharge_limit is not None:
            extra.append(f"discharge {period.discharge_limit:g}")
        if period.operation_mode is not None:
            extra.append(period.operation_mode.value)
        why = explanation.describe() + (f" [{', '.join(extra)}]" if extra else "")
        lines.append(
            f"  {period.start_period:>7}  {stamp:<19}  {period.limit:>10.1f}  {phases:>6}  "
            f"{period.stack_level:>5}  {why}"
        )
    if result.invalidated_profile_ids:
        ids = ", ".join(str(i) for i in result.invalidated_profile_ids)
        lines.append("")
        lines.append(f"Profiles to delete (invalid after offline duration): {ids}")
    return lines


def _run(args: argparse.Namespace) -> int:
    try:
        scenario = load_scenario(args.scenario)
        query = scenario.query
        evse = args.evse if args.evse is not None else query.get("evseId")
        start_text = args.start if args.start is not None else query.get("start")
        duration = args.duration if args.duration is not None else query.get("duration")
        unit_text = args.unit if args.unit is not None else query.get("unit")
        if evse is None or start_text is None or duration is None:
            raise ScenarioError("--evse, --start and --duration are required (or a scenario query)")
        evse_id = _int(evse, "--evse")
        length = _int(duration, "--duration")
        start = _parse_time(start_text, "--start")
        try:
            unit = None if unit_text is None else ChargingRateUnit(unit_text)
        except ValueError:
            raise ScenarioError("--unit: A or W") from None
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
        )
    else:
        text = "\n".join(_table(scenario, result)) + "\n"
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
