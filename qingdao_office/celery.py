"""The Celery app. Broker and result backend come from REDIS_URL (settings.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingdao_office.settings")

app = Celery("qingdao_office")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
