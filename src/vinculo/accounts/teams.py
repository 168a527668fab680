"""The accounts section of the sales team pages (see org.teams)."""

from django.db.models import Count

from vinculo.org.teams import RECORDS_SHOWN

from .models import Account


def annotate_teams(teams, user, currency) -> None:
    """`account_count` on each team: its accounts the user may see (one query)."""
    counts = dict(Account.objects.visible_to(user).filter(sales_team__isnull=False).values("sales_team_id")
                  .annotate(n=Count("pk")).order_by().values_list("sales_team_id", "n"))
    for team in teams:
        team.account_count = counts.get(team.pk, 0)


def team_accounts(team, user, currency) -> dict:
    accounts = (Account.objects.visible_to(user).filter(sales_team=team).select_related("owner", "territory")
                .order_by("legal_name", "pk"))
    return {"rows": list(accounts[:RECORDS_SHOWN]), "count": accounts.count()}
