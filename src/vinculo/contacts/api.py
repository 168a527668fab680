"""/api/v1/contacts: list, create, read, change and delete contacts, with the same permissions as the pages
(see vinculo.core.api.RecordAPI)."""

from datetime import datetime

from django.db.models import Prefetch
from django.http import Http404
from ninja import Field, Query, Schema, Status
from ninja.errors import HttpError

from vinculo.accounts.models import Account
from vinculo.accounts.services import AlreadyThere
from vinculo.core.access import get_for_user
from vinculo.core.api import (
    ERRORS,
    FilterSchema,
    InputSchema,
    PageParams,
    PossibleDuplicateOut,
    RecordAPI,
    Ref,
    Versioned,
    active_users,
    choice,
    page,
    page_of,
    possible_duplicates,
    resolve_references,
    shown_if_visible,
)
from vinculo.core.policy import Parent

from . import services
from .models import Contact, ContactAccountLink

# A link to an account the user may see, checked row by row (an EXISTS on the account).
VISIBLE_ACCOUNT = Parent("account", "accounts.Account")


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

    resolve_account = shown_if_visible("account")

    @staticmethod
    def resolve_other_accounts(contact):
        return contact.visible_links


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


class ContactPatch(ContactIn, Versioned):
    pass


class ContactFilters(FilterSchema):
    account: int | None = None
    owner: int | None = None
    email: str | None = None
    executive_level: str | None = None
    purchase_role: str | None = None
    country: str | None = None


class ContactAPI(RecordAPI):
    model = Contact
    name, singular, plural = "contact", "a contact", "contacts"
    Out, Create, Patch, Filters = ContactOut, ContactCreate, ContactPatch, ContactFilters
    id_name = "contact_id"
    indexed = True
    search_per_row = True  # bench/: a rep's search ~100 → ~40 ms on 250,000 contacts
    related = ("owner",)
    guarded = ("account",)
    lookups = {
        "account": "account_id", "owner": "owner_id", "email": "email__iexact", "executive_level": "executive_level",
        "purchase_role": "purchase_role", "country": "country__iexact",
    }
    ordering = (
        "id", "last_name", "first_name", "title", "department", "email", "executive_level", "purchase_role",
        "country", "city", "created_at", "updated_at",
    )

    def readable(self, queryset, user):
        # Check each link's account on its own: the prefetch reads the links of one page of contacts, and
        # listing every account the user may see first costs far more (bench/: 50,000 accounts, ~200 ms).
        links = ContactAccountLink.objects.filter(VISIBLE_ACCOUNT.q(user, write=False, per_row=True))
        links = links.select_related("account")
        return super().readable(queryset, user).prefetch_related(
            Prefetch("account_links", queryset=links.order_by("id"), to_attr="visible_links")
        )

    def references(self, user, record=None):
        return {"owner": active_users(), **super().references(user, record)}

    def create(self, data, user):
        data.setdefault("owner", user)
        return super().create(data, user)


router = ContactAPI().router("contacts")


@router.get("/duplicates", response={200: list[PossibleDuplicateOut], **ERRORS},
            summary="Possible duplicates of a contact about to be created",
            description="The contacts you can see (at most 10) with the same e-mail or phone (matching their "
                        "phone or mobile), or a full name similar to `first_name` `last_name` (accents, case and "
                        "word order do not count). Creating stays possible: this only warns.")
def contact_duplicates(request, first_name: str = "", last_name: str = "", email: str = "", phone: str = "",
                       country: str = ""):
    return possible_duplicates(request.auth, "contact", {
        "first_name": first_name[:300], "last_name": last_name[:300], "email": email[:300], "phone": phone[:50],
        "country": country[:2]})


# ---------- The contact's other accounts ----------

class ContactAccountLinkOut(Schema):
    id: int
    account: Ref
    role: str


class ContactAccountLinkIn(InputSchema):
    account: int = Field(description="An account id you can see, other than the contact's main account.")
    role: str = Field("", max_length=100, description="The contact's role there, e.g. “External auditor”.")


def _visible_links(contact, user):
    return (contact.account_links.filter(VISIBLE_ACCOUNT.q(user, write=False, per_row=True))
            .select_related("account"))


@router.get("/{int:contact_id}/accounts", response={200: page_of(ContactAccountLinkOut), **ERRORS},
            summary="List a contact's other accounts", description="Those you can see.",
            operation_id="contact_account_list", url_name="contact_account_list")
def account_links(request, contact_id: int, params: Query[PageParams]):
    contact = get_for_user(Contact, request.auth, contact_id)
    return page(_visible_links(contact, request.auth).order_by("pk"), params)


@router.post("/{int:contact_id}/accounts", response={201: ContactAccountLinkOut, **ERRORS},
             summary="Link a contact to another account",
             description="For whoever may change the contact, with an account they can see. An account already "
                         "linked: 409.", operation_id="contact_account_add", url_name="contact_account_add")
def account_link_add(request, contact_id: int, payload: ContactAccountLinkIn):
    user = request.auth
    contact = get_for_user(Contact, user, contact_id, write=True)
    data = resolve_references(payload.dict(), {"account": Account.objects.visible_to(user)})
    try:
        link = services.link_account(ContactAccountLink(contact=contact, **data), by=user)
    except AlreadyThere as exc:
        raise HttpError(409, " ".join(exc.messages)) from None
    return Status(201, link)


@router.delete("/{int:contact_id}/accounts/{int:item_id}", response={204: None, **ERRORS},
               summary="Unlink a contact from another account", operation_id="contact_account_remove",
               url_name="contact_account_remove")
def account_link_remove(request, contact_id: int, item_id: int):
    user = request.auth
    contact = get_for_user(Contact, user, contact_id, write=True)
    link = _visible_links(contact, user).filter(pk=item_id).first()
    if link is None:
        raise Http404
    services.unlink_account(link, by=user)
    return Status(204, None)
