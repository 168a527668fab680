"""The predefined views of the sales lists (core.lists.Preset): shipped in code, the same for every user,
each applied on top of the list's filters and the access policy."""

import calendar
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from vinculo.activities.models import Activity
from vinculo.core import clock, lists
from vinculo.core.subjects import content_type_id

from .forms_leads import ALL, OPEN_STATUSES
from .models import Lead, Opportunity, Quote

QUIET_DAYS = 30


def my_open_deals_closing_this_month(queryset, user):
    """The user's open deals expected to close between the first and the last day of the current month."""
    today = clock.today()
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    return queryset.filter(owner=user, status=Opportunity.Status.OPEN,
                           expected_close_date__gte=today.replace(day=1), expected_close_date__lte=last)


def leads_without_activity(queryset, user, days: int = QUIET_DAYS):
    """Open leads with no activity in the last `days` days (today and the days - 1 before it) and older than
    that: a lead whose last activity was exactly `days` days ago is in, one at `days` - 1 days is not."""
    since, _end = clock.day_bounds(clock.today() - timedelta(days=days - 1), clock.today())
    recent = Activity.objects.filter(regarding_type_id=content_type_id(Lead), regarding_id=OuterRef("pk"),
                                     occurred_at__gte=since)
    return queryset.filter(status__in=OPEN_STATUSES, created_at__lt=since).exclude(Exists(recent))


def unconverted_leads(queryset, user):
    return queryset.exclude(status=Lead.Status.CONVERTED)


def expired_quotes(queryset, user):
    """Quotes past their validity (valid until yesterday or before) that the customer never answered, and those
    marked expired."""
    today = clock.today()
    return queryset.filter(Q(status__in=[Quote.Status.DRAFT, Quote.Status.SENT], valid_until__lt=today)
                           | Q(status=Quote.Status.EXPIRED))


def register() -> None:
    lists.register("opportunities", _("Opportunities"), "sales:opportunity_list", [
        lists.Preset("my-open-closing-this-month", _("My open deals closing this month"),
                     narrow=my_open_deals_closing_this_month),
    ])
    lists.register("leads", _("Leads"), "sales:lead_list", [
        lists.Preset("no-activity-30-days", _("Leads without activity for 30 days"), narrow=leads_without_activity),
        lists.Preset("unconverted", _("Unconverted leads"), query={"status": ALL}, narrow=unconverted_leads),
    ])
    lists.register("quotes", _("Quotes"), "sales:quote_list", [
        lists.Preset("expired", _("Expired quotes"), narrow=expired_quotes),
    ])
    for key, label, url_name in (("competitors", _("Competitors"), "sales:competitor_list"),
                                 ("products", _("Products"), "sales:product_list"),
                                 ("price_lists", _("Price lists"), "sales:pricelist_list")):
        lists.register(key, label, url_name)
