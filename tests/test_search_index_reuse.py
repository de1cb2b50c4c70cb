"""A rebuild that keeps what the previous index holds of unchanged listings (PostgreSQL's row
versions; ``directory.search.builder._Reuse``) must give the same index as a build from scratch,
whatever staff changed in between. Random edits, each committed on its own (as the admin's
and the importer's are), then both builds compared by meaning: the same listings, columns,
feature links, schedules, lexemes and name trigrams. On SQLite nothing is kept, and the same
comparison holds."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.models import Feature, Listing, Location, Organization, Schedule
from directory.search.builder import build_index
from directory.search.index import load_index, save_index
from tests import factories as f

ZONES = ["America/Chicago", "America/New_York", "Europe/London", "Pacific/Honolulu"]
WORDS = ["serenity", "hope", "women", "newcomer", "meditation", "gratitude", "café", "步"]


def _listing_columns(ix) -> dict:
    return {
        "type": [ix.types.values[c] for c in ix.type_code],
        "org": [ix.orgs.values[c] if c >= 0 else None for c in ix.org_code],
        "region": [ix.regions.values[c] if c >= 0 else None for c in ix.region_code],
        "attendance": ix.attendance_code.tolist(),
        "cost": ix.cost_code.tolist(),
        "latitude": np.nan_to_num(ix.latitude, nan=999).tolist(),
        "longitude": np.nan_to_num(ix.longitude, nan=999).tolist(),
        "approximate": ix.approximate.tolist(),
    }


def _meaning(ix) -> dict:
    """What the index says, independent of internal codes and row order."""
    ids = ix.ids.tolist()
    schedules = sorted(
        (
            ids[ix.schedule_listing[i]],
            *(
                int(getattr(ix, name)[i])
                for name in (
                    "schedule_kind",
                    "schedule_weekday",
                    "schedule_start",
                    "schedule_end",
                    "schedule_week_minute",
                    "schedule_week_of_month",
                    "schedule_interval_days",
                    "schedule_anchor_day",
                    "schedule_valid_from",
                    "schedule_valid_to",
                )
            ),
            ix.zones[ix.schedule_zone[i]],
        )
        for i in range(len(ix.schedule_listing))
    )
    assert (np.diff(ix.schedule_listing) >= 0).all(), "schedules sorted by listing"
    assert set(ix.zones) == {z for *_, z in schedules}, "no zone without a schedule"
    links = sorted(
        (ids[p], ix.features.values[c])
        for p, c in zip(ix.feature_listing, ix.feature_code, strict=True)
    )
    kw = ix.keywords
    lexemes = {
        word: (
            sorted(ids[p] for p in kw.listings_with(word)),
            sorted(ids[p] for p in kw.listings_named_with(word)),
        )
        for word in kw.vocabulary
    }
    assert all(docs or names for docs, names in lexemes.values()), "no lexeme without listings"
    assert list(kw.vocabulary.values()) == list(range(len(kw.vocabulary)))
    names = ix.names
    trigrams = {
        t: sorted(names.names[n] for n in names.postings[names.offsets[r] : names.offsets[r + 1]])
        for t, r in names.vocabulary.items()
    }
    assert all(trigrams.values()), "no trigram without names"
    ends = [*names.name_word_starts.tolist()[1:], len(names.name_words)]
    name_words = {
        name: sorted(names.words[c] for c in names.name_words[start:end] if c >= 0)
        for name, start, end in zip(names.names, names.name_word_starts, ends, strict=True)
    }
    used = {word for found in name_words.values() for word in found}
    word_trigrams = {  # a kept build may hold words no name has any more: they match nothing
        t: sorted(w for w in (names.words[c] for c in names._words_with(t)) if w in used)
        for t in names.word_trigrams
    }
    return {
        "ids": ids,
        **_listing_columns(ix),
        "schedules": schedules,
        "links": links,
        "lexemes": lexemes,
        "names": [names.names[c] for c in names.listing_name],
        "trigrams": trigrams,
        "trigram_counts": dict(zip(names.names, names.name_trigram_count.tolist(), strict=True)),
        "always": dict(zip(names.names, names.name_always.tolist(), strict=True)),
        "name_words": name_words,
        "word_trigrams": {t: words for t, words in word_trigrams.items() if words},
    }


def _make_listing(rng, features):
    attendance = rng.choice(["in_person", "online", "hybrid"])
    listing = f.listing(
        name=" ".join(rng.sample(WORDS, 2)).title() + f" {rng.randint(1, 99)}",
        description=" ".join(rng.choices(WORDS, k=5)),
        attendance=attendance,
        organization=rng.choice([None, *Organization.objects.all()[:3]]),
        features=rng.sample(features, rng.randint(0, min(3, len(features)))),
    )
    for _ in range(rng.randint(0, 3)):
        f.schedule(
            listing,
            weekday=rng.randint(0, 6),
            start_time=dt.time(rng.randint(6, 21), rng.choice([0, 30])),
            end_time=dt.time(22, 30),
            timezone=rng.choice(ZONES),
        )
    return listing


def _edit(rng, features) -> str:
    """One random change, committed on its own; what it was."""
    listings = list(Listing.objects.order_by("pk"))
    listing = rng.choice(listings)
    kind = rng.choice(
        [
            "rename",
            "describe",
            "move",
            "unpublish",
            "publish",
            "new",
            "delete",
            "schedule time",
            "schedule add",
            "schedule delete",
            "feature add",
            "feature remove",
            "feature gone",
            "organisation renamed",
            "nothing",
        ]
    )
    if kind == "rename":
        Listing.objects.filter(pk=listing.pk).update(name=f"{rng.choice(WORDS)} {listing.name}")
    elif kind == "describe":
        Listing.objects.filter(pk=listing.pk).update(description=rng.choice(WORDS))
    elif kind == "move" and listing.location_id:
        Location.objects.filter(pk=listing.location_id).update(
            region=rng.choice(["IL", "NY", "CA"]), latitude=rng.uniform(30, 45)
        )
    elif kind == "unpublish":
        Listing.objects.filter(pk=listing.pk).update(status="draft")
    elif kind == "publish":
        Listing.objects.filter(pk=listing.pk).update(status="published")
    elif kind == "new":
        _make_listing(rng, features)
    elif kind == "delete":
        listing.delete()
    elif kind == "schedule time":
        Schedule.objects.filter(listing=listing).update(start_minute=rng.randint(0, 1300))
    elif kind == "schedule add":
        f.schedule(listing, weekday=rng.randint(0, 6), timezone=rng.choice(ZONES))
    elif kind == "schedule delete":
        Schedule.objects.filter(pk__in=listing.schedules.values("pk")[:1]).delete()
    elif kind == "feature add":
        listing.features.add(rng.choice(features))
    elif kind == "feature remove":
        listing.features.remove(*listing.features.all()[:1])
    elif kind == "feature gone" and len(features) > 3:
        features.pop(rng.randrange(len(features))).delete()
    elif kind == "organisation renamed":
        Organization.objects.filter(pk__in=Organization.objects.values("pk")[:1]).update(
            name=f"{rng.choice(WORDS)} Intergroup"
        )
    return kind


@pytest.mark.parametrize("seed", range(4))
def test_a_build_that_keeps_unchanged_listings_equals_a_build_from_scratch(
    transactional_db, tmp_path, seed
):
    rng = random.Random(seed)
    for i in range(3):
        f.organization(name=f"Intergroup {i}")
    features = [f.feature(category=c) for c in ("format", "audience") for _ in range(4)]
    for _ in range(25):
        _make_listing(rng, features)
    served = build_index(1)
    for round_ in range(8):
        changes = [_edit(rng, features) for _ in range(rng.randint(0, 4))]
        if round_ % 2:  # the workers serve the index loaded from its shared file
            save_index(served, tmp_path / "index.npz")
            served = load_index(tmp_path / "index.npz")
        kept = build_index(round_ + 2, previous=served)
        fresh = build_index(round_ + 2)
        assert _meaning(kept) == _meaning(fresh), (seed, round_, changes)
        served = kept  # the next round builds on a kept build: nothing may drift


@pytest.mark.django_db(transaction=True)
def test_after_one_rename_only_that_listing_s_lexemes_are_read():
    features = [f.feature()]
    rng = random.Random(7)
    listings = [_make_listing(rng, features) for _ in range(12)]
    served = build_index(1)
    Listing.objects.filter(pk=listings[3].pk).update(name="Zebra Crossing Group")
    with CaptureQueriesContext(connection) as queries:
        kept = build_index(2, previous=served)
    lexeme_reads = [
        q["sql"] for q in queries if "tsvector" in q["sql"] or "description" in q["sql"]
    ]
    assert len(lexeme_reads) == 1
    if connection.vendor == "postgresql":
        assert f"IN ({listings[3].pk})" in lexeme_reads[0]
        # Schedules and feature links were not touched: neither table is read row by row.
        assert not [q for q in queries if 'FROM "directory_schedule"' in q["sql"]]
    assert kept.ids[kept.keywords.listings_named_with("zebra")].tolist() == [listings[3].pk]


@pytest.mark.django_db
def test_inside_a_transaction_nothing_is_kept():
    """A transaction's rows keep one xmin however often it writes them: a build inside one
    (the tests', the inline mode's) reads everything again."""
    listing = _make_listing(random.Random(1), [f.feature()])
    served = build_index(1)
    Listing.objects.filter(pk=listing.pk).update(description="zebra only")
    kept = build_index(2, previous=served)
    assert kept.ids[kept.keywords.listings_with("zebra")].tolist() == [listing.pk]


def test_feature_ids_are_not_reused_across_deletes(transactional_db):
    """A deleted feature renumbers the features after it: kept links are translated by slug."""
    first, _, third = f.feature(), f.feature(), f.feature()
    listing = f.listing(features=[third])
    served = build_index(1)
    Feature.objects.filter(pk=first.pk).delete()
    kept = build_index(2, previous=served)
    assert [kept.features.values[c] for c in kept.feature_code] == [third.slug]
    assert kept.ids[kept.feature_listing].tolist() == [listing.pk]
