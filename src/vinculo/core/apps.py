from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "vinculo.core"
    verbose_name = _("Core")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import nav, signals

        nav.register("recycle_bin", _("Recycle bin"), "core:recycle_bin", order=310, group=nav.MORE)

        post_migrate.connect(signals.analyze_new_indexes, sender=self, dispatch_uid="vinculo.core.analyze")
