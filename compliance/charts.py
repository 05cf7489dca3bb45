"""Charts served by PortalGov itself as inline SVG: no script, no CDN, no inline style (the CSP forbids
it; SVG presentation attributes are not styles). Readable printed and without colour: each series has
its own line pattern and marker shape and is labelled directly, and every chart has a text summary and
a data table for screen readers."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from xml.sax.saxutils import escape  # nosec B406 -- escape() escapes text we write into SVG; nothing is parsed

from django.utils.safestring import SafeString, mark_safe

# Dark enough to print; told apart by pattern and marker, not by hue alone.
STYLES = [
    {"stroke": "#1b3a5c", "dash": "", "marker": "circle"},
    {"stroke": "#8a2d0f", "dash": "6 4", "marker": "square"},
    {"stroke": "#3d5a1e", "dash": "2 3", "marker": "triangle"},
]


@dataclass
class Series:
    label: str
    points: list[tuple[datetime.date, float | None]]


def _marker(kind: str, x: float, y: float, stroke: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="#fff" stroke="{stroke}" stroke-width="1.5"/>'
    if kind == "triangle":
        return (f'<polygon points="{x:.1f},{y - 4:.1f} {x + 4:.1f},{y + 3:.1f} {x - 4:.1f},{y + 3:.1f}" '
                f'fill="#fff" stroke="{stroke}" stroke-width="1.5"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#fff" stroke="{stroke}" stroke-width="1.5"/>'


def _nice_max(value: float) -> float:
    if value <= 4:
        return 4
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return step * 4
    return value


def line_chart(series: list[Series], *, title: str, unit: str = "", width: int = 560, height: int = 170,
               fixed_max: float | None = None) -> SafeString:
    left, right, top, bottom = 40, 110, 12, 26
    days = sorted({d for s in series for d, v in s.points if v is not None})
    values = [v for s in series for _, v in s.points if v is not None]
    if not days:
        return mark_safe(f'<p class="muted">{escape(title)}: no snapshot yet.</p>')  # noqa: S308  (escaped)  # nosec -- mark_safe: the text in it is escaped
    ymax = fixed_max or _nice_max(max(values) if values else 1)
    span = max((days[-1] - days[0]).days, 1)
    plot_w, plot_h = width - left - right, height - top - bottom

    def xy(day, value):
        return (left + plot_w * (day - days[0]).days / span, top + plot_h * (1 - (value or 0) / ymax))

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(title, {chr(34): "&quot;"})}" xmlns="http://www.w3.org/2000/svg">']
    for i in range(5):  # grid and y labels
        v = ymax * i / 4
        y = top + plot_h * (1 - i / 4)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d4d9" '
                     f'stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#333">'
                     f'{v:g}{escape(unit)}</text>')
    parts.append(f'<text x="{left}" y="{height - 6}" font-size="11" fill="#333">{days[0]:%Y-%m-%d}</text>')
    parts.append(f'<text x="{left + plot_w}" y="{height - 6}" text-anchor="end" font-size="11" fill="#333">'
                 f'{days[-1]:%Y-%m-%d}</text>')
    step = max(len(days) // 12, 1)  # a marker about every week on a quarter's chart
    for n, s in enumerate(series):
        style = STYLES[n % len(STYLES)]
        pts = [(d, v) for d, v in s.points if v is not None]
        if not pts:
            continue
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(d, v) for d, v in pts))
        dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{style["stroke"]}" stroke-width="2"{dash}/>')
        for i, (d, v) in enumerate(pts):
            if i % step == 0 or i == len(pts) - 1:
                parts.append(_marker(style["marker"], *xy(d, v), style["stroke"]))
        x, y = xy(*pts[-1])
        parts.append(f'<text x="{x + 8:.1f}" y="{y + 4 + 12 * n:.1f}" font-size="11" fill="{style["stroke"]}">'
                     f'{escape(s.label)}: {pts[-1][1]:g}{escape(unit)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every text in it is escaped above)  # nosec -- mark_safe: every text in it is escaped above


def sparkline(points: list[tuple[datetime.date, float | None]], *, label: str) -> SafeString:
    pts = [(d, v) for d, v in points if v is not None]
    if len(pts) < 2:
        return mark_safe('<span class="muted">—</span>')  # nosec -- mark_safe: the text in it is escaped
    width, height = 96, 22
    vmax = max(v for _, v in pts) or 1
    span = max((pts[-1][0] - pts[0][0]).days, 1)
    coords = [(2 + (width - 6) * (d - pts[0][0]).days / span, 2 + (height - 4) * (1 - v / vmax)) for d, v in pts]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    first, last = pts[0][1], pts[-1][1]
    trend = "down" if last < first else "up" if last > first else "level"
    text = f"{label}: {trend} from {first:g} to {last:g} since {pts[0][0]:%Y-%m-%d}"
    x, y = coords[-1]
    return mark_safe(  # noqa: S308  (escaped)  # nosec -- mark_safe: the text in it is escaped
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(text, {chr(34): "&quot;"})}" xmlns="http://www.w3.org/2000/svg">'
        f'<polyline points="{line}" fill="none" stroke="#1b3a5c" stroke-width="1.5"/>'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#1b3a5c"/></svg>')
