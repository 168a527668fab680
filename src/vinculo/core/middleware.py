from .access import rules_built_once


def access_rules_per_request(get_response):
    """Build each access rule once per request and user (see `core.access.rules_built_once`)."""

    def middleware(request):
        with rules_built_once():
            return get_response(request)

    return middleware
