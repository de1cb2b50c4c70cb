"""Two calls into glibc's allocator for the long-lived processes (gunicorn's master and
workers), without Django: the gunicorn settings use them before the application is loaded."""

from __future__ import annotations

import ctypes

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def _libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to do
        return None


def fix_mmap_threshold(size: int = 1024 * 1024) -> None:
    """Have glibc map every block of ``size`` or more on its own, and unmap it when freed.

    glibc's default threshold rises with every big block freed (up to 32 MB), after which an
    index's arrays, replaced by a newer index's, are freed into the heap, where most of them
    stay. gunicorn's master calls this first (``on_starting``): its workers inherit it.

    1 MB, not glibc's initial 128 KB: a search's temporaries over the listings (up to 700 KB
    at 100,000 listings) then come from the heap, reused, instead of a fresh mapping each whose
    every page the kernel zeroes on first touch; at 128 KB that cost a search about 15 % more
    CPU (docs/performance.md). The index's multi-megabyte arrays are still mapped on their own;
    smaller freed blocks go back to the system with the periodic trim below."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(M_MMAP_THRESHOLD, size)


def release_free_memory() -> None:
    """Give free heap pages back to the system (glibc's ``malloc_trim``). An index replaced
    by a newer one leaves tens of MB free inside the process, and glibc keeps most of it:
    without this, the soak drill's workers grew by 40 % in five minutes of staff saves."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
