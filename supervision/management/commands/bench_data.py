"""`manage.py bench_data [--tasks 5000] [--months 12] [--year YYYY]`: the data set of `make bench`.

Builds one plan of `--year` (default: last year, so that every month may be reported on) with
5 projects, 40 departments and `--tasks` tasks spread over them, 2 measures and 2 milestones
per task, an indicator on every 5th task, `--months` monthly reports per task with indicator
values, a few 挂牌督办 and the accounts the benchmark signs in with (`bench-leader`,
`bench-supervisor`, `bench-staff-01`/`bench-head-01` of the department that leads ~1/40 of the
tasks, and a staff member and head for every other department).

Idempotent: the previous bench plan of the year is wiped first (with raw deletes: no history
rows, no per-row signals), and so are the reminders of the bench accounts. Rows are written
with bulk_create, which writes no history either: fine for a benchmark. A plan of that year
that the bench did not make is left alone (the command stops) unless `--force` is given.
"""

import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from core.choices import DepartmentKind
from core.models import Department, Digest, Reminder, ReminderItem
from core.roles import Role
from supervision import filters, rollups, standing
from supervision.choices import Comparison, ListingLevel, ReportStatus, Rhythm, TaskStatus
from supervision.models import (
    Indicator,
    IndicatorValue,
    Listing,
    Measure,
    Milestone,
    MonthlyReport,
    Plan,
    Project,
    Task,
    User,
)
from supervision.roles import ensure_roles, group_for

BENCH_TITLE = "基准测试工作计划（make bench 生成）"
DEPARTMENT_COUNT = 40
PROJECT_COUNT = 5
BATCH = 2000
TZ = ZoneInfo(settings.TIME_ZONE)

PROJECTS = [
    "大力实施政务运行加速工程",
    "深入推进依法行政规范工程",
    "全面加强督查督办落实工程",
    "持续优化营商环境服务工程",
    "扎实推进民生实事保障工程",
]
VERBS = ["推进", "完善", "落实", "深化", "健全", "加快", "组织", "规范"]
SUBJECTS = [
    "政务服务事项网上办理",
    "重点项目审批提速",
    "金融机构引进",
    "食品安全专项检查",
    "应急预案修订演练",
    "12345热线工单办理",
    "建议提案办理",
    "会展活动服务保障",
    "老旧小区改造",
    "公文处理规范化",
]
PROGRESS = [
    "按照年度计划细化了工作方案，明确了责任分工和时间节点，{s}工作有序推进。",
    "召开专题推进会，协调相关单位解决具体问题，{s}取得阶段性进展。",
    "组织开展了实地调研和督导检查，{s}形成阶段性工作报告。",
    "会同配合单位建立周调度机制，{s}各项工作按序时推进。",
]
PROBLEMS = [
    "",
    "个别配合单位工作进度不一，需进一步加强协调。",
    "相关经费尚未完全落实，影响部分工作推进。",
    "",
    "",
]
NEXT_STEPS = [
    "下月将继续推进{s}，并做好阶段总结。",
    "下一步重点抓好{s}，确保按期完成。",
]


def last_year():
    return timezone.localdate().year - 1


def aware(day, hour=10):
    return datetime.combine(day, datetime.min.time().replace(hour=hour), tzinfo=TZ)


def month_end(year, month):
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def raw_delete(queryset, out=None, _seen=None):
    """Delete `queryset` and everything that cascades from it with plain DELETEs (no model
    instances, no signals, no history rows). SET_NULL relations are nulled; self-references
    are covered by the caller's queryset (a plan's tasks include their child tasks)."""
    model = queryset.model
    for rel in model._meta.related_objects:
        related = rel.related_model
        if related is model or rel.many_to_many:
            continue
        on_delete = rel.on_delete
        sub = related._base_manager.filter(**{f"{rel.field.name}__in": queryset})
        if on_delete in (models.CASCADE, models.PROTECT, models.RESTRICT):
            raw_delete(sub, out)
        elif on_delete is models.SET_NULL:
            sub.update(**{rel.field.name: None})
    for field in model._meta.local_many_to_many:
        through = field.remote_field.through
        through._base_manager.filter(**{f"{field.m2m_field_name()}__in": queryset})._raw_delete(
            queryset.db
        )
    count = queryset._raw_delete(queryset.db)
    if out and count:
        out(f"  删除 {model._meta.verbose_name}：{count}")
    return count


class Command(BaseCommand):
    help = "生成 make bench 的大数据集（默认 5000 项任务 × 12 个月报），先清除同年度的旧基准数据。"

    def add_arguments(self, parser):
        parser.add_argument("--tasks", type=int, default=5000, help="任务数（默认 5000）")
        parser.add_argument("--months", type=int, default=12, help="每项任务的月报数（1–12）")
        parser.add_argument("--year", type=int, default=None, help="计划年度（默认去年）")
        parser.add_argument("--password", default=None, help="基准账号密码（默认 DEMO_PASSWORD）")
        parser.add_argument("--seed", type=int, default=2025, help="随机数种子")
        parser.add_argument("--force", action="store_true", help="该年度已有非基准计划时也将其清除")

    def handle(self, *args, tasks, months, year, password, seed, force, **options):
        year = year or last_year()
        if tasks < 1 or not 1 <= months <= 12:
            raise CommandError("--tasks 至少为 1，--months 须在 1 到 12 之间。")
        self.rng = random.Random(seed)
        self.year, self.months = year, months
        started = time.monotonic()
        with transaction.atomic():
            self.wipe(year, force)
            departments = self.departments()
            users = self.accounts(departments, password or settings.DEMO_PASSWORD)
            self.build(year, tasks, departments, users)
        filters.forget_choices()  # bulk_create sends no signal: the filter choices anew
        # fresh statistics before the derived tables are computed from the bulk-loaded rows:
        # autovacuum may be off or not yet run, and without them PostgreSQL chose a plan for
        # the month roll-ups of 100,000 tasks that ran for more than nine minutes (50,000:
        # 24 s). A plan read off a fresh copy misleads too (bench/run.py analyzes again).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        # the stored status (supervision/standing.py) of today: the bench measures that path
        self.say(f"任务状态：已计算 {standing.refresh_all()} 项。")
        rolled = time.monotonic()
        months = rollups.rebuild()  # the bench measures the stored path, as after the daily job
        self.say(f"月度汇总：{len(months)} 个月（{time.monotonic() - rolled:.1f} 秒）")
        self.stdout.write(f"完成：用时 {time.monotonic() - started:.1f} 秒。")

    def say(self, text):
        self.stdout.write(text)

    # -- wipe --------------------------------------------------------------------------------

    def wipe(self, year, force):
        plan = Plan.objects.filter(year=year).first()
        bench_users = User.objects.filter(username__startswith="bench-")
        ReminderItem.objects.filter(recipient__in=bench_users)._raw_delete("default")
        Reminder.objects.filter(recipient__in=bench_users)._raw_delete("default")
        Digest.objects.filter(recipient__in=bench_users)._raw_delete("default")
        if plan is None:
            return
        if plan.title != BENCH_TITLE and not force:
            raise CommandError(
                f"{year}年已有一份非基准测试的工作计划（{plan.title}），未做改动。"
                "请换一个 --year，或加 --force 清除它。"
            )
        self.say(f"清除{year}年的旧基准数据…")
        raw_delete(Task.objects.filter(project__plan=plan), self.say)
        raw_delete(Plan.objects.filter(pk=plan.pk), self.say)

    # -- departments and accounts --------------------------------------------------------------

    def departments(self):
        result = []
        for i in range(1, DEPARTMENT_COUNT + 1):
            kind = DepartmentKind.OFFICE if i <= 10 else DepartmentKind.MUNICIPAL
            department, _ = Department.objects.get_or_create(
                name=f"基准测试单位{i:02d}",
                defaults={"short_name": f"基准{i:02d}", "kind": kind, "sort_order": 500 + i},
            )
            result.append(department)
        return result

    def accounts(self, departments, password):
        ensure_roles()
        wanted = [
            ("bench-leader", "基准领导", Role.LEADER, departments[0]),
            ("bench-supervisor", "基准督查", Role.SUPERVISOR, departments[1]),
        ]
        for i, department in enumerate(departments, start=1):
            wanted.append((f"bench-staff-{i:02d}", f"承办人员{i:02d}", Role.STAFF, department))
            wanted.append((f"bench-head-{i:02d}", f"处室负责人{i:02d}", Role.HEAD, department))
        groups = {role: group_for(role) for role in {w[2] for w in wanted}}
        users = {}
        for username, full_name, role, department in wanted:
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={
                    "full_name": full_name,
                    "department": department,
                    "email": f"{username}@example.gov.cn",
                },
            )
            user.groups.add(groups[role])
            users[username] = user
        User.objects.filter(username__startswith="bench-").update(
            password=make_password(password), is_active=True
        )
        return users

    # -- the plan ------------------------------------------------------------------------------

    def build(self, year, count, departments, users):
        rng = self.rng
        now = timezone.now()
        plan = Plan.objects.create(year=year, title=BENCH_TITLE, preamble="基准测试数据。")
        projects = Project.objects.bulk_create(
            [
                Project(plan=plan, number=n, title=title, summary=f"{title}（基准测试）。")
                for n, title in enumerate(PROJECTS[:PROJECT_COUNT], start=1)
            ]
        )
        leader = users["bench-leader"]
        staff = {d.pk: users[f"bench-staff-{i:02d}"] for i, d in enumerate(departments, 1)}
        heads = {d.pk: users[f"bench-head-{i:02d}"] for i, d in enumerate(departments, 1)}

        t0 = time.monotonic()
        tasks = []
        per_project = -(-count // len(projects))
        for index in range(count):
            project = projects[index // per_project]
            number = index % per_project + 1
            subject = SUBJECTS[index % len(SUBJECTS)]
            due_month = 3 + index % 10  # March .. December
            due = month_end(year, due_month)
            start = date(year, 1 + rng.randint(0, min(2, due_month - 1)), 1)
            tasks.append(
                Task(
                    project=project,
                    year=year,
                    number=number,
                    code=f"{project.number}.{number}",
                    path=f"{project.number:03d}.{number:03d}",
                    title=f"{VERBS[index % len(VERBS)]}{subject}（第{index + 1}项）",
                    text=(
                        f"{VERBS[index % len(VERBS)]}{subject}，建立健全工作机制；"
                        f"加强统筹协调，明确责任分工和完成时限；"
                        f"强化督促检查，确保{subject}各项任务按期完成。"
                    ),
                    lead_department=departments[index % len(departments)],
                    responsible_leader=leader,
                    start_date=start,
                    due_date=due,
                    rhythm=Rhythm.MONTHLY,
                    is_public=index % 20 == 0,
                    created_at=now,
                    updated_at=now,
                )
            )
        tasks = Task.objects.bulk_create(tasks, batch_size=BATCH)
        self.say(f"任务：{len(tasks)}（{time.monotonic() - t0:.1f} 秒）")

        through = Task.partner_departments.through
        partners = []
        for index, task in enumerate(tasks):
            if index % 3 == 0:
                for k in (1, 7)[: 1 + index % 2]:
                    partner = departments[(index + k) % len(departments)]
                    partners.append(through(task_id=task.pk, department_id=partner.pk))
        through.objects.bulk_create(partners, batch_size=BATCH)

        measures = [
            Measure(task=task, number=n, text=text)
            for task in tasks
            for n, text in enumerate(task.text.rstrip("。").split("；")[:2], start=1)
        ]
        Measure.objects.bulk_create(measures, batch_size=BATCH)

        indicators = Indicator.objects.bulk_create(
            [
                Indicator(
                    task=task,
                    number=1,
                    name="完成事项数",
                    target=Decimal(10 + index % 40),
                    unit="项",
                    comparison=Comparison.GTE,
                )
                for index, task in enumerate(tasks)
                if index % 5 == 0
            ],
            batch_size=BATCH,
        )
        indicator_of = {i.task_id: i for i in indicators}

        t0 = time.monotonic()
        reports, final, done_share = self.reports(tasks, staff, heads)
        reports = MonthlyReport.objects.bulk_create(reports, batch_size=BATCH)
        self.say(f"月度报告：{len(reports)}（{time.monotonic() - t0:.1f} 秒）")

        values = []
        for report in reports:
            indicator = indicator_of.get(report.task_id)
            if indicator is not None:
                value = (indicator.target * report.percent / 100).quantize(Decimal("1"))
                values.append(IndicatorValue(report=report, indicator=indicator, value=value))
        IndicatorValue.objects.bulk_create(values, batch_size=BATCH)
        last_month = date(year, self.months, 1)
        for indicator in indicators:
            indicator.actual = (indicator.target * final[indicator.task_id] / 100).quantize(
                Decimal("1")
            )
            indicator.as_of_month = last_month
        Indicator.objects.bulk_update(indicators, ["actual", "as_of_month"], batch_size=BATCH)

        for task in tasks:
            task.percent = final[task.pk]
            if task.percent >= 100:
                task.status = TaskStatus.COMPLETED
            elif task.percent > 0:
                task.status = TaskStatus.IN_PROGRESS
        Task.objects.bulk_update(tasks, ["percent", "status"], batch_size=BATCH)

        milestones = []
        for task in tasks:
            span = (task.due_date - task.start_date).days
            for share in (50, 100):
                due = task.start_date + timedelta(days=span * share // 100)
                done = done_share[task.pk] >= share
                milestones.append(
                    Milestone(
                        task=task,
                        title=f"完成{share}%工作量",
                        due_date=due,
                        completed_on=due - timedelta(days=rng.randint(0, 5)) if done else None,
                    )
                )
        Milestone.objects.bulk_create(milestones, batch_size=BATCH)

        supervisor = users["bench-supervisor"]
        behind = sorted(tasks, key=lambda t: (t.percent, t.pk))[: max(1, len(tasks) // 50)]
        Listing.objects.bulk_create(
            [
                Listing(
                    task=task,
                    level=ListingLevel.OFFICE if n % 4 else ListingLevel.CITY,
                    reason="进度明显滞后于序时进度，列入挂牌督办。",
                    deadline=min(task.due_date + timedelta(days=30), date(self.year, 12, 31)),
                    is_public=n % 2 == 0,
                    listed_by=supervisor,
                    listed_at=aware(date(self.year, 7, 3)),
                )
                for n, task in enumerate(behind)
            ],
            batch_size=BATCH,
        )
        self.say(
            f"措施 {len(measures)}，节点 {len(milestones)}，指标 {len(indicators)}，"
            f"指标填报值 {len(values)}，配合单位 {len(partners)}，挂牌督办 {len(behind)}。"
        )

    def reports(self, tasks, staff, heads):
        """`months` reports per task. Months before the last two are approved, the one before
        the last submitted (a few returned); the last month is a draft for the department of
        bench-staff-01 (the report form's POST needs editable drafts) and for a fifth of the
        others, submitted for the rest."""
        rng, year, months = self.rng, self.year, self.months
        first_department = min(staff)
        reports, final, done_share = [], {}, {}
        for task in tasks:
            pace = rng.choice([1.15, 1.0, 1.0, 0.9, 0.6])
            due_month = task.due_date.month
            percent, last_reported = 0, 0
            submitter = staff[task.lead_department_id]
            reviewer = heads[task.lead_department_id]
            for m in range(1, months + 1):
                month = date(year, m, 1)
                expected = min(100, round(100 * m / due_month))
                percent = min(100, max(percent, round(expected * pace + rng.randint(-3, 3))))
                if m == months:
                    draft = task.lead_department_id == first_department or rng.random() < 0.2
                    status = ReportStatus.DRAFT if draft else ReportStatus.SUBMITTED
                elif m == months - 1:
                    status = (
                        ReportStatus.RETURNED if rng.random() < 0.05 else ReportStatus.SUBMITTED
                    )
                else:
                    status = ReportStatus.APPROVED
                submitted_on = month_end(year, m) + timedelta(days=rng.randint(1, 9))
                reported = status in (ReportStatus.SUBMITTED, ReportStatus.APPROVED)
                subject = task.title.split("（")[0][2:]
                reports.append(
                    MonthlyReport(
                        task=task,
                        month=month,
                        progress=rng.choice(PROGRESS).format(s=subject),
                        problems=rng.choice(PROBLEMS),
                        next_steps=rng.choice(NEXT_STEPS).format(s=subject),
                        percent=percent,
                        status=status,
                        submitted_by=submitter if status != ReportStatus.DRAFT else None,
                        submitted_at=aware(submitted_on) if status != ReportStatus.DRAFT else None,
                        reviewed_by=reviewer if status == ReportStatus.APPROVED else None,
                        reviewed_at=(
                            aware(submitted_on + timedelta(days=1))
                            if status == ReportStatus.APPROVED
                            else None
                        ),
                        return_reason="请补充量化数据。" if status == ReportStatus.RETURNED else "",
                        version=1 if status == ReportStatus.DRAFT else 2,
                    )
                )
                if reported:
                    last_reported = percent
            final[task.pk] = last_reported
            done_share[task.pk] = percent
        return reports, final, done_share
