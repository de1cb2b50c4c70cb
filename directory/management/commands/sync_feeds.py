import logging

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from directory.meeting_guide.importing import run_source
from directory.models import FeedRun, FeedSource

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run every enabled Meeting Guide feed source (or the given ones): each in its own "
        "transaction, with its report. Exits non-zero when any source failed (the others still "
        "run). Safe from cron, e.g. `17 4 * * * cd /srv/app && .venv/bin/python manage.py "
        "sync_feeds`."
    )

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="Only these source ids.")
        parser.add_argument(
            "--timeout",
            type=float,
            default=None,
            help="Seconds for each URL's whole fetch (default: DIRECTORY_FETCH_DEADLINE_SECONDS).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count everything, save nothing."
        )

    def handle(self, *args, ids, timeout, dry_run, **options):
        sources = FeedSource.objects.select_related("organization", "support_type")
        sources = sources.filter(pk__in=ids) if ids else sources.filter(enabled=True)
        failed = []
        for source in sources.order_by("pk"):
            self.stdout.write(f"== {source} (id {source.pk})")
            try:
                result = run_source(
                    source, dry_run=dry_run, triggered_by="sync_feeds", timeout=timeout
                )
            except Exception as error:
                # run_source records its own failures; this is for a failure of that too (the
                # database, say): the next sources still run.
                logger.exception("sync_feeds: source %s stopped with an error", source.pk)
                reason = f"the run stopped with an error ({type(error).__name__})."
                self.stdout.write(f"Failed: {reason}")
                if not dry_run:
                    _record_failure(source, reason)
                failed.append(str(source))
                continue
            for line in result.lines():
                self.stdout.write(line)
            if not result.ok:
                failed.append(str(source))
        if failed:
            raise CommandError(f"{len(failed)} source(s) failed: {', '.join(failed)}.")


def _record_failure(source: FeedSource, reason: str) -> None:
    now = timezone.now()
    try:
        FeedRun.objects.create(
            source=source,
            started_at=now,
            finished_at=now,
            status=FeedRun.Status.FAILED,
            error=reason,
            triggered_by="sync_feeds",
        )
    except Exception:  # the database itself is the problem: the log has it
        logger.exception("sync_feeds: could not record the failed run of source %s", source.pk)
