from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory.loaders import LoaderError, run_loader
from directory.loaders.base import report
from directory.loaders.reference import default_reference_dir, load_reference


class Command(BaseCommand):
    help = (
        "Load reference data from fixtures/reference/: feature categories and Meeting Guide "
        "features, credential types, crisis lines, national fellowships (and bare support "
        "types if missing). Idempotent; all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            type=Path,
            default=None,
            dest="directory",
            help=f"Directory with the reference files (default: {default_reference_dir()}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Do everything, then roll it back."
        )

    def handle(self, *args, directory: Path | None, dry_run: bool, **options):
        try:
            summary = run_loader(lambda: load_reference(directory), dry_run=dry_run)
        except LoaderError as error:
            raise CommandError(f"{str(error).rstrip('.')}. Nothing was written.") from error
        self.stdout.write(report(summary, dry_run=dry_run))
