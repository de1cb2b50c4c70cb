from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from directory.meeting_guide.importing import run_source
from directory.meeting_guide.jobs import create_source, find_source
from directory.models import Organization, SupportType
from directory.validators import known_time_zones


class Command(BaseCommand):
    help = (
        "Import a Meeting Guide JSON feed (a file or an http(s) URL) as a feed source: listings "
        "are keyed by (source, feed slug), created, updated, archived when gone and restored "
        "when back, never deleted. Prints the run's report; exits non-zero only when the "
        "source itself failed. Safe to run again on a schedule (see also sync_feeds)."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="Path or http(s) URL of the meetings.json feed.")
        parser.add_argument(
            "--organization",
            metavar="SLUG",
            help="Organisation the source and its listings belong to (needed for a new source).",
        )
        parser.add_argument(
            "--support-type",
            metavar="SLUG",
            default="12-step-programs",
            help="Support type of a new source's listings (default: 12-step-programs).",
        )
        parser.add_argument(
            "--timezone",
            help="Fallback IANA zone for rows whose zone cannot be inferred, e.g. America/Chicago.",
        )
        parser.add_argument("--name", default="", help="Name of a new source.")
        parser.add_argument(
            "--timeout",
            type=float,
            default=None,
            help="Seconds for the URL's whole fetch (default: DIRECTORY_FETCH_DEADLINE_SECONDS).",
        )
        parser.add_argument(
            "--allow-shrink",
            action="store_true",
            help="Import even if the feed has under half the rows of the last run.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count everything, save nothing."
        )

    def handle(self, *args, **options):
        timezone = options["timezone"]
        if timezone and timezone not in known_time_zones():
            raise CommandError(f"{timezone!r} is not an IANA time zone.")
        org = None
        if options["organization"]:
            org = Organization.objects.filter(slug=options["organization"]).first()
            if org is None:
                raise CommandError(f"No organisation with slug {options['organization']!r}.")

        with transaction.atomic():
            source = find_source(options["source"])
            created = source is None
            if created:
                if org is None:
                    raise CommandError(
                        "This feed is not a source yet: give --organization SLUG to create it."
                    )
                support = SupportType.objects.filter(slug=options["support_type"]).first()
                if support is None:
                    raise CommandError(f"No support type with slug {options['support_type']!r}.")
                source = create_source(
                    options["source"],
                    organization=org,
                    support_type=support,
                    fallback_timezone=timezone or "",
                    name=options["name"],
                )
            elif org is not None and source.organization_id != org.pk:
                raise CommandError(
                    f"This feed is already the source “{source}” of {source.organization}; "
                    "it cannot be imported for another organisation."
                )
            elif timezone and source.fallback_timezone != timezone:
                source.fallback_timezone = timezone
                source.save(update_fields=["fallback_timezone", "updated_at"])
            result = run_source(
                source,
                dry_run=options["dry_run"],
                allow_shrink=options["allow_shrink"],
                triggered_by="import_meeting_guide",
                timeout=options["timeout"],
            )
            if options["dry_run"]:
                transaction.set_rollback(True)
        if created and not options["dry_run"]:
            self.stdout.write(f"New feed source “{source}” (id {source.pk}).")
        for line in result.lines():
            self.stdout.write(line)
        if not result.ok:
            raise CommandError(f"The source “{source}” failed: {result.summary()}")
