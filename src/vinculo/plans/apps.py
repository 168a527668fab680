from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "vinculo.plans"
    verbose_name = _("Business plans")

    def ready(self):
        from vinculo.accounts import page
        from vinculo.core import events, lists, nav, records, schedule
        from vinculo.core.api import routers
        from vinculo.org.models import register_notification

        from . import api, emails, metrics, progress, sections, services
        from .models import BusinessPlan, Objective

        records.register("plan", BusinessPlan, order=35, search=records.SearchSpec(
            "plans", _("Business plans"), "plans/_search_result.html",
            related=("account",), visible=("account", "account_visible"),
        ))
        records.register("objective", Objective, order=36)
        nav.register("plans", _("Plans"), "plans:overview", order=35)
        lists.register("plans", _("Business plans"), "plans:overview")
        page.register(sections.PlansSection())
        page.register_sales_target(sections.sales_target)
        metrics.register("executive_contacts", progress.executive_contacts)
        # Approved plans whose period has ended expire (idempotent).
        schedule.register("plans.expire_plans", services.expire_plans, every=timedelta(hours=1))
        # E-mail each notice a plan's transition made, once it commits (switched on for everyone by default).
        register_notification(emails.PLAN_EMAILS, _("A business plan is submitted to me, returned, approved or "
                                                    "expires"), default=True)
        events.subscribe(emails.send_plan_emails, kinds=[events.Kind.TRANSITION], record_types=["plans.businessplan"])
        routers.register("/plans", api.plans, order=105)
        routers.register("/objectives", api.objectives, order=106)
