"""Task pages: the explorer, the creation wizard, the task page with its diary, marking done in place and
changing several at once."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vinculo.accounts.models import Account
from vinculo.contacts.models import Contact
from vinculo.core import clock, lists, subjects
from vinculo.core.access import can_edit, get_for_user, may_see
from vinculo.core.lists import CappedPaginator, mark_visible
from vinculo.core.subjects import mark_regarding_visible
from vinculo.core.views import edit_page, move_to_recycle_bin, visible_history

from .. import services
from ..explorer import OPEN, VIEWS, Worklist
from ..forms import SubjectStepForm, TaskForm, TimeEntryForm
from ..listing import TaskList
from ..models import Project, Task, TaskType, TimeEntry

# The subjects a task may be created from, as the wizard reads them from the URL (`?account=5`).
SUBJECT_PARAMS = ("project", "account", "contact", "lead", "opportunity")


def _subject_from(request):
    """The subject named in the URL, which the user must be able to see (404 otherwise); None without one."""
    models = {"project": Project, "account": Account, "contact": Contact}
    for name in SUBJECT_PARAMS:
        pk = request.GET.get(name)
        if pk:
            model = models.get(name) or subjects.registry.model_named(name)
            return name, get_for_user(model, request.user, pk)
    return None, None


@login_required
def task_list(request):
    user = request.user
    listed = TaskList(user, request.GET)
    tasks = listed.narrow()
    form, view, preset = listed.filter_form, listed.view, listed.preset
    if getattr(form, "cleaned_data", {}).get("status") == OPEN:
        tasks = Worklist(tasks)
    number = request.GET.get("page")
    page = CappedPaginator(tasks, settings.VINCULO["PAGE_SIZE"], cap=settings.VINCULO["EXACT_COUNT_UP_TO"],
                           number=number).get_page(number)
    rows = list(page.object_list)
    for task in rows:
        task.editable = True  # each view's tasks are the user's to change (explorer.in_view)
    rows = mark_visible(rows, user, "account", "account_visible")
    context = {
        "view": view, "views": VIEWS, "filter_form": form, "page_obj": page, "tasks": rows,
        "query": request.GET, "target": "task-results", "statuses": Task.Status.choices,
        "is_manager": get_user_model().objects.filter(manager=user, is_active=True).exists(),
        "people": get_user_model().objects.filter(is_active=True),
        "preset": preset,
    }
    query = request.GET.copy()
    for key in list(query):
        if not any(value.strip() for value in query.getlist(key)):
            del query[key]
    context["views_menu"] = lists.views_menu(request, "tasks", query)
    context["action_menus"] = lists.action_menus("tasks", query, listed.chosen_columns())
    template = "work/_task_results.html" if request.htmx and not request.htmx.boosted else "work/task_list.html"
    return render(request, template, context)


@login_required
@require_POST
def task_status(request, pk):
    """Change a task's status from a list (htmx: the row comes back)."""
    task = get_for_user(Task.objects.select_related("responsible", "controller", "task_type", "project", "account"),
                        request.user, pk, write=True)
    try:
        services.set_status(task, request.POST.get("status", ""), by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if request.htmx:
        task.editable = True
        mark_visible([task], request.user, "account", "account_visible")
        return render(request, "work/_task_row.html", {"task": task})
    return redirect(request.POST.get("next") if _safe(request.POST.get("next")) else task.get_absolute_url())


def _safe(url) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(url, allowed_hosts=None)


@login_required
@require_POST
def task_bulk(request):
    """Reassign or change the status of the tasks ticked in the explorer, where the user may change them."""
    user = request.user
    ids = [pk for pk in request.POST.getlist("task") if pk.isdigit()]
    tasks = list(Task.objects.visible_to(user).filter(pk__in=ids))
    status = request.POST.get("status") or None
    if status is not None and status not in Task.Status.values:
        status = None
    responsible = None
    if request.POST.get("responsible"):
        responsible = get_user_model().objects.filter(is_active=True, pk=request.POST["responsible"]).first()
        if responsible is None:
            messages.error(request, _("Choose an active user."))
    if tasks and (status or responsible):
        changed, refused = services.bulk_change(tasks, user, status=status, responsible=responsible)
        if changed:
            messages.success(request, _("%(count)d tasks changed.") % {"count": len(changed)})
        if refused:
            messages.warning(request, _("%(count)d tasks were left as they were: you may not change them so.")
                             % {"count": len(refused)})
    return redirect(request.POST.get("next") if _safe(request.POST.get("next")) else reverse("work:task_list"))


@login_required
def task_create(request):
    """The wizard: choose an account or a project, then a type, then the form prefilled by the type."""
    user = request.user
    name, subject = _subject_from(request)
    if subject is None:
        # Prefixed ("pick-account"): an unprefixed ?account= already names the subject.
        step = SubjectStepForm(request.GET if request.GET.get("step") else None, user=user, prefix="pick")
        if step.is_bound and step.is_valid():
            chosen = step.cleaned_data["project"] or step.cleaned_data["account"]
            key = "project" if step.cleaned_data["project"] else "account"
            return redirect(f"{reverse('work:task_create')}?{urlencode({key: chosen.pk})}")
        return render(request, "work/task_wizard_subject.html", {"form": step})
    types = TaskType.objects.filter(active=True)
    type_id = request.GET.get("type")
    if type_id is None:
        return render(request, "work/task_wizard_type.html", {
            "subject": subject, "subject_param": name, "types": types})
    instance = Task()
    if type_id.isdigit():
        task_type = types.filter(pk=type_id).first()
        if task_type is None:
            raise Http404("No such task type.")
        for field, value in services.preset(task_type, subject, by=user).items():
            setattr(instance, field, value)
        instance.title = task_type.name
    else:
        instance.responsible, instance.controller = user, user.manager or user
        instance.next_action_date = clock.today()
    form = TaskForm(request.POST if request.method == "POST" else None, instance=instance, user=user, subject=subject)
    if request.method == "POST" and form.save_record():
        messages.success(request, _("Task “%(name)s” created.") % {"name": form.instance})
        return redirect(form.instance)
    return render(request, "work/task_form.html", {"form": form, "subject": subject})


@login_required
def task_detail(request, pk):
    user = request.user
    queryset = Task.objects.select_related(
        "responsible", "controller", "creator", "task_type", "origin", "project", "account", "done_by",
        "regarding_type").annotate(editable=Exists(Task.objects.editable_by(user).filter(pk=OuterRef("pk"))))
    task = get_for_user(queryset, user, pk)
    subjects.load_subjects([task])
    mark_regarding_visible([task], user)
    mark_visible([task], user, "account", "account_visible")
    diary = TimeEntry.objects.visible_to(user).filter(task=task).select_related("user")
    form = TimeEntryForm(user=user, task=task)
    return render(request, "work/task_detail.html", _detail_context(task, user, diary, form))


def _detail_context(task, user, diary, time_form) -> dict:
    return {
        "task": task, "diary": list(diary), "total_minutes": diary.aggregate(total=Sum("minutes"))["total"] or 0,
        "time_form": time_form, "history": visible_history(task, user),
        "project_visible": task.project_id is not None and may_see(user, task.project),
    }


@login_required
def task_edit(request, pk):
    task = get_for_user(Task, request.user, pk, write=True)
    return edit_page(request, task, TaskForm, "work/task_form.html", "work:task_edit", "task")


@login_required
@require_POST
def task_delete(request, pk):
    task = get_for_user(Task, request.user, pk, write=True)
    move_to_recycle_bin(request, task)
    return redirect("work:task_list")


@login_required
@require_POST
def time_create(request, pk):
    """Log time on the task (its page's form); a refused entry comes back on the page with its errors."""
    user = request.user
    task = get_for_user(Task.objects.select_related("responsible", "controller", "creator", "task_type", "origin",
                                                    "project", "account", "done_by", "regarding_type"), user, pk)
    form = TimeEntryForm(request.POST, user=user, task=task)
    if form.save_record():
        messages.success(request, _("%(minutes)s minutes logged.") % {"minutes": form.instance.minutes})
        return redirect(f"{task.get_absolute_url()}#diary")
    task.editable = can_edit(user, task)
    subjects.load_subjects([task])
    mark_regarding_visible([task], user)
    mark_visible([task], user, "account", "account_visible")
    diary = TimeEntry.objects.visible_to(user).filter(task=task).select_related("user")
    return render(request, "work/task_detail.html", _detail_context(task, user, diary, form), status=422)


@login_required
@require_POST
def time_delete(request, pk):
    entry = get_for_user(TimeEntry, request.user, pk, write=True)
    move_to_recycle_bin(request, entry)
    return redirect(f"{reverse('work:task_detail', args=[entry.task_id])}#diary")
