"""The contact page's sections, registered by the apps whose records involve a contact: its activities
(activities), its tasks (work), the deals it plays a role in (sales), the campaigns that reached it
(marketing), the notes about it (customer360). Each section's `load(contact, user)` returns {"rows", "count"}
of what the user may see, in a bounded number of queries; its template shows them as `data`. The header's
actions ("log activity", "new task") are registered the same way (`register_action`)."""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from vinculo.core.sections import Sections

SHOWN = 10

sections = Sections("contact page")


@dataclass(frozen=True)
class Action:
    """A button in the contact page's header, leading to `url_name` with `?contact=<pk>` (e.g. "log
    activity", registered by activities; "new task", by work)."""

    key: str
    label: str
    url_name: str
    order: int = 100
    primary: bool = False


_actions: dict[str, Action] = {}


def register_action(key: str, label, url_name: str, *, order: int = 100, primary: bool = False) -> Action:
    known = _actions.get(key)
    if known is not None and known.url_name != url_name:
        raise ImproperlyConfigured(f"The contact page already has an action {key!r} ({known.url_name}).")
    _actions[key] = Action(key, label, url_name, order, primary)
    return _actions[key]


def actions() -> list[Action]:
    return sorted(_actions.values(), key=lambda action: (action.order, action.key))
