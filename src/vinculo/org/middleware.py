from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode

from vinculo.core import money

from . import twofactor


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


class SecondFactorMiddleware:
    """A session that still owes its second factor (org.twofactor) reaches only the pages that settle it:
    other pages send it there, and the API does not see it as signed in. After django-otp's OTPMiddleware."""

    # URL names (and namespaces) such a session may reach: the verify page (the passkey's endpoints refuse to
    # register a new one before the session passed), or, for a user who has no factor yet, the enrol pages.
    # Never the enrol pages for a session owing its code: a new app would let the password alone through.
    OPEN = {"logout", "set_language", "password_reset", "password_reset_done", "password_reset_confirm",
            "password_reset_complete"}
    OPEN_BY_STEP = {twofactor.VERIFY: {"two_factor_verify"}, twofactor.ENROL: {"two_factor", "two_factor_totp"}}
    OPEN_NAMESPACES = {"otp_webauthn"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        step = twofactor.owed(request)
        if step is None:
            return None
        match = request.resolver_match
        if (match.url_name in self.OPEN or match.url_name in self.OPEN_BY_STEP[step]
                or set(match.namespaces) & self.OPEN_NAMESPACES):
            return None
        if request.path.startswith("/api/"):
            request.user = AnonymousUser()
            return None
        target = "two_factor_verify" if step == twofactor.VERIFY else "two_factor"
        return redirect(reverse(target) + "?" + urlencode({"next": request.get_full_path()}))
