from django.contrib import admin

from core.admin import HistoryAdmin

from . import models


@admin.register(models.EmergencyPlan)
class EmergencyPlanAdmin(HistoryAdmin):
    list_display = ["name", "level", "department", "next_revision_due", "status"]
    list_filter = ["level", "status"]
    raw_id_fields = ["task"]


@admin.register(models.Drill)
class DrillAdmin(HistoryAdmin):
    list_display = ["title", "department", "planned_on", "held_on"]
    raw_id_fields = ["task"]


@admin.register(models.DrillProblem)
class DrillProblemAdmin(HistoryAdmin):
    list_display = ["description", "department", "deadline", "done_on"]


@admin.register(models.Supply)
class SupplyAdmin(HistoryAdmin):
    list_display = ["item", "location", "quantity", "minimum", "department"]
    raw_id_fields = ["task"]


@admin.register(models.IncidentReport)
class IncidentReportAdmin(HistoryAdmin):
    list_display = ["title", "level", "department", "occurred_at", "phoned_at", "written_at"]
    raw_id_fields = ["task"]
