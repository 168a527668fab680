"""What activities adds to the pages of lower apps (registered in ActivitiesConfig.ready()): the account page's
timeline, the contact page's activities."""

from django.db.models import Case, Exists, IntegerField, OuterRef, Value, When
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.page import RelatedPage, Section, clamp_page, count_of
from vinculo.contacts.page import SHOWN
from vinculo.core import clock
from vinculo.core.reversing import pk_url
from vinculo.customer360.models import Note

from .models import Activity
from .timeline import linked_elsewhere, timeline

TIMELINE_PAGE_SIZE = 10
TIMELINE_FILTERS = (
    ("", _("All")),
    (Activity.Kind.CALL, _("Calls")),
    (Activity.Kind.MEETING, _("Meetings")),
    (Activity.Kind.VISIT, _("Visits")),
    (Activity.Kind.EMAIL, _("Emails")),
    (Activity.Kind.NOTE, _("Notes")),
)
TIMELINE_KINDS = tuple(Activity.Kind.values)


class TimelineSection(Section):
    key = "timeline"
    label = _("Activity")
    template = "accounts/_timeline.html"
    order = 20
    fragment_url_name = "accounts:timeline"
    lazy = False  # what happened lately is what the page opens on: its first page comes with the page

    def count(self, account, user, prepared):
        """The account's own activities and notes, when no activity of another account reaches it through
        its contacts (most accounts); else NULL, and `page` counts the timeline with the visibility rule
        those need, which costs far more to build than the query takes (bench/: ~25 ms of ~120)."""
        own = count_of(Activity.objects.filter(account=OuterRef("pk")))
        notes = count_of(Note.objects.filter(account=OuterRef("pk")))
        return Case(When(Exists(linked_elsewhere(OuterRef("pk"))), then=Value(None)), default=own + notes,
                    output_field=IntegerField())

    def page(self, account, user, number, today, total, params, prepared):
        """A page of the account's merged timeline, optionally of one kind (`?kind=`; "note" includes the
        account's notes)."""
        kind = params.get("kind", "")
        kind = kind if kind in TIMELINE_KINDS else ""
        kinds = (kind,) if kind else ()
        # A count from the counts query means nothing comes from elsewhere; it counts every kind.
        known = {"elsewhere": total is None, "total": None if kinds else total}
        entries, total = timeline(account, user, kinds, (number - 1) * TIMELINE_PAGE_SIZE, TIMELINE_PAGE_SIZE,
                                  **known)
        if not entries and number > 1 and total:
            number = clamp_page(number, total, TIMELINE_PAGE_SIZE)
            entries, total = timeline(account, user, kinds, (number - 1) * TIMELINE_PAGE_SIZE, TIMELINE_PAGE_SIZE,
                                      **known)
        now = clock.now()
        # What each row shows, worked out here once rather than by template filters per row: its link, its
        # day's heading and its time in the reader's time zone, the group ("to come", "earlier") it opens.
        note_url, activity_url, contact_url = pk_url("accounts:note_detail"), pk_url("activities:detail"), \
            pk_url("contacts:detail")
        day = upcoming = None
        for number_in_page, entry in enumerate(entries):
            record = entry.record
            entry.upcoming = entry.at > now
            entry.url = note_url(record.pk) if entry.is_note else activity_url(record.pk)
            local = timezone.localtime(entry.at)
            entry.datetime, entry.time = local.isoformat(), formats.time_format(local, "TIME_FORMAT")
            entry.opens_group = ("upcoming" if entry.upcoming else "earlier" if number_in_page else None) \
                if entry.upcoming != upcoming else None
            entry.day = local.date().isoformat() if local.date() != day else None
            if entry.day:
                entry.day_label = capfirst(formats.date_format(local, "l j F Y"))
            day, upcoming = local.date(), entry.upcoming
            entry.all_contacts = (
                ([record.contact] if record.contact_id else []) if entry.is_note else list(record.contacts.all())
            )
            for contact in entry.all_contacts:
                contact.url = contact_url(contact.pk)
        result = RelatedPage("timeline", entries, total, number, TIMELINE_PAGE_SIZE, self.fragment_url(account),
                             account.get_absolute_url(), params={"kind": kind} if kind else {})
        result.filters = [
            {
                "label": label, "current": value == kind,
                "hx_get": result.fragment_url + (f"?kind={value}" if value else ""),
                "href": result.page_url + (f"?kind={value}" if value else "") + "#timeline",
            }
            for value, label in TIMELINE_FILTERS
        ]
        return result

    def contacts(self, page):
        return [contact for entry in page.rows for contact in entry.all_contacts]

    def contacts_marked(self, page):
        for entry in page.rows:
            entry.contacts = [contact for contact in entry.all_contacts if contact.visible]
            entry.hidden_contacts = len(entry.all_contacts) - len(entry.contacts)


def contact_activities(contact, user) -> dict:
    """The contact's activities the user may see, newest first."""
    activities = (Activity.objects.visible_to(user).filter(contacts=contact).select_related("owner")
                  .order_by("-occurred_at", "-pk"))
    return {"rows": list(activities[:SHOWN]), "count": activities.count()}
