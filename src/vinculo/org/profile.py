"""The "My profile" page (/account/): the user's own details and preferences, password, sessions, and the
sections apps above org add (the API tokens, from `api`), registered in their AppConfig.ready():

    profile.sections.register("tokens", "api/_profile_tokens.html", load=tokens_of, order=50,
                              label=_("API tokens"))

`load(user)` returns what the section's template shows (its own queries).
"""

from vinculo.core.sections import Sections

sections = Sections("profile page")
