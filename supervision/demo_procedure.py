"""The demo's 督办 procedure (issue 12), dated into the demo year: each 交办 signed (one on
time, one late), one 拒签 → 改派 waiting for its 签收, extensions approved, refused and
waiting, a numbered 督办函 signed for and a 催办通知书 not yet, a 约谈 with its minutes, a
通报批评, one plan task 暂停, one 终止, one waiting for its 暂停 application and one carried
over (挂账结转) into next year. Safe to run twice:
it does nothing once the demo's 交办 exist."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from core.roles import Role
from core.workdays import Calendar

from .choices import (
    AssignmentStatus,
    ExtensionStatus,
    LadderAction,
    Source,
    StateRequestKind,
    TaskStatus,
)
from .models import Assignment, Extension, LadderRecord, LadderRule, StateRequest, Task
from .procedure import carry_over

TZ = ZoneInfo("Asia/Shanghai")


def _at(day, hour=10):
    return datetime.combine(day, time(hour), tzinfo=TZ)


def _member(department, role=Role.HEAD):
    return department.members.filter(groups__name=role.label).first()


def load_procedure(year, tasks, users, out):
    items = list(
        Task.objects.filter(year=year, carried_from=None)
        .exclude(source=Source.PLAN)
        .order_by("number")
    )
    # the demo's own three items (numbers 1–3; the other apps' items come after, already
    # assigned quietly): done once they have their 交办
    items = items[:3]
    if len(items) < 3 or Assignment.objects.filter(task__in=items).exists():
        return
    ordered, meeting, report = items
    supervisor, calendar = users["supervisor1"], Calendar.load()

    def assignment(task, department, day, **fields):
        return Assignment.objects.create(
            task=task,
            department=department,
            assigned_by=supervisor,
            assigned_at=_at(day, 9),
            sign_by=calendar.add(day, 3),
            refuse_by=calendar.add(day, 3),
            **fields,
        )

    # 签收 on time (the 批示件) and late (the 会议议定事项)
    food_office = users["staff2"].department
    food_head = _member(food_office)
    assignment(
        ordered,
        ordered.lead_department,
        ordered.start_date,
        status=AssignmentStatus.SIGNED,
        answered_by=_member(ordered.lead_department),
        answered_at=_at(calendar.add(ordered.start_date, 1), 15),
    )
    assignment(
        meeting,
        meeting.lead_department,
        meeting.start_date,
        status=AssignmentStatus.SIGNED,
        answered_by=_member(meeting.lead_department),
        answered_at=_at(calendar.add(meeting.start_date, 6), 11),
    )
    # 拒签 → 改派: the food office refused the 政府工作报告 item; now its lead's to sign
    assignment(
        report,
        food_office,
        report.start_date,
        status=AssignmentStatus.REASSIGNED,
        answered_by=food_head,
        answered_at=_at(calendar.add(report.start_date, 1)),
        refuse_reason=f"该项工作不属食品安全协调处职责，建议由{report.lead_department}牵头。",
        suggested_department=report.lead_department,
        decided_by=supervisor,
        decided_at=_at(calendar.add(report.start_date, 1), 16),
    )
    assignment(report, report.lead_department, date(year, 7, 2))
    out("交办签收：按时签收、逾期签收各 1 项，拒签后改派 1 项（待签收）。")

    # 延期: approved in time, refused, and one waiting for the supervisor
    Extension.objects.create(
        task=meeting,
        original_due_date=date(year, 9, 30),
        requested_due_date=meeting.due_date,
        reason="平台需与人民银行征信系统对接，联调时间延长。",
        status=ExtensionStatus.APPROVED,
        applied_by=_member(meeting.lead_department, Role.STAFF) or supervisor,
        reviewed_by=supervisor,
        reviewed_at=_at(date(year, 7, 5)),
        in_time=True,
    )
    meeting.original_due_date, meeting.counted_due_date = date(year, 9, 30), meeting.due_date
    meeting.save()
    Extension.objects.create(
        task=ordered,
        original_due_date=ordered.due_date,
        requested_due_date=date(year, 9, 30),
        reason="部分学校暑期停课，检查推迟。",
        status=ExtensionStatus.REFUSED,
        applied_by=_member(ordered.lead_department, Role.STAFF) or supervisor,
        reviewed_by=supervisor,
        reviewed_at=_at(date(year, 7, 6)),
        refuse_reason="暑期前完成是领导批示要求，不予延期。",
    )
    finance_office = users["head1"].department
    waiting = next(
        (
            t
            for t in tasks
            if t.lead_department_id == finance_office.pk
            and t.due_date
            and t.due_date > date(year, 7, 15)
        ),
        meeting,
    )
    Extension.objects.create(
        task=waiting,
        original_due_date=waiting.due_date,
        requested_due_date=date(year + 1, 3, 31),
        reason="部分金融机构落户手续需跨年办理。",
        applied_by=users["staff1"],
    )
    for extension, day in zip(
        Extension.objects.filter(task__in=[meeting, ordered, waiting]).order_by("pk"),
        [date(year, 7, 2), date(year, 7, 4), date(year, 7, 6)],
        strict=False,
    ):  # applied in the demo year (bookkeeping timestamps: no history needed)
        Extension.objects.filter(pk=extension.pk).update(created_at=_at(day))
    out("延期申请：已批准、未批准、待审核各 1 项。")

    # the ladder: a numbered 督办函 signed for, a 催办通知书 waiting, a 约谈, a 通报批评
    behind = [t for t in tasks if t.status not in (TaskStatus.COMPLETED, TaskStatus.CLOSED)]
    finance = next((t for t in behind if t.lead_department_id == finance_office.pk), meeting)
    food = next((t for t in behind if t.lead_department_id == food_office.pk), ordered)
    rule = LadderRule.objects.filter(action=LadderAction.LETTER).first()
    records = [
        LadderRecord(
            task=finance,
            department=finance.lead_department,
            action=LadderAction.LETTER,
            rule=rule,
            trigger=f"{year}-04",
            reason=f"自{year}年04月起连续2个月黄灯，按规则“{rule.name if rule else '黄灯'}”",
            year=year,
            number=1,
            addressee=_member(finance.lead_department),
            signed_by=_member(finance.lead_department),
            signed_at=_at(date(year, 6, 4)),
        ),
        LadderRecord(
            task=food,
            department=food.lead_department,
            action=LadderAction.NOTICE,
            reason="上月进展报告未按时报送，经催办仍未报送",
            year=year,
            number=1,
            addressee=food_head,
            created_by=supervisor,
        ),
        LadderRecord(
            task=food,
            department=food.lead_department,
            action=LadderAction.INTERVIEW,
            reason="连续3个月红灯",
            year=year,
            created_by=supervisor,
            date=date(year, 7, 10),
            leader=users["leader1"],
            attendees=f"{food.lead_department}主要负责人、督查处",
            minutes="听取滞后原因说明，要求倒排工期。",
            follow_up="7月底前完成学校食堂检查方案；8月起每周报送进展。",
        ),
        LadderRecord(
            task=food,
            department=food.lead_department,
            action=LadderAction.CRITICISM,
            reason="约谈后仍未按期整改",
            year=year,
            created_by=supervisor,
            date=date(year, 7, 20),
            decision="在全市督查通报中予以通报批评。",
            basis="《市政府督查工作规定》第二十条",
        ),
    ]
    for record in records:
        record.save()
    for record, day in zip(records, [6, 7, 7, 7], strict=True):
        # dated into the demo year (bookkeeping timestamps: no history needed)
        LadderRecord.objects.filter(pk=record.pk).update(created_at=_at(date(year, day, 3)))
    out("督办升级：督办函（已签收）、催办通知书（待签收）、约谈、通报批评各 1 件。")

    # 暂停 and 终止 of plan tasks still open, a 暂停 applied for by the department and waiting
    # for the supervisor, and one 挂账结转 into next year (a year that holds only carried items
    # is never the pages' default year: filters.TaskFilter)
    others = [t for t in behind if t not in (finance, food)]
    if len(others) >= 4:
        carried, waiting_state, paused, stopped = others[-4:]
        for task, status, reason in [
            (paused, TaskStatus.SUSPENDED, "等待国家政策出台"),
            (stopped, TaskStatus.TERMINATED, "项目已调整撤销"),
        ]:  # as procedure.set_state decides, without its notices (nothing to send in a demo)
            task.status, task.state_reason = status, reason
            task.save()
        StateRequest.objects.create(
            task=waiting_state,
            kind=StateRequestKind.SUSPEND,
            reason="上级部门正在调整该项目的建设方案，申请暂停至方案批复。",
            applied_by=_member(waiting_state.lead_department, Role.STAFF)
            or _member(waiting_state.lead_department)
            or supervisor,
        )
        new = carry_over(
            carried, user=supervisor, reason="受征地进度影响年内无法完成，挂账结转下一年度。"
        )
        out(
            f"事项状态：暂停 {paused.code}，终止 {stopped.code}，"
            f"{waiting_state.code} 申请暂停待审批，"
            f"{carried.code} 挂账结转为 {new.year}年 {new.code}。"
        )
