"""The REST API under /api/v1/: authentication, JSON errors, and the routers the apps registered."""

import logging
from decimal import DecimalException

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.urls import re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as RequestValidationError
from ninja.router import Router

from vinculo.core.api import ALWAYS_POSSIBLE, Message, routers
from vinculo.core.services import ConflictError

from .auth import BearerAuth, ExpiredToken, SessionAuth, tokens_router
from .auth import router as auth_router

logger = logging.getLogger(__name__)


def documenting_errors(router: Router) -> Router:
    """Every operation lists the errors any request may meet (core.api.ALWAYS_POSSIBLE: a malformed body,
    no credentials, a path or record that is not there, a bad value; 429 where it is throttled), besides
    those it declares."""
    for path_view in router.path_operations.values():
        for operation in path_view.operations:
            errors = {**ALWAYS_POSSIBLE, **({429: Message} if operation.throttle_objects else {})}
            for status, schema in errors.items():
                if status not in operation.response_models:
                    operation.response_models[status] = operation._create_response_model(schema)
    return router


class VinculoAPI(NinjaAPI):
    def _get_urls(self):
        # Unknown paths under /api/v1/ answer JSON too, not the site's HTML 404 page, whatever the method
        # (a POST there would otherwise meet the CSRF check's HTML page first: nothing is done, nothing to
        # protect) and whatever the path holds (an encoded newline too).
        return [*super()._get_urls(), re_path(r"^[\s\S]+$", csrf_exempt(self._unknown_path))]

    def _unknown_path(self, request):
        return self.on_exception(request, Http404())


api = VinculoAPI(
    title="Vínculo API",
    version="1",
    urls_namespace="api",
    auth=[BearerAuth(), SessionAuth()],
    description="Accounts, contacts, their related records (assets, contracts, invoices, payments, notes, files, "
    "content deliveries), activities, and sales (leads, opportunities, stages, competitors, products, price "
    "lists, quotes, campaigns, territories, sales teams, exchange rates) of Vínculo. Get a token from `POST /api/v1/auth/token`, "
    "then send `Authorization: Bearer <token>`. You see and change exactly what you can in the web pages.",
)


def _json(request, status: int, detail):
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(Http404)
def not_found(request, exc):
    # One body for "does not exist" and "not yours to see", so the answer reveals nothing.
    return _json(request, 404, _("Not found."))


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    if isinstance(exc, ExpiredToken):
        return _json(request, 401, exc.detail())
    return _json(request, 401, _("Authentication required: send “Authorization: Bearer <token>”."))


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _json(request, 403, _("You may read this record but not change it."))


@api.exception_handler(ConflictError)
def conflict(request, exc):
    return _json(request, 409, str(exc))


@api.exception_handler(ValidationError)
def invalid_record(request, exc):
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": None if field == "__all__" else field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"field": None, "message": message} for message in exc.messages]
    return _json(request, 422, errors)


@api.exception_handler(RequestValidationError)
def invalid_request(request, exc):
    errors = []
    for error in exc.errors:
        # loc is ("query", field, ...) or ("body", parameter name, field, ...); list indexes are dropped.
        loc = tuple(error.get("loc", ()))
        names = [part for part in loc[2 if loc[:1] == ("body",) else 1:] if isinstance(part, str)]
        errors.append({"field": names[0] if names else None, "message": error.get("msg", "")})
    return _json(request, 422, errors)


@api.exception_handler(MultiPartParserError)
def malformed_upload(request, exc):
    return _json(request, 400, _("The upload could not be read: send multipart/form-data with a boundary."))


def _out_of_range(request):
    return _json(request, 422, [{"field": None, "message": _("A value is out of range: a number too large or "
                                                               "with too many digits, or a text too long.")}])


# Input is validated where it comes in (core.api.PlainValues, the bounds of each schema); these answer a
# value that slipped past those checks and that Python or the database could not hold, rather than a 500.
@api.exception_handler(OverflowError)
def overflow(request, exc):
    logger.warning("Unvalidated out-of-range input on %s %s: %s", request.method, request.path, exc)
    return _out_of_range(request)


@api.exception_handler(DecimalException)
def decimal_error(request, exc):
    logger.warning("Unvalidated decimal input on %s %s: %r", request.method, request.path, exc)
    return _out_of_range(request)


@api.exception_handler(DataError)
def data_error(request, exc):
    logger.warning("Input the database refused on %s %s: %s", request.method, request.path, exc)
    return _out_of_range(request)


@api.exception_handler(Exception)
def server_error(request, exc):
    logger.exception("API error on %s %s", request.method, request.path)
    return _json(request, 500, _("Something went wrong on our side; it has been logged."))


api.add_router("/auth", documenting_errors(auth_router))
api.add_router("/tokens", documenting_errors(tokens_router))
# Each app registers its routers in its AppConfig.ready() (vinculo.core.api.routers), in their order.
for mount in routers:
    api.add_router(mount.prefix, documenting_errors(mount.router))
