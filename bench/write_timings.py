"""How long the writes of issue 11 (item 15) take on the demo data: 挂牌督办, a 批示 and
confirming a plan import (the seed plan of ../shared/seed when there, else a small one),
each POSTed through Django's test client (the whole request:
middleware, view, template, commit and what runs after commit), 5 times each.

    DATABASE_URL=sqlite:////tmp/demo.sqlite3 python manage.py shell -c \
        "from bench.write_timings import main; main()"

Run it on a copy of the demo database: it writes. A measurement, not a test."""

import os
import statistics
import time
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.models import Department
from core.roles import Role
from supervision.models import Listing, Task, User
from supervision.roles import ensure_roles, group_for

DEPARTMENT = "机关党委"
PASSWORD = os.environ.get("DEMO_PASSWORD", "demo12345")

PLAN = """{year}年督查工作要点
一、加强重点工作督查
1. 建立重点工作督查台账（督查处牵头），按月通报进展。
2. 年内开展专项督查不少于3次。
二、提升服务效率
1. 12345热线工单48小时内办结率达到90%以上。
"""


def make_accounts():
    """Two accounts of the department leading 6 demo tasks, for bench/round_trips.py."""
    ensure_roles()
    department = Department.objects.get(name=DEPARTMENT)
    for username, role in (("rt_staff", Role.STAFF), ("rt_head", Role.HEAD)):
        user, _ = User.objects.get_or_create(username=username, defaults={"first_name": username})
        user.department = department
        user.set_password(PASSWORD)
        user.save()
        user.groups.add(group_for(role))


class FormFields(HTMLParser):
    """The fields a browser would post from the form holding a `confirm` button."""

    def __init__(self):
        super().__init__()
        self.fields, self.select, self.textarea, self.in_form = [], None, None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.in_form = a.get("method", "").lower() == "post"
        if not self.in_form:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select = [a.get("name"), None, None]
        elif tag == "option" and self.select:
            self.select[2] = self.select[2] or a.get("value", "")
            if "selected" in a:
                self.select[1] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = [a.get("name"), ""]

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self.select:
            name, chosen, first = self.select
            self.fields.append((name, chosen if chosen is not None else first or ""))
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append(tuple(self.textarea))
            self.textarea = None


def timed(label, post):
    times, queries, status = [], [], None
    for n in range(5):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            status = post(n)
            times.append((time.perf_counter() - start) * 1000)
        queries.append(len(captured.captured_queries))
    print(
        f"{label}: median {statistics.median(times):.0f} ms "
        f"(min {min(times):.0f}, max {max(times):.0f}), {max(queries)} queries, last {status}"
    )


def main():
    supervisor, leader, admin = (
        Client(raise_request_exception=True),
        Client(raise_request_exception=True),
        Client(raise_request_exception=True),
    )
    supervisor.force_login(User.objects.get(username="supervisor1"))
    leader.force_login(User.objects.get(username="leader1"))
    admin.force_login(User.objects.get(username="admin"))
    listed = Listing.objects.filter(lifted_at=None).values("task_id")
    tasks = list(Task.objects.exclude(lead_department=None).exclude(pk__in=listed)[:5])

    def listing(n):
        url = f"/tasks/{tasks[n].pk}/listing/"
        data = {"level": "city", "reason": "进度滞后。", "deadline": "2099-12-31", "version": ""}
        return supervisor.post(url, data).status_code

    def instruction(n):
        url = f"/tasks/{tasks[n].pk}/instructions/"
        return leader.post(url, {"text": f"请抓紧推进（{n}）。"}).status_code

    seed = Path(settings.BASE_DIR).parent / "shared" / "seed" / "qingdao-office-2012-workplan.txt"
    text = seed.read_text(encoding="utf-8") if seed.exists() else PLAN.format(year=2090)

    def import_plan(n):
        review = admin.post("/plans/import/", {"year": 2090 + n, "text": text})
        parser = FormFields()
        parser.feed(review.content.decode())
        data = {}
        for name, value in parser.fields:
            data.setdefault(name, []).append(value)
        data["confirm"] = ["1"]
        start = time.perf_counter()
        status = admin.post("/plans/import/", data).status_code
        import_plan.confirm_ms.append((time.perf_counter() - start) * 1000)
        return status

    import_plan.confirm_ms = []
    timed("挂牌督办 POST", listing)
    timed("批示 POST", instruction)
    timed("导入计划 (preview + confirm)", import_plan)
    ms = import_plan.confirm_ms
    print(f"  of which 确认导入 POST: median {statistics.median(ms):.0f} ms (max {max(ms):.0f})")
