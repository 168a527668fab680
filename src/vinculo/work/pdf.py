"""The printable project report (reportlab platypus): the project, its tasks with their status, and each
task's diary — what a rep reads before visiting the customer. Only what the reader may see."""

import io

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from vinculo.core.access import HIDDEN_RECORD, may_see
from vinculo.core.pdf import MUTED, RULE, SHADE, fonts, paragraph_text

from .models import Task, TimeEntry


def project_pdf(project, user) -> bytes:
    """A few queries whatever the project holds: its tasks, their diaries, the customer's visibility."""
    regular, bold = fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=12)
    heading = ParagraphStyle("heading", parent=body, fontName=bold, fontSize=15, leading=19, spaceAfter=4)
    subheading = ParagraphStyle("subheading", parent=body, fontName=bold, fontSize=11, leading=14, spaceBefore=8)
    muted = ParagraphStyle("muted", parent=body, textColor=MUTED)
    tasks = list(Task.objects.visible_to(user).filter(project=project)
                 .select_related("responsible", "controller").worklist_order())
    diary = {}
    for entry in (TimeEntry.objects.visible_to(user).filter(task__in=[task.pk for task in tasks])
                  .select_related("user").order_by("-date", "-created_at", "-pk")):
        diary.setdefault(entry.task_id, []).append(entry)
    customer = project.account if may_see(user, project.account) else HIDDEN_RECORD
    story = [
        Paragraph(paragraph_text(project.name), heading),
        Paragraph(paragraph_text(f"{_('Customer')}: {customer} · {project.get_kind_display()} · {project.year} · "
                        f"{project.get_status_display()}"), body),
        Paragraph(paragraph_text(f"{_('Owner')}: {project.owner}"), muted),
        Spacer(1, 4 * mm),
    ]
    counts = [[_("Pending"), _("In progress"), _("Finished")],
              [sum(t.status == Task.Status.PENDING for t in tasks), sum(t.status == Task.Status.IN_PROGRESS for t in tasks),
               sum(t.status == Task.Status.DONE for t in tasks)]]
    table = Table(counts, colWidths=[40 * mm] * 3)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), regular, 9), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                               ("GRID", (0, 0), (-1, -1), 0.5, RULE)]))
    story.append(table)
    if not tasks:
        story.append(Paragraph(paragraph_text(_("No tasks in this project that you can see.")), muted))
    for task in tasks:
        story.append(Paragraph(paragraph_text(f"{task.title} — {task.get_status_display()}"), subheading))
        story.append(Paragraph(paragraph_text(
            f"{_('Responsible')}: {task.responsible} · {_('Controller')}: {task.controller} · "
            f"{_('Next action')}: {task.next_action_date.isoformat()} · {_('Priority')}: {task.get_priority_display()}"),
            muted))
        if task.description:
            story.append(Paragraph(paragraph_text(task.description), body))
        for entry in diary.get(task.pk, []):
            story.append(Paragraph(paragraph_text(
                f"{entry.date.isoformat()} · {entry.user} · {entry.minutes} min" + (f": {entry.comment}" if entry.comment else "")),
                body))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=project.name, leftMargin=18 * mm, rightMargin=18 * mm,
                      topMargin=16 * mm, bottomMargin=16 * mm).build(story)
    return buffer.getvalue()
