"""A search's facet counts: for every value of every facet, how many results ticking (or
unticking) it would give, read off the compiled search's masks (``CompiledSearch``).

Listing fields (type, attendance, cost, organisation, region), features (by category) and the
schedule facets (when, day, time of day), which count listings with one schedule meeting every
time condition at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from django.utils import translation

from directory.search.facets import Facet, FacetValue
from directory.search.index import ATTENDANCE_VALUES, COST_VALUES, TIME_OF_DAY_VALUES
from directory.search.vocabulary import (
    ATTENDANCE_CHOICES,
    COST_CHOICES,
    DAY_CHOICES,
    FACET_LEGENDS,
    FEATURE_FACETS,
    FIELD_FACETS,
    SCHEDULE_FACETS,
    TIME_CHOICES,
    WHEN_CHOICES,
)

if TYPE_CHECKING:
    from directory.search.query import CompiledSearch

MAX_VALUES_PER_FACET = 12


def field_facet(search: CompiledSearch, name: str, total: int) -> Facet:
    ix = search.index
    selected = search.query.selection.get(name, [])  # ticked by the visitor
    others = search.matching(skip=name)
    column, _codes = search.codes(name, selected)
    present = column.compress(others)  # compress: a boolean gather is 5x slower here
    grouped = np.bincount(present[present >= 0], minlength=search.code_count(name))
    codes_table = {"type": ix.types, "org": ix.orgs, "region": ix.regions}.get(name)
    if codes_table is not None:
        values, labels = codes_table.values, codes_table.labels
    elif name == "attendance":
        values, labels = ATTENDANCE_VALUES, [ATTENDANCE_CHOICES[v] for v in ATTENDANCE_VALUES]
    else:
        values, labels = COST_VALUES, [COST_CHOICES[v] for v in COST_VALUES]
    shown = np.flatnonzero(grouped)
    if name in ("org", "region"):
        # Hundreds of values: keep the selected ones and the most frequent others (ties in
        # label order), chosen in numpy before any Python object is made for a value.
        selected_codes = np.array(codes_table.codes_of(selected), dtype=np.int64)
        others_shown = shown[~np.isin(shown, selected_codes)]
        keep = MAX_VALUES_PER_FACET * 2 - len(selected)  # sliced as a list would be
        if len(others_shown) > keep:
            order = np.lexsort((codes_table.label_rank()[others_shown], -grouped[others_shown]))
            others_shown = others_shown[order[:keep]]
        shown = np.concatenate((selected_codes[grouped[selected_codes] > 0], others_shown))
    counts: dict[str, int] = {}
    for code, n in zip(shown.tolist(), grouped[shown].tolist(), strict=True):
        value = values[code]
        if not selected:
            counts[value] = n
        elif value in selected:
            counts[value] = total - n
        else:
            counts[value] = total + n
    for value in selected:  # a selected value with no listings still shows, to be removed
        counts.setdefault(value, total)
    if len(selected) == 1:
        # Unticking the only value removes the facet's filter altogether (listings with no
        # value for it, e.g. online meetings without a region, come back too; with no place,
        # "How it meets" goes back to online only).
        counts[selected[0]] = np.count_nonzero(search.matching(search.without(name)))
    label_of = dict(zip(values, labels, strict=True)) if codes_table is None else None
    language = translation.get_language()
    facet_values = [
        FacetValue(
            value,
            label_of.get(value, value)
            if label_of is not None
            else (
                codes_table.label_in(codes_table.by_value[value], language)
                if value in codes_table.by_value
                else value
            ),
            count,
            value in selected,
        )
        for value, count in counts.items()
    ]
    if name == "type":
        facet_values.sort(key=lambda v: v.label)
    elif name in ("org", "region"):
        facet_values.sort(key=lambda v: (not v.selected, -v.count, v.label))
    else:
        facet_values.sort(key=lambda v: values.index(v.value) if v.value in values else 99)
    return Facet(name, FIELD_FACETS[name], facet_values)


def _feature_counts(search: CompiledSearch, rows: np.ndarray) -> np.ndarray:
    ix = search.index
    inside = rows[ix.feature_listing]
    return np.bincount(ix.feature_code.compress(inside), minlength=len(ix.features.values))


def feature_facets(search: CompiledSearch, results: np.ndarray, total: int) -> list[Facet]:
    language = translation.get_language()
    ix = search.index
    shared = None
    facets = []
    for name, legend in FEATURE_FACETS.items():
        selected = search.selection.get(name, [])
        counts: dict[str, int] = {}
        in_category = [i for i, c in enumerate(ix.feature_category) if c == name]
        if not selected:
            # With nothing ticked here, the other filters are all the filters: count results.
            if shared is None:
                shared = _feature_counts(search, results).tolist()
            counts = {ix.features.values[i]: shared[i] for i in in_category if shared[i]}
        else:
            others = search.matching(skip=name)
            on_rows = others & ~search.listing_mask(name, selected)
            added = _feature_counts(search, on_rows).tolist()
            counts = {ix.features.values[i]: total + added[i] for i in in_category if added[i]}
            for value in selected:
                rest = [v for v in selected if v != value]
                rows = others & search.listing_mask(name, rest) if rest else others
                counts[value] = np.count_nonzero(rows)
        values = [
            FacetValue(
                slug,
                ix.features.label_in(ix.features.by_value[slug], language),
                count,
                slug in selected,
            )
            for slug, count in counts.items()
            if slug in ix.features.by_value
        ]
        values.sort(key=lambda v: (not v.selected, -v.count, v.label))
        facets.append(Facet(name, legend, values))
    return facets


def schedule_facets(search: CompiledSearch, total: int) -> list[Facet]:
    """Day, time and "when", counted on the visitor's clock.

    Day and time of day partition a schedule's start, so one pass over the schedules of the
    candidate listings counts every value; "when" values overlap and are counted one by one.
    Ticking a value adds listings not already matched; unticking one recounts the rest.
    """
    ix, selection = search.index, search.selection
    rows = search.matching({k: v for k, v in selection.items() if k not in SCHEDULE_FACETS})
    choices = {"when": WHEN_CHOICES, "day": DAY_CHOICES, "time": TIME_CHOICES}
    counts: dict[str, dict[str, int]] = {name: {} for name in SCHEDULE_FACETS}
    # The schedules of the candidate listings: the same for day and time unless one of them
    # (or "when") is ticked, so usually found once.
    found: dict[tuple, np.ndarray] = {}
    candidates_of: dict[tuple, np.ndarray] = {}
    for name, buckets, keys in (
        ("day", search.time_masks.visitor_weekday, list(DAY_CHOICES)),
        ("time", search.time_masks.visitor_time_of_day, TIME_OF_DAY_VALUES),
    ):
        selected = selection.get(name, [])
        others = search.schedules_meeting(selection, skip=(name,))
        key = (bool(selected), id(others))
        if key not in candidates_of:
            candidates = rows
            if selected:
                already = search.schedules_meeting(selection)
                candidates = rows & ~ix.listings_with(already)
            candidates_of[key] = candidates
            if others is not None:
                found[key] = np.flatnonzero(candidates[ix.schedule_listing] & others)
        if others is None:
            # No other time condition: the listings per bucket are the same for every
            # search this minute on this clock (shared), masked by the candidates.
            grouped = np.count_nonzero(
                search.time_masks.listings_per_bucket(name) & candidates_of[key], axis=1
            ).tolist()
        else:
            schedules = found[key]
            # (bucket, listing) pairs as one flat table, a row per bucket: count per row.
            pairs = np.zeros(len(keys) * ix.size, dtype=bool)
            pairs[
                buckets()[schedules].astype(np.intp) * ix.size + ix.schedule_listing[schedules]
            ] = True
            grouped = [
                np.count_nonzero(pairs[i * ix.size : (i + 1) * ix.size]) for i in range(len(keys))
            ]
        for i, value in enumerate(keys):
            if value not in selected:
                counts[name][value] = (total if selected else 0) + grouped[i]
    # Unticking a selected value, and every "when" value, are counted exactly as their links.
    for name in SCHEDULE_FACETS:
        selected = selection.get(name, [])
        for value in choices[name]:
            if name != "when" and value not in selected:
                continue
            toggled = (
                [v for v in selected if v != value] if value in selected else [*selected, value]
            )
            times = search.listings_meeting_times({**selection, name: toggled})
            counts[name][value] = np.count_nonzero(rows & times if times is not None else rows)
    return [
        Facet(
            name,
            FACET_LEGENDS[name],
            [
                FacetValue(value, label, counts[name][value], value in selection.get(name, []))
                for value, label in choices[name].items()
            ],
        )
        for name in SCHEDULE_FACETS
    ]
