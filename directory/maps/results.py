"""The maps the pages show: a search's results (``/find/?view=map``, the handout) and a
listing's locator. Each is a ``Drawing`` the template ``includes/map.html`` writes as SVG."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote_plus

import numpy as np
from django.http import QueryDict
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.maps.draw import (
    Basemap,
    Marker,
    Town,
    View,
    basemap,
    cluster,
    merge_overlapping,
    place_labels,
    scale_bar,
    towns_in,
)
from directory.models import Listing
from directory.search import geo

SIZE = 560  # the results map's viewBox: square, so a search's circle fills it; drawn at
# most 560 px wide, and about 360 on a phone, where its text is still 9-10 px
CELL = 48  # markers closer than this (about 30 px on a phone) are drawn as one
LOCATOR_WIDTH, LOCATOR_HEIGHT, LOCATOR_MILES = 420, 280, 6
PLACE_LIST_NAMES = 12  # names listed under the map for a group that cannot be zoomed into


@dataclass
class Drawing:
    view: View
    base: Basemap
    towns: list[Town]
    markers: list[Marker] = field(default_factory=list)
    origin: tuple[float, float] | None = None
    origin_label: str = ""
    radius_units: float | None = None
    bar_units: float = 0.0
    bar_label: str = ""
    summary: str = ""
    groups: list[Marker] = field(default_factory=list)  # listed under the map by name

    @property
    def width(self) -> int:
        return self.view.width

    @property
    def height(self) -> int:
        return self.view.height

    @property
    def placed(self) -> int:
        return sum(marker.count for marker in self.markers)

    def markers_svg(self) -> str:
        """The markers as SVG, in reading order: links (``<a>``) with a ``<title>`` as their
        accessible name, or plain groups where there is nowhere to go. Written here rather
        than in the template: a map holds up to a few hundred markers, and a template loop
        with a dozen lookups each cost ~10 ms a page."""
        out = []
        for m in self.markers:
            grouped = m.count > 1
            written = m.label or (_short_count(m.count) if grouped else "")
            classes = "m" + (" m-group" if grouped else "") + (" m-approx" if m.approximate else "")
            opening = f'<a href="{escape(m.href)}"' if m.href else "<g"
            text = f'<text x="{m.x}" y="{m.y}">{escape(written)}</text>' if written else ""
            out.append(
                f'{opening} class="{classes}" data-count="{m.count}"><title>{escape(m.title)}'
                f'</title><circle cx="{m.x}" cy="{m.y}" r="{_radius(written)}"/>{text}'
                f"{'</a>' if m.href else '</g>'}"
            )
        return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped or a number

    def towns_svg(self) -> str:
        return mark_safe(  # noqa: S308 - names escaped, positions are numbers
            "".join(
                f'<circle class="map-town-dot" cx="{t.x}" cy="{t.y}" r="2.5"/>'
                f'<text class="map-town" x="{t.x}" y="{t.label_y}">{escape(t.name)}</text>'
                for t in self.towns
            )
        )


def _short_count(count: int) -> str:
    """A group's count as its marker writes it: "8", "240", "1.2k", "12k" (its title gives
    the exact number)."""
    if count < 1000:
        return str(count)
    if count < 10_000:
        return f"{count / 1000:.1f}k".replace(".0k", "k")
    return f"{count // 1000}k"


def _radius(written: str) -> int:
    return 11 if not written else 14 + 2 * len(written)


def _count_radius(count: int) -> int:
    return _radius(_short_count(count) if count > 1 else "")


def _labelled(drawing: Drawing, *, most: int) -> None:
    """Town names where they fit between the markers and the searched place."""
    avoid = []
    for m in drawing.markers:
        r = _radius(m.label or (_short_count(m.count) if m.count > 1 else ""))
        avoid.append((m.x - r, m.y - r, m.x + r, m.y + r))
    if drawing.origin is not None:
        x, y = drawing.origin
        avoid.append((x - 12, y - 12, x + 12, y + 12))
    bar = (8, drawing.height - 30, 24 + drawing.bar_units + 60, drawing.height)
    avoid.append(bar)
    drawing.towns = place_labels(drawing.towns, drawing.view, avoid, most=most)


def _bar(drawing: Drawing) -> None:
    units, miles = scale_bar(drawing.view, target_units=drawing.width / 5)
    drawing.bar_units = units
    count = float(miles)
    # "25", "0.5" (or "0,5" in Spanish): the page's number format.
    written = (
        number_format(int(count))
        if count.is_integer()
        else number_format(count, decimal_pos=2).rstrip("0")
    )
    drawing.bar_label = ngettext("%(miles)s mile", "%(miles)s miles", 1 if count == 1 else 2) % {
        "miles": written
    }


def _names(ids: list[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    return {
        pk: (name, slug)
        for pk, name, slug in Listing.objects.published()
        .filter(pk__in=ids)
        .order_by()
        .values_list("pk", "name", "slug")
    }


def _listing_urls():
    """A listing's address from its slug, in the page's language (/es/resources/... on
    Spanish pages): one ``reverse`` for a map's few hundred markers."""
    placeholder = "slug-placeholder"
    pattern = reverse("directory:listing-detail", args=[placeholder])
    head, tail = pattern.split(placeholder)
    return lambda slug: f"{head}{slug}{tail}"


def _nearest_towns(towns: list[Town], markers: list[Marker]) -> list[Town | None]:
    """The town nearest each marker (on the map), or None without towns."""
    if not towns or not markers:
        return [None] * len(markers)
    tx = np.array([t.x for t in towns], dtype=np.float64)
    ty = np.array([t.y for t in towns], dtype=np.float64)
    mx = np.array([m.x for m in markers], dtype=np.float64)[:, None]
    my = np.array([m.y for m in markers], dtype=np.float64)[:, None]
    nearest = np.argmin((tx - mx) ** 2 + (ty - my) ** 2, axis=1)
    return [towns[i] for i in nearest.tolist()]


def _zoom_radius(radius: int | None) -> int | None:
    """The radius a group's marker zooms to: the next smaller one (the widest without a
    place); None at the smallest, where a group is listed under the map instead."""
    if radius is None:
        return max(geo.RADIUS_CHOICES)
    smaller = [r for r in geo.RADIUS_CHOICES if r < radius]
    return smaller[-1] if smaller else None


def _miles(value: float) -> str:
    return _("%(miles)s mi") % {"miles": number_format(round(value, 1), decimal_pos=1)}


def _search_area(origin, radius, latitudes, longitudes) -> Drawing:
    """A search's map before its markers: the searched place and its circle, with a margin,
    or (without a place) the extent of the points to draw."""
    if origin is not None and radius:
        view = View.around(origin.latitude, origin.longitude, radius * 1.08, SIZE, SIZE)
    else:
        view = View.fitting(latitudes, longitudes, SIZE, SIZE)
    drawing = Drawing(view=view, base=basemap(view), towns=towns_in(view))
    if origin is not None and radius:
        x, y = view.project([origin.latitude], [origin.longitude])
        drawing.origin = (round(float(x[0])), round(float(y[0])))
        drawing.origin_label = origin.label
        drawing.radius_units = round(view.units(radius))
    return drawing


def results_map(result, params: QueryDict) -> Drawing | None:
    """The map of a search's placed results, or None when none of them has a place."""
    data = result.map
    if data is None:
        return None
    if result.origin is None and not len(data.positions):
        return None
    drawing = _search_area(result.origin, result.query.radius, data.latitude, data.longitude)
    x, y = drawing.view.project(data.latitude, data.longitude)
    # Members are positions in ``data``'s arrays.
    rows = np.arange(len(data.positions))
    markers = cluster(x, y, rows, data.approximate, data.order, CELL)
    drawing.markers = merge_overlapping(markers, _count_radius, data.order)
    _bar(drawing)
    _describe_markers(drawing, result, params)
    _labelled(drawing, most=14)
    drawing.summary = _summary(drawing, result)
    return drawing


def _describe_markers(drawing: Drawing, result, params: QueryDict) -> None:
    data = result.map

    def index_ids(rows) -> list[int]:
        return data.ids[rows].tolist()

    def distance_of(row) -> float | None:
        return float(data.distance[row]) if data.distance is not None else None

    zoom = _zoom_radius(result.query.radius)
    kept_params = params.copy()
    for key in ("lat", "lon", "page", "near", "radius", "view"):
        kept_params.pop(key, None)
    base_query = kept_params.urlencode()
    base_query = f"{base_query}&" if base_query else ""
    named: list[int] = []
    for marker in drawing.markers:
        if marker.count == 1 or not (zoom and not marker.one_place):
            named.extend(index_ids(marker.members[:PLACE_LIST_NAMES]))
    names = _names(named)
    listing_url = _listing_urls()
    nearest_towns = _nearest_towns(drawing.towns, drawing.markers)
    kept = []
    for number, marker in enumerate(drawing.markers, start=1):
        marker.number = number
        nearest = distance_of(marker.members[0])
        where = _(" (approximate location)") if marker.approximate else ""
        if marker.count == 1:
            pk = index_ids(marker.members)[0]
            if pk not in names:
                continue  # unpublished since the index was built
            name, slug = names[pk]
            marker.href = listing_url(slug)
            marker.extra = {"name": name}
            marker.title = name + (f", {_miles(nearest)}" if nearest is not None else "") + where
        elif zoom and not marker.one_place:
            town = nearest_towns[number - 1]
            near = f"near={quote_plus(town.label)}&" if town is not None else ""
            marker.href = f"?{base_query}{near}radius={zoom}&view=map"
            marker.title = (
                ngettext(
                    "%(count)s listing near %(town)s: zoom in",
                    "%(count)s listings near %(town)s: zoom in",
                    marker.count,
                )
                % {"count": marker.count, "town": town.name}
                if town is not None
                else ngettext(
                    "%(count)s listing: zoom in", "%(count)s listings: zoom in", marker.count
                )
                % {"count": marker.count}
            )
        else:
            marker.href = f"#map-group-{number}"
            members = index_ids(marker.members[:PLACE_LIST_NAMES])
            marker.extra = {
                "listings": [
                    {"name": names[pk][0], "href": listing_url(names[pk][1])}
                    for pk in members
                    if pk in names
                ],
                "more": max(marker.count - PLACE_LIST_NAMES, 0),
            }
            marker.title = (
                ngettext(
                    "%(count)s listing at one place",
                    "%(count)s listings at one place",
                    marker.count,
                )
                if marker.one_place
                else ngettext(
                    "%(count)s listing close together",
                    "%(count)s listings close together",
                    marker.count,
                )
            ) % {"count": marker.count}
            drawing.groups.append(marker)
        kept.append(marker)
    drawing.markers = kept


def _summary(drawing: Drawing, result) -> str:
    data = result.map
    placed = drawing.placed
    text = ngettext(
        "The map shows %(placed)s result as %(markers)s marker.",
        "The map shows %(placed)s results as %(markers)s markers.",
        placed,
    ) % {"placed": placed, "markers": len(drawing.markers)}
    if len(drawing.markers) == 1 and placed != 1:
        text = _("The map shows %(placed)s results as 1 marker.") % {"placed": placed}
    if drawing.origin is not None:
        text += " " + ngettext(
            "The circle is %(radius)s mile around %(place)s.",
            "The circle is %(radius)s miles around %(place)s.",
            result.query.radius,
        ) % {"radius": result.query.radius, "place": drawing.origin_label}
    if data.unplaced_count:
        text += " " + ngettext(
            "%(count)s result is not on the map (online, or without a known place).",
            "%(count)s results are not on the map (online, or without a known place).",
            data.unplaced_count,
        ) % {"count": data.unplaced_count}
    return text


def locator_map(listing: Listing) -> Drawing | None:
    """A small map of a listing's place and the towns around it (in person or hybrid only)."""
    location = listing.location
    if location is None or location.latitude is None or location.longitude is None:
        return None
    if not listing.is_in_person:
        return None
    view = View.around(
        location.latitude, location.longitude, LOCATOR_MILES, LOCATOR_WIDTH, LOCATOR_HEIGHT
    )
    drawing = Drawing(view=view, base=basemap(view), towns=towns_in(view, limit=24))
    x, y = view.project([location.latitude], [location.longitude])
    marker = Marker(
        x=round(float(x[0])),
        y=round(float(y[0])),
        members=np.array([0]),
        approximate=bool(location.approximate),
        one_place=True,
    )
    marker.title = listing.name
    drawing.markers = [marker]
    _bar(drawing)
    _labelled(drawing, most=8)
    town = location.city or ""
    drawing.summary = (
        _("Map of where %(name)s meets, in %(town)s, with the towns around it.")
        % {"name": listing.name, "town": town}
        if town
        else _("Map of where %(name)s meets, with the towns around it.") % {"name": listing.name}
    )
    if location.approximate:
        drawing.summary += " " + _("The place shown is approximate: the town, not the address.")
    return drawing


def handout_map(export) -> Drawing | None:
    """The printable handout's map: its listings that have a place, numbered as in its table
    (a number where one stands alone, a count where several overlap)."""
    placed = [
        (number, item)
        for number, item in enumerate(export.items, start=1)
        if item.is_in_person
        and item.location is not None
        and item.location.latitude is not None
        and item.location.longitude is not None
    ]
    if not placed:
        return None
    latitudes = np.array([item.location.latitude for _, item in placed])
    longitudes = np.array([item.location.longitude for _, item in placed])
    drawing = _search_area(export.origin, export.query.radius, latitudes, longitudes)
    x, y = drawing.view.project(latitudes, longitudes)
    rows = np.arange(len(placed))
    approximate = np.array([bool(item.location.approximate) for _, item in placed])
    order = rows.astype(np.float64)
    markers = cluster(x, y, rows, approximate, order, CELL)
    # A handout marker writes a number and a "+" (up to "99+"): as wide as that.
    drawing.markers = merge_overlapping(markers, lambda count: _radius("99+"), order)
    shared = []
    for marker in drawing.markers:
        members = [placed[row] for row in marker.members.tolist()]
        numbers = sorted(number for number, _item in members)
        # On paper a marker says which rows it stands for: its number, or the first and a "+"
        # for several (listed under the map).
        marker.label = str(numbers[0]) if marker.count == 1 else f"{numbers[0]}+"
        marker.href = ""
        marker.title = ", ".join(f"{number}. {item.name}" for number, item in members)
        if marker.count > 1:
            shared.append(
                _("%(marker)s: %(numbers)s")
                % {"marker": marker.label, "numbers": ", ".join(map(str, numbers))}
            )
    _bar(drawing)
    _labelled(drawing, most=14)
    drawing.summary = ngettext(
        "The map shows %(placed)s listing of this handout, numbered as in the table.",
        "The map shows %(placed)s listings of this handout, numbered as in the table.",
        len(placed),
    ) % {"placed": len(placed)}
    if shared:
        drawing.summary += " " + _("Markers for several listings: %(markers)s.") % {
            "markers": "; ".join(shared)
        }
    return drawing
