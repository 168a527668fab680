"""API tokens. Only a SHA-256 hash of each token is stored: a leaked database does not leak working tokens."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.core import clock

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
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user) -> tuple["ApiToken", str]:
        """Create a token for `user`; returns it with the clear key, which is never stored."""
        key = secrets.token_urlsafe(32)
        return cls.objects.create(user=user, key_hash=hash_key(key), prefix=key[:8]), key

    @classmethod
    def find(cls, key: str) -> "ApiToken | None":
        """The token matching `key` if its user is active, noting when it was used: one query, plus a
        write at most once a minute. The user's role comes along because every access check reads it."""
        if not key:
            return None
        tokens = cls.objects.select_related("user", "user__role").filter(user__is_active=True)
        token = tokens.filter(key_hash=hash_key(key)).first()
        if token is not None:
            now = clock.now()
            if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
                cls.objects.filter(pk=token.pk).update(last_used_at=now)
                token.last_used_at = now
        return token
