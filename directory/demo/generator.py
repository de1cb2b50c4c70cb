"""The generator: organisations and locations over the gazetteer's towns, listings in batches,
then peer workers; ``generate_demo`` runs it in one transaction."""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections import defaultdict

from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify

from directory.demo.basics import (
    BATCH_SIZE,
    DemoError,
    DemoSummary,
    bulk_insert,
    clock_time,
    fictional_phone,
    picker,
    random_uuid,
)
from directory.demo.cleanup import delete_demo_data, demo_curator, demo_rows_exist
from directory.demo.listings import ListingParts
from directory.demo.reference import Gazetteer, PlaceRow, Reference, nearest_codes, read_reference
from directory.demo.words import (
    ATTENDANCE_WEIGHTS,
    CENTER_SPELLING,
    DURATIONS,
    GB_STREET_SUFFIXES,
    GB_STREETS,
    MEETING_SCHEDULE_COUNTS,
    ORG_KIND_WEIGHTS,
    ORG_PREFIXES,
    ORG_SUPPORT_TYPES,
    SCHEDULE_KIND_WEIGHTS,
    SERVICE_SCHEDULE_COUNTS,
    START_TIMES,
    STATUS_WEIGHTS,
    STREET_SUFFIXES,
    STREETS,
    SUPPORT_TYPE_WEIGHTS,
    VENUES,
)
from directory.demo.workers import WorkerParts
from directory.models import (
    Listing,
    Location,
    Organization,
    Place,
    Schedule,
)


class Generator(ListingParts, WorkerParts):
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
        pick_kind = picker(rng, ORG_KIND_WEIGHTS)
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
                    phone=fictional_phone(rng, home.country),
                    attendance=attendance,
                    is_demo=True,
                    uuid=random_uuid(rng),
                )
            )
            homes.append(home)
            types.append(ORG_SUPPORT_TYPES[kind])
        rows = bulk_insert(Organization, rows, self.summary)
        through = Organization.support_types.through
        bulk_insert(
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
            uuid=random_uuid(rng),
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
            uuid=random_uuid(rng=self.rng),
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
        bulk_insert(Location, physical + list(approx_by_place.values()), self.summary)

        curator = demo_curator()
        pick_status = picker(rng, STATUS_WEIGHTS)
        meeting_counts = picker(rng, MEETING_SCHEDULE_COUNTS)
        service_counts = picker(rng, SERVICE_SCHEDULE_COUNTS)
        pick_kind = picker(rng, SCHEDULE_KIND_WEIGHTS)
        pick_start = picker(rng, [(clock_time(t), w) for t, w in START_TIMES])
        pick_duration = picker(rng, DURATIONS)
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

            batch = bulk_insert(Listing, batch, self.summary)
            rows = []
            for listing, listing_schedules in zip(batch, schedules, strict=True):
                for schedule in listing_schedules:
                    schedule.listing_id = listing.pk
                    rows.append(schedule)
            bulk_insert(Schedule, rows, self.summary)
            bulk_insert(
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
