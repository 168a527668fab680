from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "vinculo.core"
    verbose_name = _("Core")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import compiled, events, nav, search, signals, versioned

        nav.register("recycle_bin", _("Recycle bin"), "core:recycle_bin", order=310, group=nav.MORE)
        # The search index follows every write, in the background.
        events.subscribe(search.reindex_all, record_types=[search.kind_of(model) for model in search.searchable_models()],
                         when=search.may_change_search_text)

        post_migrate.connect(signals.analyze_new_indexes, sender=self, dispatch_uid="vinculo.core.analyze")
        # Not sent by this app only: the triggers go on every tracked table once every app has migrated.
        post_migrate.connect(versioned.install_triggers_after_migrate, dispatch_uid="vinculo.core.versions")
        post_migrate.connect(compiled.forget, dispatch_uid="vinculo.core.compiled")
