"""Issue 11 (12): units named by a plan are matched to existing departments by name, prefix
or suffix apart, through the alias table; the import review page proposes the match and
creates nothing silently."""

from io import StringIO

import pytest
from django.core.management import call_command

from core.models import Department
from supervision.models import DepartmentAlias, Plan, Task
from supervision.planio import UnitResolver, read_plan
from tests.supervision.test_plan_import_page import URL, preview, review_data

pytestmark = pytest.mark.django_db

PLAN = """2031年重点工作
一、优化营商环境
1. 引进金融机构10家以上（市金融工作办公室牵头）。
2. 推行并联审批（市政府办公厅行政审批服务处牵头）。
3. 建设城市大脑（青岛市大数据中心牵头，市财政局配合）。
4. 规范中介服务（行政审批服务处市民中心牵头）。
5. 建设海洋牧场（市海洋发展局牵头）。
"""


@pytest.fixture
def units():
    names = ["金融工作办公室", "行政审批服务处", "大数据中心", "市财政局"]
    return {name: Department.objects.get_or_create(name=name)[0] for name in names}


def leads(tree):
    return {t["number"]: t["lead_department"] for t in tree["projects"][0]["tasks"]}


def test_the_usual_prefixes_match_an_existing_unit(units):
    tree = read_plan(PLAN, 2031)
    assert leads(tree)[1] == "金融工作办公室"  # 市金融工作办公室
    assert leads(tree)[2] == "行政审批服务处"  # 市政府办公厅行政审批服务处


def test_a_prefix_or_suffix_apart_is_proposed_not_applied(units):
    tree = read_plan(PLAN, 2031)
    assert leads(tree)[3] == "青岛市大数据中心"  # not silently 大数据中心
    assert leads(tree)[4] == "行政审批服务处市民中心"
    resolver = UnitResolver()
    assert resolver.proposal("青岛市大数据中心") == "大数据中心"
    assert resolver.proposal("行政审批服务处市民中心") == "行政审批服务处"
    assert resolver.proposal("市海洋发展局") is None
    assert resolver.proposal("局") is None  # too short to mean anything


def test_an_alias_from_the_admin_matches(units, admin_client):
    DepartmentAlias.objects.create(alias="青岛市大数据中心", department=units["大数据中心"])
    assert leads(read_plan(PLAN, 2031))[3] == "大数据中心"
    assert admin_client.get("/admin/supervision/departmentalias/").status_code == 200
    response = admin_client.get("/admin/supervision/departmentalias/add/")
    assert response.status_code == 200


def test_review_page_proposes_and_confirm_remembers_the_alias(units, admin_client):
    response = preview(admin_client, year=2031, text=PLAN)
    body = response.content.decode()
    assert 'id="unit-proposals"' in body and "其中 2 个" in body
    corrections = response.context["corrections"]
    fields = {f.label: f for f in corrections.unit_fields()}
    assert set(fields) == {"青岛市大数据中心", "行政审批服务处市民中心", "市海洋发展局"}
    assert fields["青岛市大数据中心"].value() == str(units["大数据中心"].pk)
    assert fields["行政审批服务处市民中心"].value() == str(units["行政审批服务处"].pk)
    assert fields["市海洋发展局"].value() == ""  # no proposal: to be created, and said so
    assert "新建单位“市海洋发展局”" in body
    before = set(Department.objects.values_list("name", flat=True))

    # the admin keeps one proposal and turns the other down (a unit of its own)
    index = list(fields).index("行政审批服务处市民中心")
    response = admin_client.post(URL, review_data(response, **{f"unit_{index}": ""}))
    assert response.status_code == 302
    plan = Plan.objects.get(year=2031)
    tasks = {t.number: t for t in Task.objects.filter(project__plan=plan)}
    assert tasks[3].lead_department == units["大数据中心"]
    assert DepartmentAlias.objects.get(alias="青岛市大数据中心").department == units["大数据中心"]
    created = set(Department.objects.values_list("name", flat=True)) - before
    assert created == {"行政审批服务处市民中心", "市海洋发展局"}  # both shown beforehand
    assert tasks[4].lead_department.name == "行政审批服务处市民中心"
    page = admin_client.get(URL).content.decode()
    assert "行政审批服务处市民中心" in page and "市海洋发展局" in page  # what was created


def test_import_plan_command_names_the_proposal(units, tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text(PLAN, encoding="utf-8")
    out = StringIO()
    call_command("import_plan", str(path), "--year", "2031", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "系统中尚无的单位（导入时将新建）：青岛市大数据中心" in text
    assert "与已有单位“大数据中心”仅差前缀或后缀" in text
    assert not Plan.objects.exists()
