#!/usr/bin/env python
"""`make bench-hotline`: a year of a city's 12345 work orders (default 1,000,000) imported
through `manage.py import_workorders`, then the KPI page and the work-order list timed.

A benchmark, not a test. It needs DATABASE_URL to point at PostgreSQL (the import's COPY
path; SQLite works, slowly). It writes a deterministic CSV under bench/data/ (reused when
present), empties the work orders, times the import of the whole file in a subprocess (the
way an operator runs it), then requests the pages in-process with Django's test client as a
supervisor: p50/p95 latency and SQL queries per request. The table goes to stdout and to
bench/results.md, with the load average beside each figure.
"""

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
CHANNELS = ["电话", "电话", "电话", "网站", "微信", "手机APP", "短信"]
SATISFACTION = ["满意", "满意", "满意", "基本满意", "不满意", "未回访", "未回访"]


def load_average():
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def write_orders(path, count, year):
    """A CSV of `count` work orders over the 12 months of `year`: 120 units, 40 categories,
    nine in ten replied, most within the limit."""
    rng = random.Random(12345)
    names = (
        "城管局 交通局 住建局 市场监管局 教育局 卫健局 人社局 民政局 生态环境局 水务局 "
        "公安分局 街道办事处 供热办 燃气公司 供水公司 物业办 园林局 商务局 文旅局 应急局"
    )
    districts = ("市南", "市北", "李沧", "崂山", "黄岛", "城阳")
    units = [f"{district}区{name}" for district in districts for name in names.split()]
    categories = [f"诉求类别{n:02d}" for n in range(40)]
    start = datetime(year, 1, 1)
    seconds = 365 * 24 * 3600
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["工单编号", "受理时间", "来源渠道", "诉求分类", "网络单位", "回复时间",
                         "落实时间", "回访满意度", "办结时间"])  # fmt: skip
        for n in range(count):
            received = start + timedelta(seconds=rng.randrange(seconds))
            replied = implemented = closed = ""
            if rng.random() < 0.9:
                reply = received + timedelta(hours=rng.randrange(1, 24 * 7))
                replied = reply.strftime("%Y-%m-%d %H:%M:%S")
                if rng.random() < 0.8:
                    implemented = (reply + timedelta(hours=rng.randrange(1, 72))).strftime(
                        "%Y-%m-%d %H:%M:%S"
                    )
                    closed = implemented
            writer.writerow(
                [
                    f"{year}{n:08d}",
                    received.strftime("%Y-%m-%d %H:%M:%S"),
                    rng.choice(CHANNELS),
                    rng.choice(categories),
                    rng.choice(units),
                    replied,
                    implemented,
                    rng.choice(SATISFACTION) if replied else "未回访",
                    closed,
                ]
            )


def timed_pages(year, runs):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingdao_office.settings")
    os.environ["BENCH_QUERY_HEADER"] = "1"  # X-Query-Count on each response
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from core.roles import Role
    from supervision.models import User
    from supervision.roles import ensure_roles, group_for

    settings.ALLOWED_HOSTS = ["*"]
    ensure_roles()
    user, _ = User.objects.get_or_create(username="bench_hotline")
    user.groups.add(group_for(Role.SUPERVISOR))
    client = Client()
    client.force_login(user)
    pages = [
        ("KPI 页（6 月，按满意度排名）", f"/services/hotline/kpi/?month={year}-06"),
        ("工单列表（打开：最近一个月，第 1 页）", "/services/hotline/"),
        ("工单列表（6 月，超期未回复）", f"/services/hotline/?month={year}-06&state=late"),
    ]
    rows = []
    for label, url in pages:
        client.get(url)  # warm
        times = []
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        queries = response.headers.get("X-Query-Count", "?")
        for _ in range(runs):
            began = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - began) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        rows.append((label, statistics.median(times), p95, queries, load_average()))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=datetime.now().year - 1)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--pages-only", action="store_true", help="time the pages on the work orders already there"
    )
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"workorders-{args.year}-{args.orders}.csv"
    if not path.exists():
        began = time.perf_counter()
        write_orders(path, args.orders, args.year)
        print(f"wrote {path.name} in {time.perf_counter() - began:.1f} s")
    env = {**os.environ}
    python = sys.executable
    empty = (
        "from django.db import connection;"
        "connection.cursor().execute('DELETE FROM services_workordermonth');"
        "connection.cursor().execute('DELETE FROM services_workorder')"
    )
    results = []
    if not args.pages_only:
        subprocess.run([python, "manage.py", "shell", "-c", empty], cwd=ROOT, env=env, check=True)
    for label in () if args.pages_only else ("导入（全部新增）", "再次导入同一文件（全部更新）"):
        before = load_average()
        began = time.perf_counter()
        subprocess.run(
            [python, "manage.py", "import_workorders", str(path)], cwd=ROOT, env=env, check=True
        )
        results.append((label, time.perf_counter() - began, before, load_average()))
    if "postgres" in os.environ.get("DATABASE_URL", ""):  # as autovacuum would, in time
        vacuum = (
            "from django.db import connection;"
            "connection.cursor().execute("
            "'VACUUM ANALYZE services_workorder, services_workordermonth')"
        )
        subprocess.run([python, "manage.py", "shell", "-c", vacuum], cwd=ROOT, env=env, check=True)
    pages = timed_pages(args.year, args.runs)
    vendor = "PostgreSQL" if "postgres" in os.environ.get("DATABASE_URL", "") else "SQLite"
    lines = [
        f"\n## 12345 hotline at {args.orders:,} work orders ({vendor}, "
        f"{datetime.now():%Y-%m-%d %H:%M} Beijing time, {os.cpu_count()} cores)\n",
        *(
            [
                "| step | time | load before → after |",
                "|---|---|---|",
                *(f"| {label} | {seconds:.1f} s | {a} → {b} |" for label, seconds, a, b in results),
                "",
            ]
            if results
            else []
        ),
        "| page | p50 | p95 | queries | load |",
        "|---|---|---|---|---|",
        *(
            f"| {label} | {p50:.0f} ms | {p95:.0f} ms | {queries} | {load} |"
            for label, p50, p95, queries, load in pages
        ),
    ]
    text = "\n".join(lines)
    print(text)
    with (ROOT / "bench" / "results.md").open("a", encoding="utf-8") as out:
        out.write(text + "\n")


if __name__ == "__main__":
    main()
