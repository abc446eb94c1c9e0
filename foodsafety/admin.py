from django.contrib import admin

from core.admin import HistoryAdmin

from . import models


@admin.register(models.Campaign)
class CampaignAdmin(HistoryAdmin):
    list_display = ["name", "kind", "department", "starts_on", "ends_on"]
    raw_id_fields = ["task"]


@admin.register(models.Inspection)
class InspectionAdmin(HistoryAdmin):
    list_display = ["place", "category", "district", "inspected_on", "rectify_by", "rectified_on"]
    list_filter = ["category", "district"]
    raw_id_fields = ["task"]


@admin.register(models.Accident)
class AccidentAdmin(HistoryAdmin):
    list_display = ["title", "level", "occurred_at", "department"]
    raw_id_fields = ["task"]
