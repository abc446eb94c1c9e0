from django.urls import path

from . import views, views_dashboard, views_ledger, views_plans, views_reminders

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("plans/import/", views_plans.plan_import, name="plan_import"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/report/<str:month>/", views.report_form, name="report_form"),
    path("tasks/<int:pk>/report/<str:month>/review/", views.report_review, name="report_review"),
    path("tasks/<int:pk>/partner/<str:month>/", views.partner_note, name="partner_note"),
    path("tasks/<int:pk>/history/", views.task_history, name="task_history"),
    path("tasks/<int:pk>/listing/", views.task_listing, name="task_listing"),
    path("tasks/<int:pk>/remind/", views.task_remind, name="task_remind"),
    path("tasks/<int:pk>/close/", views.task_close, name="task_close"),
    path("tasks/<int:pk>/instructions/", views.instruction_create, name="instruction_create"),
    path(
        "tasks/<int:pk>/instructions/<int:instruction_id>/answer/",
        views.instruction_answer,
        name="instruction_answer",
    ),
    path(
        "tasks/<int:pk>/milestones/<int:milestone_id>/",
        views.milestone_update,
        name="milestone_update",
    ),
    path("reports/", views.department_reports_latest, name="department_reports_latest"),
    path("reports/<str:month>/", views.department_reports, name="department_reports"),
    path("dashboard/", views_dashboard.dashboard_view, name="dashboard"),
    path("dashboard/close/", views_dashboard.month_close, name="month_close"),
    path("dashboard/reopen/", views_dashboard.month_reopen, name="month_reopen"),
    path("public/", views_dashboard.public_index, name="public"),
    path("public/<str:month>/", views_dashboard.public_month, name="public_month"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:reminder_id>/", views.notification_open, name="notification_open"),
    path("reminders/", views_reminders.reminders, name="reminders"),
    path("supervision/ledger/", views_ledger.ledger, name="ledger"),
    path("supervision/ledger.xlsx", views_ledger.ledger_xlsx, name="ledger_xlsx"),
    path("reports/<str:month>/sheet.xlsx", views_ledger.report_sheet, name="report_sheet"),
    path("reports/<str:month>/upload/", views_ledger.report_upload, name="report_upload"),
]
