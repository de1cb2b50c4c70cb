"""A results page is sorted only as far as it reads, in exactly a full stable sort's order."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.search.listings import OrderedPositions


@settings(max_examples=300, deadline=None)
@given(
    keys=st.lists(st.integers(min_value=0, max_value=6) | st.floats(0, 3, width=16), max_size=400),
    start=st.integers(min_value=0, max_value=420),
    length=st.integers(min_value=0, max_value=60),
)
def test_any_slice_matches_a_full_stable_sort(keys, start, length):
    positions = np.arange(len(keys), dtype=np.int64) * 3 + 1  # increasing, as flatnonzero
    key = np.array(keys, dtype=np.float64)
    expected = positions[np.argsort(key, kind="stable")]
    ordered = OrderedPositions(positions, key)
    assert len(ordered) == len(keys)
    assert ordered[start : start + length].tolist() == expected[start : start + length].tolist()
    # A later, deeper page after an earlier one (the prefix grows).
    deeper = start + length + 40
    assert ordered[:deeper].tolist() == expected[:deeper].tolist()


def test_no_key_keeps_index_order():
    positions = np.array([2, 5, 9])
    assert OrderedPositions(positions, None)[0:2].tolist() == [2, 5]
