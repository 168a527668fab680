"""URLs of many records at the cost of one `reverse()`: list pages build one per row."""

from collections.abc import Callable

from django.urls import reverse

# A number no primary key reaches, to find where the key goes in the reversed URL.
_MARK = 918_273_645_001


def pk_url(name: str) -> Callable[[object], str]:
    """`reverse(name, args=[pk])` as a function of `pk`: reversed once (within the request, so the script
    prefix is the request's), then filled in per row."""
    before, mark, after = reverse(name, args=[_MARK]).partition(str(_MARK))
    if not mark:  # a converter that rewrote the number: reverse every time
        return lambda pk: reverse(name, args=[pk])
    return lambda pk: f"{before}{pk}{after}"
