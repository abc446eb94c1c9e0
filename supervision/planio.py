"""Plan documents in and out of the database.

`read_plan` parses a document and proposes departments (reads the database, writes nothing);
`apply_plan` writes such a tree, idempotently; `export_plan` gives the stored plan back in the
same shape. The management commands and the import page call these and nothing else.
"""

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from core.choices import DepartmentKind
from core.models import Department
from core.task_records import has_records
from core.workdays import Calendar

from . import derived
from .choices import Comparison, Rhythm
from .models import (
    DepartmentAlias,
    DepartmentKeyword,
    Indicator,
    Measure,
    Plan,
    PlanCorrection,
    Project,
    Task,
)
from .plan_files import read_plan_file
from .plan_parser import PlanParseError, decode_plan_bytes, merge_tasks, parse_plan, split_task
from .signals import one_bump

__all__ = [
    "ImportResult",
    "PlanParseError",
    "apply_plan",
    "decode_plan_bytes",
    "export_plan",
    "guess_department_kind",
    "iter_tasks",
    "read_plan",
    "read_plan_file",
    "source_sha256",
    "unit_key",
]

#: the office's own prefixes and the level prefixes a document may put before a unit's name
UNIT_PREFIX_RE = re.compile(r"^(?:[市省区县]政府办公[厅室]|[市省区县]政府|办公[厅室]|[市省区县])")
#: the shortest name (after unit_key) a unit as written is proposed to match by prefix/suffix
MIN_PROPOSAL_CHARS = 3
#: full and short forms of the usual government bodies, each mapped to one spelling
UNIT_SYNONYMS = [
    ("发展和改革委员会", "发改委"),
    ("发展改革委员会", "发改委"),
    ("发展改革委", "发改委"),
    ("发展和改革局", "发改局"),
    ("发展改革局", "发改局"),
    ("人力资源和社会保障", "人社"),
    ("人力资源社会保障", "人社"),
    ("住房和城乡建设", "住建"),
    ("住房城乡建设", "住建"),
    ("工业和信息化", "工信"),
    ("经济和信息化", "经信"),
    ("市场监督管理局", "市场监管局"),
    ("卫生健康委员会", "卫健委"),
    ("卫生健康委", "卫健委"),
    ("国有资产监督管理委员会", "国资委"),
    ("行政审批服务局", "审批局"),
    ("大数据发展管理局", "大数据局"),
    ("地方金融监督管理局", "地方金融监管局"),
    ("农业农村", "农业农村"),
    ("委员会", "委"),
]


def iter_tasks(tasks):
    """Every task of a tree level, depth first, parents before their children."""
    for task in tasks:
        yield task
        yield from iter_tasks(task.get("tasks", []))


# --- reading -------------------------------------------------------------------------------


def source_sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def read_plan(text, year, own_plan=False, structure=None):
    """Parse `text` into the plan tree; units are given the names of existing departments
    where the alias table or the usual name forms match one.

    With `own_plan` (the office's own work plan), a task whose text names no unit gets the
    lead department of the keyword table as a suggestion (`lead_suggested`). Corrections made
    on the review page for the same text are applied: first its splits and merges of tasks
    (`structure`, see `restructure`; the remembered ones when None), then the corrections of
    titles, units and deadlines. Raises PlanParseError for a document that is not a plan, or
    a `structure` that does not fit it."""
    tree = parse_plan(text, year)
    keywords = []
    if own_plan:
        keywords = list(
            DepartmentKeyword.objects.select_related("department").values_list(
                "keyword", "priority", "department__name"
            )
        )
    resolve = UnitResolver()
    for project in tree["projects"]:
        for task in iter_tasks(project["tasks"]):
            task["lead_suggested"] = False
            if task.get("lead_department"):
                task["lead_department"] = resolve.name(task["lead_department"])
            elif keywords:
                task["lead_department"] = match_department(keywords, task, project)
                task["lead_suggested"] = bool(task["lead_department"])
            # Departments are a set in the database: give them in a stable order.
            task["partner_departments"] = _partners(resolve, task)
            for measure in task.get("measures", []):
                if measure.get("lead_department"):
                    measure["lead_department"] = resolve.name(measure["lead_department"])
                measure["partner_departments"] = _partners(resolve, measure)
    apply_remembered_corrections(tree, source_sha256(text), structure)
    return tree


def _partners(resolve, node):
    names = {resolve.name(n) for n in node.get("partner_departments", [])}
    names.discard(node.get("lead_department"))
    return sorted(names)


def unit_key(name):
    """A unit's name reduced for matching: level and office prefixes off, usual short forms."""
    key = re.sub(r"\s", "", name)
    key = UNIT_PREFIX_RE.sub("", key)
    for long, short in UNIT_SYNONYMS:
        key = key.replace(long, short)
    return key


class UnitResolver:
    """Names of units as written → names of existing departments (one query each table)."""

    def __init__(self):
        departments = list(Department.objects.values_list("name", "short_name"))
        self.names = {name for name, _ in departments}
        self.aliases = dict(DepartmentAlias.objects.values_list("alias", "department__name"))
        by_key = {}
        for name, short in departments:
            for form in {name, short} - {""}:
                by_key.setdefault(unit_key(form), set()).add(name)
        self.by_key = {key: names.pop() for key, names in by_key.items() if len(names) == 1}

    def department_name(self, written):
        """The existing department's name for a unit as written, or None."""
        if written in self.names:
            return written
        if written in self.aliases:
            return self.aliases[written]
        return self.by_key.get(unit_key(written))

    def name(self, written):
        return self.department_name(written) or written

    def proposal(self, written):
        """For a unit no department matches: the existing department whose name differs from
        it only by a prefix or a suffix (青岛市金融工作办公室, 行政审批服务处（市民中心）), the
        closest when several do; None if none or a tie. Only proposed (the import review
        page pre-selects it and remembers the admin's choice as an alias), never applied
        silently."""
        key = unit_key(written)
        found = []
        for other, name in self.by_key.items():
            short, long = sorted((key, other), key=len)
            if (
                len(short) >= MIN_PROPOSAL_CHARS
                and short != long
                and (long.startswith(short) or long.endswith(short))
            ):
                found.append((len(long) - len(short), name))
        found.sort()
        if not found or (len(found) > 1 and found[0][0] == found[1][0]):
            return None
        return found[0][1]


def apply_remembered_corrections(tree, sha, structure=None):
    """The splits and merges (`structure`, or the remembered ones), then the titles, units and
    deadlines corrected on the review page for this very text."""
    corrections = {}
    for code, field_name, value in PlanCorrection.objects.filter(source_sha256=sha).values_list(
        "code", "field", "value"
    ):
        corrections.setdefault(code, {})[field_name] = value
    remembered_ops = corrections.pop(STRUCTURE_CODE, {}).get(PlanCorrection.Field.STRUCTURE, "")
    restructure(tree, remembered_ops if structure is None else structure)
    # after the splits (a split task has its own limit), before a corrected deadline wins
    workday_dues(tree)
    if not corrections:
        return
    for project in tree["projects"]:
        for code, task in _coded(project["tasks"], str(project["number"])):
            for field_name, value in corrections.get(code, {}).items():
                _correct_task(task, field_name, value)
            for measure in task.get("measures", []):
                for field_name, value in corrections.get(f"{code}/{measure['number']}", {}).items():
                    _correct_measure(measure, field_name, value)


def workday_start(year, stored=None, today=None):
    """The day a limit in 工作日 ("30个工作日内完成") counts from: the task's 交办, i.e. its
    start date if it has one, else the day it was first imported (today for a new task).
    A 交办 day outside the plan's year (a plan imported ahead, or an old plan entered
    later) gives the plan's start instead: 1 January of its year."""
    start_date, created = stored or (None, None)
    day = start_date or (timezone.localdate(created) if created else None)
    day = day or today or timezone.localdate()
    return day if day.year == year else date(year, 1, 1)


def workday_dues(tree):
    """Count each limit in 工作日 that the parser found (`due_workdays`) into a deadline with
    the working-day calendar, from `workday_start`; the node keeps the start it counted from
    (`due_workdays_start`), which the review page shows. A calendar deadline is never
    replaced (the parser sets no limit where the text has one)."""
    year = tree["year"]
    limited = [
        (code, node)
        for project in tree["projects"]
        for code, task in _coded(project["tasks"], str(project["number"]))
        for node in (task, *task.get("measures", []))
        if node.get("due_workdays") and not node.get("due")
    ]
    if not limited:  # most plans: no query
        return
    stored = {
        code: (start, created)
        for code, start, created in Task.objects.filter(project__plan__year=year).values_list(
            "code", "start_date", "created_at"
        )
    }
    calendar = Calendar.load()
    today = timezone.localdate()
    for code, node in limited:
        start = workday_start(year, stored.get(code), today)
        node["due"] = calendar.add(start, node["due_workdays"]).isoformat()
        node["due_workdays_start"] = start.isoformat()


def _names(value):
    return [name for name in value.split("、") if name]


def _correct_task(task, field_name, value):
    if field_name == "title" and value:
        task["title"] = value
    elif field_name == "lead":
        task["lead_department"] = value or None
        task["lead_suggested"] = False
    elif field_name == "partners":
        task["partner_departments"] = _names(value)
    elif field_name == "due":
        task["due"] = value or None
        task.pop("due_workdays_start", None)


def _correct_measure(measure, field_name, value):
    if field_name == "m_lead":
        measure["lead_department"] = value or None
    elif field_name == "m_partners":
        measure["partner_departments"] = _names(value)


# --- splits and merges ---------------------------------------------------------------------

STRUCTURE_CODE = "*"  # the PlanCorrection row that holds a text's splits and merges


def structure_ops(structure):
    """ "split 2.3 3;merge 1.2" → [("split", "2.3", 3), ("merge", "1.2", None)]."""
    ops = []
    for item in (structure or "").split(";"):
        parts = item.split()
        if not parts:
            continue
        if parts[0] == "split" and len(parts) == 3 and parts[2].isdigit():
            ops.append(("split", parts[1], int(parts[2])))
        elif parts[0] == "merge" and len(parts) == 2:
            ops.append(("merge", parts[1], None))
        else:
            raise PlanParseError("拆分或合并的记录无法识别，请重新上传计划文档。")
    return ops


def structure_text(ops):
    return ";".join(
        f"{kind} {code} {at}" if kind == "split" else f"{kind} {code}" for kind, code, at in ops
    )


def restructure(tree, structure):
    """Apply the splits and merges of `structure` to `tree`, in order; each names a task by
    its code at that point. Raises PlanParseError for one that does not fit the tree."""
    for kind, code, at in structure_ops(structure):
        siblings, index = _locate(tree, code)
        try:
            if kind == "split":
                split_task(siblings, index, at, tree["year"])
            else:
                merge_tasks(siblings, index, tree["year"])
        except PlanParseError as exc:
            raise PlanParseError(f"任务 {code}：{exc}请重新上传计划文档。") from None


def _locate(tree, code):
    """(the list holding the task `code`, its index in it)."""
    numbers = code.split(".")
    if len(numbers) < 2 or not all(n.isdigit() for n in numbers):
        raise PlanParseError(f"任务编号“{code}”无效，请重新上传计划文档。")
    projects = {str(p["number"]): p for p in tree["projects"]}
    if numbers[0] not in projects:
        raise PlanParseError(f"没有编号为“{code}”的任务，请重新上传计划文档。")
    siblings = projects[numbers[0]]["tasks"]
    for depth, number in enumerate(numbers[1:]):
        index = int(number) - 1
        if not 0 <= index < len(siblings):
            raise PlanParseError(f"没有编号为“{code}”的任务，请重新上传计划文档。")
        if depth == len(numbers) - 2:
            return siblings, index
        siblings = siblings[index].get("tasks", [])
    raise PlanParseError(f"没有编号为“{code}”的任务，请重新上传计划文档。")


def remembered_structure(sha):
    """The splits and merges remembered for the text of this SHA-256 ("" when none)."""
    row = PlanCorrection.objects.filter(
        source_sha256=sha, code=STRUCTURE_CODE, field=PlanCorrection.Field.STRUCTURE
    ).first()
    return row.value if row else ""


def _coded(tasks, prefix):
    for task in tasks:
        code = f"{prefix}.{task['number']}"
        yield code, task
        yield from _coded(task.get("tasks", []), code)


def remember_corrections(sha, corrections):
    """Store {code: {field: value}} (PlanCorrection.Field; a measure's code is "2.1/3") for a
    re-import of the same text."""
    for code, values in corrections.items():
        for field_name, value in values.items():
            PlanCorrection.objects.update_or_create(
                source_sha256=sha, code=code, field=field_name, defaults={"value": value or ""}
            )


def unknown_units(tree, known=None):
    """Units the tree names that match no existing department, in document order. `known`:
    the names of all departments, when the caller has them (read_plan resolved the rest)."""
    resolve = UnitResolver() if known is None else None
    seen = []
    for project in tree["projects"]:
        for task in iter_tasks(project["tasks"]):
            nodes = [task, *task.get("measures", [])]
            for node in nodes:
                for name in [node.get("lead_department"), *node.get("partner_departments", [])]:
                    exists = name in known if resolve is None else resolve.department_name(name)
                    if name and not exists and name not in seen:
                        seen.append(name)
    return seen


def match_department(keywords, task, project):
    """The department of the best keyword hit, or None.

    Higher priority first, then where it was found (task title, project title, task text),
    then the longer keyword, then the earlier position."""
    places = [task["title"], project["title"], task["text"]]
    best = None
    for keyword, priority, department in keywords:
        for rank, haystack in enumerate(places):
            pos = haystack.find(keyword)
            if pos >= 0:
                score = (-priority, rank, -len(keyword), pos)
                if best is None or score < best[0]:
                    best = (score, department)
                break
    return best[1] if best else None


def unplaced_tasks(tree):
    """(code, title) of the tasks that have no lead department."""
    out = []
    for project in tree["projects"]:
        out += _unplaced(project["tasks"], str(project["number"]))
    return out


def _unplaced(tasks, prefix):
    out = []
    for task in tasks:
        code = f"{prefix}.{task['number']}"
        if not task.get("lead_department"):
            out.append((code, task["title"]))
        out += _unplaced(task.get("tasks", []), code)
    return out


# --- writing -------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import did, for the command's output and the import page."""

    plan: Plan | None = None
    created: int = 0
    updated: int = 0
    deleted: int = 0
    # by model name ("project", "task", "measure", "indicator", "plan")
    created_kinds: Counter = field(default_factory=Counter)
    updated_kinds: Counter = field(default_factory=Counter)
    kept: list = field(default_factory=list)  # tasks gone from the file but holding progress
    unplaced: list = field(default_factory=list)
    new_departments: list = field(default_factory=list)
    leads: list = field(default_factory=list)  # (code, title, lead is a suggestion)

    @property
    def changed(self):
        return bool(self.created or self.updated or self.deleted)


def guess_department_kind(name):
    if name.endswith(("区", "县")) or (name.endswith("市") and len(name) <= 4):
        return DepartmentKind.DISTRICT
    if name.startswith("市") or name.startswith("省"):
        return DepartmentKind.MUNICIPAL
    return DepartmentKind.OTHER


class _Writer:
    """Syncs one tree into the database, saving only rows whose values changed."""

    def __init__(self, result):
        self.result = result
        self.departments = {d.name: d for d in Department.objects.all()}
        self.resolver = UnitResolver()

    def department(self, name):
        if not name:
            return None
        name = self.resolver.name(name)
        if name not in self.departments:
            self.departments[name] = Department.objects.create(
                name=name[:100], kind=guess_department_kind(name)
            )
            self.result.new_departments.append(name)
        return self.departments[name]

    def sync(self, instance, values):
        """Create or update `instance` with `values`; counts what it did."""
        kind = instance._meta.model_name
        if instance.pk is None:
            for key, value in values.items():
                setattr(instance, key, value)
            instance.save()
            instance._created_now = True  # its partners are part of the creation, no update
            self.result.created += 1
            self.result.created_kinds[kind] += 1
            return instance
        changed = [k for k, v in values.items() if getattr(instance, k) != v]
        if changed:
            for key in changed:
                setattr(instance, key, values[key])
            instance.save()
            self.updated(instance)
        return instance

    def updated(self, instance):
        self.result.updated += 1
        self.result.updated_kinds[instance._meta.model_name] += 1

    def set_partners(self, instance, partners):
        """Set the partner departments (ids) of a task or measure the document names; an
        update only for one that existed before this import."""
        if not partners:
            return
        if getattr(instance, "_created_now", False):
            instance.partner_departments.set(partners)
        elif set(instance.partner_departments.values_list("pk", flat=True)) != partners:
            instance.partner_departments.set(partners)
            self.updated(instance)

    def delete(self, instance):
        instance.delete()
        self.result.deleted += 1


def _decimal(value):
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _date(value):
    return date.fromisoformat(value) if value else None


def _has_progress(task):
    return (
        task.reports.exists()
        or task.milestones.exists()
        or task.listings.exists()
        or task.instructions.exists()
        or task.reminders.exists()
        or has_records(task.pk)  # other apps' records serve it (core/task_records.py)
    )


def apply_plan(tree, source_text=""):
    """Write `tree` (as read_plan gives it). A second run with the same tree changes nothing;
    an edited tree updates rows in place; tasks that left the file are deleted only when
    nothing has been reported on them, otherwise kept and listed in the result. The plan's
    dashboard figures go stale once, at the end, not once per row (signals.one_bump)."""
    with one_bump(set()) as written:
        result = _apply_plan(tree, source_text)
        written.add(result.plan.pk)
    return result


@transaction.atomic
def _apply_plan(tree, source_text):
    result = ImportResult()
    writer = _Writer(result)
    plan = Plan.objects.filter(year=tree["year"]).first() or Plan(year=tree["year"])
    plan_values = {
        "title": tree["title"][:200],
        "preamble": tree["preamble"],
    }
    if source_text:
        plan_values["source_text"] = source_text
        plan_values["source_sha256"] = hashlib.sha256(source_text.encode()).hexdigest()
    result.plan = writer.sync(plan, plan_values)

    projects = {p.number: p for p in plan.projects.all()}
    for node in tree["projects"]:
        project = projects.pop(node["number"], None) or Project(plan=plan, number=node["number"])
        writer.sync(project, {"title": node["title"][:200], "summary": node["summary"]})
        existing = {t.number: t for t in project.tasks.filter(parent=None)}
        _sync_tasks(writer, project, None, node["tasks"], existing)
    for project in projects.values():
        for task in project.tasks.filter(parent=None):
            _retire_task(writer, task)
        if not project.tasks.exists():
            writer.delete(project)
    tasks = list(_all_tasks(plan))
    result.unplaced = [(t.code, t.title) for t in tasks if t.lead_department_id is None]
    result.leads = [(t.code, t.title, t.lead_suggested) for t in tasks if t.lead_department_id]
    derived.changed([t.pk for t in tasks])
    return result


def _all_tasks(plan):
    return Task.objects.filter(project__plan=plan).order_by("path")


def _sync_tasks(writer, project, parent, nodes, existing):
    for node in nodes:
        task = existing.pop(node["number"], None) or Task(
            project=project, parent=parent, number=node["number"]
        )
        values = {"title": node["title"][:200], "text": node["text"]}
        # A deadline or rhythm the file leaves open does not clear one set since.
        if node.get("due") or task.pk is None:
            values["due_date"] = _date(node.get("due"))
        if node.get("rhythm") or task.pk is None:
            values["rhythm"] = node.get("rhythm") or ""
        named = node.get("lead_department")
        # A unit the text itself names wins; a keyword's guess (a suggestion) never overrides
        # a lead that someone has set since the last import.
        guessed = bool(node.get("lead_suggested"))
        if named and (task.pk is None or not task.lead_department_id or not guessed):
            values["lead_department"] = writer.department(named)
            values["lead_suggested"] = guessed
        new = task.pk is None  # nothing hangs on it yet: no lookups of what it holds
        writer.sync(task, values)
        partners = {writer.department(n).pk for n in node.get("partner_departments", [])}
        writer.set_partners(task, partners)
        _sync_measures(writer, task, node.get("measures", []), new)
        _sync_indicators(writer, task, node.get("indicators", []), new)
        children = {} if new else {t.number: t for t in task.children.all()}
        _sync_tasks(writer, project, task, node.get("tasks", []), children)
    for task in existing.values():
        _retire_task(writer, task)


def _retire_task(writer, task):
    if _has_progress(task) or any(_has_progress(c) for c in task.children.all()):
        writer.result.kept.append((task.code, task.title))
    else:
        writer.delete(task)


def _sync_measures(writer, task, nodes, new=False):
    existing = {} if new else {m.number: m for m in task.measures.all()}
    for node in nodes:
        measure = existing.pop(node["number"], None) or Measure(task=task, number=node["number"])
        values = {"text": node["text"]}
        if node.get("lead_department") or measure.pk is None:
            values["lead_department"] = writer.department(node.get("lead_department"))
        if node.get("due") or measure.pk is None:
            values["due_date"] = _date(node.get("due"))
        writer.sync(measure, values)
        partners = {writer.department(n).pk for n in node.get("partner_departments", [])}
        writer.set_partners(measure, partners)
    for measure in existing.values():
        writer.delete(measure)


def _sync_indicators(writer, task, nodes, new=False):
    existing = {} if new else {i.number: i for i in task.indicators.all()}
    for number, node in enumerate(nodes, start=1):
        indicator = existing.pop(number, None) or Indicator(task=task, number=number)
        writer.sync(
            indicator,
            {
                "name": node["name"][:100],
                "target": None if node.get("target") is None else _decimal(node["target"]),
                "unit": node.get("unit", "")[:20],
                "comparison": node.get("comparison", ">="),
                "reference": (node.get("reference") or "")[:100],
            },
        )
    for indicator in existing.values():
        if not indicator.values.exists():
            writer.delete(indicator)


# --- export --------------------------------------------------------------------------------


def _number(value):
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def export_plan(plan):
    """The stored plan as the JSON-able tree of CONTRACT.md."""
    tasks = (
        Task.objects.filter(project__plan=plan)
        .select_related("lead_department")
        .prefetch_related(
            "partner_departments",
            "measures__lead_department",
            "measures__partner_departments",
            "indicators",
        )
        .order_by("path")
    )
    by_parent = {}
    for task in tasks:
        key = ("task", task.parent_id) if task.parent_id else ("project", task.project_id)
        by_parent.setdefault(key, []).append(task)

    def task_node(task):
        return {
            "number": task.number,
            "title": task.title,
            "text": task.text,
            "lead_department": task.lead_department.name if task.lead_department else None,
            "lead_suggested": task.lead_suggested,
            "partner_departments": sorted(
                (d.name for d in task.partner_departments.all()),
            ),
            "due": task.due_date.isoformat() if task.due_date else None,
            "rhythm": task.rhythm or None,
            "measures": [
                {
                    "number": m.number,
                    "text": m.text,
                    "lead_department": m.lead_department.name if m.lead_department else None,
                    "partner_departments": sorted(d.name for d in m.partner_departments.all()),
                    "due": m.due_date.isoformat() if m.due_date else None,
                }
                for m in task.measures.all()
            ],
            "indicators": [
                {
                    "name": i.name,
                    "target": None if i.target is None else _number(i.target),
                    "unit": i.unit,
                    "comparison": i.comparison,
                    **({"reference": i.reference} if i.reference else {}),
                }
                for i in task.indicators.all()
            ],
            "tasks": [task_node(c) for c in by_parent.get(("task", task.pk), [])],
        }

    return {
        "year": plan.year,
        "title": plan.title,
        "preamble": plan.preamble,
        "projects": [
            {
                "number": p.number,
                "title": p.title,
                "summary": p.summary,
                "tasks": [task_node(t) for t in by_parent.get(("project", p.pk), [])],
            }
            for p in plan.projects.order_by("number")
        ],
    }


# --- the review of the import page (views/plans.py) ------------------------------------


@dataclass
class Row:
    """One task of the parsed tree as the review page shows it.

    `lead_*` and `due` are what the import will leave on the task if the admin changes
    nothing: the document's values, except where apply_plan keeps the stored ones (a keyword
    guess never overrides a lead set since; an open deadline never clears one)."""

    code: str
    depth: int
    node: dict
    lead_name: str | None = None
    lead_id: int | None = None
    lead_is_new: bool = False
    due: date | None = None
    start_date: date | None = None
    current: tuple | None = None  # (lead name, due) of the stored task, when it differs
    workdays: int | None = None  # `due` was counted from "N个工作日内" (planio.workday_dues)
    workdays_start: date | None = None  # … from this day
    indicators: list = field(default_factory=list)
    rhythm: str = ""
    lead_suggested: bool = False  # the lead is the keyword table's guess, not the document's
    has_next: bool = False  # a next task at the same level, to merge this one with

    @property
    def title_key(self):
        return f"title_{self.code}"

    @property
    def partners_key(self):
        return f"partners_{self.code}"

    @property
    def split_key(self):
        return f"split_{self.code}"

    @property
    def merge_key(self):
        return f"merge_{self.code}"

    @property
    def measures(self):
        """(measure node, its lead field's name, its partners field's name)."""
        return [
            (m, f"mlead_{self.code}_{m['number']}", f"mpartners_{self.code}_{m['number']}")
            for m in self.node.get("measures", [])
        ]

    @property
    def confirm_key(self):
        return f"confirm_{self.code}"

    @property
    def lead_key(self):
        return f"lead_{self.code}"

    @property
    def due_key(self):
        return f"due_{self.code}"

    @property
    def unplaced(self):
        return not self.lead_name


@dataclass
class Review:
    """Everything the review page needs, computed with a fixed number of queries."""

    tree: dict
    source: str
    departments: list
    existing_plan: Plan | None = None
    existing_task_count: int = 0
    projects: list = field(default_factory=list)  # (project node, [Row])
    rows: list = field(default_factory=list)
    units: list = field(default_factory=list)  # units named that match no department
    proposals: dict = field(default_factory=dict)  # unit → department id, by prefix/suffix
    leaving: int = 0  # stored tasks that the document no longer has
    same_source: bool = False

    @property
    def unplaced(self):
        return [row for row in self.rows if row.unplaced]

    @property
    def new_departments(self):
        return self.units

    @property
    def suggested(self):
        return [row for row in self.rows if row.lead_suggested and row.lead_name]

    @property
    def measure_count(self):
        return sum(len(row.node.get("measures", [])) for row in self.rows)

    @property
    def indicator_count(self):
        return sum(len(row.indicators) for row in self.rows)


def load_departments():
    """All departments in one query, and the select's choices grouped by kind."""
    departments = list(Department.objects.order_by("sort_order", "name"))
    groups = {}
    for dept in departments:
        label = dept.name if dept.is_active else f"{dept.name}（已停用）"
        groups.setdefault(dept.kind, []).append((str(dept.pk), label))
    kinds = dict(DepartmentKind.choices)
    choices = [(kinds.get(kind, kind), options) for kind, options in groups.items()]
    return departments, choices


def build_review(tree, source, departments):
    """The rows of `tree` with what the import will write, next to what is stored."""
    by_name = {d.name: d for d in departments}
    by_id = {d.pk: d for d in departments}
    review = Review(tree=tree, source=source, departments=departments)
    review.existing_plan = (
        Plan.objects.filter(year=tree["year"]).annotate(task_count=Count("projects__tasks")).first()
    )
    stored = {}
    if review.existing_plan:
        review.existing_task_count = review.existing_plan.task_count
        review.same_source = (
            review.existing_plan.source_sha256 == hashlib.sha256(source.encode()).hexdigest()
        )
        stored = {
            code: (lead_id, due, start, suggested)
            for code, lead_id, due, start, suggested in Task.objects.filter(
                project__plan=review.existing_plan
            ).values_list("code", "lead_department_id", "due_date", "start_date", "lead_suggested")
        }
    comparisons = dict(Comparison.choices)
    rhythms = dict(Rhythm.choices)

    def walk(nodes, prefix, depth, rows):
        for position, node in enumerate(nodes):
            code = f"{prefix}.{node['number']}"
            row = Row(code=code, depth=depth, node=node, has_next=position + 1 < len(nodes))
            row.lead_suggested = bool(node.get("lead_suggested"))
            named = node.get("lead_department")
            due = date.fromisoformat(node["due"]) if node.get("due") else None
            old = stored.get(code)
            if old is not None:
                old_lead, old_due, row.start_date, old_suggested = old
                # Mirrors planio._sync_tasks: what apply_plan keeps of the stored task.
                if not (named and (not old_lead or not node.get("lead_suggested"))):
                    named = by_id[old_lead].name if old_lead in by_id else None
                    row.lead_suggested = old_suggested
                due = due or old_due
                old_name = by_id[old_lead].name if old_lead in by_id else None
                if (old_name, old_due) != (named, due):
                    row.current = (old_name, old_due)
            row.lead_name = named
            row.lead_id = by_name[named].pk if named in by_name else None
            row.lead_is_new = bool(named) and named not in by_name
            row.due = due
            if node.get("due_workdays_start") and due == date.fromisoformat(node["due"]):
                row.workdays = node["due_workdays"]
                row.workdays_start = date.fromisoformat(node["due_workdays_start"])
            row.rhythm = rhythms.get(node.get("rhythm") or "", "")
            row.indicators = [
                {**ind, "sign": comparisons.get(ind.get("comparison", ">="), "≥")}
                for ind in node.get("indicators", [])
            ]
            rows.append(row)
            walk(node.get("tasks", []), code, depth + 1, rows)

    for project in tree["projects"]:
        rows = []
        walk(project["tasks"], str(project["number"]), 0, rows)
        review.projects.append((project, rows))
        review.rows += rows
    review.leaving = len(set(stored) - {row.code for row in review.rows})
    names = {d.name for d in departments}
    review.units = unknown_units(tree, known=names)
    if review.units:
        resolver = UnitResolver()
        for unit in review.units:
            proposed = resolver.proposal(unit)
            if proposed in by_name:
                review.proposals[unit] = by_name[proposed].pk
    return review


# --- views ---------------------------------------------------------------------------------


def apply_corrections(plan, corrections, result=None):
    """Save each corrected task and measure through its model, so that the history names the
    user. `corrections`: {task code: {"title", "lead_department_id", "lead_suggested",
    "due_date", "partners": [unit names]}, "code/n": {"lead": unit name, "partners": [...]}}.
    Returns how many tasks were corrected."""
    if not corrections:
        return 0
    codes = {key.split("/")[0] for key in corrections}
    tasks = Task.objects.filter(project__plan=plan, code__in=codes).select_related(
        "project", "parent"
    )
    departments = _Departments(result)
    count = 0
    for task in tasks:
        values = dict(corrections.get(task.code, {}))
        partners = values.pop("partners", None)
        changed = [key for key, value in values.items() if getattr(task, key) != value]
        if changed:
            for key in changed:
                setattr(task, key, values[key])
            task.save()
            derived.changed([task.pk])
        moved = partners is not None and _set_partners(task, departments.ids(partners))
        measures = _correct_measures(task, corrections, departments)
        count += bool(changed or moved or measures)
    return count


def _set_partners(instance, ids):
    if set(instance.partner_departments.values_list("pk", flat=True)) == set(ids):
        return False
    instance.partner_departments.set(ids)
    return True


def _correct_measures(task, corrections, departments):
    done = 0
    for measure in task.measures.all():
        values = corrections.get(f"{task.code}/{measure.number}")
        if not values:
            continue
        if "lead" in values:
            lead = departments.ids([values["lead"]] if values["lead"] else [])
            lead_id = lead[0] if lead else None
            if measure.lead_department_id != lead_id:
                measure.lead_department_id = lead_id
                measure.save()
                done += 1
        if "partners" in values:
            done += _set_partners(measure, departments.ids(values["partners"]))
    return done


class _Departments:
    """Unit names chosen on the review page → department ids (created as apply_plan would,
    for a unit the document names that is not yet a department)."""

    def __init__(self, result=None):
        self.writer = _Writer(result or ImportResult())

    def ids(self, names):
        return [self.writer.department(name).pk for name in names]


def remembered(changes, departments, review):
    """The corrections as PlanCorrection values (units by name, due as ISO date)."""
    names = {d.pk: d.name for d in departments}
    rows = {row.code: row for row in review.rows}
    out = {}
    for code, values in changes.items():
        keep = {}
        if "/" in code:  # a measure
            if "lead" in values:
                keep["m_lead"] = values["lead"] or ""
            if "partners" in values:
                keep["m_partners"] = "、".join(values["partners"])
            out[code] = keep
            continue
        if "title" in values:
            keep["title"] = values["title"]
        if "lead_department_id" in values:
            keep["lead"] = names.get(values["lead_department_id"], "")
        elif values.get("lead_suggested") is False and rows[code].lead_name:
            keep["lead"] = rows[code].lead_name  # a confirmed suggestion
        if "partners" in values:
            keep["partners"] = "、".join(values["partners"])
        if "due_date" in values:
            keep["due"] = values["due_date"].isoformat() if values["due_date"] else ""
        if keep:
            out[code] = keep
    return out


def import_reviewed(tree, source, unit_mappings, changes, departments, review, structure=""):
    """Import the reviewed `tree` with the admin's unit mappings (remembered as aliases),
    splits and merges (`structure`, already applied to the tree) and corrections (applied
    through the models, remembered for a re-import of the same text), in one transaction.
    Returns (ImportResult, how many tasks were corrected)."""
    sha = source_sha256(source)
    with transaction.atomic():
        for name, department_id in unit_mappings.items():
            DepartmentAlias.objects.update_or_create(
                alias=name[:100], defaults={"department_id": department_id}
            )
        result = apply_plan(tree, source_text=source)
        corrected = apply_corrections(result.plan, changes, result)
        if structure or remembered_structure(sha):
            PlanCorrection.objects.update_or_create(
                source_sha256=sha,
                code=STRUCTURE_CODE,
                field=PlanCorrection.Field.STRUCTURE,
                defaults={"value": structure},
            )
        remember_corrections(sha, remembered(changes, departments, review))
    return result, corrected
