"""The ``ocpp-core plan`` command: plan a site from a site file.

``ocpp-core plan SITE.json [--at T] [--horizon S] [--method greedy|lp]
[--format table|json|svg] [-o FILE]`` reads a site file (circuits, stations
with their OCPP versions and capabilities, sessions, external limits, policy:
see ``docs/howto-balance-a-site.md`` and ``examples/sites/``), plans every EVSE
with :func:`ocpp_core.energy.plan`, and prints:

* ``table``: each EVSE's periods with what bound them, each session's energy
  wanted, planned and unmet, then the SetChargingProfile frames per station;
* ``json``: the same as one JSON document;
* ``svg``: a chart of per-EVSE power stacked under the grid connection's limit.

Exit status: 0 planned, 2 bad input (unreadable file, invalid site, bad
option, the LP planner without its extra), reported in one line on standard
error, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from typing import Any

from ocpp_core.energy import (
    Plan,
    PlanMethod,
    RequestSet,
    SiteFile,
    plan,
    plan_svg,
    site_from_json,
    to_requests,
)
from ocpp_core.errors import EnergyError, SiteError

__all__ = ["register"]

_PROG = "ocpp-core plan"
_MAX_BYTES = 16 * 1024 * 1024


def _load(path: str) -> SiteFile:
    try:
        with open(path, "rb") as stream:
            raw = stream.read(_MAX_BYTES + 1)
    except OSError as exc:
        raise SiteError(path, f"cannot read: {exc.strerror or type(exc).__name__}") from None
    if len(raw) > _MAX_BYTES:
        raise SiteError(path, f"larger than {_MAX_BYTES} bytes")
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SiteError(path, "not UTF-8") from None
    except ValueError as exc:
        raise SiteError(path, f"not JSON ({exc})") from None
    try:
        return site_from_json(document)
    except SiteError as exc:
        raise SiteError(f"{path}: {exc.field}", str(exc).split(": ", 1)[-1]) from None


def _time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SiteError("--at", f"not an ISO 8601 date-time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        raise SiteError("--at", "a date-time needs a UTC offset (e.g. Z)")
    return moment


def _plan_json(result: Plan) -> dict[str, Any]:
    return {
        "start": result.start.isoformat(),
        "slotS": result.slot_s,
        "slots": result.slots,
        "method": result.method.value,
        "peakW": round(result.peak_w, 1),
        "evses": [
            {
                "station": e.station_id,
                "evse": e.evse_id,
                "transactionId": e.transaction_id,
                "periods": [
                    {
                        "start": p.start,
                        "currentA": None if p.current_a is None else round(p.current_a, 3),
                        "powerW": round(p.power_w, 1),
                        "numberPhases": p.number_phases,
                        "boundBy": p.binding.describe(),
                        **(
                            {"discharge": p.discharge.reason.value, "why": p.discharge.describe()}
                            if p.discharge is not None
                            else {}
                        ),
                    }
                    for p in e.periods
                ],
            }
            for e in result.evses
        ],
        "sessions": [
            {
                "station": s.station_id,
                "evse": s.evse_id,
                "transactionId": s.transaction_id,
                "energyWantedWh": None
                if s.energy_wanted_wh is None
                else round(s.energy_wanted_wh, 1),
                "energyPlannedWh": round(s.energy_planned_wh, 1),
                "unmetWh": round(s.unmet_wh, 1),
                "boundBy": [b.describe() for b in s.bound_by],
                **(
                    {"dischargedWh": round(s.energy_discharged_wh, 1)}
                    if s.energy_discharged_wh
                    else {}
                ),
                **({"v2xNote": s.v2x_note} if s.v2x_note else {}),
            }
            for s in result.sessions
        ],
        "violations": [
            {
                "start": v.start,
                "limit": v.binding.describe(),
                "excess": round(v.excess, 3),
            }
            for v in result.violations
        ],
    }


def _frames(requests: RequestSet) -> list[tuple[str, list[Any]]]:
    counters: dict[str, int] = {}
    out = []
    for request in requests.requests:
        counters[request.station_id] = counters.get(request.station_id, 0) + 1
        message_id = f"plan-{request.station_id}-{counters[request.station_id]}"
        out.append((request.station_id, [2, message_id, "SetChargingProfile", request.payload]))
    return out


def _table(site_file: SiteFile, result: Plan, requests: RequestSet) -> str:
    lines = []
    if site_file.description:
        lines.append(site_file.description)
    lines.append(
        f"Plan from {result.start.isoformat()} for {result.horizon_s} s in "
        f"{result.slots} slots of {result.slot_s} s ({result.method.value}); "
        f"peak {result.peak_w / 1000:.1f} kW"
    )
    for evse_plan in result.evses:
        tx = f" (transaction {evse_plan.transaction_id})" if evse_plan.transaction_id else ""
        lines.append("")
        lines.append(f"{evse_plan.station_id}#{evse_plan.evse_id}{tx}")
        for period in evse_plan.periods:
            stamp = (result.start + timedelta(seconds=period.start)).strftime("%Y-%m-%d %H:%M")
            if period.current_a is not None:
                value = f"{period.current_a:6.1f} A x{period.number_phases or '-'}"
            else:
                value = f"{period.output_power_w / 1000:6.1f} kW  "
            why = period.binding.describe()
            if period.discharge is not None:
                why = f"discharge: {period.discharge.describe()}; bound by {why}"
            lines.append(f"  {stamp}  {value}  {period.power_w / 1000:6.2f} kW  {why}")
    lines.append("")
    lines.append("Sessions:")
    for outcome in result.sessions:
        wanted = (
            "unbounded"
            if outcome.energy_wanted_wh is None
            else f"{outcome.energy_wanted_wh / 1000:.1f} kWh"
        )
        why = "; ".join(b.describe() for b in outcome.bound_by[:2]) or "-"
        given_back = (
            f", discharged {outcome.energy_discharged_wh / 1000:.1f} kWh"
            if outcome.energy_discharged_wh
            else ""
        )
        lines.append(
            f"  {outcome.station_id}#{outcome.evse_id}: wanted {wanted}, planned "
            f"{outcome.energy_planned_wh / 1000:.1f} kWh{given_back}, unmet "
            f"{outcome.unmet_wh / 1000:.1f} kWh (held back by: {why})"
        )
        if outcome.v2x_note:
            lines.append(f"    {outcome.v2x_note}")
    if result.violations:
        lines.append("")
        lines.append("Limits the base load breaks (not covered by discharging):")
        for violation in result.violations:
            stamp = (result.start + timedelta(seconds=violation.start)).strftime("%Y-%m-%d %H:%M")
            unit = "W" if violation.binding.phase is None else "A"
            lines.append(
                f"  {stamp}  {violation.binding.describe()}: {violation.excess:.1f} {unit} over"
            )
    lines.append("")
    lines.append("SetChargingProfile frames:")
    for station_id, frame in _frames(requests):
        lines.append(f"  {station_id}: {json.dumps(frame, separators=(',', ':'))}")
    return "\n".join(lines) + "\n"


def _run(args: argparse.Namespace) -> int:
    try:
        site_file = _load(args.site)
        start = _time(args.at) if args.at is not None else site_file.at
        if start is None:
            raise SiteError("--at", 'required (or an "at" in the site file)')
        horizon = args.horizon if args.horizon is not None else site_file.horizon
        method = PlanMethod(args.method) if args.method is not None else site_file.method
        result = plan(
            site_file.site,
            site_file.sessions,
            start,
            horizon,
            site_file.policy,
            method=method,
        )
        requests = to_requests(result, None, site_file.site, policy=site_file.policy)
    except EnergyError as exc:
        print(f"{_PROG}: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        document = _plan_json(result)
        document["requests"] = [
            {"station": station, "frame": frame} for station, frame in _frames(requests)
        ]
        text = json.dumps(document, indent=2) + "\n"
    elif args.format == "svg":
        text = plan_svg(result, site_file.site, title=site_file.description or None)
    else:
        text = _table(site_file, result, requests)
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
    except OSError as exc:
        print(
            f"{_PROG}: cannot write {args.output}: {exc.strerror or type(exc).__name__}",
            file=sys.stderr,
        )
        return 2
    return 0


def _horizon(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(
            f"expected a positive number of seconds, got {text[:20]!r}"
        )
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``plan`` subcommand to ``subparsers`` (its ``func`` runs it)."""
    parser = subparsers.add_parser(
        "plan",
        help="plan a site's charging and print the SetChargingProfile requests",
        description=(
            "Plan every EVSE of a site file (circuits, stations, sessions, external limits, "
            "policy) over a horizon, and print the plan with what bound each EVSE, the "
            "energy each session gets, and the SetChargingProfile frames per station; or "
            "an SVG chart. Exit status: 0 planned, 2 bad input."
        ),
    )
    parser.add_argument("site", metavar="SITE", help="the site file (JSON)")
    parser.add_argument("--at", default=None, metavar="T", help="plan start, ISO 8601")
    parser.add_argument(
        "--horizon", type=_horizon, default=None, metavar="S", help="seconds to plan"
    )
    parser.add_argument(
        "--method", choices=("greedy", "lp"), default=None, help="planner (default: greedy)"
    )
    parser.add_argument(
        "--format", choices=("table", "json", "svg"), default="table", help="output format"
    )
    parser.add_argument("-o", "--output", default=None, metavar="FILE", help="write to FILE")
    parser.set_defaults(func=_run)
