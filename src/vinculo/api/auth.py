"""How API callers prove who they are: a bearer token, or the browser's session (with CSRF)."""

from datetime import datetime

from django.conf import settings
from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import AnonRateThrottle

from vinculo.org import twofactor
from vinculo.org.signin import client_ip, is_locked_out, lockout_message

from .models import ApiToken


def _activate_preferences(user) -> None:
    # The preferences middleware ran before the token was read, so messages follow the user's language here.
    if user.language:
        translation.activate(user.language)


class ExpiredToken(AuthenticationError):
    """A bearer token that was valid but has expired: answered 401 with a message saying so (api/urls.py)."""

    def __init__(self, expired_at):
        super().__init__(401)
        self.expired_at = expired_at

    def detail(self) -> str:
        when = formats.date_format(timezone.localtime(self.expired_at), "DATETIME_FORMAT")
        return _("This token expired on %(date)s. Create a new one (POST /api/v1/auth/token, or API tokens in "
                 "your user menu).") % {"date": when}


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        found = ApiToken.find(token)
        if found is None:
            expired_at = ApiToken.expiry_of_expired(token)
            if expired_at is not None:
                raise ExpiredToken(expired_at)
            return None
        request.user = found.user
        request.api_token = found
        _activate_preferences(found.user)
        return found.user


class SessionAuth(APIKeyCookie):
    """Django's session, for pages that call the API. CSRF is checked only when a session user is
    present, so an anonymous call answers 401 rather than a CSRF error."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        return request.user if request.user.is_authenticated else None


router = Router(tags=["auth"])


class Credentials(Schema):
    username: str
    password: str
    name: str = Field("", max_length=100, description="What the token is for, to recognise it in the list.")
    expires_in_days: int | None = Field(
        None, ge=1, le=settings.VINCULO_API_TOKEN_MAX_DAYS,
        description=f"How long the token stays valid; {settings.VINCULO_API_TOKEN_DAYS} days by default.")
    otp: str = Field("", max_length=20, description="For an account with two-factor sign-in: the code of its "
                                                    "authenticator app, or one of its recovery codes.")


class TokenOut(Schema):
    token: str
    id: int | None = Field(None, description="The token's id, to revoke it (DELETE /api/v1/tokens/{id}).")
    expires_at: datetime | None = None


class Message(Schema):
    detail: str


class ClientThrottle(AnonRateThrottle):
    """Per client address as `org.signin.client_ip` finds it: X-Forwarded-For counts only from our proxies."""

    def get_ident(self, request):
        return client_ip(request)


@router.post(
    "/token", auth=None, response={200: TokenOut, 401: Message, 403: Message, 429: Message},
    throttle=[ClientThrottle("30/m")],
    summary="Exchange a username and password for a bearer token",
    description="After too many failed attempts for a username or from an address, both are locked for a "
                "while (429, with a message saying until when); an administrator can unlock them sooner. An "
                "account with two-factor sign-in also sends its code as `otp` (401 without it); one the "
                "organisation requires a second factor from but that has none gets 403 until it sets one up "
                "on the web.",
)
def issue_token(request, credentials: Credentials):
    # The request goes along so that django-axes counts failures by username and by address.
    user = authenticate(request, username=credentials.username, password=credentials.password)
    if user is None and is_locked_out(request):
        return Status(429, {"detail": lockout_message()})
    if user is None:
        raise HttpError(401, _("Wrong username or password."))
    _activate_preferences(user)
    refused = twofactor.check_api_code(user, credentials.otp)
    if refused is not None:
        raise HttpError(*refused)
    token, key = ApiToken.issue(user, days=credentials.expires_in_days, name=credentials.name)
    return {"token": key, "id": token.pk, "expires_at": token.expires_at}


@router.delete("/token", response={204: None}, summary="Revoke the bearer token of this request")
def revoke_token(request):
    token = getattr(request, "api_token", None)
    if token is not None:
        token.delete()
    return Status(204, None)


# ---------- /api/v1/tokens: the caller's own tokens ----------

tokens_router = Router(tags=["auth"])


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The first characters of the token; the token itself is never shown again.")
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None = Field(description="To the minute.")
    expired: bool
    current: bool = Field(description="Whether this request was made with this token.")


def _token_out(token, request) -> dict:
    current = getattr(request, "api_token", None)
    return {"id": token.pk, "name": token.name, "prefix": token.prefix, "created_at": token.created_at,
            "expires_at": token.expires_at, "last_used_at": token.last_used_at, "expired": token.is_expired,
            "current": current is not None and current.pk == token.pk}


@tokens_router.get("", response={200: list[ApiTokenOut], 401: Message}, summary="Your API tokens",
                   description="Newest first, expired ones included (until revoked); never the secret.",
                   operation_id="token_list", url_name="token_list")
def list_tokens(request):
    return [_token_out(token, request) for token in ApiToken.objects.filter(user=request.auth)]


@tokens_router.delete("/{int:token_id}", response={204: None, 401: Message, 404: Message},
                      summary="Revoke one of your API tokens", description="Another user's token answers 404.",
                      operation_id="token_delete", url_name="token_delete")
def delete_token(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.auth)
    token.delete()
    return Status(204, None)
