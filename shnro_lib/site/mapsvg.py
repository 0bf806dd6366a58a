"""A map of schools without tiles: points (by category, colourblind-safe) over the hull of all points, inline
SVG.

Coordinates are projected equirectangularly with the longitude scaled by the cosine of the mean
latitude (true enough for a region); the grey outline is the convex hull of the schools drawn, not a
boundary from outside data.  Each point is a link to the school's page with its name and category as
the tooltip (``<title>``); every text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies
CATEGORY_COLOURS = {
    "ШНРО": "#D55E00",
    "ШНСУ": "#0072B2",
    "ШНРО и ШНСУ": "#CC79A7",
    "зона риска": "#E69F00",
    "нет": "#999999",
}
OTHER_COLOUR = "#F0E442"
# the legend's words for a category that is not self-explanatory on a map
LEGEND_RU = {"нет": "не выявлена", "—": "не оценено"}
WIDTH, PAD = 760, 14


def _hull(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Convex hull (Andrew's monotone chain), counter-clockwise."""
    p = sorted(set(pts))
    if len(p) < 3:
        return p

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    upper: list[tuple[float, float]] = []
    for q in p:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], q) <= 0:
            lower.pop()
        lower.append(q)
    for q in reversed(p):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], q) <= 0:
            upper.pop()
        upper.append(q)
    return lower[:-1] + upper[:-1]


def colour(category: str) -> str:
    """The colour of a category on the map and in its legend."""
    return CATEGORY_COLOURS.get(category, OTHER_COLOUR)


def map_html(records: Sequence[Mapping[str, Any]], root: str = "", caption: str = "") -> Markup:
    """The map of the records that have coordinates (empty markup when none has).

    Parameters
    ----------
    records : school records of :func:`shnro_lib.site.school_records` (``n``, ``k``, ``h``, ``lat``, ``lon``).
    root : prefix from the page to the site root (the records' links are relative to the root).
    caption : a Russian caption under the map.
    """
    pts = [r for r in records if r.get("lat") is not None and r.get("lon") is not None]
    if not pts:
        return Markup("")
    lat0 = sum(r["lat"] for r in pts) / len(pts)
    kx = math.cos(math.radians(lat0))
    xs = [r["lon"] * kx for r in pts]
    ys = [-r["lat"] for r in pts]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    span = max(x1 - x0, y1 - y0, 1e-6)
    scale = (WIDTH - 2 * PAD) / max(x1 - x0, span * 0.25)
    height = int(round((y1 - y0) * scale + 2 * PAD))
    height = max(height, 120)

    def xy(i: int) -> tuple[float, float]:
        return round(PAD + (xs[i] - x0) * scale, 1), round(PAD + (ys[i] - y0) * scale, 1)

    coords = [xy(i) for i in range(len(pts))]
    hull = _hull(coords)
    parts = [f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="Карта школ">']
    if len(hull) >= 3:
        parts.append('<polygon class="hull" points="' + " ".join(f"{x},{y}" for x, y in hull) + '"/>')
    # listed schools drawn last so they stay on top of the others
    order = sorted(
        range(len(pts)), key=lambda i: (pts[i]["k"] in CATEGORY_COLOURS and pts[i]["k"] != "нет", pts[i]["c"])
    )
    counts: dict[str, int] = {}
    for i in order:
        r = pts[i]
        counts[r["k"]] = counts.get(r["k"], 0) + 1
        x, y = coords[i]
        rad = 3.2 if r["k"] == "нет" else 4.6
        tip = escape(f"{r['n']} — {LEGEND_RU.get(r['k'], r['k'])}")
        dot = (
            f'<circle cx="{x}" cy="{y}" r="{rad}" fill="{colour(r["k"])}" data-code="{escape(r["c"])}">'
            f"<title>{tip}</title></circle>"
        )
        parts.append(f'<a href="{escape(root + r["h"])}">{dot}</a>' if r.get("h") else dot)
    parts.append("</svg>")
    known = [k for k in CATEGORY_COLOURS if k in counts] + sorted(
        k for k in counts if k not in CATEGORY_COLOURS
    )
    legend = "".join(
        f'<li><i style="background:{colour(k)}"></i>{escape(LEGEND_RU.get(k, k))}: {counts[k]}</li>'
        for k in known
    )
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return Markup(
        f'<figure class="site-map">{"".join(parts)}<ul class="map-legend">{legend}</ul>{cap}</figure>'
    )
