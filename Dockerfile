# Production image: gunicorn behind a load balancer, static files from WhiteNoise.
# Configure with DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL (PostgreSQL), REDIS_URL.
FROM python:3.12-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 app

COPY pyproject.toml README.md ./
COPY peersupport ./peersupport
COPY directory ./directory
RUN pip install --no-cache-dir .

COPY manage.py ./
COPY templates ./templates
COPY static ./static
COPY fixtures ./fixtures

# collectstatic needs settings but no secrets: a throwaway key only for this build step.
RUN DJANGO_SECRET_KEY=build-only-not-used-at-runtime-0123456789abcdefghijklmnop \
    DJANGO_ALLOWED_HOSTS=build DJANGO_DEBUG=false \
    python manage.py collectstatic --noinput

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
CMD ["gunicorn", "--config", "peersupport/gunicorn.conf.py", "peersupport.wsgi:application"]
