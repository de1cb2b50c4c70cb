"""The rate limit of the public forms (suggestions and reports together, per client address).

Counts are shared by every worker through the "counters" cache (Redis in production,
django-ratelimit's fixed windows). When that cache is unavailable the limit does not fail
closed (refusing every visitor) nor open (no limit at all): each process counts on its own
with the stricter ``DIRECTORY_SUBMISSION_FALLBACK_RATE``, and the outage is logged once a
minute. A submission within the limit is stored either way: nothing is lost to a cache outage.
"""

from __future__ import annotations

import collections
import ipaddress
import threading
import time

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import _split_rate, is_ratelimited

from directory.cache import UNAVAILABLE
from directory.edge import client_address
from directory.failsafe import report_degraded

SUBMISSIONS = "directory:submissions"


def address_key(group: str, request: HttpRequest) -> str:
    """The client address, with IPv6 addresses grouped by /64 (one household or host)."""
    address = ipaddress.ip_address(client_address(request))
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address) + "/64"
    return str(address)


class FallbackLimiter:
    """Sliding-window counts per key in this process only (bounded in memory)."""

    MAX_KEYS = 10_000

    def __init__(self):
        self.lock = threading.Lock()
        self.hits: collections.OrderedDict[str, collections.deque] = collections.OrderedDict()

    def hit(self, key: str, rate: str) -> bool:
        """Count one attempt; True when it is over the limit."""
        limit, period = _split_rate(rate)
        now = time.monotonic()
        with self.lock:
            times = self.hits.pop(key, None) or collections.deque()
            while times and now - times[0] >= period:
                times.popleft()
            times.append(now)
            self.hits[key] = times
            while len(self.hits) > self.MAX_KEYS:
                self.hits.popitem(last=False)
            return len(times) > limit

    def clear(self) -> None:
        with self.lock:
            self.hits.clear()


fallback = FallbackLimiter()


def submission_limited(request: HttpRequest) -> bool:
    """Count this POST; True when its address is over the submission rate."""
    if not settings.RATELIMIT_ENABLE:
        return False
    try:
        return is_ratelimited(
            request,
            group=SUBMISSIONS,
            key=address_key,
            rate=settings.DIRECTORY_SUBMISSION_RATE,
            method="POST",
            increment=True,
        )
    except UNAVAILABLE as error:
        report_degraded("cache (rate-limit counters)", error)
        key = f"{SUBMISSIONS}:{address_key(SUBMISSIONS, request)}"
        return fallback.hit(key, settings.DIRECTORY_SUBMISSION_FALLBACK_RATE)
