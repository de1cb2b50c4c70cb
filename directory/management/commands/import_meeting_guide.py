from django.core.management.base import BaseCommand, CommandError

from directory.models import Organization, SupportType
from directory.services.meeting_guide_import import FeedReadError, import_meetings, read_source
from directory.validators import known_time_zones


class Command(BaseCommand):
    help = (
        "Import a Meeting Guide JSON feed (a file or an http(s) URL) by slug: creates and "
        "updates listings, reports and skips broken rows, never deletes. One transaction; "
        "safe to run again on a schedule."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="Path or http(s) URL of the meetings.json feed.")
        parser.add_argument(
            "--organization", metavar="SLUG", help="Organisation that new listings belong to."
        )
        parser.add_argument(
            "--support-type",
            metavar="SLUG",
            default="12-step-programs",
            help="Support type of new listings (default: 12-step-programs).",
        )
        parser.add_argument(
            "--timezone", help="IANA time zone for rows without one, e.g. America/Chicago."
        )
        parser.add_argument("--timeout", type=float, default=30, help="URL timeout in seconds.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count everything, save nothing."
        )

    def handle(self, *args, source, organization, support_type, timezone, timeout, dry_run, **kw):
        try:
            support = SupportType.objects.get(slug=support_type)
        except SupportType.DoesNotExist:
            raise CommandError(f"No support type with slug {support_type!r}.") from None
        org = None
        if organization:
            org = Organization.objects.filter(slug=organization).first()
            if org is None:
                raise CommandError(f"No organisation with slug {organization!r}.")
        if timezone and timezone not in known_time_zones():
            raise CommandError(f"{timezone!r} is not an IANA time zone.")
        try:
            rows = read_source(source, timeout=timeout)
        except FeedReadError as error:
            raise CommandError(f"{error} Nothing was imported.") from error

        result = import_meetings(
            rows,
            support_type=support,
            organization=org,
            default_timezone=timezone,
            dry_run=dry_run,
        )
        for problem in result.problems:
            self.stderr.write(f"Skipped {problem}")
        self.stdout.write(result.summary())
