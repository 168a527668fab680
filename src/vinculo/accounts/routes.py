"""Pages other apps serve under /accounts/ in the "accounts" URL namespace — the pages of an account's records
(`accounts:contract_detail`, /accounts/contracts/<id>/) — registered from their AppConfig.ready()."""

from django.urls import URLPattern, URLResolver

_patterns: list[URLPattern | URLResolver] = []


def register(patterns: list[URLPattern | URLResolver]) -> None:
    _patterns.extend(patterns)


def patterns() -> list[URLPattern | URLResolver]:
    return list(_patterns)
