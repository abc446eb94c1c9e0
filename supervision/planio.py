"""Plan documents in and out of the database.

`read_plan` parses a document and proposes departments (reads the database, writes nothing);
`apply_plan` writes such a tree, idempotently; `export_plan` gives the stored plan back in the
same shape. The management commands and the import page call these and nothing else.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction

from core.choices import DepartmentKind
from core.models import Department

from .models import DepartmentKeyword, Indicator, Measure, Plan, Project, Task
from .plan_parser import PlanParseError, decode_plan_bytes, parse_plan

__all__ = [
    "ImportResult",
    "PlanParseError",
    "apply_plan",
    "decode_plan_bytes",
    "export_plan",
    "guess_department_kind",
    "iter_tasks",
    "read_plan",
]


def iter_tasks(tasks):
    """Every task of a tree level, depth first, parents before their children."""
    for task in tasks:
        yield task
        yield from iter_tasks(task.get("tasks", []))


# --- reading -------------------------------------------------------------------------------


def read_plan(text, year):
    """Parse `text` and fill each task's lead department from the keyword table where the
    text names none. Raises PlanParseError for a document that is not a plan."""
    tree = parse_plan(text, year)
    keywords = list(
        DepartmentKeyword.objects.select_related("department").values_list(
            "keyword", "priority", "department__name"
        )
    )
    for project in tree["projects"]:
        for task in iter_tasks(project["tasks"]):
            if not task.get("lead_department"):
                task["lead_department"] = match_department(keywords, task, project)
            # Departments are a set in the database: give them in a stable order.
            task["partner_departments"] = sorted(set(task.get("partner_departments", [])))
    return tree


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
    kept: list = field(default_factory=list)  # tasks gone from the file but holding progress
    unplaced: list = field(default_factory=list)
    new_departments: list = field(default_factory=list)

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

    def department(self, name):
        if not name:
            return None
        if name not in self.departments:
            self.departments[name] = Department.objects.create(
                name=name[:100], kind=guess_department_kind(name)
            )
            self.result.new_departments.append(name)
        return self.departments[name]

    def sync(self, instance, values):
        """Create or update `instance` with `values`; counts what it did."""
        if instance.pk is None:
            for key, value in values.items():
                setattr(instance, key, value)
            instance.save()
            self.result.created += 1
            return instance
        changed = [k for k, v in values.items() if getattr(instance, k) != v]
        if changed:
            for key in changed:
                setattr(instance, key, values[key])
            instance.save()
            self.result.updated += 1
        return instance

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
    )


@transaction.atomic
def apply_plan(tree, source_text=""):
    """Write `tree` (as read_plan gives it). A second run with the same tree changes nothing;
    an edited tree updates rows in place; tasks that left the file are deleted only when
    nothing has been reported on them, otherwise kept and listed in the result."""
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
    result.unplaced = [(t.code, t.title) for t in _all_tasks(plan) if t.lead_department_id is None]
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
        # A unit the text itself names wins; a keyword's guess never overrides a lead that
        # someone has set since the last import.
        if named and (task.pk is None or not task.lead_department_id or named in node["text"]):
            values["lead_department"] = writer.department(named)
        writer.sync(task, values)
        partners = {writer.department(n).pk for n in node.get("partner_departments", [])}
        if partners and set(task.partner_departments.values_list("pk", flat=True)) != partners:
            task.partner_departments.set(partners)
            writer.result.updated += 1
        _sync_measures(writer, task, node.get("measures", []))
        _sync_indicators(writer, task, node.get("indicators", []))
        children = {t.number: t for t in task.children.all()}
        _sync_tasks(writer, project, task, node.get("tasks", []), children)
    for task in existing.values():
        _retire_task(writer, task)


def _retire_task(writer, task):
    if _has_progress(task) or any(_has_progress(c) for c in task.children.all()):
        writer.result.kept.append((task.code, task.title))
    else:
        writer.delete(task)


def _sync_measures(writer, task, nodes):
    existing = {m.number: m for m in task.measures.all()}
    for node in nodes:
        measure = existing.pop(node["number"], None) or Measure(task=task, number=node["number"])
        writer.sync(measure, {"text": node["text"]})
    for measure in existing.values():
        writer.delete(measure)


def _sync_indicators(writer, task, nodes):
    existing = {i.number: i for i in task.indicators.all()}
    for number, node in enumerate(nodes, start=1):
        indicator = existing.pop(number, None) or Indicator(task=task, number=number)
        writer.sync(
            indicator,
            {
                "name": node["name"][:100],
                "target": _decimal(node["target"]),
                "unit": node.get("unit", "")[:20],
                "comparison": node.get("comparison", ">="),
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
        .prefetch_related("partner_departments", "measures", "indicators")
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
            "partner_departments": sorted(
                (d.name for d in task.partner_departments.all()),
            ),
            "due": task.due_date.isoformat() if task.due_date else None,
            "rhythm": task.rhythm or None,
            "measures": [{"number": m.number, "text": m.text} for m in task.measures.all()],
            "indicators": [
                {
                    "name": i.name,
                    "target": _number(i.target),
                    "unit": i.unit,
                    "comparison": i.comparison,
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
