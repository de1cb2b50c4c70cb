"""PostgreSQL backend that fails fast while the database is unreachable.

Django's backend with one addition: a per-process circuit breaker around opening a
connection. After a connection attempt fails (refused, or no answer within the
``connect_timeout`` set in settings), the next ``COOLDOWN_SECONDS`` of attempts fail at once
with ``OperationalError`` (a 503 for the visitor) instead of each request thread waiting for
its own timeout; and while one attempt has been waiting longer than ``SLOW_CONNECT_SECONDS``,
other threads do not queue up behind it. So a database that accepts connections and never
answers ties up at most about one thread per process at a time: /healthz, which needs no
database, keeps answering. The first attempt after the cool-down reconnects by itself when
the database is back.
"""

from __future__ import annotations

import threading
import time

from django.db import OperationalError
from django.db.backends.postgresql import base

COOLDOWN_SECONDS = 2.0
SLOW_CONNECT_SECONDS = 0.5


class Breaker:
    def __init__(self):
        self.lock = threading.Lock()
        self.open_until = 0.0
        self.pending: dict[int, float] = {}
        self.next_token = 0

    def enter(self) -> int:
        now = time.monotonic()
        with self.lock:
            if now < self.open_until:
                raise OperationalError("database unavailable: not retrying yet (fail fast)")
            if any(now - started > SLOW_CONNECT_SECONDS for started in self.pending.values()):
                raise OperationalError("database unavailable: another connection attempt hangs")
            self.next_token += 1
            self.pending[self.next_token] = now
            return self.next_token

    def leave(self, token: int, *, ok: bool) -> None:
        with self.lock:
            self.pending.pop(token, None)
            self.open_until = 0.0 if ok else time.monotonic() + COOLDOWN_SECONDS


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(alias: str) -> Breaker:
    with _breakers_lock:
        return _breakers.setdefault(alias, Breaker())


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        breaker = breaker_for(self.alias)
        token = breaker.enter()
        try:
            connection = super().get_new_connection(conn_params)
        except BaseException:
            breaker.leave(token, ok=False)
            raise
        breaker.leave(token, ok=True)
        return connection
