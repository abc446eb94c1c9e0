"""import_plan / export_plan on the seed and on edited and bad files."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from core.models import Department
from supervision.models import (
    DepartmentKeyword,
    Indicator,
    Measure,
    MonthlyReport,
    Plan,
    Project,
    Task,
)
from supervision.planio import iter_tasks
from tests.conftest import SEED
from tests.helpers import NOT_A_PLAN, REGULATION, skip_or_fail

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def history_rows():
    models = [Plan, Project, Task, Measure, Indicator, Department]
    return sum(m.history.count() for m in models)


def test_seed_structure():
    run("import_plan", str(SEED), "--year", "2012")
    plan = Plan.objects.get(year=2012)
    projects = list(plan.projects.order_by("number"))
    assert [p.title for p in projects] == [
        "大力实施政务运行加速工程",
        "大力实施政务环境提升工程",
        "大力实施政民互动增效工程",
        "大力实施应急安全保障工程",
        "深入开展“五型”机关创建活动",
    ]
    counts = [p.tasks.filter(parent=None).count() for p in projects]
    assert counts[:4] == [7, 4, 4, 2]
    section5 = SEED.read_text(encoding="utf-8").split("五、")[1].split("\n", 1)[1]
    sentences = section5.replace("扫一扫在手机打开当前页", "").count("。")
    assert counts[4] == sentences
    indicator = Indicator.objects.get(name="金融机构")
    assert (indicator.target, indicator.unit, indicator.comparison) == (10, "家", ">=")
    assert indicator.task.title == "提升融资环境"
    assert plan.preamble.startswith("2012年")
    assert not Task.objects.filter(text__contains="扫一扫").exists()


def test_every_seed_task_is_placed_by_the_default_keywords():
    # the seed is the office's own plan: the keyword table may suggest its 处室
    output = run("import_plan", str(SEED), "--year", "2012", "--own-plan")
    assert "未确定牵头单位" not in output
    assert not Task.objects.filter(lead_department=None).exists()
    leads = dict(Task.objects.values_list("title", "lead_department__name"))
    assert leads["政务督查加速"] == "督查处"
    assert leads["提升融资环境"] == "金融工作办公室"
    assert leads["政府信息公开"] == "政务公开办公室"
    assert leads["全面加强食品安全保障"] == "食品安全协调处"
    five = Task.objects.filter(project__number=5)
    assert set(five.values_list("lead_department__name", flat=True)) == {"机关党委"}


def test_dry_run_writes_nothing_and_equals_export_after_import():
    dry = json.loads(
        run("import_plan", str(SEED), "--year", "2012", "--dry-run", "--format", "json")
    )
    assert not Plan.objects.exists()
    run("import_plan", str(SEED), "--year", "2012")
    exported = json.loads(run("export_plan", "--year", "2012", "--format", "json"))
    assert exported == dry


def test_second_import_changes_nothing():
    run("import_plan", str(SEED), "--year", "2012")
    before = history_rows()
    stamps = list(Task.objects.order_by("pk").values_list("pk", "updated_at"))
    output = run("import_plan", str(SEED), "--year", "2012")
    assert "未作改动" in output
    assert history_rows() == before
    assert list(Task.objects.order_by("pk").values_list("pk", "updated_at")) == stamps


def test_edited_file_updates_in_place_and_keeps_progress(tmp_path, seed_text):
    run("import_plan", str(SEED), "--year", "2012")
    finance = Task.objects.get(title="提升融资环境")
    report = MonthlyReport.objects.create(task=finance, month="2012-03-01", progress="已引进3家")
    ids = set(Task.objects.values_list("pk", flat=True))

    edited = seed_text.replace("金融机构10家以上", "金融机构12家以上")
    # drop the whole 会展 item (the last of section 2) and the 融资 one stays
    start = edited.index("第四是提升会展环境")
    end = edited.index("三、大力实施政民互动增效工程")
    edited = edited[:start] + edited[end:]
    path = tmp_path / "edited.txt"
    path.write_text(edited, encoding="utf-8")
    run("import_plan", str(path), "--year", "2012")

    finance.refresh_from_db()
    assert finance.indicators.get(name="金融机构").target == 12
    assert MonthlyReport.objects.filter(pk=report.pk).exists()
    remaining = set(Task.objects.values_list("pk", flat=True))
    assert finance.pk in remaining
    assert len(ids - remaining) == 1  # only the 会展 task, which had no progress
    assert not Task.objects.filter(title="提升会展环境").exists()
    assert finance.history.count() >= 1


def test_removed_task_with_progress_is_kept(tmp_path, seed_text):
    run("import_plan", str(SEED), "--year", "2012")
    expo = Task.objects.get(title="提升会展环境")
    MonthlyReport.objects.create(task=expo, month="2012-02-01", progress="筹备中")
    start = seed_text.index("第四是提升会展环境")
    end = seed_text.index("三、大力实施政民互动增效工程")
    path = tmp_path / "edited.txt"
    path.write_text(seed_text[:start] + seed_text[end:], encoding="utf-8")
    output = run("import_plan", str(path), "--year", "2012")
    assert Task.objects.filter(pk=expo.pk).exists()
    assert "保留" in output and "提升会展环境" in output


def test_dates_set_since_survive_reimport():
    run("import_plan", str(SEED), "--year", "2012")
    task = Task.objects.get(title="政务调研加速")  # the text gives no deadline
    task.due_date = "2012-10-31"
    task.save()
    run("import_plan", str(SEED), "--year", "2012")
    task.refresh_from_db()
    assert str(task.due_date) == "2012-10-31"


def test_manual_lead_department_survives_reimport():
    run("import_plan", str(SEED), "--year", "2012")
    task = Task.objects.get(title="政务调研加速")
    other = Department.objects.get(name="秘书处")
    task.lead_department = other
    task.save()
    run("import_plan", str(SEED), "--year", "2012")
    task.refresh_from_db()
    assert task.lead_department == other


def test_keyword_table_is_data(tmp_path):
    # the 会展 item also mentions 高端会议, which the 会议 keyword would place
    DepartmentKeyword.objects.filter(keyword__in=["会展", "会议"]).delete()
    output = run("import_plan", str(SEED), "--year", "2012", "--own-plan")
    assert "未确定牵头单位的任务 1 项" in output
    assert "提升会展环境" in output
    assert Task.objects.get(title="提升会展环境").lead_department is None


BAD_FILES = {
    "empty": b"",
    "blank": b"   \n\n  ",
    "gbk": "一、加强管理。1. 做好工作。".encode("gbk"),
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
    "no_sections": "今年要认真做好各项工作，确保完成任务。".encode(),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_file_is_refused_and_writes_nothing(tmp_path, name):
    path = tmp_path / f"{name}.txt"
    path.write_bytes(BAD_FILES[name])
    with pytest.raises(CommandError) as excinfo:
        run("import_plan", str(path), "--year", "2012")
    assert str(path) in str(excinfo.value)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(excinfo.value))  # a Chinese message
    assert not Plan.objects.exists()
    assert not Task.objects.exists()


def test_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="无法读取文件"):
        run("import_plan", "/nonexistent/plan.txt", "--year", "2012")


def test_export_of_missing_year_is_a_clear_error():
    with pytest.raises(CommandError, match="没有 1999 年"):
        run("export_plan", "--year", "1999")


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.txt")) or [None], ids=str)
def test_samples_import_and_round_trip(sample):
    if sample is None:
        skip_or_fail(
            f"no sample plans (*.txt) in {SAMPLES}: ../shared/samples is not beside this checkout"
        )
    dry = json.loads(
        run("import_plan", str(sample), "--year", "2021", "--dry-run", "--format", "json")
    )
    run("import_plan", str(sample), "--year", "2021")
    assert json.loads(run("export_plan", "--year", "2021")) == dry
    tasks = [t for p in dry["projects"] for t in iter_tasks(p["tasks"])]
    assert tasks and all(t["text"] for t in tasks)
    before = history_rows()
    run("import_plan", str(sample), "--year", "2021")
    assert history_rows() == before


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_regulation_of_articles_is_refused_with_its_message(tmp_path, dry_run):
    path = tmp_path / "regulation.txt"
    path.write_text(REGULATION, encoding="utf-8")
    args = ["import_plan", str(path), "--year", "2024"] + (["--dry-run"] if dry_run else [])
    with pytest.raises(CommandError) as excinfo:
        run(*args)
    assert str(excinfo.value) == f"{path}：{NOT_A_PLAN}"
    assert not Plan.objects.exists()
    assert not Task.objects.exists()
