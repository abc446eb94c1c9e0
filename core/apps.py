from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared layer. On start it finds every installed app's `access.py` (who may do
    what), `reminder_rules.py`, `dashboard_cards.py`, `scoring_criteria.py`, `task_records.py`
    (records kept for plan tasks) and `demo_records.py` (their demo data), the way the
    admin finds `admin.py`; it imports no app by name."""

    name = "core"
    verbose_name = "公共基础"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in  # noqa: PLC0415
        from django.utils.module_loading import autodiscover_modules  # noqa: PLC0415

        from . import schedule  # noqa: PLC0415
        from .middleware import mark_session_active  # noqa: PLC0415

        schedule.connect(self)
        user_logged_in.connect(mark_session_active, dispatch_uid="core-session-active")
        autodiscover_modules(
            "access",
            "reminder_rules",
            "dashboard_cards",
            "scoring_criteria",
            "task_records",
            "demo_records",
        )
