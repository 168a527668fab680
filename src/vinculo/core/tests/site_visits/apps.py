from django.apps import AppConfig


class SiteVisitsConfig(AppConfig):
    name = "vinculo.core.tests.site_visits"
    label = "site_visits"

    def ready(self):
        from vinculo.accounts import page
        from vinculo.core import records

        from .models import SiteVisit

        records.register("site_visit", SiteVisit, order=500, search=records.SearchSpec(
            "site_visits", "Site visits", "site_visits/_search_result.html"))
        page.register(page.RelatedList(
            "site_visits", SiteVisit, lambda account, today: SiteVisit.objects.filter(account=account).order_by("-pk"),
            "Site visits", template="site_visits/_account_section.html", order=90))
