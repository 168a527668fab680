"""Project pages: the explorer grouped by customer with TP/TC/TF, the project page with its tasks."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from vinculo.accounts.models import Account
from vinculo.core import lists
from vinculo.core.access import get_for_user
from vinculo.core.lists import mark_visible
from vinculo.core.views import edit_page, visible_history

from ..forms import ProjectForm
from ..listing import ProjectList, with_task_counts
from ..models import Project, Task


@login_required
def project_list(request):
    """Every project the user may see, grouped by customer, with TP/TC/TF."""
    user = request.user
    listed = ProjectList(user, request.GET)
    projects = listed.narrow(Project.objects.visible_to(user).select_related("account", "owner"))
    page = Paginator(projects, settings.VINCULO["PAGE_SIZE"]).get_page(request.GET.get("page"))
    rows = mark_visible(page.object_list, user, "account", "account_visible")
    query = request.GET.copy()
    for key in list(query):
        if not any(value.strip() for value in query.getlist(key)):
            del query[key]
    return render(request, "work/project_list.html", {
        "projects": rows, "page_obj": page, "query": request.GET, "target": "project-results",
        "status": listed.status, "statuses": Project.Status.choices, "year": listed.year,
        "views_menu": lists.views_menu(request, "projects", query),
        "action_menus": lists.action_menus("projects", query, listed.chosen_columns()),
    })


@login_required
def project_detail(request, pk):
    user = request.user
    queryset = with_task_counts(Project.objects.select_related("account", "owner")).annotate(
        editable=Exists(Project.objects.editable_by(user).filter(pk=OuterRef("pk"))))
    project = get_for_user(queryset, user, pk)
    mark_visible([project], user, "account", "account_visible")
    tasks = (Task.objects.visible_to(user).filter(project=project)
             .select_related("responsible", "controller", "task_type", "account").worklist_order())
    return render(request, "work/project_detail.html", {
        "project": project, "tasks": list(tasks[:200]), "history": visible_history(project, user),
    })


@login_required
def project_create(request):
    user = request.user
    initial = {}
    if request.GET.get("account"):
        initial["account"] = get_for_user(Account, user, request.GET["account"]).pk
    form = ProjectForm(request.POST if request.method == "POST" else None, initial=initial, user=user)
    if request.method == "POST" and form.save_record():
        messages.success(request, _("Project “%(name)s” created.") % {"name": form.instance})
        return redirect(form.instance)
    return render(request, "work/project_form.html", {"form": form})


@login_required
def project_edit(request, pk):
    project = get_for_user(Project, request.user, pk, write=True)
    return edit_page(request, project, ProjectForm, "work/project_form.html", "work:project_edit", "project")
