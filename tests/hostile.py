"""Hostile query strings: the vocabulary of tests/test_hostile_parameters.py and scripts/fuzz.py.

Parameter names per endpoint and the values real clients and attackers send, as hypothesis
strategies. Imports nothing that needs Django's settings, so the fuzzer can use it as well.
"""

from __future__ import annotations

import string
from urllib.parse import urlencode

from hypothesis import strategies as st

from directory.edge import MAX_VALUE_LENGTH, MAX_VALUES_PER_NAME

LISTING_PARAMS = [
    "q", "near", "lat", "lon", "radius", "sort", "tz", "type", "attendance", "when", "day",
    "time", "cost", "org", "region", "page", "format", "language", "audience",
    "accessibility", "focus", "country",
]  # fmt: skip
WORKER_PARAMS = ["q", "near", "radius", "page", "support_type", "credential", "language",
                 "offers_online", "country"]  # fmt: skip
HSDS_LIST_PARAMS = ["page", "per_page", "format", "search", "full", "organization_id",
                    "modified_after", "taxonomy_id", "taxonomy_term_id", "top_only",
                    "parent_id", "postcode", "proximity"]  # fmt: skip

# Values real clients and attackers send.
HOSTILE = [
    "", " ", "0", "-1", "1", "2", "25", "100", "999999999999999999999", "1e309", "-1e309",
    "NaN", "nan", "inf", "-inf", "1.5", "0x10", "٣", "١٢", "²", "௫", "𝟙", "½", "Ⅻ",
    "\x00", "a\x00b", "\x1b[31m", "\x7f", "\x85", "\u200b", "\ufeff", "\ud7ff", "\U0001f600",
    ",", ",,,", ", ,", ".", "...", "-", "'", '"', ";", "--", "' OR 1=1 --", "%", "%%", "_",
    "\\", "<script>alert(1)</script>", "../../etc/passwd", "{{7*7}}", "${jndi:x}",
    "Portland", "Portland, ME", "Portland, Maine, US", "97201", "12345-6789", "১২৩৪৫",
    "America/New_York", "Europe/London", "Mars/Base", "UTC", "name", "distance", "relevance",
    "online", "in_person", "hybrid", "now", "soon", "today", "0", "6", "7", "morning",
    "evening", "free", "true", "false", "yes", "2026-01-01", "2026-13-45", "9999-12-31T23:59:59",
    "0000-00-00", "1970-01-01T00:00:00+99:00", "00000000-0000-0000-0000-000000000000",
    "x" * (MAX_VALUE_LENGTH + 1), "é" * 150, "a" * 201, "90", "90.0000001", "-180", "180.5",
]  # fmt: skip

values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.text(alphabet=string.punctuation + " ", max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=6),
)


def query_strings(names: list[str]):
    name = st.one_of(st.sampled_from(names), st.text(min_size=1, max_size=12))
    pair = st.tuples(name, values)
    repeated = st.tuples(st.sampled_from(names), values, st.integers(2, MAX_VALUES_PER_NAME + 5))
    return st.one_of(
        st.lists(pair, max_size=8).map(urlencode),
        repeated.map(lambda t: urlencode([(t[0], t[1])] * t[2])),
        # Raw bytes a browser would never send: broken percent-escapes and invalid UTF-8.
        st.binary(max_size=40).map(lambda b: "q=" + "".join(f"%{x:02X}" for x in b)),
        st.sampled_from(["q=%", "q=%zz", "%00=1", "=", "&&&", "q", "page=%C0%AF", "a=%ED%A0%80"]),
    )
