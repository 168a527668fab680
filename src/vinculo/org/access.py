"""Access that the organisation grants, as clauses of a record type's policy (core.policy): the members
of a record's sales team, and the users of a territory that grants access to the records in it."""

from dataclasses import dataclass

from django.db import models
from django.db.models.functions import Length, Substr

from vinculo.core.policy import NO_ONE, Clause

from .models import SalesTeamMember, Territory, User


def territory_access_rule(user, field: str = "territory") -> models.Q:
    """Records in a territory (or below it) that `user` is assigned to, where the territory grants access."""
    granting = Territory.objects.filter(users=user, grants_access=True)
    covered = Territory.objects.filter(
        models.Exists(granting.filter(path=Substr(models.OuterRef("path"), 1, Length("path"))))
    )
    return models.Q(**{f"{field}__in": covered.values("pk")})


@dataclass
class TerritoryGrant(Clause):
    """Users assigned to a granting territory see (and change) the records in it and in its sub-territories."""

    field: str = "territory"

    def q(self, user, write, per_row, prefix=""):
        return territory_access_rule(user, f"{prefix}{self.field}")

    def users(self, record, write):
        """One query: the record's territory path."""
        territory_id = getattr(record, f"{self.field}_id")
        if territory_id is None:
            return NO_ONE
        path = Territory.objects.filter(pk=territory_id).values_list("path", flat=True).first() or ""
        above = [int(part) for part in path.strip("/").split("/") if part]  # the territory and its ancestors
        granting = Territory.objects.filter(pk__in=above, grants_access=True)
        return models.Q(pk__in=User.territories.through.objects.filter(territory__in=granting).values("user_id"))


@dataclass
class SalesTeamGrant(Clause):
    """The members of the record's sales team see (and change) it."""

    field: str = "sales_team"

    def q(self, user, write, per_row, prefix=""):
        return models.Q(**{f"{prefix}{self.field}_id__in": user.team_memberships.values("team_id")})

    def users(self, record, write):
        team_id = getattr(record, f"{self.field}_id")
        if team_id is None:
            return NO_ONE
        return models.Q(pk__in=SalesTeamMember.objects.filter(team_id=team_id).values("user_id"))
