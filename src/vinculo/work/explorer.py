"""The task explorer's query: one of four views ("to do", "to control", "created by me", "my team"),
filtered on any field, in the worklist order (priority, then next action)."""

from django import forms
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.core import clock
from vinculo.core.access import subordinate_ids
from vinculo.core.forms import DateInput, active_users
from vinculo.core.lists import ListFilterForm

from .models import Priority, Project, Task, TaskOrigin, TaskType, worklist_key

VIEWS = {
    "todo": _("To do"),
    "control": _("To control"),
    "created": _("Created by me"),
    "team": _("My team"),
}
OPEN = "open"


def in_view(queryset, view: str, user):
    """The tasks of `view` for `user` ("team": the tasks whose responsible is below `user`). Each view is a
    clause of the task's access policy — the responsible, the controller, the creator and the users above
    each may see and change a task — so every task of a view is one `user` may see and change: the
    explorer needs neither `visible_to` nor `editable_by` (building them costs more than the page's queries
    on 500,000 tasks; a test holds the views to the policy)."""
    if view == "control":
        return queryset.filter(controller=user)
    if view == "created":
        return queryset.filter(creator=user)
    if view == "team":
        return queryset.filter(responsible__in=subordinate_ids(user))
    return queryset.filter(responsible=user)


class TaskFilterForm(ListFilterForm):
    status = forms.ChoiceField(label=capfirst(_("status")), required=False,
                               choices=[(OPEN, _("Open")), ("", _("Any status")), *Task.Status.choices])
    priority = forms.TypedChoiceField(label=capfirst(_("priority")), required=False, coerce=int,
                                      choices=[("", _("Any priority")), *Priority.choices])
    task_type = forms.ModelChoiceField(label=capfirst(_("type")), required=False, queryset=TaskType.objects.all(),
                                       empty_label=_("Any type"))
    origin = forms.ModelChoiceField(label=capfirst(_("origin")), required=False, queryset=TaskOrigin.objects.all(),
                                    empty_label=_("Any origin"))
    project = forms.ModelChoiceField(label=capfirst(_("project")), required=False, queryset=Project.objects.none(),
                                     widget=forms.HiddenInput)
    responsible = forms.ModelChoiceField(label=capfirst(_("responsible")), required=False,
                                         queryset=active_users(), empty_label=_("Anyone"))
    controller = forms.ModelChoiceField(label=capfirst(_("controller")), required=False,
                                        queryset=active_users(), empty_label=_("Anyone"))
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    next_from = forms.DateField(label=_("Next action from"), required=False, widget=DateInput())
    next_to = forms.DateField(label=_("Next action to"), required=False, widget=DateInput())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        # Only a filtered project is looked up (among those the user may see).
        if self.is_bound and self.data.get("project"):
            self.fields["project"].queryset = Project.objects.visible_to(user)

    def filter_q(self, queryset, value):
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_status(self, queryset, value):
        return queryset.open() if value == OPEN else queryset.filter(status=value)

    def filter_overdue(self, queryset, value):
        return queryset.overdue(clock.today()) if value else queryset

    def filter_next_from(self, queryset, value):
        return queryset.filter(next_action_date__gte=value)

    def filter_next_to(self, queryset, value):
        return queryset.filter(next_action_date__lte=value)


class Worklist:
    """The open tasks of `tasks` (a queryset in the worklist order) for a paginator, each page read one open
    status at a time: each status is a range of the person's (person, status, priority, next action) index,
    read in order and stopped at the page's end, where both statuses at once would sort every open task of
    the view first (bench/: a manager controls tens of thousands on 500,000 tasks). A page past the n-th
    reads n pages of each status."""

    def __init__(self, tasks):
        self.tasks = tasks

    def order_by(self, *fields):
        # What CappedPaginator counts (core.lists.capped_count).
        return self.tasks.order_by(*fields)

    def count(self) -> int:
        return self.tasks.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.stop is None:
            raise TypeError("A worklist is read by slices with an end.")
        found = [task for status in Task.OPEN for task in self.tasks.filter(status=status)[:index.stop]]
        found.sort(key=worklist_key)
        return found[index]


def explore(user, view: str, data, tasks=None):
    """(filter form, the tasks of `view` (among `tasks`, all by default) matching it in the worklist order, as
    a queryset)."""
    data = data.copy()
    data.setdefault("status", OPEN)
    form = TaskFilterForm(data, user=user)
    tasks = in_view(tasks if tasks is not None else Task.objects.all(), view, user)
    tasks = form.apply(tasks).select_related("responsible", "controller", "task_type", "project", "account")
    return form, tasks.worklist_order()
