"""PostgreSQL backend that fails fast while the database is unreachable.

Django's backend with one addition: a per-process circuit breaker around opening a
connection. After a connection attempt fails (refused, or no answer within the
``connect_timeout`` set in settings), the next ``COOLDOWN_SECONDS`` of attempts fail at once
with ``OperationalError`` (a 503 for the visitor) instead of each request thread waiting for
its own timeout; and while one attempt is under way, another thread waits at most
``SLOW_CONNECT_SECONDS`` for its outcome instead of starting a wait of its own. So a database
that accepts connections and never
answers ties up at most about one thread per process at a time: /healthz, which needs no
database, keeps answering. The first attempt after the cool-down reconnects by itself when
the database is back.
"""

from __future__ import annotations

import random
import threading
import time

from django.db import OperationalError
from django.db.backends.postgresql import base

COOLDOWN_SECONDS = 2.0
SLOW_CONNECT_SECONDS = 0.5


class Breaker:
    """Opening connections one at a time while in doubt, and not at all for a moment after one
    failed. A thread that finds another attempt under way waits for its outcome, at most
    ``SLOW_CONNECT_SECONDS``, instead of starting its own wait for the connect timeout."""

    def __init__(self):
        self.changed = threading.Condition()
        self.open_until = 0.0
        self.attempting = False
        self.attempt_started = 0.0

    def enter(self) -> None:
        with self.changed:
            while True:
                now = time.monotonic()
                if now < self.open_until:
                    raise OperationalError("database unavailable: not retrying yet (fail fast)")
                if not self.attempting:
                    self.attempting, self.attempt_started = True, now
                    return
                # Wait for the attempt under way, until it is SLOW_CONNECT_SECONDS old: a thread
                # arriving later than that fails at once.
                remaining = self.attempt_started + SLOW_CONNECT_SECONDS - now
                if remaining <= 0:
                    raise OperationalError("database unavailable: a connection attempt hangs")
                self.changed.wait(timeout=remaining)

    def leave(self, *, ok: bool) -> None:
        with self.changed:
            self.attempting = False
            self.open_until = 0.0 if ok else time.monotonic() + COOLDOWN_SECONDS
            self.changed.notify_all()


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(alias: str) -> Breaker:
    with _breakers_lock:
        return _breakers.setdefault(alias, Breaker())


class DatabaseWrapper(base.DatabaseWrapper):
    def connect(self):
        super().connect()
        # Spread reconnections: connections opened together (every thread after a database
        # restart) would all reach CONN_MAX_AGE together, and a busy worker reconnecting every
        # thread at once is slow enough for the breaker to fail the waiting ones as "hanging"
        # (the soak drill's three 503s a minute after its restart). Up to half as long again.
        if self.close_at is not None:
            max_age = self.settings_dict["CONN_MAX_AGE"]
            self.close_at += random.uniform(0, max_age / 2)  # noqa: S311 - not security

    def get_new_connection(self, conn_params):
        breaker = breaker_for(self.alias)
        breaker.enter()
        try:
            connection = super().get_new_connection(conn_params)
        except BaseException:
            breaker.leave(ok=False)
            raise
        breaker.leave(ok=True)
        return connection
