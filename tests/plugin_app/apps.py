from django.apps import AppConfig


class PluginAppConfig(AppConfig):
    """A throwaway app, installed only by tests/settings.py: it proves that an app plugs a
    reminder rule and a scoring criterion into the core with one small module of its own each
    (reminder_rules.py, scoring_criteria.py)."""

    name = "tests.plugin_app"
    label = "plugin_app"
