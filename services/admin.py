from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import HotlineUnit, WorkOrder, WorkOrderImport


@admin.register(HotlineUnit)
class HotlineUnitAdmin(SimpleHistoryAdmin):
    list_display = ["name", "department"]
    list_filter = ["department"]
    search_fields = ["name"]
    autocomplete_fields = ["department"]


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ["number", "received_at", "unit", "category", "replied_at", "satisfaction"]
    list_filter = ["month", "channel"]
    search_fields = ["number"]
    show_full_result_count = False
    raw_id_fields = ["unit"]

    def has_change_permission(self, request, obj=None):
        return False  # work orders come from the hotline system's exports only


@admin.register(WorkOrderImport)
class WorkOrderImportAdmin(SimpleHistoryAdmin):
    list_display = ["created_at", "file_name", "imported_by", "rows", "created", "updated"]
    readonly_fields = [f.name for f in WorkOrderImport._meta.fields]
