"""Bar charts drawn on the server as inline SVG: no script, nothing to download, readable by screen
readers (role="img" named by its <title> and <desc>) and always paired with a table of the same numbers."""
import math

from markupsafe import Markup

WIDTH, HEIGHT = 480, 200
LEFT, RIGHT, TOP, BOTTOM = 36, 6, 10, 26
BAR, GRID, INK = "#0b5d3b", "#d5dbe0", "#4a5561"
MAX_LABELS = 7


def nice_scale(value, most=5):
    """(top, step) of a count axis: whole steps of 1, 2 or 5 x 10^k, at most `most` of them, reaching value."""
    value = max(value, 4)
    power = 1
    while True:
        for m in (1, 2, 5):
            step = m * power
            n = math.ceil(value / step)
            if n <= most:
                return n * step, step
        power *= 10


def _fmt(n):
    return f"{n:,}".replace(",", "\u202f") if n >= 10_000 else str(int(n))


def bar_chart(points, chart_id, title, description, every=None):
    """points: [(short label, long label, value)]. Returns {"svg": Markup, "rows": [(long label, value)],
    "total", "title", "description", "id"} for the chart macro in engagement/_macros.html."""
    n = max(len(points), 1)
    top, step = nice_scale(max([p[2] for p in points] or [0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    band = plot_w / n
    bar_w = max(1.0, band * 0.72)
    every = every or max(1, math.ceil(n / MAX_LABELS))
    parts = [Markup('<svg class="chart" id="{id}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-t {id}-d" '
                    'focusable="false" xmlns="http://www.w3.org/2000/svg">').format(id=chart_id, w=WIDTH, h=HEIGHT),
             Markup('<title id="{}-t">{}</title><desc id="{}-d">{}</desc>').format(chart_id, title, chart_id,
                                                                                   description)]
    for value in range(0, top + 1, step):  # grid lines and the y axis labels
        y = TOP + plot_h - plot_h * value / top
        parts.append(Markup('<line x1="{x1}" x2="{x2}" y1="{y:.1f}" y2="{y:.1f}" stroke="{c}" stroke-width="1"/>'
                            '<text x="{tx}" y="{ty:.1f}" text-anchor="end" font-size="11" fill="{ink}">{v}</text>')
                     .format(x1=LEFT, x2=WIDTH - RIGHT, y=y, c=GRID, tx=LEFT - 4, ty=y + 4, ink=INK, v=_fmt(value)))
    for i, (short, long, value) in enumerate(points):
        h = plot_h * value / top if top else 0
        x = LEFT + i * band + (band - bar_w) / 2
        if value:
            parts.append(Markup('<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{c}">'
                                '<title>{label}: {v}</title></rect>')
                         .format(x=x, y=TOP + plot_h - h, w=bar_w, h=max(h, 1.0), c=BAR, label=long, v=_fmt(value)))
        if i % every == 0:
            parts.append(Markup('<text x="{x:.1f}" y="{y}" text-anchor="middle" font-size="11" fill="{ink}">{t}</text>')
                         .format(x=LEFT + i * band + band / 2, y=HEIGHT - 8, ink=INK, t=short))
    parts.append(Markup('<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="{ink}" stroke-width="1"/></svg>')
                 .format(x1=LEFT, x2=WIDTH - RIGHT, y=TOP + plot_h, ink=INK))
    return {"svg": Markup("").join(parts), "rows": [(long, value) for _short, long, value in points],
            "total": sum(p[2] for p in points), "title": title, "description": description,
            "id": chart_id}
