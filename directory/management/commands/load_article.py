from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory.loaders import LoaderError, run_loader
from directory.loaders.article import default_article_path, load_article
from directory.loaders.base import report


class Command(BaseCommand):
    help = (
        "Load the peer-support article (support types, guide sections, checklist, FAQ) from "
        "fixtures/article/. Idempotent; all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            type=Path,
            default=None,
            help=f"The article's text file (default: {default_article_path()}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Do everything, then roll it back."
        )

    def handle(self, *args, file: Path | None, dry_run: bool, **options):
        try:
            summary = run_loader(lambda: load_article(file), dry_run=dry_run)
        except LoaderError as error:
            raise CommandError(f"{str(error).rstrip('.')}. Nothing was written.") from error
        self.stdout.write(report(summary, dry_run=dry_run))
