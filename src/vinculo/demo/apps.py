from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "vinculo.demo"
    verbose_name = "Demo data"
