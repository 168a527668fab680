from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "vinculo.activities"
    verbose_name = _("Activities")

    def ready(self):
        from .report_types import register_types as register_report_types

        register_report_types()
        from vinculo.core import lists

        lists.register("activities", _("Activities"), "activities:list")
        from vinculo.accounts import page
        from vinculo.contacts import page as contact_page
        from vinculo.core import nav, records, subjects
        from vinculo.core.api import routers
        from vinculo.plans import links, metrics

        from . import api, sections, services
        from . import plans as plan_measures
        from .models import Activity

        records.register("activity", Activity, order=30)
        subjects.register_mover(Activity, services.move_activities)
        nav.register("activities", _("Activities"), "activities:list", order=60)
        # An account's timeline sits under /accounts, after the account endpoints.
        routers.register("/accounts", api.timeline_router, order=20)
        routers.register("/activities", api.router, order=110)
        page.register(sections.TimelineSection())
        metrics.register("activities", plan_measures.count_activities, choices=plan_measures.kinds)
        links.register("activities", Activity, _("Activities"), order=20, template="activities/_plan_activity.html",
                       candidates_order=("-occurred_at", "-id"), create_url_name="activities:create",
                       create_label=_("Log follow-up activity"))
        contact_page.sections.register("activities", "activities/_contact_activities.html",
                                       load=sections.contact_activities, order=10)
        contact_page.register_action("log_activity", _("Log activity"), "activities:create", order=10, primary=True)
