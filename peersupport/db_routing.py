"""Public read-only pages read from an optional replica; everything else uses the primary.

With ``DATABASE_REPLICA_URL`` set, settings.py adds a ``replica`` database, this router and
``ReplicaReadsMiddleware``. The middleware marks a request as replica-safe only when all of
these hold: it is a GET or HEAD, it carries no session cookie (anonymous visitors have none;
staff who just saved something read their own writes from the primary), and its path is not
one of the writers' (admin, the suggestion and report forms, the CSP report endpoint, the
readiness probe). The router then sends that request's ORM reads to the replica; every
write, and every read outside such a request (commands, loaders, imports, the task worker,
background threads) goes to the primary.

Some models always read from the primary, whatever the request:

- ``SearchVersion``: the in-memory search index compares its token with the database's to
  know it is current, and builds itself through the primary's connection. Reading the token
  from a lagging replica could stamp an index with a token its rows do not match; reading
  both from the primary means an edit reaches search as soon as it is committed.
- sessions, users, permissions, admin log, login attempts and queued tasks: written on every
  login or enqueue and read straight back.
"""

from __future__ import annotations

import contextvars
import re

from django.conf import settings

REPLICA = "replica"
PRIMARY = "default"
PRIMARY_ONLY_APPS = {"sessions", "auth", "admin", "axes", "django_tasks_db", "contenttypes"}
PRIMARY_ONLY_MODELS = {("directory", "searchversion")}
# Paths whose reads must see the latest writes (or that write): never the replica.
WRITER_PATHS = re.compile(r"^/(?:admin/|suggest/|csp-report|readyz|resources/[^/]+/report/)")

_replica_ok: contextvars.ContextVar[bool] = contextvars.ContextVar("replica_ok", default=False)


def replica_safe(request) -> bool:
    return (
        request.method in {"GET", "HEAD"}
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not WRITER_PATHS.match(request.path_info)
    )


class ReplicaReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _replica_ok.set(replica_safe(request))
        try:
            return self.get_response(request)
        finally:
            _replica_ok.reset(token)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        meta = model._meta
        if (
            _replica_ok.get()
            and meta.app_label not in PRIMARY_ONLY_APPS
            and (meta.app_label, meta.model_name) not in PRIMARY_ONLY_MODELS
        ):
            return REPLICA
        return PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY  # the replica follows the primary's schema by replication
