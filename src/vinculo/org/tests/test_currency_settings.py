"""The currencies the organisation uses, administered in the app: the page and /api/v1/currencies (refusals as
field errors, history), and every record form offering only the currencies in use — plus the one a record
already has, so disabling a currency never changes a stored record."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core import money
from vinculo.core.models import ChangeLog
from vinculo.core.tests.api_client import ApiClient, error_fields
from vinculo.org.models import OrgSettings, User
from vinculo.org.tests.factories import UserFactory
from vinculo.sales.models import Opportunity
from vinculo.sales.tests.factories import OpportunityFactory, QuoteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(db):
    # In English: the Spanish of new messages is compiled after the merge (its test below checks what is there).
    user = UserFactory(username="boss", language="en")
    user.user_permissions.add(Permission.objects.get(codename="administer_organisation"))
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def use(currencies, default="CLP"):
    row = OrgSettings.current()
    row.currencies, row.default_currency = currencies, default
    row.save()


def codes(form, name="currency") -> list[str]:
    return [str(value) for value, _label in form.fields[name].choices]


# ---------- The settings: page, API, history ----------

def test_every_supported_currency_is_in_use_and_clp_the_default_until_changed():
    assert money.enabled_currencies() == ["CLP", "CLF", "USD", "EUR"]
    assert money.default_currency() == "CLP"


def test_the_page_saves_the_currencies_and_the_default_and_history_says_what_changed(boss):
    response = client_for(boss).post(reverse("org:currencies"), {"currencies": ["EUR", "CLP"],
                                                                "default_currency": "EUR"})
    assert response.status_code == 302
    row = OrgSettings.current()
    assert (row.currencies, row.default_currency) == (["CLP", "EUR"], "EUR")
    assert (money.enabled_currencies(), money.default_currency()) == (["CLP", "EUR"], "EUR")
    entry = ChangeLog.objects.get(content_type__model="orgsettings", object_id=row.pk)
    assert entry.user == boss
    assert [(c["field"], c["old"], c["new"]) for c in entry.changes] == [
        ("currencies", "CLP, UF, USD, EUR", "CLP, EUR"), ("default_currency", "CLP", "EUR")]
    page = " ".join(strip_tags(client_for(boss).get(reverse("org:currencies")).content.decode()).split())
    assert "CLP, UF, USD, EUR → CLP, EUR" in page


def test_the_default_currency_cannot_be_left_out(boss):
    response = client_for(boss).post(reverse("org:currencies"), {"currencies": ["USD", "EUR"],
                                                                "default_currency": "CLP"})
    assert response.status_code == 422
    assert response.context["form"].errors["currencies"] == [
        "CLP is the default currency: it stays in use. Choose another default to stop using it."]
    assert money.enabled_currencies() == ["CLP", "CLF", "USD", "EUR"]
    assert not ChangeLog.objects.filter(content_type__model="orgsettings").exists()


def test_at_least_one_currency_stays_in_use(boss):
    response = client_for(boss).post(reverse("org:currencies"), {"default_currency": "CLP"})
    assert response.status_code == 422
    assert response.context["form"].errors["currencies"] == ["Keep at least one currency in use."]
    assert money.enabled_currencies() == ["CLP", "CLF", "USD", "EUR"]


def test_changing_the_default_and_leaving_the_old_one_out_at_once_is_allowed(boss):
    response = client_for(boss).post(reverse("org:currencies"), {"currencies": ["EUR"], "default_currency": "EUR"})
    assert response.status_code == 302
    assert (money.enabled_currencies(), money.default_currency()) == (["EUR"], "EUR")


@pytest.mark.parametrize("language, texts", [
    ("es", ["CLP · peso chileno", "UF · unidad de fomento chilena", "EUR · euro", "Guardar cambios", "Historial"]),
    ("en", ["Currencies in use", "Default currency", "CLP · Chilean Peso", "UF · Chilean Unit of Account (UF)",
            "Save changes", "Change history"]),
])
def test_the_page_speaks_the_administrators_language(boss, language, texts):
    boss.language = language
    boss.save()
    html = client_for(boss).get(reverse("org:currencies")).content.decode()
    assert f'<html lang="{language}">' in html
    for text in texts:
        assert text in html


def test_the_api_reads_and_changes_the_currencies(org, boss):
    read = ApiClient(org.vendedor_norte).get("/currencies")
    assert read.status_code == 200
    assert read.json()["currencies"] == ["CLP", "CLF", "USD", "EUR"] and read.json()["default_currency"] == "CLP"
    assert [c["code"] for c in read.json()["supported"]] == ["CLP", "CLF", "USD", "EUR"]
    api = ApiClient(boss)
    changed = api.patch("/currencies", {"currencies": ["CLP", "USD"]})
    assert changed.status_code == 200
    assert (changed.json()["currencies"], changed.json()["default_currency"]) == (["CLP", "USD"], "CLP")
    changed = api.patch("/currencies", {"default_currency": "USD"})
    assert (changed.json()["currencies"], changed.json()["default_currency"]) == (["CLP", "USD"], "USD")
    assert ChangeLog.objects.filter(content_type__model="orgsettings").count() == 2


def test_the_api_refuses_as_the_page_does(org, boss):
    api = ApiClient(boss)
    left_out = api.patch("/currencies", {"currencies": ["USD"]})
    assert left_out.status_code == 422 and error_fields(left_out) == {"currencies"}
    none = api.patch("/currencies", {"currencies": []})
    assert none.status_code == 422 and error_fields(none) == {"currencies"}
    unknown = api.patch("/currencies", {"default_currency": "ARS"})
    assert unknown.status_code == 422
    assert api.patch("/currencies", {"default_currency": "USD", "currencies": ["CLP"]}).status_code == 422
    refused = ApiClient(org.director).patch("/currencies", {"currencies": ["CLP"]})
    assert refused.status_code == 403
    assert money.enabled_currencies() == ["CLP", "CLF", "USD", "EUR"] and money.default_currency() == "CLP"


# ---------- Record forms offer the currencies in use ----------

def test_a_new_deal_offers_only_the_currencies_in_use_and_refuses_another(client, org):
    use(["CLP", "EUR"])
    client.force_login(org.vendedor_norte)
    url = reverse("sales:opportunity_create") + f"?account={org.north_account.pk}"
    assert codes(client.get(url).context["form"]) == ["CLP", "EUR"]
    response = client.post(url, {"name": "En dólares", "account": org.north_account.pk, "amount": "10",
                                 "currency": "USD", "owner": org.vendedor_norte.pk})
    assert response.status_code == 200 and "currency" in response.context["form"].errors
    assert not Opportunity.objects.filter(name="En dólares").exists()


def test_a_deal_in_a_currency_disabled_since_keeps_it_when_edited(client, org):
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, currency="USD",
                              amount=Decimal("5000"))
    use(["CLP", "EUR"])
    client.force_login(org.vendedor_norte)
    edit_url = reverse("sales:opportunity_edit", args=[deal.pk])
    form = client.get(edit_url).context["form"]
    assert codes(form) == ["CLP", "USD", "EUR"] and form["currency"].value() == "USD"
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    response = client.post(edit_url, {**data, "name": "Renombrado"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.name, deal.currency, deal.amount) == ("Renombrado", "USD", Decimal("5000"))


def test_a_new_record_starts_in_the_default_currency(client, org):
    use(["CLP", "EUR"], default="EUR")
    client.force_login(org.vendedor_norte)
    form = client.get(reverse("sales:opportunity_create") + f"?account={org.north_account.pk}").context["form"]
    assert form["currency"].value() == "EUR"
    assert client.get(reverse("accounts:create")).context["form"]["currency"].value() == "EUR"


def test_a_new_account_offers_only_the_currencies_in_use_and_an_old_one_keeps_its_own(client, org):
    account = AccountFactory(owner=org.vendedor_norte, currency="CLF")
    use(["CLP", "USD"])
    client.force_login(org.vendedor_norte)
    assert codes(client.get(reverse("accounts:create")).context["form"]) == ["CLP", "USD"]
    edit = client.get(reverse("accounts:edit", args=[account.pk])).context["form"]
    assert codes(edit) == ["CLP", "CLF", "USD"] and edit["currency"].value() == "CLF"
    assert Account.objects.get(pk=account.pk).currency == "CLF"


def test_a_quote_offers_the_currencies_in_use_and_a_draft_keeps_its_own(client, org):
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte)
    quote = QuoteFactory(opportunity=deal, currency="EUR")
    use(["CLP", "USD"])
    client.force_login(org.vendedor_norte)
    new = client.get(reverse("sales:quote_create"), {"opportunity": deal.pk}).context["form"]
    assert codes(new) == ["", "CLP", "USD"]
    edit = client.get(reverse("sales:quote_edit", args=[quote.pk])).context["form"]
    assert codes(edit) == ["", "CLP", "USD", "EUR"] and edit["currency"].value() == "EUR"


def test_an_invited_user_reads_totals_in_the_default_currency(rf, boss):
    from vinculo.org import people

    use(["CLP", "EUR"], default="EUR")
    request = rf.get("/")
    user = people.invite(request, User(username="nueva", email="nueva@example.com", language="es"), by=boss)
    assert User.objects.get(pk=user.pk).currency == "EUR"


def test_a_new_contract_starts_in_its_accounts_currency_while_it_is_in_use(client, org):
    use(["CLP", "EUR"], default="EUR")
    client.force_login(org.vendedor_norte)
    create = reverse("accounts:contract_create", args=[org.north_account.pk])
    assert org.north_account.currency == "CLP"
    form = client.get(create).context["form"]
    assert codes(form) == ["CLP", "EUR"] and form["currency"].value() == "CLP"
    Account.objects.filter(pk=org.north_account.pk).update(currency="USD")
    assert client.get(create).context["form"]["currency"].value() == "EUR"
