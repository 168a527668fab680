"""What every resource of the API shares: error bodies, references to related records, list paging
and ordering, turning foreign-key ids from a payload into records the caller may use, and
`RecordAPI`, the five endpoints of a record type written once; and `routers`, where each app makes
its routers known in `AppConfig.ready()` so the shell's API mounts them without importing the apps:

    api.routers.register("/accounts", router, order=10)
"""

import datetime
import operator
import re
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from typing import Annotated, ClassVar, Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.http import HttpResponse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import (
    ConfigDict,
    SerializationInfo,
    ValidationInfo,
    create_model,
    field_validator,
    model_serializer,
)

from vinculo.core import versioned
from vinculo.core.access import get_for_user
from vinculo.core.lists import with_visibility
from vinculo.core.search import matching_ids
from vinculo.core.services import create_record, soft_delete, update_record
from vinculo.core.validators import TEXT_MAX_LENGTH

MAX_LIMIT = 200
# The largest value of the integer columns of every database Vínculo runs on (SQLite and PostgreSQL
# bigint): an id or a number beyond it can match nothing and would not even reach the database.
MAX_INT = 2**63 - 1
MAX_OFFSET = 2**62
# Fields that name a record: leading and trailing spaces are dropped, and a required one may not be empty.
NAME_FIELDS = frozenset({"name", "legal_name", "title", "subject", "first_name", "last_name"})
_SURROGATE = re.compile("[\ud800-\udfff]")
_NUMBER = re.compile(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?")


class Ref(Schema):
    """A related record, by id and display name."""

    id: int
    name: str

    @staticmethod
    def resolve_name(record):
        return str(record)


class Message(Schema):
    detail: str


class FieldError(Schema):
    field: str | None = Field(description="The field the message is about; null when it is about the whole record.")
    message: str


class FieldErrors(Schema):
    detail: list[FieldError]


ERRORS = {400: Message, 401: Message, 403: Message, 404: Message, 409: Message, 422: FieldErrors}
"""The error answers an operation may give; every operation of the API documents at least
`ALWAYS_POSSIBLE` (see vinculo.api.urls), since any request can be malformed, unauthenticated, sent to a
record that is not there or carry a bad value."""
ALWAYS_POSSIBLE = {400: Message, 401: Message, 404: Message, 422: FieldErrors}


def _types(annotation) -> set:
    """The plain types an annotation admits: int | None → {int, NoneType}; list[int] → {list, int}."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _types(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, set, frozenset):
        found = {origin} if origin in (list, tuple, set, frozenset) else set()
        for arg in typing.get_args(annotation):
            found |= _types(arg)
        return found
    if origin is Literal:
        return {type(value) for value in typing.get_args(annotation)}
    return {annotation}


def plain_value(value, admits: set, field: str):
    """`value` as sent, refused with a message naming what is wrong where pydantic's lax mode would
    read it as something else or the database could not store it: `true` for a number (read as 1), a
    number for a yes/no (0 read as false) or for a date (0 read as 1970-01-01), text with a lone surrogate
    (not Unicode text; no database stores it). Names lose surrounding spaces."""
    if isinstance(value, list):
        return [plain_value(item, admits, field) for item in value]
    numbers = admits & {int, float, Decimal}
    dates = not numbers and admits & {datetime.date, datetime.datetime}
    if isinstance(value, bool):
        if bool not in admits and numbers:
            raise ValueError(_("Expected a number, not true or false."))
    elif isinstance(value, (int, float)) and not numbers and (bool in admits or dates):
        # Lax pydantic reads 0 as false and as 1 January 1970.
        raise ValueError(_("Expected true or false, not a number.") if bool in admits
                         else _("Expected a date such as 2026-11-23, not a number."))
    elif isinstance(value, str) and dates and _NUMBER.fullmatch(value.strip()):
        raise ValueError(_("Expected a date such as 2026-11-23, not a number."))
    elif isinstance(value, str):
        if _SURROGATE.search(value):
            raise ValueError(_("This text has a character that is not valid Unicode (a lone surrogate)."))
        if field in NAME_FIELDS:
            value = value.strip()
    return value


class PlainValues:
    """Refuse `true` for a number, a number for a yes/no or a date, text that is not Unicode, a blank
    required name and integers beyond 64 bits, in every field of a payload or of a set of query
    parameters, naming the field (see `plain_value`)."""

    @field_validator("*", mode="before")
    @classmethod
    def _plain_values(cls, value, info: ValidationInfo):
        field = cls.model_fields[info.field_name]
        value = plain_value(value, _types(field.annotation), info.field_name)
        if info.field_name in NAME_FIELDS and value == "" and field.is_required():
            raise ValueError(_("This field cannot be blank."))
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _in_range(cls, value):
        # After conversion: a query string's "123…" is an int only now.
        for number in value if isinstance(value, list) else [value]:
            if isinstance(number, int) and not -MAX_INT - 1 <= number <= MAX_INT:
                raise ValueError(_("This number is too large."))
        return value


class InputSchema(PlainValues, Schema):
    # A misspelt or read-only key is refused rather than silently dropped. Text has a documented length
    # limit: TEXT_MAX_LENGTH unless the field says less (a CharField's own max_length is checked by the model).
    model_config = ConfigDict(extra="forbid", str_max_length=TEXT_MAX_LENGTH)


class FilterSchema(PlainValues, Schema):
    """The filters of a list (query parameters)."""

    model_config = ConfigDict(str_max_length=TEXT_MAX_LENGTH)


def choice(choices: type[models.TextChoices], blank: bool = False):
    """A Literal type of a TextChoices' values (plus "" where the model field may be blank), so the
    OpenAPI document lists them."""
    values = list(choices.values)
    if blank and "" not in values:
        values.append("")
    return Literal[tuple(values)]


class Versioned(InputSchema):
    version: int | None = Field(None, description="The version you read; or send it as an If-Match header.")


class Gated(Schema):
    """An answer whose restricted fields are left out (not nulled) for callers who may not read them: the
    field groups of the access policy of `FIELDS_OF` (core.policy), or else the `GATED` fields for callers
    `hidden_from` them. Ninja passes the request in the serialization context."""

    FIELDS_OF: ClassVar[type | None] = None
    GATED: ClassVar[tuple[str, ...]] = ()

    @staticmethod
    def hidden_from(user) -> bool:
        return False

    @classmethod
    def hidden_fields(cls, user) -> tuple[str, ...]:
        if cls.FIELDS_OF is not None:
            policy = cls.FIELDS_OF.policy
            if user is None:
                return tuple(name for group in policy.field_groups.values() for name in group.fields)
            return policy.hidden_fields(user)
        return cls.GATED if user is None or cls.hidden_from(user) else ()

    @model_serializer(mode="wrap")
    def _without_gated_fields(self, serialize, info: SerializationInfo):
        data = serialize(self)
        for field in self.hidden_fields(getattr((info.context or {}).get("request"), "auth", None)):
            data.pop(field, None)
        return data


def shown_if_visible(field: str):
    """A resolver naming the record `field` links to only when the caller may see it (the queryset
    carries `<field>_visible`, see RecordAPI.guarded)."""
    return staticmethod(lambda record: getattr(record, field) if getattr(record, f"{field}_visible") else None)


class PageParams(FilterSchema):
    limit: int = Field(settings.VINCULO["PAGE_SIZE"], ge=1, description=f"Page size, at most {MAX_LIMIT}.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ListParams(PageParams):
    q: str | None = Field(None, description="Quick search: every word must start a word of the record.")
    ordering: str | None = Field(None, description="Comma-separated fields; prefix with - for descending.")


class RecordListParams(ListParams):
    q: str | None = Field(None, description="Quick search: every word must appear in one of the fields "
                                            "named in the endpoint's description.")


def page_of(item: type[Schema]) -> type[Schema]:
    """The schema of a list answer: {"items": [item, ...], "count": total}."""
    return create_model(f"{item.__name__.removesuffix('Out')}Page", __base__=Schema,
                        items=(list[item], ...), count=(int, ...))


def order(queryset, ordering: str | None, allowed: dict[str, str]):
    """Apply `?ordering=` using the public names in `allowed` (public name → model field); the
    primary key breaks ties so pages do not overlap."""
    if not ordering:
        return queryset.order_by(*queryset.model._meta.ordering, "pk")
    fields = []
    for term in (part.strip() for part in ordering.split(",")):
        descending = term.startswith("-")
        name = term.lstrip("-")
        if name not in allowed:
            raise ValidationError({
                "ordering": _("Cannot sort by “%(name)s”. Choose from: %(choices)s.")
                % {"name": name, "choices": ", ".join(allowed)}
            })
        fields.append(("-" if descending else "") + allowed[name])
    return queryset.order_by(*fields, "pk")


def capped_limit(params: PageParams) -> int:
    return min(params.limit, MAX_LIMIT)


def page(queryset, params: PageParams) -> dict:
    """One page of `queryset` with the total count: three queries (plus the queryset's prefetches), two when
    nothing the count reads was written since it was last counted."""
    limit = capped_limit(params)
    counted = queryset.order_by()
    return {"items": list(queryset[params.offset:params.offset + limit]),
            "count": versioned.cached(counted, "count", counted.count)}


def filter_by(queryset, filters: Schema, lookups: dict[str, str]):
    """Filter by the query parameters that were given (parameter name → ORM lookup)."""
    given = {lookups[name]: value for name, value in filters.dict(exclude_none=True).items() if name in lookups}
    return queryset.filter(**given)


def text_search(queryset, query: str, fields: tuple[str, ...]):
    """Records where every word of `query` appears in one of `fields`: the quick search of record
    types the global search index does not cover."""
    for word in query.split()[:8]:
        queryset = queryset.filter(reduce(operator.or_, (models.Q(**{f"{field}__icontains": word}) for field in fields)))
    return queryset


def active_users():
    return get_user_model().objects.filter(is_active=True)


def keeping_current(queryset, record, field: str):
    """`queryset`, plus the record `record.<field>` links to now: it stays acceptable on a change even
    if the editor can no longer see it."""
    current = getattr(record, f"{field}_id", None) if record is not None else None
    return (queryset | queryset.model.objects.filter(pk=current)) if current is not None else queryset


def resolve_references(data: dict, targets: dict[str, models.QuerySet]) -> dict:
    """Replace foreign-key ids in `data` by records taken from `targets` (field → queryset of the records
    the caller may link to), and lists of ids by lists of records. An id outside its queryset is refused
    exactly like one that does not exist."""
    errors = {}
    for field, queryset in targets.items():
        if field not in data or data[field] is None:
            continue
        ids = data[field] if isinstance(data[field], list) else [data[field]]
        found = queryset.in_bulk(ids)
        missing = [pk for pk in ids if pk not in found]
        if missing:
            errors[field] = _("There is no %(thing)s with id %(id)s.") % {
                "thing": queryset.model._meta.verbose_name, "id": ", ".join(map(str, missing))
            }
        else:
            data[field] = [found[pk] for pk in ids] if isinstance(data[field], list) else found[ids[0]]
    if errors:
        raise ValidationError(errors)
    return data


def expected_version(request, sent: int | None) -> int:
    """The version the caller last read: the `version` field, else an If-Match header (an ETag)."""
    if sent is not None:
        return sent
    header = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if header.isdigit():
        return int(header)
    raise ValidationError({
        "version": _("Send the version you last read (the “version” field or an If-Match header), "
                     "so that nobody's changes are overwritten.")
    })


def etag(record) -> str:
    return f'"{record.version}"'


class RecordAPI:
    """List, create, read, change and move to the recycle bin one record type, with the conventions of
    the whole API: every query starts from `visible_to(user)` / `get_for_user`, a record the caller may
    not see answers 404, a read-only one 403, a stale version 409, bad input 422 naming the field.

    A subclass names the model, its schemas, filters and sortable fields, and overrides the hooks
    (`create`, `update`, `delete`, `references`, `readable`, `filter`, `search`) where its writes go through a
    service or it links to more records. `router(tag)` returns the ninja router to mount.
    """

    model: type[models.Model]
    name: str  # "asset": operation ids and URL names
    singular: str  # "a customer asset", "plural": "customer assets": the OpenAPI summaries
    plural: str
    Out: type[Schema]
    Create: type[Schema] | None
    Patch: type[Schema]
    Filters: type[Schema]
    lookups: dict[str, str] = {}
    ordering: tuple[str, ...] = ()
    search_fields: tuple[str, ...] = ()
    # A record type in the global search index (core.search) answers `q` from it, not from `search_fields`.
    indexed = False
    # A search narrows the list to a few rows: check their access row by row (see core.policy.Parent).
    search_per_row = False
    id_name = "record_id"  # the path parameter naming a record: /{record_id}
    related: tuple[str, ...] = ()
    # Links to records the caller may not be allowed to see: named in answers only when visible
    # (see `shown_if_visible`), and accepted in writes only when visible or already linked.
    guarded: tuple[str, ...] = ()
    routes = ("list", "create", "read", "update", "delete")
    # Answer a create with the record as saved rather than read back (see `created`): for a type whose
    # `readable` adds nothing but the joins and guarded links, and whose values the database keeps as given.
    answers_from_memory = False

    def router(self, tag: str) -> Router:
        router = Router(tags=[tag])
        for route in self.routes:
            getattr(self, f"add_{route}_route")(router)
        return router

    # What the endpoints do; subclasses override these.

    def readable(self, queryset, user):
        """`queryset` ready to answer with: related rows joined, guarded links marked."""
        if self.related or self.guarded:  # select_related() without names would join every non-null key
            queryset = queryset.select_related(*self.related, *self.guarded)
        for field in self.guarded:
            queryset = with_visibility(queryset, user, field, f"{field}_visible")
        return queryset

    def read(self, user, pk):
        """A record just written, for the answer: the writer sees it even if it is no longer visible to them."""
        return self.readable(self.model.objects.all(), user).get(pk=pk)

    def created(self, record, user, linked: dict):
        """The record just created, for the answer: `read`, or with `answers_from_memory` the record as saved,
        which holds the same values once its decimals have the scale the database gives them. Its related
        records came with it (the payload's, resolved by `references`; the signed-in user); a guarded link
        taken from the payload is visible, as `references` offered only visible records. Anything else — a
        related record known only by its id, a guarded link the service set — is read back."""
        if not self.answers_from_memory:
            return self.read(user, record.pk)
        for name in (*self.related, *self.guarded):
            field = record._meta.get_field(name)
            if getattr(record, field.attname) is not None and not field.is_cached(record):
                return self.read(user, record.pk)
        for name in self.guarded:
            if getattr(record, record._meta.get_field(name).attname) is None:
                setattr(record, f"{name}_visible", False)
            elif linked.get(name) is getattr(record, name):
                setattr(record, f"{name}_visible", True)
            else:
                return self.read(user, record.pk)
        for field in record._meta.concrete_fields:
            value = getattr(record, field.attname)
            if isinstance(field, models.DecimalField) and isinstance(value, Decimal):
                setattr(record, field.attname, value.quantize(Decimal(1).scaleb(-field.decimal_places)))
        return record

    def filter(self, queryset, filters):
        return filter_by(queryset, filters, self.lookups)

    def search(self, queryset, query: str):
        if self.indexed:
            return queryset.filter(pk__in=matching_ids(self.model, query))
        return text_search(queryset, query, self.search_fields)

    def hidden_fields(self, user) -> tuple[str, ...]:
        """Fields `user` may neither read, write nor sort by."""
        out = self.Out
        return out.hidden_fields(user) if issubclass(out, Gated) else ()

    def sortable(self, user) -> dict[str, str]:
        hidden = self.hidden_fields(user)
        return {name: name for name in self.ordering if name not in hidden}

    def references(self, user, record=None) -> dict[str, models.QuerySet]:
        """Field → the records a payload may link to by id (`record` is None on creation). Each queryset is
        built when first used: the access policy's filter costs a few milliseconds to build, and most payloads
        name none of these fields."""
        def linkable(field):
            model = self.model._meta.get_field(field).related_model
            return SimpleLazyObject(lambda: keeping_current(model.objects.visible_to(user), record, field))
        return {field: linkable(field) for field in self.guarded}

    def writable_data(self, payload: Schema, user, record=None) -> dict:
        """The payload's fields as model values, refusing what `user` may not set."""
        data = payload.dict(exclude_unset=True)
        data.pop("version", None)
        refused = [name for name in self.hidden_fields(user) if name in data]
        if refused:
            raise ValidationError({name: _("You do not have permission to change this field.") for name in refused})
        return resolve_references(data, self.references(user, record))

    def create(self, data: dict, user):
        return create_record(self.model(**data), by=user)

    def update(self, record, data: dict, user, version: int):
        for field, value in data.items():
            setattr(record, field, value)
        update_record(record, by=user, expected_version=version)

    def delete(self, record, user) -> None:
        soft_delete(record, by=user)

    # The endpoints.

    @property
    def record_path(self) -> str:
        return f"/{{int:{self.id_name}}}"

    def id_param(self):
        """The record's id: `record_id` in the view, `id_name` in the URL and the OpenAPI document."""
        return Path(..., alias=self.id_name, title=self.id_name.replace("_", " ").title(), le=MAX_INT)

    def add_list_route(self, router: Router) -> None:
        api = self
        looks_in = "" if self.indexed else f"`q` looks in: {', '.join(self.search_fields)}. "
        described = f"{looks_in}`ordering` by: {', '.join(self.ordering)}."

        @router.get("", response={200: page_of(self.Out), **ERRORS}, summary=f"List the {self.plural} you can see",
                    description=described, operation_id=f"{self.name}_list", url_name=f"{self.name}_list")
        def list_view(request, filters: Query[self.Filters],
                      params: Query[ListParams if self.indexed else RecordListParams]):
            user = request.auth
            records = api.filter(api.model.objects.visible_to(user, per_row=bool(params.q) and api.search_per_row),
                                 filters)
            if params.q:
                records = api.search(records, params.q)
            return page(order(api.readable(records, user), params.ordering, api.sortable(user)), params)

    def add_create_route(self, router: Router) -> None:
        api = self

        @router.post("", response={201: self.Out, **ERRORS}, summary=f"Create {self.singular}",
                     operation_id=f"{self.name}_create", url_name=f"{self.name}_create")
        def create_view(request, payload: self.Create):
            data = api.writable_data(payload, request.auth)
            linked = {name: data.get(name) for name in api.guarded}
            record = api.create(data, request.auth)
            return Status(201, api.created(record, request.auth, linked))

    def add_read_route(self, router: Router) -> None:
        api = self

        @router.get(self.record_path, response={200: self.Out, **ERRORS}, summary=f"Read {self.singular}",
                    operation_id=f"{self.name}_read", url_name=f"{self.name}_detail")
        def read_view(request, response: HttpResponse, record_id: int = self.id_param()):
            record = get_for_user(api.readable(api.model.objects.all(), request.auth), request.auth, record_id)
            response["ETag"] = etag(record)
            return record

    def add_update_route(self, router: Router) -> None:
        api = self

        @router.patch(self.record_path, response={200: self.Out, **ERRORS}, summary=f"Change {self.singular}",
                      description="Send the `version` you read: if someone saved the record since, the answer "
                                  "is 409 and nothing is changed.",
                      operation_id=f"{self.name}_update", url_name=f"{self.name}_update")
        def update_view(request, payload: self.Patch, response: HttpResponse, record_id: int = self.id_param()):
            user = request.auth
            record = get_for_user(api.model, user, record_id, write=True)
            version = expected_version(request, payload.version)
            api.update(record, api.writable_data(payload, user, record), user, version)
            record = api.read(user, record.pk)
            response["ETag"] = etag(record)
            return record

    def add_delete_route(self, router: Router) -> None:
        api = self

        @router.delete(self.record_path, response={204: None, **ERRORS},
                       summary=f"Move {self.singular} to the recycle bin",
                       operation_id=f"{self.name}_delete", url_name=f"{self.name}_delete")
        def delete_view(request, record_id: int = self.id_param()):
            api.delete(get_for_user(api.model, request.auth, record_id, write=True), request.auth)
            return Status(204, None)


@dataclass(frozen=True)
class Mount:
    prefix: str  # under /api/v1/, e.g. "/accounts"; two routers may share one
    router: Router
    order: int  # of the routers in the API, and so of the paths in its OpenAPI document


class Routers:
    def __init__(self):
        self._mounts: list[Mount] = []

    def register(self, prefix: str, router: Router, *, order: int) -> Mount:
        for known in self._mounts:
            if known.router is router:
                if known.prefix != prefix:
                    raise ImproperlyConfigured(f"This router is already registered at {known.prefix!r}.")
                return known
        mount = Mount(prefix, router, order)
        self._mounts.append(mount)
        return mount

    def __iter__(self):
        return iter(sorted(self._mounts, key=lambda mount: mount.order))


routers = Routers()


class PossibleDuplicateOut(Schema):
    id: int
    name: str
    reasons: list[str] = Field(description="What matches: `tax_id`, `email`, `phone` (E.164), `name` (similar).")
    name_score: float = Field(description="How similar the names are, 0-100 (rapidfuzz token_sort_ratio of "
                                          "the normalised names); `name` is a reason from 90.")


def possible_duplicates(user, kind: str, values: dict) -> list[dict]:
    """The records `user` may see that look like `values` (core.duplicates), as the check endpoints answer."""
    from vinculo.core import duplicates

    return [{"id": match.record.pk, "name": str(match.record), "reasons": [reason[0] for reason in match.reasons],
             "name_score": round(match.score, 1)}
            for match in duplicates.matches_for(user, duplicates.registry.get(kind), values)]
