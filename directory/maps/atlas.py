"""The basemap's boundaries, read once per process from public-domain data in the repository.

``atlas/`` holds two npm packages' files unchanged (``atlas/README.md``: versions, checksums,
licences): us-atlas's ``counties-10m.json`` (US Census cartographic boundaries, 2017: counties,
states and the nation, simplified and quantised, in longitude/latitude) and world-atlas's
``countries-50m.json`` and ``countries-110m.json`` (Natural Earth 1:50m and 1:110m countries).
Both are TopoJSON: shared borders are stored once as "arcs", and polygons name the arcs around
them.

What the map draws from them:

- **land**: the United States from us-atlas (finer: lakes and bays), every other country from
  world-atlas, as rings to fill (outer rings and their holes);
- **lines**: county borders (inside a state), state borders and country borders, each an arc
  shared by two polygons; an arc with one owner is a coast, drawn as the edge of the land.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ATLAS_DIR = Path(__file__).resolve().parent / "atlas"
US_ATLAS = ATLAS_DIR / "us-atlas-3.0.1" / "counties-10m.json"
WORLD_ATLAS = ATLAS_DIR / "world-atlas-2.0.2" / "countries-50m.json"
WORLD_ATLAS_COARSE = ATLAS_DIR / "world-atlas-2.0.2" / "countries-110m.json"  # continents
UNITED_STATES = "840"  # ISO 3166 numeric, world-atlas's id for the country us-atlas draws


@dataclass(frozen=True)
class Shapes:
    """Polylines (or closed rings), concatenated: shape ``i`` is ``lon[starts[i]:starts[i+1]]``.

    ``box`` holds each shape's (west, south, east, north), so a view finds its shapes with one
    vectorised comparison.
    """

    lon: np.ndarray
    lat: np.ndarray
    starts: np.ndarray
    box: np.ndarray

    @classmethod
    def of(cls, parts: list[np.ndarray]) -> Shapes:
        parts = [part for part in parts if len(part) >= 2]
        lengths = np.array([len(part) for part in parts], dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(lengths)))
        points = np.concatenate(parts) if parts else np.zeros((0, 2))
        box = np.array(
            [(*part.min(axis=0), *part.max(axis=0)) for part in parts], dtype=np.float64
        ).reshape(-1, 4)
        return cls(points[:, 0].copy(), points[:, 1].copy(), starts, box)

    def __len__(self) -> int:
        return len(self.starts) - 1

    def within(self, west: float, south: float, east: float, north: float) -> np.ndarray:
        """The shapes whose box meets the given one (longitudes not wrapped: callers don't
        draw across the antimeridian)."""
        box = self.box
        return np.flatnonzero(
            (box[:, 0] <= east) & (box[:, 2] >= west) & (box[:, 1] <= north) & (box[:, 3] >= south)
        )


@dataclass(frozen=True)
class World:
    land: Shapes  # rings of every country but the United States
    borders: Shapes  # lines between countries


@dataclass(frozen=True)
class Atlas:
    us_land: Shapes  # rings
    counties: Shapes  # lines
    states: Shapes
    world: World  # Natural Earth 1:50m, for a region
    world_coarse: World  # 1:110m, for a continent or more


def decode_arcs(topology: dict) -> list[np.ndarray]:
    """Each arc as an (n, 2) array of longitude, latitude (delta-decoded, de-quantised)."""
    raw = topology["arcs"]
    lengths = np.array([len(arc) for arc in raw], dtype=np.int64)
    flat = np.array([point[:2] for arc in raw for point in arc], dtype=np.int64)
    running = np.cumsum(flat, axis=0)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    # Each arc's positions are deltas from its own first point: subtract what came before.
    before = np.zeros_like(running)
    before[1:] = running[:-1]
    running -= np.repeat(before[starts], lengths, axis=0)
    transform = topology.get("transform")
    points = running.astype(np.float64)
    if transform:
        points = points * transform["scale"] + transform["translate"]
    return np.split(points, np.cumsum(lengths)[:-1])


def _polygons(geometry: dict) -> list[list[list[int]]]:
    if geometry.get("type") == "Polygon":
        return [geometry["arcs"]]
    if geometry.get("type") == "MultiPolygon":
        return geometry["arcs"]
    return []


def _ring(arcs: list[np.ndarray], references: list[int]) -> np.ndarray:
    """A ring's points from its arcs (``~i``: arc ``i`` reversed), shared ends kept once."""
    parts = []
    for reference in references:
        arc = arcs[reference] if reference >= 0 else arcs[~reference][::-1]
        parts.append(arc if not parts else arc[1:])
    return np.concatenate(parts)


def _owners(arcs: list[np.ndarray], geometries: list[dict], owner) -> list[set]:
    owners: list[set] = [set() for _ in arcs]
    for geometry in geometries:
        for polygon in _polygons(geometry):
            for ring in polygon:
                for reference in ring:
                    owners[reference if reference >= 0 else ~reference].add(owner(geometry))
    return owners


def _load(path: Path) -> tuple[dict, list[np.ndarray]]:
    with open(path, encoding="utf-8") as handle:
        topology = json.load(handle)
    return topology, decode_arcs(topology)


@functools.cache
def atlas() -> Atlas:
    """The basemap, read on first use (~0.3 s) and held for the life of the process."""
    us, us_arcs = _load(US_ATLAS)

    nation = us["objects"]["nation"]["geometries"]
    us_land = [_ring(us_arcs, ring) for g in nation for poly in _polygons(g) for ring in poly]

    # A county's id is its five-digit FIPS code; the first two digits are its state's.
    county_geometries = us["objects"]["counties"]["geometries"]
    by_county = _owners(us_arcs, county_geometries, lambda g: g.get("id", ""))
    counties, states = [], []
    for arc, owners in zip(us_arcs, by_county, strict=True):
        if len(owners) < 2:
            continue  # a coast or the national border
        (states if len({owner[:2] for owner in owners}) > 1 else counties).append(arc)

    return Atlas(
        us_land=Shapes.of(us_land),
        counties=Shapes.of(counties),
        states=Shapes.of(states),
        world=_world(WORLD_ATLAS),
        world_coarse=_world(WORLD_ATLAS_COARSE),
    )


def _world(path: Path) -> World:
    topology, arcs = _load(path)
    countries = topology["objects"]["countries"]["geometries"]
    others = [g for g in countries if g.get("id") != UNITED_STATES]
    land = [_ring(arcs, ring) for g in others for polygon in _polygons(g) for ring in polygon]
    owners = _owners(arcs, countries, _country_id)
    borders = [arc for arc, held in zip(arcs, owners, strict=True) if len(held) > 1]
    return World(land=Shapes.of(land), borders=Shapes.of(borders))


def _country_id(geometry: dict) -> str:
    # A few Natural Earth units have no ISO code: their names tell them apart.
    return str(geometry.get("id") or geometry.get("properties", {}).get("name", ""))
