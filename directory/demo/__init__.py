"""Fictional, clearly labelled demo data at national scale: ``manage.py generate_demo``.

Everything made here has ``is_demo=True`` (or hangs off a demo row), fictional names and
descriptions that say so, contacts with first names only, links on the reserved example.org /
example.com domains and phone numbers in fictional ranges (555-01xx in North America, Ofcom's
drama range in the UK, ACMA's in Australia). Locations, however, are spread over real towns
of the offline gazetteer, weighted by population, so distance search has something to find.

Speed matters because the benchmarks need 100,000 listings and ~300,000 schedules on
PostgreSQL in well under two minutes: rows are built in Python (slugs and uuids included),
inserted with ``bulk_create`` in batches (PostgreSQL and SQLite >= 3.35 return the new primary
keys), many-to-many rows go straight into the through tables, and listings stream in batches
so memory stays flat. The same seed gives the same rows.
"""
