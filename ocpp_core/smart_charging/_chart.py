"""An SVG chart of a composite schedule and the profiles stacked under it.

A pure function from values to text: no plotting library, no I/O. The chart
has two panels over the same time axis:

* the composite limit as a step line, with the periods where the station
  default applies (no profile limits) shaded grey, and the 2.1 setpoint and
  discharge limit as dashed lines where there are any; every period keeps its
  label (narrow ones written upright) and a tooltip;
* one lane per profile that applies to the EVSE, grouped by purpose (the caps
  first, then TxDefaultProfile, then TxProfile) and, within a purpose, ordered
  by stack level, highest first; each shows the profile's periods in force in
  the window with their limits, solid where the profile sets the composite
  limit, pale elsewhere.

Times are shown in a time zone of the caller's choice (UTC by default); a
window longer than a day carries the date under the first tick of each day.
1.6 charts use 1.6's words (ChargePointMaxProfile, connector) and have no
external-constraints legend.

The output is deterministic (fixed number formatting, no timestamps), so
charts generated from the example scenarios can be kept in the repository and
checked for drift. The drawing is split into one function per part, each
returning its SVG elements, over one :class:`_Frame` that holds the geometry.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from xml.sax.saxutils import escape

import attrs

from ocpp_core.smart_charging._composite import (
    CompositeResult,
    CompositeSchedule,
    ExplanationKind,
)
from ocpp_core.smart_charging._enums import to_version
from ocpp_core.smart_charging._expand import activations
from ocpp_core.smart_charging._model import (
    InstalledProfile,
    ProfilePurpose,
    Station,
    evse_name,
    purpose_name,
)
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = ["composite_svg", "duration_text"]

_COLOURS = {
    ProfilePurpose.CHARGING_STATION_MAX: "#c0392b",
    ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS: "#8e44ad",
    ProfilePurpose.TX_DEFAULT: "#2874a6",
    ProfilePurpose.TX: "#1e8449",
    ProfilePurpose.PRIORITY_CHARGING: "#b9770e",
    ProfilePurpose.LOCAL_GENERATION: "#7f8c8d",
}
_ORDER = list(_COLOURS)
"""The lane order of the purposes: the caps first, then the transaction profiles."""
_TICKS = (
    60,
    300,
    900,
    1800,
    3600,
    2 * 3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    2 * 86_400,
    7 * 86_400,
    30 * 86_400,
)
_DAY = 86_400
_WIDE = 34
"""Pixels a period needs for a horizontal label; narrower ones get an upright one."""


def _nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k not below ``raw``."""
    exponent = math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        step = factor * 10.0**exponent
        if step >= raw:
            return step
    return 10.0 ** (exponent + 1)  # pragma: no cover - the loop always returns


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def duration_text(seconds: int) -> str:
    """A duration for people: ``8 h``, ``1 d 6 h``, ``1 h 30 min``, ``45 s``."""
    if seconds <= 0:
        return "0 s"
    parts = []
    for size, unit in ((_DAY, "d"), (3600, "h"), (60, "min"), (1, "s")):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts[:2]) if len(parts) > 2 else " ".join(parts)


def _zone_name(moment: datetime) -> str:
    name = moment.tzname() or "UTC"
    return "UTC" if name in ("UTC", "UTC+00:00") else name


@attrs.frozen(kw_only=True)
class _Frame:
    """The chart's geometry: where the plot and the lanes go, and how values map to pixels."""

    width: int
    start: datetime
    """The window start in the display time zone."""
    duration: int
    """Seconds shown (at least 1)."""
    y_min: float
    y_max: float
    lanes: int
    left: int = 80
    right: int = 20
    top: int = 40
    plot_h: int = 220
    lane_h: int = 30

    @property
    def plot_w(self) -> int:
        return self.width - self.left - self.right

    @property
    def lanes_top(self) -> int:
        return self.top + self.plot_h + 72

    @property
    def height(self) -> int:
        return self.lanes_top + max(self.lanes, 1) * self.lane_h + 30

    def x(self, offset: float) -> float:
        """The pixel column of ``offset`` seconds after the start (clamped to the plot)."""
        return self.left + self.plot_w * min(max(offset, 0), self.duration) / self.duration

    def y(self, value: float) -> float:
        """The pixel row of ``value``."""
        span = self.y_max - self.y_min
        return self.top + self.plot_h - self.plot_h * (value - self.y_min) / span


def composite_svg(
    result: CompositeResult,
    entries: tuple[InstalledProfile, ...],
    station: Station,
    *,
    version: VersionLike = OcppVersion.V201,
    title: str | None = None,
    width: int = 960,
    tz: tzinfo | None = None,
) -> str:
    """Draw ``result`` and the profiles ``entries`` holds as an SVG document.

    Args:
        result: an accepted composite (a rejected one draws its reason only).
        entries: the installed profiles (``ProfileStore.entries``).
        station: the station (transactions anchor Relative profiles).
        version: the OCPP version (2.x ignores station-wide TxProfiles; 1.6 charts
            use 1.6's names).
        title: a heading; default: the EVSE, window start, length and unit.
        width: the width in pixels.
        tz: the time zone of the axis and title (``zoneinfo.ZoneInfo``); default UTC.

    Returns:
        The SVG text.

    Raises:
        SmartChargingValueError: ``version`` is not an OCPP version.
    """
    chosen = to_version(version, "version")
    schedule = result.schedule
    if schedule is None:
        reason = escape(result.reason_code or "Rejected")
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="60">'
            f'<text x="10" y="35" font-family="sans-serif" font-size="14">'
            f"Composite schedule rejected: {reason}</text></svg>\n"
        )
    lanes = _lanes(entries, schedule.evse_id, chosen)
    frame = _frame(schedule, len(lanes), width, tz or UTC)
    unit = schedule.charging_rate_unit.value
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{frame.height}" '
        f'viewBox="0 0 {width} {frame.height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{frame.height}" fill="white"/>',
        *_heading(frame, schedule, chosen, title),
        *_time_axis(frame),
        *_value_axis(frame, unit),
        *_composite_line(frame, schedule, chosen),
    ]
    extras, legend_extra = _extras(frame, schedule)
    parts += extras
    parts += _profile_lanes(frame, schedule, lanes, station, chosen)
    parts += _legend(frame, lanes, chosen, legend_extra)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _applies(entry: InstalledProfile, evse_id: int, version: OcppVersion) -> bool:
    if evse_id == 0:
        return True
    if entry.evse_id not in (0, evse_id):
        return False
    # 2.x: a TxProfile needs an EVSE (K01.FR.16)
    return not (
        version is not OcppVersion.V16
        and entry.profile.purpose is ProfilePurpose.TX
        and entry.evse_id == 0
    )


def _lane_order(entry: InstalledProfile) -> tuple[int, int, int, int]:
    """The sort key of a lane: purpose (:data:`_ORDER`), stack level highest first, EVSE, id."""
    return (
        _ORDER.index(entry.profile.purpose),
        -entry.profile.stack_level,
        entry.evse_id,
        entry.profile.id,
    )


def _lanes(
    entries: tuple[InstalledProfile, ...], evse_id: int, version: OcppVersion
) -> list[InstalledProfile]:
    chosen = [entry for entry in entries if _applies(entry, evse_id, version)]
    chosen.sort(key=_lane_order)
    return chosen


def _frame(schedule: CompositeSchedule, lanes: int, width: int, tz: tzinfo) -> _Frame:
    values = [p.limit for p in schedule.periods]
    for p in schedule.periods:
        values.extend(v for v in (p.setpoint, p.discharge_limit) if v is not None)
    high = max(values)
    low = min(*values, 0.0)
    step_y = _nice_step((high - low) / 5 or 1.0)
    return _Frame(
        width=width,
        start=schedule.schedule_start.astimezone(tz),
        duration=max(schedule.duration, 1),
        y_min=-step_y * math.ceil(-low * 1.05 / step_y),
        y_max=step_y * math.ceil(max(high, step_y) * 1.05 / step_y),
        lanes=lanes,
    )


def _heading(
    frame: _Frame, schedule: CompositeSchedule, version: OcppVersion, title: str | None
) -> list[str]:
    where = evse_name(schedule.evse_id, version)
    where = "the whole station" if where == "station" else where
    heading = title or (
        f"Composite schedule, {where}, {frame.start:%Y-%m-%d %H:%M} {_zone_name(frame.start)}, "
        f"{duration_text(schedule.duration)}, in {schedule.charging_rate_unit.value}"
    )
    return [
        f'<text x="{frame.left}" y="22" font-size="14" font-weight="bold">{escape(heading)}</text>'
    ]


def _time_axis(frame: _Frame) -> list[str]:
    """Grid lines and labels in the display time zone; dates under each new day."""
    duration = frame.duration
    step = next((t for t in _TICKS if duration / t <= 12), _TICKS[-1])
    offset = frame.start.utcoffset()
    local = int(frame.start.timestamp()) + (0 if offset is None else int(offset.total_seconds()))
    tick = -local % (step if step < _DAY else _DAY)
    end = frame.start + timedelta(seconds=duration)
    dated = step >= _DAY or end.date() != frame.start.date()
    out: list[str] = []
    last_date = None
    label_y = frame.top + frame.plot_h + 16
    while tick <= duration:
        px = frame.x(tick)
        moment = frame.start + timedelta(seconds=tick)
        out.append(
            f'<line x1="{px:.1f}" y1="{frame.top}" x2="{px:.1f}" y2="{frame.height - 25}" '
            'stroke="#eeeeee"/>'
        )
        label = moment.strftime("%d %b") if step >= _DAY else moment.strftime("%H:%M")
        out.append(
            f'<text x="{px:.1f}" y="{label_y}" text-anchor="middle" fill="#555555">{label}</text>'
        )
        if dated and step < _DAY and moment.date() != last_date:
            out.append(
                f'<text x="{px:.1f}" y="{label_y + 13}" text-anchor="middle" fill="#555555" '
                f'font-size="10">{moment:%a %d %b}</text>'
            )
        last_date = moment.date()
        tick += step
    return out


def _value_axis(frame: _Frame, unit: str) -> list[str]:
    step_y = _nice_step((frame.y_max - frame.y_min) / 5 or 1.0)
    out: list[str] = []
    for i in range(round((frame.y_max - frame.y_min) / step_y) + 1):
        value = frame.y_min + step_y * i
        py = frame.y(value)
        out.append(
            f'<line x1="{frame.left}" y1="{py:.1f}" x2="{frame.left + frame.plot_w}" '
            f'y2="{py:.1f}" stroke="#eeeeee"/>'
        )
        out.append(
            f'<text x="{frame.left - 6}" y="{py + 4:.1f}" text-anchor="end" fill="#555555">'
            f"{_num(value)}</text>"
        )
    middle = f"{frame.top + frame.plot_h / 2:.1f}"
    out.append(
        f'<text x="14" y="{middle}" transform="rotate(-90 14 {middle})" '
        f'text-anchor="middle">limit ({unit})</text>'
    )
    out.append(
        f'<rect x="{frame.left}" y="{frame.top}" width="{frame.plot_w}" height="{frame.plot_h}" '
        'fill="none" stroke="#999999"/>'
    )
    if frame.y_min < 0:
        zero = frame.y(0.0)
        out.append(
            f'<line x1="{frame.left}" y1="{zero:.1f}" x2="{frame.left + frame.plot_w}" '
            f'y2="{zero:.1f}" stroke="#999999"/>'
        )
    return out


def _bounds(schedule: CompositeSchedule, frame: _Frame) -> list[int]:
    return [p.start_period for p in schedule.periods] + [frame.duration]


def _label(x0: float, x1: float, py: float, text: str, colour: str, *, below: bool) -> str:
    """A period's label: horizontal when the period is wide enough, upright otherwise."""
    if x1 - x0 > _WIDE:
        shift = 13 if below else -4
        return (
            f'<text x="{(x0 + x1) / 2:.1f}" y="{py + shift:.1f}" text-anchor="middle" '
            f'fill="{colour}">{text}</text>'
        )
    cx = (x0 + x1) / 2 + 3
    cy = py + 6 if below else py - 4
    anchor = "end" if below else "start"
    return (
        f'<text x="{cx:.1f}" y="{cy:.1f}" transform="rotate(-90 {cx:.1f} {cy:.1f})" '
        f'text-anchor="{anchor}" font-size="9" fill="{colour}">{text}</text>'
    )


def _composite_line(frame: _Frame, schedule: CompositeSchedule, version: OcppVersion) -> list[str]:
    out: list[str] = []
    bounds = _bounds(schedule, frame)
    zero = frame.y(0.0)
    points: list[str] = []
    unit = schedule.charging_rate_unit.value
    for index, period in enumerate(schedule.periods):
        x0, x1 = frame.x(bounds[index]), frame.x(bounds[index + 1])
        py = frame.y(period.limit)
        explanation = schedule.explanation[index] if index < len(schedule.explanation) else None
        fill = "#d6eaf8"
        if explanation is not None and explanation.kind is ExplanationKind.DEFAULT:
            fill = "#f2f3f4"
        begin = frame.start + timedelta(seconds=bounds[index])
        finish = frame.start + timedelta(seconds=bounds[index + 1])
        tip = f"{begin:%H:%M}-{finish:%H:%M}: {_num(period.limit)} {unit}"
        if explanation is not None:
            tip += f" ({explanation.describe(version)})"
        out.append(
            f'<rect x="{x0:.1f}" y="{min(py, zero):.1f}" width="{x1 - x0:.1f}" '
            f'height="{abs(zero - py):.1f}" fill="{fill}"><title>{escape(tip)}</title></rect>'
        )
        points.append(f"{x0:.1f},{py:.1f} {x1:.1f},{py:.1f}")
        out.append(_label(x0, x1, py, _num(period.limit), "#000000", below=False))
    out.append(
        f'<polyline points="{" ".join(points)}" fill="none" stroke="#1b4f72" stroke-width="2"/>'
    )
    return out


def _extras(
    frame: _Frame, schedule: CompositeSchedule
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The 2.1 setpoint and discharge limit as dashed lines, and their legend entries."""
    periods = schedule.periods
    bounds = _bounds(schedule, frame)
    series = (
        ("setpoint", "#d35400", "6 3", False, [p.setpoint for p in periods]),
        ("discharge limit", "#7d3c98", "2 3", True, [p.discharge_limit for p in periods]),
    )
    out: list[str] = []
    legend: list[tuple[str, str, str]] = []
    for name, colour, dash, below, levels in series:
        if all(v is None for v in levels):
            continue
        legend.append((name, colour, dash))
        for index, level in enumerate(levels):
            if level is None:
                continue
            x0, x1 = frame.x(bounds[index]), frame.x(bounds[index + 1])
            py = frame.y(level)
            out.append(
                f'<line x1="{x0:.1f}" y1="{py:.1f}" x2="{x1:.1f}" y2="{py:.1f}" '
                f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
            )
            out.append(_label(x0, x1, py, _num(level), colour, below=below))
    return out, legend


def _profile_lanes(
    frame: _Frame,
    schedule: CompositeSchedule,
    lanes: Sequence[InstalledProfile],
    station: Station,
    version: OcppVersion,
) -> list[str]:
    out = [
        f'<text x="{frame.left}" y="{frame.lanes_top - 12}" font-weight="bold">'
        "Profiles by purpose (caps first, then TxDefaultProfile, then TxProfile), "
        "highest stack level first within a purpose; solid where the profile sets the limit"
        "</text>"
    ]
    bounds = _bounds(schedule, frame)
    binding: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for index, explanation in enumerate(schedule.explanation):
        if explanation.binding is not None:
            key = (explanation.binding.profile_id, explanation.binding.installed_on)
            binding.setdefault(key, []).append((bounds[index], bounds[index + 1]))
    start = frame.start
    end = start + timedelta(seconds=frame.duration)
    for row, entry in enumerate(lanes):
        profile = entry.profile
        colour = _COLOURS[profile.purpose]
        ly = frame.lanes_top + row * frame.lane_h
        out.append(
            f'<text x="{frame.left - 6}" y="{ly + 12}" text-anchor="end" fill="{colour}">'
            f"#{profile.id} s{profile.stack_level}</text>"
        )
        out.append(
            f'<text x="{frame.left - 6}" y="{ly + 24}" text-anchor="end" fill="#777777" '
            f'font-size="9">{escape(evse_name(entry.evse_id, version))}</text>'
        )
        transaction = station.transaction_on(entry.evse_id or schedule.evse_id)
        session = None if transaction is None else transaction.started_at
        lane_unit = profile.schedule.charging_rate_unit.value
        name = purpose_name(profile.purpose, version)
        for span in activations(profile, now=start, end=end, session_start=session):
            s0 = (span.start - start).total_seconds()
            s1 = frame.duration if span.end is None else (span.end - start).total_seconds()
            if s1 <= 0 or s0 >= frame.duration:
                continue
            x0, x1 = frame.x(s0), frame.x(s1)
            limit = span.period.limit
            shown = "" if limit is None else f"{_num(limit)} {lane_unit}"
            tip = f"{name} #{profile.id}: {shown or 'no limit'}"
            out.append(
                f'<rect x="{x0:.1f}" y="{ly + 2}" width="{max(x1 - x0, 0.5):.1f}" height="22" '
                f'fill="{colour}" fill-opacity="0.18" stroke="{colour}" stroke-opacity="0.5">'
                f"<title>{escape(tip)}</title></rect>"
            )
            if shown and x1 - x0 > 40:
                out.append(
                    f'<text x="{(x0 + x1) / 2:.1f}" y="{ly + 17}" text-anchor="middle" '
                    f'fill="{colour}">{shown}</text>'
                )
        for s0, s1 in binding.get((profile.id, entry.evse_id), []):
            x0, x1 = frame.x(s0), frame.x(s1)
            out.append(
                f'<rect x="{x0:.1f}" y="{ly + 20}" width="{max(x1 - x0, 0.5):.1f}" height="4" '
                f'fill="{colour}"/>'
            )
    if not lanes:
        out.append(
            f'<text x="{frame.left}" y="{frame.lanes_top + 16}" fill="#777777">no profiles</text>'
        )
    return out


def _legend_purposes(
    lanes: Sequence[InstalledProfile], version: OcppVersion
) -> list[ProfilePurpose]:
    """The version's usual purposes, and any other a lane shows (1.6: no external constraints)."""
    usual = [ProfilePurpose.CHARGING_STATION_MAX, ProfilePurpose.TX_DEFAULT, ProfilePurpose.TX]
    if version is not OcppVersion.V16:
        usual.insert(1, ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS)
    shown = set(usual) | {entry.profile.purpose for entry in lanes}
    return [purpose for purpose in _ORDER if purpose in shown]


def _legend(
    frame: _Frame,
    lanes: Sequence[InstalledProfile],
    version: OcppVersion,
    extra: Sequence[tuple[str, str, str]],
) -> list[str]:
    legend_y = frame.height - 8
    lx = frame.left
    out: list[str] = []
    for purpose in _legend_purposes(lanes, version):
        name = purpose_name(purpose, version)
        out.append(
            f'<rect x="{lx}" y="{legend_y - 9}" width="10" height="10" fill="{_COLOURS[purpose]}"/>'
        )
        out.append(f'<text x="{lx + 14}" y="{legend_y}">{name}</text>')
        lx += 14 + 6 * len(name) + 14
    for name, colour, dash in extra:
        out.append(
            f'<line x1="{lx}" y1="{legend_y - 4}" x2="{lx + 18}" y2="{legend_y - 4}" '
            f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
        )
        out.append(f'<text x="{lx + 22}" y="{legend_y}">{name}</text>')
        lx += 22 + 6 * len(name) + 14
    return out
