"""The oracle's facet counts (part of tests/oracle/sql_search.py): for every value of every
facet, the number of results the visitor would get by toggling it, counted in SQL."""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Q, QuerySet

from directory.models import Feature, Listing, Organization, Schedule, SupportType
from tests.oracle import timeq
from tests.oracle.sql_filters import _Context, _facet_q, _schedule_condition, _schedules_q
from tests.oracle.sql_vocabulary import (
    ATTENDANCE_CHOICES,
    COST_CHOICES,
    DAY_CHOICES,
    FACET_LEGENDS,
    FEATURE_FACETS,
    FIELD_FACETS,
    MAX_VALUES_PER_FACET,
    SCHEDULE_FACETS,
    TIME_CHOICES,
    WHEN_CHOICES,
    Facet,
    FacetValue,
)

# --- facet counts ------------------------------------------------------------------------


def _toggle_counts(grouped: dict[str, int], selected: list[str], total: int) -> dict[str, int]:
    """Counts after toggling each value of a facet where every listing has ONE value."""
    if not selected:
        return dict(grouped)
    return {value: (total - n if value in selected else total + n) for value, n in grouped.items()}


def _field_facet(
    name: str, rows: QuerySet, selected: list[str], total: int, unticked: QuerySet
) -> Facet:
    legend, path, label_path = FIELD_FACETS[name]
    fields = [path] + ([label_path] if label_path else [])
    grouped_rows = (
        rows.order_by()
        .exclude(**{f"{path}__isnull": True})
        .exclude(**{path: ""})
        .values(*fields)
        .annotate(n=Count("pk"))
    )
    labels: dict[str, str] = {}
    grouped: dict[str, int] = {}
    for row in grouped_rows:
        grouped[row[path]] = row["n"]
        labels[row[path]] = row[label_path] if label_path else row[path]
    if name == "attendance":
        labels = ATTENDANCE_CHOICES
    elif name == "cost":
        labels = COST_CHOICES
    counts = _toggle_counts(grouped, selected, total)
    if len(selected) == 1:
        # Unticking the only value removes the facet's filter altogether (listings with no
        # value for it, e.g. online meetings without a region, come back too).
        counts[selected[0]] = unticked.order_by().count()
    for value in selected:  # a selected value with no listings still shows, to be removed
        counts.setdefault(value, total)
    missing = [value for value in selected if value not in labels]
    model = {"type": SupportType, "org": Organization}.get(name)
    if missing and model is not None:
        names = model.objects.filter(slug__in=missing).values_list("slug", "name")
        labels = {**labels, **dict(names)}
    values = [
        FacetValue(value, labels.get(value, value), count, value in selected)
        for value, count in counts.items()
        if value in labels or value in selected
    ]
    if name == "type":
        values.sort(key=lambda v: v.label)
    elif name in ("org", "region"):
        values.sort(key=lambda v: (not v.selected, -v.count, v.label))
        values = [v for v in values if v.selected] + [v for v in values if not v.selected][
            : MAX_VALUES_PER_FACET * 2 - len(selected)
        ]
    else:
        values.sort(key=lambda v: list(labels).index(v.value) if v.value in labels else 99)
    return Facet(name, legend, values)


def _feature_counts(rows: QuerySet, categories: list[str]) -> dict[str, dict[str, int]]:
    """Listings per feature among ``rows``, for several categories in one GROUP BY."""
    counts: dict[str, dict[str, int]] = {}
    grouped = (
        Listing.features.through.objects.filter(
            listing_id__in=rows.order_by().values("pk"), feature__category__slug__in=categories
        )
        .values_list("feature__category__slug", "feature__slug")
        .annotate(n=Count("listing_id"))
        .order_by()
    )
    for category, slug, n in grouped:
        counts.setdefault(category, {})[slug] = n
    return counts


def _feature_values(
    name: str, counts: dict[str, int], selected: list[str], features: dict[str, Feature]
) -> Facet:
    values = [
        FacetValue(slug, features[slug].name, count, slug in selected)
        for slug, count in counts.items()
        if slug in features and (count > 0 or slug in selected)
    ]
    values.sort(key=lambda v: (not v.selected, -v.count, v.label))
    return Facet(name, FEATURE_FACETS[name], values)


def _feature_facet(
    name: str, rows: QuerySet, selected: list[str], total: int, features: dict[str, Feature]
) -> Facet:
    """A category with ticked values: ticking another adds listings not already matched."""
    on_rows = rows.exclude(_facet_q(name, selected))
    counts = {slug: total + n for slug, n in _feature_counts(on_rows, [name]).get(name, {}).items()}
    remaining = {value: [v for v in selected if v != value] for value in selected}
    off = rows.order_by().aggregate(
        **{
            f"c{i}": Count("pk", filter=_facet_q(name, rest)) if rest else Count("pk")
            for i, rest in enumerate(remaining.values())
        }
    )
    for i, value in enumerate(remaining):
        counts[value] = off[f"c{i}"]
    return _feature_values(name, counts, selected, features)


def _schedule_condition_q(selection: dict[str, list[str]], ctx: _Context, names) -> Q:
    """Schedule-level AND of the given schedule facets' conditions (Q() when none)."""
    q = Q()
    for name in names:
        if selection.get(name):
            q &= _schedule_condition(name, selection[name], ctx)
    return q


def _schedule_facets(
    rows: QuerySet, selection: dict[str, list[str]], ctx: _Context, total: int
) -> list[Facet]:
    """Day, time and "when" facets, counted on the visitor's clock.

    Day and time of day partition a schedule's start, so one GROUP BY over the schedules of the
    candidate listings counts every value at once; "when" values overlap and are counted one by
    one. Ticking a value adds listings not already matched; unticking one recounts the rest.
    """
    choices = {"when": WHEN_CHOICES, "day": DAY_CHOICES, "time": TIME_CHOICES}
    counts: dict[str, dict[str, int]] = {}
    for name in ("day", "time"):
        selected = selection.get(name, [])
        others = [n for n in SCHEDULE_FACETS if n != name]
        other_q = _schedule_condition_q(selection, ctx, others)
        candidates = rows
        if selected:
            already = Schedule.objects.filter(
                other_q & _schedule_condition(name, selected, ctx)
            ).values("listing_id")
            candidates = rows.exclude(pk__in=already)
        schedules = Schedule.objects.filter(
            other_q, listing_id__in=candidates.order_by().values("pk")
        )
        if name == "day":
            grouped = {
                str(row["bucket"]): row["n"]
                for row in schedules.annotate(
                    bucket=timeq.visitor_weekday_bucket(ctx.zones, ctx.now, ctx.visitor_tz)
                )
                .order_by()
                .values("bucket")
                .annotate(n=Count("listing_id", distinct=True))
            }
        else:
            grouped = _count_by_time_of_day(schedules, ctx)
        counts[name] = {
            value: (total if selected else 0) + grouped.get(value, 0)
            for value in choices[name]
            if value not in selected
        }
    # Unticking a selected value, and every "when" value, are counted exactly as their links.
    aggregates = {}
    for name in SCHEDULE_FACETS:
        selected = selection.get(name, [])
        for value in choices[name]:
            if name != "when" and value not in selected:
                continue
            toggled = (
                [v for v in selected if v != value] if value in selected else [*selected, value]
            )
            condition = _schedules_q({**selection, name: toggled}, ctx)
            aggregates[f"{name}__{value}"] = (
                Count("pk", filter=condition) if condition is not None else Count("pk")
            )
    for key, n in rows.order_by().aggregate(**aggregates).items():
        name, value = key.split("__", 1)
        counts.setdefault(name, {})[value] = n
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


def _count_by_time_of_day(schedules: QuerySet, ctx: _Context) -> dict[str, int]:
    """Listings per time of day of their schedules' starts on the visitor's clock.

    The visitor's minute is a CASE over the zones' offsets; a subquery computes it once per
    schedule, where a CASE per time of day on the annotation would repeat it for every range
    (measured: about half a second saved at 300,000 schedules).
    """
    inner = (
        schedules.order_by()
        .annotate(
            visitor_minute=timeq.visitor_clock(
                ctx.zones, ctx.now, ctx.visitor_tz, "start_minute", timeq.MINUTES_PER_DAY
            )
        )
        .values("listing_id", "visitor_minute")
    )
    try:
        inner_sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # a condition that can match nothing (e.g. no listing ids)
        return {}
    whens, bucket_params = [], []
    for bucket, (_, ranges) in timeq.TIMES_OF_DAY.items():
        for low, high in ranges:
            whens.append("WHEN s.m >= %s AND s.m < %s THEN %s")
            bucket_params += [low, high, bucket]
    # OFFSET 0 keeps the planner from flattening the subquery (and the CASE back into each range).
    fence = "OFFSET 0" if connection.vendor == "postgresql" else "LIMIT -1 OFFSET 0"
    sql = (
        f"SELECT CASE {' '.join(whens)} ELSE '' END AS bucket, "  # noqa: S608 - no user text
        f"COUNT(DISTINCT s.listing_id) FROM (SELECT listing_id, "
        f"CAST(visitor_minute AS INTEGER) AS m FROM ({inner_sql} {fence}) i) s GROUP BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*bucket_params, *params])
        return {str(bucket): n for bucket, n in cursor.fetchall()}
