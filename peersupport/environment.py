"""Reading the environment for settings.py: typed values and the blocks built from several.

Imports nothing of Django but its exception, so settings.py can use it before Django is set
up. Each function reads ``os.environ`` when called; settings.py calls them once, at start.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool) -> bool:
    """``name`` as true or false (1/0, true/false, yes/no, on/off); unset or empty: default."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    """``name`` as a comma-separated list, blanks dropped."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def with_timeouts(database: dict, *, connect_seconds: int, statement_seconds: float) -> None:
    """A PostgreSQL entry of DATABASES through our backend, with both timeouts (in place).

    ``peersupport.postgresql`` is Django's backend plus a per-process circuit breaker on
    connecting (fail fast while the database is down). A statement timeout of 0 means none.
    """
    if database["ENGINE"] != "django.db.backends.postgresql":
        return
    database["ENGINE"] = "peersupport.postgresql"
    options = database.setdefault("OPTIONS", {})
    options["connect_timeout"] = max(2, connect_seconds)  # libpq's minimum is 2
    if statement_seconds > 0:
        timeout_ms = int(statement_seconds * 1000)
        options["options"] = f"{options.get('options', '')} -c statement_timeout={timeout_ms}"
        options["options"] = options["options"].strip()
