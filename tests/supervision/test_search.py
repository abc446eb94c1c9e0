"""Issue 11 (18): the task search finds words in the monthly reports and the 批示, not only in
the task's title and text; Chinese substrings, on SQLite and on PostgreSQL alike."""

from datetime import date

import pytest
from django.db import connection

from core.roles import Role
from supervision.choices import ReportStatus
from supervision.models import Instruction, MonthlyReport, Task
from tests.helpers import count_queries, drain, make_department, make_task, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks():
    department = make_department("甲处")
    leader = make_user("boss", Role.LEADER)
    reported = make_task(1, title="提升融资环境", lead_department=department)
    instructed = make_task(2, title="加强食品安全", lead_department=department)
    drafted = make_task(3, title="政务公开", lead_department=department)
    make_task(4, title="无关任务", lead_department=department)
    MonthlyReport.objects.create(
        task=reported,
        month=date(2030, 5, 1),
        progress="召开银企对接会，新引进金融机构2家。",
        problems="个别银行放贷审批周期偏长",
        status=ReportStatus.SUBMITTED,
    )
    Instruction.objects.create(
        task=instructed, leader=leader, text="抓紧办理", response="已完成暑期专项检查"
    )
    MonthlyReport.objects.create(
        task=drafted, month=date(2030, 5, 1), progress="草稿里的秘密词", status=ReportStatus.DRAFT
    )
    return {"reported": reported, "instructed": instructed, "drafted": drafted, "leader": leader}


def found(client, word):
    body = client.get("/tasks/", {"year": "2030", "q": word}).content.decode()
    return {t.title for t in Task.objects.all() if f">{t.title}</a>" in body}


def test_search_finds_words_in_reports_and_instructions(client, tasks):
    client.force_login(tasks["leader"])
    assert found(client, "银企对接") == {"提升融资环境"}  # a report's progress
    assert found(client, "审批周期") == {"提升融资环境"}  # its problems
    assert found(client, "抓紧") == {"加强食品安全"}  # a 批示
    assert found(client, "暑期专项") == {"加强食品安全"}  # the answer to it
    assert found(client, "融资") == {"提升融资环境"}  # two characters inside the title
    assert found(client, "秘密词") == set()  # a draft is the department's own
    assert found(client, tasks["instructed"].code) == {"加强食品安全"}
    assert found(client, "不存在的词") == set()


def test_search_query_count_does_not_grow(client, tasks, django_assert_max_num_queries):
    client.force_login(tasks["leader"])
    url = "/tasks/?year=2030&q=%E9%93%B6%E4%BC%81"  # 银企
    # warm: the first request also asks whether today's stored status is current (then cached)
    drain(client.get(url))
    small = count_queries(django_assert_max_num_queries, client, url, at_most=7)
    for n in range(10, 60):
        task = make_task(n, title=f"任务{n}")
        MonthlyReport.objects.create(
            task=task, month=date(2030, 5, 1), progress=f"银企合作第{n}次", status="approved"
        )
        Instruction.objects.create(task=task, leader=tasks["leader"], text="银企对接")
    drain(client.get(url))  # the filter choices again: tasks were saved
    assert count_queries(django_assert_max_num_queries, client, url, at_most=7) == small


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram indexes are PG's")
def test_postgresql_has_trigram_indexes_for_the_search():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["%\\_trgm"])
        names = {row[0] for row in cursor.fetchall()}
    assert {"monthlyreport_progress_trgm", "instruction_response_trgm"} <= names
