"""Forms of the user's own pages: the profile, the password change, the password reset request."""

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from vinculo.core.validators import normalize_phone

from .models import User, notification_choices


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("time zone"), choices=time_zone_choices)
    notifications = forms.MultipleChoiceField(
        label=_("E-mail me when"), choices=notification_choices, required=False,
        widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "phone", "photo", "email_signature", "language",
                  "currency", "time_zone", "notifications"]
        widgets = {
            "photo": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
            "email_signature": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["language"].required = True
        self.fields["language"].choices = User.Language.choices

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        # The password reset e-mail goes to the account with this address: two accounts may not share one.
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Another user has this e-mail address."), code="email_taken")
        return email

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset request (a signed link, valid settings.PASSWORD_RESET_TIMEOUT seconds, that stops
    working once the password changes or the user signs in), written in the language of the user it goes to."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        language = context["user"].language or settings.LANGUAGE_CODE
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email,
                              html_email_template_name)


class SetPasswordForm(auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
