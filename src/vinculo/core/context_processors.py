from . import nav


def navigation(request):
    """The top bar's entries (core.nav), with the one the current page belongs to marked."""
    return {"nav": nav.menu(getattr(request, "user", None), getattr(request, "resolver_match", None))}
