"""WSGI entry point (gunicorn qingdao_office.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingdao_office.settings")

application = get_wsgi_application()
