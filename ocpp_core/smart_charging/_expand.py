"""Expansion of one charging profile into activation intervals.

Theory of operation
-------------------
A profile says *what* limit applies *relative to an anchor*; the composite
needs *absolute* intervals. This module turns a profile and a window
``[now, end]`` into a list of activations: ``[start, end)`` intervals of
absolute time, one per occurrence of each schedule period. Everything works on
whole seconds since the epoch (instants are floored, as libocpp does), which
keeps the arithmetic exact.

1. **Anchors.** Absolute: ``startSchedule`` (falling back to ``validFrom``,
   then to ``now``, for profiles stored without one). Relative: the start of
   the transaction, or ``now`` when there is none (the request time stands in
   for a transaction that would start now). Dynamic: ``now``. Recurring: the
   latest occurrence at or before ``now``, ``now - ((now - startSchedule) mod
   P)`` with ``P`` one day or one week of UTC time, then every ``P`` while the
   occurrence is not after ``end``. The recurrence extends backwards before
   ``startSchedule`` (libocpp's reading, pinned by the reference cases);
   ``recurring_before_start=False`` switches to the other reading, where a
   Recurring profile is inactive before its ``startSchedule``.
   A ``recurrencyKind`` on an Absolute profile is ignored.
2. **Period intervals.** Period ``i`` of an occurrence anchored at ``a`` runs
   from ``a + startPeriod[i]`` to ``a + min(startPeriod[i+1], duration, P,
   validTo - a)``: the next period, the end of the schedule, the next
   recurrence or the end of validity, whichever comes first. Without any of
   them the last period runs for ever.
3. **Validity.** A start before ``validFrom`` moves up to ``validFrom`` (the
   schedule is not shifted, only cut); an interval left empty is dropped.
   Validity is half-open, ``[validFrom, validTo)``.
4. **Window.** Intervals that end at or before ``now`` are dropped, and so are
   intervals that start after ``end``; one starting exactly at ``end`` is kept
   but covers nothing of the window.

A schedule whose first period does not start at 0, or whose periods are not
strictly increasing, is invalid (K01.FR.31/35); such periods are skipped here
so that the expansion stays total on any input.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from ocpp_core.smart_charging._model import (
    ChargingProfile,
    ChargingSchedule,
    ProfileKind,
    RecurrencyKind,
    SchedulePeriod,
    from_epoch,
    to_epoch,
)

__all__ = [
    "DAY",
    "FOREVER",
    "WEEK",
    "Activation",
    "activations",
    "recurrence_period",
    "schedule_anchors",
]

DAY = 86_400
"""Seconds in a Daily recurrence."""
WEEK = 7 * DAY
"""Seconds in a Weekly recurrence."""
FOREVER = 2**62
"""Epoch seconds standing for "no end" inside the engine."""


def recurrence_period(profile: ChargingProfile) -> int | None:
    """Seconds between occurrences of a Recurring profile, or ``None`` for other kinds."""
    if profile.kind is not ProfileKind.RECURRING or profile.recurrency_kind is None:
        return None
    return DAY if profile.recurrency_kind is RecurrencyKind.DAILY else WEEK


def _anchors(
    profile: ChargingProfile,
    schedule: ChargingSchedule,
    *,
    now: int,
    end: int,
    session_start: int | None,
    recurring_before_start: bool,
) -> list[int]:
    kind = profile.kind
    if kind is ProfileKind.ABSOLUTE:
        if schedule.start_schedule is not None:
            return [to_epoch(schedule.start_schedule)]
        if profile.valid_from is not None:
            return [to_epoch(profile.valid_from)]
        return [now]
    if kind is ProfileKind.RELATIVE:
        return [now if session_start is None else session_start]
    if kind is ProfileKind.DYNAMIC:
        return [now]
    period = recurrence_period(profile)
    if period is None or schedule.start_schedule is None:
        return []
    first = to_epoch(schedule.start_schedule)
    anchor = now - ((now - first) % period)
    if not recurring_before_start and anchor < first:
        anchor = first
    anchors = []
    while anchor <= end:
        anchors.append(anchor)
        anchor += period
    return anchors


def _valid_periods(schedule: ChargingSchedule) -> list[int]:
    """Indices of the periods the expansion uses (K01.FR.31/35, defensively)."""
    periods = schedule.periods
    return [
        index
        for index, period in enumerate(periods)
        if (
            period.start_period == 0
            if index == 0
            else periods[index - 1].start_period < period.start_period
        )
    ]


def expand_epoch(
    profile: ChargingProfile,
    schedule: ChargingSchedule,
    now: int,
    end: int,
    session_start: int | None,
    *,
    recurring_before_start: bool = True,
) -> list[tuple[int, int, int]]:
    """Expand ``schedule`` of ``profile`` into ``(start, end, period_index)`` epoch triples.

    The engine's working form of :func:`activations` (see the module docstring
    for the rules). ``end`` of an open-ended interval is :data:`FOREVER`.
    The triples come in period order, then anchor order (not sorted by start).
    """
    anchors = _anchors(
        profile,
        schedule,
        now=now,
        end=end,
        session_start=session_start,
        recurring_before_start=recurring_before_start,
    )
    if not anchors:
        return []
    periods = schedule.periods
    indices = _valid_periods(schedule)
    valid_from = None if profile.valid_from is None else to_epoch(profile.valid_from)
    valid_to = None if profile.valid_to is None else to_epoch(profile.valid_to)
    recurrence = recurrence_period(profile)
    duration = schedule.duration
    dynamic_end = None
    if (
        profile.kind is ProfileKind.DYNAMIC
        and profile.dyn_update_time is not None
        and duration is not None
    ):
        # K28 (monorepo): a dynamic profile expires duration seconds after its last update.
        dynamic_end = to_epoch(profile.dyn_update_time) + duration
    out: list[tuple[int, int, int]] = []
    for index in indices:
        offset = periods[index].start_period
        base_length = FOREVER
        if index + 1 < len(periods):
            base_length = periods[index + 1].start_period
        if duration is not None and duration < base_length:
            base_length = duration
        if recurrence is not None and recurrence < base_length:
            base_length = recurrence
        for anchor in anchors:
            start = anchor + offset
            stop = anchor + base_length if base_length != FOREVER else FOREVER
            if valid_to is not None and valid_to < stop:
                stop = valid_to
            if dynamic_end is not None and dynamic_end < stop:
                stop = dynamic_end
            if valid_from is not None and valid_from > start:
                if valid_from >= stop:
                    continue
                start = valid_from
            if stop <= start or stop <= now or start > end:
                continue
            out.append((start, stop, index))
    return out


@attrs.frozen(kw_only=True)
class Activation:
    """One occurrence of one schedule period in absolute time, ``[start, end)``."""

    start: datetime
    """When the period takes effect (moved up to ``validFrom`` if earlier)."""
    end: datetime | None
    """When it stops; ``None`` when it runs for ever."""
    period_index: int
    """Index of the period in the schedule."""
    period: SchedulePeriod
    """The period itself."""
    stack_level: int
    """The profile's stack level."""


def schedule_anchors(
    profile: ChargingProfile,
    *,
    now: datetime,
    end: datetime,
    session_start: datetime | None = None,
    schedule_index: int = 0,
    recurring_before_start: bool = True,
) -> tuple[datetime, ...]:
    """Return the anchors (schedule start times) of ``profile`` for the window ``[now, end]``.

    Args:
        profile: the profile.
        now: window start (the request time).
        end: window end.
        session_start: start of the transaction, anchoring Relative profiles.
        schedule_index: which of the profile's schedules to use.
        recurring_before_start: whether a Recurring profile recurs before its
            ``startSchedule`` (libocpp: yes).

    Returns:
        Absolute profiles: their start. Relative: the session start or ``now``.
        Recurring: the latest occurrence at or before ``now`` and every later one
        up to ``end``.
    """
    schedule = profile.schedules[schedule_index]
    anchors = _anchors(
        profile,
        schedule,
        now=to_epoch(now),
        end=to_epoch(end),
        session_start=None if session_start is None else to_epoch(session_start),
        recurring_before_start=recurring_before_start,
    )
    return tuple(from_epoch(anchor) for anchor in anchors)


def activations(
    profile: ChargingProfile,
    *,
    now: datetime,
    end: datetime,
    session_start: datetime | None = None,
    schedule_index: int = 0,
    recurring_before_start: bool = True,
) -> tuple[Activation, ...]:
    """Return the activation intervals of ``profile`` in the window ``[now, end]``, by start.

    See the module docstring for the rules. Intervals that ended by ``now`` or
    start after ``end`` are left out.

    Args:
        profile: the profile to expand.
        now: window start.
        end: window end.
        session_start: start of the transaction (anchor of Relative profiles).
        schedule_index: which of the profile's schedules to expand.
        recurring_before_start: whether a Recurring profile recurs before its
            ``startSchedule``.
    """
    schedule = profile.schedules[schedule_index]
    triples = expand_epoch(
        profile,
        schedule,
        to_epoch(now),
        to_epoch(end),
        None if session_start is None else to_epoch(session_start),
        recurring_before_start=recurring_before_start,
    )
    triples.sort(key=lambda triple: (triple[0], triple[2]))
    return tuple(
        Activation(
            start=from_epoch(start),
            end=None if stop >= FOREVER else from_epoch(stop),
            period_index=index,
            period=schedule.periods[index],
            stack_level=profile.stack_level,
        )
        for start, stop, index in triples
    )
