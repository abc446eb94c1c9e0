from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "督查督办"

    def ready(self):
        # models are ready only now; services provides the 督办事项 opener (core/items.py)
        from . import derived, roles, services, signals, tasks  # noqa: PLC0415, F401

        post_migrate.connect(roles.ensure_roles, sender=self)
        signals.connect()
        derived.connect()
        tasks.connect(self)
