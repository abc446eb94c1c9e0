"""/reminders/: the reminders that were sent. Staff and heads see their own and their
department's; supervisors and admins see every reminder, with filters."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import render

from .access import is_admin
from .choices import ReminderChannel, ReminderKind, Role
from .models import Department, Reminder, ReminderItem

PAGE_SIZE = 50


class ReminderFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="类型", required=False, choices=[("", "全部类型"), *ReminderKind.choices]
    )
    channel = forms.ChoiceField(
        label="渠道", required=False, choices=[("", "全部渠道"), *ReminderChannel.choices]
    )
    department = forms.ModelChoiceField(
        label="接收单位",
        required=False,
        queryset=Department.objects.filter(is_active=True),
        empty_label="全部单位",
    )
    start = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(label="任务或内容", required=False, max_length=100)

    def __init__(self, *args, sees_all=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not sees_all:
            del self.fields["department"]
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if is_select else "form-control form-control-sm"
            )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("起始日期不能晚于截止日期。")
        return data


def sees_all(user):
    return is_admin(user) or user.has_role(Role.SUPERVISOR)


def visible_reminders(user):
    """The reminders `user` may see: all for supervisors and admins; otherwise their own and
    those sent to members of their department."""
    rows = Reminder.objects.all()
    if sees_all(user):
        return rows
    if not user.roles:
        raise PermissionDenied("无权查看提醒记录。")
    mine = Q(recipient=user)
    if user.department_id:
        mine |= Q(recipient__department_id=user.department_id)
    return rows.filter(mine)


def filter_reminders(rows, data):
    if data.get("kind"):
        rows = rows.filter(Q(kind=data["kind"]) | Q(digest__items__kind=data["kind"])).distinct()
    if data.get("channel"):
        rows = rows.filter(channel=data["channel"])
    if data.get("department"):
        rows = rows.filter(recipient__department=data["department"])
    if data.get("start"):
        rows = rows.filter(created_at__date__gte=data["start"])
    if data.get("end"):
        rows = rows.filter(created_at__date__lte=data["end"])
    text = (data.get("q") or "").strip()
    if text:
        rows = rows.filter(
            Q(subject__icontains=text)
            | Q(body__icontains=text)
            | Q(task__title__icontains=text)
            | Q(task__code=text)
        )
    return rows


@login_required
def reminders(request):
    user = request.user
    rows = visible_reminders(user)
    form = ReminderFilterForm(request.GET or None, sees_all=sees_all(user))
    if form.is_bound and form.is_valid():
        rows = filter_reminders(rows, form.cleaned_data)
    items = ReminderItem.objects.select_related("task").order_by("pk")
    rows = (
        rows.select_related("recipient__department", "task", "digest")
        .prefetch_related(Prefetch("digest__items", queryset=items))
        .order_by("-created_at", "-pk")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "supervision/reminders.html",
        {"form": form, "page": page, "query": query.urlencode(), "sees_all": sees_all(user)},
    )
