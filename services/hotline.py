"""12345 work orders: the one import every path calls (the upload page, `import_workorders`),
the monthly roll-ups and the KPIs read from them.

An import reads the whole file first and checks every row; a file with a bad row writes
nothing and names the bad rows. A good file is written in one transaction: on PostgreSQL the
rows go through COPY into a temporary table and one INSERT … ON CONFLICT (a year of a city's
work orders, about a million rows, in well under a minute); elsewhere through batched
bulk_create. The roll-ups of the months the file touches are then rebuilt from the work
orders in the database, in the same transaction.
"""

import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from core import items
from core.models import Department

from . import sheets
from .choices import Satisfaction
from .models import HotlineCase, HotlineUnit, WorkOrder, WorkOrderImport, WorkOrderMonth
from .sheets import Checked, ImportRefused, RowsInvalid

# The export's column names, and the other names hotline systems give them.
COLUMNS = {
    "number": ("工单编号", "工单号", "编号"),
    "received_at": ("受理时间", "来电时间", "登记时间", "接收时间"),
    "channel": ("来源渠道", "渠道", "受理渠道", "来源"),
    "category": ("诉求分类", "问题分类", "分类", "诉求类别"),
    "unit": ("网络单位", "承办单位", "办理单位", "责任单位"),
    "replied_at": ("回复时间", "答复时间", "反馈时间"),
    "implemented_at": ("落实时间",),
    "satisfaction": ("回访满意度", "满意度", "回访结果"),
    "closed_at": ("办结时间", "结案时间"),
}
REQUIRED = ("number", "received_at", "unit")
LABELS = {key: names[0] for key, names in COLUMNS.items()}
SATISFACTION = {label: value for value, label in Satisfaction.choices} | {
    "": None,
    "未回访": None,
    "未评价": None,
    "非常满意": Satisfaction.SATISFIED,
}
BATCH = 5000
ANALYZE_AFTER = 50_000  # rows in one import on PostgreSQL


@dataclass(frozen=True)
class Imported:
    record: WorkOrderImport
    created: int
    updated: int


# --- reading -------------------------------------------------------------------------------


def _header(values):
    return sheets.header(values, COLUMNS, REQUIRED, "12345 系统导出的工单表")


def _moment(text, zone):
    """A naive Beijing-time datetime from a cell's text ("2026-01-05 08:30[:00]",
    "2026/1/5 8:30", an ISO time with an offset), or None for an empty cell; ValueError for
    anything else. Naive on purpose: a million rows compare and shift faster without a
    tzinfo, and the database is told the zone when they are written (_copy_upsert)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        normal = text.replace("/", "-").replace("T", " ")
        for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                moment = datetime.strptime(normal, pattern)  # noqa: DTZ007 - naive local time
                break
            except ValueError:
                continue
        else:
            raise ValueError(text) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone).replace(tzinfo=None)
    if not 2000 <= moment.year <= 2100:
        raise ValueError(text)
    return moment


def check_file(fileobj, name):
    """Read and check every row of a hotline export. Returns Checked; raises ImportRefused
    for a file that cannot be read at all."""
    checked = Checked()
    header = None
    zone = timezone.get_current_timezone()
    reply_days = timedelta(days=settings.HOTLINE_REPLY_DAYS)
    seen = set()
    for number, values in enumerate(sheets.raw_rows(fileobj, name), start=1):
        texts = sheets.texts(values)
        if not any(texts):
            continue
        if header is None:
            header = _header(texts)
            width = max(header.values()) + 1
            columns = [header.get(key) for key in COLUMNS]
            continue
        if len(texts) < width:
            texts.extend([""] * (width - len(texts)))
        cells = [texts[i] if i is not None else "" for i in columns]
        row = _check_row(cells, number, checked, seen, reply_days, zone)
        if row is not None:
            checked.rows.append(row)
    if header is None:
        raise ImportRefused("文件是空的：没有找到列名和工单。")
    if not checked.rows and not checked.bad_rows:
        raise ImportRefused("文件只有列名，没有工单。")
    return checked


LIMITS = {"number": 40, "channel": 20, "category": 50, "unit": 100}
MOMENTS = ("received_at", "replied_at", "implemented_at", "closed_at")


def _check_row(cells, number, checked, seen, reply_days, zone):
    """The clean tuple of one row (`cells` in COLUMNS order), or None after recording what is
    wrong with it."""
    code, received, channel, category, unit, replied, implemented, answer, closed = cells
    problems = checked.problems
    for key, text in (("number", code), ("channel", channel), ("category", category),
                      ("unit", unit)):  # fmt: skip
        if len(text) > LIMITS[key]:
            checked.add_error(number, f"{LABELS[key]}超过 {LIMITS[key]} 个字")
    if not code:
        checked.add_error(number, "工单编号为空")
    elif code in seen:
        checked.add_error(number, f"工单编号「{code[:40]}」在文件中重复")
    if not unit:
        checked.add_error(number, "网络单位为空")
    moments = []
    for key, text in zip(MOMENTS, (received, replied, implemented, closed), strict=True):
        try:
            moments.append(_moment(text, zone))
        except ValueError:
            checked.add_error(number, f"{LABELS[key]}「{text[:30]}」不是有效的日期时间")
            moments.append(None)
    received, replied, implemented, closed = moments
    if received is None and not cells[1]:
        checked.add_error(number, "受理时间为空")
    if received is not None:
        for key, moment in zip(MOMENTS[1:], moments[1:], strict=True):
            if moment is not None and moment < received:
                checked.add_error(number, f"{LABELS[key]}早于受理时间")
                break
    if answer not in SATISFACTION:
        checked.add_error(
            number, f"回访满意度「{answer[:20]}」应为 满意、基本满意、不满意 或 未回访"
        )
    if checked.problems != problems:
        checked.bad_rows += 1
        return None
    seen.add(code)
    month = date(received.year, received.month, 1)
    checked.units.add(unit)
    checked.months.add(month)
    return (
        code,
        received,
        month,
        channel,
        category,
        unit,
        replied,
        implemented,
        SATISFACTION[answer],
        closed,
        received + reply_days,
    )


# --- writing -------------------------------------------------------------------------------

FIELDS = (
    "number",
    "received_at",
    "month",
    "channel",
    "category",
    "unit_id",
    "replied_at",
    "implemented_at",
    "satisfaction",
    "closed_at",
    "reply_due",
)
MOMENT_FIELDS = ("received_at", "replied_at", "implemented_at", "closed_at", "reply_due")


def _unit_ids(names):
    """{name: HotlineUnit id}, creating the units the file names for the first time; a new
    unit is matched to the department of exactly the same name."""
    existing = dict(HotlineUnit.objects.filter(name__in=names).values_list("name", "pk"))
    new = sorted(set(names) - set(existing))
    if new:
        departments = dict(Department.objects.filter(name__in=new).values_list("name", "pk"))
        for name in new:
            unit = HotlineUnit(name=name, department_id=departments.get(name))
            unit.save()  # one by one, so that each new unit is in the history
            existing[name] = unit.pk
    return existing


def import_orders(fileobj, name, user=None, task=None):
    """Import a hotline export: check every row, then write all of them or nothing.
    Returns Imported; raises ImportRefused (the file) or RowsInvalid (its bad rows)."""
    started = time.monotonic()
    checked = check_file(fileobj, name)
    if checked.bad_rows:
        raise RowsInvalid(checked)
    rows, checked.rows = checked.rows, None
    with transaction.atomic():
        units = _unit_ids(checked.units)
        if connection.vendor == "postgresql":
            created, updated = _copy_upsert(rows, units)
        else:
            created, updated = _batched_upsert(rows, units)
        months = sorted(checked.months)
        roll_up(months)
        record = WorkOrderImport.objects.create(
            file_name=name[:200],
            imported_by=user if user is not None and user.is_authenticated else None,
            rows=len(rows),
            created=created,
            updated=updated,
            first_month=months[0],
            last_month=months[-1],
            seconds=round(time.monotonic() - started, 2),
            task=task,
        )
    return Imported(record, created, updated)


def _copy_text(text):
    return text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _copy_lines(rows, units):
    """The rows as COPY text lines (naive times, read in the session's Beijing time)."""
    null = "\\N"
    for code, received, month, channel, category, unit, replied, done, answer, closed, due in rows:
        yield (
            "\t".join(
                (
                    _copy_text(code),
                    received.isoformat(" "),
                    month.isoformat(),
                    _copy_text(channel),
                    _copy_text(category),
                    str(units[unit]),
                    replied.isoformat(" ") if replied else null,
                    done.isoformat(" ") if done else null,
                    str(answer) if answer is not None else null,
                    closed.isoformat(" ") if closed else null,
                    due.isoformat(" "),
                )
            )
            + "\n"
        )


def _copy_upsert(rows, units):
    """COPY the rows into a temporary table, then one INSERT … ON CONFLICT into the work
    orders, leaving alone the rows that did not change. Returns (created, updated)."""
    # Every name below is the model's own table and fields, never the file's text (which
    # only travels through COPY's data stream).
    table = WorkOrder._meta.db_table
    columns = ", ".join(FIELDS)
    changing = [name for name in FIELDS if name != "number"]
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in changing)
    differs = " OR ".join(f"{table}.{name} IS DISTINCT FROM EXCLUDED.{name}" for name in changing)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as buffer:
        buffer.writelines(_copy_lines(rows, units))
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL TIME ZONE %s", [settings.TIME_ZONE])
            cursor.execute(
                f"CREATE TEMPORARY TABLE workorder_load (LIKE {table} INCLUDING DEFAULTS) "
                "ON COMMIT DROP"
            )
            cursor.execute("ALTER TABLE workorder_load DROP COLUMN id")
            cursor.cursor.copy_expert(
                f"COPY workorder_load ({columns}) FROM STDIN", buffer, size=1 << 20
            )
            cursor.execute(
                f"SELECT count(*) FROM workorder_load l JOIN {table} w ON w.number = l.number"  # noqa: S608
            )
            updated = cursor.fetchone()[0]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM workorder_load "  # noqa: S608
                f"ON CONFLICT (number) DO UPDATE SET {updates} WHERE {differs}"
            )
            cursor.execute("DROP TABLE workorder_load")
            if len(rows) >= ANALYZE_AFTER:  # the planner's statistics, before autovacuum's
                cursor.execute(f"ANALYZE {table}")
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")  # Django's connections run in UTC
    return len(rows) - updated, updated


def _batched_upsert(rows, units):
    """bulk_create in batches, updating the work orders already there (SQLite)."""
    zone = timezone.get_current_timezone()
    created = updated = 0
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        numbers = [row[0] for row in batch]
        existing = set(
            WorkOrder.objects.filter(number__in=numbers).values_list("number", flat=True)
        )
        updated += len(existing)
        created += len(batch) - len(existing)
        orders = []
        for row in batch:
            values = dict(zip(FIELDS, row, strict=True))
            values["unit_id"] = units[values["unit_id"]]
            for name in MOMENT_FIELDS:
                if values[name] is not None:
                    values[name] = values[name].replace(tzinfo=zone)
            orders.append(WorkOrder(**values))
        WorkOrder.objects.bulk_create(
            orders,
            update_conflicts=True,
            unique_fields=["number"],
            update_fields=[name for name in FIELDS if name != "number"],
        )
    return created, updated


COUNTED = {
    "received": "1 = 1",
    "replied": "replied_at IS NOT NULL",
    "replied_late": "(replied_at > reply_due OR (replied_at IS NULL AND reply_due < %s))",
    "implemented": "implemented_at IS NOT NULL",
    "surveyed": "satisfaction IS NOT NULL",
    "satisfied": f"satisfaction = {Satisfaction.SATISFIED.value}",
    "fair": f"satisfaction = {Satisfaction.FAIR.value}",
    "closed": "closed_at IS NOT NULL",
}


def roll_up(months):
    """Rebuild the monthly roll-ups of `months` from the work orders: one INSERT … SELECT …
    GROUP BY in the database, whatever the number of work orders."""
    WorkOrderMonth.objects.filter(month__in=months).delete()
    sums = ", ".join(f"SUM(CASE WHEN {test} THEN 1 ELSE 0 END)" for test in COUNTED.values())
    marks = ", ".join(["%s"] * len(months))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {WorkOrderMonth._meta.db_table} "  # noqa: S608 - the model's names
            f"(month, unit_id, category, {', '.join(COUNTED)}) "
            f"SELECT month, unit_id, category, {sums} FROM {WorkOrder._meta.db_table} "
            f"WHERE month IN ({marks}) GROUP BY month, unit_id, category",
            [connection.ops.adapt_datetimefield_value(timezone.now()), *months],
        )


# --- KPIs ----------------------------------------------------------------------------------

SUMS = ("received", "replied", "replied_late", "implemented", "surveyed", "satisfied", "fair")


def _rate(part, whole):
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class Figures:
    """The four KPIs of one unit (or of all) over one period, from roll-up sums.

    - 接话量: work orders received in the period;
    - 回复率: those replied, of those received;
    - 落实率: those implemented (落实), of those received;
    - 满意度: 满意 and 基本满意, of those surveyed on follow-up (未回访 left out).
    """

    received: int
    replied: int
    replied_late: int
    implemented: int
    surveyed: int
    satisfied: int
    fair: int

    @classmethod
    def of(cls, row):
        return cls(*(row.get(name) or 0 for name in SUMS))

    @classmethod
    def total(cls, rows):
        """The sum of `unit_figures` rows: every unit's figures together."""
        return cls(*(sum(getattr(row[3], name) for row in rows) for name in SUMS))

    @property
    def reply_rate(self):
        return _rate(self.replied, self.received)

    @property
    def implement_rate(self):
        return _rate(self.implemented, self.received)

    @property
    def satisfaction(self):
        return _rate(self.satisfied + self.fair, self.surveyed)

    @property
    def on_time_rate(self):
        return _rate(self.received - self.replied_late, self.received)


def _sums():
    return {name: Sum(name) for name in SUMS}


def unit_figures(month, units=None):
    """[(unit id, unit name, department id, Figures)] of `month`, one query."""
    rows = WorkOrderMonth.objects.filter(month=month)
    if units is not None:
        rows = rows.filter(unit__in=units)
    rows = (
        rows.values("unit_id", "unit__name", "unit__department_id")
        .annotate(**_sums())
        .order_by("unit__name")
    )
    return [
        (row["unit_id"], row["unit__name"], row["unit__department_id"], Figures.of(row))
        for row in rows
    ]


def category_figures(month, units=None):
    """[(category, Figures)] of `month`, largest first, one query."""
    rows = WorkOrderMonth.objects.filter(month=month)
    if units is not None:
        rows = rows.filter(unit__in=units)
    rows = rows.values("category").annotate(**_sums()).order_by("-received", "category")
    return [(row["category"] or "（未分类）", Figures.of(row)) for row in rows]


def trend(first, last, units=None):
    """[(month, Figures)] of every month from `first` to `last` with work orders, one
    query."""
    rows = WorkOrderMonth.objects.filter(month__gte=first, month__lte=last)
    if units is not None:
        rows = rows.filter(unit__in=units)
    rows = rows.values("month").annotate(**_sums()).order_by("month")
    return [(row["month"], Figures.of(row)) for row in rows]


def department_figures(month):
    """{department id: Figures} of `month`, over the units mapped to departments."""
    rows = (
        WorkOrderMonth.objects.filter(month=month, unit__department__isnull=False)
        .values("unit__department_id")
        .annotate(**_sums())
        .order_by()
    )
    return {row["unit__department_id"]: Figures.of(row) for row in rows}


# --- 集中督办重点难点热点问题 ----------------------------------------------------------------


class NothingToEscalate(Exception):
    """No late or unsatisfied work order matches; the message is for the user."""


def problem_orders(month, unit=None, category=""):
    """The month's work orders of `unit` (or of `category`) that were replied late, are
    unreplied past their deadline, or left the caller 不满意."""
    orders = WorkOrder.objects.filter(month=month)
    if unit is not None:
        orders = orders.filter(unit=unit)
    if category:
        orders = orders.filter(category=category)
    now = timezone.now()
    return orders.filter(
        Q(replied_at__gt=F("reply_due"))
        | Q(replied_at__isnull=True, reply_due__lt=now)
        | Q(satisfaction=Satisfaction.UNSATISFIED)
    )


def case_summary(month, unit=None, category=""):
    """(count of the month's orders, of the late ones, of the unsatisfied ones) — one query."""
    orders = WorkOrder.objects.filter(month=month)
    if unit is not None:
        orders = orders.filter(unit=unit)
    if category:
        orders = orders.filter(category=category)
    now = timezone.now()
    figures = orders.aggregate(
        total=Count("pk"),
        late=Count(
            "pk",
            filter=Q(replied_at__gt=F("reply_due")) | Q(replied_at__isnull=True, reply_due__lt=now),
        ),
        unsatisfied=Count("pk", filter=Q(satisfaction=Satisfaction.UNSATISFIED)),
    )
    return figures["total"], figures["late"], figures["unsatisfied"]


def open_case(*, user, month, unit=None, category="", title, lead_department, due_date):
    """集中督办: a 督办事项 (core/items.py) from the month's late or unsatisfied work orders of
    one unit or one category, linked to them. NothingToEscalate when there are none."""
    with transaction.atomic():
        numbers = list(
            problem_orders(month, unit, category)
            .order_by("received_at")
            .values_list("pk", "number")
        )
        if not numbers:
            raise NothingToEscalate("这个月没有超期或不满意的工单，无需集中督办。")
        total, late, unsatisfied = case_summary(month, unit, category)
        subject = unit.name if unit is not None else f"“{category}”类诉求"
        shown = "、".join(number for _pk, number in numbers[:30])
        more = f"等 {len(numbers)} 件" if len(numbers) > 30 else ""
        item = items.open_item(
            user=user,
            source="letter",
            title=title,
            text=(
                f"12345热线{month:%Y年%-m月}{subject}受理工单 {total} 件，其中超期回复或超期未回复"
                f" {late} 件、回访不满意 {unsatisfied} 件，列为重点难点热点问题集中督办。"
                f"请{lead_department}逐件核查整改，按时报送进展。涉及工单：{shown}{more}。"
            ),
            lead_department=lead_department,
            due_date=due_date,
            doc_number=f"12345集中督办{month:%Y%m}",
        )
        case = HotlineCase.objects.create(
            item=item, month=month, unit=unit, category=category, created_by=user
        )
        case.orders.set([pk for pk, _number in numbers])
    return case
