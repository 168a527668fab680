"""The organisation's administration in the app, for users with the *administer organisation* permission
(org.administer_organisation; superusers have it): others get 403."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from vinculo.core.access import AccessLevel

from . import access_defaults, people, twofactor
from .admin_forms import (
    BusinessUnitForm,
    CompanyProfileForm,
    OfficeForm,
    ReassignForm,
    RoleForm,
    UserAdminForm,
)
from .forms import tree_order
from .models import BusinessUnit, CompanyProfile, Office, OrgSettings, Role, User


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


# ---------- Users ----------

USERS_PAGE_SIZE = 50


def _users_list(query: str, show: str):
    users = User.objects.select_related("role", "manager", "business_unit", "office")
    if show != "all":
        users = users.filter(is_active=show != "inactive")
    for word in query.split():
        users = users.filter(Q(username__icontains=word) | Q(first_name__icontains=word)
                             | Q(last_name__icontains=word) | Q(email__icontains=word))
    return users.order_by("first_name", "last_name", "username")


@login_required
def user_list(request):
    require_admin(request.user)
    query, show = request.GET.get("q", "").strip()[:100], request.GET.get("show", "active")
    page = Paginator(_users_list(query, show), USERS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "org/admin/user_list.html", {"page": page, "q": query, "show": show})


@login_required
def user_invite(request):
    require_admin(request.user)
    form = UserAdminForm(request.POST or None, invite=True)
    if request.method == "POST" and form.is_valid():
        user = people.invite(request, form.save(commit=False), by=request.user,
                             territories=form.cleaned_data["territories"], teams=form.cleaned_data["teams"])
        messages.success(request, _("%(name)s was invited: an e-mail with a link to choose a password is on its "
                                    "way to %(email)s.") % {"name": user, "email": user.email})
        return redirect("org:user_edit", user.pk)
    return render(request, "org/admin/user_form.html", {"form": form, "invite": True},
                  status=422 if form.errors else 200)


@login_required
def user_edit(request, pk):
    require_admin(request.user)
    user = get_object_or_404(User, pk=pk)
    form = UserAdminForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        if user.pk == request.user.pk and not form.cleaned_data["is_active"]:
            form.add_error("is_active", _("You cannot deactivate yourself."))
        else:
            people.save_user(form.save(commit=False), by=request.user,
                             territories=form.cleaned_data["territories"], teams=form.cleaned_data["teams"])
            messages.success(request, _("%(name)s was saved.") % {"name": user})
            return redirect("org:user_edit", user.pk)
    return render(request, "org/admin/user_form.html", {
        "form": form, "person": user, "history": people.history(user),
        "owned": people.owned_counts(user),
    }, status=422 if form.errors else 200)


@login_required
def user_reassign(request, pk):
    """Hand the records of the chosen types that a user owns to another user."""
    require_admin(request.user)
    user = get_object_or_404(User, pk=pk)
    form = ReassignForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        moved = people.reassign(user, form.cleaned_data["to"], form.cleaned_data["kinds"], by=request.user)
        messages.success(request, ngettext("%(count)d record moved to %(name)s.",
                                           "%(count)d records moved to %(name)s.", sum(moved.values()))
                         % {"count": sum(moved.values()), "name": form.cleaned_data["to"]})
        return redirect("org:user_edit", user.pk)
    return render(request, "org/admin/user_reassign.html", {
        "form": form, "person": user, "owned": people.owned_counts(user),
    }, status=422 if form.errors else 200)


# ---------- Org-wide defaults ----------

class AccessDefaultForm(forms.Form):
    record_type = forms.CharField(widget=forms.HiddenInput)
    access = forms.ChoiceField(label=_lazy("Access"), choices=AccessLevel.choices)

    def clean_record_type(self):
        row = access_defaults.row_for(self.cleaned_data["record_type"])
        if row is None:
            raise forms.ValidationError(_("This record type has no org-wide default."), code="unknown_type")
        return row


@login_required
def access_defaults_page(request):
    """The levels per record type; a change is first shown with how many records it touches, then applied
    when confirmed."""
    require_admin(request.user)
    confirm = None
    if request.method == "POST":
        form = AccessDefaultForm(request.POST)
        if form.is_valid():
            row, level = form.cleaned_data["record_type"], form.cleaned_data["access"]
            if request.POST.get("confirm") == "yes":
                access_defaults.change(row, level, by=request.user)
                messages.success(request, _("%(types)s: the org-wide default is now “%(level)s”.") % {
                    "types": capfirst(row.label), "level": AccessLevel(level).label})
                return redirect("org:access_defaults")
            confirm = {"row": row, "level": level, "level_label": AccessLevel(level).label,
                       "count": access_defaults.records_affected(row, level)}
    return render(request, "org/admin/access_defaults.html", {
        "rows": access_defaults.rows(), "levels": AccessLevel.choices, "confirm": confirm,
    })


# ---------- Roles, business units, offices ----------

def edit_one_of(request, forms_by_kind: dict, kind, pk):
    """A settings page of several forms (`forms_by_kind`: kind → (form class, model)) where the one of `kind` is
    bound to the request and to its record `pk` (a new one without), and saved with its history when valid.
    Returns the forms, the record being edited and whether it was saved (with its message)."""
    forms_ = {key: form_class(prefix=key) for key, (form_class, _model) in forms_by_kind.items()}
    if kind is None:
        return forms_, None, False
    if kind not in forms_by_kind:
        raise Http404
    form_class, model = forms_by_kind[kind]
    editing = get_object_or_404(model, pk=pk) if pk is not None else None
    forms_[kind] = form_class(request.POST or None, instance=editing, prefix=kind)
    if request.method == "POST" and forms_[kind].is_valid():
        people.save_structure(forms_[kind], by=request.user)
        messages.success(request, _("“%(name)s” saved.") % {"name": forms_[kind].instance})
        return forms_, editing, True
    return forms_, editing, False


STRUCTURE_FORMS = {"role": (RoleForm, Role), "business_unit": (BusinessUnitForm, BusinessUnit),
                   "office": (OfficeForm, Office)}


@login_required
def structure(request, kind=None, pk=None):
    """The role hierarchy as a tree, the business units and the offices; each added or changed on this page
    (`kind` and `pk` name the one being edited), every change in its history."""
    require_admin(request.user)
    forms_, editing, saved = edit_one_of(request, STRUCTURE_FORMS, kind, pk)
    if saved:
        return redirect("org:structure")
    return _structure_page(request, forms_, kind, editing, status=422 if kind and request.method == "POST" else 200)


def _structure_page(request, forms_, kind, editing, *, status=200, refused=None):
    roles = tree_order(Role.objects.annotate(user_count=Count("users")))
    return render(request, "org/admin/structure.html", {
        "roles": roles, "units": BusinessUnit.objects.all(),
        "offices": Office.objects.select_related("business_unit"), "forms": forms_, "editing": editing,
        "kind": kind, "refused": refused,
    }, status=status)


@login_required
@require_POST
def structure_delete(request, kind, pk):
    """Delete a role, business unit or office that nothing names any more (else the page says what still
    does, 409, and nothing changes); the deletion is in its history."""
    require_admin(request.user)
    if kind not in STRUCTURE_FORMS:
        raise Http404
    form_class, model = STRUCTURE_FORMS[kind]
    record = get_object_or_404(model, pk=pk)
    refused = people.delete_unless_in_use(record, people.structure_in_use, by=request.user)
    if refused:
        forms_ = {key: other_class(prefix=key) for key, (other_class, _model) in STRUCTURE_FORMS.items()}
        forms_[kind] = form_class(instance=record, prefix=kind)
        return _structure_page(request, forms_, kind, record, status=409, refused=refused)
    messages.success(request, _("“%(name)s” deleted.") % {"name": record})
    return redirect("org:structure")


@login_required
def company_profile(request):
    """Our company's details printed on quotes; every change in history."""
    require_admin(request.user)
    profile = CompanyProfile.current()
    form = CompanyProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        people.save_structure(form, by=request.user)
        messages.success(request, _("The company profile was saved: new quotes print it."))
        return redirect("org:company_profile")
    return render(request, "org/admin/company_profile.html", {"form": form, "history": people.history(profile)},
                  status=422 if form.errors else 200)
