"""The 食品安全 rules: an overdue 整改 is red, turns its task red, shows on the task's page and
in the ledger, and is chased (then escalated) until it is closed with proof; the tables by
district and by category; the 整改 criterion."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from freezegun import freeze_time

from core.choices import ReminderKind
from core.models import Attachment
from core.scoring import CRITERIA
from foodsafety import services
from foodsafety.models import Inspection
from supervision.choices import Light
from supervision.lights import with_lights
from supervision.models import Task
from tests.conftest import SEED
from tests.helpers import make_department, make_office, only, run_on, sent

pytestmark = pytest.mark.django_db
TODAY = date(2030, 3, 10)  # the office task is far from due


@pytest.fixture
def office(db):
    office = make_office()
    office["task"].percent = 30  # on schedule
    office["task"].save()
    return office


def light_of(task, today=TODAY):
    return with_lights(Task.objects.filter(pk=task.pk), today).get().light


def inspect(office, rectify_by=TODAY - timedelta(days=1), **values):
    values.setdefault("place", "市南区海鲜排档")
    values.setdefault("category", "catering")
    values.setdefault("district", "shinan")
    values.setdefault("findings", "生熟食品未分开存放")
    values.setdefault("inspected_on", date(2030, 2, 20))
    return services.save_inspection(
        Inspection(
            task=office["task"],
            department=office["dept"],
            rectify_by=rectify_by,
            **values,
        )
    )


def test_an_overdue_rectification_turns_its_task_red_until_closed(office):
    task = office["task"]
    before = light_of(task)
    assert before != Light.RED
    inspection = inspect(office)
    assert inspection.status(TODAY) == ("bg-danger", "逾期未整改")
    assert light_of(task) == Light.RED
    assert light_of(task, TODAY - timedelta(days=1)) == before  # due today: not late yet
    services.rectify(inspection, rectified_on=TODAY, proof="复查合格，照片已存档")
    assert light_of(task) == before
    assert inspection.status(TODAY)[1] == "已整改"


def test_the_task_page_and_the_ledger_show_the_records(office, client):
    inspect(office)
    inspect(office, rectify_by=None, findings="", place="学校食堂")
    with freeze_time(TODAY):
        client.force_login(office["sup"])
        page = client.get(f"/tasks/{office['task'].pk}/").content.decode()
        ledger = client.get("/supervision/ledger/?year=2030").content.decode()
    assert 'data-source="foodsafety.inspections"' in page
    assert "食品安全检查</a>：2 条" in page and "逾期 1 条" in page
    assert f"/foodsafety/inspections/?task={office['task'].pk}" in page
    assert "食品安全检查 2</a>" in ledger and "逾期1" in ledger


def test_a_rectification_is_chased_and_escalated(
    office, settings, django_capture_on_commit_callbacks
):
    only(settings, "foodsafety_rectification")
    inspection = inspect(office, rectify_by=date(2030, 3, 20))
    key = f"foodsafety:rectify:{inspection.pk}"

    def on(day):
        return sent(run_on(day, django_capture_on_commit_callbacks))

    assert on(date(2030, 3, 10)) == set()  # 10 days ahead
    assert on(date(2030, 3, 13)) == {("staff", ReminderKind.DUE_SOON, f"due_soon:{key}:7")}
    over = f"overdue:{key}:step:0"
    over_day = on(date(2030, 3, 21))
    assert over_day == {("staff", ReminderKind.OVERDUE, over), ("head", ReminderKind.OVERDUE, over)}
    escalated = on(date(2030, 3, 27))  # 7 days overdue
    assert ("sup", ReminderKind.ESCALATION, f"overdue:{key}:step:2") in escalated
    services.rectify(inspection, rectified_on=date(2030, 3, 27), proof="已整改")
    assert on(date(2030, 3, 30)) == set()


def test_rectify_needs_proof_and_the_lead_department(office, client):
    inspection = inspect(office)
    url = f"/foodsafety/inspections/{inspection.pk}/rectify/"
    with freeze_time(TODAY):
        client.force_login(office["staff"])
        response = client.post(url, {"rectified_on": "2030-03-09", "proof": "  "})
        assert response.status_code == 200
        assert "请填写整改佐证" in response.content.decode()
        inspection.refresh_from_db()
        assert inspection.rectified_on is None
        response = client.post(url, {"rectified_on": "2030-03-11", "proof": "x"})
        assert "不能晚于今天" in response.content.decode()
        client.force_login(office["outsider"])
        assert client.post(url, {"rectified_on": "2030-03-09", "proof": "x"}).status_code == 404
        client.force_login(office["sup"])
        assert client.post(url, {"rectified_on": "2030-03-09", "proof": "x"}).status_code == 403
        client.force_login(office["head"])
        response = client.post(url, {"rectified_on": "2030-03-09", "proof": "复查合格"})
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert (inspection.rectified_on, inspection.proof) == (date(2030, 3, 9), "复查合格")
    latest = inspection.history.first()
    assert latest.history_user == office["head"] and latest.rectified_on == date(2030, 3, 9)


def test_tables_by_district_and_by_category(office, client):
    inspect(office)  # 市南 小餐饮, late
    done = inspect(office, place="市北区豆制品作坊", category="workshop", district="shibei")
    services.rectify(done, rectified_on=TODAY, proof="ok")
    inspect(office, rectify_by=None, findings="", category="catering", district="shibei")
    with freeze_time(TODAY):
        client.force_login(office["leader"])
        body = client.get("/foodsafety/inspections/tables/?year=2030").content.decode()
    district = body[body.index('id="by-district"') : body.index('id="by-category"')]
    category = body[body.index('id="by-category"') :]
    compact = "".join(district.split())
    assert '市南区</td><tdclass="text-end">1</td><tdclass="text-end">1</td>' in compact
    assert (
        '市北区</td><tdclass="text-end">2</td><tdclass="text-end">1</td><tdclass="text-end">1</td><tdclass="text-end">0</td>'
        in compact
    )
    compact = "".join(category.split())
    assert (
        '小餐饮</td><tdclass="text-end">2</td><tdclass="text-end">1</td><tdclass="text-end">0</td><tdclass="text-endtext-dangerfw-bold">1</td>'
        in compact
    )
    assert "小作坊" in compact and "小摊点" not in compact


def test_the_rectification_criterion(office):
    on_time = inspect(office, rectify_by=date(2030, 6, 10))
    services.rectify(on_time, rectified_on=date(2030, 6, 9), proof="ok")
    late = inspect(office, rectify_by=date(2030, 6, 20))
    services.rectify(late, rectified_on=date(2030, 6, 25), proof="ok")
    inspect(office, rectify_by=date(2030, 6, 30))  # never closed
    measure = CRITERIA["foodsafety.rectification_on_time"].measure(date(2030, 6, 1))
    assert list(measure) == [office["dept"].pk]
    assert measure[office["dept"].pk].value == Decimal(1) / 3
    assert measure[office["dept"].pk].detail == "按期整改 1/3"


def test_a_plan_reimport_keeps_a_task_that_records_serve(tmp_path, seed_text):
    """A task dropped from the plan text is deleted on re-import unless something hangs on it:
    another app's records count too (core/task_records.has_records), so no ProtectedError."""
    call_command("import_plan", str(SEED), "--year", "2012", stdout=StringIO())
    expo = Task.objects.get(title="提升会展环境")
    expo.lead_department = make_department("市商务局")
    expo.save()
    office = {"task": expo, "dept": expo.lead_department}
    inspect(office, rectify_by=None, findings="")
    start = seed_text.index("第四是提升会展环境")
    end = seed_text.index("三、大力实施政民互动增效工程")
    path = tmp_path / "edited.txt"
    path.write_text(seed_text[:start] + seed_text[end:], encoding="utf-8")
    out = StringIO()
    call_command("import_plan", str(path), "--year", "2012", stdout=out)
    assert Task.objects.filter(pk=expo.pk).exists()
    assert "保留" in out.getvalue() and "提升会展环境" in out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_rectify_takes_proof_files_that_only_readers_of_the_inspection_download(
    office, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    inspection = inspect(office)
    url = f"/foodsafety/inspections/{inspection.pk}/rectify/"
    renamed = SimpleUploadedFile("复查照片.pdf", b"MZ\x90\x00 not a pdf")
    with freeze_time(TODAY):
        client.force_login(office["head"])
        refused = client.post(
            url, {"rectified_on": "2030-03-09", "proof": "复查合格", "files": [renamed]}
        )
        assert "复查照片.pdf" in refused.content.decode()
        inspection.refresh_from_db()
        assert inspection.rectified_on is None and not Attachment.objects.exists()
        photo = SimpleUploadedFile("复查文书.pdf", PDF, content_type="application/pdf")
        done = client.post(
            url, {"rectified_on": "2030-03-09", "proof": "复查合格", "files": [photo]}
        )
        assert done.status_code == 302
        (attachment,) = Attachment.objects.all()
        assert attachment.target == inspection and attachment.original_name == "复查文书.pdf"
        page = client.get(f"/foodsafety/inspections/{inspection.pk}/").content.decode()
        assert f"/files/{attachment.pk}/" in page
        client.force_login(office["sup"])
        assert b"".join(client.get(f"/files/{attachment.pk}/").streaming_content) == PDF
        client.force_login(office["outsider"])
        assert client.get(f"/files/{attachment.pk}/").status_code in (403, 404)
