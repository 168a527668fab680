"""Possible duplicates (core.duplicates): while a record is typed, and on demand per record type. Two records
match on the same e-mail, phone (E.164) or tax id, or on names whose rapidfuzz token_sort_ratio is at least
NAME_THRESHOLD (90) after normalising (accents, case, spaces; legal suffixes of accounts). Only records the
user may see are ever compared, shown or counted."""

import pytest
from django.urls import reverse

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core import duplicates
from vinculo.core.matching import normalize_name

pytestmark = pytest.mark.django_db


def check(client, kind, **typed):
    return client.get(reverse("duplicates:check", args=[kind]), typed).content.decode()


def test_name_threshold_boundary_is_pinned():
    # One letter changed in a 10-character name: 1 - 2/20 = 90.0, the threshold itself: a match.
    assert duplicates.name_score(normalize_name("Juan Pérez"), normalize_name("Juan Peres")) == 90.0
    # ... in a 9-character name: 1 - 2/18 = 88.9, just below: no match.
    assert duplicates.name_score(normalize_name("Ana Pérez"), normalize_name("Ana Peres")) == pytest.approx(88.89, 0.01)
    assert duplicates.NAME_THRESHOLD == 90
    # Word order, accents and case do not count.
    assert duplicates.name_score(normalize_name("PÉREZ  juan"), normalize_name("Juan Perez")) == 100


def test_form_lists_a_similar_name_at_the_threshold_and_not_just_below(client, org):
    ContactFactory(account=org.north_account, first_name="Juan", last_name="Pérez", email="jp@norte.cl")
    ContactFactory(account=org.north_account, first_name="Ana", last_name="Pérez", email="ap@norte.cl")
    client.force_login(org.vendedor_norte)
    assert "Juan Pérez" in check(client, "contact", first_name="Juan", last_name="Peres")
    html = check(client, "contact", first_name="Ana", last_name="Peres")
    assert "Ana Pérez" not in html
    assert "Possible duplicates" not in html


def test_form_lists_same_email_and_same_phone_whatever_the_name(client, org):
    ContactFactory(account=org.north_account, first_name="Carla", last_name="Rojas", email="carla@norte.cl",
                   mobile="+56987654321")
    client.force_login(org.vendedor_norte)
    html = check(client, "contact", first_name="X", last_name="Y", email=" CARLA@norte.cl ")
    assert "Carla Rojas" in html and "Same e-mail" in html
    # Chile's old notation of the same mobile, typed in the phone field.
    html = check(client, "contact", first_name="X", last_name="Y", phone="(09) 8765-4321")
    assert "Carla Rojas" in html and "Same phone" in html
    # A name alone that is not similar, an e-mail that does not parse: nothing.
    assert "Carla" not in check(client, "contact", first_name="Pedro", last_name="Soto", email="carla@@norte")


def test_account_form_matches_tax_id_as_typed_and_legal_name_without_suffix(client, org):
    client.force_login(org.vendedor_norte)
    typed_rut = org.north_account.tax_id_display  # "76.000.xxx-k" for a stored compact RUT
    html = check(client, "account", legal_name="Otra cosa", tax_id=typed_rut, country="CL")
    assert "Minera Norte Grande SpA" in html and "Same tax id" in html
    html = check(client, "account", legal_name="MINERA NORTE GRANDE S.A.", country="CL")
    assert "Minera Norte Grande SpA" in html and "Similar name" in html


def test_a_private_record_of_another_rep_never_appears_not_even_as_a_count(client, org):
    client.force_login(org.vendedor_sur)
    html = check(client, "contact", first_name=org.north_contact.first_name, last_name="Araya",
                 email="araya@norte.cl")
    assert "Araya" not in html and "Possible duplicates" not in html
    html = check(client, "account", legal_name="Minera Norte Grande SpA", tax_id=org.north_account.tax_id)
    assert html.strip() == ""
    # On the pairs page, an invisible twin makes no pair and no number.
    AccountFactory(owner=org.vendedor_sur, legal_name="Minera Norte Grande Ltda.")
    page = client.get(reverse("duplicates:list", args=["account"])).content.decode()
    assert "Minera Norte Grande Ltda." not in page
    assert "No possible duplicates among the records you can see." in page


def test_edit_form_leaves_out_the_record_itself_and_offers_a_merge(client, org):
    twin = ContactFactory(account=org.north_account, first_name=org.north_contact.first_name, last_name="Araya",
                          email="otra@norte.cl")
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("duplicates:check", args=["contact"]), {
        "exclude": org.north_contact.pk, "first_name": org.north_contact.first_name, "last_name": "Araya",
        "email": "araya@norte.cl"}).content.decode()
    assert html.count("<li>") == 1
    assert reverse("duplicates:merge", args=["contact", org.north_contact.pk, twin.pk]) in html


def test_the_forms_ask_for_possible_duplicates_as_the_user_types(client, org):
    client.force_login(org.vendedor_norte)
    for url in (reverse("accounts:create"), reverse("contacts:create"),
                reverse("accounts:edit", args=[org.north_account.pk])):
        html = client.get(url).content.decode()
        assert 'id="possible-duplicates"' in html
        assert "/duplicates/" in html


def test_pairs_page_lists_pairs_among_visible_records_by_each_rule(client, org):
    owner = org.vendedor_norte
    same_name = AccountFactory(owner=owner, legal_name="Minera Norte Grande S.A.", tax_id="")
    same_email = [AccountFactory(owner=owner, legal_name="Alfa", email="ventas@alfa.cl"),
                  AccountFactory(owner=owner, legal_name="Omega Servicios", email="ventas@alfa.cl")]
    AccountFactory(owner=owner, legal_name="Completamente Distinta")
    client.force_login(owner)
    found = duplicates.pairs_for(owner, duplicates.registry.get("account"))
    as_ids = {(pair.first_id, pair.second_id): [reason[0] for reason in pair.reasons] for pair in found}
    assert as_ids == {
        (same_email[0].pk, same_email[1].pk): ["email"],
        (org.north_account.pk, same_name.pk): ["name"],
    }
    html = client.get(reverse("duplicates:list", args=["account"])).content.decode()
    assert "(2)" in html
    assert reverse("duplicates:merge", args=["account", same_email[0].pk, same_email[1].pk]) in html


def test_pairs_page_queries_stay_bounded_as_pairs_grow(client, org, django_assert_max_num_queries):
    client.force_login(org.vendedor_norte)
    url = reverse("duplicates:list", args=["contact"])
    for n in range(3):
        ContactFactory(account=org.north_account, first_name="Pedro", last_name=f"Soto{n}", email=f"p{n}@x.cl")
    client.get(url)
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
    for n in range(30):
        ContactFactory(account=org.north_account, first_name="Marta", last_name=f"Lagos{n}", email=f"m{n}@x.cl")
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("duplicates:check", args=["contact"]), {"last_name": "Lagos1"}).status_code == 200


def test_an_unknown_kind_is_404(client, org):
    client.force_login(org.vendedor_norte)
    assert client.get(reverse("duplicates:list", args=["planet"])).status_code == 404
    assert client.get(reverse("duplicates:check", args=["planet"])).status_code == 404


def test_creating_a_possible_duplicate_asks_first_and_create_anyway_creates_it(client, org):
    from vinculo.contacts.models import Contact

    client.force_login(org.vendedor_norte)
    data = {"first_name": "Otra", "last_name": "Persona", "email": "araya@norte.cl", "country": "CL",
            "account": org.north_account.pk, "owner": org.vendedor_norte.pk}
    response = client.post(reverse("contacts:create"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Same e-mail" in html and 'name="create_anyway"' in html
    assert not Contact.objects.filter(last_name="Persona").exists()
    response = client.post(reverse("contacts:create"), {**data, "create_anyway": "1"})
    assert response.status_code == 302
    assert Contact.objects.filter(last_name="Persona").count() == 1


def test_leads_have_possible_duplicates_and_a_converted_lead_is_not_merged(client, org):
    from vinculo.core import merging
    from vinculo.sales.models import Lead
    from vinculo.sales.tests.factories import LeadFactory

    first = LeadFactory(owner=org.vendedor_norte, first_name="Rosa", last_name="Vidal", email="rosa@a.cl")
    second = LeadFactory(owner=org.vendedor_norte, first_name="Rosa", last_name="Vidall", email="rosa@b.cl")
    client.force_login(org.vendedor_norte)
    assert "Rosa Vidal" in check(client, "lead", first_name="rosa", last_name="VIDAL")
    found = duplicates.pairs_for(org.vendedor_norte, duplicates.registry.get("lead"))
    assert [(pair.first_id, pair.second_id) for pair in found] == [(first.pk, second.pk)]
    Lead.objects.filter(pk=second.pk).update(status=Lead.Status.CONVERTED)
    second.refresh_from_db()
    with pytest.raises(merging.MergeError):
        merging.merge(first, second, take=[], by=org.vendedor_norte)


def test_api_check_endpoints_answer_only_about_visible_records(org):
    from vinculo.core.tests.api_client import ApiClient

    found = ApiClient(org.vendedor_norte).get("/accounts/duplicates", name="MINERA NORTE GRANDE LTDA")
    assert found.status_code == 200
    assert found.json() == [{"id": org.north_account.pk, "name": "Minera Norte Grande SpA", "reasons": ["name"],
                             "name_score": 100.0}]
    assert ApiClient(org.vendedor_sur).get(
        "/accounts/duplicates", name="Minera Norte Grande", tax_id=org.north_account.tax_id).json() == []
    found = ApiClient(org.vendedor_norte).get("/contacts/duplicates", email="ARAYA@norte.cl").json()
    assert [(item["id"], item["reasons"]) for item in found] == [(org.north_contact.pk, ["email"])]
    assert ApiClient(org.vendedor_sur).get("/contacts/duplicates", email="araya@norte.cl").json() == []


@pytest.mark.parametrize("stored, typed", [
    (("José", "Pérez"), ("Jose", "Perez")),  # no word's first four letters alike for LIKE
    (("Jose", "Perez"), ("José", "Pérez")),
    (("ÍÑIGO", "ÁLVAREZ"), ("inigo", "alvarez")),  # SQLite's LIKE folds ASCII case only
    (("Ángela", "González"), ("ANGELA", "GONZALEZ")),
])
def test_the_contact_form_finds_a_name_whatever_its_accents_and_case(client, org, stored, typed):
    ContactFactory(account=org.north_account, first_name=stored[0], last_name=stored[1], email="x@norte.cl")
    client.force_login(org.vendedor_norte)
    html = check(client, "contact", first_name=typed[0], last_name=typed[1])
    assert f"{stored[0]} {stored[1]}" in html
    # Another rep's contact of the same name stays unseen.
    client.force_login(org.vendedor_sur)
    assert stored[1] not in check(client, "contact", first_name=typed[0], last_name=typed[1])


@pytest.mark.parametrize("stored, typed", [
    ("Óptica Pérez Ltda", "OPTICA PEREZ"),
    ("OPTICA PEREZ SpA", "Óptica Pérez"),
    ("Ñandú Éxito S.A.", "nandu exito"),
])
def test_the_account_form_finds_a_legal_name_whatever_its_accents_and_case(client, org, stored, typed):
    AccountFactory(owner=org.vendedor_norte, legal_name=stored)
    client.force_login(org.vendedor_norte)
    assert stored in check(client, "account", legal_name=typed, country="CL")


def test_a_different_name_with_the_same_accented_beginnings_is_not_listed(client, org):
    ContactFactory(account=org.north_account, first_name="José", last_name="Pérez", email="x@norte.cl")
    client.force_login(org.vendedor_norte)
    assert "Pérez" not in check(client, "contact", first_name="Josefina", last_name="Peralta")


def test_an_identifier_shared_by_more_than_key_limit_records_pairs_nobody(org):
    """An office's switchboard number on every contact of the account: colleagues, not duplicates."""
    assert duplicates.KEY_LIMIT == 5
    rules = duplicates.registry.get("contact")
    names = [("Ana", "Rojas"), ("Bruno", "Díaz"), ("Carla", "Muñoz"), ("Diego", "Soto"), ("Elena", "Vera")]
    at_limit = [ContactFactory(account=org.north_account, first_name=first, last_name=last, email=f"{first}@x.cl",
                               phone="+56223456789", mobile="") for first, last in names]
    pairs = duplicates.pairs_for(org.vendedor_norte, rules)
    assert len([pair for pair in pairs if ["phone"] == [reason[0] for reason in pair.reasons]]) == 10  # 5 × 4 / 2
    ContactFactory(account=org.north_account, first_name="Fabián", last_name="Reyes", email="f@x.cl",
                   phone="+56223456789", mobile="")
    ContactFactory(account=org.north_account, first_name="Ana", last_name="Rojas", email="otra@x.cl",
                   phone="+56223456789", mobile="")
    pairs = duplicates.pairs_for(org.vendedor_norte, rules)
    # Seven records share the line: it pairs nobody; the namesake still meets its twin by name.
    assert [(pair.first_id, [reason[0] for reason in pair.reasons]) for pair in pairs] == [(at_limit[0].pk, ["name"])]
