"""The currencies the organisation uses, administered in the app: which of the supported currencies
(core.money.Currency) records may be in, and the default one for new records and reports. Kept on the
organisation's settings row (OrgSettings); core.money reads them for every currency choice
(CurrencyFormField). The page and PATCH /api/v1/currencies are for administrators; every change is in the
settings' history."""

from babel.numbers import get_currency_name
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from vinculo.core.api import ERRORS, InputSchema
from vinculo.core.models import ChangeLog
from vinculo.core.money import SYMBOLS, Currency

from . import people, twofactor
from .admin_views import require_admin
from .models import OrgSettings


def currency_label(code: str) -> str:
    """"CLP · peso chileno", "UF · unidad de fomento chilena": the code as Vínculo writes it and its name in
    the active language."""
    language = (translation.get_language() or "es").split("-")[0]
    name = get_currency_name(code, locale="en" if language == "en" else "es")
    return f"{SYMBOLS.get(code, code)} · {name}"


def _names(codes) -> str:
    return ", ".join(Currency(code).label for code in Currency.values if code in set(codes))


class CurrencySettingsForm(forms.Form):
    currencies = forms.MultipleChoiceField(
        label=_lazy("Currencies in use"), widget=forms.CheckboxSelectMultiple,
        help_text=_lazy("Only these are offered on new records. A record already in a currency you disable "
                        "keeps it, and its amounts stay as they are."),
        error_messages={"required": _lazy("Keep at least one currency in use.")})
    default_currency = forms.ChoiceField(
        label=_lazy("Default currency"), widget=forms.RadioSelect,
        help_text=_lazy("New records start in it, and reports show totals in it."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        choices = [(code, currency_label(code)) for code in Currency.values]
        self.fields["currencies"].choices = choices
        self.fields["default_currency"].choices = choices

    def clean(self):
        data = super().clean()
        enabled, default = data.get("currencies"), data.get("default_currency")
        if enabled and default and default not in enabled:
            self.add_error("currencies", _("%(currency)s is the default currency: it stays in use. Choose another "
                                           "default to stop using it.") % {"currency": Currency(default).label})
        return data


@transaction.atomic
def change(enabled: list[str], default: str, *, by) -> OrgSettings:
    """Set the currencies in use and the default one; the settings' history says what changed."""
    row = OrgSettings.current()
    row = OrgSettings.objects.select_for_update().get(pk=row.pk)
    enabled = [code for code in Currency.values if code in set(enabled)]
    changes = []
    if enabled != [code for code in Currency.values if code in set(row.currencies)]:
        changes.append({"field": "currencies", "label": _("Currencies in use"), "old": _names(row.currencies),
                        "new": _names(enabled)})
    if default != row.default_currency:
        changes.append({"field": "default_currency", "label": _("Default currency"),
                        "old": Currency(row.default_currency).label, "new": Currency(default).label})
    if changes:
        row.currencies, row.default_currency = enabled, default
        row.save(update_fields=["currencies", "default_currency"])
        people.record_history(row, by, ChangeLog.Action.UPDATE, changes)
    return row


@login_required
def currencies_page(request):
    require_admin(request.user)
    row = OrgSettings.current()
    form = CurrencySettingsForm(request.POST or None, initial={
        "currencies": list(row.currencies), "default_currency": row.default_currency})
    if request.method == "POST" and form.is_valid():
        change(form.cleaned_data["currencies"], form.cleaned_data["default_currency"], by=request.user)
        messages.success(request, _("Currencies saved."))
        return redirect("org:currencies")
    return render(request, "org/admin/currencies.html", {"form": form, "history": people.history(row)},
                  status=422 if form.errors else 200)


# ---------- /api/v1/currencies ----------

router = Router(tags=["people"])


class CurrencyOut(Schema):
    code: str = Field(description="ISO 4217 code; the UF is CLF.")
    label: str


class CurrencySettingsOut(Schema):
    currencies: list[str] = Field(description="The codes of the currencies in use: new records may only be in "
                                              "these; a record in another keeps it.")
    default_currency: str = Field(description="The currency new records start in and reports total in.")
    supported: list[CurrencyOut] = Field(description="Every currency Vínculo can record amounts in.")


class CurrencySettingsIn(InputSchema):
    currencies: list[Currency] | None = Field(None, description="The currencies in use (at least one, including "
                                                                "the default).")
    default_currency: Currency | None = None


def _out(row: OrgSettings) -> dict:
    return {"currencies": [code for code in Currency.values if code in set(row.currencies)],
            "default_currency": row.default_currency,
            "supported": [{"code": code, "label": currency_label(code)} for code in Currency.values]}


@router.get("", response={200: CurrencySettingsOut, **ERRORS}, summary="The currencies the organisation uses",
            operation_id="currency_settings_read", url_name="currency_settings")
def currency_settings_read(request):
    return _out(OrgSettings.current())


@router.patch("", response={200: CurrencySettingsOut, **ERRORS}, summary="Change the currencies in use or the default",
              description="Only the fields sent change; checked as on the page: at least one currency in use, and "
                          "the default among them (422). Recorded in the settings' history. Administrators only "
                          "(403).",
              operation_id="currency_settings_update", url_name="currency_settings_update")
def currency_settings_update(request, payload: CurrencySettingsIn):
    if not twofactor.is_admin(request.auth):
        raise HttpError(403, _("Only users who may administer the organisation may change this."))
    row = OrgSettings.current()
    sent = payload.dict(exclude_unset=True)
    data = {"currencies": sent.get("currencies") if sent.get("currencies") is not None else list(row.currencies),
            "default_currency": sent.get("default_currency") or row.default_currency}
    form = CurrencySettingsForm({"currencies": [str(code) for code in data["currencies"]],
                                 "default_currency": str(data["default_currency"])})
    if not form.is_valid():
        raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
    return _out(change(form.cleaned_data["currencies"], form.cleaned_data["default_currency"], by=request.auth))
