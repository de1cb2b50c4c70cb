#!/usr/bin/env python
"""Time a Meeting Guide import of a generated feed shaped like real intergroup feeds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peersupport_feedbench \\
        DJANGO_DEBUG=true .venv/bin/python scripts/bench_feed_import.py --rows 2000

Migrates the database given by DATABASE_URL (use one of its own: the script creates and then
deletes its source, organisation and listings), builds a feed of --rows meetings (seeded: the
same feed every time) and times three runs of one source: the first import (everything
created), the same feed again (everything unchanged) and the feed with a tenth of its rows
edited. Rows are as messy as real feeds: 12-hour times, day names, no ``timezone`` on most
rows (inferred from coordinates), whole addresses in ``formatted_address``, HTML entities,
online meetings with a town only, buildings shared by several meetings with their own notes.
Result in docs/feeds.md.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")

TOWNS = [
    ("San Jose", "CA", "95112", 37.3382, -121.8863, "America/Los_Angeles"),
    ("Larkspur", "CA", "94939", 37.9341, -122.5353, "America/Los_Angeles"),
    ("Newport Beach", "CA", "92660", 33.6189, -117.9289, "America/Los_Angeles"),
    ("Atlanta", "GA", "30303", 33.7490, -84.3880, "America/New_York"),
    ("Rehoboth Beach", "DE", "19971", 38.7209, -75.0760, "America/New_York"),
    ("Wilmington", "DE", "19801", 39.7391, -75.5398, "America/New_York"),
    ("Calgary", "AB", "T2P 1J9", 51.0447, -114.0719, "America/Edmonton"),
    ("Brighton", "", "BN1 1AA", 50.8225, -0.1372, "Europe/London"),
]
NAMES = [
    "Came to Believe",
    "Speaker Meeting",
    "Back to Basics",
    "Men&#039;s Step Study",
    "Women &amp; Recovery",
    "Serenity",
    "Big Book",
    "Daily Reflections",
    "Keep It Simple",
]


def build_feed(rows: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    buildings = []
    for i in range(max(1, rows // 3)):
        town = rng.choice(TOWNS)
        buildings.append(
            (
                f"{rng.randint(1, 9999)} {rng.choice(['Main', 'Oak', 'Church'])} St",
                town,
                f"Building {i}",
                town[3] + rng.uniform(-0.05, 0.05),
                town[4] + rng.uniform(-0.05, 0.05),
            )
        )
    feed = []
    for i in range(rows):
        street, (city, state, postcode, _lat, _lon, zone), building, lat, lon = rng.choice(
            buildings
        )
        hour, minute = rng.choice(range(6, 22)), rng.choice([0, 15, 30])
        row = {
            "name": f"{rng.choice(NAMES)} {i}",
            "slug": f"{rng.choice(['speaker-meeting', 'came-to-believe', 'a.a.-group'])}-{i}",
            "day": rng.choice([rng.randint(0, 6), str(rng.randint(0, 6)), "Monday", [1, 3, 5]]),
            "time": rng.choice(
                [
                    f"{hour:02d}:{minute:02d}",
                    f"{(hour % 12) or 12}:{minute:02d} " + ("PM" if hour >= 12 else "AM"),
                ]
            ),
            "types": rng.sample(["O", "C", "D", "SP", "B", "W", "M", "X"], 2),
            "notes": "<p>Bring a friend &amp; your book.</p>",
            "location": building,
            "location_notes": rng.choice(["", "Room 15", "Enter through the first gate"]),
            "formatted_address": f"{street}, {city}, {state} {postcode}, "
            + ("USA" if state in {"CA", "GA", "DE"} else "Canada" if state else "UK"),
            "latitude": round(lat, 5),
            "longitude": round(lon, 5),
            "group": f"Group {i % 50}",
            "district": f"District {i % 9}",
            "regions": [city, f"Area {i % 4}"],
        }
        if rng.random() < 0.3:
            row["timezone"] = zone
        if rng.random() < 0.15:  # online, with only the town as address
            row["formatted_address"] = f"{city}, {state or 'UK'}"
            row["location"] = "Online Meeting"
            row["conference_url"] = f"https://zoom.us/j/{1000000 + i}"
            row.pop("latitude"), row.pop("longitude")
            row["timezone"] = zone
        feed.append(row)
    return feed


def backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (same machine only)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="Keep the imported listings.")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from directory.meeting_guide.importing import run_source
    from directory.models import Listing, Organization, SupportType
    from tests import factories

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    org = Organization.objects.create(name="Bench intergroup", slug=f"bench-{os.getpid()}")
    support = SupportType.objects.first() or factories.support_type()
    for code in ["O", "C", "D", "SP", "B", "W", "M", "X"]:
        if not Listing.features.field.related_model.objects.filter(code=code).exists():
            factories.feature("format", code=code, slug=f"bench-{code.lower()}")
    source = factories.feed_source(
        organization=org, support_type=support, url="", uploaded_feed="[]"
    )
    feed = build_feed(args.rows)
    edited = [dict(row) for row in feed]
    for row in edited[::10]:
        row["notes"] += " Edited."
    try:
        for label, rows in (
            ("first import", feed),
            ("same feed again", feed),
            ("a tenth edited", edited),
        ):
            started, cpu, db_cpu = time.perf_counter(), time.process_time(), backend_cpu()
            result = run_source(source, rows=rows)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            db_cpu = backend_cpu() - db_cpu if db_cpu is not None else None
            busy = cpu + (db_cpu or 0)
            print(
                f"{label:16} {len(rows)} rows in {seconds:.2f} s = {len(rows) / seconds:,.0f} "
                f"rows/s; CPU {cpu:.2f} s here"
                + (
                    f" + {db_cpu:.2f} s in the database = {len(rows) / busy:,.0f} rows/CPU-s"
                    if db_cpu is not None
                    else ""
                )
                + f"  ({result.summary()})"
            )
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        if not args.keep:
            listings = Listing.objects.filter(feed_origin__source=source)
            locations = list(listings.values_list("location_id", flat=True))
            listings.delete()
            source.delete()
            from directory.models import Location

            Location.objects.filter(pk__in=locations, listings__isnull=True).delete()
            org.delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
