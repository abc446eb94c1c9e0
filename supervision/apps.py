from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "督查督办"

    def ready(self):
        from .roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self)

        from .schedule import ensure_schedule

        post_migrate.connect(ensure_schedule, sender=self)

        from . import signals

        signals.connect()
