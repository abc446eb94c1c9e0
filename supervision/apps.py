from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "督查督办"

    def ready(self):
        from . import roles, signals, tasks  # noqa: PLC0415 - models are ready only now

        post_migrate.connect(roles.ensure_roles, sender=self)
        signals.connect()
        tasks.connect(self)
