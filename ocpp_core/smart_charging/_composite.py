"""Composite schedules: the limit an EVSE (or the whole station) gets, period by period.

Theory of operation
-------------------
The composite is a piecewise-constant function of time over the requested
window, built by sweeps over period boundaries; nothing is sampled per second,
so the cost grows with the number of boundaries in the window, not with its
length. All instants are whole seconds since the epoch (floored).

1. **Expand.** Each stored profile that applies to the EVSE (installed on it or
   on the station, EVSE 0) is expanded into activation intervals
   (:mod:`._expand`). Expansions that do not depend on the EVSE's transaction
   are computed once per call and shared between EVSEs.
2. **Stack, per purpose.** For each purpose a sweep over the sorted interval
   boundaries keeps a heap of the intervals in force, keyed by stack level:
   at every instant the highest stack level that has a period in force wins,
   and where the top profile has no period the next lower one shows through
   (fall-through per instant, not per profile). Equal stack levels cannot
   occur after the install rules of 1.6 (replace) and 2.0.1 (K01.FR.06, .52,
   .53 reject); for stores built otherwise :class:`TieBreak` decides, always
   deterministically. Cost: ``O(N log N)`` for ``N`` intervals.
3. **TxProfile over TxDefaultProfile.** Per instant the TxProfile layer wins
   wherever it has a period (its stack level is not compared with the
   TxDefault's); elsewhere the TxDefaultProfile layer shows through. These two
   count only for an EVSE with a transaction, or when the request simulates one
   (GetCompositeSchedule does, so the CSMS sees what a session would get).
4. **Caps.** The EVSE's limit is the per-instant minimum of the Tx layer, the
   ChargingStationExternalConstraints layer (2.x) and the
   ChargingStationMaxProfile layer. Limits are kept per unit (A and W) until the
   end; numberPhases is the lowest any contributor gives. 2.1 adds discharge
   limits (combined by maximum, the least negative wins), setpoints (clamped
   into ``[dischargeLimit, limit]``), per-phase values (a W value without L2/L3
   is a total and is divided by the phases once any contributor has per-phase
   values) and operation modes (any non-ChargingOnly mode propagates).
5. **EVSE 0.** For the station-wide composite each EVSE is combined as in 4
   without the maximum; the EVSE results are summed (an EVSE without a limit
   counts with the station default), then capped by the maximum profile.
6. **Convert and merge.** Each segment is converted to the requested unit with
   ``W = A x V x phases`` (the phases of the segment or the station default;
   per-phase values convert with ``V`` alone). Where both an A and a W limit
   exist, the smaller after conversion wins. Where no profile limits, the
   station default applies. Adjacent periods equal in every reported field are
   merged.

Every choice where the specification is silent is a field of
:class:`CompositeOptions`; the defaults reproduce libocpp, which the reference
cases pin down.
"""

from __future__ import annotations

import enum
import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import NamedTuple, TypeAlias

import attrs

from ocpp_core.smart_charging._enums import enum_tuple, to_enum, to_version
from ocpp_core.smart_charging._expand import expand_epoch
from ocpp_core.smart_charging._model import (
    PURPOSE_ALIASES,
    ChargingRateUnit,
    ChargingSchedule,
    InstalledProfile,
    InstalledProfiles,
    Opaque,
    OperationMode,
    PhaseType,
    ProfileKind,
    ProfilePurpose,
    Station,
    Transaction,
    V2XFreqWattPoint,
    V2XSignalWattPoint,
    evse_name,
    from_epoch,
    purpose_name,
    to_epoch,
)
from ocpp_core.smart_charging._validation import period_mode_problem
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = [
    "CompositeOptions",
    "CompositePeriod",
    "CompositeResult",
    "CompositeSchedule",
    "CompositeStatus",
    "Contributor",
    "EvseZeroMode",
    "ExplanationKind",
    "PeriodExplanation",
    "TieBreak",
    "composite_schedule",
]


class CompositeStatus(enum.StrEnum):
    """Outcome of a composite schedule request (GetCompositeSchedule status)."""

    ACCEPTED = "Accepted"
    """The schedule was computed."""
    REJECTED = "Rejected"
    """The request was refused (unknown EVSE, unsupported unit)."""


class TieBreak(enum.StrEnum):
    """Which of two profiles of one purpose and stack level wins where both have a period.

    The install rules prevent such ties (1.6 replaces, 2.0.1 rejects); this
    decides for stores built without them, and between a station-wide and an
    EVSE-specific 1.6 TxDefaultProfile of equal stack level, where peers disagree
    (semantics notes, section 8 #6 and #13).
    """

    EVSE_SPECIFIC = "evse-specific"
    """An EVSE-specific profile beats a station-wide one; otherwise the later install wins."""
    LAST_INSTALLED = "last-installed"
    """The later install wins (libocpp 1.6, which copies connector-0 TxDefaults into each
    connector's stack-level slots)."""


class EvseZeroMode(enum.StrEnum):
    """What the composite for EVSE 0 (the whole station) means (section 8 #2)."""

    SUM_OF_EVSES = "sum-of-evses"
    """The grid view (the default): each EVSE's composite without the station maximum
    (its Tx layer under its external constraints, the station default where nothing
    limits) is converted to the requested unit, the EVSEs are summed, and the sum is
    capped by the ChargingStationMaxProfile. The station total is never below one
    EVSE's own composite unless a station-wide cap binds."""
    SUM_OF_UNIT_LANES = "sum-of-unit-lanes"
    """libocpp's reading: A and W limits are summed in separate lanes, an EVSE without
    a limit in a unit adds the station default of that unit, and only then is the sum
    converted and capped. It can report a station total below its only EVSE's own
    composite (a W profile on one connector gets the A default added in the A lane)."""
    STATION_PROFILES_ONLY = "station-profiles-only"
    """Only the station-wide caps: ChargingStationMaxProfile and station-wide
    external constraints (MicroOcpp's reading)."""


class ExplanationKind(enum.StrEnum):
    """Where a composite period's limit comes from."""

    PROFILE = "profile"
    """A profile's period sets the limit (see :attr:`PeriodExplanation.binding`)."""
    DEFAULT = "default"
    """No profile limits: the station default applies."""
    EVSE_SUM = "evse-sum"
    """EVSE 0: the sum of the EVSEs' limits (not capped by a station-wide profile)."""
    UNEXPLAINED = "unexplained"
    """Read from a GetCompositeSchedule message, which does not say."""


def _selection_converter(value: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    return tuple(sorted((int(k), int(v)) for k, v in value))


# attrs converters, one per field so that an error names its field (see ._enums).


def _options_ignored(value: object) -> frozenset[ProfilePurpose]:
    return frozenset(
        enum_tuple(
            ProfilePurpose, value, "CompositeOptions.ignored_purposes_offline", PURPOSE_ALIASES
        )
    )


def _options_tie_break(value: object) -> TieBreak:
    return to_enum(TieBreak, value, "CompositeOptions.tie_break")


def _options_evse_zero(value: object) -> EvseZeroMode:
    return to_enum(EvseZeroMode, value, "CompositeOptions.evse_zero")


def _contributor_purpose(value: object) -> ProfilePurpose:
    return to_enum(ProfilePurpose, value, "Contributor.purpose", PURPOSE_ALIASES)


def _period_mode(value: object) -> OperationMode | None:
    if value is None:
        return None
    return to_enum(OperationMode, value, "CompositePeriod.operation_mode")


def _explanation_kind(value: object) -> ExplanationKind:
    return to_enum(ExplanationKind, value, "PeriodExplanation.kind")


def _schedule_unit(value: object) -> ChargingRateUnit:
    return to_enum(ChargingRateUnit, value, "CompositeSchedule.charging_rate_unit")


def _result_status(value: object) -> CompositeStatus:
    return to_enum(CompositeStatus, value, "CompositeResult.status")


@attrs.frozen(kw_only=True)
class CompositeOptions:
    """Choices where the specification is silent or peers disagree.

    The defaults reproduce libocpp (and so the reference cases); each field says
    what the other choice means.
    """

    simulate_transaction: bool = True
    """Count TxProfile/TxDefaultProfile for an EVSE without a transaction, anchoring
    Relative profiles at the window start, as if a transaction started then
    (libocpp's GetCompositeSchedule does). False: only caps apply to idle EVSEs."""
    offline_seconds: int | None = None
    """2.1: seconds the station has been offline (``None``: online). Profiles whose
    ``maxOfflineDuration`` is exceeded are skipped (and reported for deletion when
    ``invalidAfterOfflineDuration`` is set)."""
    ignored_purposes_offline: frozenset[ProfilePurpose] = attrs.field(
        default=frozenset(), converter=_options_ignored
    )
    """Purposes ignored while offline (libocpp ``IgnoredProfilePurposesOffline``)."""
    tie_break: TieBreak = attrs.field(default=TieBreak.EVSE_SPECIFIC, converter=_options_tie_break)
    """Which profile wins a tie of purpose and stack level."""
    recurring_before_start: bool = True
    """Whether a Recurring profile also recurs before its startSchedule (libocpp: yes;
    MicroOcpp and open-ocpp: no)."""
    evse_zero: EvseZeroMode = attrs.field(
        default=EvseZeroMode.SUM_OF_EVSES, converter=_options_evse_zero
    )
    """Meaning of the EVSE-0 composite."""
    merge_equal_periods: bool = True
    """Merge adjacent periods that are equal in every reported field."""
    schedule_selection: tuple[tuple[int, int], ...] = attrs.field(
        default=(), converter=_selection_converter
    )
    """``(profile id, schedule id)`` pairs choosing one of a 2.x profile's schedules
    (ISO 15118 offers); profiles not named use their first schedule."""
    max_duration: int | None = None
    """Cap on the requested duration in seconds (1.6 ``MaxCompositeScheduleDuration``)."""


@attrs.frozen(kw_only=True)
class Contributor:
    """A profile that took part in a composite period."""

    profile_id: int
    """The profile's id."""
    purpose: ProfilePurpose = attrs.field(converter=_contributor_purpose)
    """Its purpose."""
    stack_level: int
    """Its stack level."""
    installed_on: int
    """Where it is installed (0: station-wide)."""
    evse_id: int
    """The EVSE whose limit it took part in (0 for station-wide caps)."""

    def describe(self, version: VersionLike | None = None) -> str:
        """A short human description, e.g. ``TxDefaultProfile #66 (stack 1, station)``.

        Args:
            version: name things as this version does (1.6: ``ChargePointMaxProfile``,
                ``connector``); ``None``: the 2.x names.
        """
        words = None if version is None else to_version(version, "version")
        place = evse_name(self.installed_on, words)
        if self.evse_id not in (0, self.installed_on):
            place += f", for {evse_name(self.evse_id, words)}"
        name = purpose_name(self.purpose, words)
        return f"{name} #{self.profile_id} (stack {self.stack_level}, {place})"


@attrs.frozen(kw_only=True)
class CompositePeriod:
    """One period of a composite schedule, in the requested unit.

    The OCPP fields of the version's ChargingSchedulePeriod, plus two extras that
    are not sent on the wire: :attr:`stack_level` and :attr:`converted`.
    """

    start_period: int
    """Seconds from the schedule start."""
    limit: float
    """The limit (the station default where no profile limits)."""
    number_phases: int | None = None
    """Lowest numberPhases of the contributors (station sums: highest); absent if none gave one."""
    phase_to_use: int | None = None
    """The phase of a single-phase contributor that named one."""
    limit_l2: float | None = None
    """2.1: limit on L2."""
    limit_l3: float | None = None
    """2.1: limit on L3."""
    discharge_limit: float | None = None
    """2.1: discharge limit."""
    discharge_limit_l2: float | None = None
    """2.1: discharge limit on L2."""
    discharge_limit_l3: float | None = None
    """2.1: discharge limit on L3."""
    setpoint: float | None = None
    """2.1: setpoint."""
    setpoint_l2: float | None = None
    """2.1: setpoint on L2."""
    setpoint_l3: float | None = None
    """2.1: setpoint on L3."""
    operation_mode: OperationMode | None = attrs.field(default=None, converter=_period_mode)
    """2.1: operation mode, if a contributor set one other than ChargingOnly."""
    setpoint_reactive: float | None = None
    """2.1: reactive setpoint (the engine does not compose it: libocpp does not either)."""
    setpoint_reactive_l2: float | None = None
    """2.1: reactive setpoint on L2 (not composed)."""
    setpoint_reactive_l3: float | None = None
    """2.1: reactive setpoint on L3 (not composed)."""
    preconditioning_request: bool | None = None
    """2.1: precondition request (not composed)."""
    evse_sleep: bool | None = None
    """2.1: EVSE sleep (not composed)."""
    v2x_baseline: float | None = None
    """2.1: V2X baseline (not composed)."""
    v2x_freq_watt_curve: tuple[V2XFreqWattPoint, ...] | None = None
    """2.1: frequency/power curve (not composed)."""
    v2x_signal_watt_curve: tuple[V2XSignalWattPoint, ...] | None = None
    """2.1: signal/power curve (not composed)."""
    stack_level: int = 0
    """Stack level of the profile that set the limit (0 for defaults and sums)."""
    converted: bool = False
    """True when that limit was converted from the other unit (libocpp ``periodTransformed``)."""
    custom_data: Opaque | None = None
    """2.x ``customData`` of a period read from a message (the engine sets none)."""
    extra: Opaque | None = None
    """2.0 (2018): the period's properties beyond the schema's own, read from a message."""


@attrs.frozen(kw_only=True)
class PeriodExplanation:
    """Why a composite period has its limit."""

    start_period: int
    """Seconds from the schedule start (as the period it explains)."""
    kind: ExplanationKind = attrs.field(converter=_explanation_kind)
    """Profile, station default or EVSE sum."""
    binding: Contributor | None
    """The profile whose limit is the composite limit (for :attr:`ExplanationKind.PROFILE`)."""
    converted: bool
    """The binding limit was converted from the other unit."""
    active: tuple[Contributor, ...]
    """Every profile whose period was in force (the winner of its purpose layer)."""

    def describe(self, version: VersionLike | None = None) -> str:
        """A one-line human explanation in ``version``'s words (as :meth:`Contributor.describe`)."""
        if self.kind is ExplanationKind.DEFAULT:
            head = "station default (no profile limits)"
        elif self.kind is ExplanationKind.EVSE_SUM:
            words = None if version is None else to_version(version, "version")
            head = "sum of the " + ("connector" if words is OcppVersion.V16 else "EVSE") + " limits"
        elif self.binding is None:
            head = "not explained (read from a message)"
        else:
            head = self.binding.describe(version)
            if self.converted:
                head += ", converted"
        others = [c.describe(version) for c in self.active if c != self.binding]
        return head + (f"; also in force: {', '.join(others)}" if others else "")


@attrs.frozen(kw_only=True)
class CompositeSchedule:
    """A composite schedule in the version-neutral form, with its explanation."""

    evse_id: int
    """The EVSE (0: the whole station)."""
    schedule_start: datetime
    """The window start, floored to the second."""
    duration: int
    """Seconds covered (0 for a zero or negative window)."""
    charging_rate_unit: ChargingRateUnit = attrs.field(converter=_schedule_unit)
    """Unit of the limits."""
    periods: tuple[CompositePeriod, ...]
    """The periods: sorted, the first at 0, at least one."""
    explanation: tuple[PeriodExplanation, ...]
    """One explanation per period, in the same order."""
    start_schedule: datetime | None = None
    """1.6 ``chargingSchedule.startSchedule``; the engine sets it to :attr:`schedule_start`
    (as libocpp does)."""
    min_charging_rate: float | None = None
    """1.6: ``chargingSchedule.minChargingRate`` of a message (the engine sets none)."""
    custom_data: Opaque | None = None
    """2.x ``customData`` of the CompositeSchedule of a message."""
    extra: Opaque | None = None
    """2.0 (2018): extra properties of the message's ``schedule`` object."""
    schedule_extra: Opaque | None = None
    """2.0 (2018): extra properties of the message's ``schedule.chargingSchedule`` object."""


@attrs.frozen(kw_only=True)
class CompositeResult:
    """The answer to a composite schedule request."""

    status: CompositeStatus = attrs.field(converter=_result_status)
    """Accepted or Rejected."""
    schedule: CompositeSchedule | None = None
    """The schedule when accepted."""
    reason_code: str | None = None
    """Why it was rejected (2.x ``statusInfo.reasonCode``)."""
    additional_info: str | None = None
    """Details of the rejection."""
    invalidated_profile_ids: tuple[int, ...] = ()
    """2.1: profiles whose ``maxOfflineDuration`` was exceeded with
    ``invalidAfterOfflineDuration`` set; the caller should delete them
    (:meth:`~ocpp_core.smart_charging.ProfileStore.remove_ids`)."""
    custom_data: Opaque | None = None
    """2.x ``customData`` of a response read from a message."""
    status_info_custom_data: Opaque | None = None
    """2.x ``statusInfo.customData`` of a response read from a message."""
    evse_id: int | None = None
    """The EVSE asked for (set by :func:`composite_schedule`, accepted or not; the 2.0
    response names it even when Rejected)."""
    extra: Opaque | None = None
    """2.0 (2018): extra properties of a response read from a message."""


# --------------------------------------------------------------------------------------
# Internal values: one segment of a layer.
# --------------------------------------------------------------------------------------

_Triple: TypeAlias = tuple[float | None, float | None, float | None]
"""A value per phase, ``(L1, L2, L3)``; ``None`` where unspecified."""
_NONE3: _Triple = (None, None, None)
_INF = math.inf


class _Lanes(NamedTuple):
    """What a level says in one unit (A or W): each value per phase, and who set the limit."""

    limit: _Triple
    """The charging limit."""
    discharge: _Triple
    """The discharge limit (2.1, <= 0)."""
    setpoint: _Triple
    """The setpoint (2.1)."""
    stack_level: int
    """Stack level of the profile that set :attr:`limit` (0 where none did)."""
    source: Contributor | None
    """The profile that set :attr:`limit`, or ``None`` (a sum, a gap)."""

    def specified(self) -> bool:
        """Whether the lane holds any value."""
        return self.limit != _NONE3 or self.discharge != _NONE3 or self.setpoint != _NONE3

    def uses_phase_values(self) -> bool:
        """Whether any value has an L2 or L3 part."""
        return any(
            triple[1] is not None or triple[2] is not None
            for triple in (self.limit, self.discharge, self.setpoint)
        )


_NO_LANES = _Lanes(limit=_NONE3, discharge=_NONE3, setpoint=_NONE3, stack_level=0, source=None)


class _Level(NamedTuple):
    """The value of a layer over one segment: what it says per unit, and everything shared.

    Limits, discharge limits and setpoints stay per unit (:attr:`amps`,
    :attr:`watts`) until the final conversion, as libocpp keeps them.
    """

    amps: _Lanes
    """What it says in amperes."""
    watts: _Lanes
    """What it says in watts."""
    number_phases: int | None
    """numberPhases (the lowest of the contributors; station sums: the highest)."""
    phase_to_use: int | None
    """phaseToUse of a single-phase contributor that named one."""
    operation_mode: OperationMode | None
    """2.1: the operation mode, if a contributor set one."""
    active: tuple[Contributor, ...]
    """Every profile whose period is in force in this segment."""

    def specified(self) -> bool:
        """Whether the value says anything (a TxProfile period that does hides the TxDefault)."""
        return (
            self.amps.specified()
            or self.watts.specified()
            or (
                self.operation_mode is not None
                and self.operation_mode is not OperationMode.CHARGING_ONLY
            )
        )

    def uses_phase_values(self) -> bool:
        """Whether any lane has an L2 or L3 value."""
        return self.amps.uses_phase_values() or self.watts.uses_phase_values()

    def lanes(self, unit: ChargingRateUnit) -> tuple[_Lanes, _Lanes]:
        """``(lanes in unit, lanes in the other unit)``."""
        if unit is ChargingRateUnit.A:
            return self.amps, self.watts
        return self.watts, self.amps


_Piecewise: TypeAlias = list[tuple[int, "_Level | None"]]
"""A layer: ``(offset, value)`` pairs sorted by offset, the first at 0; ``None`` = gap."""


def _period_value(
    installed: InstalledProfile,
    schedule: ChargingSchedule,
    index: int,
    evse_id: int,
    fill_phases: int | None,
) -> _Level:
    """The level one period of a stored profile contributes for ``evse_id``."""
    profile = installed.profile
    period = schedule.periods[index]
    source = Contributor(
        profile_id=profile.id,
        purpose=profile.purpose,
        stack_level=profile.stack_level,
        installed_on=installed.evse_id,
        evse_id=evse_id,
    )
    own = _Lanes(
        limit=(period.limit, period.limit_l2, period.limit_l3),
        discharge=(period.discharge_limit, period.discharge_limit_l2, period.discharge_limit_l3),
        setpoint=(period.setpoint, period.setpoint_l2, period.setpoint_l3),
        stack_level=profile.stack_level,
        source=source,
    )
    amps = schedule.charging_rate_unit is ChargingRateUnit.A
    return _Level(
        amps=own if amps else _NO_LANES,
        watts=_NO_LANES if amps else own,
        number_phases=period.number_phases if period.number_phases is not None else fill_phases,
        phase_to_use=period.phase_to_use,
        operation_mode=period.operation_mode,
        active=(source,),
    )


# --------------------------------------------------------------------------------------
# Sweeps.
# --------------------------------------------------------------------------------------


def _stack(
    entries: Sequence[tuple[int, int, tuple[int, ...], _Level]], t0: int, t1: int
) -> _Piecewise:
    """Highest-stack-level-wins sweep over ``(start, end, rank, value)`` intervals.

    ``rank`` orders candidates, smallest first: ``(-stack_level, tie-break...)``.
    Returns the layer over ``[t0, t1)`` as offsets from ``t0``.
    """
    events: list[tuple[int, int, int]] = []
    for index, (start, end, _rank, _value) in enumerate(entries):
        lo = start if start > t0 else t0
        hi = end if end < t1 else t1
        if lo < hi:
            events.append((lo, 1, index))
            events.append((hi, 0, index))
    if not events:
        return [(0, None)]
    events.sort()
    alive = bytearray(len(entries))
    heap: list[tuple[tuple[int, ...], int]] = []
    out: _Piecewise = []
    previous = t0
    current: _Level | None = None
    position = 0
    count = len(events)
    while position < count:
        moment = events[position][0]
        if moment > previous:
            if not out or out[-1][1] is not current:
                out.append((previous - t0, current))
            previous = moment
        while position < count and events[position][0] == moment:
            _, is_start, index = events[position]
            if is_start:
                alive[index] = 1
                heapq.heappush(heap, (entries[index][2], index))
            else:
                alive[index] = 0
            position += 1
        while heap and not alive[heap[0][1]]:
            heapq.heappop(heap)
        current = entries[heap[0][1]][3] if heap else None
    if previous < t1 and (not out or out[-1][1] is not current):
        out.append((previous - t0, current))
    if not out or out[0][0] != 0:
        out.insert(0, (0, None))
    return out


_Op: TypeAlias = Callable[[list["_Level | None"]], "_Level | None"]


def _combine(layers: Sequence[_Piecewise], op: _Op) -> _Piecewise:
    """Apply ``op`` pointwise over the union of the layers' boundaries."""
    if len(layers) == 1:
        return [(offset, op([value])) for offset, value in layers[0]]
    times = sorted({offset for layer in layers for offset, _ in layer})
    cursors = [0] * len(layers)
    out: _Piecewise = []
    for moment in times:
        values: list[_Level | None] = []
        for j, layer in enumerate(layers):
            i = cursors[j]
            last = len(layer) - 1
            while i < last and layer[i + 1][0] <= moment:
                i += 1
            cursors[j] = i
            values.append(layer[i][1])
        out.append((moment, op(values)))
    return out


# --------------------------------------------------------------------------------------
# Pointwise operations (the libocpp combination rules).
# --------------------------------------------------------------------------------------


def _prefer_first(values: list[_Level | None]) -> _Level | None:
    """TxProfile over TxDefaultProfile: the first value that says anything."""
    for value in values:
        if value is not None and value.specified():
            return value
    return None


def _normalize_phases(amps: _Lanes, watts: _Lanes, phases: int | None) -> tuple[_Lanes, _Lanes]:
    """Bring both units' lanes to per-phase form (see :func:`_normalize_triples`)."""
    limit_a, limit_w = _normalize_triples(amps.limit, watts.limit, phases)
    discharge_a, discharge_w = _normalize_triples(amps.discharge, watts.discharge, phases)
    setpoint_a, setpoint_w = _normalize_triples(amps.setpoint, watts.setpoint, phases)
    return (
        amps._replace(limit=limit_a, discharge=discharge_a, setpoint=setpoint_a),
        watts._replace(limit=limit_w, discharge=discharge_w, setpoint=setpoint_w),
    )


def _normalize_triples(
    lane_a: _Triple, lane_w: _Triple, phases: int | None
) -> tuple[_Triple, _Triple]:
    """Bring a lane pair to per-phase form (2.1, once any contributor has L2/L3 values).

    One phase: L1 becomes the lowest of L1..L3 and L2/L3 go. Otherwise an A value
    without L2/L3 is copied to them; a W value without them is a total and is split
    evenly over the phases.
    """
    if phases == 1:
        out = []
        for lane in (lane_a, lane_w):
            l1, l2, l3 = lane
            if l1 is not None:
                if l2 is not None:
                    l1 = min(l1, l2)
                    l2 = None
                if l3 is not None:
                    l1 = min(l1, l3)
                    l3 = None
            out.append((l1, l2, l3))
        return out[0], out[1]
    if phases is None or phases < 1:
        return lane_a, lane_w
    a1, a2, a3 = lane_a
    if a1 is not None and (a2 is None or a3 is None):
        lane_a = (a1, a1, a1)
    w1, w2, w3 = lane_w
    if w1 is not None and (w2 is None or w3 is None):
        share = w1 / phases
        lane_w = (share, share, share)
    return lane_a, lane_w


def _setpoint(acc: list[float], new: _Triple, cap: list[float], floor: list[float]) -> None:
    """Fold ``new`` into the accumulated setpoint ``acc`` (``inf`` = unset), in place.

    Two setpoints combine by minimum when charging and maximum when discharging
    (decided by the accumulated L1); the result is clamped into
    ``[floor, cap]`` (the discharge limits and limits accumulated so far).
    """
    s2 = [_INF if v is None else v for v in new]
    if s2[0] == _INF and acc[0] == _INF:
        return
    if s2[0] != _INF and acc[0] != _INF:
        acc[0] = max(acc[0], s2[0]) if acc[0] < 0 else min(acc[0], s2[0])
    elif s2[0] != _INF:
        acc[0] = s2[0]
    if acc[0] < 0:
        for p in range(3):
            x = acc[p]
            if s2[p] < 0:
                # an unset phase (inf) takes the new value; max(inf, v) would keep it unset
                x = s2[p] if x == _INF else max(x, s2[p])
            acc[p] = max(x, floor[p])
    else:
        for p in range(3):
            x = acc[p]
            if s2[p] >= 0:
                x = min(x, s2[p])
            acc[p] = min(x, cap[p])


def _finite(values: list[float]) -> _Triple:
    return (
        None if math.isinf(values[0]) else values[0],
        None if math.isinf(values[1]) else values[1],
        None if math.isinf(values[2]) else values[2],
    )


def _lowest_op(v21: bool) -> _Op:
    """Combine levels in force together (Tx layer, caps): see step 4 of the module docstring."""

    def lowest(values: list[_Level | None]) -> _Level | None:
        present = [v for v in values if v is not None]
        if not present:
            return None
        if len(present) == 1 and _plain(present[0]):
            return present[0]
        phases: int | None = None
        phase_to_use: int | None = None
        for v in present:
            if v.number_phases is not None and (phases is None or v.number_phases < phases):
                phases = v.number_phases
                phase_to_use = v.phase_to_use
        per_phase = v21 and any(v.uses_phase_values() for v in present)
        # Per unit: minimum of limits, maximum of discharge limits, combined setpoints
        # (inf / -inf = unset), and the contributor that set the lowest L1 limit.
        limit_a, limit_w = [_INF, _INF, _INF], [_INF, _INF, _INF]
        discharge_a, discharge_w = [-_INF, -_INF, -_INF], [-_INF, -_INF, -_INF]
        setpoint_a, setpoint_w = [_INF, _INF, _INF], [_INF, _INF, _INF]
        stack_a = stack_w = 0
        source_a: Contributor | None = None
        source_w: Contributor | None = None
        mode: OperationMode | None = None
        active: tuple[Contributor, ...] = ()
        for v in present:
            a, w = v.amps, v.watts
            if per_phase:
                a, w = _normalize_phases(a, w, phases)
            first = a.limit[0]
            if first is not None and first >= 0 and first < limit_a[0]:
                stack_a, source_a = a.stack_level, a.source
            first = w.limit[0]
            if first is not None and first >= 0 and first < limit_w[0]:
                stack_w, source_w = w.stack_level, w.source
            _fold(limit_a, discharge_a, a)
            _fold(limit_w, discharge_w, w)
            _setpoint(setpoint_a, a.setpoint, limit_a, discharge_a)
            _setpoint(setpoint_w, w.setpoint, limit_w, discharge_w)
            if (
                v.operation_mode is not None
                and v.operation_mode is not OperationMode.CHARGING_ONLY
                and (mode is None or mode is OperationMode.CHARGING_ONLY)
            ):
                mode = v.operation_mode
            active += v.active
        return _Level(
            amps=_Lanes(
                limit=_finite(limit_a),
                discharge=_finite(discharge_a),
                setpoint=_finite(setpoint_a),
                stack_level=stack_a,
                source=source_a,
            ),
            watts=_Lanes(
                limit=_finite(limit_w),
                discharge=_finite(discharge_w),
                setpoint=_finite(setpoint_w),
                stack_level=stack_w,
                source=source_w,
            ),
            number_phases=phases,
            phase_to_use=phase_to_use if phases == 1 else None,
            operation_mode=mode,
            active=active,
        )

    return lowest


def _plain(level: _Level) -> bool:
    """A level that combined with nothing stays as it is: one unit lane of plain limits."""
    return (
        level.operation_mode is None
        and (level.phase_to_use is None or level.number_phases == 1)
        and level.amps.setpoint == _NONE3
        and level.watts.setpoint == _NONE3
        and level.amps.discharge == _NONE3
        and level.watts.discharge == _NONE3
        and not level.uses_phase_values()
        and all(x is None or x >= 0 for x in (level.amps.limit[0], level.watts.limit[0]))
    )


def _fold(limit: list[float], discharge: list[float], lanes: _Lanes) -> None:
    """Fold one contributor's limits (minimum) and discharge limits (maximum), per phase."""
    new_limit, new_discharge = lanes.limit, lanes.discharge
    for p in range(3):
        x = new_limit[p]
        if x is not None and x >= 0 and x < limit[p]:
            limit[p] = x
        x = new_discharge[p]
        if x is not None and x <= 0 and x > discharge[p]:
            discharge[p] = x


def _sum_unit_lanes_op(v21: bool, default_a: float, default_w: float) -> _Op:
    """Libocpp's EVSE-0 sum: A and W limits summed apart, an EVSE without one adds the default.

    :attr:`EvseZeroMode.SUM_OF_UNIT_LANES`. numberPhases of the sum is the highest.
    """

    def total(values: list[_Level | None]) -> _Level | None:
        phases = _most_phases(values)
        per_phase = v21 and any(v is not None and v.uses_phase_values() for v in values)
        acc_a = [0.0, 0.0, 0.0]
        acc_w = [0.0, 0.0, 0.0]
        active: tuple[Contributor, ...] = ()
        for v in values:
            a, w = (_NO_LANES, _NO_LANES) if v is None else (v.amps, v.watts)
            if per_phase:
                a, w = _normalize_phases(a, w, phases)
            for p in range(3 if per_phase else 1):
                x = a.limit[p]
                acc_a[p] += x if x is not None and x >= 0 else default_a
                x = w.limit[p]
                acc_w[p] += x if x is not None and x >= 0 else default_w
            if v is not None:
                active += v.active
        return _Level(
            amps=_sum_lanes(acc_a, per_phase),
            watts=_sum_lanes(acc_w, per_phase),
            number_phases=phases,
            phase_to_use=None,
            operation_mode=None,
            active=active,
        )

    return total


def _sum_converted_op(v21: bool, unit: ChargingRateUnit) -> _Op:
    """The EVSE-0 sum of EVSE composites already converted to ``unit`` (the default).

    Every value holds one EVSE's limit in ``unit`` (its default where no profile
    limits), so nothing is added for missing values and the other unit stays empty.
    """

    def total(values: list[_Level | None]) -> _Level | None:
        phases = _most_phases(values)
        present = [v.lanes(unit)[0] for v in values if v is not None]
        per_phase = v21 and any(lanes.uses_phase_values() for lanes in present)
        acc = [0.0, 0.0, 0.0]
        active: tuple[Contributor, ...] = ()
        for v in values:
            if v is None:
                continue
            lanes = v.lanes(unit)[0]
            if per_phase:
                lanes = _normalize_unit(lanes, unit, phases)
            for p in range(3 if per_phase else 1):
                acc[p] += lanes.limit[p] or 0.0
            active += v.active
        summed = _sum_lanes(acc, per_phase)
        amps = unit is ChargingRateUnit.A
        return _Level(
            amps=summed if amps else _NO_LANES,
            watts=_NO_LANES if amps else summed,
            number_phases=phases,
            phase_to_use=None,
            operation_mode=None,
            active=active,
        )

    return total


def _most_phases(values: list[_Level | None]) -> int | None:
    phases: int | None = None
    for v in values:
        if (
            v is not None
            and v.number_phases is not None
            and (phases is None or v.number_phases > phases)
        ):
            phases = v.number_phases
    return phases


def _sum_lanes(acc: list[float], per_phase: bool) -> _Lanes:
    limit: _Triple = (acc[0], acc[1], acc[2]) if per_phase else (acc[0], None, None)
    return _Lanes(limit=limit, discharge=_NONE3, setpoint=_NONE3, stack_level=0, source=None)


def _normalize_unit(lanes: _Lanes, unit: ChargingRateUnit, phases: int | None) -> _Lanes:
    if unit is ChargingRateUnit.A:
        return _normalize_phases(lanes, _NO_LANES, phases)[0]
    return _normalize_phases(_NO_LANES, lanes, phases)[1]


# --------------------------------------------------------------------------------------
# Conversion to the requested unit.
# --------------------------------------------------------------------------------------


def _store_lane(lane: _Triple, out: list[float | None]) -> None:
    for p in range(3):
        if lane[p] is not None:
            out[p] = lane[p]


def _convert_lane(
    lane: _Triple, out: list[float | None], factor: float, *, divide: bool, use_min: bool
) -> None:
    for p in range(3):
        x = lane[p]
        if x is None:
            continue
        y = x / factor if divide else x * factor
        current = out[p]
        if current is None:
            out[p] = y
        else:
            out[p] = min(current, y) if use_min else max(current, y)


class _Fields(NamedTuple):
    """The reported fields of a converted segment; equal fields merge."""

    limit: float
    number_phases: int | None = None
    phase_to_use: int | None = None
    limit_l2: float | None = None
    limit_l3: float | None = None
    discharge_limit: float | None = None
    discharge_limit_l2: float | None = None
    discharge_limit_l3: float | None = None
    setpoint: float | None = None
    setpoint_l2: float | None = None
    setpoint_l3: float | None = None
    operation_mode: OperationMode | None = None
    stack_level: int = 0
    converted: bool = False


class _Converted(NamedTuple):
    """One converted segment: its reported fields and its explanation."""

    fields: _Fields
    kind: ExplanationKind
    binding: Contributor | None
    active: tuple[Contributor, ...]


def _convert(value: _Level | None, unit: ChargingRateUnit, station: Station) -> _Converted:
    """Convert a segment to ``unit`` (see step 6 of the module docstring)."""
    if value is None:
        default_fields = _Fields(limit=station.default_limit(unit))
        return _Converted(default_fields, ExplanationKind.DEFAULT, None, ())
    phases = value.number_phases
    count = phases if phases is not None else station.default_number_phases
    voltage = station.supply_voltage
    own, other = value.lanes(unit)
    divide = unit is ChargingRateUnit.A  # W -> A divides, A -> W multiplies

    def factor(lane: _Triple) -> float:
        per_phase = lane[1] is not None and lane[2] is not None
        return voltage if per_phase else voltage * count

    default = own.limit[0] is None and other.limit[0] is None
    limits: list[float | None] = [station.default_limit(unit) if default else _INF, None, None]
    stack = 0
    converted = False
    binding: Contributor | None = None
    _store_lane(own.limit, limits)
    if own.limit[0] is not None:
        stack, binding = own.stack_level, own.source
    if other.limit[0] is not None:
        before = limits[0]
        _convert_lane(other.limit, limits, factor(other.limit), divide=divide, use_min=True)
        if before is None or (limits[0] is not None and limits[0] < before):
            stack, binding, converted = other.stack_level, other.source, True
    discharge: list[float | None] = [None, None, None]
    _store_lane(own.discharge, discharge)
    _convert_lane(other.discharge, discharge, factor(other.discharge), divide=divide, use_min=False)
    setpoint: list[float | None] = [None, None, None]
    _store_lane(own.setpoint, setpoint)
    _convert_lane(other.setpoint, setpoint, factor(other.setpoint), divide=divide, use_min=True)
    limit = limits[0]
    assert limit is not None
    fields = _Fields(
        limit=limit,
        number_phases=phases,
        phase_to_use=value.phase_to_use if phases == 1 else None,
        limit_l2=limits[1],
        limit_l3=limits[2],
        discharge_limit=discharge[0],
        discharge_limit_l2=discharge[1],
        discharge_limit_l3=discharge[2],
        setpoint=setpoint[0],
        setpoint_l2=setpoint[1],
        setpoint_l3=setpoint[2],
        operation_mode=value.operation_mode,
        stack_level=stack,
        converted=converted,
    )
    if default:
        kind = ExplanationKind.DEFAULT
    elif binding is None:
        kind = ExplanationKind.EVSE_SUM
    else:
        kind = ExplanationKind.PROFILE
    return _Converted(fields, kind, binding, value.active)


def _as_level(segment: _Converted, unit: ChargingRateUnit) -> _Level:
    """A converted EVSE segment as a level holding its limits in ``unit`` (for EVSE-0 sums)."""
    fields = segment.fields
    lanes = _Lanes(
        limit=(fields.limit, fields.limit_l2, fields.limit_l3),
        discharge=_NONE3,
        setpoint=_NONE3,
        stack_level=0,
        source=None,
    )
    amps = unit is ChargingRateUnit.A
    return _Level(
        amps=lanes if amps else _NO_LANES,
        watts=_NO_LANES if amps else lanes,
        number_phases=fields.number_phases,
        phase_to_use=None,
        operation_mode=None,
        active=segment.active,
    )


def _period(offset: int, fields: _Fields) -> CompositePeriod:
    return CompositePeriod(start_period=offset, **fields._asdict())


def _dedupe(items: Iterable[Contributor]) -> tuple[Contributor, ...]:
    seen: dict[Contributor, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return tuple(seen)


# --------------------------------------------------------------------------------------
# Profile selection and the pipeline.
# --------------------------------------------------------------------------------------


class _Context:
    """Per-call state: the window, the version and the expansion cache."""

    def __init__(
        self,
        store: InstalledProfiles,
        station: Station,
        *,
        transactions: tuple[Transaction, ...],
        options: CompositeOptions,
        t0: int,
        t1: int,
    ) -> None:
        self.version = store.version
        self.v16 = self.version is OcppVersion.V16
        self.v21 = self.version is OcppVersion.V21
        self.station = station
        self.transactions = transactions
        self.options = options
        self.t0 = t0
        self.t1 = t1
        self.selection = dict(options.schedule_selection)
        self.cache: dict[int, list[tuple[int, int, int]]] = {}
        self.values: dict[tuple[int, int], dict[int, _Level]] = {}
        self.invalidated: list[int] = []
        self.usable = self._usable(store.entries)

    def _usable(self, entries: Iterable[InstalledProfile]) -> list[InstalledProfile]:
        """Drop what the version's re-validation drops before each calculation."""
        options = self.options
        offline = options.offline_seconds
        out = []
        for installed in entries:
            profile = installed.profile
            if not profile.schedules:
                continue
            if offline is not None:
                if profile.purpose in options.ignored_purposes_offline:
                    continue
                limit = profile.max_offline_duration
                if limit is not None and (offline > limit or limit == 0):
                    if profile.invalid_after_offline_duration:
                        self.invalidated.append(profile.id)
                    continue
            if self.v21 and any(
                period_mode_problem(period, profile, self.schedule_of(installed)) is not None
                for period in self.schedule_of(installed).periods
            ):
                continue
            out.append(installed)
        return out

    def schedule_of(self, installed: InstalledProfile) -> ChargingSchedule:
        profile = installed.profile
        wanted = self.selection.get(profile.id)
        if wanted is not None:
            for schedule in profile.schedules:
                if schedule.id == wanted:
                    return schedule
        return profile.schedules[0]

    def applies_to(self, installed: InstalledProfile, evse_id: int) -> bool:
        """Whether a stored profile counts for ``evse_id`` (the per-calculation checks)."""
        if installed.evse_id not in (0, evse_id):
            return False
        profile = installed.profile
        if profile.purpose is not ProfilePurpose.TX:
            return True
        transaction = self.station.transaction_on(evse_id, self.transactions)
        if self.v16:
            # 1.6 (libocpp): a TxProfile naming a transaction counts only during it.
            return profile.transaction_id is None or (
                transaction is not None and transaction.transaction_id == profile.transaction_id
            )
        # 2.x: K01.FR.16 (EVSE > 0), K01.FR.03 (transactionId), K01.FR.09/.33 (its transaction).
        return (
            installed.evse_id > 0
            and transaction is not None
            and profile.transaction_id is not None
            and transaction.transaction_id == profile.transaction_id
        )

    def layer(self, purpose: ProfilePurpose, evse_id: int, session: int | None) -> _Piecewise:
        """The stacked layer of ``purpose`` for ``evse_id`` (0: station-wide profiles only)."""
        tie = self.options.tie_break
        station = self.station
        entries: list[tuple[int, int, tuple[int, ...], _Level]] = []
        for installed in self.usable:
            profile = installed.profile
            if profile.purpose is not purpose or not self.applies_to(installed, evse_id):
                continue
            schedule = self.schedule_of(installed)
            relative = profile.kind is ProfileKind.RELATIVE
            key = id(installed)
            triples = None if relative else self.cache.get(key)
            if triples is None:
                triples = expand_epoch(
                    profile,
                    schedule,
                    self.t0,
                    self.t1,
                    session,
                    recurring_before_start=self.options.recurring_before_start,
                )
                if not relative:
                    self.cache[key] = triples
            if not triples:
                continue
            fill = None
            if not self.v16 and station.phase_type(installed.evse_id) is PhaseType.AC:
                fill = 3  # K01.FR.49: numberPhases absent on AC reads as 3
            if tie is TieBreak.EVSE_SPECIFIC:
                rank: tuple[int, ...] = (
                    -profile.stack_level,
                    0 if installed.evse_id else 1,
                    -installed.sequence,
                )
            else:
                rank = (-profile.stack_level, -installed.sequence)
            values = self.values.setdefault((key, evse_id), {})
            for start, end, index in triples:
                value = values.get(index)
                if value is None:
                    value = _period_value(installed, schedule, index, evse_id, fill)
                    values[index] = value
                entries.append((start, end, (*rank, len(entries)), value))
        return _stack(entries, self.t0, self.t1)

    def evse_layers(self, evse_id: int) -> list[_Piecewise]:
        """External constraints and the Tx-over-TxDefault layer of one EVSE."""
        transaction = self.station.transaction_on(evse_id, self.transactions)
        session = None if transaction is None else to_epoch(transaction.started_at)
        layers = [
            self.layer(ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS, evse_id, session)
        ]
        if session is not None or self.options.simulate_transaction:
            tx = self.layer(ProfilePurpose.TX, evse_id, session)
            tx_default = self.layer(ProfilePurpose.TX_DEFAULT, evse_id, session)
            layers.append(_combine([tx, tx_default], _prefer_first))
        return layers


def _rejected(evse_id: int, reason: str, info: str) -> CompositeResult:
    return CompositeResult(
        status=CompositeStatus.REJECTED, reason_code=reason, additional_info=info, evse_id=evse_id
    )


def composite_schedule(  # noqa: PLR0917 - the positional signature mirrors GetCompositeSchedule
    store: InstalledProfiles,
    station: Station,
    evse_id: int,
    start: datetime,
    duration: int,
    unit: ChargingRateUnit | str | None = None,
    transactions: Sequence[Transaction] | None = None,
    *,
    options: CompositeOptions | None = None,
) -> CompositeResult:
    """Compute the composite schedule of ``evse_id`` over ``[start, start + duration)``.

    The semantics are those of the store's OCPP version (see the module
    docstring); :class:`CompositeOptions` holds the choices where the
    specification is silent.

    Args:
        store: the installed profiles (its version selects the rules).
        station: the station (EVSEs, supply, defaults, transactions).
        evse_id: the EVSE, or 0 for the whole station.
        start: window start (floored to the second).
        duration: window length in seconds. Zero or negative: one period with the
            limit in force at ``min(start, start + duration)``, duration 0.
        unit: requested unit (a :class:`ChargingRateUnit`, ``"A"``/``"W"`` or a message
            enum of any version); ``None`` takes the station's first supported unit.
        transactions: the active transactions, replacing ``station.transactions``.
        options: the choices; ``None`` for the defaults.

    Returns:
        Accepted with the schedule and its explanation, or Rejected (unknown EVSE:
        ``UnknownEVSE``; unit not supported, K08.FR.07: ``UnsupportedRateUnit``).

    Raises:
        SmartChargingValueError: ``unit`` is not a unit (A or W) in any form.
    """
    options = CompositeOptions() if options is None else options
    if evse_id < 0 or (evse_id != 0 and station.evse(evse_id) is None):
        return _rejected(evse_id, "UnknownEVSE", f"EVSE {evse_id} does not exist")
    if unit is None:
        wanted = station.rate_units[0] if station.rate_units else ChargingRateUnit.A
    else:
        wanted = to_enum(ChargingRateUnit, unit, "unit")
        if wanted not in station.rate_units:
            return _rejected(
                evse_id, "UnsupportedRateUnit", f"unit {wanted.value} is not supported"
            )
    length = int(duration)
    if options.max_duration is not None:
        length = min(length, options.max_duration)
    begin = to_epoch(start)
    if length <= 0:
        t0 = begin + length
        t1 = t0 + 1
        reported = 0
    else:
        t0 = begin
        t1 = begin + length
        reported = length
    txs = station.transactions if transactions is None else tuple(transactions)
    ctx = _Context(store, station, transactions=txs, options=options, t0=t0, t1=t1)
    lowest = _lowest_op(ctx.v21)
    maximum = ctx.layer(ProfilePurpose.CHARGING_STATION_MAX, 0, None)
    if evse_id != 0:
        final = _combine([*ctx.evse_layers(evse_id), maximum], lowest)
    elif options.evse_zero is EvseZeroMode.STATION_PROFILES_ONLY:
        external = ctx.layer(ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS, 0, None)
        final = _combine([external, maximum], lowest)
    elif options.evse_zero is EvseZeroMode.SUM_OF_UNIT_LANES:
        per_evse = [_combine(ctx.evse_layers(evse.id), lowest) for evse in station.evses]
        summed = _combine(
            per_evse,
            _sum_unit_lanes_op(ctx.v21, station.default_limit_a, station.default_limit_w),
        )
        final = _combine([summed, maximum], lowest)
    else:
        per_evse = [
            [
                (offset, _as_level(_convert(value, wanted, station), wanted))
                for offset, value in _combine(ctx.evse_layers(evse.id), lowest)
            ]
            for evse in station.evses
        ]
        summed = _combine(per_evse, _sum_converted_op(ctx.v21, wanted))
        final = _combine([summed, maximum], lowest)
    if reported == 0:
        final = final[:1]
    kept: list[tuple[int, _Converted, list[Contributor]]] = []
    for offset, value in final:
        segment = _convert(value, wanted, station)
        if options.merge_equal_periods and kept and kept[-1][1].fields == segment.fields:
            kept[-1][2].extend(segment.active)
            continue
        kept.append((offset, segment, list(segment.active)))
    periods = [_period(offset, segment.fields) for offset, segment, _ in kept]
    explanations = [
        PeriodExplanation(
            start_period=offset,
            kind=segment.kind,
            binding=segment.binding,
            converted=segment.fields.converted,
            active=_dedupe(active),
        )
        for offset, segment, active in kept
    ]
    schedule = CompositeSchedule(
        evse_id=evse_id,
        schedule_start=from_epoch(t0),
        duration=reported,
        charging_rate_unit=wanted,
        periods=tuple(periods),
        explanation=tuple(explanations),
        start_schedule=from_epoch(t0),
    )
    return CompositeResult(
        status=CompositeStatus.ACCEPTED,
        schedule=schedule,
        invalidated_profile_ids=tuple(ctx.invalidated),
        evse_id=evse_id,
    )
