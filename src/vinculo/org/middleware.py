from django.utils import timezone, translation


class UserPreferencesMiddleware:
    """Activate the signed-in user's language and time zone (the browser's language otherwise)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            if user.time_zone:
                try:
                    timezone.activate(user.time_zone)
                except Exception:  # an unknown zone name stored by hand: fall back to the site's
                    timezone.deactivate()
        response = self.get_response(request)
        timezone.deactivate()
        return response
