"""The top bar's entries. Each app registers its own in `AppConfig.ready()`; the shell's `_nav.html`
loops over them through the `navigation` context processor, so the kernel names no app:

    nav.register("leads", _("Leads"), "sales:lead_list", order=30, prefix="lead")
"""

from dataclasses import dataclass
from itertools import groupby

from django.core.exceptions import ImproperlyConfigured

MAIN = "main"  # in the bar itself
MORE = "more"  # in the "More" menu, under the entry's heading


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    url_name: str  # where the entry leads; its namespace is the pages the entry is current for
    order: int
    group: str = MAIN
    heading: str = ""  # in the More menu: the heading the entry sits under
    prefix: str = ""  # for an app whose namespace spans several entries: its URL names start with `<prefix>_`
    permission: str = ""  # shown only to users who have it

    def is_current(self, match) -> bool:
        """Whether the page resolved to `match` (a ResolverMatch, or None) belongs to this entry."""
        if match is None or match.namespace != self.url_name.split(":", 1)[0]:
            return False
        return not self.prefix or (match.url_name or "").split("_", 1)[0] == self.prefix


_entries: dict[str, NavEntry] = {}


def register(key: str, label, url_name: str, *, order: int, group: str = MAIN, heading="", prefix: str = "",
             permission: str = "") -> NavEntry:
    if group not in (MAIN, MORE):
        raise ImproperlyConfigured(f"Navigation entry {key!r}: unknown group {group!r}.")
    known = _entries.get(key)
    if known is not None and known.url_name != url_name:
        raise ImproperlyConfigured(f"Navigation entry {key!r} is already registered for {known.url_name}.")
    _entries[key] = NavEntry(key, label, url_name, order, group, heading, prefix, permission)
    return _entries[key]


def menu(user, match) -> dict:
    """The entries `user` may use, in order: `main` as (entry, current) items, `more` as sections of one
    heading each; `more_current` when the page belongs to one of the More menu's entries, `current` the key of the
    entry the page belongs to ("" for none)."""
    entries = [entry for entry in sorted(_entries.values(), key=lambda entry: entry.order)
               if not entry.permission or (user is not None and user.has_perm(entry.permission))]
    more = [entry for entry in entries if entry.group == MORE]
    return {
        "main": [{"entry": entry, "current": entry.is_current(match)} for entry in entries if entry.group == MAIN],
        "more": [{"heading": heading, "entries": list(section)}
                 for heading, section in groupby(more, key=lambda entry: entry.heading)],
        "more_current": any(entry.is_current(match) for entry in more),
        "current": next((entry.key for entry in entries if entry.is_current(match)), ""),
    }
