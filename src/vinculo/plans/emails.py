"""E-mails about a plan's workflow: each notification a transition made (submitted → the reviewers; returned,
approved, expired → the owner) is e-mailed to its recipient after the transition commits, by an event
handler (core.events), in the recipient's language — if they may still see the plan (the access policy's
inverse query), are active, have an address and have not switched the notice off on their profile."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from vinculo.core import events
from vinculo.core.money import override_country

from .models import BusinessPlan, Notification

# The key of these e-mails among a user's notification choices (org.models.register_notification).
PLAN_EMAILS = "plans"


def site_url() -> str:
    return settings.VINCULO_SITE_URL.rstrip("/")


def render(notice: Notification) -> EmailMessage:
    """The e-mail of `notice`, written in its recipient's language and way of writing money."""
    recipient = notice.recipient
    with translation.override(recipient.language or settings.LANGUAGE_CODE), override_country(
            recipient.office_country()):
        context = {"notice": notice, "plan": notice.plan, "recipient": recipient,
                   "link": site_url() + notice.plan.get_absolute_url()}
        subject = " ".join(render_to_string("plans/email/notification_subject.txt", context).split())
        body = render_to_string("plans/email/notification.txt", context)
    return EmailMessage(subject, body, None, [recipient.email])


def wants_email(user) -> bool:
    return bool(user.is_active and user.email and user.wants_notification(PLAN_EMAILS))


def send_plan_emails(event: events.Event) -> int:
    """Event handler (a plan's transition): e-mail the plan's pending notifications, each once; the number
    sent. A retry after a failure finds only what is still pending."""
    pending = list(Notification.objects.filter(plan_id=event.record_id, email_pending=True)
                   .select_related("recipient", "actor", "plan__account", "plan__owner").order_by("pk"))
    if not pending:
        return 0
    plan = pending[0].plan
    may_see = set(BusinessPlan.policy.users_who_may_see(plan).filter(
        pk__in={notice.recipient_id for notice in pending}).values_list("pk", flat=True))
    if plan.deleted_at is not None:
        may_see = set()  # in the recycle bin: nobody is told about it
    messages = [render(notice) for notice in pending if notice.recipient_id in may_see and wants_email(notice.recipient)]
    Notification.objects.filter(pk__in=[notice.pk for notice in pending]).update(email_pending=False)
    if messages:
        from django.core.mail import get_connection

        get_connection().send_messages(messages)
    return len(messages)
