"""Each user's signed-in sessions, for the profile page's list and "sign out everywhere else".

Django's session table is keyed by session alone and keeps the user id inside the encoded data, so finding a
user's sessions would mean decoding every row. Instead a `UserSession` row is written when someone signs in
(`user_logged_in`) and removed when they sign out (`user_logged_out`); the list shows only the rows whose
session is still alive (one query against the session store's table: the database backend, settings.py).
Ending a session deletes it from the session store itself, so it stops working at once.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction

from vinculo.core import clock

from .models import UserSession
from .signin import client_ip


def _store(session_key: str | None = None):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def record_sign_in(sender, request, user, **kwargs) -> None:
    """user_logged_in: remember the new session as one of `user`'s."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if not session_key:
        return
    UserSession.objects.update_or_create(session_key=session_key, defaults={
        "user": user, "created_at": clock.now(), "ip_address": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
    })


def record_sign_out(sender, request, user, **kwargs) -> None:
    """user_logged_out: the session is gone."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def live_sessions(user) -> list[UserSession]:
    """`user`'s sessions that still work, newest first. Two queries; rows of sessions that expired or were
    cleared are dropped on the way."""
    rows = list(UserSession.objects.filter(user=user))
    alive = set(Session.objects.filter(session_key__in=[row.session_key for row in rows],
                                       expire_date__gt=clock.now()).values_list("session_key", flat=True))
    dead = [row.pk for row in rows if row.session_key not in alive]
    if dead:
        UserSession.objects.filter(pk__in=dead).delete()
    return [row for row in rows if row.session_key in alive]


@transaction.atomic
def end_sessions(user, *, keep: str | None = None, only: int | None = None) -> int:
    """Sign `user` out of their sessions (all of them but `keep`, a session key; or only the one with id
    `only`): each is deleted from the session store. Returns how many were ended."""
    rows = UserSession.objects.filter(user=user)
    if keep:
        rows = rows.exclude(session_key=keep)
    if only is not None:
        rows = rows.filter(pk=only)
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        _store(key).delete(key)
    rows.delete()
    return len(keys)


def after_password_change(request, user) -> int:
    """Keep this browser signed in under its new session key and sign every other session of `user` out
    (Django would refuse them at their next request anyway: their password hash no longer matches).
    Returns how many were ended."""
    from django.contrib.auth import update_session_auth_hash

    old_key = request.session.session_key
    update_session_auth_hash(request, user)
    new_key = request.session.session_key
    UserSession.objects.filter(session_key=old_key).update(session_key=new_key)
    return end_sessions(user, keep=new_key)
