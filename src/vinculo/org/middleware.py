from django.utils import timezone, translation

from vinculo.core import money


class UserPreferencesMiddleware:
    """Activate the signed-in user's language, time zone and country of formats (the browser's language and
    the organisation's country otherwise)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        country = None
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            if user.time_zone:
                try:
                    timezone.activate(user.time_zone)
                except Exception:  # an unknown zone name stored by hand: fall back to the site's
                    timezone.deactivate()
            # Asked the first time the request writes an amount: pages without money run no query for it.
            country = money.activate_country(user.office_country)
        try:
            return self.get_response(request)
        finally:
            if country is not None:
                money.deactivate_country(country)
            timezone.deactivate()
