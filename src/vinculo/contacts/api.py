"""/api/v1/contacts: list, create, read, change and delete contacts, with the same permissions as the pages."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from vinculo.accounts.models import Account
from vinculo.api.common import (
    ERRORS,
    InputSchema,
    ListParams,
    Ref,
    choice,
    etag,
    expected_version,
    filter_by,
    order,
    page,
    resolve_references,
)
from vinculo.core.access import get_for_user
from vinculo.core.lists import with_visibility
from vinculo.core.search import matching_ids
from vinculo.core.services import create_record, soft_delete, update_record

from .models import Contact, ContactAccountLink

router = Router(tags=["contacts"])

ORDERING = {
    name: name for name in (
        "id", "last_name", "first_name", "title", "department", "email", "executive_level", "purchase_role",
        "country", "city", "created_at", "updated_at",
    )
}


class OtherAccount(Schema):
    id: int
    name: str
    role: str

    @staticmethod
    def resolve_id(link):
        return link.account_id

    @staticmethod
    def resolve_name(link):
        return str(link.account)


class ContactOut(Schema):
    id: int
    version: int
    full_name: str
    first_name: str
    last_name: str
    title: str
    department: str
    email: str
    phone: str
    phone_display: str
    mobile: str
    mobile_display: str
    executive_level: str
    purchase_role: str
    country: str
    city: str
    email_opt_out: bool
    do_not_call: bool
    description: str
    owner: Ref
    account: Ref | None = Field(description="The main account; null also when it is not visible to you.")
    other_accounts: list[OtherAccount] = Field(description="Other accounts the contact works with, that you can see.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_account(contact):
        return contact.account if contact.account_visible else None

    @staticmethod
    def resolve_other_accounts(contact):
        return contact.visible_links


class ContactPage(Schema):
    items: list[ContactOut]
    count: int


class ContactIn(InputSchema):
    """Fields a client may write. On PATCH only the keys sent change. Related records are given by id."""

    owner: int | None = Field(None, description="A user id; defaults to you on creation.")
    account: int | None = Field(None, description="The main account: an account id you can see.")
    first_name: str = ""
    last_name: str = ""
    title: str = ""
    department: str = ""
    email: str = ""
    phone: str = ""
    mobile: str = ""
    executive_level: choice(Contact.ExecutiveLevel, blank=True) = ""
    purchase_role: choice(Contact.PurchaseRole, blank=True) = ""
    country: str = Field("CL", description="ISO code, e.g. CL, ES; the default prefix for phone numbers.")
    city: str = ""
    email_opt_out: bool = False
    do_not_call: bool = False
    description: str = ""


class ContactCreate(ContactIn):
    last_name: str


class ContactPatch(ContactIn):
    version: int | None = Field(None, description="The version you read; or send it as an If-Match header.")


class ContactFilters(Schema):
    account: int | None = None
    owner: int | None = None
    email: str | None = None
    executive_level: str | None = None
    purchase_role: str | None = None
    country: str | None = None


LOOKUPS = {
    "account": "account_id", "owner": "owner_id", "email": "email__iexact", "executive_level": "executive_level",
    "purchase_role": "purchase_role", "country": "country__iexact",
}


def _readable(queryset, user):
    links = ContactAccountLink.objects.filter(account__in=Account.objects.visible_to(user)).select_related("account")
    queryset = queryset.select_related("owner", "account").prefetch_related(
        Prefetch("account_links", queryset=links.order_by("id"), to_attr="visible_links")
    )
    return with_visibility(queryset, user, "account", "account_visible")


def _read(user, pk) -> Contact:
    """A record just written, for the answer: the writer sees it even if it is no longer visible to them."""
    return _readable(Contact.objects.all(), user).get(pk=pk)


def _writable_data(payload: ContactIn, user, contact: Contact | None = None) -> dict:
    data = payload.dict(exclude_unset=True)
    data.pop("version", None)
    accounts = Account.objects.visible_to(user)
    if contact is not None and contact.account_id:
        # The current account stays acceptable even if the editor can no longer see it.
        accounts = accounts | Account.objects.filter(pk=contact.account_id)
    return resolve_references(data, {"owner": get_user_model().objects.filter(is_active=True), "account": accounts})


@router.get("", response={200: ContactPage, **ERRORS}, summary="List the contacts you can see")
def list_contacts(request, filters: Query[ContactFilters], params: Query[ListParams]):
    contacts = Contact.objects.visible_to(request.auth)
    if params.q:
        contacts = contacts.filter(pk__in=matching_ids(Contact, params.q))
    contacts = filter_by(contacts, filters, LOOKUPS)
    return page(order(_readable(contacts, request.auth), params.ordering, ORDERING), params)


@router.post("", response={201: ContactOut, **ERRORS}, summary="Create a contact")
def create_contact(request, payload: ContactCreate):
    data = _writable_data(payload, request.auth)
    data.setdefault("owner", request.auth)
    contact = create_record(Contact(**data), by=request.auth)
    return Status(201, _read(request.auth, contact.pk))


@router.get("/{int:contact_id}", response={200: ContactOut, **ERRORS}, summary="Read a contact")
def read_contact(request, contact_id: int, response: HttpResponse):
    contact = get_for_user(_readable(Contact.objects.all(), request.auth), request.auth, contact_id)
    response["ETag"] = etag(contact)
    return contact


@router.patch("/{int:contact_id}", response={200: ContactOut, **ERRORS}, summary="Change a contact",
              description="Send the `version` you read: if someone saved the contact since, the answer is 409 "
                          "and nothing is changed.")
def update_contact(request, contact_id: int, payload: ContactPatch, response: HttpResponse):
    contact = get_for_user(Contact, request.auth, contact_id, write=True)
    version = expected_version(request, payload.version)
    for field, value in _writable_data(payload, request.auth, contact).items():
        setattr(contact, field, value)
    update_record(contact, by=request.auth, expected_version=version)
    contact = _read(request.auth, contact.pk)
    response["ETag"] = etag(contact)
    return contact


@router.delete("/{int:contact_id}", response={204: None, **ERRORS}, summary="Move a contact to the recycle bin")
def delete_contact(request, contact_id: int):
    soft_delete(get_for_user(Contact, request.auth, contact_id, write=True), by=request.auth)
    return Status(204, None)
