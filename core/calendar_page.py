"""/supervision/calendar/: the admins' working-day calendar — each year's 法定节假日 and 调休
上班日 as the calendar counts them (the library's and the admins' overrides), adding and
removing an override, and confirming that a year's schedule is entered in full."""

from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from . import workdays
from .access import is_admin
from .models import CalendarYear, WorkdayOverride


class OverrideForm(forms.ModelForm):
    class Meta:
        model = WorkdayOverride
        fields = ["day", "is_workday", "name"]
        widgets = {"day": forms.DateInput(attrs={"type": "date"})}
        error_messages = {
            "day": {
                "required": "请填写日期。",
                "invalid": "请填写有效的日期，例如 2027-02-08。",
                "unique": "这一天已经有调整记录；如需更改，请先删除原记录。",
            },
            "name": {"required": "请填写名称，例如：春节。"},
        }

    def clean_day(self):
        day = self.cleaned_data["day"]
        if not 2000 <= day.year <= 2100:
            raise forms.ValidationError("日期超出范围。")
        return day

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("请填写名称，例如：春节。")
        return name


class YearForm(forms.ModelForm):
    class Meta:
        model = CalendarYear
        fields = ["year", "note"]
        error_messages = {"year": {"unique": "这一年已确认录入。"}}


def _forget_warning():
    cache.delete("core:calendar-uncovered")


def _year_days(calendar, year):
    """[(day, is working day, name, source)] of the days of `year` that are not what Monday
    to Friday would say: holidays on weekdays, working weekend days, and every override."""
    rows = []
    day = date(year, 1, 1)
    while day.year == year:
        working = calendar.is_workday(day)
        override = day in calendar.overrides
        if override or working != (day.weekday() < 5):
            rows.append((day, working, override))
        day += timedelta(days=1)
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def workday_calendar(request):
    if not is_admin(request.user):
        raise PermissionDenied("只有管理员可以维护工作日日历。")
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    year = min(max(year, 2000), 2100)
    override_form = OverrideForm(prefix="day")
    year_form = YearForm(prefix="year", initial={"year": year})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            override_form = OverrideForm(request.POST, prefix="day")
            if override_form.is_valid():
                saved = override_form.save()
                _forget_warning()
                messages.success(request, f"已添加：{saved}。")
                return redirect(f"{reverse('workday_calendar')}?year={saved.day.year}")
            status = 400
        elif action == "delete":
            with transaction.atomic():
                removed = WorkdayOverride.objects.filter(pk=request.POST.get("id")).first()
                if removed is not None:
                    removed.delete()
            _forget_warning()
            messages.success(request, f"已删除：{removed}。" if removed else "该记录已不存在。")
            return redirect(f"{reverse('workday_calendar')}?year={year}")
        elif action == "confirm":
            year_form = YearForm(request.POST, prefix="year")
            if year_form.is_valid():
                confirmed = year_form.save()
                _forget_warning()
                messages.success(request, f"已确认{confirmed.year}年的节假日安排录入完毕。")
                return redirect(f"{reverse('workday_calendar')}?year={confirmed.year}")
            status = 400
        else:
            status = 400
    calendar = workdays.Calendar.load()
    overrides = {o.day: o for o in WorkdayOverride.objects.filter(day__year=year)}
    days = [
        {
            "day": day,
            "working": working,
            "override": overrides.get(day),
            "name": overrides[day].name if day in overrides else "",
        }
        for day, working, _override in _year_days(calendar, year)
    ]
    return render(
        request,
        "core/workday_calendar.html",
        {
            "year": year,
            "days": days,
            "in_library": year in workdays.LIBRARY_YEARS,
            "confirmed": CalendarYear.objects.filter(year=year).first(),
            "override_form": override_form,
            "year_form": year_form,
            "years": sorted(
                set(workdays.LIBRARY_YEARS)
                | set(CalendarYear.objects.values_list("year", flat=True))
                | {today.year, today.year + 1}
            ),
            "workdays_in_year": calendar.between(date(year - 1, 12, 31), date(year, 12, 31)),
        },
        status=status,
    )
