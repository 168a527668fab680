"""API of the people and the organisation's structure: /me (the caller's own profile), /users, /roles,
/business-units, /offices, /org-defaults. Every signed-in caller reads them; writes other than one's own
profile need the *administer organisation* permission (org.administer_organisation; superusers have it),
else 403 — as the pages (org.admin_views)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from vinculo.core.access import AccessLevel
from vinculo.core.api import ERRORS, FilterSchema, InputSchema, PageParams, Ref, page, page_of

from . import access_defaults, people, twofactor
from .account_forms import ProfileForm
from .admin_forms import BusinessUnitForm, OfficeForm, RoleForm, UserAdminForm
from .forms import tree_order
from .models import BusinessUnit, Office, OrgDefault, Role, User


def _require_admin(user) -> None:
    if not twofactor.is_admin(user):
        raise HttpError(403, _("Only users who may administer the organisation may change this."))


def _form_errors(form) -> ValidationError:
    return ValidationError({field: list(errors) for field, errors in form.errors.items()})


def _form_data(instance, fields, changes: dict) -> dict:
    """The form's data: the instance's current values with `changes` over them (a PATCH)."""
    data = {name: getattr(instance, instance._meta.get_field(name).attname) for name in fields}
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None and value is not False}


# ---------- /me ----------

me = Router(tags=["people"])


class MeOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    name: str
    email: str
    phone: str
    email_signature: str
    language: str
    currency: str
    time_zone: str
    notifications: list[str] = Field(description="What you are told by e-mail: assigned, task_due, "
                                                  "quote_answered, and the notices the installed modules add "
                                                  "(plans: a business plan's workflow).")
    role: Ref | None
    manager: Ref | None
    two_factor: bool = Field(description="Whether you sign in with a second factor.")

    @staticmethod
    def resolve_name(user):
        return str(user)

    @staticmethod
    def resolve_two_factor(user):
        return twofactor.has_second_factor(user)


class MeIn(InputSchema):
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    email_signature: str | None = Field(None, max_length=2000)
    language: str | None = Field(None, max_length=5)
    currency: str | None = Field(None, max_length=3)
    time_zone: str | None = Field(None, max_length=60)
    notifications: list[str] | None = None


PROFILE_FIELDS = [name for name in ProfileForm.Meta.fields if name != "photo"]


@me.get("", response={200: MeOut, **ERRORS}, summary="Your profile", operation_id="me_read", url_name="me")
def me_read(request):
    return User.objects.select_related("role", "manager").get(pk=request.auth.pk)


@me.patch("", response={200: MeOut, **ERRORS}, summary="Change your profile",
          description="Only the fields sent change; each is checked as on the profile page.",
          operation_id="me_update", url_name="me_update")
def me_update(request, payload: MeIn):
    user = User.objects.get(pk=request.auth.pk)
    form = ProfileForm(_form_data(user, PROFILE_FIELDS, payload.dict(exclude_unset=True)), instance=user)
    del form.fields["photo"]
    if not form.is_valid():
        raise _form_errors(form)
    form.save()
    return User.objects.select_related("role", "manager").get(pk=user.pk)


# ---------- /users ----------

users = Router(tags=["people"])


class UserOut(Schema):
    id: int
    username: str
    name: str
    manager: Ref | None
    email: str
    role: Ref | None
    business_unit: Ref | None
    office: Ref | None
    language: str
    is_active: bool

    @staticmethod
    def resolve_name(user):
        return str(user)


class UserFilters(FilterSchema):
    q: str | None = Field(None, max_length=100, description="Part of the name, username or e-mail.")
    active: bool | None = Field(True, description="Active users only (the default), deactivated ones (false).")


class UserIn(InputSchema):
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    email: str | None = Field(None, max_length=254)
    role: int | None = None
    manager: int | None = None
    business_unit: int | None = None
    office: int | None = None
    language: str | None = Field(None, max_length=5)
    is_active: bool | None = None
    territories: list[int] | None = Field(None, description="Territory ids: replaces them.")
    teams: list[int] | None = Field(None, description="Sales team ids: replaces the user's memberships.")


class UserInvite(UserIn):
    username: str = Field(max_length=150)
    email: str = Field(max_length=254)


def _users():
    return User.objects.select_related("role", "manager", "business_unit", "office")


def _save_user_form(request, user, payload, *, invite: bool):
    changes = payload.dict(exclude_unset=True)
    fields = [name for name in UserAdminForm.Meta.fields if not (invite and name == "is_active")]
    data = _form_data(user, fields, changes) if user.pk else {k: v for k, v in changes.items() if v is not None}
    if user.pk:
        data.setdefault("territories", list(user.territories.values_list("pk", flat=True)))
        data.setdefault("teams", list(user.sales_teams.values_list("pk", flat=True)))
        data["username"] = user.username
    form = UserAdminForm(data, instance=user, invite=invite)
    if not form.is_valid():
        raise _form_errors(form)
    if not invite and user.pk == request.auth.pk and not form.cleaned_data["is_active"]:
        raise ValidationError({"is_active": _("You cannot deactivate yourself.")})
    extra = {"territories": form.cleaned_data["territories"], "teams": form.cleaned_data["teams"]}
    if invite:
        return people.invite(request, form.save(commit=False), by=request.auth, **extra)
    return people.save_user(form.save(commit=False), by=request.auth, **extra)


@users.get("", response={200: page_of(UserOut), **ERRORS}, summary="List users", operation_id="user_list",
           url_name="user_list")
def user_list(request, filters: Query[UserFilters], params: Query[PageParams]):
    queryset = _users().order_by("first_name", "last_name", "username")
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    for word in (filters.q or "").split()[:8]:
        queryset = queryset.filter(Q(username__icontains=word) | Q(first_name__icontains=word)
                                   | Q(last_name__icontains=word) | Q(email__icontains=word))
    return page(queryset, params)


@users.get("/{int:user_id}", response={200: UserOut, **ERRORS}, summary="Read a user", operation_id="user_read",
           url_name="user_detail")
def user_read(request, user_id: int):
    return get_object_or_404(_users(), pk=user_id)


@users.post("", response={201: UserOut, **ERRORS}, summary="Invite a user",
            description="The user is created without a password and e-mailed, in their language, a link to "
                        "choose one. Administrators only.", operation_id="user_invite", url_name="user_invite")
def user_invite(request, payload: UserInvite):
    _require_admin(request.auth)
    user = _save_user_form(request, User(), payload, invite=True)
    return Status(201, _users().get(pk=user.pk))


@users.patch("/{int:user_id}", response={200: UserOut, **ERRORS}, summary="Change a user",
             description="Only the fields sent change; is_active false deactivates the user (signed out, "
                         "records kept). Recorded in the user's history. Administrators only.",
             operation_id="user_update", url_name="user_update")
def user_update(request, user_id: int, payload: UserIn):
    _require_admin(request.auth)
    user = get_object_or_404(User, pk=user_id)
    _save_user_form(request, user, payload, invite=False)
    return _users().get(pk=user.pk)


# ---------- /roles, /business-units, /offices ----------

roles = Router(tags=["people"])


class RoleOut(Schema):
    id: int
    name: str
    parent: int | None = Field(description="The role it reports to; null at the top.")
    depth: int

    @staticmethod
    def resolve_parent(role):
        return role.parent_id


class RoleIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    parent: int | None = None


class RoleCreate(RoleIn):
    name: str = Field(min_length=1, max_length=100)


@roles.get("", response={200: list[RoleOut], **ERRORS}, summary="The role hierarchy, in tree order",
           operation_id="role_list", url_name="role_list")
def role_list(request):
    return tree_order(Role.objects.all())


def _save_structure(form_class, record, payload, *, by):
    """Create or change a role, business unit or office through the form its page uses (the same checks),
    recorded in its history as a change on the page is; only the fields sent change."""
    form_fields = form_class.Meta.fields
    data = _form_data(record, form_fields, payload.dict(exclude_unset=True)) if record.pk else {
        name: value for name, value in payload.dict().items() if value is not None}
    form = form_class(data, instance=record)
    if not form.is_valid():
        raise _form_errors(form)
    return people.save_structure(form, by=by)


def _delete_structure(model, pk: int, *, by) -> Status:
    """Delete a role, business unit or office nothing names any more; else 409 with what still does."""
    refused = people.delete_unless_in_use(get_object_or_404(model, pk=pk), people.structure_in_use, by=by)
    if refused:
        raise HttpError(409, refused)
    return Status(204, None)


@roles.post("", response={201: RoleOut, **ERRORS}, summary="Create a role",
            description="Recorded in the role's history. Administrators only.", operation_id="role_create",
            url_name="role_create")
def role_create(request, payload: RoleCreate):
    _require_admin(request.auth)
    return Status(201, _save_structure(RoleForm, Role(), payload, by=request.auth))


@roles.patch("/{int:role_id}", response={200: RoleOut, **ERRORS}, summary="Rename or move a role",
             description="A role moves with the roles below it; it cannot go under itself or below it (422). "
                         "Recorded in the role's history. Administrators only.",
             operation_id="role_update", url_name="role_update")
def role_update(request, role_id: int, payload: RoleIn):
    _require_admin(request.auth)
    return _save_structure(RoleForm, get_object_or_404(Role, pk=role_id), payload, by=request.auth)


@roles.delete("/{int:role_id}", response={204: None, **ERRORS}, summary="Delete a role",
              description="Refused with 409 while users have the role or roles report to it: move them first. "
                          "Recorded in the role's history. Administrators only (403).",
              operation_id="role_delete", url_name="role_delete")
def role_delete(request, role_id: int):
    _require_admin(request.auth)
    return _delete_structure(Role, role_id, by=request.auth)


business_units = Router(tags=["people"])


class BusinessUnitOut(Schema):
    id: int
    name: str
    code: str


class BusinessUnitIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    code: str = Field("", max_length=20)


class BusinessUnitChange(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    code: str | None = Field(None, max_length=20)


@business_units.get("", response={200: list[BusinessUnitOut], **ERRORS}, summary="List business units",
                    operation_id="business_unit_list", url_name="business_unit_list")
def business_unit_list(request):
    return list(BusinessUnit.objects.all())


@business_units.post("", response={201: BusinessUnitOut, **ERRORS}, summary="Create a business unit",
                     description="Recorded in the unit's history. Administrators only.",
                     operation_id="business_unit_create", url_name="business_unit_create")
def business_unit_create(request, payload: BusinessUnitIn):
    _require_admin(request.auth)
    return Status(201, _save_structure(BusinessUnitForm, BusinessUnit(), payload, by=request.auth))


@business_units.patch("/{int:unit_id}", response={200: BusinessUnitOut, **ERRORS}, summary="Change a business unit",
                      description="Only the fields sent change; recorded in the unit's history. Administrators only.",
                      operation_id="business_unit_update", url_name="business_unit_update")
def business_unit_update(request, unit_id: int, payload: BusinessUnitChange):
    _require_admin(request.auth)
    return _save_structure(BusinessUnitForm, get_object_or_404(BusinessUnit, pk=unit_id), payload, by=request.auth)


@business_units.delete("/{int:unit_id}", response={204: None, **ERRORS}, summary="Delete a business unit",
                       description="Refused with 409 while users, offices, teams or records are in the unit: move "
                                   "them first. Recorded in the unit's history. Administrators only (403).",
                       operation_id="business_unit_delete", url_name="business_unit_delete")
def business_unit_delete(request, unit_id: int):
    _require_admin(request.auth)
    return _delete_structure(BusinessUnit, unit_id, by=request.auth)


offices = Router(tags=["people"])


class OfficeOut(Schema):
    id: int
    name: str
    city: str
    country: str
    business_unit: Ref | None


class OfficeIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    city: str = Field("", max_length=100)
    country: str = Field("CL", min_length=2, max_length=2)
    business_unit: int | None = None


class OfficeChange(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, min_length=2, max_length=2)
    business_unit: int | None = None


@offices.get("", response={200: list[OfficeOut], **ERRORS}, summary="List offices", operation_id="office_list",
             url_name="office_list")
def office_list(request):
    return list(Office.objects.select_related("business_unit"))


@offices.post("", response={201: OfficeOut, **ERRORS}, summary="Create an office",
              description="Recorded in the office's history. Administrators only.", operation_id="office_create",
              url_name="office_create")
def office_create(request, payload: OfficeIn):
    _require_admin(request.auth)
    office = _save_structure(OfficeForm, Office(), payload, by=request.auth)
    return Status(201, Office.objects.select_related("business_unit").get(pk=office.pk))


@offices.patch("/{int:office_id}", response={200: OfficeOut, **ERRORS}, summary="Change an office",
               description="Only the fields sent change; recorded in the office's history. Administrators only.",
               operation_id="office_update", url_name="office_update")
def office_update(request, office_id: int, payload: OfficeChange):
    _require_admin(request.auth)
    office = _save_structure(OfficeForm, get_object_or_404(Office, pk=office_id), payload, by=request.auth)
    return Office.objects.select_related("business_unit").get(pk=office.pk)


@offices.delete("/{int:office_id}", response={204: None, **ERRORS}, summary="Delete an office",
                description="Refused with 409 while users work in it: move them first. Recorded in the office's "
                            "history. Administrators only (403).",
                operation_id="office_delete", url_name="office_delete")
def office_delete(request, office_id: int):
    _require_admin(request.auth)
    return _delete_structure(Office, office_id, by=request.auth)


# ---------- /org-defaults ----------

org_defaults = Router(tags=["people"])


class OrgDefaultOut(Schema):
    record_type: str = Field(description="app_label.model, e.g. accounts.account.")
    access: str = Field(description="private, public_read or public_read_write: what everyone may do with a record of this "
                                    "type beyond the owner, the hierarchy and the sharing grants.")


@org_defaults.get("", response={200: list[OrgDefaultOut], **ERRORS},
                  summary="The org-wide default access per record type",
                  description="Types not listed are private.", operation_id="org_default_list",
                  url_name="org_default_list")
def org_default_list(request):
    return list(OrgDefault.objects.order_by("record_type"))


class OrgDefaultPreview(Schema):
    record_type: str
    current: str = Field(description="The level now.")
    access: str = Field(description="The level asked about.")
    records_affected: int = Field(description="How many records of the type change visibility (or editability) "
                                              "for everyone if the level becomes `access`: send it back to apply.")


class OrgDefaultChange(InputSchema):
    access: AccessLevel
    records_affected: int = Field(ge=0, description="The count the preview gave for this level: the change "
                                                    "applies only while it still holds (else 409).")


def _default_row(record_type: str):
    row = access_defaults.row_for(record_type)
    if row is None:
        raise HttpError(404, _("This record type has no org-wide default."))
    return row


@org_defaults.get("/{record_type}/preview", response={200: OrgDefaultPreview, **ERRORS},
                  summary="How many records a change of the org-wide default would touch",
                  description="The warning the page shows before a change: nothing changes. Administrators only; "
                              "404 for a type without an org-wide default.",
                  operation_id="org_default_preview", url_name="org_default_preview")
def org_default_preview(request, record_type: str, access: AccessLevel):
    _require_admin(request.auth)
    row = _default_row(record_type)
    return {"record_type": row.record_type, "current": row.level, "access": access,
            "records_affected": access_defaults.records_affected(row, access)}


@org_defaults.patch("/{record_type}", response={200: OrgDefaultOut, **ERRORS},
                    summary="Change the org-wide default access of a record type",
                    description="Send the level and the `records_affected` the preview gave for it, as the page "
                                "asks for a confirmation after showing it: if the count no longer holds (records "
                                "were added or removed, or the level changed meanwhile) the answer is 409 and "
                                "nothing changes. The change applies at once in every channel and is recorded in "
                                "history. Administrators only (403); 404 for a type without an org-wide default; "
                                "422 for an unknown level.",
                    operation_id="org_default_update", url_name="org_default_update")
def org_default_update(request, record_type: str, payload: OrgDefaultChange):
    _require_admin(request.auth)
    row = _default_row(record_type)
    with transaction.atomic():
        counted = access_defaults.records_affected(row, payload.access)
        if counted != payload.records_affected:
            raise HttpError(409, _("This change now touches %(count)d records, not %(sent)d: check the preview "
                                   "again.") % {"count": counted, "sent": payload.records_affected})
        if payload.access != row.level:
            access_defaults.change(row, payload.access, by=request.auth)
    return {"record_type": row.record_type, "access": payload.access}
