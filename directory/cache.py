"""The cache is an accelerator: when Redis is unavailable, every read is a miss.

``ForgivingRedisCache`` is Django's Redis backend whose operations never raise a connection
error: reads return the default, writes do nothing, and the outage is logged once a minute
(``failsafe.report_degraded``). After a failure it does not try Redis again for
``RETRY_SECONDS``, so a dead or unreachable Redis costs a request nothing, not a connect timeout.

The rate limit's counters must know whether they counted, so they use a plain ``RedisCache``
alias ("counters") and fall back on their own (``directory.ratelimit``).
"""

from __future__ import annotations

import functools
import logging
import pickle
import threading
import time

from django.core.cache.backends.redis import RedisCache, RedisSerializer
from redis.exceptions import RedisError

from directory.failsafe import report_degraded

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
UNAVAILABLE = (RedisError, OSError)

# Operation -> what it answers while the cache is unavailable.
_DEFAULTS = {
    "add": False,
    "get": None,
    "set": None,
    "touch": False,
    "delete": False,
    "get_many": {},
    "has_key": False,
    "incr": None,
    "set_many": [],
    "delete_many": None,
    "clear": False,
}


class ForgivingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def is_available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, error: BaseException) -> None:
        with self._lock:
            self._down_until = time.monotonic() + RETRY_SECONDS
        report_degraded("cache", error)


def _forgiving(name: str, default):
    method = getattr(RedisCache, name)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not self.is_available():
            return default(args, kwargs) if callable(default) else default
        try:
            return method(self, *args, **kwargs)
        except UNAVAILABLE as error:
            self._failed(error)
            return default(args, kwargs) if callable(default) else default

    return wrapper


for _name, _default in _DEFAULTS.items():
    if _name == "get":
        # get(key, default=None): the caller's default.
        _default = lambda args, kwargs: kwargs.get("default", args[1] if len(args) > 1 else None)  # noqa: E731
    elif _name == "set_many":
        _default = lambda args, kwargs: list(args[0]) if args else []  # noqa: E731 - not stored
    setattr(ForgivingRedisCache, _name, _forgiving(_name, _default))


class ForgivingSerializer(RedisSerializer):
    """Reads a value it cannot unpickle (written by an older release whose classes changed,
    or damaged) as None, a miss to every reader here, instead of failing the request."""

    def loads(self, data):
        try:
            return super().loads(data)
        except (pickle.UnpicklingError, AttributeError, ImportError, TypeError, EOFError,
                IndexError, ValueError) as error:  # fmt: skip
            logger.warning(
                "cache: a value could not be read (%s); read as a miss", type(error).__name__
            )
            return None
