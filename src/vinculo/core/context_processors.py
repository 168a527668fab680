# URL-name prefixes of the sales pages → the top-bar entry they belong to.
_SECTIONS = {"lead": "leads", "opportunity": "opportunities", "quote": "quotes"}


def nav_section(request):
    """Which top-bar entry the current page is under, for pages sharing one URL namespace."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.namespace not in ("sales", "marketing", "org"):
        return {}
    prefix = (match.url_name or "").split("_", 1)[0]
    return {"nav_section": _SECTIONS.get(prefix, "more")}
