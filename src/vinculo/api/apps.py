from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "vinculo.api"
    verbose_name = _("API")

    def ready(self):
        from vinculo.org import profile

        from .models import ApiToken

        profile.sections.register("tokens", "api/_profile_tokens.html", order=50, label=_("API tokens"),
                                  load=lambda user: list(ApiToken.objects.filter(user=user)))
