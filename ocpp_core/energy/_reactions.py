"""CSMS reactions to smart-charging messages: decide the answer and the requests.

Theory of operation
-------------------
A reaction is a pure function ``(state, station_id, received message, now) ->
Reaction``. It reads the message of any OCPP version (the generated class tells
the version), updates the :class:`~ocpp_core.energy.SiteState` (sessions,
external limits, what each station holds), re-shares the site's capacity with
:func:`~ocpp_core.energy.allocate` when something that matters changed, and
returns:

* the typed response to send back (``None`` when the message was itself a
  response, e.g. a SetChargingProfile answer);
* the requests to send, each for one station in that station's version;
* the new state;
* an explanation: one line per decision, in plain words.

Bad input from a station (an EVSE that does not exist, a departure in the
past, an energy of 0, a maximum below the minimum, a transaction nobody knows)
never raises: the reaction answers validly and says in the explanation what it
ignored and why. Only misuse by the caller (a message that is not a generated
OCPP request, a naive ``now``) raises :class:`~ocpp_core.errors.ReactionError`.

Every profile the CSMS sends goes through the station engine first: it must
pass :func:`~ocpp_core.smart_charging.validate_profile` against what the
station holds, and the composite schedule after installing it must stay at or
below the share decided; anything else is a bug and raises
:class:`~ocpp_core.errors.SelfCheckError` rather than sending a wrong request.

The shape of the profiles: one Absolute schedule starting at ``now`` with one
period (the share now) and no duration, so it holds until the CSMS replaces it
(the CSMS replans on every arrival, departure, limit and measurement that
matters). TxProfile with the transaction id when a transaction exists,
TxDefaultProfile on the EVSE otherwise; A per phase with numberPhases for AC
stations that take A, W otherwise; limits rounded down (0.1 A, 1 W).
Profile ids are deterministic per EVSE and purpose, so every new profile
replaces the previous one, and a profile equal to the installed one is not
sent again.
"""

from __future__ import annotations

import enum
import importlib
import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from ocpp_core.energy._allocate import allocate
from ocpp_core.energy._model import (
    ExternalLimit,
    Limit,
    LimitSchedule,
    LimitScope,
    PhaseType,
    Session,
    SiteEvse,
    SiteStation,
)
from ocpp_core.energy._results import Allocation, EvseAllocation
from ocpp_core.energy._state import (
    ControlMode,
    MobilityNeedsMode,
    PendingProfile,
    SiteState,
    Track,
)
from ocpp_core.energy._v2x import choose_v2x, without_mode
from ocpp_core.errors import ReactionError, SelfCheckError
from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingProfileRequest,
    ChargingRateUnit,
    ChargingSchedule,
    LimitAtSoC,
    OperationMode,
    ProfileKind,
    ProfilePurpose,
    ProfileStore,
    SchedulePeriod,
    SmartChargingFeature,
    composite_schedule,
    set_charging_profile_to_ocpp,
    validate_profile,
)
from ocpp_core.versions import OcppVersion

__all__ = [
    "Outgoing",
    "Reaction",
    "on_cleared_charging_limit",
    "on_ev_charging_needs",
    "on_ev_charging_schedule",
    "on_meter_values",
    "on_notify_charging_limit",
    "on_notify_priority_charging",
    "on_pull_dynamic_schedule_update",
    "on_set_charging_profile_response",
    "on_start_transaction",
    "on_stop_transaction",
    "on_transaction_event",
    "replan",
    "request_priority_charging",
]

_SELF_CHECK_S = 3600
_PHASES = ("L1", "L2", "L3")
_PRIORITY_WEIGHT = 1e6
_OFFERS_IN_PROFILE = frozenset({OcppVersion.V201, OcppVersion.V21})


@attrs.frozen(kw_only=True)
class Outgoing:
    """A request the CSMS should send to one station."""

    station_id: str
    """The station."""
    action: str
    """The OCPP action, e.g. ``SetChargingProfile``."""
    request: Any
    """The generated request of the station's version."""


def _explanation(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _requests(value: Iterable[Outgoing]) -> tuple[Outgoing, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Reaction:
    """What a reaction decided."""

    response: Any
    """The typed response to the received request (``None`` when it was a response)."""
    requests: tuple[Outgoing, ...] = attrs.field(converter=_requests)
    """The requests to send, in order."""
    state: SiteState
    """The state after the message."""
    explanation: tuple[str, ...] = attrs.field(converter=_explanation)
    """What was decided and why, one line each."""


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _version_of(message: object, expected: Sequence[str]) -> OcppVersion:
    cls = type(message)
    meta = getattr(cls, "ocpp_meta", None)
    version = getattr(meta, "version", None)
    if not isinstance(version, OcppVersion) or cls.__name__ not in expected:
        names = " or ".join(expected)
        raise ReactionError("request", f"expected a generated {names}, got {cls.__name__}")
    return version


def _mod(version: OcppVersion) -> Any:
    return importlib.import_module(version.package)


def _check_now(now: object) -> datetime:
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise ReactionError("now", "expected an aware datetime")
    return now.replace(microsecond=0)


def _value(member: object) -> object:
    return member.value if isinstance(member, enum.Enum) else member


def _station(state: SiteState, station_id: str) -> SiteStation | None:
    for station in state.site.stations:
        if station.id == station_id:
            return station
    return None


def _site_evse(state: SiteState, station_id: str, evse_id: int | None) -> SiteEvse | None:
    for evse in state.site.evses:
        if evse.station_id == station_id and evse.evse_id == evse_id:
            return evse
    return None


def _floor(value: float, step: float) -> float:
    if value <= 0:
        return 0.0
    steps = math.floor(value / step + 1e-9)
    return round(steps * step, 6)


def _status_info(version: OcppVersion, reason: str, info: str | None = None) -> Any:
    if version in {OcppVersion.V16, OcppVersion.V20}:
        return None
    return _mod(version).StatusInfo(
        reason_code=reason, additional_info=info[:512] if info else None
    )


# --------------------------------------------------------------------------------------
# From a share to a profile
# --------------------------------------------------------------------------------------


def _unit_for(
    station: SiteStation, evse: SiteEvse, prefer: ChargingRateUnit | None
) -> ChargingRateUnit:
    units = station.station.rate_units
    if prefer is not None and prefer in units:
        return prefer
    natural = ChargingRateUnit.A if evse.phase_type is PhaseType.AC else ChargingRateUnit.W
    if not units or natural in units:
        return natural
    return units[0]


def _share_limit(
    state: SiteState, evse: SiteEvse, share: EvseAllocation, unit: ChargingRateUnit
) -> tuple[float, int | None]:
    """The share as a limit in ``unit`` (rounded down) and its numberPhases."""
    voltage = state.site.evse_voltage(evse)
    if evse.phase_type is PhaseType.AC:
        phases = share.number_phases or len(evse.phases)
        current = share.current_a or 0.0
        if unit is ChargingRateUnit.A:
            return _floor(current, 0.1), phases
        return _floor(current * phases * voltage, 1.0), phases
    if unit is ChargingRateUnit.W:
        return _floor(share.output_power_w, 1.0), None
    return _floor(share.output_power_w / voltage, 0.1), None


_PURPOSE_CODE = {
    ProfilePurpose.TX: 1,
    ProfilePurpose.TX_DEFAULT: 2,
    ProfilePurpose.CHARGING_STATION_MAX: 3,
    ProfilePurpose.PRIORITY_CHARGING: 4,
}


def _profile_id(state: SiteState, purpose: ProfilePurpose, evse_id: int) -> int:
    """``base + 1000 x purpose + EVSE``: the scheme of :func:`~ocpp_core.energy.to_requests`."""
    return state.settings.profile_id_base + 1000 * _PURPOSE_CODE.get(purpose, 3) + evse_id


def _stack_level(state: SiteState, station: SiteStation) -> int:
    level = state.settings.stack_level
    top = station.station.max_stack_level
    return level if top is None else min(level, top)


def _schedule(
    unit: ChargingRateUnit,
    limit: float,
    phases: int | None,
    now: datetime,
    *,
    schedule_id: int | None,
    min_rate: float | None = None,
) -> ChargingSchedule:
    return ChargingSchedule(
        id=schedule_id,
        charging_rate_unit=unit,
        start_schedule=now,
        min_charging_rate=min_rate,
        periods=(SchedulePeriod(start_period=0, limit=limit, number_phases=phases),),
    )


def _equal_profiles(a: ChargingProfile, b: ChargingProfile) -> bool:
    def neutral(p: ChargingProfile) -> ChargingProfile:
        return attrs.evolve(
            p,
            schedules=tuple(attrs.evolve(s, start_schedule=None) for s in p.schedules),
            dyn_update_time=None,
        )

    return neutral(a) == neutral(b)


def _to_ocpp(version: OcppVersion, evse_id: int, profile: ChargingProfile) -> Any:
    return set_charging_profile_to_ocpp(
        ChargingProfileRequest(evse_id=evse_id, profile=profile), version
    )


def _self_check(  # noqa: PLR0917 - internal, called positionally
    state: SiteState,
    station: SiteStation,
    evse_id: int,
    profile: ChargingProfile,
    now: datetime,
    ceiling: float | None,
) -> ProfileStore:
    """Install ``profile`` in a copy of the station's store; check it and its composite."""
    store = state.store(station.id)
    txs = state.transactions(station.id)
    result = validate_profile(profile, evse_id, store, station.station, now=now, transactions=txs)
    if not result.accepted:
        rule = result.rule.value if result.rule is not None else "rejected"
        raise SelfCheckError(station.id, evse_id, rule, result.describe())
    new_store = store.put(result.profile, evse_id, installed_at=now)
    if ceiling is not None and evse_id > 0:
        unit = profile.schedules[0].charging_rate_unit
        composite = composite_schedule(
            new_store, station.station, evse_id, now, _SELF_CHECK_S, unit, txs
        )
        if composite.schedule is not None:
            for period in composite.schedule.periods:
                if period.limit > ceiling + 1e-6:
                    raise SelfCheckError(
                        station.id,
                        evse_id,
                        "composite-above-plan",
                        f"composite {period.limit:g} {unit.value} above the share {ceiling:g}",
                    )
    return new_store


def _send_profile(  # noqa: PLR0917 - internal, called positionally
    state: SiteState,
    station: SiteStation,
    evse_id: int,
    profile: ChargingProfile,
    now: datetime,
    ceiling: float | None,
    notes: list[str],
    *,
    attempt: int = 0,
    tried: tuple[str, ...] = (),
    force: bool = False,
) -> tuple[SiteState, Outgoing | None]:
    """Self-check ``profile``, record it as pending and installed, and wrap it as a request."""
    store = state.store(station.id)
    previous = store.get(profile.id)
    if (
        attempt == 0
        and not force
        and previous is not None
        and previous.evse_id == evse_id
        and _equal_profiles(previous.profile, profile)
    ):
        notes.append(f"{station.id}#{evse_id}: profile {profile.id} unchanged, not sent again")
        return state, None
    try:
        request = _to_ocpp(station.version, evse_id, profile)
    except ValueError as exc:
        notes.append(f"{station.id}#{evse_id}: no request: {exc}")
        return state, None
    new_store = _self_check(state, station, evse_id, profile, now, ceiling)
    pending = PendingProfile(
        station_id=station.id,
        evse_id=evse_id,
        profile=profile,
        previous=previous,
        attempt=attempt,
        tried=tried,
    )
    kept = tuple(
        p for p in state.pending if not (p.station_id == station.id and p.profile.id == profile.id)
    )
    state = attrs.evolve(state.with_store(station.id, new_store), pending=(*kept, pending))
    return state, Outgoing(station_id=station.id, action="SetChargingProfile", request=request)


# --------------------------------------------------------------------------------------
# Replanning
# --------------------------------------------------------------------------------------


def _offers(  # noqa: PLR0917 - internal, called positionally
    state: SiteState,
    track: Track,
    evse: SiteEvse,
    share: EvseAllocation,
    unit: ChargingRateUnit,
    now: datetime,
    base: ChargingSchedule | None = None,
) -> tuple[ChargingSchedule, ...]:
    """The ISO 15118 schedules offered to ``track``: each at or below the share.

    1. the share itself (the most the site can give now), or the planned
       schedule ``base`` in plan mode;
    2. just enough to deliver the energy still wanted by the departure (when both
       are known and that is below the share), so the EV may pick a gentler plan;
    3. the EV's minimum (the least the site could give while it charges).

    Offers 2 and 3 are capped by offer 1 at every instant.
    """
    limit, phases = _share_limit(state, evse, share, unit)
    if base is not None:
        unit = base.charging_rate_unit
        limit = max((p.limit or 0.0) for p in base.periods)
        phases = base.periods[0].number_phases
    session = track.planned_session(state.settings.max_soc)
    voltage = state.site.evse_voltage(evse)
    per_unit = (phases or 1) * voltage if unit is ChargingRateUnit.A else 1.0
    if evse.phase_type is PhaseType.DC and unit is ChargingRateUnit.A:
        per_unit = voltage
    min_rate = session.min_current_a if unit is ChargingRateUnit.A else session.min_power_w
    if unit is ChargingRateUnit.W and evse.phase_type is PhaseType.AC and session.min_current_a:
        # An AC EV's minimum is a current: in W over the phases it draws on.
        conductors = phases or session.ev_phases or len(evse.phases)
        min_rate = session.min_current_a * conductors * voltage
    candidates = [limit]
    remaining = session.energy_remaining_wh
    if remaining and session.departure is not None and session.departure > now:
        hours = (session.departure - now).total_seconds() / 3600
        efficiency = evse.efficiency if evse.phase_type is PhaseType.AC else 1.0
        enough = remaining / hours / efficiency / per_unit
        step = 0.1 if unit is ChargingRateUnit.A else 1.0
        enough = math.ceil(enough / step - 1e-9) * step
        if min_rate is not None:
            enough = max(enough, min_rate)
        candidates.append(round(enough, 6))
    if min_rate:
        candidates.append(min_rate)
    seen: list[float] = []
    for candidate in candidates:
        value = min(candidate, limit)
        if value not in seen:
            seen.append(value)
    seen = seen[: max(1, min(track.max_schedule_tuples, state.settings.max_schedule_tuples))]
    if base is None:
        return tuple(
            _schedule(unit, value, phases, now, schedule_id=index + 1, min_rate=None)
            for index, value in enumerate(seen)
        )
    offers = [attrs.evolve(base, id=1)]
    for value in seen[1:]:
        periods = _merge_equal(
            tuple(attrs.evolve(p, limit=min(p.limit or 0.0, value)) for p in base.periods)
        )
        offers.append(attrs.evolve(base, id=len(offers) + 1, periods=periods))
    return tuple(offers)


def _merge_equal(periods: tuple[SchedulePeriod, ...]) -> tuple[SchedulePeriod, ...]:
    out: list[SchedulePeriod] = []
    for period in periods:
        if out and attrs.evolve(out[-1], start_period=period.start_period) == period:
            continue
        out.append(period)
    return tuple(out)


def _with_limit_at_soc(
    state: SiteState,
    station: SiteStation,
    track: Track,
    profile: ChargingProfile,
    notes: list[str],
) -> ChargingProfile:
    """Put the session's maximum SoC on a 2.1 TxProfile's schedules as ``limitAtSoC``."""
    if station.version is not OcppVersion.V21 or profile.purpose is not ProfilePurpose.TX:
        return profile
    top = track.max_soc(state.settings.max_soc)
    if top is None:
        return profile
    where = f"{station.id}#{track.key[1]}"
    if SmartChargingFeature.LIMIT_AT_SOC not in station.station.features:
        notes.append(
            f"{where}: maximum SoC {top:g} % not sent as limitAtSoC (the station does not "
            "support LimitAtSoC); the plan caps the energy where SoC and capacity are known"
        )
        return profile
    cap = LimitAtSoC(soc=math.floor(top), limit=0.0)
    notes.append(f"{where}: limitAtSoC: no charging beyond {cap.soc} % SoC")
    return attrs.evolve(
        profile, schedules=tuple(attrs.evolve(s, limit_at_soc=cap) for s in profile.schedules)
    )


def _profile_for(  # noqa: PLR0917 - internal, called positionally
    state: SiteState,
    station: SiteStation,
    evse: SiteEvse,
    track: Track,
    share: EvseAllocation,
    now: datetime,
    notes: list[str],
    planned: ChargingProfile | None = None,
) -> tuple[ChargingProfile, float]:
    """The profile that gives ``track`` its share, and the share in the profile's unit.

    With ``planned`` (plan mode: the profile :func:`~ocpp_core.energy.to_requests`
    made from the plan), that profile, or for an ISO 15118 session offers capped by it.
    A 2.1 TxProfile carries the session's maximum SoC as ``limitAtSoC`` where allowed.
    """
    profile, limit = _profile_for_share(state, station, evse, track, share, now, notes, planned)
    return _with_limit_at_soc(state, station, track, profile, notes), limit


def _profile_for_share(  # noqa: PLR0917 - internal, called positionally
    state: SiteState,
    station: SiteStation,
    evse: SiteEvse,
    track: Track,
    share: EvseAllocation,
    now: datetime,
    notes: list[str],
    planned: ChargingProfile | None = None,
) -> tuple[ChargingProfile, float]:
    if planned is not None:
        base = planned.schedules[0]
        first = base.periods[0].limit or 0.0
        if track.bidirectional and station.version is OcppVersion.V21:
            # V2G plan: the plan's own schedule (CentralSetpoint discharges), no other offers.
            return planned, first
        if track.iso15118 and station.version in _OFFERS_IN_PROFILE:
            offers = _offers(state, track, evse, share, base.charging_rate_unit, now, base)
            return attrs.evolve(planned, schedules=offers), first
        return planned, first
    version = station.version
    tid = track.transaction_id
    purpose = ProfilePurpose.TX if tid is not None else ProfilePurpose.TX_DEFAULT
    unit = _unit_for(station, evse, None)
    limit, phases = _share_limit(state, evse, share, unit)
    schedules: tuple[ChargingSchedule, ...]
    kind = ProfileKind.ABSOLUTE
    extra: dict[str, Any] = {}
    if track.iso15118 and purpose is ProfilePurpose.TX and version in _OFFERS_IN_PROFILE:
        schedules = _offers(state, track, evse, share, unit, now)
        if track.bidirectional and version is OcppVersion.V21:
            discharge = _discharge_w(state, evse, track)
            share_w, _ = _share_limit(state, evse, share, ChargingRateUnit.W)
            choice = choose_v2x(state, station, evse, track, share_w=share_w, discharge_w=discharge)
            where = f"{station.id}#{evse.evse_id}"
            notes.extend(f"{where}: V2X {line}" for line in choice.reasons)
            if choice.period is not None:
                unit = ChargingRateUnit.W
                limit = share_w
                schedules = (
                    ChargingSchedule(
                        id=1, charging_rate_unit=unit, start_schedule=now, periods=(choice.period,)
                    ),
                )
        if track.control_mode is ControlMode.DYNAMIC and version is OcppVersion.V21:
            if SmartChargingFeature.DYNAMIC_PROFILES in station.station.features:
                kind = ProfileKind.DYNAMIC
                schedules = (attrs.evolve(schedules[0], start_schedule=None),)
                extra = {
                    "dyn_update_interval": state.settings.dyn_update_interval_s,
                    "dyn_update_time": now,
                }
            else:
                notes.append(
                    f"{station.id}#{evse.evse_id}: EV asked for dynamic control but the "
                    "station does not support DynamicProfiles: scheduled offers instead"
                )
    else:
        schedules = (
            _schedule(
                unit,
                limit,
                phases,
                now,
                schedule_id=None if version is OcppVersion.V16 else 1,
            ),
        )
    profile = ChargingProfile(
        id=_profile_id(state, purpose, evse.evse_id),
        stack_level=_stack_level(state, station),
        purpose=purpose,
        kind=kind,
        schedules=schedules,
        transaction_id=tid,
        **extra,
    )
    return profile, limit


def _discharge_w(state: SiteState, evse: SiteEvse, track: Track) -> float:
    values = [evse.discharge_max_power_w]
    if track.session.discharge_max_power_w is not None:
        values.append(track.session.discharge_max_power_w)
    else:
        values.append(0.0)
    for circuit in state.site.path(evse.circuit):
        if circuit.export_limit_w is not None:
            values.append(circuit.export_limit_w)
    return _floor(min(values), 1.0)


def _dynamic_update(
    state: SiteState, station: SiteStation, evse_id: int, profile: ChargingProfile
) -> Outgoing | None:
    """An UpdateDynamicSchedule when a Dynamic profile is installed and its value changed."""
    installed = state.store(station.id).get(profile.id)
    if installed is None or installed.profile.kind is not ProfileKind.DYNAMIC:
        return None
    if profile.kind is not ProfileKind.DYNAMIC or installed.evse_id != evse_id:
        return None
    if _equal_profiles(installed.profile, profile):
        return None
    period = profile.schedules[0].periods[0]
    held = installed.profile.schedules[0]
    if (
        attrs.evolve(held.periods[0], limit=None, setpoint=None, discharge_limit=None)
        != attrs.evolve(period, limit=None, setpoint=None, discharge_limit=None)
        or held.limit_at_soc != profile.schedules[0].limit_at_soc
        or held.charging_rate_unit is not profile.schedules[0].charging_rate_unit
    ):
        # An update carries only limit, setpoint and discharge limit: a new mode,
        # curve or unit needs a new profile.
        return None
    mod = _mod(OcppVersion.V21)
    update = mod.ChargingScheduleUpdate(
        limit=period.limit, setpoint=period.setpoint, discharge_limit=period.discharge_limit
    )
    return Outgoing(
        station_id=station.id,
        action="UpdateDynamicSchedule",
        request=mod.UpdateDynamicScheduleRequest(
            charging_profile_id=profile.id, schedule_update=update
        ),
    )


def _first_limit(store: ProfileStore, profile_id: int) -> float | None:
    held = store.get(profile_id)
    if held is None:
        return None
    return held.profile.schedules[0].periods[0].limit


def _plan_mode(
    state: SiteState,
    sessions: Sequence[Session],
    allocation: Allocation,
    now: datetime,
    notes: list[str],
) -> tuple[dict[tuple[str, int], ChargingProfile], dict[tuple[str, int], EvseAllocation]]:
    """Plan mode: profiles from :func:`plan` and :func:`to_requests`, floors for the rest.

    Sessions whose profile cannot follow a plan (2.1 dynamic control and V2X, and
    stations whose version has no profile adapter) get, instead of the share of
    the instant, the least rate planned for them over the horizon: a constant
    that stays under their plan at every instant, so the others' plans hold.

    A bidirectional EV on a 2.1 station follows its plan when the plan discharges
    it and its operation mode (chosen as for a share, see ``choose_v2x``) is
    ``CentralSetpoint``: it gets the plan's own profile, whose discharges are
    CentralSetpoint periods. Any other mode (the CSMS's V2X setting, an EMS, what
    the station supports) keeps the floor, and a plan without discharge too.
    """
    from ocpp_core.energy._plan import plan  # noqa: PLC0415 - plan mode only
    from ocpp_core.energy._requests import to_requests  # noqa: PLC0415 - plan mode only

    horizon = state.settings.horizon_s
    made = plan(state.site, sessions, now, horizon, state.policy)
    present = {t.key: t for t in state.tracks if t.session.arrival <= now}
    profiles: dict[tuple[str, int], ChargingProfile] = {}
    floors: dict[tuple[str, int], EvseAllocation] = {}
    for station in state.site.stations:
        keys = {
            k
            for k, t in present.items()
            if k[0] == station.id
            and station.version is not OcppVersion.V20
            and not (
                station.version is OcppVersion.V21
                and (t.bidirectional or t.control_mode is ControlMode.DYNAMIC)
            )
        }
        keys |= {
            k
            for k, t in present.items()
            if k[0] == station.id and _follows_v2g_plan(state, station, t, made.evse(*k), notes)
        }
        for key in present:
            if key[0] == station.id and key not in keys:
                floors[key] = _floor_share(
                    made.evse(*key).periods, allocation.get(*key), f"{key[0]}#{key[1]}", notes
                )
        if not keys:
            continue
        sub = attrs.evolve(
            made, evses=tuple(e for e in made.evses if (e.station_id, e.evse_id) in keys)
        )
        made_requests = to_requests(
            sub,
            None,
            state.site,
            policy=state.policy,
            stack_level=_stack_level(state, station),
            id_base=state.settings.profile_id_base,
            now=now,
        )
        for request in made_requests.requests:
            profiles[(station.id, request.evse_id)] = request.profile
        for key in keys - profiles.keys():
            # Not given a profile (e.g. planned at 0 throughout): hold its plan's floor.
            floors[key] = _floor_share(
                made.evse(*key).periods, allocation.get(*key), f"{key[0]}#{key[1]}", notes
            )
    notes.append(f"plan over {horizon} s in {made.slots} slot(s); unmet {made.unmet_wh:g} Wh")
    return profiles, floors


def _follows_v2g_plan(
    state: SiteState, station: SiteStation, track: Track, planned: Any, notes: list[str]
) -> bool:
    """Whether a bidirectional 2.1 EV follows its plan: it discharges, in CentralSetpoint."""
    if (
        station.version is not OcppVersion.V21
        or not track.bidirectional
        or track.control_mode is ControlMode.DYNAMIC
    ):
        return False
    if not any(p.power_w < 0 for p in planned.periods):
        return False
    evse = state.site.evse(*track.key)
    dc = evse.phase_type is PhaseType.DC
    most = max(p.output_power_w if dc else p.power_w for p in planned.periods)
    choice = choose_v2x(
        state,
        station,
        evse,
        track,
        share_w=_floor(most, 1.0),
        discharge_w=_discharge_w(state, evse, track),
        discharging=True,
    )
    where = f"{station.id}#{evse.evse_id}"
    if choice.mode is not OperationMode.CENTRAL_SETPOINT:
        notes.append(
            f"{where}: the plan discharges, but in {choice.mode.value} (not CentralSetpoint) "
            "the CSMS does not send it: the plan's floor instead"
        )
        return False
    notes.extend(f"{where}: V2X {line}" for line in choice.reasons)
    notes.append(
        f"{where}: follows the plan: its discharges are CentralSetpoint periods "
        "(negative setpoint and dischargeLimit, limit 0)"
    )
    return True


def _floor_share(
    periods: Sequence[Any], share: EvseAllocation, where: str, notes: list[str]
) -> EvseAllocation:
    """The least rate planned over the horizon, capped by the share, never below 0.

    A floor share is a charging rate: where the plan discharges (negative power),
    the floor is 0 and the explanation says that the discharge is not sent.
    """
    low = min(periods, key=lambda p: p.power_w)
    if low.power_w < 0:
        notes.append(
            f"{where}: the plan discharges up to {-low.power_w:g} W, which this profile does "
            "not follow: floor 0 W (a floor is a charging rate)"
        )
    return attrs.evolve(
        share,
        current_a=None
        if share.current_a is None
        else max(0.0, min(share.current_a, low.current_a or 0.0)),
        power_w=max(0.0, min(share.power_w, low.power_w)),
        output_power_w=max(0.0, min(share.output_power_w, low.output_power_w)),
    )


def _replan(
    state: SiteState,
    now: datetime,
    notes: list[str],
    force: frozenset[tuple[str, int]] = frozenset(),
) -> tuple[SiteState, list[Outgoing]]:
    planned_sessions = state.sessions
    sessions = [
        attrs.evolve(s, weight=_PRIORITY_WEIGHT, priority=s.priority + 1)
        if t.priority_charging
        else s
        for t, s in zip(state.tracks, planned_sessions, strict=True)
    ]
    allocation: Allocation = allocate(state.site, sessions, now, state.policy)
    planned: dict[tuple[str, int], ChargingProfile] = {}
    floors: dict[tuple[str, int], EvseAllocation] = {}
    if state.settings.horizon_s is not None:
        planned, floors = _plan_mode(state, sessions, allocation, now, notes)
    out: list[Outgoing] = []
    # Requests that lower a limit go first, so that no instant sees the new raises
    # beside the old, higher limits.
    lower: list[Outgoing] = []
    higher: list[Outgoing] = []
    for track in sorted(state.tracks, key=lambda t: t.key):
        station_id, evse_id = track.key
        if track.session.arrival > now:
            continue
        station = state.site.station(station_id)
        evse = state.site.evse(station_id, evse_id)
        share = allocation.get(station_id, evse_id)
        if station.version is OcppVersion.V20 and track.iso15118:
            notes.append(
                f"{station_id}#{evse_id}: ISO 15118 on OCPP 2.0: schedules go in "
                "NotifyCentralChargingNeeds"
            )
        if track.key in planned:
            profile, limit = _profile_for(
                state, station, evse, track, share, now, notes, planned[track.key]
            )
            periods = len(profile.schedules[0].periods)
            first = profile.schedules[0].periods[0]
            unit = profile.schedules[0].charging_rate_unit
            now_text = (
                f"a discharge of {-first.setpoint:g} {unit}"
                if first.setpoint is not None and first.setpoint < 0
                else f"{limit:g} {unit}"
            )
            notes.append(f"{station_id}#{evse_id}: planned {now_text} now, {periods} period(s)")
        else:
            if track.key in floors:
                share = floors[track.key]
            profile, limit = _profile_for(state, station, evse, track, share, now, notes)
            what = (
                "paused" if share.paused else f"{limit:g} {profile.schedules[0].charging_rate_unit}"
            )
            notes.append(f"{station_id}#{evse_id}: share {what} ({share.binding.describe()})")
        update = _dynamic_update(state, station, evse_id, profile)
        if update is not None:
            store = state.store(station_id).put(profile, evse_id, installed_at=now)
            state = state.with_store(station_id, store)
            out.append(update)
            notes.append(f"{station_id}#{evse_id}: dynamic profile {profile.id} updated")
            continue
        before = _first_limit(state.store(station_id), profile.id)
        state, request = _send_profile(
            state,
            station,
            evse_id,
            profile,
            now,
            None
            if profile.schedules[0].periods[0].operation_mode or track.key in planned
            else limit,
            notes,
            force=track.key in force,
        )
        if request is not None:
            (lower if before is None or limit < before else higher).append(request)
        if track.iso15118:
            offered = tuple(profile.schedules)
            state = state.with_track(attrs.evolve(track, offered=offered))
    return state, [*out, *lower, *higher]


def replan(state: SiteState, now: datetime) -> Reaction:
    """Re-share the site's capacity at ``now`` and make the requests that apply it.

    Call it on a timer (measurements age, limit schedules move) or after
    changing the site yourself; the reactions call it when they need to.

    Args:
        state: the current state.
        now: the current time (an aware datetime).

    Returns:
        No response, the SetChargingProfile (or 2.1 UpdateDynamicSchedule)
        requests for every EVSE whose profile changed, the new state, and each
        EVSE's share with what bound it.

    Raises:
        ReactionError: ``now`` is not an aware datetime.
        SelfCheckError: a request failed its own check (a bug, never a silent request).
    """
    now = _check_now(now)
    notes: list[str] = []
    state, out = _replan(state, now, notes)
    if not notes:
        notes.append("no session: nothing to share")
    return Reaction(response=None, requests=out, state=state, explanation=notes)


# --------------------------------------------------------------------------------------
# Transactions
# --------------------------------------------------------------------------------------


def _energy_wh(value: float, unit: object) -> float:
    text = str(_value(unit)) if unit is not None else "Wh"
    return value * 1000.0 if text == "kWh" else value


def _read_meter(
    values: Iterable[Any], version: OcppVersion
) -> tuple[float | None, tuple[float, float, float] | None, float | None, datetime | None]:
    """Energy register (Wh), current per phase (A), SoC (%) and the time of the latest sample."""
    energy: float | None = None
    currents: dict[str, float] = {}
    total_current: float | None = None
    soc: float | None = None
    moment: datetime | None = None
    for meter_value in values:
        moment = meter_value.timestamp if moment is None else max(moment, meter_value.timestamp)
        for sample in meter_value.sampled_value:
            measurand = str(_value(sample.measurand)) if sample.measurand else None
            try:
                number = float(sample.value)
            except (TypeError, ValueError):
                continue
            if not math.isfinite(number):
                continue
            if measurand in {None, "Energy.Active.Import.Register"}:
                if version is OcppVersion.V16:
                    unit = sample.unit
                else:
                    unit = sample.unit_of_measure.unit if sample.unit_of_measure else None
                    multiplier = (
                        sample.unit_of_measure.multiplier if sample.unit_of_measure else None
                    )
                    if multiplier:
                        number *= 10.0**multiplier
                energy = _energy_wh(number, unit)
            elif measurand == "Current.Import":
                phase = str(_value(sample.phase)) if sample.phase else None
                if phase in _PHASES:
                    currents[phase] = max(0.0, number)
                elif phase is None:
                    total_current = max(0.0, number)
            elif measurand == "SoC" and 0 <= number <= 100:
                soc = number
    measured: tuple[float, float, float] | None = None
    if currents:
        measured = (currents.get("L1", 0.0), currents.get("L2", 0.0), currents.get("L3", 0.0))
    elif total_current is not None:
        measured = (total_current, total_current, total_current)
    return energy, measured, soc, moment


def _apply_meter(
    track: Track,
    values: Iterable[Any],
    version: OcppVersion,
    notes: list[str],
    conductors: int = 3,
) -> Track:
    energy, measured, soc, moment = _read_meter(values, version)
    session = track.session
    changes: dict[str, Any] = {}
    start = track.meter_start_wh
    if energy is not None:
        if start is None:
            start = energy
        changes["energy_delivered_wh"] = max(0.0, energy - start)
    if measured is not None and moment is not None:
        changes["measured_current_a"] = measured
        changes["measured_at"] = moment
        used = sum(1 for c in measured if c > 1.0)
        if version is OcppVersion.V16 and used and any(c <= 1.0 for c in measured):
            changes["ev_phases"] = min(used, conductors)
    if soc is not None:
        changes["soc"] = soc
    if not changes:
        return track
    try:
        session = attrs.evolve(session, **changes)
    except ValueError as exc:
        notes.append(f"meter values ignored: {exc}")
        return track
    notes.append(
        f"{session.station_id}#{session.evse_id}: measured "
        + ", ".join(f"{k}={v}" for k, v in sorted(changes.items()) if k != "measured_at")
    )
    basis = session.energy_delivered_wh if soc is not None else track.soc_basis_wh
    return attrs.evolve(track, session=session, meter_start_wh=start, soc_basis_wh=basis)


def _evse_key(state: SiteState, station_id: str, evse_id: int | None) -> tuple[str, int] | None:
    return None if _site_evse(state, station_id, evse_id) is None else (station_id, evse_id or 0)


def _transaction_event_response(version: OcppVersion) -> Any:
    return _mod(version).TransactionEventResponse()


def on_transaction_event(
    state: SiteState, station_id: str, request: Any, now: datetime | None = None
) -> Reaction:
    """React to a TransactionEvent of OCPP 2.0, 2.0.1 or 2.1.

    The transaction id comes from ``transactionData.id`` (2.0) or
    ``transactionInfo.transactionId`` (2.0.1, 2.1). ``Started`` (or the first
    event of a transaction the CSMS did not know, when it names its EVSE) opens a
    session; every event updates the phases used (``numberOfPhasesUsed``), the
    measured current, the energy delivered and the SoC from its meter values;
    ``Ended`` closes the session and forgets its TxProfiles. The site is
    re-shared when a session opens or closes, or when the phases used change.

    The response is an empty TransactionEventResponse: authorization
    (``idTokenInfo``) is the CSMS's own business; add it with :func:`attrs.evolve`.

    Args:
        state: the current state.
        station_id: the station that sent it.
        request: the generated TransactionEventRequest.
        now: the current time (default: the event's timestamp).

    Raises:
        ReactionError: ``request`` is not a TransactionEventRequest of a 2.x version.
    """
    version = _version_of(request, ("TransactionEventRequest",))
    if version is OcppVersion.V16:
        raise ReactionError("request", "OCPP 1.6 has no TransactionEvent")
    moment = _check_now(request.timestamp if now is None else now)
    notes: list[str] = []
    response = _transaction_event_response(version)
    if version is OcppVersion.V20:
        tid = request.transaction_data.id
    else:
        tid = request.transaction_info.transaction_id
    event = str(_value(request.event_type))
    known = state.track_of(station_id, tid)
    if _station(state, station_id) is None:
        notes.append(f"unknown station {station_id!r}: transaction {tid} not followed")
        return Reaction(response=response, requests=(), state=state, explanation=notes)
    replan_needed = False
    if known is None:
        evse_id = request.evse.id if request.evse is not None else None
        if event == "Ended":
            notes.append(f"{station_id}: transaction {tid} ended but was not known; nothing to do")
            return Reaction(response=response, requests=(), state=state, explanation=notes)
        key = _evse_key(state, station_id, evse_id)
        if key is None:
            notes.append(
                f"{station_id}: transaction {tid} ({event}) names no known EVSE "
                f"({evse_id}); not followed until an event names its EVSE"
            )
            return Reaction(response=response, requests=(), state=state, explanation=notes)
        existing = state.track_on(*key)
        if existing is not None and existing.transaction_id is None:
            session = attrs.evolve(existing.session, transaction_id=tid)
            known = attrs.evolve(existing, session=session)
            notes.append(f"{station_id}#{key[1]}: transaction {tid} bound to the EV already there")
        else:
            if existing is not None:
                notes.append(
                    f"{station_id}#{key[1]}: transaction {existing.transaction_id} replaced "
                    f"by {tid} (the station started a new one)"
                )
            known = Track(
                session=Session(
                    station_id=station_id,
                    evse_id=key[1],
                    arrival=request.timestamp,
                    transaction_id=tid,
                )
            )
            what = "started" if event == "Started" else f"adopted ({event} of an unknown one)"
            notes.append(f"{station_id}#{key[1]}: transaction {tid} {what}")
        replan_needed = True
    track = known
    if request.number_of_phases_used is not None and 1 <= request.number_of_phases_used <= 3:
        evse = state.site.evse(*track.key)
        phases = min(request.number_of_phases_used, len(evse.phases))
        if track.session.ev_phases != phases:
            track = attrs.evolve(track, session=attrs.evolve(track.session, ev_phases=phases))
            notes.append(f"{station_id}#{track.key[1]}: EV uses {phases} phase(s)")
            replan_needed = True
    if request.meter_value:
        track = _apply_meter(track, request.meter_value, version, notes)
    if event == "Ended":
        state = _end(state, track, notes)
        replan_needed = True
    else:
        state = state.with_track(track)
    requests: list[Outgoing] = []
    if replan_needed:
        state, requests = _replan(state, moment, notes)
    if not notes:
        notes.append(f"{station_id}: transaction {tid} {event}: nothing changed for the plan")
    return Reaction(response=response, requests=requests, state=state, explanation=notes)


def _end(state: SiteState, track: Track, notes: list[str]) -> SiteState:
    station_id, evse_id = track.key
    store = state.store(station_id)
    kept = [
        e
        for e in store.entries
        if not (
            e.profile.purpose in {ProfilePurpose.TX, ProfilePurpose.PRIORITY_CHARGING}
            and e.evse_id == evse_id
        )
    ]
    state = state.with_store(station_id, attrs.evolve(store, entries=tuple(kept)))
    pending = tuple(
        p for p in state.pending if not (p.station_id == station_id and p.evse_id == evse_id)
    )
    state = attrs.evolve(state, pending=pending)
    notes.append(
        f"{station_id}#{evse_id}: transaction {track.transaction_id} ended after "
        f"{track.session.energy_delivered_wh:g} Wh"
    )
    return state.without_track(track.key)


def on_start_transaction(
    state: SiteState,
    station_id: str,
    request: Any,
    transaction_id: int,
    *,
    id_tag_status: str = "Accepted",
) -> Reaction:
    """React to a 1.6 StartTransaction: open a session on its connector and re-share.

    Args:
        state: the current state.
        station_id: the station that sent it.
        request: the generated 1.6 StartTransactionRequest.
        transaction_id: the id the CSMS gives the transaction (it owns the id source).
        id_tag_status: the authorization status to answer (the CSMS decides it).

    Returns:
        The StartTransaction response with ``transaction_id``, TxProfiles for the
        sessions whose share changed, the new state.

    Raises:
        ReactionError: ``request`` is not a 1.6 StartTransactionRequest.
    """
    version = _version_of(request, ("StartTransactionRequest",))
    moment = _check_now(request.timestamp)
    mod = _mod(version)
    try:
        status = mod.AuthorizationStatus(str(_value(id_tag_status)))
    except ValueError:
        raise ReactionError("id_tag_status", f"{id_tag_status!r:.40} is not a 1.6 status") from None
    response = mod.StartTransactionResponse(
        transaction_id=transaction_id, id_tag_info=mod.IdTagInfo(status=status)
    )
    notes: list[str] = []
    key = _evse_key(state, station_id, request.connector_id)
    if key is None:
        notes.append(
            f"{station_id}: transaction {transaction_id} on unknown connector "
            f"{request.connector_id}: answered, not followed"
        )
        return Reaction(response=response, requests=(), state=state, explanation=notes)
    if status.value != "Accepted":
        notes.append(f"{station_id}#{key[1]}: id tag {status.value}: no session")
        return Reaction(response=response, requests=(), state=state, explanation=notes)
    existing = state.track_on(*key)
    session = Session(
        station_id=station_id,
        evse_id=key[1],
        arrival=request.timestamp,
        transaction_id=transaction_id,
    )
    if existing is not None:
        session = attrs.evolve(existing.session, transaction_id=transaction_id)
    track = Track(session=session, meter_start_wh=float(request.meter_start))
    notes.append(f"{station_id}#{key[1]}: transaction {transaction_id} started")
    state = state.with_track(track)
    state, out = _replan(state, moment, notes)
    return Reaction(response=response, requests=out, state=state, explanation=notes)


def on_stop_transaction(state: SiteState, station_id: str, request: Any) -> Reaction:
    """React to a 1.6 StopTransaction: close the session, forget its TxProfile, re-share.

    An unknown transaction id gets its answer and an explanation, nothing else.

    Raises:
        ReactionError: ``request`` is not a 1.6 StopTransactionRequest.
    """
    version = _version_of(request, ("StopTransactionRequest",))
    moment = _check_now(request.timestamp)
    mod = _mod(version)
    response = mod.StopTransactionResponse(
        id_tag_info=mod.IdTagInfo(status=mod.AuthorizationStatus.ACCEPTED)
        if request.id_tag is not None
        else None
    )
    notes: list[str] = []
    track = state.track_of(station_id, request.transaction_id)
    if track is None:
        notes.append(
            f"{station_id}: StopTransaction for unknown transaction {request.transaction_id}: "
            "answered, nothing to re-share"
        )
        return Reaction(response=response, requests=(), state=state, explanation=notes)
    if track.meter_start_wh is not None:
        delivered = max(0.0, float(request.meter_stop) - track.meter_start_wh)
        track = attrs.evolve(
            track, session=attrs.evolve(track.session, energy_delivered_wh=delivered)
        )
    state = _end(state, track, notes)
    state, out = _replan(state, moment, notes)
    return Reaction(response=response, requests=out, state=state, explanation=notes)


def on_meter_values(
    state: SiteState, station_id: str, request: Any, now: datetime | None = None
) -> Reaction:
    """React to a 1.6 MeterValues: measured current, phases really used, energy, SoC.

    The phases an EV really uses are the phases with more than 1 A while another
    phase carries 1 A or less. The site is re-shared when the phases used
    change (a one-phase EV frees two phases for others); otherwise the
    measurement is only recorded (the planner uses it through the policy's
    ``measured_margin_a``). Meter values of a connector without a session are
    answered and ignored.

    Raises:
        ReactionError: ``request`` is not a 1.6 MeterValuesRequest.
    """
    version = _version_of(request, ("MeterValuesRequest",))
    if version is not OcppVersion.V16:
        raise ReactionError("request", "use on_transaction_event for 2.x meter values")
    response = _mod(version).MeterValuesResponse()
    notes: list[str] = []
    track = None
    if request.transaction_id is not None:
        track = state.track_of(station_id, request.transaction_id)
    if track is None:
        track = state.track_on(station_id, request.connector_id)
    if track is None:
        notes.append(
            f"{station_id}: meter values of connector {request.connector_id} without a "
            "known session: ignored"
        )
        return Reaction(response=response, requests=(), state=state, explanation=notes)
    before = track.session.ev_phases
    conductors = len(state.site.evse(*track.key).phases)
    track = _apply_meter(track, request.meter_value, version, notes, conductors)
    state = state.with_track(track)
    out: list[Outgoing] = []
    if track.session.ev_phases != before:
        moment = _check_now(now if now is not None else track.session.measured_at)
        state, out = _replan(state, moment, notes)
    if not notes:
        notes.append(f"{station_id}#{track.key[1]}: meter values without a usable sample")
    return Reaction(response=response, requests=out, state=state, explanation=notes)


# --------------------------------------------------------------------------------------
# External limits
# --------------------------------------------------------------------------------------


def _limit_id(station_id: str, evse_id: int | None, source: str) -> str:
    return f"{station_id}#{evse_id or 0}:{source}"


def _schedule_limit(schedule: Any, now: datetime) -> LimitSchedule | None:
    """A reported charging schedule as a site limit schedule (A per phase or W)."""
    start = schedule.start_schedule or now
    unit = str(_value(schedule.charging_rate_unit))
    periods = schedule.charging_schedule_period or ()
    points: list[tuple[datetime, Limit]] = []
    for period in sorted(periods, key=lambda p: p.start_period):
        limit = period.limit
        if limit is None or not math.isfinite(limit) or limit < 0:
            continue
        moment = _shifted(start, period.start_period)
        if moment is None:
            continue  # after the last moment a datetime can hold: never reached
        value = Limit(current_a=limit) if unit == "A" else Limit(power_w=limit)
        if points and points[-1][0] == moment:
            points[-1] = (moment, value)
        elif not points or moment > points[-1][0]:
            points.append((moment, value))
    if not points:
        return None
    if schedule.duration is not None and schedule.duration > 0:
        end = _shifted(start, schedule.duration)
        if end is not None:  # else the schedule ends after any datetime: no end
            points = [p for p in points if p[0] < end]
            if points:
                points.append((end, Limit()))
    return LimitSchedule(points=points) if points else None


def _shifted(start: datetime, seconds: float) -> datetime | None:
    """``start`` moved by ``seconds``, kept within what a datetime can hold.

    The earliest datetime when the moment is before it, ``None`` when it is after
    the last one (a station may report any such values).
    """
    try:
        return start + timedelta(seconds=seconds)
    except OverflowError:
        if seconds < 0:
            return datetime.min.replace(tzinfo=start.tzinfo)
        return None


def _tightest(schedules: Sequence[LimitSchedule]) -> LimitSchedule:
    if len(schedules) == 1:
        return schedules[0]
    moments = sorted({m for s in schedules for m in s.breakpoints()})
    points: list[tuple[datetime, Limit]] = []
    for moment in moments:
        value = Limit()
        for schedule in schedules:
            value = value.min(schedule.at(moment))
        points.append((moment, value))
    return LimitSchedule(points=points)


def on_notify_charging_limit(
    state: SiteState, station_id: str, request: Any, now: datetime
) -> Reaction:
    """React to NotifyChargingLimit (2.x): put the external limit in the site and re-share.

    The limit applies to the station (no ``evseId`` or 0) or to one EVSE; its
    schedules (the tightest of them at every instant) become an
    :class:`~ocpp_core.energy.ExternalLimit` named ``station#evse:source``,
    replacing an earlier one from the same source on the same target, flagged
    grid-critical as reported. A limit reported without a schedule is recorded
    in the explanation only (its value is unknown, so the planner cannot use it;
    the station enforces it anyway). An unknown EVSE is answered and ignored.

    Raises:
        ReactionError: ``request`` is not a NotifyChargingLimitRequest of a 2.x version.
    """
    version = _version_of(request, ("NotifyChargingLimitRequest",))
    moment = _check_now(now)
    response = _mod(version).NotifyChargingLimitResponse()
    notes: list[str] = []
    source = str(_value(request.charging_limit.charging_limit_source)) or "Other"
    critical = bool(request.charging_limit.is_grid_critical)
    evse_id = request.evse_id
    station = _station(state, station_id)
    if station is None:
        notes.append(f"unknown station {station_id!r}: limit from {source} ignored")
        return Reaction(response=response, requests=(), state=state, explanation=notes)
    if evse_id not in (None, 0) and _site_evse(state, station_id, evse_id) is None:
        notes.append(
            f"{station_id}: limit from {source} on unknown EVSE {evse_id}: ignored "
            "(answered so the station does not retry)"
        )
        return Reaction(response=response, requests=(), state=state, explanation=notes)
    schedules = [
        s
        for s in (_schedule_limit(x, moment) for x in request.charging_schedule or ())
        if s is not None
    ]
    where = f"{station_id}#{evse_id or 0}"
    if not schedules:
        notes.append(
            f"{where}: limit from {source} reported without a usable schedule; the station "
            "enforces it, the plan cannot (no value)"
        )
        return Reaction(response=response, requests=(), state=state, explanation=notes)
    limit = ExternalLimit(
        id=_limit_id(station_id, evse_id, source),
        source=source,
        scope=LimitScope.STATION if evse_id in (None, 0) else LimitScope.EVSE,
        target=station_id if evse_id in (None, 0) else f"{station_id}#{evse_id}",
        schedule=_tightest(schedules),
        grid_critical=critical,
    )
    state = attrs.evolve(state, site=state.site.with_external_limit(limit))
    value = limit.schedule.at(moment)
    shown = "none yet" if value is None else _describe_limit(value)
    notes.append(
        f"{where}: external limit {limit.id} from {source}"
        + (" (grid-critical)" if critical else "")
        + f": {shown} now"
    )
    state, out = _replan(state, moment, notes)
    return Reaction(response=response, requests=out, state=state, explanation=notes)


def _describe_limit(limit: Limit) -> str:
    parts = []
    if limit.current_a is not None:
        parts.append("/".join(f"{c:g}" for c in limit.current_a) + " A")
    if limit.power_w is not None:
        parts.append(f"{limit.power_w:g} W")
    return ", ".join(parts) or "no limit"


def on_cleared_charging_limit(
    state: SiteState, station_id: str, request: Any, now: datetime
) -> Reaction:
    """React to ClearedChargingLimit (2.x): drop the external limit and re-share.

    A limit the CSMS never heard of is answered and explained.

    Raises:
        ReactionError: ``request`` is not a ClearedChargingLimitRequest of a 2.x version.
    """
    version = _version_of(request, ("ClearedChargingLimitRequest",))
    moment = _check_now(now)
    response = _mod(version).ClearedChargingLimitResponse()
    source = str(_value(request.charging_limit_source)) or "Other"
    limit_id = _limit_id(station_id, request.evse_id, source)
    notes: list[str] = []
    if all(x.id != limit_id for x in state.site.external_limits):
        notes.append(f"{limit_id}: cleared, but no such limit was known; nothing to re-share")
        return Reaction(response=response, requests=(), state=state, explanation=notes)
    state = attrs.evolve(state, site=state.site.without_external_limit(limit_id))
    notes.append(f"{limit_id}: external limit cleared")
    state, out = _replan(state, moment, notes)
    return Reaction(response=response, requests=out, state=state, explanation=notes)


# --------------------------------------------------------------------------------------
# ISO 15118: charging needs and the EV's schedule
# --------------------------------------------------------------------------------------

_BPT = {"AC_BPT", "AC_BPT_DER", "DC_BPT", "DC_ACDP_BPT"}
_PHASES_OF = {
    "AC_single_phase": 1,
    "AC_single_phase_core": 1,
    "AC_two_phase": 2,
    "AC_three_phase": 3,
    "AC_three_phase_core": 3,
}


def _needs_response(version: OcppVersion, status: str, reason: str | None, info: str | None) -> Any:
    mod = _mod(version)
    kwargs: dict[str, Any] = {"status": mod.NotifyEVChargingNeedsStatusEnum(status)}
    if reason is not None and version is not OcppVersion.V20:
        kwargs["status_info"] = _status_info(version, reason, info)
    return mod.NotifyEVChargingNeedsResponse(**kwargs)


def _percent(value: object) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and 0 <= number <= 100 else None


def _battery(  # noqa: PLR0917 - internal, called positionally
    dc: Any,
    delivered: float,
    out: dict[str, Any],
    extra: dict[str, Any],
    where: str,
    notes: list[str],
) -> None:
    """The DC battery's capacity (track) and SoC (session), each ignored if out of range."""
    capacity = dc.ev_energy_capacity
    if capacity is not None:
        if isinstance(capacity, int | float) and math.isfinite(capacity) and capacity > 0:
            extra["ev_capacity_wh"] = float(capacity)
        else:
            notes.append(f"{where}: battery capacity {capacity!r:.20} Wh ignored (not above 0)")
    raw_soc = dc.state_of_charge
    soc = _percent(raw_soc)
    if raw_soc is not None and soc is None:
        notes.append(f"{where}: state of charge {raw_soc!r:.20} ignored (not within 0..100 %)")
    if soc is not None:
        out["soc"] = soc
        extra["soc_basis_wh"] = delivered


def _energy_from_soc(  # noqa: PLR0917 - internal, called positionally
    dc: Any,
    v2x: Any,
    delivered: float,
    out: dict[str, Any],
    extra: dict[str, Any],
    where: str,
    notes: list[str],
) -> float | None:
    """The energy wanted from the target SoC, when the EV gives no energy amount.

    Energy wanted = energy delivered so far + (target SoC - SoC) / 100 x capacity,
    the target being the V2X ``targetSoC``, else the DC ``fullSoC``.
    """
    raw_target = getattr(v2x, "target_soc", None) if v2x is not None else None
    if raw_target is None and dc is not None:
        raw_target = dc.full_soc
    target = _percent(raw_target)
    if raw_target is not None and target is None:
        notes.append(f"{where}: target SoC {raw_target!r:.20} ignored (not within 0..100 %)")
    soc = out.get("soc")
    capacity = extra.get("ev_capacity_wh")
    if target is None or soc is None or capacity is None:
        return None
    wanted = max(0.0, target - soc) / 100 * capacity
    notes.append(
        f"{where}: no energy amount; {wanted:g} Wh derived from SoC {soc:g} % to target "
        f"{target:g} % of {capacity:g} Wh"
    )
    if wanted <= 0:
        notes.append(f"{where}: the EV is at or above its target SoC: nothing more wanted")
    return float(delivered + wanted)


_MOST_BATTERY_WH = 1e7
"""No EV battery holds 10 MWh: a larger negative ``evMinEnergyRequest`` is out of range."""


def _min_energy(  # noqa: PLR0917 - internal, called positionally
    request: object,
    delivered: float,
    out: dict[str, Any],
    extra: dict[str, Any],
    where: str,
    notes: list[str],
) -> None:
    """The battery floor from the ISO 15118-20 ``evMinEnergyRequest``, if usable.

    ISO 15118-20 counts it from the EV's state now, and the floor counts energy
    delivered in this session, so the floor is ``delivered + request``. Positive:
    the EV needs that much to reach its minimum SoC. Negative: it is above its
    minimum SoC and may give back that much (the floor may be below 0). 0 is no
    floor beyond the default. Values that are not finite, a negative one beyond the
    battery's capacity (10 MWh when unknown), and a floor above the energy wanted
    are ignored and explained.
    """
    if isinstance(request, bool) or not isinstance(request, int | float):
        notes.append(f"{where}: evMinEnergyRequest {request!r:.20} ignored (not a number)")
        return
    value = float(request)
    if not math.isfinite(value):
        notes.append(f"{where}: evMinEnergyRequest {value!r} ignored (not finite)")
        return
    if value == 0:
        return
    if value > 0:
        floor = delivered + value
        if delivered:
            notes.append(
                f"{where}: evMinEnergyRequest {value:g} Wh to the EV's minimum SoC: battery "
                f"floor {floor:g} Wh of energy delivered ({delivered:g} Wh so far)"
            )
    else:
        most = extra.get("ev_capacity_wh", _MOST_BATTERY_WH)
        if -value > most:
            notes.append(
                f"{where}: evMinEnergyRequest {value:g} Wh ignored (more than the battery's "
                f"{most:g} Wh)"
            )
            return
        floor = delivered + value
        notes.append(
            f"{where}: evMinEnergyRequest {value:g} Wh: the EV is above its minimum SoC and may "
            f"give back {-value:g} Wh: battery floor {floor:g} Wh of energy delivered "
            f"({delivered:g} Wh so far)"
        )
    wanted = out.get("energy_wanted_wh")
    if wanted is not None and floor > wanted:
        notes.append(
            f"{where}: minimum energy {floor:g} Wh above the energy wanted {wanted:g} Wh: ignored"
        )
        return
    out["min_energy_wh"] = floor


def _read_needs(  # noqa: PLR0917 - internal, called positionally
    needs: Any,
    version: OcppVersion,
    now: datetime,
    evse: SiteEvse,
    notes: list[str],
    delivered: float = 0.0,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The session fields that the EV's needs give (after checking them).

    ``extra`` receives the track's fields (battery capacity, the SoC's energy basis).
    """
    where = f"{evse.station_id}#{evse.evse_id}"
    out: dict[str, Any] = {}
    extra = {} if extra is None else extra
    derived: float | None = None
    mode = str(_value(needs.requested_energy_transfer))
    if mode in _PHASES_OF and evse.phase_type is PhaseType.AC:
        out["ev_phases"] = min(_PHASES_OF[mode], len(evse.phases))
    energy: float | None = None
    low: float | None = None
    high: float | None = None
    ac = needs.ac_charging_parameters
    dc = needs.dc_charging_parameters
    if ac is not None and evse.phase_type is PhaseType.AC:
        energy = float(ac.energy_amount)
        low, high = float(ac.ev_min_current), float(ac.ev_max_current)
        names = ("min_current_a", "max_current_a")
    elif dc is not None and evse.phase_type is PhaseType.DC:
        energy = None if dc.energy_amount is None else float(dc.energy_amount)
        high = (
            float(dc.ev_max_power)
            if dc.ev_max_power is not None
            else float(dc.ev_max_current) * float(dc.ev_max_voltage)
        )
        names = ("min_power_w", "max_power_w")
    else:
        names = ("min_current_a", "max_current_a")
        if ac is not None or dc is not None:
            notes.append(f"{where}: charging parameters for the wrong supply (AC/DC) ignored")
    v2x = getattr(needs, "v2x_charging_parameters", None)
    dc_here = dc if evse.phase_type is PhaseType.DC else None
    if v2x is not None:
        if energy is None and v2x.ev_target_energy_request is not None:
            # ISO 15118-20 counts it from the EV's state now; the session from its start.
            energy = delivered + float(v2x.ev_target_energy_request)
        if (
            v2x.max_discharge_power is not None
            and v2x.max_discharge_power > 0
            and mode in _BPT
            and math.isfinite(v2x.max_discharge_power)
        ):
            out["discharge_max_power_w"] = float(v2x.max_discharge_power)
        elif mode not in _BPT and v2x.max_discharge_power:
            # Asked to charge only: the planner must not discharge it.
            out["discharge_max_power_w"] = None
        if evse.phase_type is PhaseType.DC and high is None and v2x.max_charge_power is not None:
            high = float(v2x.max_charge_power)
    if dc_here is not None:
        _battery(dc_here, delivered, out, extra, where, notes)
    if energy is None and (dc_here is not None or v2x is not None):
        derived = _energy_from_soc(dc_here, v2x, delivered, out, extra, where, notes)
    if derived is not None:
        out["energy_wanted_wh"] = derived
    elif energy is not None:
        if not math.isfinite(energy) or energy <= 0:
            notes.append(
                f"{where}: energy amount {energy:g} Wh is not a need; read as unknown "
                "(the EV gets its fair share)"
            )
        else:
            out["energy_wanted_wh"] = energy
    if v2x is not None and v2x.ev_min_energy_request is not None:
        _min_energy(v2x.ev_min_energy_request, delivered, out, extra, where, notes)
    for value, name in ((low, names[0]), (high, names[1])):
        if value is not None and (not math.isfinite(value) or value < 0):
            notes.append(f"{where}: {name} {value:g} ignored (negative or not finite)")
        elif value is not None and (value > 0 or name.startswith("min")):
            out[name] = value
    if names[0] in out and names[1] in out and out[names[0]] > out[names[1]]:
        notes.append(
            f"{where}: EV minimum {out[names[0]]:g} above its maximum {out[names[1]]:g}: "
            "minimum ignored"
        )
        del out[names[0]]
    departure = needs.departure_time
    if departure is not None:
        if departure <= now:
            notes.append(
                f"{where}: departure {departure.isoformat()} is not in the future: ignored "
                "(planned without a deadline)"
            )
        else:
            out["departure"] = departure
    return out


def on_ev_charging_needs(
    state: SiteState, station_id: str, request: Any, now: datetime
) -> Reaction:
    """React to NotifyEVChargingNeeds (2.0, 2.0.1, 2.1): plan the EV and offer schedules.

    The EV's needs (AC or DC parameters, departure, energy, the number of
    schedules it accepts; in 2.1 the V2X parameters, control mode and mobility
    needs) refine its session; the site is re-shared and the EV is offered up to
    ``maxScheduleTuples`` schedules, each at or below its share:

    * 2.0.1 and 2.1: status Accepted and a TxProfile whose schedules (ids 1..n)
      are the SAScheduleTuples. In 2.1 a ``DynamicControl`` EV on a station
      with DynamicProfiles gets a Dynamic profile (later shares go out as
      UpdateDynamicSchedule); a bidirectional EV gets a period in the operation
      mode chosen from the EVSE's V2X setting, what the station supports, an EMS
      limit and the share (``CentralSetpoint`` by default; see
      :class:`~ocpp_core.energy.V2xSetting`). The 2.1 ``mobilityNeedsMode`` says
      whether the CSMS's mobility needs apply (``EVCC_SECC``) or the EV's stand
      (``EVCC``); without an energy amount, a DC EV's energy is derived from its
      SoC, capacity and target SoC.
    * 2.0: status Accepted and a NotifyCentralChargingNeeds with the SASchedules
      (``pMax`` in W).

    Never raises on the station's input: an unknown EVSE, or an EVSE without a
    transaction (a TxProfile needs one), is answered Rejected (2.1:
    NoChargingProfile for the latter) with the reason; a departure in the past,
    an energy of 0, a maximum below the minimum are ignored and explained.

    Raises:
        ReactionError: ``request`` is not a NotifyEVChargingNeedsRequest.
    """
    version = _version_of(request, ("NotifyEVChargingNeedsRequest",))
    moment = _check_now(now)
    notes: list[str] = []
    evse = _site_evse(state, station_id, request.evse_id)
    if evse is None:
        notes.append(f"{station_id}: charging needs for unknown EVSE {request.evse_id}: Rejected")
        response = _needs_response(
            version, "Rejected", "UnknownEVSE", f"EVSE {request.evse_id} is not known"
        )
        return Reaction(response=response, requests=(), state=state, explanation=notes)
    track = state.track_on(station_id, request.evse_id)
    where = f"{station_id}#{request.evse_id}"
    if track is None or track.transaction_id is None:
        status = "NoChargingProfile" if version is OcppVersion.V21 else "Rejected"
        notes.append(
            f"{where}: charging needs without a known transaction: {status} (a TxProfile "
            "needs its transaction id; the EV charges under the station's defaults)"
        )
        response = _needs_response(version, status, "TxNotFound", "no transaction on this EVSE")
        return Reaction(response=response, requests=(), state=state, explanation=notes)
    needs = request.charging_needs
    extra: dict[str, Any] = {}
    changes = _read_needs(
        needs, version, moment, evse, notes, track.session.energy_delivered_wh, extra
    )
    try:
        session = attrs.evolve(track.session, **changes)
    except ValueError as exc:
        notes.append(f"{where}: needs not usable ({exc}); planned as before")
        session = track.session
        extra = {}
    tuples = request.max_schedule_tuples
    if tuples is None or tuples < 1:
        tuples = 1
    control = getattr(needs, "control_mode", None)
    mode = str(_value(needs.requested_energy_transfer))
    bidirectional = mode in _BPT
    if bidirectional and evse.discharge_max_power_w <= 0:
        notes.append(f"{where}: EV offers bidirectional transfer; EVSE may not discharge")
    available = sorted(
        {str(_value(x)) for x in getattr(needs, "available_energy_transfer", None) or ()} & _BPT
    )
    if available and not bidirectional:
        notes.append(
            f"{where}: the EV could transfer both ways ({', '.join(available)}) but asked for "
            f"{mode}: charging only"
        )
    mobility = _mobility_mode(getattr(needs, "mobility_needs_mode", None))
    track = attrs.evolve(
        track,
        session=session,
        iso15118=True,
        max_schedule_tuples=tuples,
        control_mode=None if control is None else _value(control),
        bidirectional=bidirectional,
        mobility_mode=mobility,
        **extra,
    )
    _explain_mobility(track, state.settings.max_soc, where, notes)
    state = state.with_track(track)
    notes.append(
        f"{where}: needs: "
        + ", ".join(f"{k}={v}" for k, v in sorted(changes.items()))
        + f"; up to {tuples} schedule(s)"
    )
    # The station waits for a profile after Accepted (K15): send it even if unchanged.
    state, out = _replan(state, moment, notes, force=frozenset({track.key}))
    track = state.track_on(station_id, request.evse_id) or track
    if version is OcppVersion.V20:
        central = _central_needs(state, track, evse, moment)
        out.append(central)
        state = state.with_track(attrs.evolve(track, offered=_offered_v20(central.request)))
        count = len(central.request.sa_schedule)
        notes.append(f"{where}: NotifyCentralChargingNeeds with {count} SASchedule(s)")
    else:
        sent = [o for o in out if o.station_id == station_id and _is_for(o, evse.evse_id)]
        if not sent:
            notes.append(f"{where}: offer unchanged; the installed TxProfile stands")
    response = _needs_response(version, "Accepted", None, None)
    return Reaction(response=response, requests=out, state=state, explanation=notes)


def _mobility_mode(value: object) -> MobilityNeedsMode | None:
    for member in MobilityNeedsMode:
        if member.value == _value(value):
            return member
    return None


def _explain_mobility(track: Track, policy: float | None, where: str, notes: list[str]) -> None:
    """Say who decides the session's departure and energy, and what of the CSMS's applies."""
    needs = track.csms_needs
    mode = track.mobility_mode
    if track.iso15118 and mode is not MobilityNeedsMode.EVCC_SECC:
        if mode is None and needs is None and policy is None:
            return
        said = "EVCC" if mode is MobilityNeedsMode.EVCC else "no mobilityNeedsMode (read as EVCC)"
        notes.append(f"{where}: {said}: the EV's departure time and energy are authoritative")
        if needs is not None or policy is not None:
            notes.append(f"{where}: the CSMS's mobility needs are not applied to this EV")
        return
    if track.iso15118:
        notes.append(f"{where}: EVCC_SECC: the CSMS may update the departure time and energy")
    if needs is None and policy is None:
        return
    session = track.planned_session(policy)
    shown = []
    if session.departure is not None:
        shown.append(f"departure {session.departure.isoformat()}")
    if session.energy_wanted_wh is not None:
        shown.append(f"energy {session.energy_wanted_wh:g} Wh")
    if session.min_energy_wh is not None:
        shown.append(f"minimum energy {session.min_energy_wh:g} Wh")
    top = track.max_soc(policy)
    if top is not None:
        shown.append(f"maximum SoC {top:g} %")
    notes.append(f"{where}: the CSMS's mobility needs apply: " + (", ".join(shown) or "none"))
    leave = None if needs is None else needs.departure
    if leave is not None and leave < track.session.arrival:
        notes.append(f"{where}: the CSMS's departure is before the arrival: ignored")
    if ((needs is not None and needs.target_soc is not None) or top is not None) and (
        track.session.soc is None or track.ev_capacity_wh is None
    ):
        notes.append(
            f"{where}: SoC targets need the EV's SoC and capacity, not known: energy not derived"
        )


def _is_for(outgoing: Outgoing, evse_id: int) -> bool:
    request = outgoing.request
    return getattr(request, "evse_id", getattr(request, "connector_id", None)) == evse_id


def _central_needs(state: SiteState, track: Track, evse: SiteEvse, now: datetime) -> Outgoing:
    """2.0: the SASchedules (pMax in W) of NotifyCentralChargingNeeds."""
    mod = _mod(OcppVersion.V20)
    allocation = allocate(state.site, state.sessions, now, state.policy)
    share = allocation.get(*track.key)
    offers = _offers(state, track, evse, share, ChargingRateUnit.W, now)
    tuples = tuple(
        mod.SASchedule(
            sa_schedule_tuple_id=offer.id or index + 1,
            p_max_schedule=(
                mod.PMaxSchedule(
                    relative_time_interval=mod.RelativeTimeInterval(start=0),
                    p_max=offer.periods[0].limit or 0.0,
                ),
            ),
        )
        for index, offer in enumerate(offers)
    )
    return Outgoing(
        station_id=track.key[0],
        action="NotifyCentralChargingNeeds",
        request=mod.NotifyCentralChargingNeedsRequest(evse_id=evse.evse_id, sa_schedule=tuples),
    )


def _offered_v20(request: Any) -> tuple[ChargingSchedule, ...]:
    return tuple(
        ChargingSchedule(
            id=s.sa_schedule_tuple_id,
            charging_rate_unit=ChargingRateUnit.W,
            periods=tuple(
                SchedulePeriod(start_period=p.relative_time_interval.start, limit=p.p_max)
                for p in s.p_max_schedule
            ),
        )
        for s in request.sa_schedule
    )


def _offer_at(schedule: ChargingSchedule, offset: int) -> float | None:
    found = None
    for period in schedule.periods:
        if period.start_period > offset:
            break
        found = period.limit
    return found


def on_ev_charging_schedule(
    state: SiteState, station_id: str, request: Any, now: datetime
) -> Reaction:
    """React to NotifyEVChargingSchedule: is the EV's plan within what it was offered?

    Every period of the EV's schedule is compared, in the offer's unit
    (A<->W through the EVSE's voltage and phases), with the offered schedule in
    force at that time (the one the EV selected in 2.1, else the highest). Within
    the offer: Accepted. Beyond it (or nothing was offered): Rejected and a
    renegotiation, at most ``settings.max_renegotiations`` times per session:
    2.0.1/2.1 send the TxProfile again (a new profile triggers the ISO 15118
    renegotiation), 2.0 sends Renegotiate15118Schedule. After that the station's
    composite still caps the EV; the explanation says so.

    Raises:
        ReactionError: ``request`` is not a NotifyEVChargingScheduleRequest.
    """
    version = _version_of(request, ("NotifyEVChargingScheduleRequest",))
    moment = _check_now(now)
    mod = _mod(version)
    notes: list[str] = []
    where = f"{station_id}#{request.evse_id}"

    def answer(ok: bool, reason: str | None = None) -> Any:
        status = mod.GenericStatusEnum("Accepted" if ok else "Rejected")
        if ok or version is OcppVersion.V20 or reason is None:
            return mod.NotifyEVChargingScheduleResponse(status=status)
        return mod.NotifyEVChargingScheduleResponse(
            status=status, status_info=_status_info(version, reason)
        )

    evse = _site_evse(state, station_id, request.evse_id)
    track = state.track_on(station_id, request.evse_id)
    if evse is None or track is None:
        notes.append(f"{where}: EV schedule for an EVSE without a known session: Rejected")
        return Reaction(
            response=answer(False, "UnknownEVSE" if evse is None else "TxNotFound"),
            requests=(),
            state=state,
            explanation=notes,
        )
    offers = track.offered
    if not offers:
        notes.append(f"{where}: EV schedule but nothing was offered yet")
    selected = getattr(request, "selected_charging_schedule_id", None)
    chosen = None
    for offer in offers:
        if selected is not None and offer.id == selected:
            chosen = offer
    if chosen is None and offers:
        chosen = max(offers, key=lambda o: o.periods[0].limit or 0.0)
    schedule = request.charging_schedule
    ev_unit = str(_value(schedule.charging_rate_unit))
    voltage = state.site.evse_voltage(evse)
    base = request.time_base
    start = schedule.start_schedule or base
    beyond: list[str] = []
    if chosen is not None:
        unit = chosen.charging_rate_unit.value
        phases_default = track.session.ev_phases or len(evse.phases)
        for period in schedule.charging_schedule_period or ():
            if period.limit is None:
                continue
            at = _shifted(start, period.start_period)
            if at is None:
                continue  # after the last moment a datetime can hold: never reached
            offset = int((at - (chosen.start_schedule or start)).total_seconds())
            offered = _offer_at(chosen, max(0, offset))
            if offered is None:
                continue
            value = float(period.limit)
            phases = period.number_phases or phases_default
            if ev_unit != unit:
                per = phases * voltage if evse.phase_type is PhaseType.AC else voltage
                value = value * per if unit == "W" else value / per
            if value > offered + (0.05 if unit == "A" else 1.0):
                beyond.append(f"{value:g} {unit} at +{period.start_period} s > {offered:g}")
    if chosen is not None and not beyond:
        notes.append(f"{where}: EV schedule within offer {chosen.id}: Accepted")
        return Reaction(response=answer(True), requests=(), state=state, explanation=notes)
    if beyond:
        notes.append(f"{where}: EV schedule beyond the offer: " + "; ".join(beyond[:3]))
    if track.renegotiations >= state.settings.max_renegotiations:
        notes.append(
            f"{where}: {track.renegotiations} renegotiation(s) already: no more; the "
            "station's composite caps the EV"
        )
        return Reaction(
            response=answer(False, "NoMoreRenegotiation"),
            requests=(),
            state=state,
            explanation=notes,
        )
    track = attrs.evolve(track, renegotiations=track.renegotiations + 1)
    state = state.with_track(track)
    out: list[Outgoing] = []
    if version is OcppVersion.V20:
        out.append(
            Outgoing(
                station_id=station_id,
                action="Renegotiate15118Schedule",
                request=mod.Renegotiate15118ScheduleRequest(evse=mod.EVSE(id=request.evse_id)),
            )
        )
        notes.append(f"{where}: Renegotiate15118Schedule sent")
    else:
        station = state.site.station(station_id)
        allocation = allocate(state.site, state.sessions, moment, state.policy)
        share = allocation.get(station_id, request.evse_id)
        profile, limit = _profile_for(state, station, evse, track, share, moment, notes)
        # A new request (a renegotiation) even when the profile is unchanged.
        state, sent = _send_profile(
            state,
            station,
            request.evse_id,
            profile,
            moment,
            None if profile.schedules[0].periods[0].operation_mode else limit,
            notes,
            force=True,
        )
        if sent is not None:
            out.append(sent)
            state = state.with_track(attrs.evolve(track, offered=profile.schedules))
            notes.append(f"{where}: TxProfile {profile.id} sent again to renegotiate")
    return Reaction(
        response=answer(False, "ScheduleBeyondOffer"),
        requests=out,
        state=state,
        explanation=notes,
    )


# --------------------------------------------------------------------------------------
# SetChargingProfile answered Rejected: fall back
# --------------------------------------------------------------------------------------

_UNIT_REASONS = {"UnsupportedRateUnit", "ChargingScheduleChargingRateUnitUnsupported"}
_STACK_REASONS = {"InvalidStackLevel"}
_PURPOSE_REASONS = {"UnsupportedPurpose", "TxNotFound", "InvalidProfile", "UnsupportedKind"}


def _fallback_steps(reason: str | None) -> tuple[str, ...]:
    if reason in _UNIT_REASONS:
        return ("unit", "stack-level", "purpose")
    if reason in _STACK_REASONS:
        return ("stack-level", "unit", "purpose")
    if reason in _PURPOSE_REASONS:
        return ("purpose", "stack-level", "unit")
    return ("stack-level", "unit", "purpose")


def _convert_schedule(
    schedule: ChargingSchedule, unit: ChargingRateUnit, per: float
) -> ChargingSchedule:
    step = 0.1 if unit is ChargingRateUnit.A else 1.0
    periods = tuple(
        attrs.evolve(
            p,
            limit=None
            if p.limit is None
            else _floor(p.limit * per if unit is ChargingRateUnit.W else p.limit / per, step),
        )
        for p in schedule.periods
    )
    return attrs.evolve(schedule, charging_rate_unit=unit, periods=periods)


def _fallback(
    state: SiteState, pending: PendingProfile, step: str, station: SiteStation
) -> tuple[int, ChargingProfile] | None:
    profile = pending.profile
    evse_id = pending.evse_id
    if step == "stack-level":
        top = station.station.max_stack_level
        level = 0 if profile.stack_level != 0 else 1
        if top is not None and level > top:
            return None
        return evse_id, attrs.evolve(profile, stack_level=level)
    if step == "unit":
        schedule = profile.schedules[0]
        if any(p.operation_mode is not None for p in schedule.periods):
            return None
        evse = _site_evse(state, station.id, evse_id)
        if evse is None:
            return None
        voltage = state.site.evse_voltage(evse)
        phases = schedule.periods[0].number_phases or len(evse.phases)
        per = phases * voltage if evse.phase_type is PhaseType.AC else voltage
        other = (
            ChargingRateUnit.W
            if schedule.charging_rate_unit is ChargingRateUnit.A
            else ChargingRateUnit.A
        )
        return evse_id, attrs.evolve(
            profile, schedules=tuple(_convert_schedule(s, other, per) for s in profile.schedules)
        )
    if step == "purpose":
        if profile.purpose is ProfilePurpose.TX:
            first = profile.schedules[0]
            if station.version is not OcppVersion.V16:
                first = attrs.evolve(first, id=1)
            return evse_id, attrs.evolve(
                profile,
                id=_profile_id(state, ProfilePurpose.TX_DEFAULT, evse_id),
                purpose=ProfilePurpose.TX_DEFAULT,
                transaction_id=None,
                kind=ProfileKind.ABSOLUTE if profile.kind is ProfileKind.DYNAMIC else profile.kind,
                schedules=(first,),
                dyn_update_interval=None,
                dyn_update_time=None,
            )
        if profile.purpose is ProfilePurpose.TX_DEFAULT:
            evses = [e for e in state.site.evses if e.station_id == station.id]
            if len(evses) == 1:
                return 0, attrs.evolve(
                    profile,
                    id=_profile_id(state, ProfilePurpose.CHARGING_STATION_MAX, 0),
                    purpose=ProfilePurpose.CHARGING_STATION_MAX,
                )
    return None


def on_set_charging_profile_response(
    state: SiteState,
    station_id: str,
    request: Any,
    response: Any,
    now: datetime,
) -> Reaction:
    """React to the answer to a SetChargingProfile the CSMS sent.

    Accepted: the profile is installed (it already is in the state) and no
    longer pending. Rejected: the state goes back to what the station holds and
    a fallback request follows, chosen by the 2.x ``reasonCode`` where given:
    the other rate unit (A<->W) for an unsupported unit, stack level 0 (or 1
    when 0 was refused) for an invalid stack level, TxDefaultProfile on the EVSE
    instead of a TxProfile (and a station maximum instead of a TxDefaultProfile
    on a station with one EVSE) for a purpose refused. Each fallback is
    checked by the station engine like the first request. After
    ``settings.max_fallbacks`` fallbacks, or when none is left, nothing more is
    sent: the explanation says the station needs a person. 1.6 NotSupported
    means the station does no smart charging: no fallback.

    Args:
        state: the current state.
        station_id: the station that answered.
        request: the SetChargingProfileRequest that was sent (generated, any version).
        response: its SetChargingProfileResponse.
        now: the current time.

    Raises:
        ReactionError: ``request`` or ``response`` is not a SetChargingProfile message.
    """
    version = _version_of(request, ("SetChargingProfileRequest",))
    _version_of(response, ("SetChargingProfileResponse",))
    moment = _check_now(now)
    evse_id = request.connector_id if version is OcppVersion.V16 else request.evse_id
    profile_id = (
        request.cs_charging_profiles.charging_profile_id
        if version is OcppVersion.V16
        else request.charging_profile.id
    )
    notes: list[str] = []
    where = f"{station_id}#{evse_id}"
    pending = None
    for item in state.pending:
        if item.station_id == station_id and item.profile.id == profile_id:
            pending = item
    status = str(_value(response.status))
    rest = tuple(p for p in state.pending if p is not pending)
    if status == "Accepted":
        notes.append(f"{where}: profile {profile_id} accepted")
        return Reaction(
            response=None, requests=(), state=attrs.evolve(state, pending=rest), explanation=notes
        )
    if pending is None:
        notes.append(f"{where}: profile {profile_id} {status}, but it was not pending: ignored")
        return Reaction(response=None, requests=(), state=state, explanation=notes)
    store = state.store(station_id).remove_ids([profile_id])
    if pending.previous is not None:
        store = store.put(pending.previous.profile, pending.previous.evse_id)
    state = attrs.evolve(state.with_store(station_id, store), pending=rest)
    info = getattr(response, "status_info", None)
    reason = info.reason_code if info is not None else None
    notes.append(f"{where}: profile {profile_id} {status}" + (f" ({reason})" if reason else ""))
    if status == "NotSupported":
        notes.append(f"{where}: the station does no smart charging: no fallback")
        return Reaction(response=None, requests=(), state=state, explanation=notes)
    if pending.attempt >= state.settings.max_fallbacks:
        notes.append(
            f"{where}: {pending.attempt} fallback(s) tried; giving up (the station needs a person)"
        )
        return Reaction(response=None, requests=(), state=state, explanation=notes)
    station = _station(state, station_id)
    if station is None:
        notes.append(f"unknown station {station_id!r}: no fallback")
        return Reaction(response=None, requests=(), state=state, explanation=notes)
    mode = next(
        (
            p.operation_mode
            for p in pending.profile.schedules[0].periods
            if p.operation_mode not in {None, OperationMode.CHARGING_ONLY}
        ),
        pending.profile.schedules[0].periods[0].operation_mode,
    )
    track = state.track_on(station_id, pending.evse_id)
    if (
        mode not in {None, OperationMode.CHARGING_ONLY}
        and track is not None
        and reason not in _STACK_REASONS | _PURPOSE_REASONS
    ):
        # The station refused a V2X mode: take it as unsupported there and step down.
        state = without_mode(state, station_id, pending.evse_id, mode)
        notes.append(
            f"{where}: {mode.value} taken as unsupported on this EVSE (V2X setting updated); "
            "re-shared with the next mode down"
        )
        state, out = _replan(state, moment, notes, force=frozenset({track.key}))
        return Reaction(response=None, requests=out, state=state, explanation=notes)
    for step in _fallback_steps(reason):
        if step in pending.tried:
            continue
        choice = _fallback(state, pending, step, station)
        if choice is None:
            continue
        target, candidate = choice
        check = validate_profile(
            candidate,
            target,
            state.store(station_id),
            station.station,
            now=moment,
            transactions=state.transactions(station_id),
        )
        if not check.accepted:
            notes.append(f"{where}: fallback by {step} would be refused too ({check.describe()})")
            continue
        state, sent = _send_profile(
            state,
            station,
            target,
            check.profile,
            moment,
            None,
            notes,
            attempt=pending.attempt + 1,
            tried=(*pending.tried, step),
        )
        if sent is not None:
            notes.append(
                f"{where}: fallback {pending.attempt + 1} by {step}: profile "
                f"{candidate.id} ({candidate.purpose.value}, stack level "
                f"{candidate.stack_level}, {candidate.schedules[0].charging_rate_unit.value}) "
                f"on EVSE {target}"
            )
            return Reaction(response=None, requests=(sent,), state=state, explanation=notes)
    notes.append(f"{where}: no fallback left (the station needs a person)")
    return Reaction(response=None, requests=(), state=state, explanation=notes)


# --------------------------------------------------------------------------------------
# 2.1: priority charging and dynamic profiles
# --------------------------------------------------------------------------------------


def on_notify_priority_charging(
    state: SiteState, station_id: str, request: Any, now: datetime
) -> Reaction:
    """React to 2.1 NotifyPriorityCharging: the driver switched priority charging on or off.

    A session with priority charging is admitted first and served up to its
    maximum before the others share the rest (it stays within every site
    limit). The site is re-shared. An unknown transaction is answered and
    explained.

    Raises:
        ReactionError: ``request`` is not a 2.1 NotifyPriorityChargingRequest.
    """
    version = _version_of(request, ("NotifyPriorityChargingRequest",))
    moment = _check_now(now)
    response = _mod(version).NotifyPriorityChargingResponse()
    notes: list[str] = []
    track = state.track_of(station_id, request.transaction_id)
    if track is None:
        notes.append(f"{station_id}: priority charging for unknown transaction: ignored")
        return Reaction(response=response, requests=(), state=state, explanation=notes)
    track = attrs.evolve(track, priority_charging=bool(request.activated))
    state = state.with_track(track)
    notes.append(
        f"{station_id}#{track.key[1]}: priority charging "
        + ("on: served first, up to its maximum" if request.activated else "off")
    )
    state, out = _replan(state, moment, notes)
    return Reaction(response=response, requests=out, state=state, explanation=notes)


def request_priority_charging(
    state: SiteState, station_id: str, transaction_id: str, activate: bool, now: datetime
) -> Reaction:
    """The CSMS switches priority charging on or off (2.1 UsePriorityCharging) and re-shares.

    Returns:
        No response; the UsePriorityCharging request first, then the profiles of
        the re-shared site.

    Raises:
        ReactionError: the station is not a known 2.1 station, or the transaction is unknown.
    """
    moment = _check_now(now)
    station = _station(state, station_id)
    if station is None or station.version is not OcppVersion.V21:
        raise ReactionError("station_id", "priority charging needs a known OCPP 2.1 station")
    track = state.track_of(station_id, transaction_id)
    if track is None:
        raise ReactionError("transaction_id", f"unknown transaction {transaction_id!r}")
    mod = _mod(OcppVersion.V21)
    first = Outgoing(
        station_id=station_id,
        action="UsePriorityCharging",
        request=mod.UsePriorityChargingRequest(
            transaction_id=str(transaction_id), activate=activate
        ),
    )
    notes = [f"{station_id}#{track.key[1]}: priority charging {'on' if activate else 'off'}"]
    state = state.with_track(attrs.evolve(track, priority_charging=activate))
    state, out = _replan(state, moment, notes)
    return Reaction(response=None, requests=(first, *out), state=state, explanation=notes)


def on_pull_dynamic_schedule_update(
    state: SiteState, station_id: str, request: Any, now: datetime
) -> Reaction:
    """React to 2.1 PullDynamicScheduleUpdate: answer the Dynamic profile's value now.

    Unknown profile ids are answered Rejected with reasonCode ``UnknownProfile``.

    Raises:
        ReactionError: ``request`` is not a 2.1 PullDynamicScheduleUpdateRequest.
    """
    version = _version_of(request, ("PullDynamicScheduleUpdateRequest",))
    moment = _check_now(now)
    mod = _mod(version)
    notes: list[str] = []
    station = _station(state, station_id)
    installed = (
        None if station is None else state.store(station_id).get(request.charging_profile_id)
    )
    track = None
    if installed is not None and installed.profile.kind is ProfileKind.DYNAMIC:
        track = state.track_on(station_id, installed.evse_id)
    if station is None or installed is None or track is None:
        notes.append(
            f"{station_id}: pull for profile {request.charging_profile_id}, not a known "
            "dynamic profile: Rejected"
        )
        response = mod.PullDynamicScheduleUpdateResponse(
            status=mod.ChargingProfileStatusEnum.REJECTED,
            status_info=_status_info(version, "UnknownProfile"),
        )
        return Reaction(response=response, requests=(), state=state, explanation=notes)
    evse = state.site.evse(station_id, installed.evse_id)
    allocation = allocate(state.site, state.sessions, moment, state.policy)
    share = allocation.get(station_id, installed.evse_id)
    profile, limit = _profile_for(state, station, evse, track, share, moment, notes)
    period = profile.schedules[0].periods[0]
    update = mod.ChargingScheduleUpdate(
        limit=period.limit, setpoint=period.setpoint, discharge_limit=period.discharge_limit
    )
    store = state.store(station_id).put(profile, installed.evse_id, installed_at=moment)
    state = state.with_store(station_id, store)
    notes.append(f"{station_id}#{installed.evse_id}: dynamic value {limit:g} now")
    response = mod.PullDynamicScheduleUpdateResponse(
        status=mod.ChargingProfileStatusEnum.ACCEPTED, schedule_update=update
    )
    return Reaction(response=response, requests=(), state=state, explanation=notes)
