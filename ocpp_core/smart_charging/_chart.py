"""An SVG chart of a composite schedule and the profiles stacked under it.

A pure function from values to text: no plotting library, no I/O. The chart
has two panels over the same time axis:

* the composite limit as a step line, with the periods where the station
  default applies (no profile limits) shaded grey, and the 2.1 setpoint and
  discharge limit as dashed lines where there are any;
* one lane per profile that applies to the EVSE, grouped by purpose and ordered
  by stack level (highest first), showing the profile's periods in force in the
  window with their limits; the stretches where the profile sets the composite
  limit are drawn solid, the rest pale.

The output is deterministic (fixed number formatting, no timestamps), so
charts generated from the example scenarios can be kept in the repository and
checked for drift.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from ocpp_core.smart_charging._composite import (
    CompositeResult,
    CompositeSchedule,
    ExplanationKind,
)
from ocpp_core.smart_charging._enums import to_version
from ocpp_core.smart_charging._expand import activations
from ocpp_core.smart_charging._model import InstalledProfile, ProfilePurpose, Station
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = ["composite_svg"]

_COLOURS = {
    ProfilePurpose.CHARGING_STATION_MAX: "#c0392b",
    ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS: "#8e44ad",
    ProfilePurpose.TX_DEFAULT: "#2874a6",
    ProfilePurpose.TX: "#1e8449",
    ProfilePurpose.PRIORITY_CHARGING: "#b9770e",
    ProfilePurpose.LOCAL_GENERATION: "#7f8c8d",
}
_ORDER = list(_COLOURS)
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


def _tick_label(moment: datetime, step: int) -> str:
    if step >= 86_400:
        return moment.strftime("%m-%d")
    return moment.strftime("%H:%M")


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


def _lanes(
    entries: tuple[InstalledProfile, ...], evse_id: int, version: OcppVersion
) -> list[InstalledProfile]:
    chosen = [entry for entry in entries if _applies(entry, evse_id, version)]
    chosen.sort(
        key=lambda e: (
            _ORDER.index(e.profile.purpose),
            -e.profile.stack_level,
            e.evse_id,
            e.profile.id,
        )
    )
    return chosen


def composite_svg(
    result: CompositeResult,
    entries: tuple[InstalledProfile, ...],
    station: Station,
    *,
    version: VersionLike = OcppVersion.V201,
    title: str | None = None,
    width: int = 960,
) -> str:
    """Draw ``result`` and the profiles ``entries`` holds as an SVG document.

    Args:
        result: an accepted composite (a rejected one draws its reason only).
        entries: the installed profiles (``ProfileStore.entries``).
        station: the station (transactions anchor Relative profiles).
        version: the OCPP version (2.x ignores station-wide TxProfiles).
        title: a heading; default: the EVSE, window and unit.
        width: the width in pixels.

    Returns:
        The SVG text.
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
    return _draw(schedule, entries, station, version=chosen, title=title, width=width)


def _draw(
    schedule: CompositeSchedule,
    entries: tuple[InstalledProfile, ...],
    station: Station,
    *,
    version: OcppVersion,
    title: str | None,
    width: int,
) -> str:
    start = schedule.schedule_start
    duration = max(schedule.duration, 1)
    end = start + timedelta(seconds=duration)
    unit = schedule.charging_rate_unit.value
    left, right = 80, 20
    plot_w = width - left - right
    top = 40
    plot_h = 220
    lanes = _lanes(entries, schedule.evse_id, version)
    lane_h = 30
    lanes_top = top + plot_h + 60
    height = lanes_top + max(len(lanes), 1) * lane_h + 30

    def x(offset: float) -> float:
        return left + plot_w * min(max(offset, 0), duration) / duration

    values = [p.limit for p in schedule.periods]
    for p in schedule.periods:
        values.extend(v for v in (p.setpoint, p.discharge_limit) if v is not None)
    high = max(values)
    low = min(*values, 0.0)
    step_y = _nice_step((high - low) / 5 or 1.0)
    y_max = step_y * math.ceil(max(high, step_y) * 1.05 / step_y)
    y_min = -step_y * math.ceil(-low * 1.05 / step_y)

    def y(value: float) -> float:
        return top + plot_h - plot_h * (value - y_min) / (y_max - y_min)

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    heading = title or (
        f"Composite schedule, EVSE {schedule.evse_id}, "
        f"{start.strftime('%Y-%m-%d %H:%M')} UTC + {duration} s, in {unit}"
    )
    out.append(
        f'<text x="{left}" y="22" font-size="14" font-weight="bold">{escape(heading)}</text>'
    )
    # axes and grid
    step = next((t for t in _TICKS if duration / t <= 12), _TICKS[-1])
    first = (
        (-int(start.timestamp()) % step) if step < 86_400 else (-int(start.timestamp()) % 86_400)
    )
    tick = first
    while tick <= duration:
        px = x(tick)
        label = _tick_label(start + timedelta(seconds=tick), step)
        out.append(
            f'<line x1="{px:.1f}" y1="{top}" x2="{px:.1f}" y2="{height - 25}" stroke="#eeeeee"/>'
        )
        out.append(
            f'<text x="{px:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'fill="#555555">{label}</text>'
        )
        tick += step
    for i in range(round((y_max - y_min) / step_y) + 1):
        value = y_min + step_y * i
        py = y(value)
        out.append(
            f'<line x1="{left}" y1="{py:.1f}" x2="{left + plot_w}" y2="{py:.1f}" stroke="#eeeeee"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{py + 4:.1f}" text-anchor="end" fill="#555555">'
            f"{_num(value)}</text>"
        )
    middle = f"{top + plot_h / 2:.1f}"
    out.append(
        f'<text x="14" y="{middle}" transform="rotate(-90 14 {middle})" '
        f'text-anchor="middle">limit ({unit})</text>'
    )
    out.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#999999"/>'
    )
    # composite step line
    zero = y(0.0)
    if y_min < 0:
        out.append(
            f'<line x1="{left}" y1="{zero:.1f}" x2="{left + plot_w}" y2="{zero:.1f}" '
            'stroke="#999999"/>'
        )
    periods = schedule.periods
    bounds = [p.start_period for p in periods] + [duration]
    points: list[str] = []
    for index, period in enumerate(periods):
        x0, x1 = x(bounds[index]), x(bounds[index + 1])
        py = y(period.limit)
        explanation = schedule.explanation[index] if index < len(schedule.explanation) else None
        fill = "#d6eaf8"
        if explanation is not None and explanation.kind is ExplanationKind.DEFAULT:
            fill = "#f2f3f4"
        out.append(
            f'<rect x="{x0:.1f}" y="{min(py, zero):.1f}" width="{x1 - x0:.1f}" '
            f'height="{abs(zero - py):.1f}" fill="{fill}"/>'
        )
        points.append(f"{x0:.1f},{py:.1f} {x1:.1f},{py:.1f}")
        if x1 - x0 > 34:
            out.append(
                f'<text x="{(x0 + x1) / 2:.1f}" y="{py - 4:.1f}" text-anchor="middle">'
                f"{_num(period.limit)}</text>"
            )
    out.append(
        f'<polyline points="{" ".join(points)}" fill="none" stroke="#1b4f72" stroke-width="2"/>'
    )
    extras = (
        ("setpoint", "#d35400", "6 3", -4, [p.setpoint for p in periods]),
        ("discharge limit", "#7d3c98", "2 3", 13, [p.discharge_limit for p in periods]),
    )
    legend_extra: list[tuple[str, str, str]] = []
    for name, colour, dash, shift, series in extras:
        if all(v is None for v in series):
            continue
        legend_extra.append((name, colour, dash))
        for index, level in enumerate(series):
            if level is None:
                continue
            x0, x1 = x(bounds[index]), x(bounds[index + 1])
            py = y(level)
            out.append(
                f'<line x1="{x0:.1f}" y1="{py:.1f}" x2="{x1:.1f}" y2="{py:.1f}" '
                f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
            )
            if x1 - x0 > 34:
                out.append(
                    f'<text x="{(x0 + x1) / 2:.1f}" y="{py + shift:.1f}" text-anchor="middle" '
                    f'fill="{colour}">{_num(level)}</text>'
                )
    # profile lanes
    out.append(
        f'<text x="{left}" y="{lanes_top - 12}" font-weight="bold">'
        "Profiles (highest stack level first); solid where the profile sets the limit</text>"
    )
    binding: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for index, explanation in enumerate(schedule.explanation):
        if explanation.binding is not None:
            key = (explanation.binding.profile_id, explanation.binding.installed_on)
            binding.setdefault(key, []).append((bounds[index], bounds[index + 1]))
    for row, entry in enumerate(lanes):
        profile = entry.profile
        colour = _COLOURS[profile.purpose]
        ly = lanes_top + row * lane_h
        place = "station" if entry.evse_id == 0 else f"EVSE {entry.evse_id}"
        out.append(
            f'<text x="{left - 6}" y="{ly + 12}" text-anchor="end" fill="{colour}">'
            f"#{profile.id} s{profile.stack_level}</text>"
        )
        out.append(
            f'<text x="{left - 6}" y="{ly + 24}" text-anchor="end" fill="#777777" '
            f'font-size="9">{escape(place)}</text>'
        )
        transaction = station.transaction_on(entry.evse_id or schedule.evse_id)
        session = None if transaction is None else transaction.started_at
        spans = activations(profile, now=start, end=end, session_start=session)
        lane_unit = profile.schedule.charging_rate_unit.value
        for span in spans:
            s0 = (span.start - start).total_seconds()
            s1 = duration if span.end is None else (span.end - start).total_seconds()
            if s1 <= 0 or s0 >= duration:
                continue
            x0, x1 = x(s0), x(s1)
            out.append(
                f'<rect x="{x0:.1f}" y="{ly + 2}" width="{max(x1 - x0, 0.5):.1f}" height="22" '
                f'fill="{colour}" fill-opacity="0.18" stroke="{colour}" stroke-opacity="0.5"/>'
            )
            limit = span.period.limit
            if limit is not None and x1 - x0 > 40:
                out.append(
                    f'<text x="{(x0 + x1) / 2:.1f}" y="{ly + 17}" text-anchor="middle" '
                    f'fill="{colour}">{_num(limit)} {lane_unit}</text>'
                )
        for s0, s1 in binding.get((profile.id, entry.evse_id), []):
            x0, x1 = x(s0), x(s1)
            out.append(
                f'<rect x="{x0:.1f}" y="{ly + 20}" width="{max(x1 - x0, 0.5):.1f}" height="4" '
                f'fill="{colour}"/>'
            )
    if not lanes:
        out.append(f'<text x="{left}" y="{lanes_top + 16}" fill="#777777">no profiles</text>')
    legend_y = height - 8
    lx = left
    for purpose in _ORDER[:4]:
        out.append(
            f'<rect x="{lx}" y="{legend_y - 9}" width="10" height="10" fill="{_COLOURS[purpose]}"/>'
        )
        out.append(f'<text x="{lx + 14}" y="{legend_y}">{purpose.value}</text>')
        lx += 14 + 6 * len(purpose.value) + 14
    for name, colour, dash in legend_extra:
        out.append(
            f'<line x1="{lx}" y1="{legend_y - 4}" x2="{lx + 18}" y2="{legend_y - 4}" '
            f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
        )
        out.append(f'<text x="{lx + 22}" y="{legend_y}">{name}</text>')
        lx += 22 + 6 * len(name) + 14
    out.append("</svg>")
    return "\n".join(out) + "\n"
