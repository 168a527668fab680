from django.db.models.signals import post_save

from . import search
from .models import TrackedModel


def _reindex(sender, instance, raw=False, **kwargs):
    if raw or not issubclass(sender, TrackedModel) or type(instance).search_text is TrackedModel.search_text:
        return
    search.index_record(instance)


post_save.connect(_reindex, dispatch_uid="vinculo.core.reindex")
