"""Spatial consensus: turn many volunteers' marks on one task into the features most of them agree on.

Modelled on Zooniverse's aggregation-for-caesar: points are clustered with DBSCAN, shapes by overlap.
Input is one answer per contributor, ``[(contributor_key, FeatureCollection), ...]``; features are Points or
Polygons in lon/lat degrees (``metric="lonlat"``) or image pixels (``metric="pixel"``). Everything is measured in a
planar frame (metres or pixels), so ``eps`` and IoU mean the same thing at every latitude. Pure Python: no Flask,
no database. Known limit: lon/lat tasks that straddle the antimeridian are not handled.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import pdist
from shapely.geometry import shape as to_shape
from shapely.geometry.base import BaseGeometry
from scipy.spatial import cKDTree
from sklearn.cluster import AgglomerativeClustering

Key = str | int
Marks = list[tuple[Key, dict]]
METRICS = ("lonlat", "pixel")
OUTLINE_DETAIL = {"lonlat": 0.5 / 111_320.0, "pixel": 0.5}  # about half a metre in degrees; half a pixel
SIMPLIFY = 0.1  # metres (lon/lat) or pixels: outline detail below this is dropped before comparing shapes
SPREAD_FACTOR = 2.0  # a point cluster wider than SPREAD_FACTOR * eps is split again (chaining guard)
M_PER_DEG_LON_AT_EQUATOR = 111_320.0
M_PER_DEG_LAT = 110_540.0


@dataclass(frozen=True)
class Cluster:
    """One consensus feature: its geometry in the task's own coordinates (rounded), the distinct contributors
    behind it (input order) and its agreement in 0..1."""
    kind: str
    geometry: BaseGeometry
    members: tuple[Key, ...]
    agreement: float

    @property
    def support(self) -> int:
        return len(self.members)


class _Frame:
    """Affine map between task coordinates and a planar frame.

    Pixels are used as they are. Lon/lat is projected equirectangularly around the task's mean position:
    x = (lon - lon0) * cos(lat0) * 111320, y = (lat - lat0) * 110540 (metres). A task covers a few km at most, where
    this is within ~1% of the true distance -- plenty for a 10 m eps or an IoU -- and it needs no pyproj.
    Subtracting the origin keeps the numbers small so shapely's overlay stays precise."""

    def __init__(self, metric: str, coords: np.ndarray):
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, not {metric!r}")
        self.digits = 7 if metric == "lonlat" else 1
        self.origin, self.scale = np.zeros(2), np.ones(2)
        if metric == "lonlat" and len(coords):
            self.origin = coords.mean(axis=0)
            self.scale = np.array([math.cos(math.radians(self.origin[1])) * M_PER_DEG_LON_AT_EQUATOR, M_PER_DEG_LAT])

    def fwd(self, xy: np.ndarray) -> np.ndarray:
        return (np.asarray(xy, dtype=float) - self.origin) * self.scale

    def back(self, geom: BaseGeometry) -> BaseGeometry:
        """A planar geometry back in task coordinates, rounded (7 decimals for lon/lat, 0.1 pixel); polygon rings
        follow GeoJSON's right-hand rule (exterior counter-clockwise)."""
        geom = shapely.transform(geom, lambda c: np.round(c / self.scale + self.origin, self.digits))
        return shapely.orient_polygons(geom, exterior_cw=False)


def _prepare(marks: Marks, metric: str):
    """Parse every contributor's collection, skipping anything malformed. Returns the frame, the contributor keys
    (distinct, input order), points as (contributor index, planar xy) and valid polygons likewise."""
    keys: dict[Key, int] = {}
    raw_points, raw_polys = [], []
    for key, collection in marks or []:
        owner = keys.setdefault(key, len(keys))
        features = collection.get("features") if isinstance(collection, dict) else None
        for feature in features if isinstance(features, list) else []:
            geometry = feature.get("geometry") if isinstance(feature, dict) else None
            if not isinstance(geometry, dict):
                continue
            try:
                if geometry.get("type") == "Point":
                    xy = np.array(geometry["coordinates"][:2], dtype=float)
                    if xy.shape == (2,) and np.isfinite(xy).all():
                        raw_points.append((owner, xy))
                elif geometry.get("type") == "Polygon" and len(geometry.get("coordinates") or ()) == 1:
                    # One ring (what marks.clean_marks stores), built from an array: a tenth of shape()'s time.
                    ring = np.asarray(geometry["coordinates"][0], dtype=float)
                    if ring.ndim != 2 or ring.shape[0] < 4 or ring.shape[1] < 2:
                        continue
                    raw_polys.append((owner, shapely.polygons(ring[:, :2])))
                elif geometry.get("type") in ("Polygon", "MultiPolygon"):
                    poly = shapely.force_2d(to_shape(geometry))
                    if np.isfinite(shapely.get_coordinates(poly)).all():
                        raw_polys.append((owner, poly))
            except (KeyError, TypeError, ValueError, IndexError, shapely.errors.ShapelyError):
                continue
    coords = [xy for _, xy in raw_points] + [c for _, p in raw_polys for c in shapely.get_coordinates(p)]
    frame = _Frame(metric, np.array(coords).reshape(-1, 2))
    points = [(owner, frame.fwd(xy)) for owner, xy in raw_points]
    polys = []
    planar = np.array([shapely.transform(poly, frame.fwd) for _, poly in raw_polys], dtype=object)
    # Vertices closer than SIMPLIFY to the outline drawn change nothing a consensus could tell apart (a tenth of
    # a metre or pixel): dropping them bounds the overlay work of dense outlines (hundreds of vertices a mark).
    # Douglas-Peucker on the whole array at once; an outline it would make invalid keeps its vertices.
    simple = shapely.simplify(planar, SIMPLIFY, preserve_topology=False) if len(planar) else planar
    for (owner, _poly), full, light in zip(raw_polys, planar, simple):
        if full.is_empty or not full.is_valid or full.area <= 0:  # degenerate or self-crossing: skipped
            continue
        polys.append((owner, light if light is not None and not light.is_empty and light.is_valid
                      and light.area > 0 else full))
    return frame, list(keys), points, polys


def point_clusters(marks: Marks, *, metric: str = "lonlat", eps_m: float = 10.0, eps_px: float = 25.0,
                   min_support: int = 2, prepared=None) -> list[Cluster]:
    """Cluster the Point marks of one task; keep clusters marked by at least ``min_support`` distinct contributors.

    DBSCAN (min_samples=1, so every point is a core point; computed as connected components) runs on a neighbour graph in which points of the SAME
    contributor are never linked: a volunteer's own clicks join a cluster only through other volunteers, so one
    person clicking all the way between two buildings cannot merge them. Density can still chain through several
    contributors (A-B-C-D each eps apart), so a cluster whose diameter exceeds ``SPREAD_FACTOR * eps`` is split
    again with complete-linkage clustering, which guarantees each part is at most that wide.
    Position: each contributor's points in the cluster are averaged into one representative, and the consensus is
    the per-axis median of the representatives (robust to one sloppy click). Agreement = support / contributors on
    the task (everyone in ``marks``, including those who marked nothing)."""
    frame, keys, points, _ = prepared or _prepare(marks, metric)
    eps = eps_m if metric == "lonlat" else eps_px
    if eps <= 0:
        raise ValueError("eps must be positive")
    if not points:
        return []
    owner = np.array([o for o, _ in points])
    xy = np.array([p for _, p in points])
    n = len(points)
    # DBSCAN with min_samples=1 is exactly the connected components of the eps-neighbour graph; scipy does
    # that directly, without scikit-learn's per-call thread start-up (~50 ms for a task's handful of points).
    pairs = cKDTree(xy).query_pairs(eps, output_type="ndarray")
    pairs = pairs[owner[pairs[:, 0]] != owner[pairs[:, 1]]] if len(pairs) else pairs.reshape(0, 2)
    graph = csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _count, labels = connected_components(graph, directed=False)

    clusters = []
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        groups = [idx]
        if len(idx) > 1 and pdist(xy[idx]).max() > SPREAD_FACTOR * eps:
            parts = AgglomerativeClustering(n_clusters=None, linkage="complete",
                                            distance_threshold=SPREAD_FACTOR * eps).fit_predict(xy[idx])
            groups = [idx[parts == p] for p in np.unique(parts)]
        for group in groups:
            who = list(dict.fromkeys(owner[group].tolist()))
            if len(who) < max(min_support, 1):
                continue
            reps = np.array([xy[group[owner[group] == o]].mean(axis=0) for o in who])
            clusters.append(Cluster("point", frame.back(shapely.Point(np.median(reps, axis=0))),
                                    tuple(keys[o] for o in sorted(who)), round(len(who) / len(keys), 4)))
    return sorted(clusters, key=lambda c: (-c.support, c.geometry.x, c.geometry.y))


def _iou_matrix(geoms: np.ndarray) -> np.ndarray:
    """Pairwise intersection-over-union; only pairs whose envelopes meet are computed (STRtree)."""
    n = len(geoms)
    iou = np.eye(n)
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    i, j = i[i < j], j[i < j]
    if len(i):
        inter = shapely.area(shapely.intersection(geoms[i], geoms[j]))
        areas = shapely.area(geoms)
        iou[i, j] = iou[j, i] = inter / (areas[i] + areas[j] - inter)
    return iou


def _majority_area(geoms: np.ndarray) -> BaseGeometry | None:
    """The area covered by a strict majority (more than half) of ``geoms``, or None if that is not one polygon.

    The members' boundaries are noded and polygonized into faces; a face is kept when more than half of the
    members contain a point inside it."""
    need = len(geoms) // 2 + 1
    lines = shapely.union_all(shapely.boundary(geoms))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    if not len(faces):
        return None
    inside = shapely.point_on_surface(faces)
    votes = shapely.contains(geoms[:, None], inside[None, :]).sum(axis=0)
    area = shapely.simplify(shapely.union_all(faces[votes >= need]), 0)  # drops collinear face vertices
    return area if isinstance(area, shapely.Polygon) and area.area > 0 else None


def polygon_clusters(marks: Marks, *, metric: str = "lonlat", iou_threshold: float = 0.3,
                     min_support: int = 2, prepared=None) -> list[Cluster]:
    """Cluster the Polygon marks of one task by overlap; keep groups drawn by >= ``min_support`` contributors.

    Two polygons from DIFFERENT contributors are linked when their IoU (in the planar frame) is >= ``iou_threshold``
    (and > 0); groups are the connected components. A contributor counts once per group: if they drew several
    polygons in it, the one with the best mean IoU to the other contributors' polygons is kept.
    Consensus shape: the area covered by a strict majority of the kept polygons (for two members their intersection,
    for three the parts at least two agree on); if that is empty or in several pieces, the medoid (the member with
    the highest mean IoU to the others) is used instead. Agreement = mean pairwise IoU of the kept polygons."""
    frame, keys, _, polys = prepared or _prepare(marks, metric)
    if not polys:
        return []
    owner = np.array([o for o, _ in polys])
    geoms = np.array([g for _, g in polys], dtype=object)
    iou = _iou_matrix(geoms)
    link = (iou >= iou_threshold) & (iou > 0) & (owner[:, None] != owner[None, :])
    _, labels = connected_components(csr_matrix(link), directed=False)

    clusters = []
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        chosen = []
        for o in dict.fromkeys(owner[idx].tolist()):
            mine, others = idx[owner[idx] == o], idx[owner[idx] != o]
            score = iou[np.ix_(mine, others)].mean(axis=1) if len(others) else np.zeros(len(mine))
            chosen.append(mine[int(np.argmax(score))])
        if len(chosen) < max(min_support, 1):
            continue
        k = len(chosen)
        sub = iou[np.ix_(chosen, chosen)]
        agreement = (sub.sum() - k) / (k * (k - 1)) if k > 1 else 1.0
        medoid = geoms[chosen[int(np.argmax(sub.sum(axis=1)))]]
        consensus = _majority_area(geoms[chosen]) if k > 1 else None
        clusters.append(Cluster("polygon", frame.back(consensus or medoid),
                                tuple(keys[o] for o in sorted(owner[chosen].tolist())), round(float(agreement), 4)))
    return sorted(clusters, key=lambda c: (-c.support, c.geometry.centroid.x, c.geometry.centroid.y))


def consensus_features(marks: Marks, *, metric: str = "lonlat", eps_m: float = 10.0, eps_px: float = 25.0,
                       min_support: int = 2, iou_threshold: float = 0.3) -> dict:
    """The consensus of one task's marks as a GeoJSON FeatureCollection (points first, then polygons).

    Each feature's properties: ``kind`` ("point" | "polygon"), ``support`` (distinct contributors behind it),
    ``agreement`` (0..1: support share for points, mean pairwise IoU for polygons) and ``contributors`` (how many
    contributors answered the task, counting those who marked nothing). Contributor keys are deliberately not
    included, so the result can be published; use point_clusters / polygon_clusters for the members."""
    prepared = _prepare(marks, metric)  # parsed once for both
    clusters = (point_clusters(marks, metric=metric, eps_m=eps_m, eps_px=eps_px, min_support=min_support,
                               prepared=prepared)
                + polygon_clusters(marks, metric=metric, iou_threshold=iou_threshold, min_support=min_support,
                                   prepared=prepared))
    contributors = len({key for key, _ in marks or []})
    # What is published is drawn at a precision people draw at: outline detail under OUTLINE_DETAIL (half a metre,
    # or half a pixel) is dropped (coordinates keep their rounding), so that a task's result stays small whatever was drawn.
    detail = OUTLINE_DETAIL[metric]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(shapely.to_geojson(
            shapely.simplify(c.geometry, detail, preserve_topology=True))),  # keeps a subset of the vertices
         "properties": {"kind": c.kind, "support": c.support, "agreement": c.agreement, "contributors": contributors}}
        for c in clusters]}
