"""Production is any run with DJANGO_DEBUG off, and it refuses to serve when configured unsafely.

Settings are read once per process, so each case starts a fresh Python with its own environment
(without pytest loaded, so the settings do not see a test run). Serving means loading the WSGI
application, which is what gunicorn and runserver do.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.process_helpers import GOOD_KEY, clean_environment

ROOT = Path(__file__).resolve().parent.parent
MANAGE = "from django.core.management import execute_from_command_line as run; run("
START_SERVING = "import peersupport.wsgi"
PRINT_SETTINGS = (
    "import peersupport.wsgi; from django.conf import settings as s; "
    "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
    "s.SECURE_HSTS_SECONDS > 0)"
)


def start(env: dict[str, str], code: str = PRINT_SETTINGS) -> subprocess.CompletedProcess:
    clean = (
        clean_environment()
        | {"DJANGO_SETTINGS_MODULE": "peersupport.settings", "DATABASE_URL": ""}
        | env
    )
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_DEBUG": "false"}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_SECRET_KEY": "short"}, "too weak"),
        ({"DJANGO_SECRET_KEY": "a" * 60}, "too weak"),
        (
            {"DJANGO_SECRET_KEY": "dev-insecure-only-for-local-development-and-tests"},
            "too weak",
        ),
        ({"DJANGO_SECRET_KEY": GOOD_KEY[:45]}, "too weak"),
        ({"DJANGO_SECRET_KEY": GOOD_KEY}, "DJANGO_ALLOWED_HOSTS"),
        (
            {"DJANGO_SECRET_KEY": GOOD_KEY, "DJANGO_ALLOWED_HOSTS": "directory.example"},
            "REDIS_URL is not set",
        ),
        (
            {
                "DJANGO_SECRET_KEY": GOOD_KEY,
                "DJANGO_ALLOWED_HOSTS": "directory.example",
                "REDIS_URL": "redis://127.0.0.1:6379/15",
            },
            "DJANGO_EMAIL_HOST is not set",
        ),
        ({"DJANGO_DEBUG": "perhaps"}, "DJANGO_DEBUG must be true or false"),
        (
            {"DJANGO_SECRET_KEY": GOOD_KEY, "DIRECTORY_TRUSTED_PROXIES": "the usual ones"},
            "DIRECTORY_TRUSTED_PROXIES",
        ),
    ],
)
def test_an_unsafe_production_start_is_refused(env, message):
    result = start(env, START_SERVING)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
    deploy_check = start(env, MANAGE + "['manage.py', 'check', '--deploy'])")
    assert deploy_check.returncode != 0
    assert message in deploy_check.stderr


def test_commands_that_serve_nothing_need_no_secrets():
    """A fresh checkout can check its migrations without any configuration."""
    result = start({}, MANAGE + "['manage.py', 'makemigrations', '--check', '--dry-run'])")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


PRODUCTION = {
    "DJANGO_SECRET_KEY": GOOD_KEY,
    "DJANGO_ALLOWED_HOSTS": "directory.example",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "DJANGO_EMAIL_HOST": "smtp.directory.example",
}


def test_a_safe_production_start_is_hardened():
    result = start(PRODUCTION)
    assert result.returncode == 0, result.stderr
    # DEBUG off, HTTPS redirect, secure cookies, HSTS.
    assert result.stdout.split() == ["False", "True", "True", "True", "True"]


def test_a_single_process_deployment_may_opt_out_of_redis():
    env = {**PRODUCTION, "REDIS_URL": "", "DIRECTORY_RATELIMIT_LOCAL_CACHE": "true"}
    result = start(env)
    assert result.returncode == 0, result.stderr


def test_development_starts_without_a_key():
    result = start({"DJANGO_DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "True"


def test_the_redis_cache_of_production_is_installed():
    """REDIS_URL selects Django's Redis backend: its client library must be installed."""
    result = start(
        PRODUCTION,
        code="import peersupport.wsgi; from django.core.cache import cache; "
        "print(type(cache._cache).__name__)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "RedisCacheClient"


def test_production_times_out_and_keeps_staff_sessions_short():
    env = {**PRODUCTION, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused"}
    result = start(
        env,
        code="import sys; sys.argv = ['gunicorn']; import peersupport.wsgi; "
        "from django.conf import settings as s; o = s.DATABASES['default']['OPTIONS']; "
        "print(o['connect_timeout'], 'statement_timeout=5000' in o['options'], "
        "s.SESSION_COOKIE_AGE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE, s.SECURE_REDIRECT_EXEMPT)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(maxsplit=4) == [
        "3",
        "True",
        "43200",
        "True",
        "['^healthz$', '^readyz$']\n",
    ]


# --- check --deploy, the mailer, HSTS options and logs in production (docs/deploy.md) -----

DEPLOY_CHECK = MANAGE + "['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])"
PRODUCTION_DEPLOY = PRODUCTION | {
    "DJANGO_EMAIL_PORT": "587",
    "DJANGO_EMAIL_USER": "directory",
    "DJANGO_EMAIL_PASSWORD": "an-smtp-password",
    "DJANGO_EMAIL_USE_TLS": "true",
    "DJANGO_DEFAULT_FROM_EMAIL": "Peer Support Directory <directory@directory.example>",
    "DJANGO_HSTS_PRELOAD": "true",
}


def test_check_deploy_passes_at_warning_level_with_the_production_variables():
    result = start(PRODUCTION_DEPLOY, DEPLOY_CHECK)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_reminds_about_hsts_preload_until_it_is_chosen():
    env = {**PRODUCTION_DEPLOY, "DJANGO_HSTS_PRELOAD": ""}
    result = start(env, DEPLOY_CHECK)
    assert result.returncode != 0
    assert "security.W021" in result.stderr


def test_production_mails_through_smtp_from_the_environment():
    result = start(
        PRODUCTION_DEPLOY,
        "import peersupport.wsgi; from django.conf import settings as s; "
        "m = s.MAILERS['default']; print(m['BACKEND'], sorted(m['OPTIONS'].items()), "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, s.LOG_FORMAT)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 1) == [
        "django.core.mail.backends.smtp.EmailBackend",
        "[('host', 'smtp.directory.example'), ('password', 'an-smtp-password'), "
        "('port', 587), ('use_tls', True), ('username', 'directory')] True True json\n",
    ]


def test_production_may_explicitly_run_without_e_mail():
    env = {**PRODUCTION_DEPLOY, "DJANGO_EMAIL_HOST": "", "DIRECTORY_EMAIL_DISABLED": "true"}
    result = start(env, DEPLOY_CHECK)
    assert result.returncode == 0, result.stderr
    printed = start(
        env,
        "import peersupport.wsgi; from django.conf import settings as s; "
        "print(s.MAILERS['default']['BACKEND'])",
    )
    assert printed.stdout.strip() == "django.core.mail.backends.dummy.EmailBackend"
