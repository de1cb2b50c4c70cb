"""Import and keep in sync an intergroup's Meeting Guide feed (a :class:`FeedSource`).

Identity: a listing imported from a source is that source's row ``feed_slug``
(:class:`FeedListing`), never our global slug, so two feeds that both say ``speaker-meeting``
get two listings, and a source can only ever update its own. Each new listing gets its own
unique public slug (the feed's slug when it is free).

One run (:func:`run_source`):

1. Read the feed (URL, server path or uploaded JSON). A feed that cannot be read, or that has
   fewer than half the rows of the last successful run, **changes nothing**: the run is saved
   as failed, with why.
2. Check every row (``meeting_guide.rows.parse_row``): a row that cannot be listed is skipped
   with its reason; a bad single field is dropped with a warning. **Day records** — rows that
   are one meeting on several days, written one record per day as clients need — become one
   listing: rows that share their ``url`` (or their slug) and differ only in day and time.
   A slug repeated on rows that are *not* the same meeting: the first row is imported, each
   later one skipped with the row it clashes with (a feed's order is its author's).
3. Compare each row with what its listing holds (everything was loaded in a few queries) and
   write only the differences, in bulk: new locations, listings, schedules, features; changed
   listings one by one. A second run of the same feed creates 0 and updates 0.
4. Listings of the source missing from this feed count one more missing run; after
   ``archive_after_runs`` (default 2) they are archived, never deleted. One that comes back is
   restored (only if the feed archived it; a curator's archive stands).

The whole run is one transaction (a dry run rolls it back) and saves a :class:`FeedRun` with the
counts and the grouped warnings and skips, each with the row's position, name and slug.

What a row sets: name, notes → description, attendance, the conference fields, contact (first
name only), website, group, group notes, district, regions, group e-mail and phone, location
notes (per listing), the location (shared only with rows whose name, address and coordinates
all agree, within the source's organisation), the features whose code is in ``types``
(features without a code are kept) and the weekly schedules (monthly and every-N-weeks ones,
which the format cannot say, are kept). New listings are published under the source's support
type and organisation; an existing listing keeps its status and support type.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from directory.meeting_guide.addresses import Context
from directory.meeting_guide.grouping import common_slug, group_meetings
from directory.meeting_guide.reading import FeedReadError, read_feed
from directory.meeting_guide.report import RunResult
from directory.meeting_guide.rows import ParsedRow, parse_row
from directory.meeting_guide.values import RowError
from directory.models import (
    Feature,
    FeedListing,
    FeedRun,
    FeedSource,
    Listing,
    Location,
    Schedule,
)
from directory.models.listings import ADDRESS_FIELDS, Status

logger = logging.getLogger(__name__)
SHRINK_LIMIT = 0.5  # a feed with fewer rows than this share of the last run's changes nothing
BATCH_SIZE = 500
LOCATION_KEY = (
    *ADDRESS_FIELDS,
    "latitude",
    "longitude",
    # Part of the key, not a detail: our own feed (and others) publish listings without a
    # place at their organisation's town, so two rows share an address but not a zone; one
    # shared location would take each row's zone in turn, and every run would "update" it.
    "timezone",
)
LOCATION_DETAILS = ("approximate",)


# ----------------------------------------------------------------------------- running


def run_source(
    source: FeedSource,
    *,
    rows: list | None = None,
    dry_run: bool = False,
    allow_shrink: bool = False,
    triggered_by: str = "",
    timeout: float | None = None,
) -> RunResult:
    """One run of ``source`` (its feed is read unless ``rows`` are given); see the module.
    Whatever goes wrong is the run's failure, saved with its reason: it never raises, so one
    bad source cannot stop ``sync_feeds`` or answer an editor with a 500."""
    started = timezone.now()
    result = RunResult(source_name=source.name, dry_run=dry_run)
    if rows is None:
        try:
            rows = read_feed(source, timeout=timeout)
        except FeedReadError as error:
            result.failed = str(error)
            return _finish(source, result, started, triggered_by)
        except Exception as error:  # a reader's bug: logged in full, named for the editor
            logger.exception("feed source %s: reading the feed stopped with an error", source.pk)
            result.failed = f"the feed could not be read ({type(error).__name__})."
            return _finish(source, result, started, triggered_by)
    result.rows = len(rows)
    try:
        with transaction.atomic():
            locked = FeedSource.objects.select_for_update().get(pk=source.pk)
            previous = locked.last_successful_run()
            if (
                not allow_shrink
                and previous is not None
                and previous.rows
                and len(rows) < previous.rows * SHRINK_LIMIT
            ):
                result.failed = (
                    f"the feed has {len(rows)} rows, under {SHRINK_LIMIT:.0%} of the "
                    f"{previous.rows} of the last successful run ({previous.started_at:%Y-%m-%d})."
                )
            else:
                _Importer(locked, result).run(rows)
                if not dry_run:
                    _save_run(locked, result, started, triggered_by)
            if dry_run:
                transaction.set_rollback(True)
    except Exception as error:  # anything unexpected: change nothing, record it, go on
        logger.exception("feed source %s: the import stopped with an error", source.pk)
        result = RunResult(source_name=source.name, rows=len(rows), dry_run=dry_run)
        result.failed = f"the import stopped with an error ({type(error).__name__}: {error})."
        return _finish(source, result, started, triggered_by)
    if result.failed:
        _finish(source, result, started, triggered_by)
    return result


def _finish(source: FeedSource, result: RunResult, started, triggered_by: str) -> RunResult:
    if not result.dry_run:
        _save_run(source, result, started, triggered_by)
    return result


def _save_run(source: FeedSource, result: RunResult, started, triggered_by: str) -> FeedRun:
    return FeedRun.objects.create(
        source=source,
        started_at=started,
        finished_at=timezone.now(),
        status=FeedRun.Status.FAILED if result.failed else FeedRun.Status.OK,
        error=result.failed,
        rows=result.rows,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        archived=result.archived,
        restored=result.restored,
        skipped=result.skipped,
        report=result.report(),
        triggered_by=triggered_by[:100],
    )


def _location_key(values: dict) -> tuple:
    return tuple(values[key] for key in LOCATION_KEY)


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
    return " ".join(error.messages)


class _Importer:
    """One run's comparison and writes (inside run_source's transaction)."""

    def __init__(self, source: FeedSource, result: RunResult):
        self.source = source
        self.result = result
        self.features_by_code = {f.code: f.pk for f in Feature.objects.exclude(code="")}
        self.context = Context(
            fallback_timezone=source.fallback_timezone,
            feature_codes=set(self.features_by_code),
        )
        self.locations: dict[tuple, Location] = {}

    # --- 1. rows --------------------------------------------------------------------------

    def parse(self, rows: list) -> tuple[list[tuple[int, ParsedRow]], set[str]]:
        parsed_rows: list[tuple[int, ParsedRow]] = []
        seen: set[str] = set()  # every slug in the feed, even on rows we skip
        for index, row in enumerate(rows, start=1):
            name = str(row.get("name") or "")[:120] if isinstance(row, dict) else ""
            slug = row.get("slug") if isinstance(row, dict) else None
            slug = str(slug).strip() if isinstance(slug, str | int) else ""
            if slug:
                seen.add(slug)
            try:
                parsed = parse_row(row, self.context)
            except RowError as error:
                self.result.skip(str(error), index, name, slug)
                continue
            for kind, detail in parsed.warnings:
                self.result.warn(kind, index, parsed.name, parsed.feed_slug, detail)
            parsed_rows.append((index, parsed))
        return group_meetings(parsed_rows, self.result), seen

    # --- 2. what is there -----------------------------------------------------------------

    def load(self):
        """The source's listings, their weekly schedules and coded features, and the
        organisation's locations: a handful of queries whatever the feed's size."""
        links = {
            link.feed_slug: link
            for link in FeedListing.objects.filter(source=self.source).select_related(
                "listing", "listing__location"
            )
        }
        schedules: dict[int, dict[tuple, int]] = {}
        coded: dict[int, dict[int, int]] = {}  # listing -> {feature id: through row id}
        for pk, listing_id, weekday, start, end, zone in Schedule.objects.filter(
            listing__feed_origin__source=self.source, kind=Schedule.Kind.WEEKLY
        ).values_list("pk", "listing_id", "weekday", "start_time", "end_time", "timezone"):
            schedules.setdefault(listing_id, {})[(weekday, start, end, zone)] = pk
        for pk, listing_id, feature_id in (
            Listing.features.through.objects.filter(listing__feed_origin__source=self.source)
            .exclude(feature__code="")
            .values_list("pk", "listing_id", "feature_id")
        ):
            coded.setdefault(listing_id, {})[feature_id] = pk
        for location in Location.objects.filter(organization=self.source.organization).order_by(
            "-pk"
        ):
            self.locations[_location_key({k: getattr(location, k) for k in LOCATION_KEY})] = (
                location
            )
        return links, schedules, coded

    def resolve_locations(self, usable: list[tuple[int, ParsedRow]]) -> None:
        """Every row's location: an identical one of the organisation, else a new one (bulk)."""
        pending: dict[tuple, Location] = {}
        for _, parsed in usable:
            if parsed.location is None:
                continue
            key = _location_key(parsed.location)
            if key not in self.locations and key not in pending:
                pending[key] = Location(organization=self.source.organization, **parsed.location)
        Location.objects.bulk_create(list(pending.values()), batch_size=BATCH_SIZE)
        self.locations.update(pending)

    # --- 3. the run -----------------------------------------------------------------------

    def run(self, rows: list) -> None:
        usable, seen = self.parse(rows)
        links, schedules, coded = self.load()
        self.resolve_locations(usable)
        now = timezone.now()
        new_rows: list[tuple[int, ParsedRow]] = []
        location_updates: dict[int, Location] = {}
        listing_updates: list[Listing] = []
        listing_fields: set[str] = set()
        link_updates: list[FeedListing] = []
        schedule_deletes: list[int] = []
        schedule_creates: list[Schedule] = []
        feature_deletes: list[int] = []
        feature_creates: list = []
        through = Listing.features.through

        claimed: set[int] = set()
        by_url: dict[str, list[FeedListing]] = {}
        for link in links.values():
            if link.feed_url:
                by_url.setdefault(link.feed_url, []).append(link)
        for index, parsed in usable:
            # Known by any of its records' slugs, else by its url (a listing written one
            # record per day gains and loses days, and so slugs).
            link = next(
                (
                    links[slug]
                    for slug in sorted(parsed.slugs or {parsed.feed_slug})
                    if slug in links and links[slug].pk not in claimed
                ),
                None,
            )
            if link is None and parsed.feed_url:
                same_url = [
                    candidate
                    for candidate in by_url.get(parsed.feed_url, [])
                    if candidate.pk not in claimed and candidate.feed_slug not in seen
                ]
                link = same_url[0] if len(same_url) == 1 else None
            if link is None:
                new_rows.append((index, parsed))
                continue
            claimed.add(link.pk)
            if link.feed_slug != parsed.feed_slug and parsed.feed_slug not in links:
                link.feed_slug = parsed.feed_slug  # its record under the old slug has gone
                links[parsed.feed_slug] = link
            listing = link.listing
            if listing.organization_id != self.source.organization_id:
                # A curator moved it to another organisation: theirs now, never overwritten
                # or moved back by this feed (and not archived as missing).
                self.result.skip(
                    "listing moved to another organisation: not updated",
                    index,
                    parsed.name,
                    parsed.feed_slug,
                    f"now {listing.organization or 'no organisation'}; “{listing.slug}”",
                )
                continue
            changed = False
            location = None
            if parsed.location is not None:
                location = self.locations[_location_key(parsed.location)]
                details = [
                    k for k in LOCATION_DETAILS if getattr(location, k) != parsed.location[k]
                ]
                if details:
                    for k in details:
                        setattr(location, k, parsed.location[k])
                    location_updates[location.pk] = location
                    changed = True
            values = {**parsed.listing, "location": location}
            fields = [k for k, v in values.items() if getattr(listing, k) != v]
            restored = link.archived_by_feed and listing.status == Status.ARCHIVED
            link_dirty = bool(
                link.missing_runs or link.archived_by_feed or link.feed_slug not in seen
            )
            if fields or restored:
                original = {k: getattr(listing, k) for k in fields}
                for k in fields:
                    setattr(listing, k, values[k])
                try:
                    listing.clean_fields(exclude=["support_type", "organization", "location"])
                except ValidationError as error:
                    for k, v in original.items():
                        setattr(listing, k, v)
                    self.result.skip(
                        "invalid listing",
                        index,
                        parsed.name,
                        parsed.feed_slug,
                        _validation_message(error),
                    )
                    continue
                if restored:
                    listing.status = Status.PUBLISHED
                    fields.append("status")
                listing.updated_at = now
                listing_updates.append(listing)
                listing_fields.update(fields)
                changed = changed or bool(set(fields) - {"status"})
            current_schedules = schedules.get(listing.pk, {})
            stale = [pk for key, pk in current_schedules.items() if key not in parsed.schedules]
            missing = [key for key in parsed.schedules if key not in current_schedules]
            schedule_deletes += stale
            schedule_creates += [self._schedule(listing.pk, key) for key in missing]
            wanted = {self.features_by_code[c] for c in parsed.codes if c in self.features_by_code}
            have = coded.get(listing.pk, {})
            if wanted != set(have):
                feature_deletes += [pk for feature, pk in have.items() if feature not in wanted]
                feature_creates += [
                    through(listing_id=listing.pk, feature_id=pk) for pk in wanted - set(have)
                ]
                changed = True
            if (link.feed_url, link.feedback_url) != (parsed.feed_url, parsed.feedback_url):
                link.feed_url, link.feedback_url = parsed.feed_url, parsed.feedback_url
                link_dirty = changed = True
            if link_dirty:
                link.missing_runs, link.archived_by_feed = 0, False
                link_updates.append(link)
            if restored:
                self.result.restored += 1
            if changed or stale or missing:
                self.result.updated += 1
            elif not restored:
                self.result.unchanged += 1

        if location_updates:
            for location in location_updates.values():
                location.updated_at = now
            Location.objects.bulk_update(
                list(location_updates.values()), [*LOCATION_DETAILS, "updated_at"]
            )
        if listing_updates:
            Listing.objects.bulk_update(
                listing_updates, [*sorted(listing_fields), "updated_at"], batch_size=BATCH_SIZE
            )
        if link_updates:
            FeedListing.objects.bulk_update(
                link_updates,
                ["feed_slug", "missing_runs", "archived_by_feed", "feed_url", "feedback_url"],
                batch_size=BATCH_SIZE,
            )
        if feature_deletes:
            through.objects.filter(pk__in=feature_deletes).delete()
        if schedule_deletes:
            Schedule.objects.filter(pk__in=schedule_deletes).delete()

        created = self.create(new_rows, schedule_creates, feature_creates)
        Schedule.objects.bulk_create(schedule_creates, batch_size=BATCH_SIZE)
        through.objects.bulk_create(feature_creates, batch_size=BATCH_SIZE)
        self.result.created += len(created)
        self.archive_missing(seen, links, claimed)

    def _schedule(self, listing_id: int, key: tuple) -> Schedule:
        weekday, start, end, zone = key
        return Schedule(
            listing_id=listing_id, weekday=weekday, start_time=start, end_time=end, timezone=zone
        )

    def create(self, new_rows, schedule_creates, feature_creates) -> list:
        """New listings, their schedules, features and origin, in bulk."""
        listings: list[tuple[int, ParsedRow, Listing]] = []
        slugs = self.public_slugs([parsed for _, parsed in new_rows])
        for index, parsed in new_rows:
            location = None
            if parsed.location is not None:
                location = self.locations[_location_key(parsed.location)]
            listing = Listing(
                slug=slugs[parsed.feed_slug],
                support_type_id=self.source.support_type_id,
                organization_id=self.source.organization_id,
                status=Status.PUBLISHED,
                location=location,
                **parsed.listing,
            )
            # parse_row already holds every field to the model's rules (a property test checks
            # it against clean_fields); validating 2,000 new listings again would double the
            # import's time.
            listings.append((index, parsed, listing))
        Listing.objects.bulk_create([r for _, _, r in listings], batch_size=BATCH_SIZE)
        through = Listing.features.through
        links = []
        for _, parsed, listing in listings:
            schedule_creates += [self._schedule(listing.pk, key) for key in parsed.schedules]
            feature_creates += [
                through(listing_id=listing.pk, feature_id=self.features_by_code[code])
                for code in parsed.codes
                if code in self.features_by_code
            ]
            links.append(
                FeedListing(
                    source=self.source,
                    feed_slug=parsed.feed_slug,
                    listing=listing,
                    feed_url=parsed.feed_url,
                    feedback_url=parsed.feedback_url,
                )
            )
        FeedListing.objects.bulk_create(links, batch_size=BATCH_SIZE)
        return listings

    def public_slugs(self, parsed_rows: list[ParsedRow]) -> dict[str, str]:
        """A unique public slug for each new listing: the feed's slug when it is free."""
        wanted = {}
        for parsed in parsed_rows:
            feed_slug = common_slug(parsed.slugs) or parsed.feed_slug
            base = slugify(feed_slug)[:160].strip("-") or slugify(parsed.name)[:160]
            wanted[parsed.feed_slug] = base or "meeting"
        taken = set(
            Listing.objects.filter(slug__in=set(wanted.values())).values_list("slug", flat=True)
        )
        result, pending = {}, {}
        used: set[str] = set()
        for feed_slug, base in wanted.items():
            if base in taken or base in used:
                pending[feed_slug] = base
            else:
                result[feed_slug] = base
                used.add(base)
        suffix = slugify(self.source.organization.slug)[:40] or "feed"
        attempt = 0
        while pending:
            attempt += 1
            candidates = {
                feed_slug: f"{base}-{suffix}" + (f"-{attempt}" if attempt > 1 else "")
                for feed_slug, base in pending.items()
            }
            taken = set(
                Listing.objects.filter(slug__in=set(candidates.values())).values_list(
                    "slug", flat=True
                )
            )
            for feed_slug, candidate in candidates.items():
                if candidate not in taken and candidate not in used:
                    result[feed_slug] = candidate
                    used.add(candidate)
                    del pending[feed_slug]
        return result

    def archive_missing(
        self, seen: set[str], links: dict[str, FeedListing], claimed: set[int]
    ) -> None:
        missing = list(
            {link.pk for slug, link in links.items() if slug not in seen and link.pk not in claimed}
        )
        if not missing:
            return
        FeedListing.objects.filter(pk__in=missing).update(missing_runs=F("missing_runs") + 1)
        due = FeedListing.objects.filter(
            pk__in=missing,
            missing_runs__gte=self.source.archive_after_runs,
            listing__status=Status.PUBLISHED,
        )
        listing_ids = list(due.values_list("listing_id", flat=True))
        if listing_ids:
            Listing.objects.filter(pk__in=listing_ids).update(
                status=Status.ARCHIVED, updated_at=timezone.now()
            )
            FeedListing.objects.filter(listing_id__in=listing_ids).update(archived_by_feed=True)
        self.result.archived += len(listing_ids)
