"""Accessible line charts rendered on the server as inline SVG (no JavaScript, no CDN).

``line_chart_svg(...)`` returns an ``<svg role="img" aria-labelledby="<id>-title <id>-desc">`` with a
``<title>`` and a ``<desc>`` (what the chart shows and its range), axes with ticks and their units, one
``<circle class="point">`` (first series) or ``<rect class="point">`` (second series: shape, not only
colour, tells them apart) per value, each with its own ``<title>`` (date or age, value, unit), and optional
reference curves and bands (growth percentiles). Pages follow each chart with a data table (WCAG 1.1.1).

All text is escaped; the output is well-formed XML (tests parse it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 320
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 48, 16, 56
SERIES_COLOURS = ("#000091", "#c9191e")  # DSFR "bleu France" and "rouge Marianne"


@dataclass(frozen=True)
class Series:
    """One measured series: ``points`` are (x, y), x a datetime (time charts) or a number (age)."""

    name: str
    points: Sequence[tuple[datetime | float, float]]
    labels: Sequence[str] = ()  # one accessible label per point (defaults to "x : y")


@dataclass(frozen=True)
class Curve:
    """A reference curve (a percentile), drawn thin and labelled at its right end."""

    name: str
    points: Sequence[tuple[float, float]]
    emphasis: bool = False


@dataclass(frozen=True)
class Band:
    """A shaded area between two reference curves (e.g. P3–P97)."""

    lower: Sequence[tuple[float, float]]
    upper: Sequence[tuple[float, float]]
    opacity: float = 0.12


@dataclass(frozen=True)
class Axis:
    label: str  # includes the unit, e.g. "Poids (kg)"
    format_tick: Callable[[float], str] = field(default=lambda v: _format_number(v))


def _format_number(value: float) -> str:
    """A tick label: no useless decimals, decimal comma in French."""
    from django.utils.translation import get_language

    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if (get_language() or "fr").startswith("en") else text.replace(".", ",")


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round ticks covering [low, high] (steps of 1, 2, 2.5 or 5 × 10^k)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def _as_number(x: datetime | float) -> float:
    if isinstance(x, datetime):
        return x.astimezone(UTC).timestamp()
    return float(x)


def _time_ticks(low: float, high: float) -> list[float]:
    """Up to 6 evenly spaced instants between the first and the last point."""
    if high - low < 1:
        return [low]
    steps = 5
    return [low + (high - low) * i / steps for i in range(steps + 1)]


def line_chart_svg(
    *,
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[Series],
    x_axis: Axis,
    y_axis: Axis,
    time_axis: bool = True,
    curves: Sequence[Curve] = (),
    bands: Sequence[Band] = (),
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
) -> SafeString:
    """The chart as inline SVG markup (safe to insert in a template)."""
    xs = [_as_number(x) for s in series for x, _y in s.points]
    ys = [float(y) for s in series for _x, y in s.points]
    for curve in curves:
        xs += [float(x) for x, _y in curve.points]
        ys += [float(y) for _x, y in curve.points]
    for band in bands:
        ys += [float(y) for _x, y in (*band.lower, *band.upper)]
    if x_range is not None:
        xs += list(x_range)
    if not xs:
        xs, ys = [0.0, 1.0], [0.0, 1.0]
    x_low, x_high = min(xs), max(xs)
    if x_high - x_low < 1e-9:
        pad = 86400.0 if time_axis else 1.0
        x_low, x_high = x_low - pad, x_high + pad
    if y_range is not None:
        y_low, y_high = y_range
    else:
        y_low, y_high = min(ys), max(ys)
        spread = (y_high - y_low) or max(abs(y_high) * 0.1, 1.0)
        y_low, y_high = y_low - spread * 0.1, y_high + spread * 0.1
    y_ticks = nice_ticks(y_low, y_high)
    y_low, y_high = min(y_ticks[0], y_low), max(y_ticks[-1], y_high)
    x_ticks = _time_ticks(x_low, x_high) if time_axis else nice_ticks(x_low, x_high, 7)
    if not time_axis:
        x_low, x_high = min(x_ticks[0], x_low), max(x_ticks[-1], x_high)

    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def px(x: float) -> float:
        return round(MARGIN_LEFT + (x - x_low) / (x_high - x_low) * plot_w, 2)

    def py(y: float) -> float:
        return round(MARGIN_TOP + plot_h - (y - y_low) / (y_high - y_low) * plot_h, 2)

    cid = escape(chart_id)
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="carnet-chart" id="{cid}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'preserveAspectRatio="xMidYMid meet" width="100%" focusable="false">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(description)}</desc>',
        f'<rect x="{MARGIN_LEFT}" y="{MARGIN_TOP}" width="{plot_w}" height="{plot_h}" fill="#ffffff" '
        'stroke="#dddddd"/>',
    ]
    # grid and ticks
    out.append('<g class="y-axis" font-size="11" fill="#3a3a3a" aria-hidden="true">')
    for tick in y_ticks:
        if y_low - 1e-9 <= tick <= y_high + 1e-9:
            y = py(tick)
            out.append(
                f'<line x1="{MARGIN_LEFT}" y1="{y}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y}" stroke="#eeeeee"/>'
                f'<text x="{MARGIN_LEFT - 6}" y="{y + 4}" text-anchor="end">'
                f"{escape(y_axis.format_tick(tick))}</text>"
            )
    out.append(
        f'<text x="14" y="{MARGIN_TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {MARGIN_TOP + plot_h / 2})">{escape(y_axis.label)}</text></g>'
    )
    out.append('<g class="x-axis" font-size="11" fill="#3a3a3a" aria-hidden="true">')
    for tick in x_ticks:
        if x_low - 1e-9 <= tick <= x_high + 1e-9:
            x = px(tick)
            out.append(
                f'<line x1="{x}" y1="{MARGIN_TOP + plot_h}" x2="{x}" y2="{MARGIN_TOP + plot_h + 5}" '
                'stroke="#666666"/>'
                f'<text x="{x}" y="{MARGIN_TOP + plot_h + 18}" text-anchor="middle">'
                f"{escape(x_axis.format_tick(tick))}</text>"
            )
    out.append(
        f'<text x="{MARGIN_LEFT + plot_w / 2}" y="{HEIGHT - 8}" text-anchor="middle">'
        f"{escape(x_axis.label)}</text></g>"
    )
    out.append(
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP + plot_h}" x2="{WIDTH - MARGIN_RIGHT}" '
        f'y2="{MARGIN_TOP + plot_h}" stroke="#666666" aria-hidden="true"/>'
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" y2="{MARGIN_TOP + plot_h}" '
        'stroke="#666666" aria-hidden="true"/>'
    )
    # reference bands and curves
    if bands or curves:
        out.append('<g class="reference" aria-hidden="true">')
        for band in bands:
            outline = [*band.lower, *reversed(band.upper)]
            points = " ".join(f"{px(float(x))},{py(float(y))}" for x, y in outline)
            out.append(
                f'<polygon class="band" points="{points}" fill="#000091" fill-opacity="{band.opacity}"/>'
            )
        for curve in curves:
            if not curve.points:
                continue
            points = " ".join(f"{px(float(x))},{py(float(y))}" for x, y in curve.points)
            width = "1.6" if curve.emphasis else "0.9"
            out.append(
                f'<polyline class="curve" points="{points}" fill="none" stroke="#6a6a6a" '
                f'stroke-width="{width}"/>'
            )
            last_x, last_y = curve.points[-1]
            out.append(
                f'<text x="{px(float(last_x)) + 4}" y="{py(float(last_y)) + 4}" font-size="10" '
                f'fill="#3a3a3a">{escape(curve.name)}</text>'
            )
        out.append("</g>")
    # measured series
    for index, s in enumerate(series):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        ordered = sorted(
            zip(s.points, s.labels or [""] * len(s.points), strict=False), key=lambda p: _as_number(p[0][0])
        )
        out.append(f'<g class="series" data-series="{escape(s.name)}">')
        if len(ordered) > 1:
            points = " ".join(f"{px(_as_number(pt[0]))},{py(float(pt[1]))}" for pt, _label in ordered)
            out.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2" aria-hidden="true"/>'
            )
        for (at, value), label in ordered:
            cx, cy = px(_as_number(at)), py(float(value))
            text = escape(label or f"{s.name} : {_format_number(float(value))}")
            if index % 2 == 0:
                out.append(
                    f'<circle class="point" cx="{cx}" cy="{cy}" r="4" fill="{colour}"><title>{text}</title></circle>'
                )
            else:
                out.append(
                    f'<rect class="point" x="{cx - 4}" y="{cy - 4}" width="8" height="8" fill="{colour}">'
                    f"<title>{text}</title></rect>"
                )
        out.append("</g>")
    if len(series) > 1:
        out.append('<g class="legend" font-size="11" fill="#3a3a3a" aria-hidden="true">')
        for index, s in enumerate(series):
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            lx = MARGIN_LEFT + 8 + index * 150
            marker = (
                f'<circle cx="{lx}" cy="{MARGIN_TOP + 10}" r="4" fill="{colour}"/>'
                if index % 2 == 0
                else f'<rect x="{lx - 4}" y="{MARGIN_TOP + 6}" width="8" height="8" fill="{colour}"/>'
            )
            out.append(f'{marker}<text x="{lx + 8}" y="{MARGIN_TOP + 14}">{escape(s.name)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def date_tick_formatter(values_span: timedelta) -> Callable[[float], str]:
    """Ticks as short dates ("10 déc. 2025"; "10 déc. 19 h 42" for a span under two days), in the service's
    time zone and the page's language (``carnet.common.dates``)."""
    from carnet.common import dates

    def fmt(value: float) -> str:
        moment = datetime.fromtimestamp(value, tz=UTC)
        if values_span < timedelta(days=2):
            return dates.format_short_moment(moment)
        return dates.format_short_day(moment)

    return fmt
