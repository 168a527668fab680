"""The organisation's administration in the app, for users with the *administer organisation* permission
(org.administer_organisation; superusers have it): others get 403."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import twofactor
from .models import OrgSettings


def require_admin(user) -> None:
    if not twofactor.is_admin(user):
        raise PermissionDenied


class SecurityForm(forms.ModelForm):
    class Meta:
        model = OrgSettings
        fields = ["second_factor"]
        widgets = {"second_factor": forms.RadioSelect}

    def __init__(self, *args, by, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.by = by

    def clean_second_factor(self):
        rule = self.cleaned_data["second_factor"]
        # Requiring a factor one does not have would sign oneself out with no way back in but enrolling.
        if twofactor.second_factor_required(self.by, rule) and not twofactor.has_second_factor(self.by):
            raise forms.ValidationError(_("Set up your own second factor first (My profile → Two-factor sign-in)."),
                                        code="own_factor_missing")
        return rule


@login_required
def settings_page(request):
    require_admin(request.user)
    current = OrgSettings.current()
    form = SecurityForm(request.POST or None, instance=current, by=request.user)
    if request.method == "POST" and form.is_valid():
        signed_out = twofactor.apply_policy(form.cleaned_data["second_factor"], by=request.user)
        text = _("Settings saved.")
        if signed_out:
            text += " " + ngettext(
                "%(count)d user without a second factor was signed out and will be asked to set one up.",
                "%(count)d users without a second factor were signed out and will be asked to set one up.",
                signed_out) % {"count": signed_out}
        messages.success(request, text)
        return redirect("org:settings")
    return render(request, "org/admin/settings.html", {"form": form}, status=422 if form.errors else 200)
