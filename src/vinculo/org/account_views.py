"""The user's own pages: "My profile" (details, preferences, photo, sessions, and the sections other apps
add, such as the API tokens), the password change, and the photos other users see."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import profile, sessions
from .account_forms import PasswordChangeForm, ProfileForm
from .models import User


def _profile_page(request, form, status=200):
    user = request.user
    return render(request, "org/profile/profile.html", {
        "form": form,
        "sessions": sessions.live_sessions(user),
        "current_session": request.session.session_key,
        "sections": [(section, section.load(user)) for section in profile.sections],
    }, status=status)


@login_required
def profile_page(request):
    user = request.user
    if request.method != "POST":
        return _profile_page(request, ProfileForm(instance=user))
    # The form works on a copy: a refused change must not show in the page's own header.
    form = ProfileForm(request.POST, request.FILES, instance=User.objects.get(pk=user.pk))
    if not form.is_valid():
        return _profile_page(request, form, status=422)
    form.save()
    messages.success(request, _("Your profile was saved."))
    return redirect("profile")


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        ended = sessions.after_password_change(request, form.user)
        text = _("Your password was changed.")
        if ended:
            text += " " + ngettext("Your other session was signed out.",
                                   "Your %(count)d other sessions were signed out.", ended) % {"count": ended}
        messages.success(request, text)
        return redirect("profile")
    return render(request, "org/profile/password_change.html", {"form": form},
                  status=422 if form.is_bound else 200)


@login_required
@require_POST
def sessions_end_others(request):
    ended = sessions.end_sessions(request.user, keep=request.session.session_key)
    messages.success(request, ngettext("%(count)d other session was signed out.",
                                       "%(count)d other sessions were signed out.", ended) % {"count": ended})
    return redirect("profile")


@login_required
@require_POST
def session_end(request, pk):
    if sessions.end_sessions(request.user, keep=request.session.session_key, only=pk):
        messages.success(request, _("The session was signed out."))
    return redirect("profile")


@login_required
def photo(request, pk):
    """A user's photo, for signed-in users only (never a public media URL)."""
    user = get_object_or_404(User.objects.only("pk", "photo"), pk=pk)
    if not user.photo:
        raise Http404
    try:
        content = user.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(content)
