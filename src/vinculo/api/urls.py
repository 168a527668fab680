"""The REST API under /api/v1/: authentication, JSON errors, and the routers the apps registered."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as RequestValidationError

from vinculo.core.api import routers
from vinculo.core.services import ConflictError

from .auth import BearerAuth, ExpiredToken, SessionAuth, tokens_router
from .auth import router as auth_router

logger = logging.getLogger(__name__)

class VinculoAPI(NinjaAPI):
    def _get_urls(self):
        # Unknown paths under /api/v1/ answer JSON too, not the site's HTML 404 page.
        return [*super()._get_urls(), re_path(r"^.+$", self._unknown_path)]

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


@api.exception_handler(Exception)
def server_error(request, exc):
    logger.exception("API error on %s %s", request.method, request.path)
    return _json(request, 500, _("Something went wrong on our side; it has been logged."))


api.add_router("/auth", auth_router)
api.add_router("/tokens", tokens_router)
# Each app registers its routers in its AppConfig.ready() (vinculo.core.api.routers), in their order.
for mount in routers:
    api.add_router(mount.prefix, mount.router)
