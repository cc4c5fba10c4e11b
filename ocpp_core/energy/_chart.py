"""An SVG chart of a plan: each EVSE's power stacked under the grid connection's limit.

The grid connection's base load (if any) is the grey band at the bottom; the
EVSEs that charge are stacked on it, so the top of the stack is the site's import
and stays under the dashed limit. EVSEs that discharge (V2G) are stacked below
zero; the black line is then the site's net power (base load plus EVSEs) and the
dashed purple line the export limit (its negative).
"""

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


def _root_load_w(site: Site, plan: Plan, offset: int) -> float:
    start = plan.start + timedelta(seconds=offset)
    load = site.root.load_at(start, start + timedelta(seconds=plan.slot_s))
    if load is None:
        return 0.0
    if load.power_w is not None:
        return load.power_w
    return 0.0 if load.current_a is None else sum(load.current_a) * site.voltage


def plan_svg(plan: Plan, site: Site, *, title: str | None = None) -> str:
    """The plan as an SVG document: stacked per-EVSE grid power, the site limit as a line.

    The grid connection's base load is drawn under the EVSEs; discharging EVSEs
    (V2G) are drawn below zero with the site's net power and the export limit.

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
    base = [_root_load_w(site, plan, k * plan.slot_s) for k in range(slots)]
    # Charging stacks start on the base load; discharging stacks go down from 0.
    ups = [list(base)]
    downs = [[0.0] * slots]
    for evse_plan in plan.evses:
        up, down = list(ups[-1]), list(downs[-1])
        for k in range(slots):
            value = evse_plan.at(k * plan.slot_s).power_w
            if value >= 0.0:
                up[k] += value
            else:
                down[k] += value
        ups.append(up)
        downs.append(down)
    discharging = any(v < 0.0 for v in downs[-1])
    net = [ups[-1][k] + downs[-1][k] for k in range(slots)]
    limits = [_root_limit_w(site, plan, k * plan.slot_s) for k in range(slots)]
    export = site.root.export_limit_w if discharging else None
    top_value = max([*ups[-1], *(v for v in limits if v is not None), 1.0])
    bottom_value = min([0.0, *downs[-1], *([] if export is None else [-export])])
    low, high = bottom_value * 1.08, top_value * 1.08
    span = high - low
    scale_y = inner_h / span
    scale_x = inner_w / max(1, slots)

    def x(k: int) -> float:
        return left + k * scale_x

    def y(value: float) -> float:
        return top + inner_h - (value - low) * scale_y

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="24" font-size="15">'
        f"{escape(title or 'Plan from ' + plan.start.isoformat())}</text>",
    ]

    def band(lower: list[float], upper: list[float], colour: str, label: str) -> None:
        points = []
        for k in range(slots):
            points.append(f"{x(k):.1f},{y(upper[k]):.1f}")
            points.append(f"{x(k + 1):.1f},{y(upper[k]):.1f}")
        for k in reversed(range(slots)):
            points.append(f"{x(k + 1):.1f},{y(lower[k]):.1f}")
            points.append(f"{x(k):.1f},{y(lower[k]):.1f}")
        parts.append(
            f'<polygon points="{" ".join(points)}" fill="{colour}" fill-opacity="0.85" '
            f'stroke="{colour}"><title>{escape(label)}</title></polygon>'
        )

    legend: list[tuple[str, str, str | None]] = []
    if any(base):
        band([0.0] * slots, base, "#c7c7c7", "base load")
        legend.append(("#c7c7c7", "base load", None))
    for index, evse_plan in enumerate(plan.evses):
        label = f"{evse_plan.station_id}#{evse_plan.evse_id}"
        colour = _COLOURS[index % len(_COLOURS)]
        drawn = False
        if any(ups[index + 1][k] != ups[index][k] for k in range(slots)):
            band(ups[index], ups[index + 1], colour, label)
            drawn = True
        if any(downs[index + 1][k] != downs[index][k] for k in range(slots)):
            band(downs[index + 1], downs[index], colour, f"{label} discharging")
            drawn = True
        if drawn:
            legend.append((colour, label, None))

    def line(values: list[float | None], colour: str, dash: str | None, label: str) -> None:
        segments = [
            f"M{x(k):.1f},{y(v):.1f} H{x(k + 1):.1f}" for k, v in enumerate(values) if v is not None
        ]
        if not segments:
            return
        style = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<path d="{" ".join(segments)}" stroke="{colour}" stroke-width="2"{style} '
            f'fill="none"><title>{escape(label)}</title></path>'
        )
        legend.append((colour, label, dash or ""))

    line(list(limits), "#d62728", "6 3", "grid connection limit")
    if discharging:
        line(list(net), "#222222", None, "site net power")
        if export is not None:
            line([-export] * slots, "#7d3c98", "2 3", "export limit")
    for step in range(5):
        value = low + span * step / 4
        parts.append(
            f'<text x="{left - 8}" y="{y(value) + 4:.1f}" text-anchor="end">'
            f"{value / 1000:.0f} kW</text>"
        )
        parts.append(
            f'<line x1="{left}" x2="{left + inner_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#ddd"/>'
        )
    for index, (colour, label, dash) in enumerate(legend[:25]):
        legend_y = top + 14 * index
        if dash is None:
            parts.append(
                f'<rect x="{width - right + 16}" y="{legend_y}" width="10" height="10" '
                f'fill="{colour}"/>'
            )
        else:
            style = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<line x1="{width - right + 12}" x2="{width - right + 28}" '
                f'y1="{legend_y + 5}" y2="{legend_y + 5}" stroke="{colour}" '
                f'stroke-width="2"{style}/>'
            )
        parts.append(f'<text x="{width - right + 32}" y="{legend_y + 9}">{escape(label)}</text>')
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
        f'<line x1="{left}" x2="{left + inner_w}" y1="{y(0.0):.1f}" y2="{y(0.0):.1f}" '
        'stroke="#333"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
