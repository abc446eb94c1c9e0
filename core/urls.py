from django.contrib.auth import views as auth_views
from django.urls import path

from . import calendar_page, views

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:reminder_id>/", views.notification_open, name="notification_open"),
    path("reminders/", views.reminders, name="reminders"),
    path("supervision/calendar/", calendar_page.workday_calendar, name="workday_calendar"),
    path("files/<int:pk>/", views.file_download, name="file_download"),
    path("files/<int:pk>/delete/", views.file_delete, name="file_delete"),
]
