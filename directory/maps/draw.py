"""Maps drawn on the server as SVG: a view, the basemap inside it, town names and markers.

No tiles, fonts, scripts or images from anyone else: the boundaries come from the repository
(``directory.maps.atlas``), the town names from our gazetteer (``Place``), the markers from the
search index's coordinate arrays. A view is a local equirectangular projection around its
centre (longitude scaled by the cosine of the latitude), true enough at the scale of a search
radius (at most 100 miles) and simple to reason about.

Coordinates are written as whole units of the SVG's viewBox (a few hundred units a side):
finer than a pixel on a phone, and short to send.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from directory.maps.atlas import Shapes, atlas
from directory.models import Place
from directory.search.geo import MILES_PER_DEGREE_LATITUDE


@dataclass(frozen=True)
class View:
    """What a map shows: ``scale`` units of the viewBox per degree of latitude around
    (``latitude``, ``longitude``), which is at the centre of a ``width`` x ``height`` box."""

    latitude: float
    longitude: float
    scale: float
    width: int
    height: int

    @classmethod
    def around(cls, latitude: float, longitude: float, miles: float, width: int, height: int):
        """A view centred on a point, ``miles`` from the centre to the nearer edge."""
        half = min(width, height) / 2
        return cls(latitude, longitude, half / (miles / MILES_PER_DEGREE_LATITUDE), width, height)

    @classmethod
    def fitting(cls, latitudes, longitudes, width: int, height: int, *, least_miles=2.0):
        """A view holding every given point, with a margin, and at least ``least_miles``
        from the centre to an edge."""
        south, north = float(np.min(latitudes)), float(np.max(latitudes))
        west, east = float(np.min(longitudes)), float(np.max(longitudes))
        latitude, longitude = (south + north) / 2, (west + east) / 2
        kx = max(math.cos(math.radians(latitude)), 0.05)
        span_y = max(north - south, 2 * least_miles / MILES_PER_DEGREE_LATITUDE)
        span_x = max((east - west) * kx, 2 * least_miles / MILES_PER_DEGREE_LATITUDE)
        scale = 0.86 * min(height / span_y, width / span_x)
        return cls(latitude, longitude, scale, width, height)

    @property
    def x_scale(self) -> float:
        return self.scale * max(math.cos(math.radians(self.latitude)), 0.05)

    @property
    def miles_per_unit(self) -> float:
        return MILES_PER_DEGREE_LATITUDE / self.scale

    def units(self, miles: float) -> float:
        """A distance on the ground as a length on the map."""
        return miles / self.miles_per_unit

    def project(self, latitudes, longitudes) -> tuple[np.ndarray, np.ndarray]:
        lon = np.asarray(longitudes, dtype=np.float64) - self.longitude
        if self.width / self.x_scale < 180:
            # A regional view may straddle the antimeridian (Fiji): take the short way round.
            # A world view does not wrap, or rings crossing it would streak across the map.
            lon = (lon + 180.0) % 360.0 - 180.0
        x = self.width / 2 + lon * self.x_scale
        y = self.height / 2 - (np.asarray(latitudes, dtype=np.float64) - self.latitude) * self.scale
        return x, y

    def bounds(self, margin: float = 0.0) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the view, ``margin`` (a fraction) wider each side."""
        half_x = self.width * (0.5 + margin) / self.x_scale
        half_y = self.height * (0.5 + margin) / self.scale
        return (
            self.longitude - half_x,
            self.latitude - half_y,
            self.longitude + half_x,
            self.latitude + half_y,
        )


# --- the basemap ---------------------------------------------------------------------------


def _points(shapes: Shapes, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The chosen shapes' points, concatenated, and where each starts."""
    starts, ends = shapes.starts[chosen], shapes.starts[chosen + 1]
    lengths = ends - starts
    index = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    index += np.arange(int(lengths.sum()))
    return shapes.lat[index], shapes.lon[index], np.concatenate(([0], np.cumsum(lengths)))


def _path(x: np.ndarray, y: np.ndarray, run_starts: np.ndarray, *, close: bool) -> str:
    """An SVG path: each run (``x[run_starts[i]:run_starts[i+1]]``) as a moveto and relative
    lines in whole units, repeated points dropped, runs of fewer than two points left out."""
    n = len(x)
    if n < 2:
        return ""
    xi, yi = np.rint(x).astype(np.int64), np.rint(y).astype(np.int64)
    starts = np.asarray(run_starts[:-1], dtype=np.int64)
    lengths = np.diff(np.asarray(run_starts, dtype=np.int64))
    run_of = np.repeat(np.arange(len(starts)), lengths)
    is_start = np.zeros(n, dtype=bool)
    is_start[starts[lengths > 0]] = True
    dx, dy = np.diff(xi, prepend=xi[0]), np.diff(yi, prepend=yi[0])
    moves = ~is_start & ((dx != 0) | (dy != 0))
    # Dropping a point that did not move leaves the next point's step as it was.
    drawn_runs = np.flatnonzero(np.bincount(run_of[moves], minlength=len(starts)) > 0)
    if not len(drawn_runs):
        return ""
    move_positions = np.flatnonzero(moves)
    steps = np.empty(2 * len(move_positions), dtype=np.int64)
    steps[0::2], steps[1::2] = dx[move_positions], dy[move_positions]
    texts = steps.astype(str).tolist()
    # Each drawn run's moves are a slice of ``move_positions``.
    first = np.searchsorted(move_positions, starts[drawn_runs])
    last = np.searchsorted(move_positions, starts[drawn_runs] + lengths[drawn_runs])
    end = "z" if close else ""
    return "".join(
        f"M{x0} {y0}l{' '.join(texts[2 * a : 2 * b])}{end}"
        for x0, y0, a, b in zip(
            xi[starts[drawn_runs]].tolist(),
            yi[starts[drawn_runs]].tolist(),
            first.tolist(),
            last.tolist(),
            strict=True,
        )
    )


def _lines(shapes: Shapes, view: View) -> str:
    """Polylines clipped to the view: a segment is kept when its box meets the view (with a
    margin), so a long straight border crossing the view is drawn though both ends are out."""
    west, south, east, north = view.bounds(0.05)
    chosen = shapes.within(west, south, east, north)
    if not len(chosen):
        return ""
    lat, lon, starts = _points(shapes, chosen)
    x, y = view.project(lat, lon)
    lo, hi = -0.05 * view.width, 1.05 * view.width
    top, bottom = -0.05 * view.height, 1.05 * view.height
    # Segment i joins point i and i + 1 (never across two shapes).
    x0, x1, y0, y1 = x[:-1], x[1:], y[:-1], y[1:]
    meets = (
        (np.minimum(x0, x1) <= hi) & (np.maximum(x0, x1) >= lo)
        & (np.minimum(y0, y1) <= bottom) & (np.maximum(y0, y1) >= top)
    )  # fmt: skip
    last_of_shape = np.zeros(len(x), dtype=bool)
    last_of_shape[starts[1:] - 1] = True
    meets &= ~last_of_shape[:-1]
    keep = np.zeros(len(x), dtype=bool)
    keep[:-1] |= meets
    keep[1:] |= meets
    # A new run wherever a kept point does not continue a kept segment.
    continues = np.zeros(len(x), dtype=bool)
    continues[1:] = meets
    run_starts = np.flatnonzero(keep & ~continues)
    kept = np.flatnonzero(keep)
    # Renumber the run starts as positions among the kept points.
    run_positions = np.searchsorted(kept, run_starts)
    return _path(x[kept], y[kept], np.append(run_positions, len(kept)), close=False)


def _clip_ring(x: np.ndarray, y: np.ndarray, box: tuple[float, float, float, float]):
    """Sutherland-Hodgman against a rectangle, one edge at a time, vectorised: each polygon
    edge emits its crossing point (if it crosses) and then its end point (if inside)."""
    for axis, value, keep_above in ((0, box[0], True), (0, box[2], False),
                                    (1, box[1], True), (1, box[3], False)):  # fmt: skip
        if len(x) < 3:
            return x[:0], y[:0]
        v = x if axis == 0 else y
        inside = v >= value if keep_above else v <= value
        if inside.all():
            continue
        nx, ny, nv, next_inside = (
            np.roll(x, -1),
            np.roll(y, -1),
            np.roll(v, -1),
            np.roll(inside, -1),
        )
        crosses = inside != next_inside
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(crosses, (value - v) / (nv - v), 0.0)
        cx, cy = x + t * (nx - x), y + t * (ny - y)
        if axis == 0:
            cx = np.where(crosses, value, cx)
        else:
            cy = np.where(crosses, value, cy)
        emit = np.stack([crosses, next_inside], axis=1).ravel()
        x = np.stack([cx, nx], axis=1).ravel()[emit]
        y = np.stack([cy, ny], axis=1).ravel()[emit]
    return x, y


def _land(shapes: Shapes, view: View) -> str:
    west, south, east, north = view.bounds(0.05)
    chosen = shapes.within(west, south, east, north)
    if not len(chosen):
        return ""
    # Rings smaller than a unit or two at this scale (islands, at a continent's) are left out.
    boxes = shapes.box[chosen]
    corners_x, corners_y = view.project(boxes[:, [1, 3]], boxes[:, [0, 2]])
    visible = (np.ptp(corners_x, axis=1) >= 2.0) | (np.ptp(corners_y, axis=1) >= 2.0)
    chosen = chosen[visible]
    if not len(chosen):
        return ""
    margin = 4.0
    box = (-margin, -margin, view.width + margin, view.height + margin)
    lat, lon, starts = _points(shapes, chosen)
    x, y = view.project(lat, lon)
    # A ring inside the box is drawn as it is; only the others are clipped.
    heads = starts[:-1]
    inside = (
        (np.minimum.reduceat(x, heads) >= box[0]) & (np.maximum.reduceat(x, heads) <= box[2])
        & (np.minimum.reduceat(y, heads) >= box[1]) & (np.maximum.reduceat(y, heads) <= box[3])
    )  # fmt: skip
    xs, ys, lengths = [], [], []
    for ring, (begin, end) in enumerate(zip(heads.tolist(), starts[1:].tolist(), strict=True)):
        rx, ry = x[begin:end], y[begin:end]
        if not inside[ring]:
            rx, ry = _clip_ring(rx, ry, box)
        if len(rx) >= 3:
            xs.append(rx)
            ys.append(ry)
            lengths.append(len(rx))
    if not xs:
        return ""
    run_starts = np.concatenate(([0], np.cumsum(lengths)))
    return _path(np.concatenate(xs), np.concatenate(ys), run_starts, close=True)


@dataclass
class Basemap:
    world_land: str
    us_land: str
    counties: str
    states: str
    countries: str


COARSE_MILES_PER_UNIT = 4.0  # beyond this (a continent in the view), 1:110m is fine enough


@functools.lru_cache(maxsize=64)  # a popular place's map is drawn once (at most ~4 MB held)
def basemap(view: View) -> Basemap:
    drawn = atlas()
    world = drawn.world_coarse if view.miles_per_unit > COARSE_MILES_PER_UNIT else drawn.world
    # County lines only where a county is a small part of the view: at 100 miles they are a mesh.
    detailed = view.miles_per_unit * min(view.width, view.height) < 120
    # State lines while a state is more than a few units across.
    states = view.miles_per_unit < 2 * COARSE_MILES_PER_UNIT
    return Basemap(
        world_land=_land(world.land, view),
        us_land=_land(drawn.us_land, view),
        counties=_lines(drawn.counties, view) if detailed else "",
        states=_lines(drawn.states, view) if states else "",
        countries=_lines(world.borders, view),
    )


# --- town names ----------------------------------------------------------------------------


@dataclass
class Town:
    name: str
    label: str  # "Evanston, IL": what a search near it is called
    latitude: float
    longitude: float
    x: int = 0  # where it is in the view (whole units)
    y: int = 0
    label_y: int = 0  # its name's baseline: above the dot, or below it where that is taken


TOWN_FONT = 15  # viewBox units: the size the stylesheet gives the labels
MARKER_CLEARANCE = 20  # the largest marker's radius: a name this far off its dot clears it


def towns_in(view: View, *, limit: int = 40) -> list[Town]:
    """The most populous gazetteer towns inside the view, largest first."""
    west, south, east, north = view.bounds(-0.02)
    # Only towns big enough to matter at this scale: fewer rows for the database to sort.
    across = view.miles_per_unit * min(view.width, view.height)
    smallest = next(
        (
            people
            for miles, people in ((25, 1), (60, 10_000), (150, 25_000), (600, 100_000))
            if across < miles
        ),
        500_000,
    )
    rows = (
        Place.objects.filter(
            kind=Place.Kind.CITY,
            population__gte=smallest,
            latitude__gte=south,
            latitude__lte=north,
            longitude__gte=west,
            longitude__lte=east,
        )
        .order_by("-population", "name")
        .values_list("name", "region_name", "country", "latitude", "longitude")[:limit]
    )
    towns = [
        Town(name, Place(name=name, region_name=region, country=country).label, lat, lon)
        for name, region, country, lat, lon in rows
    ]
    if towns:
        x, y = view.project([t.latitude for t in towns], [t.longitude for t in towns])
        for town, tx, ty in zip(towns, np.rint(x).tolist(), np.rint(y).tolist(), strict=True):
            town.x, town.y = int(tx), int(ty)
    return towns


def _text_box(x: float, y: float, text: str, size: float) -> tuple[float, float, float, float]:
    width = 0.56 * size * len(text) + 4
    return (x - width / 2, y - size - 6, x + width / 2, y + 2)


def place_labels(towns: list[Town], view: View, avoid: list, *, most: int) -> list[Town]:
    """Town names that fit: largest first, none over another or over ``avoid`` boxes, none
    cut by the edge."""
    placed: list[Town] = []
    taken = np.array(avoid, dtype=np.float64).reshape(-1, 4)
    for town in towns:
        # Just above its dot, else just below, else clear of a marker drawn on the dot (a
        # listing placed at its town's centre).
        for label_y in (
            town.y - 6,
            town.y + TOWN_FONT + 6,
            town.y - MARKER_CLEARANCE - 3,
            town.y + MARKER_CLEARANCE + TOWN_FONT + 7,
        ):
            box = _text_box(town.x, label_y, town.name, TOWN_FONT)
            inside = 2 <= box[0] and 2 <= box[1] and box[2] <= view.width - 2
            if not (inside and box[3] <= view.height - 2):
                continue
            overlaps = (
                (box[0] < taken[:, 2]) & (taken[:, 0] < box[2])
                & (box[1] < taken[:, 3]) & (taken[:, 1] < box[3])
            )  # fmt: skip
            if not overlaps.any():
                break
        else:
            continue
        town.label_y = label_y
        placed.append(town)
        taken = np.vstack([taken, box])
        if len(placed) >= most:
            break
    return placed


# --- markers -------------------------------------------------------------------------------


@dataclass
class Marker:
    x: int  # whole units of the view
    y: int
    members: np.ndarray  # positions in the search index, nearest (or first) first
    approximate: bool  # every member's place is approximate (its town or postcode)
    one_place: bool  # every member at the same coordinates
    nearest_miles: float | None = None
    # Filled by the caller: a link, a name, what a cluster zooms to.
    href: str = ""
    title: str = ""
    label: str = ""  # written on a single marker (the handout's numbers)
    number: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.members)


def cluster(
    x: np.ndarray,
    y: np.ndarray,
    positions: np.ndarray,
    approximate: np.ndarray,
    order: np.ndarray,
    cell: float,
) -> list[Marker]:
    """Markers for points that would overlap: one per ``cell``-sized square of the view,
    drawn at its points' mean, its members in ``order`` (ascending: e.g. distance).

    Markers are returned in reading order: the one holding the first point of ``order``
    first, and so on.
    """
    if not len(x):
        return []
    # Each point's cell as one small integer (a view is a few dozen cells a side), so the
    # stable sort that groups them is a radix sort: no full sort of every point by order.
    column = np.floor(x / cell).astype(np.int64)
    row = np.floor(y / cell).astype(np.int64)
    column -= column.min()
    row -= row.min()
    key = column * (int(row.max()) + 1) + row
    if key.max() < np.iinfo(np.int16).max:
        key = key.astype(np.int16)
    by_cell = np.argsort(key, kind="stable")
    sorted_keys = key[by_cell]
    heads = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    ends = np.append(heads[1:], len(by_cell))
    xs, ys, orders = x[by_cell], y[by_cell], order[by_cell]
    counts = ends - heads
    mean_x = np.add.reduceat(xs, heads) / counts
    mean_y = np.add.reduceat(ys, heads) / counts
    spread = np.maximum(
        np.maximum.reduceat(xs, heads) - np.minimum.reduceat(xs, heads),
        np.maximum.reduceat(ys, heads) - np.minimum.reduceat(ys, heads),
    )
    approximate_all = np.logical_and.reduceat(approximate[by_cell], heads)
    nearest = np.minimum.reduceat(orders, heads)
    markers = []
    # Reading order: by each marker's nearest point (ties: the earlier point).
    for k in np.lexsort((by_cell[heads], nearest)).tolist():
        members = by_cell[heads[k] : ends[k]]
        if len(members) > 1:
            members = members[np.argsort(order[members], kind="stable")]
        markers.append(
            Marker(
                x=round(float(mean_x[k])),
                y=round(float(mean_y[k])),
                members=positions[members],
                approximate=bool(approximate_all[k]),
                one_place=bool(spread[k] < 0.5),
            )
        )
    return markers


def merge_overlapping(markers: list[Marker], radius, order: np.ndarray) -> list[Marker]:
    """One marker where two would overlap by more than a third of their size (grid cells
    split points that lie close on either side of a line): the bigger keeps its place, moved
    towards the smaller by their counts, and takes its members. ``radius(count)`` is a
    marker's drawn radius; ``order`` ranks the members (as ``cluster``'s).

    Kept markers are found through a coarse grid of their own, so each marker is compared
    with its few neighbours, not with every marker kept so far."""
    if len(markers) < 2:
        return markers
    sizes = {m.count: radius(m.count) for m in markers}
    reach_most = 2 * max(sizes.values())
    grid: dict[tuple[int, int], list[Marker]] = {}
    kept: list[Marker] = []
    for marker in sorted(markers, key=lambda m: -m.count):
        cx, cy = int(marker.x // reach_most), int(marker.y // reach_most)
        into, nearest = None, float("inf")
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for other in grid.get((cx + dx, cy + dy), ()):
                    gap = math.hypot(other.x - marker.x, other.y - marker.y)
                    reach = radius(other.count) + sizes[marker.count]
                    if gap < reach * 2 / 3 and gap < nearest:
                        into, nearest = other, gap
        if into is None:
            kept.append(marker)
            grid.setdefault((cx, cy), []).append(marker)
            continue
        total = into.count + marker.count
        into.x = round((into.x * into.count + marker.x * marker.count) / total)
        into.y = round((into.y * into.count + marker.y * marker.count) / total)
        members = np.concatenate([into.members, marker.members])
        into.members = members[np.argsort(order[members], kind="stable")]
        into.approximate = into.approximate and marker.approximate
        into.one_place = False
    # Reading order again: by each marker's nearest member.
    return sorted(kept, key=lambda m: (float(order[m.members[0]]), int(m.members[0])))


def scale_bar(view: View, *, target_units: float = 120) -> tuple[float, str]:
    """A round distance about ``target_units`` long on the map: (its length in units, miles)."""
    miles = target_units * view.miles_per_unit
    steps = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000]
    best = max([s for s in steps if s <= miles] or [steps[0]])
    return round(view.units(best)), f"{best:g}"
