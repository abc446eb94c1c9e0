"""Importing inspections and stocks from .xlsx or .csv (core/imports.py): a good file is saved
row by row through the service, with history; a file with bad rows writes nothing and names
every bad row."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from freezegun import freeze_time

from emergency.models import Supply
from foodsafety.models import Inspection
from tests.helpers import make_office, table_upload

pytestmark = pytest.mark.django_db
HEADER = ["检查场所", "业态类别", "区市", "检查日期", "发现问题", "整改期限"]
URL = "/foodsafety/inspections/import/"


@pytest.fixture
def office(db):
    return make_office()


def post(client, office, rows, name="检查.xlsx", url=URL):
    data = {"task": office["task"].pk, "department": office["dept"].pk}
    data["file"] = table_upload(rows, name)
    with freeze_time("2030-06-10 02:00"):
        client.force_login(office["staff"])
        return client.post(url, data)


@pytest.mark.parametrize("name", ["检查.xlsx", "检查.csv"])
def test_a_good_file_is_imported(client, office, name):
    rows = [
        ["2030年检查台账"],  # a title row above the header
        HEADER,
        ["市南区海鲜排档", "小餐饮", "市南区", date(2030, 5, 3), "健康证过期", date(2030, 5, 20)],
        ["李沧区豆制品作坊", "小作坊", "李沧区", "2030-05-04", "", ""],
    ]
    if name.endswith(".csv"):
        rows[2][3], rows[2][5] = "2030-05-03", "2030-05-20"
    response = post(client, office, rows, name)
    assert response.status_code == 302, response.content.decode()[-2000:]
    first, second = Inspection.objects.order_by("place")
    assert (first.place, first.category, first.district) == ("市南区海鲜排档", "catering", "shinan")
    assert (first.rectify_by, second.rectify_by) == (date(2030, 5, 20), None)
    assert {i.task_id for i in (first, second)} == {office["task"].pk}
    assert {i.department_id for i in (first, second)} == {office["dept"].pk}
    assert first.history.get().history_user == office["staff"]


def test_a_file_with_bad_rows_writes_nothing_and_names_them(client, office):
    rows = [
        HEADER,
        ["市南区海鲜排档", "小餐饮", "市南区", "2030-05-03", "健康证过期", "2030-05-20"],
        ["", "大饭店", "市南区", "2030-05-03", "", ""],
        ["崂山区小卖部", "小食杂店", "火星区", "不是日期", "", ""],
        ["城阳区摊点", "小摊点", "城阳区", "2030-05-03", "", "2030-05-01"],
    ]
    response = post(client, office, rows)
    body = response.content.decode()
    assert response.status_code == 200
    assert not Inspection.objects.exists()
    assert "未导入任何数据" in body
    assert "第 3 行：检查场所：" in body and "第 3 行：业态类别：" in body
    assert "第 4 行：区市：" in body and "第 4 行：检查日期：" in body
    assert "第 5 行：整改期限：整改期限不能早于检查日期" in body
    assert "第 2 行" not in body


def test_a_file_without_the_header_or_not_a_sheet(client, office):
    response = post(client, office, [["名称", "数量"], ["x", 1]])
    assert "没有找到表头" in response.content.decode()
    data = {"task": office["task"].pk, "department": office["dept"].pk}
    with freeze_time("2030-06-10 02:00"):
        client.force_login(office["staff"])
        data["file"] = SimpleUploadedFile("x.xlsx", b"not a zip")
        response = client.post(URL, data)
    assert response.status_code == 200 and "请上传 Excel" in response.content.decode()
    assert not Inspection.objects.exists()


SUPPLY = ["物资名称", "储备地点", "现有数量", "最低储备", "单位"]


def test_stocks_import_and_a_bad_file_writes_nothing(client, office):
    url = "/emergency/supplies/import/"
    bad = [SUPPLY, ["帐篷", "一号库", 100, 50, "顶"], ["救生衣", "一号库", "很多", 10, "件"]]
    response = post(client, office, bad, "物资.csv", url)
    assert "第 3 行：现有数量：" in response.content.decode()
    assert not Supply.objects.exists()
    missing = post(client, office, [["物资名称", "储备地点"], ["帐篷", "一号库"]], "物资.csv", url)
    assert "缺少必填列：现有数量、最低储备" in missing.content.decode()
    good = [SUPPLY, ["帐篷", "一号库", 100, 150, "顶"], ["救生衣", "一号库", 500, 100, "件"]]
    assert post(client, office, good, "物资.xlsx", url).status_code == 302
    tent = Supply.objects.get(item="帐篷")
    assert tent.low_since == date(2030, 6, 10)  # the service's rule ran: below its minimum
    assert Supply.objects.get(item="救生衣").low_since is None
