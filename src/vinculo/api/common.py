"""What every resource of the API shares: error bodies, references to related records, list paging
and ordering, and turning foreign-key ids from a payload into records the caller may use."""

from typing import Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import ConfigDict

MAX_LIMIT = 200


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


ERRORS = {401: Message, 403: Message, 404: Message, 409: Message, 422: FieldErrors}


class InputSchema(Schema):
    # A misspelt or read-only key is refused rather than silently dropped.
    model_config = ConfigDict(extra="forbid")


def choice(choices: type[models.TextChoices], blank: bool = False):
    """A Literal type of a TextChoices' values (plus "" where the model field may be blank), so the
    OpenAPI document lists them."""
    values = list(choices.values)
    if blank and "" not in values:
        values.append("")
    return Literal[tuple(values)]


class ListParams(Schema):
    q: str | None = Field(None, description="Quick search: every word must start a word of the record.")
    ordering: str | None = Field(None, description="Comma-separated fields; prefix with - for descending.")
    limit: int = Field(settings.VINCULO["PAGE_SIZE"], ge=1, description=f"Page size, at most {MAX_LIMIT}.")
    offset: int = Field(0, ge=0)


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


def page(queryset, params: ListParams) -> dict:
    """One page of `queryset` with the total count: two queries (plus the queryset's prefetches)."""
    limit = min(params.limit, MAX_LIMIT)
    return {"items": list(queryset[params.offset:params.offset + limit]), "count": queryset.count()}


def filter_by(queryset, filters: Schema, lookups: dict[str, str]):
    """Filter by the query parameters that were given (parameter name → ORM lookup)."""
    given = {lookups[name]: value for name, value in filters.dict(exclude_none=True).items() if name in lookups}
    return queryset.filter(**given)


def resolve_references(data: dict, targets: dict[str, models.QuerySet]) -> dict:
    """Replace foreign-key ids in `data` by records taken from `targets` (field → queryset of the records
    the caller may link to). An id outside its queryset is refused exactly like one that does not exist."""
    errors = {}
    for field, queryset in targets.items():
        if field not in data or data[field] is None:
            continue
        record = queryset.filter(pk=data[field]).first()
        if record is None:
            errors[field] = _("There is no %(thing)s with id %(id)s.") % {
                "thing": queryset.model._meta.verbose_name, "id": data[field]
            }
        else:
            data[field] = record
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
