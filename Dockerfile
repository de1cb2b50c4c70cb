# syntax=docker/dockerfile:1
# Production image: gunicorn behind the reverse proxy of compose.yaml, static files from
# WhiteNoise. Configuration is the environment's (docs/deploy.md). Database migrations and
# the reference content are a release step run once per deploy, never at container start:
#   docker compose run --rm release

# --- builder: every dependency as a wheel, installed into a virtualenv ---------------------
FROM python:3.13-slim-bookworm AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY peersupport ./peersupport
COPY directory ./directory
# Wheels for the project and its dependencies; the virtualenv gets the dependencies only
# (the application runs from /app, next to its templates, static files and fixtures).
RUN pip wheel --wheel-dir /wheels . \
    && python -m venv /opt/venv \
    && find /wheels -name '*.whl' ! -name 'peersupport-*' -print0 \
       | xargs -0 /opt/venv/bin/pip install --no-index --no-deps

# --- runtime: no compilers, no build tools, a non-root user -------------------------------
FROM python:3.13-slim-bookworm AS runtime

# MALLOC_ARENA_MAX=2: glibc adds a malloc arena whenever threads contend (up to 8 per core)
# and rarely gives their freed memory back; two bound what gunicorn's threaded workers keep
# (the soak drill's worker growth, docs/operations.md; its effect is not measured yet).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=peersupport.settings \
    GUNICORN_BIND=0.0.0.0:8000 \
    MALLOC_ARENA_MAX=2

# /var/cache/peersupport: the built feeds, compose's shared "feeds" volume (a new volume takes
# this directory's owner).
RUN groupadd --gid 10001 app \
    && useradd --no-log-init --create-home --uid 10001 --gid 10001 app \
    && install -d -o app -g app -m 0700 /var/cache/peersupport
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY manage.py pyproject.toml ./
COPY peersupport ./peersupport
COPY directory ./directory
COPY templates ./templates
COPY static ./static
COPY fixtures ./fixtures
COPY locale ./locale
COPY scripts/release ./scripts/release

# collectstatic needs settings but no secrets: a throwaway key only for this build step. The
# compressed, fingerprinted copies are what WhiteNoise serves with far-future caching. The
# translations are compiled with Babel (no GNU gettext in this image), as `make messages` does.
RUN DJANGO_SECRET_KEY=build-only-not-used-at-runtime-0123456789abcdefghijklmnop \
    DJANGO_ALLOWED_HOSTS=build DJANGO_DEBUG=false DIRECTORY_EMAIL_DISABLED=true \
    python manage.py collectstatic --noinput \
    && pybabel compile --domain django --directory locale \
    && python -m compileall -q peersupport directory

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]
CMD ["gunicorn", "--config", "peersupport/gunicorn.conf.py", "peersupport.wsgi:application"]
