"""Pages made of sections that other apps contribute: a lower app owns the page (the account page, a sales
team's page) and creates a `Sections` registry for it; the apps above register their sections from their
`AppConfig.ready()`, so the page never imports them:

    # accounts/page.py
    sections = Sections("account page")
    # sales/apps.py
    page.sections.register("opportunities", "sales/_account_opportunities.html", load=opportunities_of,
                           order=40, label=_("Opportunities"))

The page calls `load(...)` on each section with its own arguments (the record, the user, …) and includes
each section's template with what it returned.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Section:
    key: str  # the section's id: its anchor and its name in the page's context
    template: str
    load: Callable[..., object]  # the page's arguments → what the template shows (its own queries)
    order: int = 100
    label: str = ""  # in the page's section navigation
    options: dict = field(default_factory=dict)  # what a page asks more of its sections (a header template, …)


class Sections:
    def __init__(self, page: str):
        self.page = page
        self._sections: dict[str, Section] = {}

    def register(self, key: str, template: str, load: Callable[..., object], order: int = 100, label: str = "",
                 **options) -> Section:
        if key in self._sections:
            raise ImproperlyConfigured(f"The {self.page} already has a section {key!r}.")
        section = self._sections[key] = Section(key, template, load, order, label, options)
        return section

    def __iter__(self) -> Iterator[Section]:
        return iter(sorted(self._sections.values(), key=lambda section: (section.order, section.key)))

    def __contains__(self, key: str) -> bool:
        return key in self._sections

    def __getitem__(self, key: str) -> Section:
        return self._sections[key]
