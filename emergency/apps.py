from django.apps import AppConfig


class EmergencyConfig(AppConfig):
    name = "emergency"
    verbose_name = "应急管理"
