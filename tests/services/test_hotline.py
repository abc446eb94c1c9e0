"""12345 work orders: the import (all rows or none), the KPI definitions on a small set with
known answers, the pages' permissions and their query counts."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from freezegun import freeze_time
from openpyxl import Workbook

from core import cards, scoring
from core.roles import Role
from services import hotline
from services.models import (
    HotlineCase,
    HotlineUnit,
    WorkOrder,
    WorkOrderImport,
    WorkOrderMonth,
)
from tests.helpers import count_queries, login, make_department, make_user

TZ = ZoneInfo("Asia/Shanghai")
HEADER = ["工单编号", "受理时间", "来源渠道", "诉求分类", "网络单位", "回复时间", "落实时间",
          "回访满意度", "办结时间"]  # fmt: skip

# Seven March orders and one February order. Unit 市交通运输局: 4 received in March, 3 replied
# (one of them late: after the 5-day limit), 2 implemented, 3 surveyed of which 满意 1,
# 基本满意 1, 不满意 1. Unit 市城市管理局: 3 received, 3 replied, 3 implemented, 2 surveyed,
# both 满意.
ROWS = [
    ["GD001", "2026-03-01 09:00", "电话", "交通出行", "市交通运输局", "2026-03-02 10:00",
     "2026-03-05 10:00", "满意", "2026-03-06 10:00"],
    ["GD002", "2026-03-02 09:00", "网站", "交通出行", "市交通运输局", "2026-03-20 10:00",
     "", "不满意", ""],
    ["GD003", "2026-03-03 09:00", "电话", "公交服务", "市交通运输局", "2026-03-04 09:00",
     "2026-03-04 12:00", "基本满意", "2026-03-05 09:00"],
    ["GD004", "2026-03-31 23:30", "微信", "公交服务", "市交通运输局", "", "", "", ""],
    ["GD005", "2026-03-10 08:00", "电话", "市容环境", "市城市管理局", "2026-03-10 18:00",
     "2026-03-11 18:00", "满意", "2026-03-12 08:00"],
    ["GD006", "2026/3/11 8:00", "电话", "市容环境", "市城市管理局", "2026/3/11 18:00",
     "2026/3/12 18:00", "满意", ""],
    ["GD007", "2026-03-12 08:00", "电话", "占道经营", "市城市管理局", "2026-03-13 08:00",
     "2026-03-14 08:00", "未回访", ""],
    ["GD008", "2026-02-27 08:00", "电话", "市容环境", "市城市管理局", "2026-02-28 08:00",
     "", "满意", ""],
]  # fmt: skip


def csv_file(rows, header=HEADER, encoding="utf-8-sig", name="工单.csv"):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, text.getvalue().encode(encoding), content_type="text/csv")


def xlsx_file(rows, name="工单.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture
def people(db):
    transport = make_department("市交通运输局")
    other = make_department("市城市管理局")
    return {
        "sup": make_user("sup", Role.SUPERVISOR),
        "leader": make_user("leader", Role.LEADER),
        "head": make_user("head", Role.HEAD, transport),
        "staff": make_user("staff", Role.STAFF, transport),
        "outsider": make_user("outsider", Role.STAFF, make_department("文电处")),
        "transport": transport,
        "other": other,
    }


@pytest.fixture
def loaded(people):
    hotline.import_orders(csv_file(ROWS), "工单.csv", people["sup"])
    return people


def figures_of(unit_name, month=date(2026, 3, 1)):
    rows = {name: figures for _id, name, _dept, figures in hotline.unit_figures(month)}
    return rows[unit_name]


def test_kpis_on_a_small_set_have_the_known_values(loaded):
    transport = figures_of("市交通运输局")
    assert transport.received == 4
    assert transport.reply_rate == Decimal("0.75")
    assert transport.implement_rate == Decimal("0.5")
    assert transport.satisfaction == Decimal("0.6667")  # 满意 + 基本满意 of 3 surveyed
    assert transport.replied_late == 2  # GD002 replied after 5 days; GD004 unreplied, past due
    city = figures_of("市城市管理局")
    assert (city.received, city.reply_rate, city.implement_rate) == (3, 1, 1)
    assert city.satisfaction == 1  # GD007 未回访 is left out
    february = figures_of("市城市管理局", date(2026, 2, 1))
    assert february.received == 1 and february.implement_rate == 0


def test_the_month_is_the_beijing_month_and_units_match_departments(loaded):
    late_night = WorkOrder.objects.get(number="GD004")
    assert late_night.month == date(2026, 3, 1)
    assert late_night.received_at == datetime(2026, 3, 31, 23, 30, tzinfo=TZ)
    assert HotlineUnit.objects.get(name="市交通运输局").department == loaded["transport"]
    by_category = dict(hotline.category_figures(date(2026, 3, 1)))
    assert by_category["交通出行"].received == 2 and by_category["市容环境"].received == 2


def test_a_second_import_updates_and_rebuilds_the_roll_ups(loaded):
    changed = [*ROWS[:3], [*ROWS[3][:5], "2026-04-01 09:00", "", "满意", ""]]
    result = hotline.import_orders(csv_file(changed), "补充.csv", loaded["sup"])
    assert (result.created, result.updated) == (0, 4)
    assert WorkOrder.objects.count() == 8
    assert figures_of("市交通运输局").reply_rate == 1
    assert WorkOrderImport.objects.count() == 2
    assert WorkOrderImport.history.count() == 2


def test_a_file_with_bad_rows_writes_nothing_and_names_them(people):
    bad = [
        ROWS[0],
        ["", "2026-03-01 09:00", "电话", "", "市交通运输局", "", "", "", ""],
        ["GD010", "2026-13-01", "电话", "", "市交通运输局", "", "", "", ""],
        ["GD011", "2026-03-05 09:00", "电话", "", "市交通运输局", "2026-03-01", "", "", ""],
        ["GD012", "2026-03-05 09:00", "电话", "", "市交通运输局", "", "", "很好", ""],
        ROWS[0],
        ["GD013", "2026-03-05 09:00", "电话", "", "", "", "", "", ""],
    ]
    with pytest.raises(hotline.RowsInvalid) as caught:
        hotline.import_orders(csv_file(bad), "坏.csv", people["sup"])
    errors = dict(caught.value.checked.errors)
    assert set(errors) == {3, 4, 5, 6, 7, 8}
    assert "工单编号为空" in errors[3]
    assert "不是有效的日期时间" in errors[4]
    assert "早于受理时间" in errors[5]
    assert "满意" in errors[6]
    assert "重复" in errors[7]
    assert "网络单位为空" in errors[8]
    assert caught.value.checked.bad_rows == 6
    assert not WorkOrder.objects.exists()
    assert not HotlineUnit.objects.exists()
    assert not WorkOrderMonth.objects.exists()


def test_a_file_without_the_columns_is_refused(people):
    with pytest.raises(hotline.ImportRefused, match="受理时间"):
        hotline.import_orders(
            csv_file([["1", "x"]], header=["工单编号", "网络单位"]), "x.csv", people["sup"]
        )
    with pytest.raises(hotline.ImportRefused, match="CSV"):
        hotline.import_orders(io.BytesIO(b"MZ\x90\x00"), "x.exe", people["sup"])


def test_gbk_csv_and_xlsx_exports_import_alike(people):
    hotline.import_orders(csv_file(ROWS[:4], encoding="gb18030"), "gbk.csv", people["sup"])
    hotline.import_orders(xlsx_file(ROWS[4:]), "工单.xlsx", people["sup"])
    assert WorkOrder.objects.count() == 8
    assert figures_of("市交通运输局").received == 4
    assert figures_of("市城市管理局").satisfaction == 1


def test_the_command_imports_and_refuses_bad_files(people, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_file(ROWS).read())
    call_command("import_workorders", str(good))
    assert "新增 8" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file([["GD100", "昨天", "", "", "市交通运输局"]]).read())
    with pytest.raises(CommandError, match="1 行有误"):
        call_command("import_workorders", str(bad))
    assert "第 2 行" in capsys.readouterr().err
    assert not WorkOrder.objects.filter(number="GD100").exists()


# --- pages ---------------------------------------------------------------------------------


def test_the_import_page_imports_or_shows_the_bad_rows(client, people):
    login(client, "sup")
    page = client.post("/services/hotline/import/", {"file": csv_file(ROWS)})
    assert page.status_code == 200
    assert "新增 8 张" in page.content.decode()
    bad = client.post(
        "/services/hotline/import/", {"file": csv_file([["GD100", "", "", "", "某单位"]])}
    )
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "第 2 行" in body and "受理时间为空" in body and "全部工单均未导入" in body
    assert WorkOrder.objects.count() == 8
    wrong = client.post("/services/hotline/import/", {"file": SimpleUploadedFile("a.exe", b"MZ")})
    assert wrong.status_code == 400
    assert "只能导入 CSV" in wrong.content.decode()


@pytest.mark.parametrize(
    ("username", "url", "status"),
    [
        ("sup", "/services/", 200),
        ("sup", "/services/hotline/import/", 200),
        ("leader", "/services/hotline/import/", 403),
        ("head", "/services/hotline/import/", 403),
        ("staff", "/services/hotline/import/", 403),
        ("leader", "/services/hotline/", 200),
        ("staff", "/services/hotline/", 200),
        ("leader", "/services/hotline/kpi/?month=2026-03", 200),
        ("staff", "/services/hotline/kpi/?month=2026-03", 200),
        ("sup", "/services/hotline/kpi/?month=2026-13", 400),
    ],
)
def test_permissions(client, loaded, username, url, status):
    login(client, username)
    assert client.get(url).status_code == status


def test_signed_out_users_go_to_sign_in(client, loaded):
    for url in ("/services/", "/services/hotline/", "/services/hotline/kpi/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_see_only_their_department_units_orders(client, loaded):
    login(client, "staff")
    body = client.get("/services/hotline/").content.decode()
    assert "GD001" in body and "GD005" not in body
    other = WorkOrder.objects.get(number="GD005")
    assert client.get(f"/services/hotline/{other.pk}/").status_code == 404
    own = WorkOrder.objects.get(number="GD001")
    assert client.get(f"/services/hotline/{own.pk}/").status_code == 200
    kpi = client.get("/services/hotline/kpi/?month=2026-03").content.decode()
    assert "市交通运输局" in kpi and "市城市管理局" not in kpi
    login(client, "outsider")
    assert "GD001" not in client.get("/services/hotline/").content.decode()


def test_filters_find_the_late_and_unsatisfied(client, loaded):
    login(client, "sup")
    opening = client.get("/services/hotline/").content.decode()
    assert "2026年3月受理的共 7 张" in opening and "GD008" not in opening  # the latest month
    assert "GD008" in client.get("/services/hotline/?month=2026-02").content.decode()
    assert "GD008" in client.get("/services/hotline/?number=GD008").content.decode()
    body = client.get("/services/hotline/?state=unsatisfied").content.decode()
    assert "GD002" in body and "GD001" not in body
    body = client.get("/services/hotline/?state=late&month=2026-03").content.decode()
    assert "GD002" in body and "GD003" not in body
    bad = client.get("/services/hotline/?month=2026-99")
    assert bad.status_code == 200 and "YYYY-MM" in bad.content.decode()


def test_the_kpi_page_ranks_units(client, loaded):
    login(client, "leader")
    body = client.get("/services/hotline/kpi/?month=2026-03&rank=satisfaction").content.decode()
    assert body.index("市城市管理局") < body.index("市交通运输局")
    assert "66.7%" in body and "100.0%" in body
    body = client.get("/services/hotline/kpi/?month=2026-03&rank=received").content.decode()
    assert body.index("市交通运输局") < body.index("市城市管理局")
    assert "<polyline" in body


def test_list_and_kpi_pages_use_a_constant_number_of_queries(
    client, loaded, django_assert_max_num_queries
):
    login(client, "sup")
    urls = ["/services/hotline/", "/services/hotline/kpi/?month=2026-03", "/services/"]
    before = [count_queries(django_assert_max_num_queries, client, url, 12) for url in urls]
    more = [
        [f"GX{n:03d}", "2026-03-15 09:00", "电话", f"类{n % 7}", f"单位{n % 9}",
         "2026-03-16 09:00", "", "满意", ""]
        for n in range(120)
    ]  # fmt: skip
    hotline.import_orders(csv_file(more), "more.csv", loaded["sup"])
    after = [count_queries(django_assert_max_num_queries, client, url, 12) for url in urls]
    assert after == before


def test_the_kpis_are_registered_as_scoring_criteria(loaded):
    measures = scoring.CRITERIA["services.hotline_satisfaction"].measure(date(2026, 3, 1))
    transport, city = loaded["transport"].pk, loaded["other"].pk
    assert measures[transport].value == Decimal("0.6667")
    assert measures[city].value == 1
    assert "2/3" in measures[transport].detail
    received = scoring.CRITERIA["services.hotline_received"]
    assert received.kind == scoring.COUNT
    assert received.measure(date(2026, 3, 1))[transport].value == 4
    assert scoring.CRITERIA["services.hotline_reply_rate"].measure(date(2026, 1, 1)) == {}


def test_the_dashboard_card_shows_the_month(loaded):
    context = cards.CARDS["services.hotline"].context(loaded["leader"], date(2026, 3, 1))
    assert context["total"].received == 7
    assert context["lowest"][0][1] == "市交通运输局"
    assert context["proposals"] == context["inquiries"] == 0
    assert cards.CARDS["services.hotline"].context(loaded["leader"], date(2026, 1, 1)) is None
    assert cards.CARDS["services.hotline"].context(loaded["outsider"], date(2026, 3, 1))


def test_the_public_page_publishes_each_units_kpis_and_nothing_of_callers(client, demo):
    WorkOrderMonth.objects.all().delete()  # the demo's own work orders: start from none
    WorkOrder.objects.all().delete()
    rows = [[f"P{n}", "2012-05-03 09:00", "电话", "噪音扰民", "市城市管理局",
             "2012-05-04 09:00", "2012-05-06 09:00", "满意" if n % 2 else "不满意", ""]
            for n in range(4)]  # fmt: skip
    hotline.import_orders(csv_file(rows), "五月.csv")
    body = client.get("/public/2012-05/").content.decode()
    assert 'data-public-card="services.hotline_public"' in body
    assert "市城市管理局" in body and "50.0%" in body  # 满意度: 2 of 4
    assert "P1" not in body  # no work order, let alone a caller
    assert (
        'data-public-card="services.hotline_public"'
        not in client.get("/public/2012-04/").content.decode()
    )  # no work orders that month: no card


@freeze_time("2026-04-10 10:00:00+08:00")
def test_a_supervisor_opens_a_supervised_item_from_a_units_late_orders(client, loaded):
    login(client, "leader")
    url = "/services/hotline/escalate/?month=2026-03&unit="
    unit = HotlineUnit.objects.get(name="市交通运输局")
    assert client.get(f"{url}{unit.pk}").status_code == 403
    login(client, "sup")
    page = client.get(f"{url}{unit.pk}")
    assert page.status_code == 200
    summary = page.content.decode()
    assert 'class="text-danger">2</strong> 件，回访不满意' in summary
    bad = client.post(
        "/services/hotline/escalate/",
        {"month": "2026-03", "unit": unit.pk, "title": "", "due_date": "2026-04-01"},
    )
    assert bad.status_code == 400 and not HotlineCase.objects.exists()
    done = client.post(
        "/services/hotline/escalate/",
        {
            "month": "2026-03",
            "unit": unit.pk,
            "title": "交通出行类工单超期整改",
            "lead_department": loaded["transport"].pk,
            "due_date": "2026-04-30",
        },
    )
    case = HotlineCase.objects.get()
    assert done.status_code == 302 and done["Location"] == case.item.get_absolute_url()
    assert sorted(case.orders.values_list("number", flat=True)) == ["GD002", "GD004"]
    assert case.item.source == "letter" and case.item.lead_department == loaded["transport"]
    assert "GD002" in case.item.text and case.item.due_date == date(2026, 4, 30)
    task_page = client.get(case.item.get_absolute_url()).content.decode()
    assert 'data-source="services.hotline_cases"' in task_page
    linked = client.get(f"/services/hotline/?task={case.item.pk}").content.decode()
    assert "GD002" in linked and "GD004" in linked and "GD001" not in linked


@freeze_time("2026-04-10 10:00:00+08:00")
def test_nothing_to_escalate_opens_nothing(client, loaded):
    login(client, "sup")
    response = client.post(
        "/services/hotline/escalate/",
        {
            "month": "2026-03",
            "category": "市容环境",
            "title": "市容环境",
            "lead_department": loaded["other"].pk,
            "due_date": "2026-04-30",
        },
        follow=True,
    )
    assert "无需集中督办" in response.content.decode()
    assert not HotlineCase.objects.exists()
    assert client.get("/services/hotline/escalate/?month=2026-03").status_code == 404
