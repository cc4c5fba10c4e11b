"""An SVG chart of a plan: each EVSE's power stacked under the grid connection's limit."""

from __future__ import annotations

from datetime import timedelta
from xml.sax.saxutils import escape

from ocpp_core.energy._model import Site
from ocpp_core.energy._results import Plan

__all__ = ["plan_svg"]

_COLOURS = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


def _root_limit_w(site: Site, plan: Plan, offset: int) -> float | None:
    root = site.root
    start = plan.start + timedelta(seconds=offset)
    limit = root.limit_at(start, start + timedelta(seconds=plan.slot_s))
    values = []
    if limit.power_w is not None:
        values.append(limit.power_w)
    if limit.current_a is not None:
        values.append(sum(limit.current_a) * site.voltage)
    for external in site.external_limits:
        if external.scope.value != "site":
            continue
        value = external.schedule.at(start)
        if value is not None and value.power_w is not None:
            values.append(value.power_w)
        if value is not None and value.current_a is not None:
            values.append(sum(value.current_a) * site.voltage)
    return min(values) if values else None


def plan_svg(plan: Plan, site: Site, *, title: str | None = None) -> str:
    """The plan as an SVG document: stacked per-EVSE grid power, the site limit as a line.

    Args:
        plan: the plan.
        site: the site it was made for.
        title: a title (default: the plan start).
    """
    width, height = 900, 420
    left, right, top, bottom = 70, 200, 40, 50
    inner_w = width - left - right
    inner_h = height - top - bottom
    slots = plan.slots
    stacks = [[0.0] * (slots + 1) for _ in range(len(plan.evses) + 1)]
    for index, evse_plan in enumerate(plan.evses):
        for k in range(slots):
            stacks[index + 1][k] = stacks[index][k] + evse_plan.at(k * plan.slot_s).power_w
    limits = [_root_limit_w(site, plan, k * plan.slot_s) for k in range(slots)]
    top_value = max(
        [stacks[-1][k] for k in range(slots)] + [v for v in limits if v is not None] + [1.0]
    )
    scale_y = inner_h / (top_value * 1.08)
    scale_x = inner_w / max(1, slots)

    def x(k: int) -> float:
        return left + k * scale_x

    def y(value: float) -> float:
        return top + inner_h - value * scale_y

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="24" font-size="15">'
        f"{escape(title or 'Plan from ' + plan.start.isoformat())}</text>",
    ]
    for index, evse_plan in enumerate(plan.evses):
        lower, upper = stacks[index], stacks[index + 1]
        if all(upper[k] == lower[k] for k in range(slots)):
            continue
        points = []
        for k in range(slots):
            points.append(f"{x(k):.1f},{y(upper[k]):.1f}")
            points.append(f"{x(k + 1):.1f},{y(upper[k]):.1f}")
        for k in reversed(range(slots)):
            points.append(f"{x(k + 1):.1f},{y(lower[k]):.1f}")
            points.append(f"{x(k):.1f},{y(lower[k]):.1f}")
        colour = _COLOURS[index % len(_COLOURS)]
        parts.append(
            f'<polygon points="{" ".join(points)}" fill="{colour}" fill-opacity="0.85" '
            f'stroke="{colour}"><title>{escape(evse_plan.station_id)}#{evse_plan.evse_id}'
            "</title></polygon>"
        )
        legend_y = top + 14 * (index % 25)
        parts.append(
            f'<rect x="{width - right + 16}" y="{legend_y}" width="10" height="10" '
            f'fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{width - right + 32}" y="{legend_y + 9}">'
            f"{escape(evse_plan.station_id)}#{evse_plan.evse_id}</text>"
        )
    segments = []
    for k, value in enumerate(limits):
        if value is not None:
            segments.append(f"M{x(k):.1f},{y(value):.1f} H{x(k + 1):.1f}")
    if segments:
        parts.append(
            f'<path d="{" ".join(segments)}" stroke="#d62728" stroke-width="2" '
            'stroke-dasharray="6 3" fill="none"><title>grid connection limit</title></path>'
        )
    for step in range(5):
        value = top_value * 1.08 * step / 4
        parts.append(
            f'<text x="{left - 8}" y="{y(value) + 4:.1f}" text-anchor="end">'
            f"{value / 1000:.0f} kW</text>"
        )
        parts.append(
            f'<line x1="{left}" x2="{left + inner_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#ddd"/>'
        )
    hours = plan.horizon_s / 3600
    ticks = max(1, int(hours // 8) or 1)
    for h in range(0, int(hours) + 1, ticks):
        px = left + h * 3600 / plan.slot_s * scale_x
        stamp = (plan.start + timedelta(hours=h)).strftime("%H:%M")
        parts.append(
            f'<text x="{px:.1f}" y="{top + inner_h + 18}" text-anchor="middle">{stamp}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + inner_h}" stroke="#333"/>'
        f'<line x1="{left}" x2="{left + inner_w}" y1="{top + inner_h}" y2="{top + inner_h}" '
        'stroke="#333"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
