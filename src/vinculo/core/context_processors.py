from . import nav
from .money import Currency


def navigation(request):
    """The top bar's entries (core.nav), with the one the current page belongs to marked, and the
    currencies its user menu offers for totals."""
    return {
        "nav": nav.menu(getattr(request, "user", None), getattr(request, "resolver_match", None)),
        "currency_choices": Currency.choices,
    }
