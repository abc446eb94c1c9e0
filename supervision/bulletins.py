"""督查通报: one function per write (generate from a closed month, edit the narrative, issue).

`generate` copies what the bulletin says from the closed month's snapshot (MonthClose.data)
into the bulletin's `facts`, with the one thing the snapshot does not hold: the reason the
lead department gave for a task that is behind (存在问题 of that month's report, or “未报送”).
It also writes the narrative paragraphs from those facts; the supervisor edits them, then
issues. From then on nothing is recomputed: the .docx and PDF are rendered from the stored
bulletin, whatever happens to the data later.
"""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from core.choices import ReminderKind
from core.months import cn_month, month_end
from core.notify import notify
from core.roles import Role

from . import scores
from .choices import BulletinStatus, LadderAction, Light
from .ladder import month_records
from .models import Bulletin, MonthClose, MonthlyReport, Plan, User

PARAGRAPHS = [
    "overview",
    "completed",
    "lagging",
    "listed",
    "escalation",
    "instructions",
    "reporting",
    "next_steps",
]


class BulletinError(Exception):
    """The action cannot be done now; the message is for the user."""


def _reasons(plan, month, overdue):
    """{task id: the reason given} for the overdue tasks of the snapshot."""
    reports = MonthlyReport.objects.filter(
        task_id__in=[row["id"] for row in overdue], month=month
    ).values_list("task_id", "problems")
    given = {task_id: problems.strip() for task_id, problems in reports}
    return {
        row["id"]: given.get(row["id"])
        or ("本月未说明原因" if row["id"] in given else "本月未报送进展")
        for row in overdue
    }


def _ladder_facts(month):
    """The month's 督办函 / 催办通知书 issued, 约谈 held and 通报批评 decided (read when the
    bulletin is generated, like the reasons; 问责 stays with supervisors and leaders), one
    query."""
    out = {"letters": [], "interviews": [], "criticisms": []}
    for record in month_records(month, month_end(month), criticism=True):
        row = {
            "code": record.task.code,
            "title": record.task.title,
            "department": str(record.department),
        }
        if record.action == LadderAction.INTERVIEW:
            row.update(
                date=f"{record.date:%Y-%m-%d}",
                leader=str(record.leader or ""),
                follow_up=record.follow_up,
            )
            out["interviews"].append(row)
        elif record.action == LadderAction.CRITICISM:
            row.update(date=f"{record.date:%Y-%m-%d}", decision=record.decision)
            out["criticisms"].append(row)
        else:
            row.update(
                number=record.doc_number,
                kind=record.get_action_display(),
                signed=record.signed_at is not None,
            )
            out["letters"].append(row)
    return out


def facts_from(plan, close):
    """What the bulletin states, from the month's snapshot (and the month's ladder records:
    _ladder_facts)."""
    data = close.data
    head = data["headline"]
    reasons = _reasons(plan, close.month, data["overdue"])
    by_department = data["by_department"]
    return {
        "month": data["month"],
        "as_of": data["as_of"],
        "headline": {
            "tasks": head["tasks"],
            "completed": head["completed"],
            "closed": head["closed"],
            "avg_percent": head["avg_percent"],
            "avg_expected": head["avg_expected"],
            "red": head.get(Light.RED, 0),
            "yellow": head.get(Light.YELLOW, 0),
            "listed": head["listed"],
            "reports_expected": head["reports_expected"],
            "reports_in": head["reports_in"],
            "reports_late": head["reports_late"],
        },
        "completed": [
            {
                "department": row["lead_department__name"] or "（未确定）",
                "completed": row["completed"],
                "closed": row["closed"],
                "tasks": row["tasks"],
            }
            for row in by_department
            if row["completed"] or row["closed"]
        ],
        "lagging": [
            {
                "code": row["code"],
                "title": row["title"],
                "department": row["department"] or "（未确定）",
                "due": row["due"],
                "days": row["days"],
                "percent": row["percent"],
                "reason": reasons[row["id"]],
            }
            for row in data["overdue"]
        ],
        "behind": [
            {
                "department": row["lead_department__name"] or "（未确定）",
                "red": row[Light.RED],
                "yellow": row[Light.YELLOW],
                "avg_percent": row["avg_percent"],
                "avg_expected": row["avg_expected"],
            }
            for row in by_department
            if row[Light.RED] or row[Light.YELLOW]
        ],
        "listed": [
            {k: row[k] for k in ("code", "title", "level", "deadline", "late")}
            for row in data["listed"]
        ],
        "instructions": [
            {k: row[k] for k in ("code", "title", "leader", "text", "at")}
            for row in data["instructions"]
        ],
        "missing": [
            {"department": row["name"], "missing": row["missing"], "expected": row["expected"]}
            for row in data["missing_reports"]
        ],
        "late": [
            {"department": row["lead_department__name"], "late": row["reports_late"]}
            for row in by_department
            if row["reports_late"] and row["lead_department__name"]
        ],
        **_ladder_facts(close.month),
    }


def _escalation(facts):
    """The paragraph on the month's 督办函, 约谈 and 通报批评 (bulletins generated before
    these were kept have none)."""
    letters = facts.get("letters", [])
    interviews = facts.get("interviews", [])
    criticisms = facts.get("criticisms", [])
    parts = []
    if letters:
        signed = sum(1 for row in letters if row["signed"])
        parts.append(
            f"本月向{_distinct(letters)}发出督办函（催办通知书）{len(letters)}件，"
            f"已签收{signed}件。"
        )
    if interviews:
        parts.append(
            f"本月约谈{len(interviews)}次，约谈单位：{_distinct(interviews)}；"
            "被约谈单位要对照约谈要求逐项整改，按期报送整改情况。"
        )
    if criticisms:
        parts.append(f"对{_distinct(criticisms)}予以通报批评。")
    return "".join(parts) or "本月未发出督办函，未开展约谈。"


def _distinct(rows):
    return "、".join(dict.fromkeys(row["department"] for row in rows))


def _names(rows, key="department"):
    return "、".join(row[key] for row in rows)


def paragraphs_from(facts, month):
    """The narrative paragraphs, written from the facts; the supervisor may edit them."""
    h = facts["headline"]
    label = cn_month(month)
    return {
        "overview": (
            f"截至{label}底，年度工作计划共有任务{h['tasks']}项，已完成{h['completed']}项、"
            f"已办结{h['closed']}项，平均完成进度{h['avg_percent']}%，序时进度{h['avg_expected']}%。"
            f"亮红灯{h['red']}项、亮黄灯{h['yellow']}项，挂牌督办{h['listed']}项。"
            f"本月应报送进展{h['reports_expected']}项，实报{h['reports_in']}项，"
            f"其中逾期报送{h['reports_late']}项。"
        ),
        "completed": (
            f"本月累计完成{h['completed'] + h['closed']}项任务，分别由"
            f"{_names(facts['completed'])}牵头完成。"
            if facts["completed"]
            else "本月尚无完成的任务。"
        ),
        "lagging": (
            f"以下{len(facts['lagging'])}项任务已超过完成时限仍未完成，请牵头单位"
            "分析原因、倒排工期，限期整改。"
            if facts["lagging"]
            else "本月没有逾期未完成的任务。"
        )
        + (
            f"{_names(facts['behind'])}牵头的任务中有亮红灯或黄灯的（见下表），"
            "请对照序时进度加快推进。"
            if facts["behind"]
            else ""
        ),
        "listed": (
            f"目前挂牌督办事项{len(facts['listed'])}项，请责任单位按督办时限办结。"
            if facts["listed"]
            else "本月没有挂牌督办事项。"
        ),
        "escalation": _escalation(facts),
        "instructions": (
            f"尚有{len(facts['instructions'])}件领导批示未反馈落实情况，请牵头单位抓紧落实并报告。"
            if facts["instructions"]
            else "领导批示均已反馈落实情况。"
        ),
        "reporting": "".join(
            part
            for part in [
                f"{_names(facts['missing'])}本月有进展未报送。" if facts["missing"] else "",
                f"{_names(facts['late'])}本月有进展逾期报送。" if facts["late"] else "",
            ]
            if part
        )
        or "各单位均按时报送了本月进展。",
        "next_steps": (
            "督查处将对滞后事项和挂牌督办事项实行跟踪督办，逐项对账销号；"
            "各牵头单位要对照年度目标和序时进度，加快推进，按时报送月度进展。"
        ),
    }


@transaction.atomic
def generate(plan, month, user):
    """The month's draft bulletin from its snapshot (again, for a draft: the snapshot may
    have changed after a reopen and close). Refused for an open month or an issued bulletin."""
    close = MonthClose.objects.filter(plan=plan, month=month, is_closed=True).first()
    if close is None:
        raise BulletinError("只能为已关账的月份生成督查通报。")
    bulletin = Bulletin.objects.select_for_update().filter(plan=plan, month=month).first()
    if bulletin and bulletin.is_issued:
        raise BulletinError("该月督查通报已印发，不能重新生成。")
    facts = facts_from(plan, close)
    scheme = scores.scheme_for(plan.year)
    ranking = scores.ranking_data(scheme, month) if scheme and scheme.in_bulletin else []
    bulletin = bulletin or Bulletin(plan=plan, month=month)
    bulletin.facts = facts
    bulletin.ranking = ranking
    bulletin.generated_by = user
    for name, text in paragraphs_from(facts, month).items():
        setattr(bulletin, name, text)
    try:
        with transaction.atomic():
            bulletin.save()
    except IntegrityError:  # generated by another request at the same moment
        raise BulletinError("该月督查通报已由他人生成，请刷新页面。") from None
    return bulletin


@transaction.atomic
def edit(bulletin, values):
    """Save the edited paragraphs of a draft."""
    bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if bulletin.is_issued:
        raise BulletinError("已印发的督查通报不能修改。")
    for name in PARAGRAPHS:
        setattr(bulletin, name, values[name])
    bulletin.save()
    return bulletin


def department_heads():
    return User.objects.filter(groups__name=Role.HEAD.label, is_active=True).distinct()


@transaction.atomic
def issue(bulletin, user, tell_heads=True):
    """Number the draft (第N期 of the year), make it final and tell every department head
    (`tell_heads=False`: the demo's bulletins of past months, issued long ago)."""
    Plan.objects.select_for_update().get(pk=bulletin.plan_id)  # numbers are taken in turn
    bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if bulletin.is_issued:
        raise BulletinError("该督查通报已印发。")
    last = Bulletin.objects.filter(plan_id=bulletin.plan_id).aggregate(n=Max("number"))["n"]
    bulletin.number = (last or 0) + 1
    bulletin.status = BulletinStatus.ISSUED
    bulletin.issued_by = user
    bulletin.issued_at = timezone.now()
    bulletin.save()
    if not tell_heads:
        return bulletin
    notify(
        department_heads(),
        kind=ReminderKind.BULLETIN,
        subject=f"督查通报（{bulletin.month.year}年第{bulletin.number}期）已印发",
        body=f"{cn_month(bulletin.month)}督查通报已印发，请查阅并抓好落实。",
        key=f"bulletin:{bulletin.pk}",
        about=bulletin,
    )
    return bulletin
