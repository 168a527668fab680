"""Access that organisation data grants: territories whose members see the records in them."""

from django.db import models
from django.db.models.functions import Length, Substr

from .models import Territory


def territory_access_rule(user, field: str = "territory") -> models.Q:
    """Records in a territory (or below it) that `user` is assigned to, where the territory grants access."""
    granting = Territory.objects.filter(users=user, grants_access=True)
    covered = Territory.objects.filter(
        models.Exists(granting.filter(path=Substr(models.OuterRef("path"), 1, Length("path"))))
    )
    return models.Q(**{f"{field}__in": covered.values("pk")})
