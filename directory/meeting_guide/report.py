"""A feed run's report: what was created, updated, archived and skipped, with up to
``EXAMPLES`` rows per reason, as staff read it in admin and the command prints it."""

from __future__ import annotations

from dataclasses import dataclass, field

EXAMPLES = 50  # rows kept per reason in a run's report


@dataclass
class RunResult:
    """What one run did, and the rows it skipped or warned about, grouped by reason: every
    reason with its count, and its first ``EXAMPLES`` rows (a 100,000-row feed with one
    problem on every row gives a report of a few KB, not of MB)."""

    source_name: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    restored: int = 0
    failed: str = ""  # why the source failed (nothing was changed)
    dry_run: bool = False
    # reason -> the first rows [{"row": 3, "name": "...", "slug": "...", "detail": "..."}]
    skips: dict[str, list[dict]] = field(default_factory=dict)
    warnings: dict[str, list[dict]] = field(default_factory=dict)
    # reason -> how many rows, examples or not
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {"skipped": {}, "warnings": {}}
    )
    skipped_rows: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def skipped(self) -> int:
        return len(self.skipped_rows)

    def skip(self, reason: str, row: int, name: str, slug: str, detail: str = "") -> None:
        self.skipped_rows.add(row)
        self._add(self.skips, "skipped", reason, _entry(row, name, slug, detail))

    def warn(self, reason: str, row: int, name: str, slug: str, detail: str = "") -> None:
        self._add(self.warnings, "warnings", reason, _entry(row, name, slug, detail))

    def _add(self, groups: dict, kind: str, reason: str, entry: dict) -> None:
        counts = self.counts[kind]
        counts[reason] = counts.get(reason, 0) + 1
        items = groups.setdefault(reason, [])
        if len(items) < EXAMPLES:
            items.append(entry)

    def count(self, kind: str, reason: str) -> int:
        return self.counts[kind].get(reason, 0)

    def summary(self) -> str:
        if self.failed:
            return f"Failed: {self.failed.rstrip('.')}. Nothing was changed."
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.archived} archived, {self.restored} restored, {self.skipped} skipped"
            + (" (dry run: nothing saved)" if self.dry_run else "")
        )

    def groups(self) -> list[tuple[str, str, int, list[dict]]]:
        """(title, reason, count, example rows): the commonest reasons first."""
        found = []
        for title, kind, groups in (
            ("Skipped", "skipped", self.skips),
            ("Warnings", "warnings", self.warnings),
        ):
            for reason, items in sorted(
                groups.items(), key=lambda kv: (-self.count(kind, kv[0]), kv[0])
            ):
                found.append((title, reason, self.count(kind, reason), items))
        return found

    def lines(self, *, limit: int = 20) -> list[str]:
        """The summary, then each group of skips and warnings with its rows."""
        lines = [self.summary()]
        for title, reason, count, items in self.groups():
            lines.append(f"{title}: {reason} ({count})")
            for item in items[:limit]:
                lines.append("    " + describe_entry(item))
            if count > limit:
                lines.append(f"    … and {count - limit} more")
        return lines

    def report(self) -> dict:
        return {"skipped": self.skips, "warnings": self.warnings, "counts": self.counts}


def report_groups(report: dict) -> list[tuple[str, str, int, list[dict]]]:
    """A saved run's report as :meth:`RunResult.groups` (older reports kept every row)."""
    counts = report.get("counts") or {}
    found = []
    for title, kind in (("Skipped", "skipped"), ("Warnings", "warnings")):
        groups = report.get(kind) or {}
        count = {
            reason: counts.get(kind, {}).get(reason, len(items)) for reason, items in groups.items()
        }
        for reason, items in sorted(groups.items(), key=lambda kv: (-count[kv[0]], kv[0])):
            found.append((title, reason, count[reason], items))
    return found


def _entry(row: int, name: str, slug: str, detail: str) -> dict:
    return {"row": row, "name": name[:120], "slug": slug[:255], "detail": detail[:200]}


def describe_entry(item: dict) -> str:
    text = f"row {item['row']}"
    if item.get("name"):
        text += f" “{item['name']}”"
    if item.get("slug"):
        text += f" ({item['slug']})"
    if item.get("detail"):
        text += f": {item['detail']}"
    return text
