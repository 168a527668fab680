"""Possible duplicates among the records a user can see: while a record is typed in its form, and on demand
for a whole record type (pairs to merge).

Two records are possible duplicates when they share an identifier (the same e-mail, phone in E.164 form or
compact tax id, as `core.matching` normalises them) or when their normalised names are similar: rapidfuzz's
`token_sort_ratio` at least `NAME_THRESHOLD` (word order does not count: "Pérez Ana" is "Ana Perez").

A record type takes part when its app registers its rules from its `AppConfig.ready()`:

    duplicates.register("account", Account, name_fields=("legal_name",), normalize=normalize_legal_name,
                        keys=[duplicates.Key("tax_id", _("Same tax id"), ("tax_id",), compact_tax_id)],
                        list_url="accounts:list")

Only records the user may see are ever compared, counted or shown: each query starts from
`visible_to(user)`, so an invisible record changes nothing on the page, not even a number.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import search
from .matching import normalize_name

# token_sort_ratio (0-100) from which two normalised names are "similar": "Minera Atacama" and "Minera
# Atacamas" score 96.6, "Comercial Los Andes" and "Comercial Las Lomas" 78.9.
NAME_THRESHOLD = 90
# Words shorter than this do not block candidates: "de", "la", "y" would put everyone in one block.
MIN_TOKEN = 3
# A block shared by more records than this is too common to compare within (n² names): its records still
# meet through their other blocks and identifiers.
BLOCK_LIMIT = 200
# An identifier held by more records than this is a shared one (an office's switchboard, a team's inbox), not one
# person's or company's: on the pairs page it pairs nobody, and those records still meet by their names. On the
# bench data, a rep's 35,000 contacts gave 445,000 "same phone" pairs of colleagues sharing their office's line
# (5.8 s of CPU to build and sort them); groups of up to 5 gave 130.
KEY_LIMIT = 5
# Records a form compares its typed name with, at most (the latest ones first).
FORM_CANDIDATES = 500
FORM_SHOWN = 10


@dataclass(frozen=True)
class Key:
    """An identifier that makes two records the same when equal: `fields` holding its stored (normalised)
    form, `normalize(value, country)` bringing a typed value to that form (or raising ValidationError)."""

    name: str
    label: str
    fields: tuple[str, ...]
    normalize: Callable[[str, str], str]


@dataclass(frozen=True)
class DuplicateRules:
    key: str  # in URLs: /duplicates/<key>/
    model: type
    name_fields: tuple[str, ...]
    normalize: Callable[[str], str] = normalize_name
    keys: tuple[Key, ...] = ()
    list_url: str = ""  # the type's list page, for the breadcrumb
    # Fields the merge page does not offer to choose (the winner keeps its own).
    not_merged: tuple[str, ...] = ()
    # record → why it may not be merged ("" when it may): a converted lead.
    refuse_merge: Callable | None = None

    @property
    def label(self):
        return self.model._meta.verbose_name_plural

    def name_of(self, values: dict) -> str:
        return self.normalize(" ".join(str(values.get(name) or "") for name in self.name_fields))

    def keys_of(self, values: dict) -> set[tuple[str, str]]:
        """The identifiers of stored values (already normalised by the models' `clean`)."""
        found = set()
        for key in self.keys:
            for name in key.fields:
                value = values.get(name)
                if value:
                    found.add((key.name, str(value)))
        return found

    def typed_keys(self, values: dict) -> set[tuple[str, str]]:
        """The identifiers of values as typed in a form; a value that does not parse identifies nothing."""
        country = str(values.get("country") or "")
        found = set()
        for key in self.keys:
            for name in key.fields:
                value = str(values.get(name) or "").strip()
                if not value:
                    continue
                try:
                    normalised = key.normalize(value, country)
                except ValidationError:
                    continue
                if normalised:
                    found.add((key.name, normalised))
        return found

    def key_label(self, name: str):
        return next((key.label for key in self.keys if key.name == name), name)


class Registry:
    def __init__(self):
        self._rules: dict[str, DuplicateRules] = {}

    def register(self, key: str, model, **options) -> DuplicateRules:
        known = self._rules.get(key)
        if known is not None and known.model is not model:
            raise ImproperlyConfigured(f"Duplicate rules {key!r} are already registered for {known.model.__name__}.")
        self._rules[key] = DuplicateRules(key, model, **options)
        return self._rules[key]

    def get(self, key: str) -> DuplicateRules | None:
        return self._rules.get(key)

    def of(self, model) -> DuplicateRules | None:
        return next((rules for rules in self._rules.values() if rules.model is model), None)


registry = Registry()
register = registry.register


def _ratio():
    # Imported when first used: a missing rapidfuzz then fails only the duplicate checks, not the start-up.
    from rapidfuzz import fuzz

    return fuzz.token_sort_ratio


def name_score(first: str, second: str) -> float:
    """How similar two normalised names are, 0-100."""
    return _ratio()(first, second)


def _tokens(name: str) -> set[str]:
    return {token for token in name.split() if len(token) >= MIN_TOKEN}


def _blocks(name: str) -> set[str]:
    """The blocks a name is compared within: each pair of its words' beginnings ("jua|per" for "Juan Pérez",
    "Juan Peres" and "Pérez Juan Carlos"), or the one word's. Pairs keep blocks small where single words
    would not (thousands of "maria", hundreds of "gonzalez"); two names similar by token_sort_ratio almost
    always share two word beginnings."""
    starts = sorted({token[:3] for token in (_tokens(name) or set(name.split()))})
    if len(starts) <= 1:
        return set(starts)
    return {f"{first}|{second}" for index, first in enumerate(starts) for second in starts[index + 1:]}


@dataclass
class Match:
    record: object
    reasons: list  # [(key name, label)]
    score: float  # of the names, 0-100


def _value_fields(rules: DuplicateRules) -> list[str]:
    return ["pk", *rules.name_fields, *(name for key in rules.keys for name in key.fields)]


def matches_for(user, rules: DuplicateRules, values: dict, exclude_pk=None, limit: int = FORM_SHOWN) -> list[Match]:
    """The records `user` may see that look like the record being typed (`values`: the form's data): same
    identifier, or a similar name. Two queries at most, then the names scored in memory."""
    typed_keys = rules.typed_keys(values)
    name = rules.name_of(values)
    tokens = sorted(_tokens(name), key=len, reverse=True)[:3]
    if not typed_keys and not tokens:
        return []
    fields_of = {key.name: key.fields for key in rules.keys}
    wanted = Q()
    for key_name, value in typed_keys:
        for name_field in fields_of[key_name]:
            wanted |= Q(**{name_field: value})
    # The database narrows the names to those sharing a word's beginning; rapidfuzz decides. The columns hold
    # names as typed ("José Pérez" holds no "jose" nor "pere" for LIKE, on either engine): the search index,
    # which holds every record's words without accents nor case, finds those, as soon as it has followed the
    # record's last save.
    for token in tokens:
        for name_field in rules.name_fields:
            wanted |= Q(**{f"{name_field}__icontains": token[:4]})
    if tokens and rules.model in search.searchable_models():
        wanted |= Q(pk__in=search.matching_ids(rules.model, " ".join(token[:4] for token in tokens), any_word=True))
    candidates = rules.model.objects.visible_to(user).filter(wanted)
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    rows = list(candidates.order_by("-pk").values(*_value_fields(rules))[:FORM_CANDIDATES])
    found = []
    for row in rows:
        reasons = [(key_name, rules.key_label(key_name)) for key_name, _value in sorted(rules.keys_of(row) & typed_keys)]
        score = name_score(name, rules.name_of(row)) if name else 0.0
        if score >= NAME_THRESHOLD:
            reasons.append(("name", _("Similar name")))
        if reasons:
            found.append((row["pk"], reasons, score))
    found.sort(key=lambda item: (-sum(1 for reason in item[1] if reason[0] != "name"), -item[2], -item[0]))
    found = found[:limit]
    records = rules.model.objects.in_bulk([pk for pk, _reasons, _score in found])
    return [Match(records[pk], reasons, score) for pk, reasons, score in found if pk in records]


@dataclass
class Pair:
    first_id: int
    second_id: int
    reasons: list
    score: float
    first: object = None
    second: object = None


def pairs_for(user, rules: DuplicateRules) -> list[Pair]:
    """Every pair of records `user` may see that are possible duplicates, the ones sharing an identifier
    first, then by name similarity. One query; the work is bounded by blocking: records are compared only
    within a block of one identifier (held by KEY_LIMIT records at most) or of two name words' beginnings
    (`_blocks`; a block larger than BLOCK_LIMIT is skipped)."""
    rows = list(rules.model.objects.visible_to(user).order_by("pk").values_list(*_value_fields(rules)))
    names = _value_fields(rules)
    by_key: dict = defaultdict(list)
    by_token: dict = defaultdict(list)
    normalised: dict[int, str] = {}
    for row in rows:
        values = dict(zip(names, row, strict=True))
        pk = values["pk"]
        normalised[pk] = rules.name_of(values)
        for key in rules.keys_of(values):
            by_key[key].append(pk)
        for block in _blocks(normalised[pk]):
            by_token[block].append(pk)
    found: dict[tuple[int, int], Pair] = {}

    def pair(first, second) -> Pair:
        ids = (min(first, second), max(first, second))
        if ids not in found:
            found[ids] = Pair(*ids, reasons=[], score=name_score(normalised[ids[0]], normalised[ids[1]]))
        return found[ids]

    for (key_name, _value), ids in by_key.items():
        if len(ids) < 2 or len(ids) > KEY_LIMIT:
            continue
        for index, first in enumerate(ids):
            for second in ids[index + 1:]:
                reasons = pair(first, second).reasons
                if key_name not in (reason[0] for reason in reasons):
                    reasons.append((key_name, rules.key_label(key_name)))
    # token_sort_ratio is the ratio of the names with their words sorted: sorted once per record here, then each
    # record of a block is scored against the rest of the block in one call (rapidfuzz's loop, not Python's).
    from rapidfuzz import fuzz, process

    sorted_words = {pk: " ".join(sorted(name.split())) for pk, name in normalised.items()}
    for ids in by_token.values():
        if len(ids) < 2 or len(ids) > BLOCK_LIMIT:
            continue
        names_here = [sorted_words[pk] for pk in ids]
        for index in range(len(ids) - 1):
            similar = process.extract(names_here[index], names_here[index + 1:], scorer=fuzz.ratio,
                                      score_cutoff=NAME_THRESHOLD, limit=None)
            for _name, _score, at in similar:
                reasons = pair(ids[index], ids[index + 1 + at]).reasons
                if "name" not in (reason[0] for reason in reasons):
                    reasons.append(("name", _("Similar name")))
    pairs = [pair for pair in found.values() if pair.reasons]
    pairs.sort(key=lambda p: (-sum(1 for reason in p.reasons if reason[0] != "name"), -p.score, p.first_id, p.second_id))
    return pairs


def load(rules: DuplicateRules, pairs: list[Pair], related=()) -> list[Pair]:
    """Fill each pair's records (one query)."""
    ids = {pk for pair in pairs for pk in (pair.first_id, pair.second_id)}
    records = rules.model.objects.select_related(*related).in_bulk(ids)
    for pair in pairs:
        pair.first, pair.second = records.get(pair.first_id), records.get(pair.second_id)
    return [pair for pair in pairs if pair.first is not None and pair.second is not None]
