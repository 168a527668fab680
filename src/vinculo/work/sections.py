"""What work adds to the pages of lower apps (registered in WorkConfig.ready()): the account page's
projects (with TP/TC/TF) and open tasks, the contact page's tasks."""

from django.utils.translation import gettext_lazy as _

from vinculo.accounts.page import RelatedList, Section, page_of
from vinculo.contacts.page import SHOWN

from .listing import with_task_counts
from .models import Project, Task

# Every project of an account the user may see is visible to them (the project's policy inherits the account's).
projects = RelatedList(
    "projects", Project,
    lambda account, today: with_task_counts(Project.objects.filter(account=account).select_related("owner"))
    .order_by("-year", "name", "pk"),
    _("Projects"), template="work/_account_projects.html", order=45,
)


class AccountTasks(Section):
    """The account's open tasks the user may see (a task's readers are its people and its subject's), by
    priority and next action."""

    key = "tasks"
    label = _("Tasks")
    template = "work/_account_tasks.html"
    order = 46
    shared_count = False  # only the tasks the user may see

    def prepare(self, account, user):
        return Task.objects.visible_to(user, per_row=True).open().filter(account=account)

    def page(self, account, user, number, today, total, params, prepared):
        rows = prepared.select_related("responsible", "task_type").worklist_order()
        return page_of(self, rows, total, number, account)


tasks = AccountTasks()


def contact_tasks(contact, user) -> dict:
    """The tasks about the contact that the user may see, open ones by priority and next action."""
    found = (Task.objects.visible_to(user, per_row=True).regarding(contact).open()
             .select_related("responsible").worklist_order())
    return {"rows": list(found[:SHOWN]), "count": found.count()}
