"""Pages of the second factor: the user's devices (/account/two-factor/), setting up an authenticator app,
recovery codes, and the step after the password at sign-in (/account/two-factor/verify/). Passkeys are registered and
used through django-otp-webauthn's own endpoints and script (under /account/two-factor/webauthn/)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import twofactor


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=20,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text",
                                                         "autofocus": True}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _next(request, default="home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse(default)


@login_required
def verify(request):
    """The step after the password for a user with a second factor: a code, a recovery code or a passkey."""
    if twofactor.owed(request) != twofactor.VERIFY:
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.verify_code(request, form.cleaned_data["code"]):
            return redirect(_next(request))
        form.add_error("code", _("This code is not right, or it was already used. Check the time on your phone "
                                 "and try the next code."))
    has_passkey = any(not isinstance(device, TOTPDevice | StaticDevice)
                      for device in devices_for_user(request.user, confirmed=True))
    return render(request, "org/twofactor/verify.html", {"form": form, "next": _next(request),
                                                         "has_passkey": has_passkey},
                  status=422 if form.errors else 200)


@login_required
def overview(request):
    """The user's second factors; where a user the organisation requires one from is sent to enrol."""
    user = request.user
    devices = list(devices_for_user(user, confirmed=True))
    return render(request, "org/twofactor/overview.html", {
        "apps": [device for device in devices if isinstance(device, TOTPDevice)],
        "passkeys": [device for device in devices if not isinstance(device, TOTPDevice | StaticDevice)],
        "recovery_left": twofactor.recovery_codes_left(user),
        "must_enrol": twofactor.owed(request) == twofactor.ENROL,
        "next": _next(request, default="profile"),
    })


@login_required
def totp_setup(request):
    """Set up an authenticator app: a QR code, then the first code it shows confirms it; the recovery codes
    are shown once on success."""
    user = request.user
    device = twofactor.pending_totp(user, request.POST.get("device")) if request.method == "POST" else None
    if device is None:
        device = twofactor.start_totp(user)
        form = CodeForm()
    else:
        form = CodeForm(request.POST)
        if form.is_valid():
            first = not twofactor.recovery_codes_left(user)
            if twofactor.confirm_totp(request, device, form.cleaned_data["code"]):
                codes = twofactor.new_recovery_codes(user) if first else None
                messages.success(request, _("Your authenticator app is set up: sign-in will ask for its code."))
                if codes:
                    return render(request, "org/twofactor/recovery_codes.html",
                                  {"codes": codes, "next": _next(request, default="profile")})
                return redirect(_next(request, default="two_factor"))
            form.add_error("code", _("This code is not right. Check the time on your phone and try the next "
                                     "code."))
    return render(request, "org/twofactor/totp_setup.html", {
        "device": device, "form": form, "qr": twofactor.qr_svg(device), "key": twofactor.base32_key(device),
        "next": _next(request, default="two_factor"),
    }, status=422 if form.errors else 200)


@login_required
@require_POST
def recovery_codes(request):
    if not twofactor.has_second_factor(request.user):
        return redirect("two_factor")
    codes = twofactor.new_recovery_codes(request.user)
    return render(request, "org/twofactor/recovery_codes.html",
                  {"codes": codes, "next": reverse("two_factor")})


class ReauthenticateForm(forms.Form):
    secret = forms.CharField(label=gettext_lazy("Your password, or a code of your authenticator app"),
                             max_length=128, strip=False,
                             widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}))

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_secret(self):
        if not twofactor.reauthenticated(self.user, self.cleaned_data["secret"]):
            raise forms.ValidationError(_("This is neither your password nor a current code."), code="reauth")
        return self.cleaned_data["secret"]


@login_required
def remove(request, kind, pk):
    """Remove one of one's authenticator apps or passkeys, after giving one's password or a current code;
    refused for the last one when the organisation requires a second factor."""
    device = twofactor.factor_of(request.user, kind, pk)
    if device is None:
        raise Http404
    refused = twofactor.removal_refused(request.user, device)
    form = ReauthenticateForm(request.POST or None, user=request.user)
    if request.method == "POST" and not refused and form.is_valid():
        refused = twofactor.remove_factor(request.user, device)
        if not refused:
            messages.success(request, _("“%(name)s” was removed.") % {"name": device.name})
            return redirect("two_factor")
    status = 422 if (request.method == "POST" and (refused or form.errors)) else 200
    return render(request, "org/twofactor/remove.html", {"device": device, "form": form, "refused": refused,
                                                         "kind": kind}, status=status)
