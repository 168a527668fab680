from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "vinculo.reports"
    verbose_name = _("Reports")

    def ready(self):
        from vinculo.core import nav, schedule
        from vinculo.core.api import routers

        from . import api, scheduled

        nav.register("reports", _("Reports"), "reports:list", order=100, group=nav.MORE, heading=_("Analysis"))
        routers.register("/reports", api.router, order=300)
        routers.register("/bulk", api.bulk_router, order=310)
        # Scheduled reports: each due subscription is e-mailed by a task of its own (at most once a period).
        schedule.register("reports.send_subscriptions", scheduled.enqueue_due, every=timedelta(minutes=15))
