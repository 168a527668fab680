from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "vinculo.reports"
    verbose_name = _("Reports")

    def ready(self):
        from vinculo.core import lists, nav, schedule
        from vinculo.core.api import routers
        from vinculo.exchange import export_jobs

        from . import api, jobs, saved_views, scheduled

        nav.register("reports", _("Reports"), "reports:list", order=100, group=nav.MORE, heading=_("Analysis"))
        routers.register("/reports", api.router, order=300)
        routers.register("/bulk", api.bulk_router, order=310)
        routers.register("/views", api.views_router, order=320)
        lists.views_menu_provider = saved_views.menu
        export_jobs.register_source("report", jobs.count_rows, jobs.write)
        # Scheduled reports: each due subscription is e-mailed by a task of its own (at most once a period).
        schedule.register("reports.send_subscriptions", scheduled.enqueue_due, every=timedelta(minutes=15))
