"""The *administer organisation* permission includes managing the organisation's settings whose pages check a
model permission of their own (territories, sales teams, exchange rates): an administrator need not be given
those one by one. An authentication backend, so every has_perm() — views, the API, templates' `perms` — agrees."""

from django.contrib.auth.backends import BaseBackend

ADMINISTER = "org.administer_organisation"
INCLUDED = frozenset(f"org.{action}_{model}" for action in ("add", "change", "delete")
                     for model in ("territory", "territoryrule", "salesteam", "salesteammember", "exchangerate"))


class AdministratorGrants(BaseBackend):
    def has_perm(self, user_obj, perm, obj=None):
        # ADMINISTER itself is not in INCLUDED: asking for it here goes to the model backend only.
        return perm in INCLUDED and user_obj.is_active and user_obj.has_perm(ADMINISTER)
