"""WSGI entry point (gunicorn qingdao_office.wsgi; runserver loads it too)."""

import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingdao_office.settings")

application = get_wsgi_application()

# Import the URLconf and with it every view module now, while the process starts, instead of
# in the first request each process serves (issue 11: that request took 0.4–1.7 s here).
import_module(settings.ROOT_URLCONF)
