from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import models


class HistoryAdmin(SimpleHistoryAdmin):
    """Every admin page of ours shows the row's history (修改历史)."""


@admin.register(models.Department)
class DepartmentAdmin(HistoryAdmin):
    list_display = ["name", "short_name", "kind", "sort_order", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name"]


@admin.register(models.Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["subject", "kind", "recipient", "channel", "sent_at", "read_at"]
    list_filter = ["kind", "channel"]
    list_select_related = ["recipient"]
    search_fields = ["subject", "key"]
    raw_id_fields = ["recipient"]
    readonly_fields = ["key", "created_at", "content_type", "object_id", "url", "label"]


@admin.register(models.WorkdayOverride)
class WorkdayOverrideAdmin(HistoryAdmin):
    list_display = ["day", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "day"


@admin.register(models.CalendarYear)
class CalendarYearAdmin(HistoryAdmin):
    list_display = ["year", "note"]
