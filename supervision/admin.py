from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import HistoryAdmin

from . import derived, models
from .forms import SchemeCriterionForm


class DerivedAdmin(HistoryAdmin):
    """The admin of a task, or of a row its stored status derives from (reports, 节点,
    listings): the task's status is refreshed inside the admin's transaction, as every other
    writer does (supervision/derived.py)."""

    @staticmethod
    def task_ids(objects):
        return [obj.pk if isinstance(obj, models.Task) else obj.task_id for obj in objects]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        derived.changed(self.task_ids([form.instance]))

    def delete_model(self, request, obj):
        ids = self.task_ids([obj])
        super().delete_model(request, obj)
        derived.changed(ids)  # a deleted task has no row left to refresh

    def delete_queryset(self, request, queryset):
        ids = self.task_ids(queryset)
        super().delete_queryset(request, queryset)
        derived.changed(ids)


@admin.register(models.User)
class UserAdmin(BaseUserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "full_name", "department", "email", "is_active", "is_staff"]
    list_filter = ["groups", "department", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "email"]
    list_select_related = ["department"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("单位信息", {"fields": ["full_name", "department", "phone"]}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        ("单位信息", {"fields": ["full_name", "department", "email"]}),
    )


@admin.register(models.DepartmentKeyword)
class DepartmentKeywordAdmin(HistoryAdmin):
    list_display = ["keyword", "department", "priority"]
    list_editable = ["priority"]
    list_select_related = ["department"]
    search_fields = ["keyword", "department__name"]
    autocomplete_fields = ["department"]


class ProjectInline(admin.TabularInline):
    model = models.Project
    extra = 0
    fields = ["number", "title"]
    show_change_link = True


@admin.register(models.Plan)
class PlanAdmin(HistoryAdmin):
    list_display = ["year", "title", "updated_at"]
    search_fields = ["title"]
    readonly_fields = ["source_sha256"]
    inlines = [ProjectInline]


@admin.register(models.Project)
class ProjectAdmin(HistoryAdmin):
    list_display = ["__str__", "plan"]
    list_filter = ["plan"]
    list_select_related = ["plan"]
    search_fields = ["title", "summary"]


class MeasureInline(admin.TabularInline):
    model = models.Measure
    extra = 0


class MilestoneInline(admin.TabularInline):
    model = models.Milestone
    extra = 0


class IndicatorInline(admin.TabularInline):
    model = models.Indicator
    extra = 0


@admin.register(models.Task)
class TaskAdmin(DerivedAdmin):
    list_display = [
        "code",
        "title",
        "project",
        "lead_department",
        "due_date",
        "status",
        "percent",
        "is_public",
    ]
    list_filter = ["source", "year", "project", "status", "lead_department", "is_public"]
    list_select_related = ["project", "lead_department"]
    search_fields = ["code", "title", "text"]
    autocomplete_fields = ["lead_department", "partner_departments", "responsible_leader"]
    raw_id_fields = ["parent", "origin_instruction", "linked_project"]
    readonly_fields = ["code", "year"]
    inlines = [MeasureInline, MilestoneInline, IndicatorInline]


@admin.register(models.Milestone)
class MilestoneAdmin(DerivedAdmin):
    list_display = ["title", "task", "due_date", "status", "completed_on"]
    list_filter = ["status"]
    list_select_related = ["task"]
    search_fields = ["title", "task__title"]
    raw_id_fields = ["task"]


@admin.register(models.Indicator)
class IndicatorAdmin(DerivedAdmin):  # the month roll-ups count indicators met
    list_display = [
        "name",
        "task",
        "comparison",
        "target",
        "reference",
        "unit",
        "actual",
        "as_of_month",
    ]
    list_select_related = ["task"]
    search_fields = ["name", "task__title"]
    raw_id_fields = ["task"]


class IndicatorValueInline(admin.TabularInline):
    model = models.IndicatorValue
    extra = 0
    raw_id_fields = ["indicator"]


@admin.register(models.MonthlyReport)
class MonthlyReportAdmin(DerivedAdmin):
    list_display = ["task", "month", "status", "percent", "submitted_by", "submitted_at"]
    list_filter = ["status", "month"]
    list_select_related = ["task", "submitted_by"]
    search_fields = ["task__title", "progress"]
    raw_id_fields = ["task", "submitted_by", "reviewed_by"]
    date_hierarchy = "month"
    inlines = [IndicatorValueInline]


@admin.register(models.Listing)
class ListingAdmin(DerivedAdmin):
    list_display = ["task", "level", "deadline", "is_public", "listed_by", "lifted_at"]
    list_filter = ["level", "is_public"]
    list_select_related = ["task", "listed_by"]
    raw_id_fields = ["task", "listed_by", "lifted_by"]


@admin.register(models.Instruction)
class InstructionAdmin(HistoryAdmin):
    list_display = ["task", "leader", "created_at", "responded_at"]
    list_select_related = ["task", "leader"]
    raw_id_fields = ["task", "leader", "responded_by"]


@admin.register(models.DepartmentAlias)
class DepartmentAliasAdmin(HistoryAdmin):
    list_display = ["alias", "department"]
    list_select_related = ["department"]
    search_fields = ["alias", "department__name"]
    autocomplete_fields = ["department"]


@admin.register(models.PlanCorrection)
class PlanCorrectionAdmin(HistoryAdmin):
    list_display = ["__str__", "updated_at"]


class SchemeCriterionInline(admin.TabularInline):
    model = models.SchemeCriterion
    form = SchemeCriterionForm
    extra = 1


@admin.register(models.ScoringScheme)
class ScoringSchemeAdmin(HistoryAdmin):
    """目标绩效考核方案: criteria, weights and rule parameters, edited by admins here."""

    list_display = ["year", "title", "in_bulletin", "updated_at"]
    inlines = [SchemeCriterionInline]


@admin.register(models.Bulletin)
class BulletinAdmin(HistoryAdmin):
    """Issued bulletins are final: the admin shows them and their history."""

    list_display = ["__str__", "month", "status", "issued_by", "issued_at"]
    list_filter = ["status"]
    list_select_related = ["issued_by"]
    readonly_fields = [
        "plan",
        "month",
        "number",
        "status",
        "generated_by",
        "issued_by",
        "issued_at",
    ]

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_issued:  # issued is final, here as on its page
            return [f.name for f in obj._meta.fields]
        return self.readonly_fields


# --- issue 12: the escalation ladder's rule table, and the procedure's records ---------------


@admin.register(models.LadderRule)
class LadderRuleAdmin(HistoryAdmin):
    list_display = ["name", "pattern", "threshold", "action", "is_active"]
    list_editable = ["threshold", "action", "is_active"]
    list_filter = ["pattern", "action", "is_active"]


@admin.register(models.LadderRecord)
class LadderRecordAdmin(HistoryAdmin):
    list_display = ["__str__", "action", "task", "department", "created_at", "signed_at", "date"]
    list_filter = ["action", "year"]
    list_select_related = ["task", "department"]
    raw_id_fields = ["task", "rule", "created_by", "addressee", "signed_by", "leader"]
    search_fields = ["task__title", "department__name", "reason"]


@admin.register(models.Assignment)
class AssignmentAdmin(HistoryAdmin):
    list_display = ["task", "department", "is_lead", "status", "sign_by", "answered_at"]
    list_filter = ["status", "is_lead"]
    list_select_related = ["task", "department"]
    raw_id_fields = ["task", "assigned_by", "answered_by", "decided_by"]


@admin.register(models.Extension)
class ExtensionAdmin(HistoryAdmin):
    list_display = ["task", "original_due_date", "requested_due_date", "status", "in_time"]
    list_filter = ["status"]
    list_select_related = ["task"]
    raw_id_fields = ["task", "applied_by", "reviewed_by", "leader"]


@admin.register(models.StateRequest)
class StateRequestAdmin(HistoryAdmin):
    list_display = ["task", "kind", "status", "applied_by", "created_at", "decided_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["task", "applied_by"]
    raw_id_fields = ["task", "applied_by", "decided_by"]
