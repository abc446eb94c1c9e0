from django.urls import path

from .views import actions, dashboard, items, ledger, plans, reports, tasks

urlpatterns = [
    path("", tasks.home, name="home"),
    path("plans/import/", plans.plan_import, name="plan_import"),
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/new/", items.task_new, name="task_new"),
    path("tasks/<int:pk>/milestones/", items.task_milestones, name="task_milestones"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    path("tasks/<int:pk>/report/<str:month>/", reports.report_form, name="report_form"),
    path("tasks/<int:pk>/report/<str:month>/review/", reports.report_review, name="report_review"),
    path("tasks/<int:pk>/partner/<str:month>/", actions.partner_note, name="partner_note"),
    path("tasks/<int:pk>/history/", tasks.task_history, name="task_history"),
    path("tasks/<int:pk>/listing/", actions.task_listing, name="task_listing"),
    path("tasks/<int:pk>/remind/", actions.task_remind, name="task_remind"),
    path("tasks/<int:pk>/close/", items.task_close, name="task_close"),
    path("tasks/<int:pk>/instructions/", actions.instruction_create, name="instruction_create"),
    path(
        "tasks/<int:pk>/instructions/<int:instruction_id>/answer/",
        actions.instruction_answer,
        name="instruction_answer",
    ),
    path(
        "tasks/<int:pk>/milestones/<int:milestone_id>/",
        actions.milestone_update,
        name="milestone_update",
    ),
    path("reports/", reports.department_reports_latest, name="department_reports_latest"),
    path("reports/<str:month>/", reports.department_reports, name="department_reports"),
    path("dashboard/", dashboard.dashboard_view, name="dashboard"),
    path("dashboard/close/", dashboard.month_close, name="month_close"),
    path("dashboard/reopen/", dashboard.month_reopen, name="month_reopen"),
    path("public/", dashboard.public_index, name="public"),
    path("public/<str:month>/", dashboard.public_month, name="public_month"),
    path("supervision/ledger/", ledger.ledger, name="ledger"),
    path("supervision/ledger.xlsx", ledger.ledger_xlsx, name="ledger_xlsx"),
    path("reports/<str:month>/sheet.xlsx", ledger.report_sheet, name="report_sheet"),
    path("reports/<str:month>/upload/", ledger.report_upload, name="report_upload"),
]
