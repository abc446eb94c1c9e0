"""The plan import page (/plans/import/): upload or paste, review the parsed tree, confirm.

Nothing is written before the confirmation. The review step carries only the source text (and
the year) to the browser, with an HMAC over both; the confirmation re-parses that text with the
same parser as `import_plan` (planio.read_plan), so the tree itself never comes from the
browser. Splits and merges of tasks re-render the review ("应用拆分/合并", or a confirmation
that asks for one): they travel as a hidden list of operations (planio.restructure) applied on
every re-parse. The admin's corrections (title, lead department, partners and due date of each
task, lead and partners of each measure, and the confirmation of a guessed lead) are posted as
fields keyed by the task code ("2.1", "11.1.2") and applied after `apply_plan`, inside the same
transaction, through the models so that the history records them with the request user; they
and the splits and merges are remembered (PlanCorrection) for a re-import of the same text.
Units the document names that match no department are proposed for creation, or mapped by the
admin to an existing department (remembered as an alias).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from ..access import Action, require_action
from ..forms import PlanCorrectionsForm, PlanSourceForm, PlanUploadForm, sign_source
from ..models import Task
from ..planio import (
    PlanParseError,
    build_review,
    import_reviewed,
    load_departments,
    read_plan,
    remembered_structure,
    source_sha256,
    structure_ops,
    structure_text,
)

LIST_LIMIT = 10  # tasks named one by one in the result messages
RESULT_KEY = "plan_import_done"  # the session's summary of the last confirmation
KINDS = [("task", "任务", "项"), ("measure", "具体措施", "条"), ("indicator", "量化指标", "个")]


@login_required
def plan_import(request):
    """Upload or paste a plan (GET, POST), review it (POST), confirm the import (POST)."""
    require_action(request.user, Action.IMPORT)
    if request.method == "POST" and ("confirm" in request.POST or "restructure" in request.POST):
        return confirm_import(request)
    if request.method == "POST":
        return preview_import(request)
    form = PlanUploadForm(initial={"year": timezone.localdate().year})
    done = request.session.pop(RESULT_KEY, None)  # what the last confirmation did, once
    return render(request, "supervision/plan_import.html", {"form": form, "done": done})


def preview_import(request):
    """Parse the upload and show the review page; writes nothing."""
    form = PlanUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "supervision/plan_import.html", {"form": form})
    source = form.cleaned_data["source"]
    structure = remembered_structure(source_sha256(source))
    return fresh_review(
        request,
        form.cleaned_data["tree"],
        source,
        own_plan=form.cleaned_data.get("own_plan", False),
        structure=structure,
    )


def fresh_review(request, tree, source, *, own_plan, structure):
    """The review page of `tree` (parsed from `source` with `structure`), nothing corrected."""
    year = tree["year"]
    source_form = PlanSourceForm(
        initial={
            "year": year,
            "source": source,
            "own_plan": own_plan,
            "signature": sign_source(year, source, own_plan),
            "structure": structure,
        }
    )
    departments, choices = load_departments()
    review = build_review(tree, source, departments)
    corrections = PlanCorrectionsForm(
        rows=review.rows,
        department_choices=choices,
        units=review.units,
        proposals=review.proposals,
    )
    return render_review(request, review, source_form, corrections)


def restructure_review(request, source_form, ops):
    """Apply the splits and merges asked for and show the review page again (writes nothing:
    they are remembered with the import)."""
    data = source_form.cleaned_data
    structure = structure_text(structure_ops(data.get("structure")) + ops)
    tree = read_plan(data["source"], data["year"], own_plan=data["own_plan"], structure=structure)
    if ops:
        messages.info(
            request,
            f"已按要求拆分、合并 {len(ops)} 处，任务编号随之调整；请核对各项任务后再确认导入。",
        )
    else:
        messages.warning(request, "未选择要拆分或合并的任务。")
    return fresh_review(
        request, tree, data["source"], own_plan=data["own_plan"], structure=structure
    )


def render_review(request, review, source_form, corrections):
    """The review page: the tree, project by project, each task with its correction fields."""

    def bound(name):
        return corrections[name] if name in corrections.fields else None

    def fields(row):
        """The row and its bound fields (None where the page has none)."""
        measures = [(m, bound(lead), bound(partners)) for m, lead, partners in row.measures]
        return {
            "row": row,
            "lead": bound(row.lead_key),
            "due": bound(row.due_key),
            "title": bound(row.title_key),
            "confirm": bound(row.confirm_key),
            "partners": bound(row.partners_key),
            "split": bound(row.split_key),
            "merge": bound(row.merge_key),
            "measures": measures,
        }

    projects = [(project, [fields(row) for row in rows]) for project, rows in review.projects]
    context = {
        "review": review,
        "source_form": source_form,
        "corrections": corrections,
        "projects": projects,
        "unit_names": sorted(corrections.unit_names) if corrections.editable else [],
    }
    return render(request, "supervision/plan_import_review.html", context)


def confirm_import(request):
    """Re-parse the reviewed text, write it and the corrections in one transaction, redirect."""
    source_form = PlanSourceForm(request.POST)
    if not source_form.is_valid():
        return refused(request, source_form)
    tree, source = source_form.cleaned_data["tree"], source_form.cleaned_data["source"]
    departments, choices = load_departments()
    review = build_review(tree, source, departments)
    corrections = PlanCorrectionsForm(
        request.POST,
        rows=review.rows,
        department_choices=choices,
        units=review.units,
        proposals=review.proposals,
    )
    if not corrections.is_valid():
        return render_review(request, review, source_form, corrections)
    ops = corrections.structure_changes()
    if ops or "restructure" in request.POST:
        try:
            return restructure_review(request, source_form, ops)
        except PlanParseError as exc:  # a split and a merge that do not fit together
            corrections.add_error(None, str(exc))
            return render_review(request, review, source_form, corrections)

    result, corrected = import_reviewed(
        tree,
        source,
        corrections.unit_mappings(),
        corrections.corrections(),
        departments,
        review,
        structure=source_form.cleaned_data.get("structure") or "",
    )
    report_result(request, result, corrected)
    request.session[RESULT_KEY] = summary(result, corrected)
    return redirect("plan_import")


def summary(result, corrected):
    """What the import created and changed, for the page after the redirect (JSON-able)."""
    plan = result.plan
    return {
        "year": plan.year,
        "title": plan.title,
        "plan_new": bool(result.created_kinds["plan"]),
        "created": [
            {"label": label, "unit": unit, "count": result.created_kinds[kind]}
            for kind, label, unit in KINDS
        ],
        "projects": result.created_kinds["project"],
        "updated": result.updated,
        "deleted": result.deleted,
        "corrected": corrected,
        "departments": list(result.new_departments),
        "unplaced": Task.objects.filter(project__plan=plan, lead_department=None).count(),
    }


def refused(request, source_form):
    """A confirmation whose hidden part is missing, tampered or stale: back to the upload."""
    form = PlanUploadForm(initial={"year": timezone.localdate().year})
    errors = source_form.non_field_errors() or ["预览内容无效，请重新上传计划文档。"]
    context = {"form": form, "errors": errors}
    return render(request, "supervision/plan_import.html", context, status=400)


def report_result(request, result, corrected):
    """The ImportResult as Chinese messages for the page after the redirect."""
    plan = result.plan
    made = "、".join(
        f"{label} {result.created_kinds[kind]} {unit}"
        for kind, label, unit in KINDS
        if result.created_kinds[kind]
    )
    messages.success(
        request,
        f"已导入{plan.year}年计划《{plan.title}》：新增 {result.created} 条"
        + (f"（{made}）" if made else "")
        + f"，更新 {result.updated} 条，删除 {result.deleted} 条记录"
        + (f"；按核对意见修改了 {corrected} 项任务" if corrected else "")
        + "。"
        + ("" if result.changed or corrected else "内容与上次导入相同，未作改动。"),
    )
    if result.new_departments:
        messages.info(request, "新建单位：" + "、".join(result.new_departments) + "。")
    if result.kept:
        messages.warning(
            request,
            f"文档中已无、但已有进展而保留的任务 {len(result.kept)} 项：" + named(result.kept),
        )
    unplaced = list(
        Task.objects.filter(project__plan=plan, lead_department=None)
        .order_by("path")
        .values_list("code", "title")
    )
    if unplaced:
        messages.warning(
            request,
            f"仍有 {len(unplaced)} 项任务未确定牵头单位，请在后台补充：" + named(unplaced),
        )


def named(tasks):
    """'1.2 标题；1.3 标题……' for a message, at most LIST_LIMIT of them."""
    text = "；".join(f"{code} {title}" for code, title in tasks[:LIST_LIMIT])
    more = len(tasks) - LIST_LIMIT
    return text + (f" 等（另有 {more} 项）" if more > 0 else "") + "。"
