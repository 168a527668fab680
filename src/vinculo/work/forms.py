from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Account
from vinculo.core import clock
from vinculo.core.forms import DateInput, RecordChooser, RecordForm, active_users, label_unseen_choice

from . import services
from .models import Project, Task, TaskOrigin, TaskType, TimeEntry


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


TASK_FIELDSETS = (
    (_("The task"), ("title", "task_type", "origin", "priority", "status", "description")),
    (_("Who"), ("responsible", "controller")),
    (_("When"), ("next_action_date", "next_action_time", "due_date")),
)


class TaskForm(RecordForm):
    """Creates or edits a task about a subject chosen before (the wizard's first step). The creator is
    never a field: it is whoever creates the task."""

    fieldsets = TASK_FIELDSETS

    class Meta:
        model = Task
        fields = [name for _legend, names in TASK_FIELDSETS for name in names]
        widgets = {
            "next_action_date": DateInput(), "due_date": DateInput(), "next_action_time": TimeInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, subject=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        instance = self.instance
        self.subject = subject
        self.fields["responsible"].queryset = active_users(keep=instance.responsible_id)
        self.fields["controller"].queryset = active_users(keep=instance.controller_id)
        types = TaskType.objects.filter(active=True)
        origins = TaskOrigin.objects.filter(active=True)
        if instance.task_type_id:
            types = types | TaskType.objects.filter(pk=instance.task_type_id)
        if instance.origin_id:
            origins = origins | TaskOrigin.objects.filter(pk=instance.origin_id)
        self.fields["task_type"].queryset, self.fields["origin"].queryset = types, origins
        if not instance.pk:
            del self.fields["status"]

    def write(self) -> None:
        if self.instance.pk is None:
            if isinstance(self.subject, Project):
                self.instance.project = self.subject
            else:
                self.instance.regarding = self.subject
            services.create_task(self.instance, by=self.user)
        else:
            services.update_task(self.instance, by=self.user, expected_version=self.cleaned_data["version"])


class SubjectStepForm(forms.Form):
    """The wizard's first step: an account (found by name) or one of the projects the user may see."""

    account = forms.ModelChoiceField(label=capfirst(_("account")), required=False, queryset=Account.objects.none(),
                                     widget=RecordChooser("accounts:autocomplete"))
    project = forms.ModelChoiceField(label=capfirst(_("project")), required=False, queryset=Project.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.visible_to(user)
        self.fields["project"].queryset = (Project.objects.visible_to(user).exclude(status=Project.Status.CLOSED)
                                           .select_related("account").order_by("account__legal_name", "-year", "name"))
        self.fields["project"].label_from_instance = lambda project: f"{project.account} · {project}"

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("account") and not cleaned.get("project"):
            raise forms.ValidationError(_("Choose an account or a project."))
        return cleaned


PROJECT_FIELDSETS = (
    (_("The project"), ("account", "name", "kind", "year", "status", "owner")),
    (_("Plan"), ("planned_start", "planned_end")),
)


class ProjectForm(RecordForm):
    fieldsets = PROJECT_FIELDSETS

    class Meta:
        model = Project
        fields = [name for _legend, names in PROJECT_FIELDSETS for name in names]
        widgets = {"account": RecordChooser("accounts:autocomplete"), "planned_start": DateInput(),
                   "planned_end": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        instance = self.instance
        accounts = Account.objects.visible_to(user)
        if instance.account_id:
            accounts = accounts | Account.objects.filter(pk=instance.account_id)
        self.fields["account"].queryset = accounts
        label_unseen_choice(self.fields["account"], user, instance.account_id)
        self.fields["owner"].queryset = active_users(keep=instance.owner_id)
        if not instance.pk:
            self.initial.setdefault("owner", user.pk)

    def write(self) -> None:
        if self.instance.pk is None:
            services.create_project(self.instance, by=self.user)
        else:
            super().write()


class TimeEntryForm(RecordForm):
    """Logs time on the task the page shows (the task is not a field: it is the page's)."""

    fieldsets = ((_("Log time"), ("date", "minutes", "user", "comment")),)

    class Meta:
        model = TimeEntry
        fields = ["date", "minutes", "user", "comment"]
        widgets = {"date": DateInput(), "comment": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, task=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if task is not None:
            self.instance.task = task
        self.fields["user"].queryset = active_users(keep=self.instance.user_id)
        self.fields["user"].required = False
        if not self.instance.pk:
            self.initial.setdefault("date", clock.today())
            self.initial.setdefault("user", user.pk)

    def write(self) -> None:
        if self.instance.pk is None:
            services.log_time(self.instance, by=self.user)
        else:
            services.update_time(self.instance, by=self.user, expected_version=self.cleaned_data["version"])
