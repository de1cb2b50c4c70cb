from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from directory.services.curation import stale_listings


class Command(BaseCommand):
    help = (
        "List published listings nobody has verified in N months (default 6), oldest first, "
        "for a curator's weekly review."
    )

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=6)
        parser.add_argument("--organization", help="Only this organisation (slug).")

    def handle(self, *args, months: int, organization: str | None, **options):
        if months < 1:
            raise CommandError("--months must be at least 1.")
        listings = stale_listings(months=months)
        if organization:
            listings = listings.filter(organization__slug=organization)
        count = 0
        for listing in listings.iterator(chunk_size=2000):
            count += 1
            verified = (
                timezone.localdate(listing.last_verified_at).isoformat()
                if listing.last_verified_at
                else "never"
            )
            org = listing.organization.name if listing.organization else "-"
            self.stdout.write(
                f"{verified}\t{listing.slug}\t{listing.name}\t{org}"
                f"\t/admin/directory/listing/{listing.pk}/change/"
            )
        self.stdout.write(
            self.style.SUCCESS(f"{count} published listing(s) not verified in {months} months.")
            if count
            else f"No published listing is older than {months} months. Nothing to review."
        )
