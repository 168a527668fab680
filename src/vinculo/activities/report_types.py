"""The activity record type reports are built on (vinculo.core.reporting)."""

from django.utils.translation import gettext_lazy as _

from vinculo.core.reporting import Column, register

from .models import Activity


def register_types() -> None:
    register("activity", Activity, _("Activities"), order=70, columns=[
        Column("subject"), Column("kind"), Column("status"), Column("outcome"), Column("direction"),
        Column("occurred_at"), Column("duration_minutes"), Column("owner"), Column("account"),
        Column("account.territory"),
    ], default_columns=("occurred_at", "kind", "subject", "account", "owner", "status"))
