"""The escalation ladder after reminders (issue 12): the admins' LadderRule table turns a
pattern into an action, once per item and streak.

- N consecutive yellow (or red) months: each finished month's light as the dashboard judges
  it (the percent reported by its end, its last day), the streak ending last month;
- overdue by K working days (core/workdays.py).

The actions: a numbered 督办函 / 催办通知书 (督办〔YYYY〕第N号) issued to the department head,
who signs for it; a 约谈 to arrange (date, leader, attendees, minutes, follow-up); a 通报批评 or
问责 record (seen by supervisors and leaders only). `run_ladder` is safe to run twice: a
record is unique per (rule, item, trigger), the trigger being the streak's first month or the
deadline overdue. Supervisors also issue letters and record 约谈 by hand (no rule).
"""

import io

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from core.choices import ReminderKind
from core.months import previous_month
from core.notify import notify
from core.workdays import Calendar

from . import rollups
from .assigning import heads
from .choices import STOPPED, LadderAction, LadderPattern, Light
from .dashboard import as_of, percent_as_of
from .lights import DONE, with_lights
from .models import LETTER_ACTIONS, LadderRecord, LadderRule, Task
from .reporting import department_staff
from .services import Conflict, supervisors

LOOKBACK_MONTHS = 12  # how far back a streak of lights is followed
OPEN = [*DONE, *STOPPED]


def open_tasks():
    return Task.objects.exclude(status__in=OPEN).filter(lead_department__isnull=False)


def month_lights(month, tasks=None, light=None):
    """{task id: light} of the open items as of the end of `month` (only those whose light
    was `light`, if given): the items of the month's year from its roll-up rows when
    current, the others (and all, when not) live (one or two queries)."""
    tasks = (tasks if tasks is not None else open_tasks()).exclude(start_date__gt=as_of(month))
    lights = {}
    if month in rollups.current_months([month]):
        lights = rollups.month_lights(month, tasks, light)
        tasks = tasks.exclude(year=month.year)
    tasks = with_lights(tasks.annotate(pct=percent_as_of(month)), as_of(month), percent=F("pct"))
    if light is not None:
        tasks = tasks.filter(light=light)
    return lights | dict(tasks.values_list("pk", "light"))


def streaks(day, light, tasks=None):
    """{task id: (months in a row, first month)} of items whose light was `light` in each of
    the months up to last month (before `day`)."""
    month = previous_month(day)
    found = {}
    alive = None
    for _ in range(LOOKBACK_MONTHS):
        matching = set(month_lights(month, tasks, light))
        alive = matching if alive is None else alive & matching
        if not alive:
            break
        for pk in alive:
            count = found.get(pk, (0, None))[0]
            found[pk] = (count + 1, month)
        month = previous_month(month)
    return found


def _overdue(day, threshold):
    """{task id: due date} of open items overdue by at least `threshold` working days (the
    threshold-th working day after the deadline has come: a walk of `threshold` days each,
    however long ago the deadline was)."""
    calendar = Calendar.load()
    rows = open_tasks().filter(due_date__lt=day).values_list("pk", "due_date")
    return {pk: due for pk, due in rows if calendar.add(due, threshold) <= day}


def run_ladder(day=None):
    """Fire every active rule for `day` (default today); returns the records created."""
    day = day or timezone.localdate()
    rules = list(LadderRule.objects.filter(is_active=True))
    created = []
    cache = {}
    for rule in rules:
        if rule.pattern == LadderPattern.OVERDUE_WORKDAYS:
            hits = {
                pk: (
                    f"due:{due:%Y-%m-%d}",
                    f"逾期已达{rule.threshold}个工作日（完成时限 {due:%Y-%m-%d}）",
                )
                for pk, due in _overdue(day, rule.threshold).items()
            }
        else:
            light = Light.YELLOW if rule.pattern == LadderPattern.YELLOW_MONTHS else Light.RED
            if light not in cache:
                cache[light] = streaks(day, light)
            hits = {
                pk: (f"{first:%Y-%m}", f"自{first:%Y年%m月}起连续{count}个月{light.label}")
                for pk, (count, first) in cache[light].items()
                if count >= rule.threshold
            }
        tasks = Task.objects.select_related("lead_department").in_bulk(list(hits))
        for pk, (trigger, why) in sorted(hits.items()):
            record = fire(tasks[pk], rule, trigger, why)
            if record is not None:
                created.append(record)
    return created


def fire(task, rule, trigger, why):
    """The record of `rule` for `task` and `trigger`, unless it fired already (then None)."""
    if LadderRecord.objects.filter(rule=rule, task=task, trigger=trigger).exists():
        return None
    try:
        with transaction.atomic():
            return escalate(
                task,
                action=rule.action,
                reason=f"{why}，按规则“{rule.name}”",
                rule=rule,
                trigger=trigger,
            )
    except IntegrityError:  # another run fired it meanwhile
        return None


@transaction.atomic
def escalate(task, *, action, reason, user=None, rule=None, trigger="", **fields):
    """A ladder record for `task` (by a rule, or by hand with `user`): a numbered letter to the
    department head, a 约谈 to arrange, or a 通报批评 / 问责 record; whom it concerns is told."""
    if task.lead_department_id is None:
        raise Conflict("该事项尚未确定牵头单位。")
    year = timezone.localdate().year
    record = LadderRecord(
        task=task,
        department=task.lead_department,
        action=action,
        rule=rule,
        trigger=trigger,
        reason=reason,
        year=year,
        created_by=user,
        **fields,
    )
    if action in LETTER_ACTIONS:
        # the year's letters of a kind take turns for the next number
        numbers = LadderRecord.objects.select_for_update().filter(action=action, year=year)
        record.number = (numbers.aggregate(n=Max("number"))["n"] or 0) + 1
        addressees = heads(task.lead_department)
        record.addressee = addressees[0] if addressees else None
    record.save()
    _announce(record)
    return record


def _announce(record):
    task, label = record.task, record.get_action_display()
    if record.action in LETTER_ACTIONS:
        people = department_staff(task.lead_department)
        body = (
            f"督查处向{record.department}发出{label}（{record.doc_number}）：{record.reason}。"
            "请负责人签收并抓紧办理。"
        )
    elif record.action == LadderAction.INTERVIEW:
        people = [*supervisors(), *heads(task.lead_department)]
        body = f"{record.department}因“{task.title}”{record.reason}，拟约谈，请督查处安排。"
    else:
        people = supervisors()
        body = f"{record.department}因“{task.title}”{record.reason}，拟{label}，请督查处办理。"
    notify(
        people,
        kind=ReminderKind.WORKFLOW,
        subject=f"{label}：{task.code} {task.title}",
        body=body,
        key=f"ladder:{record.pk}",
        about=record,
    )


@transaction.atomic
def sign_letter(record, *, user):
    """The department head signs for a 督办函 / 催办通知书."""
    record = LadderRecord.objects.select_for_update().get(pk=record.pk)
    if record.signed_at:
        raise Conflict("该督办函已签收。")
    record.signed_by, record.signed_at = user, timezone.now()
    record.save()
    return record


def save_interview(record, *, data):
    """Fill in a 约谈 (date, leader, attendees, minutes, follow-up)."""
    for name, value in data.items():
        setattr(record, name, value)
    record.save()
    return record


def interviews_in(month_start, month_end):
    """The 约谈 held in a period (the dashboard card, the 督查通报, scoring)."""
    return (
        LadderRecord.objects.filter(
            action=LadderAction.INTERVIEW, date__gte=month_start, date__lte=month_end
        )
        .select_related("task", "department", "leader")
        .order_by("date", "pk")
    )


def month_records(first_day, last_day, criticism=False):
    """The letters issued and the 约谈 held in a period (with `criticism`, the 通报批评
    decided in it too: the 督查通报), in one query (the dashboard card)."""
    held = [LadderAction.INTERVIEW, *([LadderAction.CRITICISM] if criticism else [])]
    return list(
        LadderRecord.objects.filter(
            Q(
                action__in=LETTER_ACTIONS,
                created_at__date__gte=first_day,
                created_at__date__lte=last_day,
            )
            | Q(action__in=held, date__gte=first_day, date__lte=last_day)
        )
        .select_related("task", "department", "leader")
        .order_by("date", "pk")
    )


# --- the letter as .docx ---------------------------------------------------------------------


def letter_docx(record):
    """The 督办函 / 催办通知书 as a Word document, from the item's state now."""
    task = record.task
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "SimSun", Pt(14)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(record.get_action_display())
    run.bold, run.font.size = True, Pt(22)
    number = doc.add_paragraph(record.doc_number)
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(f"{record.department}：")
    due = task.due_date.strftime("%Y年%m月%d日") if task.due_date else "未定"
    doc.add_paragraph(
        f"你单位牵头承办的督办事项“{task.code} {task.title}”（完成时限 {due}，"
        f"当前进度 {task.percent}%，状态：{task.get_status_display()}），{record.reason}。"
    )
    doc.add_paragraph(
        "请接此函后认真研究，抓紧推进，并于"
        f"{settings.LETTER_REPLY_WORKDAYS}个工作日内将办理情况书面报送市政府办公厅督查处。"
    )
    if task.original_due_date:
        doc.add_paragraph(f"（原完成时限：{task.original_due_date:%Y年%m月%d日}）")
    doc.add_paragraph(f"事项原文：{task.text[:1000]}")
    sign = doc.add_paragraph(
        f"市政府办公厅督查处\n{timezone.localtime(record.created_at):%Y年%m月%d日}"
    )
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
