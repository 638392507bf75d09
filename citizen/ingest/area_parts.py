"""An area too large for one campaign, cut into parts that each fit (the map kinds' "Download the area in parts":
citizen.kinds._map.views), to import part by part as campaigns or stages."""
import math

import shapely
from flask_babel import gettext as _

from citizen.ingest.areas import AreaError, _row_counts, local_grid


def split_parts(area, cell_km, max_cells=50_000, max_parts=50):
    """An area too large for one campaign at this cell size, cut into parts that each fit (`split_grid`'s own count
    of the tasks, with a margin), for separate campaigns or stages: strips across its longer side, cut where they
    hold about the same area. Cuts are placed by bisection on a simplified outline (bounded work whatever its
    vertices); each part is then cut from the area itself. Returns [lon/lat polygon], west to east or north to south.
    Raises AreaError when even `max_parts` parts would not fit (a smaller area or larger cells then)."""
    size, metric, to_lonlat = local_grid(area, cell_km)
    outline = shapely.simplify(metric, size / 4)  # where the cuts go: a few hundred vertices, not the file's
    minx, miny, maxx, maxy = metric.bounds
    across = (maxx - minx) >= (maxy - miny)  # cut across the longer side
    low, high = (minx, maxx) if across else (miny, maxy)

    def box(a, b):
        return shapely.box(a, miny, b, maxy) if across else shapely.box(minx, a, maxx, b)

    def cut(n):
        bounds, total = [low], shapely.area(outline)
        for k in range(1, n):
            lo, hi = bounds[-1], high
            for _step in range(30):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if shapely.area(shapely.intersection(outline, box(low, mid))) < total * k / n \
                    else (lo, mid)
            bounds.append(hi)
        pieces = [shapely.intersection(metric, box(a, b)) for a, b in zip(bounds, bounds[1:] + [high])]
        return [p for p in pieces if shapely.area(p) > 0]
    fits = 0.95 * max_cells
    n = max(1, math.ceil(metric.area / (0.9 * max_cells * size ** 2)))
    while n <= max_parts:
        pieces = cut(n)
        worst = max(int(_row_counts(p, size)[-1].sum()) for p in pieces)
        if worst <= fits:
            break
        n = max(n + 1, math.ceil(n * worst / fits))  # as many more parts as the largest is too large: few rounds
    else:
        raise AreaError(_("Even in %(n)d parts this area is too large at this cell size: choose larger cells.",
                          n=max_parts))
    return [shapely.transform(p, to_lonlat) for p in pieces]
