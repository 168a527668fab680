"""The opportunities section of the account page (registered in SalesConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from vinculo.accounts.page import RelatedList

from .models import Opportunity

# Every deal of an account the user may see is visible to them (the deal's policy inherits the account's).
opportunities = RelatedList(
    "opportunities", Opportunity,
    lambda account, today: Opportunity.objects.filter(account=account)
    .select_related("owner", "stage", "business_unit").order_by("-created_at", "-pk"),
    _("Opportunities"), template="accounts/_opportunities_list.html", order=40,
)
