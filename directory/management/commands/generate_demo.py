from django.core.management.base import BaseCommand, CommandError

from directory.demo.basics import DemoError
from directory.demo.generator import generate_demo


def positive(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Generate fictional, clearly labelled demo data: organisations, locations in real towns "
        "of the gazetteer, listings with schedules and features, peer workers with credentials. "
        "Needs the reference data (load_reference, load_article, load_gazetteer). Deterministic "
        "for a seed; one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("--listings", type=positive, default=300, help="Listings to create.")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same seed, same data)."
        )
        parser.add_argument(
            "--workers",
            type=positive,
            default=None,
            help="Peer workers to create (default: listings // 20, at least 5).",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete existing demo rows first (never real data).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Do everything, then roll it back."
        )

    def handle(self, *args, listings, seed, workers, replace, dry_run, **options):
        try:
            summary = generate_demo(
                listings=listings, seed=seed, workers=workers, replace=replace, dry_run=dry_run
            )
        except DemoError as error:
            raise CommandError(f"{str(error).rstrip('.')}. Nothing was written.") from error
        self.stdout.write("\n".join(summary.lines()))
