"""Forms of the organisation's administration pages."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vinculo.core.validators import normalize_phone, normalize_tax_id

from .forms import INDENT, territory_label, tree_order
from .models import BusinessUnit, CompanyProfile, Office, Role, SalesTeam, Territory, User
from .people import owned_types


class UserAdminForm(forms.ModelForm):
    territories = forms.ModelMultipleChoiceField(label=_("Territories"), queryset=Territory.objects.none(),
                                                 required=False, widget=forms.CheckboxSelectMultiple)
    teams = forms.ModelMultipleChoiceField(label=_("Sales teams"), queryset=SalesTeam.objects.none(),
                                           required=False, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "role", "manager", "business_unit", "office",
                  "language", "is_active"]

    def __init__(self, *args, invite: bool = False, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["language"].required = True
        self.fields["language"].choices = User.Language.choices
        territories = tree_order(Territory.objects.all())
        self.fields["territories"].queryset = Territory.objects.all()
        self.fields["territories"].choices = [(t.pk, territory_label(t)) for t in territories]
        self.fields["teams"].queryset = SalesTeam.objects.all()
        managers = User.objects.filter(is_active=True).select_related(None)
        if self.instance.pk:
            managers = managers.exclude(pk=self.instance.pk)
            self.initial.setdefault("territories", list(self.instance.territories.values_list("pk", flat=True)))
            self.initial.setdefault("teams", list(self.instance.sales_teams.values_list("pk", flat=True)))
        self.fields["manager"].queryset = managers
        if invite:
            del self.fields["is_active"]
        else:
            self.fields["username"].disabled = True

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Another user has this e-mail address."), code="email_taken")
        return email

    def clean_manager(self):
        manager = self.cleaned_data["manager"]
        # Walk up from the chosen manager: reaching this user would make a loop of managers.
        seen, current = set(), manager
        while current is not None and self.instance.pk and current.pk not in seen:
            if current.pk == self.instance.pk:
                raise ValidationError(_("%(name)s reports to this user: choose someone else.") % {"name": manager},
                                      code="manager_loop")
            seen.add(current.pk)
            current = current.manager
        return manager


class ReassignForm(forms.Form):
    to = forms.ModelChoiceField(label=_("Give them to"), queryset=User.objects.filter(is_active=True))
    kinds = forms.MultipleChoiceField(label=_("Records"), choices=(), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = User.objects.filter(is_active=True).exclude(pk=user.pk)
        self.fields["kinds"].choices = [(kind.key, kind.model._meta.verbose_name_plural) for kind in owned_types()]


class RoleForm(forms.ModelForm):
    class Meta:
        model = Role
        fields = ["name", "parent"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        roles = Role.objects.exclude(path__startswith=self.instance.path) if self.instance.pk else Role.objects.all()
        self.fields["parent"].queryset = roles
        self.fields["parent"].label_from_instance = lambda role: INDENT * role.depth + role.name


class BusinessUnitForm(forms.ModelForm):
    class Meta:
        model = BusinessUnit
        fields = ["name", "code"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class OfficeForm(forms.ModelForm):
    class Meta:
        model = Office
        fields = ["name", "city", "country", "business_unit"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_country(self):
        country = self.cleaned_data["country"].strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise ValidationError(_("Give a two-letter country code, e.g. CL."), code="country")
        return country


class CompanyProfileForm(forms.ModelForm):
    class Meta:
        model = CompanyProfile
        fields = ["name", "legal_name", "tax_id", "country", "address", "phone", "email", "website", "quote_terms"]
        widgets = {"quote_terms": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["website"].assume_scheme = "https"

    def clean_country(self):
        country = self.cleaned_data["country"].strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise ValidationError(_("Give a two-letter country code, e.g. CL."), code="country")
        return country

    def clean(self):
        # The tax id and the phone are read for the company's country, cleaned after them.
        data = super().clean()
        country = data.get("country") or "CL"
        for name, normalize in (("tax_id", normalize_tax_id), ("phone", normalize_phone)):
            if data.get(name):
                try:
                    data[name] = normalize(data[name], country)
                except ValidationError as exc:
                    self.add_error(name, exc)
        return data
