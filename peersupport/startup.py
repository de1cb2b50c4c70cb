"""Refusing an unsafe production start (the problems are collected in settings.STARTUP_PROBLEMS).

Called by the WSGI and ASGI entry points, so gunicorn and runserver never serve with a missing
or weak secret key, no allowed hosts or a per-process rate-limit cache; the same problems are
errors of `manage.py check --deploy`.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


def refuse_unsafe_start() -> None:
    if settings.STARTUP_PROBLEMS:
        raise ImproperlyConfigured(
            "Refusing to start with DJANGO_DEBUG off: " + " ".join(settings.STARTUP_PROBLEMS)
        )


@register(Tags.security, deploy=True)
def check_startup_problems(app_configs, **kwargs) -> list[Error]:
    return [Error(problem, id="peersupport.E001") for problem in settings.STARTUP_PROBLEMS]
