"""Where a hot page's time goes, in one process, without HTTP: Python function calls (from
cProfile: they do not depend on the machine's load), SQL queries and wall time per request
of the task list, the filtered list, the task page and the report POST (a draft save),
through Django's test client signed in as the bench accounts (`manage.py bench_data`).

    DATABASE_URL=postgres://…/copy_of_bench python bench/profile_pages.py [--top 25] [-n 20]

Run it on a copy of the bench database (the POST writes drafts). Settings as production
(DEBUG=false) unless --debug. A measurement, not a test."""

import argparse
import cProfile
import io
import os
import pstats
import secrets
import statistics
import sys
import time
from pathlib import Path

from run import form_inputs  # bench/run.py, beside this script (its imports are stdlib only)

ROOT = Path(__file__).resolve().parent.parent


def setup(debug):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingdao_office.settings")
    if not debug:
        os.environ.setdefault("DEBUG", "false")
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
        os.environ.setdefault("ALLOWED_HOSTS", "testserver")
        # CompressedManifestStaticFilesStorage: the pages need collected files (bench/run.py
        # collects into bench/data/static)
        os.environ.setdefault("STATIC_ROOT", str(ROOT / "bench" / "data" / "static"))
    import django

    django.setup()
    if not debug and not (ROOT / "bench" / "data" / "static" / "staticfiles.json").exists():
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)


class Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def request(client, method, path, data):
    return getattr(client, method)(path, data) if data else getattr(client, method)(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=20, help="requests per page")
    parser.add_argument("--top", type=int, default=0, help="print the top N functions")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--only", help="only pages whose name contains this")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args()
    setup(args.debug)

    from datetime import date

    from django.db import connection
    from django.test import Client

    from supervision.management.commands.bench_data import BENCH_TITLE
    from supervision.models import Plan, Task, User

    plan = Plan.objects.filter(title=BENCH_TITLE).order_by("-year").first()
    year = plan.year
    staff = User.objects.get(username="bench-staff-01")
    tasks = Task.objects.filter(project__plan=plan)
    sample = list(tasks.order_by("pk").values_list("pk", flat=True)[::97][:50])
    drafts = list(
        tasks.filter(
            lead_department=staff.department,
            reports__month=date(year, 12, 1),
            reports__status="draft",
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:50]
    )
    clients = {}
    for name in ("bench-supervisor", "bench-staff-01"):
        client = Client()
        client.force_login(User.objects.get(username=name))
        clients[name] = client
    dept = staff.department_id

    def post_maker():
        client = clients["bench-staff-01"]
        prepared = []
        for pk in drafts:
            path = f"/tasks/{pk}/report/{year}-12/"
            inputs = form_inputs(client.get(path).content.decode())
            form = {
                "csrfmiddlewaretoken": inputs.get("csrfmiddlewaretoken", ""),
                "version": inputs["version"],
                "percent": inputs.get("percent") or "0",
                "progress": "基准测试：本月按计划推进各项工作。",
                "problems": "暂无。",
                "next_steps": "下月继续推进。",
                "percent_note": "基准测试保存草稿。",
                "save": "1",
            }
            form.update({k: v for k, v in inputs.items() if k.startswith("indicator_")})
            prepared.append((path, form))
        return prepared

    pages = [
        ("list", "bench-supervisor", lambda i: ("get", "/tasks/", None)),
        (
            "list red+dept",
            "bench-supervisor",
            lambda i: ("get", f"/tasks/?light=red&department={dept}", None),
        ),
        ("detail", "bench-supervisor", lambda i: ("get", f"/tasks/{sample[i % 50]}/", None)),
        ("list staff", "bench-staff-01", lambda i: ("get", f"/tasks/?department={dept}", None)),
        ("detail staff", "bench-staff-01", lambda i: ("get", f"/tasks/{drafts[i % 50]}/", None)),
        (
            "report GET",
            "bench-staff-01",
            lambda i: ("get", f"/tasks/{drafts[i % 50]}/report/{year}-12/", None),
        ),
        ("report POST", "bench-staff-01", None),
    ]
    print(f"load average {os.getloadavg()}; {connection.vendor}; {tasks.count()} tasks")
    for name, who, make in pages:
        if args.only and args.only not in name:
            continue
        client = clients[who]
        if make is None:
            posts = post_maker()
            # each POST saves at the form's version: one pass through the drafts, no repeat
            n = min(2 * args.n + 1, len(posts))

            def make(i, posts=posts):
                return ("post", *posts[i])
        else:
            n = args.n + 1
        method, path, data = make(0)
        first = request(client, method, path, data)
        expect = first.status_code
        calls, queries, times = [], [], []
        profile = cProfile.Profile() if args.top else None
        half = (n - 1) // 2 if make is not None and name == "report POST" else n - 1
        for i in range(1, 1 + half):  # profiled: function calls and queries
            method, path, data = make(i)
            counter = Counter()
            one = cProfile.Profile()
            with connection.execute_wrapper(counter):
                one.enable()
                if profile:
                    profile.enable()
                response = request(client, method, path, data)
                if profile:
                    profile.disable()
                one.disable()
            assert response.status_code == expect, (name, path, response.status_code)
            calls.append(pstats.Stats(one).total_calls)
            queries.append(counter.count)
        for i in range(1 + half, n if name == "report POST" else 2 * n - 1):  # wall time
            method, path, data = make(i)
            started = time.perf_counter()
            response = request(client, method, path, data)
            times.append(time.perf_counter() - started)
            assert response.status_code == expect, (name, path, response.status_code)
        print(
            f"{name:14} HTTP {expect}: calls {statistics.median(calls):>8,.0f}  "
            f"queries {min(queries)}-{max(queries)}  "
            f"wall p50 {statistics.median(times) * 1000:6.1f} ms  "
            f"load {os.getloadavg()[0]:.2f}"
        )
        if profile:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
