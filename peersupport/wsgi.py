"""WSGI entry point (gunicorn, and runserver through WSGI_APPLICATION)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
application = get_wsgi_application()

from peersupport.startup import refuse_unsafe_start  # noqa: E402 - needs settings loaded

refuse_unsafe_start()
