"""The one clock of Vínculo: patch `vinculo.core.clock.now` in tests to move time."""

from django.utils import timezone


def now():
    return timezone.now()


def today():
    return timezone.localdate(now())
