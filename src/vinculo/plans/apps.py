from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "vinculo.plans"
    verbose_name = _("Business plans")

    def ready(self):
        from vinculo.core import schedule

        from . import metrics, progress, services

        metrics.register("executive_contacts", progress.executive_contacts)
        # Approved plans whose period has ended expire (idempotent).
        schedule.register("plans.expire_plans", services.expire_plans, every=timedelta(hours=1))
