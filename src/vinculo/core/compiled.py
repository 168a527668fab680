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
from datetime import datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.http import Http404

from .access import is_admin, org_default_levels

logger = logging.getLogger(__name__)

# Stand-ins no real id or path takes (ids are positive, role paths are "1/2/"). The record's is positive
# all the same, within every integer field's range: Django finds nothing for a value out of a field's range
# (a negative one in a positive field: `regarding_id`) and so would compile no query.
RECORD = 2_118_273_601
USER = -918_273_602
ROLE = -918_273_603
ROLE_PATH = "918273604/"
MOMENT = datetime(1901, 2, 3, 4, 5, 6, 789_012)  # a moment no record holds, for a datetime value


def forget(**kwargs) -> None:
    """Drop every compiled query: they hold content type ids (a record's subject type), which a migration or a
    flush of the database (a transactional test's teardown) may renumber: neither PostgreSQL's sequences nor
    SQLite's AUTOINCREMENT give an id twice. A post_migrate receiver."""
    _compiled.clear()


def _value_stand_in(position: int, value):
    """The placeholder of a value a query is run with (a search expression, the ids of a page of records, a
    token's hash) at `position`: of its type, so the query builds as with the real one."""
    if isinstance(value, str):
        return f"\x1fvinculo-value-{position}\x1f"
    if isinstance(value, int) and not isinstance(value, bool):
        return -918_274_000 - position
    if isinstance(value, datetime):
        return MOMENT.replace(tzinfo=value.tzinfo) + timedelta(seconds=position)
    raise TypeError(f"compiled: a value to substitute is a str, an int or a datetime, not {type(value).__name__}")


def _put_back(params, stand_ins, values, ops) -> list:
    """`params` with each value's stand-in replaced by the value. A datetime is looked for as the database
    adapter `ops` put it among the parameters (SQLite's: a text in UTC)."""
    where = {}
    for stand_in, value in zip(stand_ins, values, strict=True):
        if isinstance(stand_in, datetime):
            stand_in, value = ops.adapt_datetimefield_value(stand_in), ops.adapt_datetimefield_value(value)
        where[(type(stand_in), stand_in)] = value
    return [where.get((type(value), value), value) if isinstance(value, (str, int, datetime)) else value
            for value in params]


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


def _shape(name: str, alias: str, user, key: tuple, values: tuple) -> tuple:
    shape = (
        name,
        alias,
        key,
        tuple(type(value) for value in values),
        is_admin(user),
        user.is_active,
        getattr(user, "role_id", None) is None,
        tuple(sorted(org_default_levels().items())),
    )
    if name in _reads_permissions:
        shape += (frozenset(user.get_all_permissions()),)
    return shape


def _substitute(params, alias: str, user, record_id, values: tuple = (), stand_ins: tuple = ()) -> list:
    ops = connections[alias].ops
    role = user.role if getattr(user, "role_id", None) is not None else None
    like_path = ops.prep_for_like_query(ROLE_PATH)
    substituted = []
    for value in _put_back(params, stand_ins, values, ops):
        if value == RECORD:
            value = record_id
        elif value == USER:
            value = user.pk
        elif value == ROLE:
            value = role.pk
        elif isinstance(value, str) and like_path in value:
            value = value.replace(like_path, ops.prep_for_like_query(role.path))
        substituted.append(value)
    return substituted


def _sql(queryset) -> tuple[object, str, tuple]:
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    return compiler, sql, tuple(params)


def _compile(name: str, build, user, alias: str, stand_ins: tuple) -> tuple["_Compiled | None", bool]:
    """The stand-in's query compiled, or None; and whether its rules asked about permissions."""
    stand_in, asker = _stand_in(user)
    try:
        compiler, sql, params = _sql(build(stand_in, RECORD, *stand_ins))
    except EmptyResultSet:
        return None, asker.asked
    if any(str(value) in sql for value in (RECORD, USER, ROLE, ROLE_PATH, *stand_ins)):
        return None, asker.asked  # a placeholder inlined in the SQL text, out of reach of the substitution
    # The check: the real user's own SQL is the stand-in's with the ids put back.
    own_sql = _sql(build(user, RECORD, *stand_ins))[1:]
    if own_sql != (sql, tuple(_substitute(params, alias, user, RECORD, stand_ins, stand_ins))):
        logger.warning("%s: its access rules read more of the user than ids; compiled per request.", name)
        return None, asker.asked
    select, klass_info = compiler.select, compiler.klass_info
    fields = init_list = populators = None
    if klass_info:  # model instances (not values)
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        fields, init_list = slice(start, end), [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, alias)
    return _Compiled(compiler, sql, params, init_list, fields, populators), asker.asked


def _compiled_for(name: str, model, build, user, key: tuple, values: tuple) -> tuple[str, "_Compiled | None", tuple]:
    alias = router.db_for_read(model)
    shape = _shape(name, alias, user, key, values)
    stand_ins = tuple(_value_stand_in(position, value) for position, value in enumerate(values))
    if shape not in _compiled:
        if len(_compiled) >= MAX_SHAPES:
            _compiled.clear()
        found, asked = _compile(name, build, user, alias, stand_ins)
        if asked and name not in _reads_permissions:
            _reads_permissions.add(name)
            shape = _shape(name, alias, user, key, values)
        _compiled[shape] = found
    return alias, _compiled[shape], stand_ins


def sql(name: str, model, build, user, record_id: int, key: tuple = (), values: tuple = ()) -> tuple[str, list]:
    """The SQL and parameters of `build(user, record_id, *values)` (a queryset of `model`), compiled once per
    process for each shape of user (see the module). `key`: the other values `build` puts in the SQL that
    make another query (a date); `values`: those that only change its parameters (a search expression, a
    page's ids, the moment a list is read at: str, int or datetime), which `build` is given as placeholders of
    the same types."""
    alias, compiled, stand_ins = _compiled_for(name, model, build, user, key, values)
    if compiled is None:
        query, params = build(user, record_id, *values).query.sql_with_params()
        return query, list(params)
    return compiled.sql, _substitute(compiled.params, alias, user, record_id, values, stand_ins)


def fetch(name: str, model, build, user, record_id: int, key: tuple = (), values: tuple = ()) -> list:
    """The `model` records of `build(user, record_id, *values)` (a queryset of instances, its select_related
    and annotations included), its SQL compiled once per process for each shape of user (see the module): on
    the next requests the queryset is not even built. `name` names the query: one `build` per name; `key`
    and `values` as for `sql`."""
    alias, compiled, stand_ins = _compiled_for(name, model, build, user, key, values)
    if compiled is None:
        return list(build(user, record_id, *values))
    connection = connections[alias]
    compiler = copy.copy(compiled.compiler)
    compiler.connection = connection  # this thread's
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, _substitute(compiled.params, alias, user, record_id, values, stand_ins))
        return _records(compiled, compiler, alias, cursor.fetchall())


def values(name: str, model, build, user, record_id: int, key: tuple = (), values: tuple = ()) -> list[tuple]:
    """The rows of `build(user, record_id, *values)`, a values_list() queryset (annotations included), as
    tuples, its SQL compiled once per process for each shape of user; `key` and `values` as for `sql`."""
    alias, compiled, stand_ins = _compiled_for(name, model, build, user, key, values)
    if compiled is None:
        return [tuple(row) for row in build(user, record_id, *values)]
    connection = connections[alias]
    compiler = copy.copy(compiled.compiler)
    compiler.connection = connection  # this thread's
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, _substitute(compiled.params, alias, user, record_id, values, stand_ins))
        fetched = cursor.fetchall()
    return [tuple(row[:compiler.col_count]) for row in compiler.results_iter([fetched])]


def _records(compiled: _Compiled, compiler, alias: str, fetched) -> list:
    """The model instances of the rows `fetched` by a compiled query, its select_related and annotations set."""
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


def live_visible_ids(model, user, ids) -> set:
    """Those of `ids` whose live `model` record `user` may see (`core.access.visible_ids` counts those in the
    recycle bin too): one query, compiled once per shape of user and size of the id list (sizes are rounded
    up to a power of two, the list padded with one of its ids)."""
    ids = sorted(set(ids) - {None})
    if not ids:
        return set()
    size = 1 << (len(ids) - 1).bit_length()
    padded = tuple(ids + ids[-1:] * (size - len(ids)))
    query, params = sql(
        f"visible-ids:{model._meta.label}:{size}", model,
        lambda user, _, *ids: model.objects.visible_to(user, per_row=True).filter(pk__in=ids).values_list("pk"),
        user, 0, values=padded,
    )
    with connections[router.db_for_read(model)].cursor() as cursor:
        cursor.execute(query, params)
        return {row[0] for row in cursor.fetchall()}


def mark_visible(records, user, field: str, name: str):
    """Set `name` on each record: whether `user` may see the record its `field` points to, so a
    page names a related record (e.g. a contact's account) only when the viewer may open it.
    One query for the whole page of records."""
    records = list(records)
    if not records:
        return records
    target = records[0]._meta.get_field(field).related_model
    visible = live_visible_ids(target, user, {getattr(record, f"{field}_id") for record in records})
    for record in records:
        setattr(record, name, getattr(record, f"{field}_id") in visible)
    return records


# ---- Queries that depend on a few plain values, not on a user: compiled once per process as well ----------

_by_values: dict[tuple, "tuple[_Compiled, list] | None"] = {}


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
        placeholders = [_value_stand_in(position, value) for position, value in enumerate(values)]
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
                sql, tuple(_put_back(params, placeholders, values, connections[alias].ops))):
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
        cursor.execute(compiled.sql, _put_back(compiled.params, placeholders, values, connection.ops))
        fetched = cursor.fetchall()
    if compiled.init_list is None:
        return [tuple(row[:compiler.col_count]) for row in compiler.results_iter([fetched])]
    return _records(compiled, compiler, alias, fetched)
