"""Record fetches whose SQL is compiled once per process, for the pages that run them on every request.

Django takes longer to compile a query carrying a user's access rules (a few EXISTS and IN subqueries) than
the database takes to run it for one record (bench/: the account page's fetch, ~10 ms of Python for a query
that reads one row). What such a query depends on is its shape — whether the user is an admin, has a role,
which org-wide defaults apply — and a few ids: the record's, the user's, the user's role (its id and path).
So it is compiled once per shape for a stand-in user whose ids are placeholders, and each request runs that
SQL with its own ids in their place. The first compile of a shape is checked against the real user's own
SQL; a rule that reads anything else of the user makes the check fail, and that query is then compiled
per request as before (accounts/tests/test_compiled_fetch.py holds the standing users to the same).
"""

import copy
import logging
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.http import Http404

from .access import is_admin, org_default_levels

logger = logging.getLogger(__name__)

# Stand-ins no real id or path takes (ids are positive, role paths are "1/2/").
RECORD = -918_273_601
USER = -918_273_602
ROLE = -918_273_603
ROLE_PATH = "918273604/"


@dataclass
class _Compiled:
    compiler: object  # after as_sql(): its select, klass_info and annotations describe the rows
    sql: str
    params: tuple
    init_list: list
    fields: slice
    populators: list


_compiled: dict[tuple, "_Compiled | None"] = {}  # None: this shape does not compile once (see the module)
_reads_permissions: set[str] = (
    set()
)  # queries whose rules ask the user's permissions: they are part of the shape
MAX_SHAPES = 1000  # a bound on the memory, far above the shapes a site has (the key's values change daily)


class _StandIn:
    """Who the stand-in asked about permissions: they are answered as for the real user."""

    def __init__(self, user):
        self.user, self.asked = user, False

    def has_perm(self, perm, obj=None):
        self.asked = True
        return self.user.has_perm(perm, obj)

    def has_perms(self, perms, obj=None):
        self.asked = True
        return self.user.has_perms(perms, obj)


def _stand_in(user):
    """`user` with placeholder ids: the same shape of access rules, other ids; and who noted whether the
    rules asked about permissions."""
    model = user._meta.model  # not type(): request.user is a lazy object
    stand_in = model(pk=USER, is_active=user.is_active, is_superuser=user.is_superuser)
    if getattr(user, "role_id", None) is not None:
        stand_in.role = model._meta.get_field("role").related_model(pk=ROLE, path=ROLE_PATH)
    # The rules a request keeps per user (core.access.access_rule) are kept apart for each user stood for.
    stand_in.stands_for = user.pk
    asker = _StandIn(user)
    stand_in.has_perm, stand_in.has_perms = asker.has_perm, asker.has_perms
    return stand_in, asker


def _shape(name: str, alias: str, user, key: tuple) -> tuple:
    shape = (
        name,
        alias,
        key,
        is_admin(user),
        user.is_active,
        getattr(user, "role_id", None) is None,
        tuple(sorted(org_default_levels().items())),
    )
    if name in _reads_permissions:
        shape += (frozenset(user.get_all_permissions()),)
    return shape


def _substitute(params, alias: str, user, record_id) -> list:
    ops = connections[alias].ops
    role = user.role if getattr(user, "role_id", None) is not None else None
    like_path = ops.prep_for_like_query(ROLE_PATH)
    values = []
    for value in params:
        if value == RECORD:
            value = record_id
        elif value == USER:
            value = user.pk
        elif value == ROLE:
            value = role.pk
        elif isinstance(value, str) and like_path in value:
            value = value.replace(like_path, ops.prep_for_like_query(role.path))
        values.append(value)
    return values


def _sql(queryset) -> tuple[object, str, tuple]:
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    return compiler, sql, tuple(params)


def _compile(name: str, build, user, alias: str) -> tuple["_Compiled | None", bool]:
    """The stand-in's query compiled, or None; and whether its rules asked about permissions."""
    stand_in, asker = _stand_in(user)
    try:
        compiler, sql, params = _sql(build(stand_in, RECORD))
    except EmptyResultSet:
        return None, asker.asked
    if any(str(value) in sql for value in (RECORD, USER, ROLE, ROLE_PATH)):
        return None, asker.asked  # a placeholder inlined in the SQL text, out of reach of the substitution
    # The check: the real user's own SQL is the stand-in's with the ids put back.
    own_sql = _sql(build(user, RECORD))[1:]
    if own_sql != (sql, tuple(_substitute(params, alias, user, RECORD))):
        logger.warning("%s: its access rules read more of the user than ids; compiled per request.", name)
        return None, asker.asked
    select, klass_info = compiler.select, compiler.klass_info
    fields = init_list = populators = None
    if klass_info:  # model instances (not values)
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        fields, init_list = slice(start, end), [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, alias)
    return _Compiled(compiler, sql, params, init_list, fields, populators), asker.asked


def _compiled_for(name: str, model, build, user, key: tuple) -> tuple[str, "_Compiled | None"]:
    alias = router.db_for_read(model)
    shape = _shape(name, alias, user, key)
    if shape not in _compiled:
        if len(_compiled) >= MAX_SHAPES:
            _compiled.clear()
        found, asked = _compile(name, build, user, alias)
        if asked and name not in _reads_permissions:
            _reads_permissions.add(name)
            shape = _shape(name, alias, user, key)
        _compiled[shape] = found
    return alias, _compiled[shape]


def sql(name: str, model, build, user, record_id: int, key: tuple = ()) -> tuple[str, list]:
    """The SQL and parameters of `build(user, record_id)` (a queryset of `model`), compiled once per process
    for each shape of user (see the module). `key`: the other values `build` puts in the SQL (a date)."""
    alias, compiled = _compiled_for(name, model, build, user, key)
    if compiled is None:
        query, params = build(user, record_id).query.sql_with_params()
        return query, list(params)
    return compiled.sql, _substitute(compiled.params, alias, user, record_id)


def fetch(name: str, model, build, user, record_id: int, key: tuple = ()) -> list:
    """The `model` records of `build(user, record_id)` (a queryset of instances, its select_related and
    annotations included), its SQL compiled once per process for each shape of user (see the module): on
    the next requests the queryset is not even built. `name` names the query: one `build` per name; `key`
    holds the other values `build` puts in the SQL (a date)."""
    alias, compiled = _compiled_for(name, model, build, user, key)
    if compiled is None:
        return list(build(user, record_id))
    connection = connections[alias]
    compiler = copy.copy(compiled.compiler)
    compiler.connection = connection  # this thread's
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, _substitute(compiled.params, alias, user, record_id))
        rows = cursor.fetchall()
    model, annotations = compiler.klass_info["model"], compiler.annotation_col_map
    records = []
    for row in compiler.results_iter([rows]):
        record = model.from_db(alias, compiled.init_list, row[compiled.fields])
        for populator in compiled.populators:
            populator.populate(row, record)
        for attribute, position in annotations.items():
            setattr(record, attribute, row[position])
        records.append(record)
    return records


def get_for_user(name: str, model, build, user, pk: int):
    """Like `core.access.get_for_user` (404 unless `user` may see the record `pk`) for the queryset of
    `model` records `build(user)`, whose SQL `fetch` compiles once per process."""
    if not (user and user.is_authenticated and user.is_active) or not isinstance(pk, int):
        raise Http404
    found = fetch(
        name, model, lambda user, pk: build(user).visible_to(user, per_row=True).filter(pk=pk), user, pk
    )
    if not found:
        raise Http404(f"No {model._meta.verbose_name} matches the given query.")
    return found[0]


# ---- Queries that depend on a few plain values, not on a user: compiled once per process as well ----------

VALUE = -918_273_610  # the stand-ins of `values`: VALUE, VALUE - 1…, or text that no real value is
_by_values: dict[tuple, "tuple[_Compiled, list] | None"] = {}


def _placeholder(position: int, value):
    if isinstance(value, int) and not isinstance(value, bool):
        return VALUE - position
    if isinstance(value, str):
        return f"vinculo-compiled-{position}{VALUE}"
    raise TypeError(f"compiled.rows takes ints and text, not {type(value).__name__}.")


def _put_back(params, placeholders: list, values: tuple) -> list:
    where = {(type(placeholder), placeholder): value for placeholder, value in zip(placeholders, values, strict=True)}
    return [where.get((type(value), value), value) for value in params]


def rows(name: str, model, build, *values) -> list:
    """What `build(*values)` (a queryset of `model`) gives — instances, their select_related included, or the
    tuples of a values_list() — its SQL compiled once per process with stand-ins in place of `values` (ints
    and text) and run with the values themselves afterwards: for the queries every API request sends (its
    token, its user's permissions). The first compile is checked against the SQL of the real values, like the
    user-shaped queries above; a query that puts a value anywhere but among its parameters as it was given (a
    LIKE pattern, the SQL text) is built on every call instead."""
    alias = router.db_for_read(model)
    key = (name, alias, len(values))
    if key not in _by_values:
        if len(_by_values) >= MAX_SHAPES:
            _by_values.clear()
        placeholders = [_placeholder(position, value) for position, value in enumerate(values)]
        found = compiler = None
        stand_in = build(*placeholders)
        instances = stand_in._iterable_class is ModelIterable
        try:
            # Instances, or tuples of plain columns; the rest (flat, named, annotated values) is built per call.
            if instances or (stand_in._iterable_class is ValuesListIterable and not stand_in.query.annotation_select):
                compiler, sql, params = _sql(stand_in)
                own = _sql(build(*values))[1:]
        except EmptyResultSet:
            compiler = None
        if compiler is not None and not any(str(placeholder) in sql for placeholder in placeholders) and own == (
                sql, tuple(_put_back(params, placeholders, values))):
            select, klass_info = compiler.select, compiler.klass_info
            fields = init_list = populators = None
            if instances:
                start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
                fields, init_list = slice(start, end), [column[0].target.attname for column in select[start:end]]
                populators = get_related_populators(klass_info, select, alias)
            found = _Compiled(compiler, sql, params, init_list, fields, populators), placeholders
        elif compiler is not None:
            logger.warning("%s: its values do not stay parameters; built per call.", name)
        _by_values[key] = found
    if _by_values[key] is None:
        return list(build(*values))
    compiled, placeholders = _by_values[key]
    connection = connections[alias]
    compiler = copy.copy(compiled.compiler)
    compiler.connection = connection  # this thread's
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, _put_back(compiled.params, placeholders, values))
        fetched = cursor.fetchall()
    if compiled.init_list is None:
        return [tuple(row[:compiler.col_count]) for row in compiler.results_iter([fetched])]
    model, annotations = compiler.klass_info["model"], compiler.annotation_col_map
    records = []
    for row in compiler.results_iter([fetched]):
        record = model.from_db(alias, compiled.init_list, row[compiled.fields])
        for populator in compiled.populators:
            populator.populate(row, record)
        for attribute, position in annotations.items():
            setattr(record, attribute, row[position])
        records.append(record)
    return records
