"""One listing per meeting: feeds write a meeting that meets on several days as one record per
day (sharing their ``url``, or their slug), and sometimes repeat a slug for another meeting.

Rows that share a slug or a ``url`` and differ only in day and time become one listing with
every meeting time, known by all its records' slugs; a slug repeated for another meeting is
skipped with a reason (the first row with it is imported).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from directory.meeting_guide.report import RunResult
from directory.meeting_guide.rows import ParsedRow


def _meeting_key(parsed: ParsedRow) -> tuple:
    """What makes two rows the same meeting: everything but the slug, day and time (and the
    per-record feedback link)."""
    listing = tuple(
        (key, tuple(value) if isinstance(value, list) else value)
        for key, value in sorted(parsed.listing.items())
    )
    location = tuple(sorted(parsed.location.items())) if parsed.location else None
    return (parsed.name, listing, location, parsed.codes, parsed.feed_url)


@dataclass
class _Group:
    first_row: int
    key: tuple
    rows: list[ParsedRow]

    def merged(self) -> ParsedRow:
        """The group as one listing: every record's meeting times, known by all its slugs;
        its own slug is the lowest (stable while that record stays in the feed)."""
        first = self.rows[0]
        if len(self.rows) == 1:
            return first
        slugs = frozenset(slug for row in self.rows for slug in row.slugs)
        return replace(
            first,
            feed_slug=min(slugs),
            schedules=frozenset().union(*(row.schedules for row in self.rows)),
            slugs=slugs,
            warnings=[],
        )


def common_slug(slugs: frozenset[str]) -> str:
    """What a listing's record slugs share up to a separator ("split-mon-1900",
    "split-sat-0900" -> "split"), else ""."""
    if len(slugs) < 2:
        return ""
    prefix = os.path.commonprefix(sorted(slugs))
    if any(len(slug) > len(prefix) and slug[len(prefix)] not in "-_" for slug in slugs):
        prefix = prefix[: max(prefix.rfind("-"), prefix.rfind("_")) + 1]
    prefix = prefix.rstrip("-_")
    return prefix if len(prefix) >= 3 else ""


def group_meetings(
    parsed_rows: list[tuple[int, ParsedRow]], result: RunResult
) -> list[tuple[int, ParsedRow]]:
    """One listing per meeting: day records merged, repeated slugs settled (see the module)."""
    groups: dict[int, _Group] = {}  # by first row
    by_slug: dict[str, _Group] = {}
    by_url: dict[tuple, _Group] = {}
    for index, parsed in parsed_rows:
        key = _meeting_key(parsed)
        group = by_slug.get(parsed.feed_slug)
        if group is None and parsed.feed_url:
            group = by_url.get((parsed.feed_url, key))
        if group is not None and group.key != key:
            if parsed.feed_slug in by_slug:
                result.skip(
                    "slug repeated in the feed: the first row with it is imported",
                    index,
                    parsed.name,
                    parsed.feed_slug,
                    f"the same slug as row {group.first_row}, another meeting",
                )
                continue
            group = None
        if group is None:
            group = groups[index] = _Group(index, key, [])
            if parsed.feed_url:
                by_url[(parsed.feed_url, key)] = group
        group.rows.append(parsed)
        by_slug[parsed.feed_slug] = group
    return [(index, group.merged()) for index, group in groups.items()]
