from django.apps import AppConfig


class FoodsafetyConfig(AppConfig):
    name = "foodsafety"
    verbose_name = "食品安全"
