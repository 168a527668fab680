"""Sign-in protection: who is asking (the client's address, trusting forwarded headers only from our own
proxies), and what a locked-out caller is told, on the login page and by the API.

django-axes counts the failures (settings: the "Sign-in protection" block) for the login page, the admin's
and the API's token endpoint, by username and by address; it asks `client_ip` for the address, and
`lockout_response` for the answer once a caller is locked out.
"""

import ipaddress
from functools import lru_cache

from axes.backends import AxesStandaloneBackend
from django import forms
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vinculo.core import compiled

API_PREFIX = "/api/"


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def trusted_proxies() -> tuple:
    """The networks of the proxies whose X-Forwarded-For we believe (settings.VINCULO_TRUSTED_PROXIES)."""
    return _networks(tuple(settings.VINCULO_TRUSTED_PROXIES))


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, proxies) -> bool:
    return any(address in network for network in proxies)


def client_ip(request) -> str | None:
    """The address of the client behind `request`. The peer (REMOTE_ADDR) unless it is one of our trusted
    proxies; then X-Forwarded-For is read from the right, through our own proxies, and the first address
    they did not add is the client's. A header sent by anyone else changes nothing."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = trusted_proxies()
    peer = _address(remote) if remote else None
    if peer is None or not proxies or not _trusted(peer, proxies):
        return remote
    client = peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = _address(hop)
        if address is None:
            break  # a garbled hop: the last address our proxies vouched for is all we know
        client = address
        if not _trusted(address, proxies):
            break
    return str(client)


def cool_off_minutes() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    return int(cool_off.total_seconds() // 60) if cool_off else 0


def lockout_message() -> str:
    minutes = cool_off_minutes()
    if not minutes:
        return _("Too many failed sign-in attempts for this account or from this address: sign-in is locked "
                 "until an administrator unlocks it.")
    return ngettext(
        "Too many failed sign-in attempts for this account or from this address: sign-in is locked. Try again "
        "in %(minutes)d minute, or ask an administrator to unlock it.",
        "Too many failed sign-in attempts for this account or from this address: sign-in is locked. Try again "
        "in %(minutes)d minutes, or ask an administrator to unlock it.", minutes) % {"minutes": minutes}


def is_locked_out(request) -> bool:
    return bool(getattr(request, "axes_locked_out", False))


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out caller gets (AXES_LOCKOUT_CALLABLE): a JSON 429 from the API; the login page with
    its message (the form says it) and status 429; elsewhere (the admin's login) a page saying it."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": lockout_message()}, status=429)
    match = getattr(request, "resolver_match", None)
    if original_response is not None and match is not None and match.view_name == "login":
        original_response.status_code = 429
        return original_response
    return render(request, "registration/locked_out.html", {"message": lockout_message()}, status=429)


class LoginForm(AuthenticationForm):
    """The login page's form: once django-axes locks the account or the address out, it says so instead of
    "wrong username or password" (even for the right password)."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if self.request is not None and is_locked_out(self.request):
                raise forms.ValidationError(lockout_message(), code="locked_out") from None
            raise


class SignInGuard(AxesStandaloneBackend):
    """django-axes' check, first of AUTHENTICATION_BACKENDS: refuses a locked-out username or address. Every
    web channel passes the request (the login pages, the API's token endpoint); a call without one (a
    management command, a script) comes from no client and is not counted, where axes would raise."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class PermissionBackend(ModelBackend):
    """Django's model backend, reading a user's permissions in one query instead of two (their own and their
    groups'): every page asks, for its navigation, so this is one query less on each."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            # Its SQL compiled once per process (core.compiled.rows): each API request asks it for a new user object.
            found = (compiled.rows("org:all-permissions", Permission, _all_permissions) if user_obj.is_superuser
                     else compiled.rows("org:permissions", Permission, _permissions_of, user_obj.pk))
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in found}
        return user_obj._perm_cache


def _all_permissions():
    return Permission.objects.values_list("content_type__app_label", "codename").order_by()


def _permissions_of(user_id: int):
    own = Permission.user_set.through.objects.filter(user_id=user_id).values("permission_id")
    via_groups = Permission.group_set.through.objects.filter(group__user=user_id).values("permission_id")
    return _all_permissions().filter(Q(pk__in=own) | Q(pk__in=via_groups))
