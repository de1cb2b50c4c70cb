from django.core.management.base import BaseCommand, CommandError

from directory.models import FeedSource
from directory.services.meeting_guide_import import run_source


class Command(BaseCommand):
    help = (
        "Run every enabled Meeting Guide feed source (or the given ones): each in its own "
        "transaction, with its report. Exits non-zero when any source failed (the others still "
        "run). Safe from cron, e.g. `17 4 * * * cd /srv/app && .venv/bin/python manage.py "
        "sync_feeds`."
    )

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="Only these source ids.")
        parser.add_argument("--timeout", type=float, default=30, help="URL timeout in seconds.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count everything, save nothing."
        )

    def handle(self, *args, ids, timeout, dry_run, **options):
        sources = FeedSource.objects.select_related("organization", "support_type")
        sources = sources.filter(pk__in=ids) if ids else sources.filter(enabled=True)
        failed = []
        for source in sources.order_by("pk"):
            result = run_source(source, dry_run=dry_run, triggered_by="sync_feeds", timeout=timeout)
            self.stdout.write(f"== {source} (id {source.pk})")
            for line in result.lines():
                self.stdout.write(line)
            if not result.ok:
                failed.append(str(source))
        if failed:
            raise CommandError(f"{len(failed)} source(s) failed: {', '.join(failed)}.")
