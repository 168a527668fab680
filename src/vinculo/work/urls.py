from django.urls import path

from .views import calendar, projects, reports, tasks, types

app_name = "work"
urlpatterns = [
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/new/", tasks.task_create, name="task_create"),
    path("tasks/bulk/", tasks.task_bulk, name="task_bulk"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", tasks.task_edit, name="task_edit"),
    path("tasks/<int:pk>/status/", tasks.task_status, name="task_status"),
    path("tasks/<int:pk>/delete/", tasks.task_delete, name="task_delete"),
    path("tasks/<int:pk>/time/", tasks.time_create, name="time_create"),
    path("time/<int:pk>/delete/", tasks.time_delete, name="time_delete"),
    path("projects/", projects.project_list, name="project_list"),
    path("projects/new/", projects.project_create, name="project_create"),
    path("projects/<int:pk>/", projects.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", projects.project_edit, name="project_edit"),
    path("projects/<int:pk>/report.pdf", reports.project_pdf, name="project_pdf"),
    path("types/", types.types_page, name="types"),
    path("types/<str:kind>/new/", types.types_page, name="types_add"),
    path("types/<str:kind>/<int:pk>/", types.types_page, name="types_edit"),
    path("time/", reports.time_report, name="time_report"),
    path("time/export.xlsx", reports.time_report_xlsx, name="time_report_xlsx"),
    path("calendar/", calendar.calendar_page, name="calendar"),
    path("calendar/feed/rotate/", calendar.rotate_feed, name="calendar_rotate"),
    path("calendar/feed/<str:token>.ics", calendar.feed, name="calendar_feed"),
    path("tasks/<int:pk>/reschedule/", calendar.reschedule, name="task_reschedule"),
    path("tasks/<int:pk>.ics", calendar.task_ics, name="task_ics"),
]
