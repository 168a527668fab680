"""The "API tokens" page of the user menu: a user's own tokens (a prefix, never the secret again), creating
one (shown once) and revoking one."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, required=False,
                           help_text=gettext_lazy("What the token is for, e.g. “ERP sync”."))
    expires_in_days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"), min_value=1, max_value=settings.VINCULO_API_TOKEN_MAX_DAYS,
        initial=settings.VINCULO_API_TOKEN_DAYS, widget=forms.NumberInput(attrs={"min": 1}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


@login_required
def token_list(request):
    """The user's tokens; a POST creates one and shows its secret on this answer only."""
    form = TokenForm(request.POST if request.method == "POST" else None)
    new_key = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            _token, new_key = ApiToken.issue(request.user, days=form.cleaned_data["expires_in_days"],
                                             name=form.cleaned_data["name"])
            form = TokenForm()
        else:
            status = 422
    tokens = list(ApiToken.objects.filter(user=request.user))
    return render(request, "api/tokens.html", {"tokens": tokens, "form": form, "new_key": new_key}, status=status)


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.delete()
    messages.success(request, _("The token %(prefix)s… was revoked: it no longer works.") % {"prefix": token.prefix})
    return redirect("tokens:list")
