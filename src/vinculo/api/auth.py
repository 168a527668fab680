"""How API callers prove who they are: a bearer token, or the browser's session (with CSRF)."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import AnonRateThrottle

from vinculo.org.signin import client_ip, is_locked_out, lockout_message

from .models import ApiToken


def _activate_preferences(user) -> None:
    # The preferences middleware ran before the token was read, so messages follow the user's language here.
    if user.language:
        translation.activate(user.language)


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        found = ApiToken.find(token)
        if found is None:
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


class TokenOut(Schema):
    token: str


class Message(Schema):
    detail: str


class ClientThrottle(AnonRateThrottle):
    """Per client address as `org.signin.client_ip` finds it: X-Forwarded-For counts only from our proxies."""

    def get_ident(self, request):
        return client_ip(request)


@router.post(
    "/token", auth=None, response={200: TokenOut, 401: Message, 429: Message},
    throttle=[ClientThrottle("30/m")],
    summary="Exchange a username and password for a bearer token",
    description="After too many failed attempts for a username or from an address, both are locked for a "
                "while (429, with a message saying until when); an administrator can unlock them sooner.",
)
def issue_token(request, credentials: Credentials):
    # The request goes along so that django-axes counts failures by username and by address.
    user = authenticate(request, username=credentials.username, password=credentials.password)
    if user is None and is_locked_out(request):
        return Status(429, {"detail": lockout_message()})
    if user is None:
        raise HttpError(401, _("Wrong username or password."))
    _token, key = ApiToken.issue(user)
    return {"token": key}


@router.delete("/token", response={204: None}, summary="Revoke the bearer token of this request")
def revoke_token(request):
    token = getattr(request, "api_token", None)
    if token is not None:
        token.delete()
    return Status(204, None)
