from django.db import models


class SearchVersion(models.Model):
    """One row whose token changes with every write to what the search index reads.

    Database triggers (migration 0006) set a new random token after any insert, update or
    delete on listings, schedules, locations, organisations, support types and features, in
    the writer's own transaction: admin saves, approved submissions, imports, bulk inserts and
    raw SQL alike. A process whose index was built at another token rebuilds it.
    """

    token = models.BigIntegerField(default=0)
    # When the token last changed (set by the same triggers): the feeds' Last-Modified.
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"search version {self.token}"
