"""``to_requests``: typed SetChargingProfile requests from a plan, checked by the station engine.

Theory of operation
-------------------
For every EVSE with a session in the plan, one profile:

* **Purpose.** ``TxProfile`` with the transaction id when the session has a
  transaction, ``TxDefaultProfile`` on that EVSE otherwise. With
  ``station_max=True`` each station also gets a ``ChargingStationMaxProfile``
  (1.6 ``ChargePointMaxProfile``) on EVSE 0 holding the sum of its EVSEs' plans:
  the group limit a local controller or the station's own balancer then splits.
* **Kind and time.** ``Absolute``, ``startSchedule`` at the plan start, no
  ``duration``: the last period holds until the next plan replaces it, so a
  CSMS that falls silent leaves the EVSE at its last planned value, never at a
  default that may exceed the site's limits.
* **Identity.** Deterministic ids, ``id_base + 1000 x purpose + EVSE id`` (above
  a 2.1 station's ``MaxExternalConstraintsId``), and one stack level per
  station: a new plan replaces the previous profile under every version's rules
  (1.6: same purpose, level and connector; 2.x: same id).
* **Unit.** AC in A per phase with ``numberPhases`` where the station supports A,
  else W (``A x V x phases`` with the station's supply voltage); DC in W at the
  output. A station supporting neither unit needed is a :class:`SiteError`.
* **Rounding.** Down, never up: currents to the policy's step and at least to
  0.1 A (1.6 ``multipleOf: 0.1``), powers to the policy's step (1.6: to 0.1 W).
* **Periods.** Equal neighbours merge; when more remain than the station's
  ``PeriodsPerSchedule`` (``ChargingScheduleMaxPeriods``), the neighbouring pair
  whose merge gives away least energy is merged into one period at the lower
  limit, until they fit. The station never gets more than planned.
* **V2X (2.1 only).** A discharge (negative plan power) is a ``CentralSetpoint``
  period in W (A without W) with the negative ``setpoint`` and ``dischargeLimit``
  and ``limit`` 0; magnitudes round down. Merging never adds charge or discharge
  (two discharges merge to the smaller, a discharge and a charge to 0), and a
  ``ChargingStationMaxProfile`` counts charging only (it is ChargingOnly).
* **Diff.** A profile equal, from the plan start on, to the one installed under
  its id is not sent; nor is one that only raises limits by less than the
  policy's hysteresis (the station then keeps a lower, safe value).
* **Self-check.** Every request is validated by
  :func:`~ocpp_core.smart_charging.validate_profile` and installed into a copy of
  the station's :class:`~ocpp_core.smart_charging.ProfileStore`; then the
  composite schedule of every EVSE concerned must be at or below the plan at
  every instant, and equal to it within rounding wherever the new profile is the
  binding one; where the plan discharges, the composite is in CentralSetpoint,
  does not charge, discharges no more than planned and less only by a rounding
  step or as our merged profile says, and nowhere else has a negative setpoint.
  Any failure raises :class:`~ocpp_core.errors.SelfCheckError` and
  no request is returned. The wire form of each request is also checked against
  the version's JSON schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import attrs

from ocpp_core._api import encode_payload
from ocpp_core._validate import validate_payload
from ocpp_core.energy._model import GRID_PHASES, PhaseType, Policy, Site, SiteStation
from ocpp_core.energy._results import EvsePlan, Plan
from ocpp_core.errors import SelfCheckError, SiteError
from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingProfileRequest,
    ChargingRateUnit,
    ChargingSchedule,
    CompositeStatus,
    ExplanationKind,
    OperationMode,
    ProfileKind,
    ProfilePurpose,
    ProfileStore,
    SchedulePeriod,
    Transaction,
    composite_schedule,
    set_charging_profile_to_ocpp,
)
from ocpp_core.versions import OcppVersion

__all__ = ["ProfileRequest", "RequestSet", "to_requests"]

_PURPOSE_CODE = {
    ProfilePurpose.TX: 1,
    ProfilePurpose.TX_DEFAULT: 2,
    ProfilePurpose.CHARGING_STATION_MAX: 3,
}


@attrs.frozen(kw_only=True)
class ProfileRequest:
    """One SetChargingProfile request for one station, in neutral and typed form."""

    station_id: str
    """The station to send it to."""
    version: OcppVersion
    """The station's OCPP version."""
    evse_id: int
    """The EVSE (1.6: connector); 0 for a station-wide profile."""
    profile: ChargingProfile
    """The profile in the engine's neutral form."""
    message: Any
    """The generated ``SetChargingProfileRequest`` of the station's version."""

    @property
    def payload(self) -> dict[str, Any]:
        """The request's wire payload."""
        return encode_payload(self.message)


@attrs.frozen(kw_only=True)
class RequestSet:
    """What :func:`to_requests` returns."""

    requests: tuple[ProfileRequest, ...]
    """The requests to send, by station then EVSE."""
    unchanged: tuple[tuple[str, int], ...]
    """``(station, EVSE)`` whose installed profile already matches the plan."""
    stores: Mapping[str, ProfileStore]
    """Each station's store once every request is accepted (keep it for the next diff)."""


def to_requests(
    plan: Plan,
    installed: Mapping[str, ProfileStore] | None,
    site: Site,
    *,
    policy: Policy | None = None,
    stack_level: int | None = None,
    id_base: int = 100000,
    station_max: bool = False,
    now: datetime | None = None,
) -> RequestSet:
    """Build the SetChargingProfile requests that make every station follow ``plan``.

    Args:
        plan: the plan (from :func:`~ocpp_core.energy.plan`).
        installed: each station's installed profiles (``None`` or a missing station:
            nothing installed), the base of the diff and of the self-check.
        site: the site the plan was made for (station versions and capabilities).
        policy: rounding steps and hysteresis (``None``: the defaults).
        stack_level: the stack level to use (``None``: 0); must be within every
            station's ``max_stack_level``.
        id_base: the lowest profile id used.
        station_max: also send each station a station-wide maximum profile.
        now: the time of sending (for the 2.1 update rate limit in the self-check).

    Returns:
        The requests, the EVSEs left unchanged, and the stores after installation.

    Raises:
        SiteError: a station that supports no usable unit, a stack level out of a
            station's range, a transaction id of the wrong type for 1.6.
        SelfCheckError: a request would be rejected by the station engine, or the
            station's composite schedule would exceed the plan.
    """
    policy = Policy() if policy is None else policy
    stores = dict(installed or {})
    requests: list[ProfileRequest] = []
    unchanged: list[tuple[str, int]] = []
    by_station: dict[str, list[EvsePlan]] = {}
    for evse_plan in plan.evses:
        if any(p.binding.kind.value != "no-session" for p in evse_plan.periods):
            by_station.setdefault(evse_plan.station_id, []).append(evse_plan)
    for station_id in sorted(by_station):
        station = site.station(station_id)
        store = stores.get(station_id) or ProfileStore(version=station.version)
        level = _stack_level(station, stack_level)
        base = max(id_base, (station.station.max_external_constraints_id or 0) + 1)
        transactions = tuple(
            Transaction(evse_id=p.evse_id, started_at=plan.start, transaction_id=p.transaction_id)
            for p in by_station[station_id]
            if p.transaction_id is not None
        )
        made: list[tuple[int, ChargingProfile]] = []
        for evse_plan in by_station[station_id]:
            profile = _profile(plan, site, station, evse_plan, level, base, policy)
            if _same_as_installed(store, profile, evse_plan.evse_id, plan.start, policy):
                unchanged.append((station_id, evse_plan.evse_id))
                continue
            made.append((evse_plan.evse_id, profile))
        if station_max:
            group = _station_max(plan, site, station, by_station[station_id], level, base, policy)
            if _same_as_installed(store, group, 0, plan.start, policy):
                unchanged.append((station_id, 0))
            else:
                made.append((0, group))
        for evse_id, profile in made:
            result = store.install(
                profile, evse_id, station.station, now=now, transactions=transactions
            )
            if not result.accepted:
                raise SelfCheckError(
                    station_id,
                    evse_id,
                    result.validation.rule.value if result.validation.rule else "rejected",
                    result.validation.message or "rejected by validate_profile",
                )
            store = result.store
            requests.append(
                ProfileRequest(
                    station_id=station_id,
                    version=station.version,
                    evse_id=evse_id,
                    profile=profile,
                    message=_message(station, evse_id, profile),
                )
            )
        if made:
            own = {
                _profile_id(base, purpose, e.evse_id)
                for e in by_station[station_id]
                for purpose in (ProfilePurpose.TX, ProfilePurpose.TX_DEFAULT)
            }
            own.add(_profile_id(base, ProfilePurpose.CHARGING_STATION_MAX, 0))
            _check_composites(
                plan, site, station, store, by_station[station_id], transactions, own, policy
            )
        stores[station_id] = store
    return RequestSet(requests=tuple(requests), unchanged=tuple(unchanged), stores=stores)


# --------------------------------------------------------------------------------------
# Building profiles
# --------------------------------------------------------------------------------------


def _stack_level(station: SiteStation, wanted: int | None) -> int:
    level = 0 if wanted is None else wanted
    if isinstance(level, bool) or not isinstance(level, int) or level < 0:
        raise SiteError("stack_level", "expected a non-negative integer")
    top = station.station.max_stack_level
    if top is not None and level > top:
        raise SiteError("stack_level", f"{level} is above station {station.id!r}'s maximum {top}")
    return level


def _unit_for(station: SiteStation, phase_type: PhaseType) -> ChargingRateUnit:
    units = station.station.rate_units
    preferred = (
        (ChargingRateUnit.A, ChargingRateUnit.W)
        if phase_type is PhaseType.AC
        else (ChargingRateUnit.W,)
    )
    for unit in preferred:
        if unit in units:
            return unit
    raise SiteError(
        f"stations[{station.id}].station.rate_units",
        f"station supports {', '.join(u.value for u in units) or 'no unit'}, "
        f"a {phase_type.value} EVSE needs {' or '.join(u.value for u in preferred)}",
    )


def _unit_for_plan(
    station: SiteStation, phase_type: PhaseType, evse_plan: EvsePlan
) -> ChargingRateUnit:
    """The unit of an EVSE's profile: W for a 2.1 discharge where supported, else as usual."""
    if (
        station.version is OcppVersion.V21
        and ChargingRateUnit.W in station.station.rate_units
        and any(p.power_w < 0.0 for p in evse_plan.periods)
    ):
        return ChargingRateUnit.W
    return _unit_for(station, phase_type)


def floor_decimal(value: float, step: float) -> float:
    """``value`` rounded down to a multiple of ``step``, exactly in decimal."""
    if value <= 0:
        return 0.0
    exact = Decimal(repr(float(value)))
    quantum = Decimal(repr(float(step)))
    floored = (exact / quantum).to_integral_value(rounding=ROUND_FLOOR) * quantum
    return float(floored)


def _limit_of(
    period: Any, unit: ChargingRateUnit, voltage: float, policy: Policy, version: OcppVersion
) -> tuple[float, int | None]:
    """A period's value in ``unit``, rounded down (a discharge: its magnitude down)."""
    if period.power_w < 0.0:
        magnitude = attrs.evolve(
            period,
            current_a=None if period.current_a is None else -period.current_a,
            power_w=-period.power_w,
            output_power_w=-period.output_power_w,
            discharge=None,
        )
        value, phases = _limit_of(magnitude, unit, voltage, policy, version)
        return -value, phases
    if period.current_a is not None:
        phases = period.number_phases or 3
        if unit is ChargingRateUnit.A:
            step = (
                max(policy.current_step_a, 0.1)
                if version is OcppVersion.V16
                else policy.current_step_a
            )
            return floor_decimal(period.current_a, step), phases
        watts = period.current_a * voltage * phases
        step = policy.power_step_w
        return floor_decimal(watts, step), phases
    return floor_decimal(period.output_power_w, policy.power_step_w), None


def _merge_periods(
    periods: list[tuple[int, float, int | None]], limit: int | None, horizon: int
) -> list[tuple[int, float, int | None]]:
    merged: list[tuple[int, float, int | None]] = []
    for item in periods:
        if merged and merged[-1][1] == item[1] and merged[-1][2] == item[2]:
            continue
        merged.append(item)
    if limit is None or len(merged) <= limit:
        return merged
    while len(merged) > limit:
        best = -1
        best_loss = float("inf")
        for j in range(len(merged) - 1):
            a, b = merged[j], merged[j + 1]
            end_b = merged[j + 2][0] if j + 2 < len(merged) else horizon
            low = _merged_value(a[1], b[1])
            loss = _loss(a[1], low) * (b[0] - a[0]) + _loss(b[1], low) * max(0, end_b - b[0])
            if loss < best_loss:
                best, best_loss = j, loss
        a, b = merged[best], merged[best + 1]
        value = _merged_value(a[1], b[1])
        phases = a[2] if abs(a[1] - value) <= abs(b[1] - value) else b[2]
        merged[best : best + 2] = [(a[0], value, phases)]
        # Merging may make neighbours equal.
        again: list[tuple[int, float, int | None]] = []
        for item in merged:
            if again and again[-1][1] == item[1] and again[-1][2] == item[2]:
                continue
            again.append(item)
        merged = again
    return merged


def _merged_value(a: float, b: float) -> float:
    """The value of two merged periods: never more charging nor more discharging.

    Two limits merge to the lower, two discharge setpoints to the smaller discharge,
    a limit and a discharge to 0 (neither).
    """
    if a >= 0.0 and b >= 0.0:
        return min(a, b)
    if a <= 0.0 and b <= 0.0:
        return max(a, b)
    return 0.0


def _loss(value: float, merged: float) -> float:
    """What merging gives away per second.

    A lost discharge (a deficit it covered may come back) counts four times, so
    charging periods merge first.
    """
    return (value - merged) if value >= 0.0 else 4.0 * (merged - value)


def _profile_id(base: int, purpose: ProfilePurpose, evse_id: int) -> int:
    return base + 1000 * _PURPOSE_CODE[purpose] + evse_id


def _transaction_id(station: SiteStation, value: object, evse_id: int) -> int | str:
    if station.version is OcppVersion.V16:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
        raise SiteError(
            f"sessions[{station.id}#{evse_id}].transaction_id",
            "OCPP 1.6 transaction ids are integers",
        )
    return str(value)


def _schedule(
    plan: Plan,
    unit: ChargingRateUnit,
    entries: list[tuple[int, float, int | None]],
    station: SiteStation,
) -> ChargingSchedule:
    limit = station.station.max_periods_per_schedule
    if station.version is not OcppVersion.V16:
        limit = min(limit or 1024, 1024)
    merged = _merge_periods(entries, limit, plan.horizon_s)
    return ChargingSchedule(
        id=None if station.version is OcppVersion.V16 else 1,
        charging_rate_unit=unit,
        start_schedule=plan.start,
        periods=tuple(_period(start, value, phases) for start, value, phases in merged),
    )


def _period(start: int, value: float, phases: int | None) -> SchedulePeriod:
    """A schedule period: a limit, or (2.1 V2X) a negative central setpoint.

    A discharge is ``operationMode`` CentralSetpoint with the setpoint and the discharge
    limit at the planned (negative) value and the limit at 0: the EV neither charges
    nor discharges more than planned.
    """
    if value < 0.0:
        return SchedulePeriod(
            start_period=start,
            limit=0.0,
            setpoint=value,
            discharge_limit=value,
            operation_mode=OperationMode.CENTRAL_SETPOINT,
            number_phases=phases,
        )
    return SchedulePeriod(start_period=start, limit=value, number_phases=phases)


def _profile(  # noqa: PLR0917 - internal
    plan: Plan,
    site: Site,
    station: SiteStation,
    evse_plan: EvsePlan,
    level: int,
    base: int,
    policy: Policy,
) -> ChargingProfile:
    evse = site.evse(evse_plan.station_id, evse_plan.evse_id)
    unit = _unit_for_plan(station, evse.phase_type, evse_plan)
    voltage = station.station.supply_voltage
    entries = []
    for period in evse_plan.periods:
        value, phases = _limit_of(period, unit, voltage, policy, station.version)
        if evse.phase_type is PhaseType.AC and phases is None:
            phases = len(evse.phases)
        entries.append((period.start, value, phases))
    if evse_plan.transaction_id is not None:
        purpose = ProfilePurpose.TX
        transaction: int | str | None = _transaction_id(
            station, evse_plan.transaction_id, evse_plan.evse_id
        )
    else:
        purpose = ProfilePurpose.TX_DEFAULT
        transaction = None
    return ChargingProfile(
        id=_profile_id(base, purpose, evse_plan.evse_id),
        stack_level=level,
        purpose=purpose,
        kind=ProfileKind.ABSOLUTE,
        transaction_id=transaction,
        schedules=(_schedule(plan, unit, entries, station),),
    )


def _station_max(  # noqa: PLR0917 - internal
    plan: Plan,
    site: Site,
    station: SiteStation,
    evse_plans: list[EvsePlan],
    level: int,
    base: int,
    policy: Policy,
) -> ChargingProfile:
    """The station's total plan: in W where supported, else the busiest line's current."""
    units = station.station.rate_units
    unit = ChargingRateUnit.W if ChargingRateUnit.W in units else ChargingRateUnit.A
    if unit not in units:
        raise SiteError(f"stations[{station.id}].station.rate_units", "supports no unit")
    starts = sorted({p.start for e in evse_plans for p in e.periods})
    entries: list[tuple[int, float, int | None]] = []
    for start in starts:
        total_w = 0.0
        lines = [0.0, 0.0, 0.0]
        for evse_plan in evse_plans:
            period = evse_plan.at(start)
            if period.power_w < 0.0:
                # A maximum profile bounds charging only (2.1 Table 95: ChargingOnly).
                continue
            evse = site.evse(evse_plan.station_id, evse_plan.evse_id)
            if unit is ChargingRateUnit.W:
                if period.current_a is not None:
                    total_w += (
                        period.current_a
                        * station.station.supply_voltage
                        * (period.number_phases or len(evse.phases))
                    )
                else:
                    total_w += period.output_power_w
            else:
                conductors = period.number_phases or len(evse.phases)
                if period.current_a is not None:
                    for conductor in evse.grid_phases(conductors):
                        for line in conductor:
                            lines[GRID_PHASES.index(line)] += period.current_a
                else:
                    share = period.output_power_w / (3 * station.station.supply_voltage)
                    for k in range(3):
                        lines[k] += share
        if unit is ChargingRateUnit.W:
            entries.append((start, floor_decimal(total_w, policy.power_step_w), None))
        else:
            step = max(policy.current_step_a, 0.1)
            entries.append((start, floor_decimal(max(lines), step), 3))
    purpose = ProfilePurpose.CHARGING_STATION_MAX
    return ChargingProfile(
        id=_profile_id(base, purpose, 0),
        stack_level=level,
        purpose=purpose,
        kind=ProfileKind.ABSOLUTE,
        schedules=(_schedule(plan, unit, entries, station),),
    )


# --------------------------------------------------------------------------------------
# Diff
# --------------------------------------------------------------------------------------


def _values_from(
    profile: ChargingProfile, start: datetime
) -> list[tuple[int, float | None, int | None]] | None:
    """An Absolute profile's values from ``start`` on, as (offset, limit, phases) steps."""
    if profile.kind is not ProfileKind.ABSOLUTE or not profile.schedules:
        return None
    schedule = profile.schedule
    if schedule.start_schedule is None or schedule.duration is not None:
        return None
    shift = int((start - schedule.start_schedule).total_seconds())
    out: list[tuple[int, float | None, int | None]] = []
    for index, period in enumerate(schedule.periods):
        nxt = (
            schedule.periods[index + 1].start_period if index + 1 < len(schedule.periods) else None
        )
        if nxt is not None and nxt <= shift:
            continue
        value = period.limit
        if period.setpoint is not None and period.setpoint < 0.0:
            value = period.setpoint
        out.append((max(0, period.start_period - shift), value, period.number_phases))
    return out


def _same_as_installed(
    store: ProfileStore, profile: ChargingProfile, evse_id: int, start: datetime, policy: Policy
) -> bool:
    entry = store.get(profile.id)
    if entry is None or entry.evse_id != evse_id:
        return False
    old = entry.profile
    if (
        old.purpose is not profile.purpose
        or old.stack_level != profile.stack_level
        or old.transaction_id != profile.transaction_id
        or old.valid_to is not None
        or old.schedule.charging_rate_unit is not profile.schedule.charging_rate_unit
    ):
        return False
    before = _values_from(old, start)
    after = _values_from(profile, start)
    if before is None or after is None:
        return False
    margin = policy.hysteresis_a
    if profile.schedule.charging_rate_unit is ChargingRateUnit.W:
        margin *= 230.0
    for offset in sorted({o for o, _, _ in before} | {o for o, _, _ in after}):
        a = _step_at(before, offset)
        b = _step_at(after, offset)
        if a[1] is None or b[1] is None or a[2] != b[2]:
            return False
        if (a[1] < 0.0 or b[1] < 0.0) and a[1] != b[1]:
            return False  # a discharge setpoint must be exactly the plan's
        # Equal, or the new limit only a little higher (the station keeps a lower value).
        if not a[1] <= b[1] <= a[1] + margin:
            return False
    return True


def _step_at(
    steps: list[tuple[int, float | None, int | None]], offset: int
) -> tuple[int, float | None, int | None]:
    found = steps[0]
    for step in steps:
        if step[0] > offset:
            break
        found = step
    return found


# --------------------------------------------------------------------------------------
# Messages and the self-check
# --------------------------------------------------------------------------------------


def _message(station: SiteStation, evse_id: int, profile: ChargingProfile) -> Any:
    if station.version is OcppVersion.V20:
        message = _message_v20(evse_id, profile)
    else:
        message = set_charging_profile_to_ocpp(
            ChargingProfileRequest(evse_id=evse_id, profile=profile), station.version
        )
    errors = validate_payload(
        station.version, "SetChargingProfile", "request", encode_payload(message)
    )
    if errors:
        raise SelfCheckError(station.id, evse_id, "schema", str(errors[0]))
    return message


def _message_v20(evse_id: int, profile: ChargingProfile) -> Any:
    """A 2.0 (2018) request built from the v20 generated types (one schedule, no id)."""
    from ocpp_core import v20  # noqa: PLC0415 - loaded only for 2.0 stations

    schedule = profile.schedule
    return v20.SetChargingProfileRequest(
        evse_id=evse_id,
        charging_profile=v20.ChargingProfile(
            id=profile.id,
            stack_level=profile.stack_level,
            charging_profile_purpose=v20.ChargingProfilePurposeEnum(profile.purpose.value),
            charging_profile_kind=v20.ChargingProfileKindEnum(profile.kind.value),
            transaction_id=None if profile.transaction_id is None else str(profile.transaction_id),
            charging_schedule=v20.ChargingSchedule(
                start_schedule=schedule.start_schedule,
                charging_rate_unit=v20.ChargingRateUnitEnum(schedule.charging_rate_unit.value),
                charging_schedule_period=tuple(
                    v20.ChargingSchedulePeriod(
                        start_period=p.start_period,
                        limit=float(p.limit or 0.0),
                        number_phases=p.number_phases,
                    )
                    for p in schedule.periods
                ),
            ),
        ),
    )


def _plan_value(evse_plan: EvsePlan, offset: int, unit: ChargingRateUnit, voltage: float) -> float:
    period = evse_plan.at(offset)
    if period.current_a is not None:
        if unit is ChargingRateUnit.A:
            return period.current_a
        return period.current_a * voltage * (period.number_phases or 3)
    if unit is ChargingRateUnit.W:
        return period.output_power_w
    return period.output_power_w / (voltage * 3)


def _check_composites(  # noqa: PLR0917 - internal
    plan: Plan,
    site: Site,
    station: SiteStation,
    store: ProfileStore,
    evse_plans: Iterable[EvsePlan],
    transactions: tuple[Transaction, ...],
    own_ids: set[int],
    policy: Policy,
) -> None:
    """The station's composite must stay at or below the plan (equal where ours binds).

    Where the plan discharges (2.1), the composite must not charge (limit at most 0),
    must be in CentralSetpoint with a setpoint no further below 0 than the plan and at
    most one rounding step short of it, and equal to the setpoint sent where our
    profile binds. Where the plan does not discharge, the composite has no negative
    setpoint.
    """
    for evse_plan in evse_plans:
        evse = site.evse(evse_plan.station_id, evse_plan.evse_id)
        unit = _unit_for_plan(station, evse.phase_type, evse_plan)
        result = composite_schedule(
            store,
            station.station,
            evse_plan.evse_id,
            plan.start,
            plan.horizon_s,
            unit,
            transactions,
        )
        if result.status is not CompositeStatus.ACCEPTED or result.schedule is None:
            raise SelfCheckError(
                station.id,
                evse_plan.evse_id,
                "composite-rejected",
                result.additional_info or result.reason_code or "composite rejected",
            )
        voltage = station.station.supply_voltage
        periods = result.schedule.periods
        explanations = result.schedule.explanation
        starts = sorted({p.start_period for p in periods} | {p.start for p in evse_plan.periods})
        for offset in starts:
            if offset >= plan.horizon_s:
                continue
            index = max(j for j, p in enumerate(periods) if p.start_period <= offset)
            got = periods[index].limit
            want = _plan_value(evse_plan, offset, unit, voltage)
            if want < 0.0 or (periods[index].setpoint or 0.0) < 0.0:
                mine = _own_value(store, own_ids, evse_plan.evse_id, plan.start, offset)
                _check_discharge(
                    station, evse_plan.evse_id, periods[index], want, mine, offset, unit, policy
                )
                want = max(want, 0.0)
            if got > want + 1e-6:
                raise SelfCheckError(
                    station.id,
                    evse_plan.evse_id,
                    "composite-above-plan",
                    f"at +{timedelta(seconds=offset)} the station allows {got:g} {unit.value}, "
                    f"the plan {want:g}",
                )
            ours = explanations[index]
            binding = ours.binding
            if ours.kind is not ExplanationKind.PROFILE or binding is None or ours.converted:
                continue
            entry = store.get(binding.profile_id)
            if entry is None or binding.profile_id not in own_ids:
                continue
            steps = _values_from(entry.profile, plan.start)
            sent = None if steps is None else _step_at(steps, offset)[1]
            if sent is not None and sent < 0.0:
                got = periods[index].setpoint or 0.0
            if sent is not None and abs(got - sent) > 1e-6:
                raise SelfCheckError(
                    station.id,
                    evse_plan.evse_id,
                    "composite-differs-from-profile",
                    f"at +{timedelta(seconds=offset)} the station allows {got:g} {unit.value}, "
                    f"the profile says {sent:g}",
                )


def _own_value(
    store: ProfileStore, own_ids: set[int], evse_id: int, start: datetime, offset: int
) -> float | None:
    """The value our own Tx/TxDefault profile for ``evse_id`` sends at ``offset``."""
    for profile_id in sorted(own_ids):
        entry = store.get(profile_id)
        if (
            entry is None
            or entry.evse_id != evse_id
            or entry.profile.purpose is ProfilePurpose.CHARGING_STATION_MAX
        ):
            continue
        steps = _values_from(entry.profile, start)
        if steps:
            return _step_at(steps, offset)[1]
    return None


def _check_discharge(  # noqa: PLR0917 - internal
    station: SiteStation,
    evse_id: int,
    period: Any,
    want: float,
    mine: float | None,
    offset: int,
    unit: ChargingRateUnit,
    policy: Policy,
) -> None:
    """The composite's setpoint where the plan discharges (or the composite does).

    Never more discharge than planned; less by at most one rounding step, unless our
    profile itself says less (periods merged to fit PeriodsPerSchedule) and the
    station follows it exactly.
    """
    at = f"at +{timedelta(seconds=offset)}"
    setpoint = period.setpoint
    if want >= 0.0:
        raise SelfCheckError(
            station.id,
            evse_id,
            "composite-discharges",
            f"{at} the station would discharge at {setpoint:g} {unit.value}, the plan does not",
        )
    if setpoint is None or period.operation_mode is not OperationMode.CENTRAL_SETPOINT:
        if mine is not None and mine >= 0.0 and (setpoint is None or setpoint >= 0.0):
            return  # merged away by our own profile: no discharge (the limit is checked)
        raise SelfCheckError(
            station.id,
            evse_id,
            "composite-no-setpoint",
            f"{at} the plan discharges {want:g} {unit.value}, the station has no central setpoint",
        )
    step = policy.power_step_w if unit is ChargingRateUnit.W else policy.current_step_a
    merged = mine is not None and want - 1e-6 <= mine <= 0.0 and abs(setpoint - mine) <= 1e-6
    if setpoint < want - 1e-6 or (setpoint > want + step + 1e-6 and not merged):
        raise SelfCheckError(
            station.id,
            evse_id,
            "composite-setpoint-differs",
            f"{at} the station discharges at {setpoint:g} {unit.value}, the plan {want:g}",
        )
