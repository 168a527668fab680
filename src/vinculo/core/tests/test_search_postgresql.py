"""PostgreSQL's side of the search index: the migrations install pg_trgm and a trigram index over the
search entries (README: "migrates PostgreSQL (enables pg_trgm)"). Skipped on SQLite."""

import pytest
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection, transaction

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core.models import SearchEntry

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is a PostgreSQL extension"),
]


def _fetch(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_migrations_install_pg_trgm_and_a_trigram_index_on_the_search_entries():
    assert _fetch("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'") == [("pg_trgm",)]
    [(definition,)] = _fetch("SELECT indexdef FROM pg_indexes WHERE indexname = 'core_searchentry_trgm'")
    assert "core_searchentry USING gin (body gin_trgm_ops)" in definition


def test_trigram_similarity_finds_a_misspelt_name_that_the_word_index_misses(org):
    atacama = AccountFactory(owner=org.admin, legal_name="Minera Atacama SpA", tax_id="", email="")
    AccountFactory(owner=org.admin, legal_name="Viña Atacameña Limitada", tax_id="", email="")
    typo = "minra atacma"

    # The tsvector index needs each word's prefix: it finds nothing for the typo.
    words = _fetch("SELECT object_id FROM core_searchentry WHERE kind = 'accounts.account' "
                   "AND to_tsvector('simple', body) @@ to_tsquery('simple', 'minra:* & atacma:*')")
    assert words == []

    ranked = (SearchEntry.objects.filter(kind="accounts.account")
              .annotate(similarity=TrigramSimilarity("body", typo)).order_by("-similarity"))
    best, runner_up = ranked[:2]
    assert best.object_id == atacama.pk
    assert best.similarity > 0.3 > runner_up.similarity  # 0.3: pg_trgm's default threshold for `%`
    # The `%` operator (what the trigram index serves) keeps exactly that record.
    similar = _fetch("SELECT object_id FROM core_searchentry WHERE kind = 'accounts.account' AND body %% %s", [typo])
    assert similar == [(atacama.pk,)]


def test_the_trigram_index_serves_similarity_lookups(org):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: show the index can serve it
        plan = _fetch("EXPLAIN SELECT object_id FROM core_searchentry WHERE body %% %s", ["minra atacma"])
    assert "core_searchentry_trgm" in "\n".join(line for (line,) in plan)
