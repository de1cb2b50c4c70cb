"""Locations: time zone and approximate coordinates from the town or postcode (the offline
gazetteer), and finding an identical location instead of making a duplicate."""

from __future__ import annotations

from django.conf import settings

from directory.models import Listing, Location

IDENTITY_FIELDS = ["name", "address_line1", "address_line2", "city", "region", "postal_code"]


def gazetteer_place(location: Location):
    """The gazetteer's best match for the location's postcode or town (None if unknown)."""
    from directory.search.geo import resolve_place

    queries = []
    if location.postal_code:
        queries.append(location.postal_code.strip())
    town = ", ".join(p.strip() for p in [location.city, location.region] if p and p.strip())
    if town:
        queries.append(town)
    if location.city and location.region:
        queries.append(location.city.strip())
    for query in queries:
        origin = resolve_place(query).origin
        if origin is not None:
            return origin
    return None


def fill_from_gazetteer(location: Location) -> bool:
    """Fill an empty (or UTC) time zone and missing coordinates from the town or postcode.

    Values someone typed are kept: this only fills gaps. Coordinates filled this way are
    marked approximate. Returns whether anything was filled.
    """
    needs_zone = not location.timezone or location.timezone == "UTC"
    needs_position = location.latitude is None and location.longitude is None
    if not (needs_zone or needs_position):
        return False
    origin = gazetteer_place(location)
    if origin is None:
        if needs_zone and not location.timezone:
            location.timezone = settings.TIME_ZONE
        return False
    filled = False
    if needs_position:
        location.latitude, location.longitude = origin.latitude, origin.longitude
        location.approximate = True
        filled = True
    if needs_zone and origin.place is not None and origin.place.timezone:
        location.timezone = origin.place.timezone
        filled = True
    elif needs_zone and not location.timezone:
        location.timezone = settings.TIME_ZONE
    return filled


def identical_location(location: Location) -> Location | None:
    """An existing location with the same address and organisation (spaces and case aside)."""
    query = Location.objects.filter(
        country__iexact=(location.country or "").strip(),
        organization_id=location.organization_id,
    )
    for name in IDENTITY_FIELDS:
        query = query.filter(**{f"{name}__iexact": (getattr(location, name) or "").strip()})
    if location.pk:
        query = query.exclude(pk=location.pk)
    return query.order_by("pk").first()


def zone_for_listing(listing: Listing | None) -> str:
    """The time zone a new meeting time of this listing is in unless someone says otherwise."""
    location = listing.location if listing is not None and listing.location_id else None
    if location is not None:
        if location.timezone and location.timezone != "UTC":
            return location.timezone
        origin = gazetteer_place(location)
        if origin is not None and origin.place is not None and origin.place.timezone:
            return origin.place.timezone
    return settings.TIME_ZONE
