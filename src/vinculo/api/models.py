"""API tokens. Only a SHA-256 hash of each token is stored: a leaked database does not leak working tokens."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.core import clock, compiled

# Writing last_used on every request would turn each read into a write; once a minute is enough to audit.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough; there is nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        _("prefix"), max_length=8, editable=False, help_text=_("The first characters of the token, to recognise it.")
    )
    name = models.CharField(_("name"), max_length=100, blank=True,
                            help_text=_("What the token is for, to recognise it in the list."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [
            # A user's token list.
            models.Index(fields=["user", "-created_at"], name="apitoken_user_idx"),
        ]

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= clock.now()

    @staticmethod
    def lifetime_days(days) -> int:
        """`days` (None: the default, settings.VINCULO_API_TOKEN_DAYS) checked against 1…the maximum."""
        if days is None:
            return settings.VINCULO_API_TOKEN_DAYS
        maximum = settings.VINCULO_API_TOKEN_MAX_DAYS
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= maximum:
            raise ValidationError({"expires_in_days": _("Give a whole number of days from 1 to %(max)d.")
                                   % {"max": maximum}})
        return days

    @classmethod
    def issue(cls, user, *, days: int | None = None, name: str = "") -> tuple["ApiToken", str]:
        """Create a token for `user`, valid `days` days (the default lifetime when None); returns it with
        the clear key, which is never stored."""
        expires_at = clock.now() + timedelta(days=cls.lifetime_days(days))
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, key_hash=hash_key(key), prefix=key[:8], name=name.strip()[:100],
                                   expires_at=expires_at)
        return token, key

    @classmethod
    def _by_hash(cls, key_hash: str):
        return cls.objects.select_related("user", "user__role").filter(user__is_active=True, key_hash=key_hash)

    @classmethod
    def find(cls, key: str) -> "ApiToken | None":
        """The unexpired token matching `key` if its user is active, noting when it was used: one query, plus
        a write at most once a minute. The user's role comes along because every access check reads it. Its SQL is
        compiled once per process (core.compiled.rows): the key's hash is unique, so expiry is checked here."""
        if not key:
            return None
        found = compiled.rows("api:token", cls, cls._by_hash, hash_key(key))
        token = found[0] if found and found[0].expires_at > clock.now() else None
        if token is not None:
            now = clock.now()
            if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
                cls.objects.filter(pk=token.pk).update(last_used_at=now)
                token.last_used_at = now
        return token

    @classmethod
    def expiry_of_expired(cls, key: str):
        """When the token matching `key` expired, if it has (one query): to tell its caller why it is refused."""
        if not key:
            return None
        return (cls.objects.filter(key_hash=hash_key(key), expires_at__lte=clock.now(), user__is_active=True)
                .values_list("expires_at", flat=True).first())
