"""Task types and origins administered in the app (not only in /admin/), for users with the *administer
organisation* permission (superusers have it); others get 403. A type in use is taken out of use, never
deleted: its tasks keep it."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from vinculo.org import twofactor
from vinculo.org.admin_views import edit_one_of

from ..models import TaskOrigin, TaskType


class TaskTypeForm(forms.ModelForm):
    class Meta:
        model = TaskType
        fields = ["name", "description", "origin", "responsible_rule", "controller_rule", "priority",
                  "next_action_days", "due_days", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        keep = self.instance.origin_id
        origins = TaskOrigin.objects.filter(active=True)
        self.fields["origin"].queryset = (origins | TaskOrigin.objects.filter(pk=keep)) if keep else origins

    def clean(self):
        cleaned = super().clean()
        next_days, due_days = cleaned.get("next_action_days"), cleaned.get("due_days")
        if next_days is not None and due_days is not None and due_days < next_days:
            self.add_error("due_days", _("The task would be due before its next action."))
        return cleaned


class TaskOriginForm(forms.ModelForm):
    class Meta:
        model = TaskOrigin
        fields = ["name", "active"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


FORMS = {"type": (TaskTypeForm, TaskType), "origin": (TaskOriginForm, TaskOrigin)}


@login_required
def types_page(request, kind=None, pk=None):
    """The task types with their rules and the origins; each added or changed on this page (`kind` and `pk`
    name the one being edited), every change in its history."""
    if not twofactor.is_admin(request.user):
        raise PermissionDenied
    forms_, editing, saved = edit_one_of(request, FORMS, kind, pk)
    if saved:
        return redirect("work:types")
    return render(request, "work/types.html", {
        "types": TaskType.objects.select_related("origin").annotate(task_count=Count("tasks")),
        "origins": TaskOrigin.objects.all(), "forms": forms_, "editing": editing, "kind": kind,
    }, status=422 if kind and request.method == "POST" else 200)
