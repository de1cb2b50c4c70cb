"""Fictional, clearly labelled demo data at national scale: ``manage.py generate_demo``.

Everything made here has ``is_demo=True`` (or hangs off a demo row), fictional names and
descriptions that say so, contacts with first names only, links on the reserved example.org /
example.com domains and phone numbers in fictional ranges (555-01xx in North America, Ofcom's
drama range in the UK, ACMA's in Australia). Locations, however, are spread over real towns
of the offline gazetteer, weighted by population, so distance search has something to find.

Speed matters because the benchmarks need 100,000 listings and ~300,000 schedules on
PostgreSQL in well under two minutes: rows are built in Python (slugs and uuids included),
inserted with ``bulk_create`` in batches (PostgreSQL and SQLite >= 3.35 return the new primary
keys), many-to-many rows go straight into the through tables, and listings stream in batches
so memory stays flat. The same seed gives the same rows.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from directory.constants import SUPPORT_TYPE_SLUGS
from directory.demo_words import (
    ANCHOR_SUNDAY,
    AREA_CODES,
    ATTENDANCE_WEIGHTS,
    AUDIENCE_WORDS,
    AUDIENCES,
    CA_AREA_CODES,
    CENTER_SPELLING,
    COMPANION_SERVICE_NAMES,
    COUNTRY_WEIGHTS,
    CREDENTIAL_STATES,
    DEMO_CREDENTIAL_TYPES,
    DESCRIPTION_LINES,
    DURATIONS,
    FAMILY_GROUP_NAMES,
    FIRST_NAMES,
    FORMAT_CORES,
    FORMAT_EXTRAS,
    GB_STREET_SUFFIXES,
    GB_STREETS,
    MEETING_SCHEDULE_COUNTS,
    ORG_KIND_WEIGHTS,
    ORG_PREFIXES,
    ORG_SUPPORT_TYPES,
    OTHER_COUNTRIES_WEIGHT,
    PEER_SERVICE_NAMES,
    RECOVERY_GROUP_NAMES,
    REGION_NAMES,
    SCHEDULE_KIND_WEIGHTS,
    SERVICE_SCHEDULE_COUNTS,
    SPANISH_GROUP_NAMES,
    START_TIMES,
    STATUS_WEIGHTS,
    STREET_SUFFIXES,
    STREETS,
    SUPPORT_TYPE_WEIGHTS,
    TWELVE_STEP_GROUP_NAMES,
    VENUES,
)
from directory.models import (
    Credential,
    CredentialType,
    Feature,
    Listing,
    Location,
    Organization,
    PeerWorker,
    Place,
    Schedule,
    Submission,
    SupportType,
)
from directory.validators import known_time_zones

BATCH_SIZE = 5000
CURATOR_USERNAME = "demo-curator"
DEMO_CREDENTIAL_PREFIX = "demo-"
REFERENCE_HINT = (
    "Load the reference data first: manage.py load_reference, manage.py load_article and "
    "manage.py load_gazetteer."
)


class DemoError(Exception):
    """The generator can't run; the management command turns it into a CommandError."""


@dataclass
class DemoSummary:
    created: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)
    kept: list[str] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    def lines(self) -> list[str]:
        lines = []
        if self.deleted:
            lines.append("Deleted demo rows: " + _counts(self.deleted))
        lines.append("Created: " + _counts(self.created))
        lines.extend(self.kept)
        verb = "rolled back (dry run, nothing written)" if self.dry_run else "committed"
        lines.append(f"{sum(self.created.values()):,} rows {verb} in {self.seconds:.1f} s.")
        return lines


def _counts(counter: Counter) -> str:
    return ", ".join(f"{label} {count:,}" for label, count in counter.items())


def _picker(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Callable[[], Any]:
    """A function returning one value at a time, drawn with the given weights."""
    values = [value for value, _ in weighted]
    cumulative = list(itertools.accumulate(weight for _, weight in weighted))
    total = cumulative[-1]

    def pick() -> Any:
        return values[bisect.bisect(cumulative, rng.random() * total)]

    return pick


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def _daypart(start: dt.time) -> str:
    if start.hour < 11:
        return "Morning"
    if start.hour < 14:
        return "Noon" if start.hour == 12 else "Midday"
    if start.hour < 17:
        return "Afternoon"
    return "Evening" if start.hour < 20 else "Night"


def _phone(rng: random.Random, country: str) -> str:
    """A number from a range reserved for fiction in the country (555-01xx in North America)."""
    if country == "GB":
        return f"+44 20 7946 0{rng.randrange(1000):03d}"
    if country == "AU":
        return f"+61 2 5550 {rng.randrange(10000):04d}"
    area = rng.choice(CA_AREA_CODES if country == "CA" else AREA_CODES)
    return f"+1 {area}-555-01{rng.randrange(100):02d}"


def _bulk(model: type[models.Model], rows: list, summary: DemoSummary, label: str = "") -> list:
    if rows:
        rows = model._default_manager.bulk_create(rows, batch_size=BATCH_SIZE)
        summary.created[label or model.__name__] += len(rows)
    return rows


class PlaceRow(NamedTuple):
    id: int
    name: str
    region: str
    country: str
    latitude: float
    longitude: float
    timezone: str


class Gazetteer:
    """Real towns to put demo rows in, drawn by country weight and then by population."""

    def __init__(self, rng: random.Random, rows: list[tuple]):
        self.rng = rng
        zones = known_time_zones()
        by_country: dict[str, list[tuple[PlaceRow, int]]] = defaultdict(list)
        for pk, name, code, region_name, country, lat, lon, population, tz in rows:
            if tz not in zones:
                continue
            region = code if country == "US" else REGION_NAMES.get(country, {}).get(code, "")
            region = region or (region_name if country != "US" else code)
            row = PlaceRow(pk, name, region, country, lat, lon, tz)
            by_country[country].append((row, max(population, 1000)))
        if not by_country:
            raise DemoError("The gazetteer has no places with a time zone. " + REFERENCE_HINT)
        weighted = [(c, w) for c, w in COUNTRY_WEIGHTS.items() if c in by_country]
        others = [c for c in sorted(by_country) if c not in COUNTRY_WEIGHTS]
        if others:
            weighted.append(("*", OTHER_COUNTRIES_WEIGHT if weighted else 1))
            by_country["*"] = [entry for c in others for entry in by_country[c]]
        self._country = _picker(rng, weighted)
        self._in_country = {c: _picker(rng, entries) for c, entries in by_country.items()}

    def pick(self) -> PlaceRow:
        return self._in_country[self._country()]()

    def jitter(self, place: PlaceRow, km: float = 3.0) -> tuple[float, float]:
        """A point within ``km`` of the town centre (a different building, same town)."""
        dlat = self.rng.uniform(-km, km) / 111.0
        dlon = self.rng.uniform(-km, km) / (
            111.0 * max(math.cos(math.radians(place.latitude)), 0.1)
        )
        lat = min(max(place.latitude + dlat, -90.0), 90.0)
        lon = min(max(place.longitude + dlon, -180.0), 180.0)
        return round(lat, 6), round(lon, 6)


def nearest_codes(
    codes: list[tuple[str, float, float]], points: dict[Any, tuple[float, float]]
) -> dict[Any, str]:
    """The nearest code (e.g. a real ZIP) to each point: a grid look-up, no query per point."""
    grid: dict[tuple[int, int], list[tuple[str, float, float]]] = defaultdict(list)
    for code, lat, lon in codes:
        grid[(int(lat * 4), int(lon * 4))].append((code, lat, lon))
    found = {}
    for key, (lat, lon) in points.items():
        y, x = int(lat * 4), int(lon * 4)
        near = [e for dy in (-1, 0, 1) for dx in (-1, 0, 1) for e in grid.get((y + dy, x + dx), ())]
        if near:
            found[key] = min(near, key=lambda e: (e[1] - lat) ** 2 + (e[2] - lon) ** 2)[0]
    return found


@dataclass
class Reference:
    support_types: dict[str, SupportType]
    features: dict[str, list[Feature]]  # by category slug
    credential_types: list[CredentialType]
    place_rows: list[tuple]

    def __post_init__(self) -> None:
        self._by_name = {
            (category, feature.name.lower()): feature
            for category, features in self.features.items()
            for feature in features
        }

    def feature(self, category: str, name: str) -> Feature | None:
        return self._by_name.get((category, name.lower()))


def read_reference() -> Reference:
    """The reference rows the generator needs, or DemoError naming what is missing."""
    support_types = {st.slug: st for st in SupportType.objects.filter(slug__in=SUPPORT_TYPE_SLUGS)}
    features: dict[str, list[Feature]] = defaultdict(list)
    for feature in Feature.objects.select_related("category").order_by("category__slug", "pk"):
        features[feature.category.slug].append(feature)
    place_rows = list(
        Place.objects.filter(kind=Place.Kind.CITY)
        .exclude(timezone="")
        .order_by("pk")
        .values_list(
            "pk",
            "name",
            "region_code",
            "region_name",
            "country",
            "latitude",
            "longitude",
            "population",
            "timezone",
        )
    )
    missing = []
    absent = [slug for slug in SUPPORT_TYPE_SLUGS if slug not in support_types]
    if absent:
        missing.append("support types " + ", ".join(absent))
    if not features:
        missing.append("features")
    if not place_rows:
        missing.append("gazetteer places (towns with a time zone)")
    if missing:
        raise DemoError("Reference data missing: " + "; ".join(missing) + ". " + REFERENCE_HINT)
    return Reference(
        support_types=support_types,
        features=dict(features),
        credential_types=list(CredentialType.objects.order_by("slug")),
        place_rows=place_rows,
    )


def demo_rows_exist() -> bool:
    return any(
        model.objects.filter(is_demo=True).exists()
        for model in (Listing, PeerWorker, Location, Organization)
    )


def delete_demo_data(summary: DemoSummary) -> None:
    """Remove every demo row, never real data.

    Schedules, feature links and listings go in one statement each. Demo locations or
    organisations that a real row points at are kept (and reported) rather than deleted
    under it.
    """
    summary.deleted["Schedule"] = Schedule.objects.filter(listing__is_demo=True).delete()[0]
    Listing.features.through.objects.filter(listing__is_demo=True).delete()
    Submission.objects.filter(listing__is_demo=True).delete()
    # With its dependants gone, a plain DELETE spares the ORM's collector loading every listing
    # (8 of 9 seconds at 100,000). A row added later that points at a demo listing makes the
    # foreign key fail at commit, so nothing is deleted silently.
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Listing._meta.db_table)
        cursor.execute(f"DELETE FROM {table} WHERE is_demo = %s", [True])  # noqa: S608
        summary.deleted["Listing"] = cursor.rowcount

    workers = PeerWorker.objects.filter(is_demo=True)
    summary.deleted["Credential"] = Credential.objects.filter(worker__is_demo=True).delete()[0]
    summary.deleted["PeerWorker"] = workers.delete()[1].get("directory.PeerWorker", 0)
    CredentialType.objects.filter(
        slug__startswith=DEMO_CREDENTIAL_PREFIX, credentials__isnull=True
    ).delete()

    locations = Location.objects.filter(is_demo=True)
    used = locations.filter(listings__isnull=False).distinct()
    if kept := used.count():
        summary.kept.append(f"Kept {kept} demo location(s) that real listings use.")
    summary.deleted["Location"] = (
        locations.exclude(pk__in=used.values("pk")).delete()[1].get("directory.Location", 0)
    )

    organizations = Organization.objects.filter(is_demo=True)
    used_orgs = organizations.filter(
        models.Q(listings__isnull=False)
        | models.Q(locations__isnull=False)
        | models.Q(workers__isnull=False)
    ).distinct()
    if kept := used_orgs.count():
        summary.kept.append(f"Kept {kept} demo organisation(s) that real rows point at.")
    summary.deleted["Organization"] = (
        organizations.exclude(pk__in=used_orgs.values("pk"))
        .delete()[1]
        .get("directory.Organization", 0)
    )


def demo_curator():
    """The fictional user recorded as verifier of demo credentials; it can never log in."""
    user, created = get_user_model().objects.get_or_create(
        username=CURATOR_USERNAME,
        defaults={"first_name": "Demo", "last_name": "Curator", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


# --- The generator --------------------------------------------------------------------------------


class Generator:
    def __init__(self, ref: Reference, seed: int, summary: DemoSummary):
        self.ref = ref
        self.rng = random.Random(seed)
        self.summary = summary
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.places = Gazetteer(self.rng, ref.place_rows)
        self.taken_slugs: dict[type[models.Model], set[str]] = {}
        self._slugify_cache: dict[str, str] = {}

    # Slugs: slugify(name)-<number>; a real row that already has the slug pushes us to -demo-.
    def slug(self, model: type[models.Model], name: str, number: int) -> str:
        taken = self.taken_slugs.get(model)
        if taken is None:
            taken = self.taken_slugs[model] = set(
                model._default_manager.filter(is_demo=False).values_list("slug", flat=True)
            )
        base = self._slugify_cache.get(name)
        if base is None:
            base = self._slugify_cache[name] = slugify(name)[:80].strip("-") or "demo"
        slug = f"{base}-{number}"
        return slug if slug not in taken else f"{base}-demo-{number}"

    def verified_at(self) -> dt.datetime:
        return self.now - dt.timedelta(seconds=self.rng.randrange(548 * 86400))

    # -- Organisations

    def organizations(self, count: int) -> list[tuple[Organization, PlaceRow]]:
        rng = self.rng
        pick_kind = _picker(rng, ORG_KIND_WEIGHTS)
        first_kinds = [kind for kind, _ in ORG_KIND_WEIGHTS]
        rows, homes, types = [], [], []
        for i in range(count):
            kind = first_kinds[i] if i < len(first_kinds) - 1 else pick_kind()
            home = self.places.pick()
            prefix = rng.choice(ORG_PREFIXES)
            center = CENTER_SPELLING.get(home.country, "Centre")
            if kind == Organization.Kind.TREATMENT_CENTRE:
                name = f"{prefix} {rng.choice(['Recovery', 'Treatment', 'Wellness'])} {center}"
            elif kind == Organization.Kind.COMMUNITY:
                name = f"{prefix} {rng.choice(['Recovery Alliance', 'Peer Support Network'])}"
            elif kind == Organization.Kind.FELLOWSHIP:
                name = f"{home.name} Area {rng.choice(['Intergroup', 'Service Committee'])}"
            else:
                name = f"{prefix} Online Meetings"
            name += " (demo)"
            slug = self.slug(Organization, name, i + 1)
            attendance = {
                Organization.Kind.ONLINE_PLATFORM: "online",
                Organization.Kind.FELLOWSHIP: "hybrid",
            }.get(kind, "in_person")
            rows.append(
                Organization(
                    name=name,
                    slug=slug,
                    kind=kind,
                    description=(
                        "Fictional demo organisation, not a real "
                        f"{Organization.Kind(kind).label.lower()}, shown so the directory has "
                        f"something to display. Based in {home.name}."
                    ),
                    website=f"https://{slug}.example.org/",
                    email=f"hello@{slug}.example.org",
                    phone=_phone(rng, home.country),
                    attendance=attendance,
                    is_demo=True,
                    uuid=_uuid(rng),
                )
            )
            homes.append(home)
            types.append(ORG_SUPPORT_TYPES[kind])
        rows = _bulk(Organization, rows, self.summary)
        through = Organization.support_types.through
        _bulk(
            through,
            [
                through(organization_id=org.pk, supporttype_id=self.ref.support_types[slug].pk)
                for org, slugs in zip(rows, types, strict=True)
                for slug in slugs
            ],
            self.summary,
            "Organization support types",
        )
        return list(zip(rows, homes, strict=True))

    # -- Locations

    def location(self, place: PlaceRow, organization: Organization | None) -> Location:
        rng = self.rng
        center = CENTER_SPELLING.get(place.country, "Centre")
        if place.country == "GB":
            street = (
                f"{rng.randint(1, 199)} {rng.choice(GB_STREETS)} {rng.choice(GB_STREET_SUFFIXES)}"
            )
        else:
            street = f"{rng.randint(10, 2999)} {rng.choice(STREETS)} {rng.choice(STREET_SUFFIXES)}"
        venue = rng.choice(VENUES).format(center=center)
        lat, lon = self.places.jitter(place)
        return Location(
            name=venue,
            address_line1=street,
            city=place.name,
            region=place.region,
            country=place.country,
            latitude=lat,
            longitude=lon,
            approximate=False,
            timezone=place.timezone,
            notes="Fictional demo address: there is no meeting here."
            + (" Side entrance; parking behind the building." if rng.random() < 0.3 else ""),
            organization=organization,
            is_demo=True,
            uuid=_uuid(rng),
        )

    def approximate_location(self, place: PlaceRow) -> Location:
        """Town-level coordinates only, as for an online group that says where it is based."""
        return Location(
            name=f"{place.name} area",
            city=place.name,
            region=place.region,
            country=place.country,
            latitude=round(place.latitude, 4),
            longitude=round(place.longitude, 4),
            approximate=True,
            timezone=place.timezone,
            notes="Fictional demo location: only the town is given.",
            is_demo=True,
            uuid=_uuid(rng=self.rng),
        )

    # -- Listings

    def run(self, listings: int, workers: int) -> None:
        rng = self.rng
        ref = self.ref
        org_count = max(3, round(listings / 200))
        orgs = self.organizations(org_count)
        by_kind: dict[str, list[int]] = defaultdict(list)
        for index, (org, _) in enumerate(orgs):
            by_kind[org.kind].append(index)
        local_orgs = by_kind["fellowship"] + by_kind["community"]
        online_orgs = by_kind["online_platform"] + by_kind["fellowship"]

        # Plan who is what and where before writing, so locations exist before their listings.
        type_slugs = rng.choices(
            list(SUPPORT_TYPE_WEIGHTS), weights=list(SUPPORT_TYPE_WEIGHTS.values()), k=listings
        )
        attendance = rng.choices(
            [a for a, _ in ATTENDANCE_WEIGHTS],
            weights=[w for _, w in ATTENDANCE_WEIGHTS],
            k=listings,
        )
        located = [
            a in ("in_person", "hybrid") or (a == "inactive" and rng.random() < 0.9)
            for a in attendance
        ]
        approximate = [a == "online" and rng.random() < 0.4 for a in attendance]

        physical: list[Location] = []
        for org, home in orgs:
            if org.kind in (Organization.Kind.TREATMENT_CENTRE, Organization.Kind.COMMUNITY):
                for _ in range(rng.randint(1, 2)):
                    physical.append(self.location(home, org))
        wanted = max(1, math.ceil(sum(located) / 3))
        while len(physical) < wanted:
            physical.append(self.location(self.places.pick(), None))
        approx_places = [self.places.pick() if flag else None for flag in approximate]
        approx_by_place: dict[int, Location] = {}
        for place in approx_places:
            if place is not None and place.id not in approx_by_place:
                approx_by_place[place.id] = self.approximate_location(place)
        # Postal codes are looked up once for the towns used (done after the draw so the
        # random stream does not depend on the ZIP table).
        self._fill_postal_codes(physical + list(approx_by_place.values()))
        _bulk(Location, physical + list(approx_by_place.values()), self.summary)

        curator = demo_curator()
        pick_status = _picker(rng, STATUS_WEIGHTS)
        meeting_counts = _picker(rng, MEETING_SCHEDULE_COUNTS)
        service_counts = _picker(rng, SERVICE_SCHEDULE_COUNTS)
        pick_kind = _picker(rng, SCHEDULE_KIND_WEIGHTS)
        pick_start = _picker(rng, [(_time(t), w) for t, w in START_TIMES])
        pick_duration = _picker(rng, DURATIONS)
        meeting_based = {slug: st.is_meeting_based for slug, st in ref.support_types.items()}
        through = Listing.features.through

        for start in range(0, listings, BATCH_SIZE):
            batch: list[Listing] = []
            schedules: list[list[Schedule]] = []
            features: list[list[int]] = []
            for i in range(start, min(start + BATCH_SIZE, listings)):
                mode = attendance[i]
                type_slug = type_slugs[i]
                org_index = None
                if located[i]:
                    location = physical[rng.randrange(len(physical))]
                    if location.organization is not None and rng.random() < 0.85:
                        org_index = -1
                    elif local_orgs and rng.random() < 0.4:
                        org_index = rng.choice(local_orgs)
                    timezone_name, country, city = (
                        location.timezone,
                        location.country,
                        location.city,
                    )
                else:
                    location = approx_by_place[approx_places[i].id] if approximate[i] else None
                    if online_orgs and rng.random() < 0.75:
                        org_index = rng.choice(online_orgs)
                    if location is not None:
                        timezone_name, country, city = (
                            location.timezone,
                            location.country,
                            location.city,
                        )
                    else:
                        base = orgs[org_index][1] if org_index is not None else self.places.pick()
                        timezone_name, country, city = base.timezone, base.country, ""
                if org_index == -1:
                    organization = location.organization
                elif org_index is not None:
                    organization = orgs[org_index][0]
                else:
                    organization = None

                count = (meeting_counts if meeting_based[type_slug] else service_counts)()
                listing_schedules = self.schedules(
                    count, timezone_name, pick_kind, pick_start, pick_duration
                )
                chosen = self.features(type_slug, mode, country)
                spanish = any(f.name == "Spanish" for f in chosen)
                name = self.listing_name(type_slug, chosen, listing_schedules, city, spanish)
                listing = self.listing(
                    i, name, type_slug, mode, location, organization, country, city, curator
                )
                listing.status = pick_status()
                # A mentor or companion with no set hours is arranged with them.
                listing.by_appointment = not listing_schedules and not meeting_based[type_slug]
                batch.append(listing)
                schedules.append(listing_schedules)
                features.append(sorted({f.pk for f in chosen}))

            batch = _bulk(Listing, batch, self.summary)
            rows = []
            for listing, listing_schedules in zip(batch, schedules, strict=True):
                for schedule in listing_schedules:
                    schedule.listing_id = listing.pk
                    rows.append(schedule)
            _bulk(Schedule, rows, self.summary)
            _bulk(
                through,
                [
                    through(listing_id=listing.pk, feature_id=feature_id)
                    for listing, ids in zip(batch, features, strict=True)
                    for feature_id in ids
                ],
                self.summary,
                "Listing features",
            )

        self.workers(workers, orgs, curator)

    def _fill_postal_codes(self, locations: list[Location]) -> None:
        """US addresses get the real ZIP code nearest to their town."""
        us = [loc for loc in locations if loc.country == "US"]
        if not us:
            return
        zips = list(
            Place.objects.filter(kind=Place.Kind.POSTAL_CODE, country="US").values_list(
                "source_id", "latitude", "longitude"
            )
        )
        towns: dict[tuple[str, str], tuple[float, float]] = {}
        for loc in us:
            towns.setdefault((loc.city, loc.region), (loc.latitude, loc.longitude))
        codes = nearest_codes(zips, towns)
        for loc in us:
            loc.postal_code = codes.get((loc.city, loc.region), "")

    def schedules(self, count, timezone_name, pick_kind, pick_start, pick_duration):
        rng = self.rng
        if not count:
            return []
        weekdays = sorted(rng.sample(range(7), count))
        same_time = rng.random() < 0.7
        start = pick_start()
        length = pick_duration()
        rows = []
        for weekday in weekdays:
            if not same_time:
                start, length = pick_start(), pick_duration()
            end_minutes = start.hour * 60 + start.minute + length
            end = dt.time(end_minutes // 60, end_minutes % 60)  # 21:00 + 90 min at the latest
            kind = pick_kind()
            schedule = Schedule(
                kind=kind,
                weekday=weekday,
                start_time=start,
                end_time=end,
                timezone=timezone_name,
            )
            if kind == "monthly":
                schedule.week_of_month = rng.choice([1, 2, 3, 4, -1])
            elif kind == "interval":
                schedule.interval_weeks = rng.choice([2, 2, 3])
                schedule.anchor_date = ANCHOR_SUNDAY + dt.timedelta(
                    days=weekday + 7 * rng.randrange(52)
                )
            rows.append(schedule)
        return rows

    def features(self, type_slug: str, mode: str, country: str) -> list[Feature]:
        rng = self.rng
        ref = self.ref
        chosen: list[Feature] = []

        def add(category: str, name: str | None = None) -> None:
            options = ref.features.get(category)
            if not options:
                return
            feature = ref.feature(category, name) if name else None
            chosen.append(feature or rng.choice(options))

        # Language: always one.
        roll = rng.random()
        if country == "US" and roll < 0.13:
            add("language", "Spanish")
        elif country == "CA" and roll < 0.15:
            add("language", "French")
        elif roll > 0.985:
            add("language")
        else:
            add("language", "English")
        if type_slug in ("12-step-programs", "family-and-friends"):
            add("format", "Open" if rng.random() < 0.6 else "Closed")
        elif rng.random() < 0.5:
            add("format", "Open")
        if type_slug == "12-step-programs" and rng.random() < 0.7:
            add("format", rng.choice(FORMAT_EXTRAS))
        elif type_slug == "recovery-groups" and rng.random() < 0.4:
            add("format", rng.choice(["Discussion", "Meditation", "Secular"]))
        if mode == "inactive":
            add("format", "Location Temporarily Closed")
        if rng.random() < 0.2:
            add("audience", rng.choice(AUDIENCES))
        if mode in ("in_person", "hybrid") and rng.random() < 0.35:
            add("accessibility", "Wheelchair Access")
        if rng.random() < 0.04:
            add("accessibility", "American Sign Language")
        if rng.random() < 0.25:
            add("focus")
        unique = list(dict.fromkeys(chosen))
        return unique[:5] or [rng.choice(next(iter(ref.features.values())))]

    def listing_name(self, type_slug, chosen, schedules, city, spanish) -> str:
        rng = self.rng
        names = {f.name for f in chosen}
        audience = next((AUDIENCE_WORDS[n] for n in AUDIENCE_WORDS if n in names), "")
        if type_slug == "12-step-programs":
            if spanish:
                return f"Grupo {rng.choice(SPANISH_GROUP_NAMES)}"
            core = next((FORMAT_CORES[n] for n in FORMAT_CORES if n in names), "")
            roll = rng.random()
            if len(schedules) == 1 and roll < 0.5:
                first = schedules[0]
                day = Schedule.Weekday(first.weekday).label
                return f"{day} {_daypart(first.start_time)} {core or 'Meeting'}"
            if audience and roll < 0.8:
                return f"{audience} {core or 'Meeting'}"
            if core and city and roll < 0.65:
                return f"{city} {core}"
            return f"{rng.choice(TWELVE_STEP_GROUP_NAMES)} {core or 'Group'}"
        if type_slug == "recovery-groups":
            name = rng.choice(RECOVERY_GROUP_NAMES)
        elif type_slug == "family-and-friends":
            name = rng.choice(FAMILY_GROUP_NAMES)
        elif type_slug == "peer-mentors":
            name = rng.choice(PEER_SERVICE_NAMES)
        else:
            name = rng.choice(COMPANION_SERVICE_NAMES)
        if audience and type_slug == "recovery-groups":
            return f"{audience} {name}"
        if city and rng.random() < 0.3:
            return f"{name}, {city}"
        return name

    def listing(
        self, i, name, type_slug, mode, location, organization, country, city, curator
    ) -> Listing:
        rng = self.rng
        where = f" in {city}" if city else ""
        description = (
            f"Fictional demo listing. {rng.choice(DESCRIPTION_LINES[type_slug])} "
            f"This sample shows how a real listing{where} would look; there is no group to join."
        )
        listing = Listing(
            name=name,
            slug=self.slug(Listing, name, i + 1),
            support_type=self.ref.support_types[type_slug],
            organization=organization,
            description=description,
            attendance=mode,
            location=location,
            is_demo=True,
            uuid=_uuid(rng),
        )
        if mode in ("online", "hybrid"):
            roll = rng.random()
            if roll < 0.85:
                listing.conference_url = (
                    f"https://meet.example.com/j/{rng.randrange(10**9, 10**10)}"
                )
                if rng.random() < 0.3:
                    listing.conference_url_notes = f"Passcode: {rng.randrange(100000, 999999)}"
            if roll > 0.6:
                phone = _phone(rng, country).replace(" ", "").replace("-", "")
                listing.conference_phone = f"{phone},,{rng.randrange(10**9, 10**10)}#"
                listing.conference_phone_notes = "Dial in, then the meeting ID."
        if rng.random() < 0.55:
            first = rng.choice(FIRST_NAMES)
            listing.contact_name = first
            listing.contact_email = f"{first.lower()}.{i + 1}@example.org"
            if rng.random() < 0.5:
                listing.contact_phone = _phone(rng, country)
        if organization is not None and rng.random() < 0.5:
            listing.website = f"{organization.website}groups/{i + 1}/"
        if type_slug == "sober-companions":
            listing.cost = "fee" if rng.random() < 0.8 else "donation"
        elif type_slug == "peer-mentors":
            listing.cost = rng.choice(["free", "free", "fee"])
        else:
            listing.cost = "donation" if rng.random() < 0.7 else "free"
        if listing.cost == "fee":
            listing.cost_notes = rng.choice(["Sliding scale available.", "Insurance accepted."])
        if rng.random() < 0.93:
            listing.last_verified_at = self.verified_at()
            if rng.random() < 0.5:
                listing.last_verified_by = curator
        return listing

    # -- Peer workers and credentials

    def credential_types(self) -> list[CredentialType]:
        if self.ref.credential_types:
            return self.ref.credential_types
        rows = [
            CredentialType(
                abbreviation=abbreviation,
                name=f"{name} (fictional)",
                slug=f"{DEMO_CREDENTIAL_PREFIX}{slugify(abbreviation)}",
                issuing_body="Demo Certification Board (fictional)",
                renewal_years=years,
                public_lookup="Fictional: there is nothing to look up.",
            )
            for abbreviation, name, years in DEMO_CREDENTIAL_TYPES
        ]
        return _bulk(CredentialType, rows, self.summary)

    def workers(self, count: int, orgs, curator) -> None:
        if count <= 0:
            return
        rng = self.rng
        ref = self.ref
        types = self.credential_types()
        english = ref.feature("language", "English")
        spanish = ref.feature("language", "Spanish")
        other_languages = [
            f for f in ref.features.get("language", []) if f not in (english, spanish)
        ]
        employers = [org for org, _ in orgs if org.kind in ("treatment_centre", "community")]
        pick_status = _picker(rng, [("published", 90), ("draft", 7), ("archived", 3)])
        pick_state = _picker(rng, CREDENTIAL_STATES)
        pick_credential_count = _picker(rng, [(0, 20), (1, 50), (2, 25), (3, 5)])

        rows, support, languages, credentials = [], [], [], []
        for i in range(count):
            first = rng.choice(FIRST_NAMES)
            display = f"{first} {chr(ord('A') + rng.randrange(26))}."
            place = self.places.pick()
            lat, lon = self.places.jitter(place, km=5)
            roll = rng.random()
            slugs = (
                ["peer-mentors"]
                if roll < 0.6
                else ["sober-companions"]
                if roll < 0.85
                else ["peer-mentors", "sober-companions"]
            )
            if rng.random() < 0.1:
                slugs.append("family-and-friends")
            online = rng.random() < 0.5
            in_person = not online or rng.random() < 0.6
            worker = PeerWorker(
                display_name=display,
                slug=self.slug(PeerWorker, display, i + 1),
                bio=(
                    "Fictional demo profile: not a real person. "
                    f"Offers {'recovery coaching' if 'peer-mentors' in slugs else 'companionship'}"
                    f" around {place.name}{' and online' if online else ''}."
                ),
                lived_experience=(
                    "Fictional: in recovery since "
                    f"{self.today.year - rng.randint(2, 25)}; "
                    + rng.choice(
                        [
                            "found support in a 12-step fellowship.",
                            "found a path through SMART Recovery.",
                            "recovered with the help of family and a peer mentor.",
                        ]
                    )
                ),
                organization=rng.choice(employers) if employers and rng.random() < 0.4 else None,
                offers_online=online,
                offers_in_person=in_person,
                service_place_id=place.id,
                service_area=f"Greater {place.name}" if rng.random() < 0.5 else place.name,
                country=place.country,
                latitude=lat,
                longitude=lon,
                service_radius_km=rng.choice([10, 15, 25, 40, 80]) if in_person else None,
                accepting_new_clients=rng.random() < 0.8,
                contact_email=f"{first.lower()}.{i + 1}@example.com",
                contact_phone=_phone(rng, place.country),
                website="",
                consent_to_publish=True,
                status=pick_status(),
                is_demo=True,
                uuid=_uuid(rng),
                last_verified_at=self.verified_at(),
            )
            rows.append(worker)
            support.append(slugs)
            spoken = [english] if english else []
            if spanish and (place.country == "US" and rng.random() < 0.2):
                spoken.append(spanish)
            if other_languages and rng.random() < 0.05:
                spoken.append(rng.choice(other_languages))
            languages.append([f.pk for f in spoken if f is not None])
            credentials.append(
                [
                    (credential_type, pick_state())
                    for credential_type in rng.sample(
                        types, min(pick_credential_count(), len(types))
                    )
                ]
            )

        rows = _bulk(PeerWorker, rows, self.summary)
        through = PeerWorker.support_types.through
        _bulk(
            through,
            [
                through(peerworker_id=w.pk, supporttype_id=ref.support_types[slug].pk)
                for w, slugs in zip(rows, support, strict=True)
                for slug in slugs
            ],
            self.summary,
            "PeerWorker support types",
        )
        through = PeerWorker.languages.through
        _bulk(
            through,
            [
                through(peerworker_id=w.pk, feature_id=feature_id)
                for w, ids in zip(rows, languages, strict=True)
                for feature_id in ids
            ],
            self.summary,
            "PeerWorker languages",
        )
        made = []
        for worker, wanted in zip(rows, credentials, strict=True):
            for credential_type, state in wanted:
                made.append(self.credential(worker, credential_type, state, curator))
        _bulk(Credential, made, self.summary)

    def credential(self, worker, credential_type, state, curator) -> Credential:
        rng = self.rng
        today = self.today
        span = dt.timedelta(days=365 * (credential_type.renewal_years or 2))
        if state == "current":
            issued = today - dt.timedelta(days=rng.randrange(30, span.days - 30))
        elif state == "expired":
            issued = today - span - dt.timedelta(days=rng.randrange(10, 700))
        else:
            issued = today - dt.timedelta(days=rng.randrange(30, 2000))
        expires = state == "expired" or credential_type.renewal_years or rng.random() < 0.8
        credential = Credential(
            worker=worker,
            credential_type=credential_type,
            number=f"DEMO-{rng.randrange(100000, 999999)}",
            issued_on=issued,
            expires_on=issued + span if expires else None,
            evidence_note="Fictional demo credential: nothing was checked.",
        )
        if state in ("current", "expired"):
            credential.verification_status = Credential.Verification.VERIFIED
            credential.verification_method = rng.choice(list(Credential.Method.values))
            credential.verified_by = curator
            verified_on = issued + dt.timedelta(days=rng.randrange(1, 60))
            credential.verified_at = dt.datetime.combine(
                min(verified_on, today), dt.time(10), tzinfo=dt.UTC
            )
        elif state == "revoked":
            credential.verification_status = Credential.Verification.REVOKED
        return credential


def generate_demo(
    *,
    listings: int,
    seed: int,
    workers: int | None = None,
    replace: bool = False,
    dry_run: bool = False,
) -> DemoSummary:
    """Create ``listings`` demo listings (and organisations, locations, schedules, workers).

    All in one transaction: on any error, or on a dry run, nothing is written.
    """
    if listings < 1:
        raise DemoError("--listings must be at least 1.")
    if workers is None:
        workers = max(5, listings // 20)
    started = time.perf_counter()
    summary = DemoSummary(dry_run=dry_run)
    with transaction.atomic():
        if demo_rows_exist():
            if not replace:
                raise DemoError("Demo data already loaded; use --replace to regenerate it.")
            delete_demo_data(summary)
        # Read after deleting: --replace may have removed fictional credential types. A
        # DemoError here rolls the deletion back with everything else.
        ref = read_reference()
        Generator(ref, seed, summary).run(listings, workers)
        if dry_run:
            transaction.set_rollback(True)
    summary.seconds = time.perf_counter() - started
    return summary
