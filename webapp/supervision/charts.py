"""Charts drawn as inline SVG on the server, so report pages need no JavaScript and print as they show."""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

FONT = 'font-family="sans-serif" font-size="12"'
GRID = "#e3e3e3"
COLOURS = ("#9b1c1c", "#1f5fbf", "#2e7d32", "#e0b000")


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" aria-label="{escape(title)}"><title>{escape(title)}</title>')
    return Markup(head + "".join(body) + "</svg>")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def bar_chart(items: Sequence[tuple[str, float | None]], title: str, width: int = 640) -> Markup:
    """Horizontal bars of rates between 0 and 1, one per label (e.g. on-time rate per department)."""
    left, right, row, top = 190, 60, 26, 10
    height = top * 2 + row * max(len(items), 1)
    span = width - left - right
    body = [f'<line x1="{left + span * t / 4:.1f}" y1="{top}" x2="{left + span * t / 4:.1f}" '
            f'y2="{height - top}" stroke="{GRID}"/>' for t in range(5)]
    for n, (name, value) in enumerate(items):
        y = top + n * row
        body.append(f'<text x="{left - 6}" y="{y + 17}" text-anchor="end" {FONT}>{escape(name[:16])}</text>')
        if value is not None:
            body.append(f'<rect class="bar" x="{left}" y="{y + 5}" width="{span * max(0.0, min(value, 1.0)):.1f}" '
                        f'height="{row - 10}" fill="{COLOURS[0] if value < 0.9 else COLOURS[2]}"/>')
        body.append(f'<text x="{left + span + 4}" y="{y + 17}" {FONT}>{_percent(value)}</text>')
    if not items:
        body.append(f'<text x="{left}" y="{top + 17}" {FONT}>—</text>')
    return _svg(width, height, title, body)


def line_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], title: str,
               percent: bool = False, width: int = 640, height: int = 240) -> Markup:
    """One line per series over the labels (weeks or months); gaps where a value is None."""
    left, right, top, bottom = 50, 40, 24, 40
    values = [v for _, vs in series for v in vs if v is not None]
    top_value = 1.0 if percent else 4.0 * math.ceil(max(values + [1.0]) / 4)  # whole-number ticks
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(labels) - 1, 1)

    def point(n: int, value: float) -> str:
        return f"{left + n * step:.1f},{top + plot_h * (1 - value / top_value):.1f}"

    body = []
    for t in range(5):
        y = top + plot_h * t / 4
        tick = top_value * (1 - t / 4)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>'
                    f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" {FONT}>'
                    f'{_percent(tick) if percent else f"{tick:.0f}"}</text>')
    every = max(1, len(labels) // 8)
    for n, name in enumerate(labels):
        if n % every == 0:
            body.append(f'<text x="{left + n * step:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                        f'{FONT}>{escape(name)}</text>')
    for k, (name, vs) in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        for run in _runs(vs):
            body.append(f'<polyline class="line" fill="none" stroke="{colour}" stroke-width="2" '
                        f'points="{" ".join(point(n, v) for n, v in run)}"/>')
            body += [f'<circle cx="{point(n, v).split(",")[0]}" cy="{point(n, v).split(",")[1]}" r="3" '
                     f'fill="{colour}"/>' for n, v in run]
        body.append(f'<text x="{left + 8 + 120 * k}" y="14" fill="{colour}" {FONT}>{escape(name)}</text>')
    return _svg(width, height, title, body)


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Consecutive (index, value) runs without None, so a missing bucket breaks the line."""
    runs: list[list[tuple[int, float]]] = [[]]
    for n, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((n, float(value)))
    return [run for run in runs if run]
