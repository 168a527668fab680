"""Two-factor sign-in on django-otp: an authenticator app (TOTP, django_otp.plugins.otp_totp), passkeys
(WebAuthn, django-otp-webauthn) and one-time recovery codes (django_otp.plugins.otp_static). docs/two-factor.md
says why these libraries.

The password step stays the login page (django-axes counts its failures). When it succeeds, `on_sign_in` notes
in the session what is still owed: "verify" (the user has a second factor) or "enrol" (the organisation
requires one and they have none; OrgSettings.second_factor). Until the session passes — django-otp's
`otp_login`, after which `request.user.is_verified()` — `SecondFactorMiddleware` (org.middleware) lets it reach
only the verify and enrol pages, and the API sees no session user. The note is taken at sign-in, so a page
costs no query for it; a change of the organisation's rule signs out those it now binds (`apply_policy`).
"""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.helpers import WebAuthnHelper as BaseWebAuthnHelper

from vinculo.core.models import ChangeLog

from .models import OrgSettings, User
from .people import record_history

SESSION_KEY = "vinculo_second_factor"
VERIFY = "verify"
ENROL = "enrol"
RECOVERY_DEVICE_NAME = "recovery"
RECOVERY_CODE_COUNT = 10
ADMIN_PERMISSION = "org.administer_organisation"


def is_admin(user) -> bool:
    return user.is_superuser or user.has_perm(ADMIN_PERMISSION)


def second_factor_required(user, rule: str | None = None) -> bool:
    """Whether the organisation's rule (`rule`, read from OrgSettings when None: a query) binds `user`."""
    rule = rule or OrgSettings.current().second_factor
    return rule == OrgSettings.SecondFactor.EVERYONE or (rule == OrgSettings.SecondFactor.ADMINS and is_admin(user))


def has_second_factor(user) -> bool:
    """A confirmed authenticator app or passkey (recovery codes alone do not count). A query per device type."""
    return any(not isinstance(device, StaticDevice) for device in devices_for_user(user, confirmed=True))


def owed_step(user) -> str | None:
    """What `user` still owes after their password: VERIFY, ENROL or nothing."""
    if has_second_factor(user):
        return VERIFY
    if second_factor_required(user):
        return ENROL
    return None


def on_sign_in(sender, request, user, **kwargs) -> None:
    """user_logged_in: note the step the new session still owes (see the module docstring)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    step = owed_step(user)
    if step and not getattr(user, "otp_device", None):
        session[SESSION_KEY] = step
    else:
        session.pop(SESSION_KEY, None)


def owed(request) -> str | None:
    """The step this request's session still owes, if any (no query)."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return None
    return request.session.get(SESSION_KEY)


def passed(request, device) -> None:
    """The session proved `device`: it is verified from now on."""
    otp_login(request, device)
    request.session.pop(SESSION_KEY, None)


def matching_device(user, code: str):
    """`user`'s authenticator app or recovery code that accepts `code`, or None. Each device is locked while
    it checks (two requests cannot both use one recovery code); django-otp throttles a device after failures
    and uses a recovery code up."""
    code = "".join((code or "").split())
    if not code:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if isinstance(device, TOTPDevice | StaticDevice) and device.verify_token(code):
                return device
    return None


def verify_code(request, code: str):
    """The device that accepts `code` for the signed-in user, the session then passed; None when none does."""
    device = matching_device(request.user, code)
    if device is not None:
        passed(request, device)
    return device


def check_api_code(user, code: str) -> tuple[int, str] | None:
    """For the API's token endpoint: None if `user` may have a token with `code`, else the HTTP status and
    the reason."""
    step = owed_step(user)
    if step == ENROL:
        return 403, _("Your organisation requires a second factor: sign in on the web and set one up first.")
    if step == VERIFY and matching_device(user, code) is None:
        return 401, _("This account signs in with a second factor: send the code of the authenticator app (or a "
                 "recovery code) as “otp”.")
    return None


# ---------- Authenticator app ----------

def start_totp(user) -> TOTPDevice:
    """A new, unconfirmed authenticator-app device for `user` (an earlier unconfirmed one is dropped)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)


def pending_totp(user, pk) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, pk=pk, confirmed=False).first()


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an SVG QR code, drawn here (no image service sees the secret)."""
    import segno

    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#111", light="#fff")


def base32_key(device: TOTPDevice) -> str:
    from base64 import b32encode

    key = b32encode(device.bin_key).decode()
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


@transaction.atomic
def confirm_totp(request, device: TOTPDevice, code: str) -> bool:
    """Confirm `device` if `code` is its current one; the session then counts as verified."""
    if not device.verify_token("".join((code or "").split())):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    enrolled(request, device)
    return True


def enrolled(request, device) -> None:
    """A new second factor is in place: this session passed with it, every other session of the user ends
    (they had not proved one)."""
    from .sessions import end_sessions

    passed(request, device)
    end_sessions(request.user, keep=request.session.session_key)


# ---------- Removing a factor ----------

def factor_of(user, kind: str, pk: int):
    """`user`'s confirmed authenticator app (`kind` "app") or passkey ("passkey") with id `pk`, or None."""
    from django_otp_webauthn.models import WebAuthnCredential

    model = {"app": TOTPDevice, "passkey": WebAuthnCredential}.get(kind)
    return model.objects.filter(user=user, confirmed=True, pk=pk).first() if model else None


def removal_refused(user, device) -> str | None:
    """Why `user` may not remove `device` (None: they may): with the organisation's rule binding them, the
    last authenticator app or passkey stays."""
    others = [other for other in devices_for_user(user, confirmed=True)
              if not isinstance(other, StaticDevice) and not (type(other) is type(device) and other.pk == device.pk)]
    if not others and second_factor_required(user):
        return _("Your organisation requires a second factor: set up another authenticator app or passkey before "
                 "you remove this one.")
    return None


def reauthenticated(user, secret: str) -> bool:
    """Whether `secret` is `user`'s password or a current code of their authenticator app (or a recovery
    code, then used up)."""
    return bool(secret) and (user.check_password(secret) or matching_device(user, secret) is not None)


@transaction.atomic
def remove_factor(user, device) -> str | None:
    """Remove `device` unless removal_refused says why not (then that reason, nothing removed); with no factor
    left the recovery codes go too. The user's history says so. The user's row is locked meanwhile, so two
    removals at once cannot both take what each sees as not the last factor."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    refused = removal_refused(user, device)
    if refused:
        return refused
    label = _("Authenticator app") if isinstance(device, TOTPDevice) else _("Passkey")
    device.delete()
    if not has_second_factor(user):
        StaticDevice.objects.filter(user=user).delete()
    record_history(user, user, ChangeLog.Action.UPDATE, [
        {"field": "", "label": str(label), "old": device.name or str(label), "new": ""}])
    return None


# ---------- Recovery codes ----------

@transaction.atomic
def new_recovery_codes(user) -> list[str]:
    """Replace `user`'s recovery codes with RECOVERY_CODE_COUNT new ones, each good once. Shown once."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME,
                                                          defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_DEVICE_NAME).count()


# ---------- The organisation's rule ----------

@transaction.atomic
def apply_policy(rule: str, by) -> int:
    """Set the organisation's second-factor rule; users it now binds who have no second factor are signed
    out everywhere, so their next sign-in leads them to enrol. Returns how many were signed out."""
    from .sessions import end_sessions

    row = OrgSettings.current()
    row.second_factor = rule
    row.save(update_fields=["second_factor"])
    enrolled_ids = users_with_second_factor()
    signed_out = 0
    for user in User.objects.filter(is_active=True, signed_in_sessions__isnull=False).distinct():
        if user.pk not in enrolled_ids and second_factor_required(user, rule):
            signed_out += bool(end_sessions(user))
    return signed_out


def users_with_second_factor() -> set[int]:
    """Ids of the users with a confirmed authenticator app or passkey: one query per device type."""
    from django_otp_webauthn.models import WebAuthnCredential

    ids = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    return ids | set(WebAuthnCredential.objects.filter(confirmed=True).values_list("user_id", flat=True))


# ---------- Passkeys ----------

def relying_party_id(request) -> str:
    """Passkeys belong to the site as the browser reached it (a host ALLOWED_HOSTS accepts), unless
    settings.VINCULO_WEBAUTHN_RP_ID fixes it (OTP_WEBAUTHN_RP_ID_CALLABLE)."""
    return settings.VINCULO_WEBAUTHN_RP_ID or request.get_host().rsplit(":", 1)[0]


class WebAuthnHelper(BaseWebAuthnHelper):
    """Passkeys are accepted from settings.VINCULO_WEBAUTHN_ORIGINS, by default the site the browser reached."""

    def get_allowed_origins(self) -> list[str]:
        return settings.VINCULO_WEBAUTHN_ORIGINS or [f"{self.request.scheme}://{self.request.get_host()}"]
