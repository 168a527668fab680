"""The one clock of Vínculo: patch `vinculo.core.clock.now` in tests to move time."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def now():
    return timezone.now()


def today():
    return timezone.localdate(now())


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The moments from the start of `first` to the start of the day after `last`, in the current time zone:
    a filter `gte`/`lt` on them reads an index, where `__date` casts every row (in SQLite, a Python call each)."""
    return (timezone.make_aware(datetime.combine(first, time.min)),
            timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min)))
