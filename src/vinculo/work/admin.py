from django.contrib import admin

from vinculo.core.admin import SuperuserOnlyAdmin

from .models import TaskOrigin, TaskType


@admin.register(TaskType)
class TaskTypeAdmin(SuperuserOnlyAdmin):
    """Task types and their rules: who does a task of the type, who checks it, its priority and when its next
    action falls. A type in use cannot be deleted; take it out of use instead."""

    list_display = ("name", "responsible_rule", "controller_rule", "priority", "next_action_days", "due_days",
                    "origin", "active")
    list_editable = ("active",)
    list_filter = ("active", "responsible_rule")
    search_fields = ("name",)


@admin.register(TaskOrigin)
class TaskOriginAdmin(SuperuserOnlyAdmin):
    list_display = ("name", "active")
    list_editable = ("active",)
    search_fields = ("name",)
