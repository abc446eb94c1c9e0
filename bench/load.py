#!/usr/bin/env python
"""`make load`: 50 signed-in users for 60 s against gunicorn on PostgreSQL, as in production.

A measurement, not a test (never part of `make test`). Loopback only and bounded in time:

1. needs DATABASE_URL=postgres://… (and REDIS_URL for the cache and broker); migrates and
   loads the demo there (`load_demo`, safe to run twice);
2. starts gunicorn with deploy/gunicorn.conf.py (DEBUG=false, plain HTTP) on a free loopback
   port, mail to files under bench/data/mail;
3. signs in USERS users with a realistic mix of roles (staff 40 %, heads 20 %, supervisors
   20 %, leaders 20 %) and has each request its role's pages for SECONDS; supervisors also
   send a 催办 now and then (a write with notices and emails);
4. prints requests/s, p50/p95/p99 latency, errors (HTTP 5xx or no answer) and the load
   average, and appends the table to bench/results.md.

bench/faults.py runs the same load while it breaks Redis, PostgreSQL and the worker.
"""

import argparse
import http.client
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import date, datetime
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
PY = sys.executable
BIN = Path(PY).parent

ROLE_MIX = [("staff1", 2), ("staff2", 2), ("head1", 2), ("supervisor1", 2), ("leader1", 2)]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_average():
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


# -- setup ------------------------------------------------------------------------------------


def django_ready():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingdao_office.settings")
    import django

    django.setup()


def prepare(env):
    """Migrate and load the demo into DATABASE_URL; the ids and month the users need."""
    if not env.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("需要 DATABASE_URL=postgres://…（在 PostgreSQL 上测量）。")
    for command in (["migrate", "--noinput", "-v", "0"], ["load_demo"]):
        subprocess.run([PY, "manage.py", *command], cwd=ROOT, env=env, check=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    django_ready()
    from django.db.models import Max

    from supervision.models import MonthlyReport, Task, User
    from supervision.services import NOT_CHASED

    staff = {u.username: u for u in User.objects.select_related("department")}
    tasks = {
        name: list(
            Task.objects.filter(lead_department=staff[name].department).values_list("pk", flat=True)
        )
        for name in ("staff1", "staff2")
    }
    last = MonthlyReport.objects.aggregate(last=Max("month"))["last"] or date(2012, 6, 1)
    return {
        "tasks": tasks,
        "all_tasks": list(Task.objects.values_list("pk", flat=True)),
        # a 催办 goes to a task that owes something (已办结, 暂停, 终止, 结转 are refused)
        "chased_tasks": list(
            Task.objects.exclude(status__in=NOT_CHASED)
            .exclude(lead_department=None)
            .values_list("pk", flat=True)
        ),
        "month": f"{last:%Y-%m}",
        "department": {n: staff[n].department_id for n in ("staff1", "staff2", "head1")},
    }


def server_env(extra=None):
    env = dict(os.environ)
    DATA.mkdir(parents=True, exist_ok=True)
    env.update(
        DEBUG="false",
        SECRET_KEY=env.get("LOAD_SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(DATA / "static"),
        EMAIL_URL=f"file://{DATA / 'mail'}",
        HTTPS="false",
        AXES_FAILURE_LIMIT="1000",
    )
    env.update(extra or {})
    return env


class Gunicorn:
    """gunicorn with deploy/gunicorn.conf.py on a loopback port."""

    def __init__(self, env, port, workers=4, threads=4, name="gunicorn"):
        self.port = port
        self.log = open(DATA / f"{name}-{port}.log", "w")  # noqa: SIM115 - closed in stop()
        env = dict(
            env,
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_WORKERS=str(workers),
            GUNICORN_THREADS=str(threads),
            GUNICORN_LOGLEVEL="warning",
        )
        self.process = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn
            [str(BIN / "gunicorn"), "qingdao_office.wsgi", "-c", "deploy/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn 启动失败，见 {self.log.name}。")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.3)
        sys.exit("gunicorn 在 90 秒内没有应答。")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


# -- users ------------------------------------------------------------------------------------


class User:
    """One signed-in browser: its cookies and one keep-alive connection."""

    def __init__(self, port, username):
        self.port, self.username = port, username
        self.cookies = {}
        self.conn = None

    def request(self, method, path, form=None):
        """(status, body); status 0 when the server did not answer."""
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            form = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **form}
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            reused = self.conn is not None
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                # A keep-alive connection the server closed while idle: as a browser does,
                # send again on a new one. Any other failure counts as no answer.
                if not (reused and attempt == 1):
                    return 0, b""
        for raw in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(raw)
            self.cookies.update({key: morsel.value for key, morsel in cookie.items()})
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return response.status, data

    def login(self, password):
        self.request("GET", "/accounts/login/")
        status, _ = self.request(
            "POST", "/accounts/login/", {"username": self.username, "password": password}
        )
        return status == 302


def pages_for(username, ids):
    month, tasks = ids["month"], ids["all_tasks"]
    if username.startswith("staff"):
        own = ids["tasks"][username] or tasks
        return [
            lambda: "/",
            lambda: f"/tasks/?department={ids['department'][username]}",
            lambda: f"/tasks/{random.choice(own)}/",
            lambda: f"/tasks/{random.choice(own)}/report/{month}/",
            lambda: "/notifications/",
        ]
    if username.startswith("head"):
        return [
            lambda: f"/reports/{month}/",
            lambda: "/tasks/",
            lambda: f"/tasks/{random.choice(tasks)}/",
            lambda: "/notifications/",
        ]
    if username.startswith("supervisor"):
        return [
            lambda: "/supervision/ledger/",
            lambda: "/tasks/?listed=1",
            lambda: f"/tasks/{random.choice(tasks)}/",
            lambda: "/reminders/",
        ]
    return [
        lambda: f"/dashboard/?month={month}",
        lambda: "/tasks/",
        lambda: f"/tasks/{random.choice(tasks)}/",
        lambda: "/public/",
    ]


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples = []  # (started, seconds, status, path)
        self.urgings = []  # (message, status) of every 催办 sent
        self.login_failures = 0
        self.started = None  # when the measured window began (after every sign-in)

    def add(self, started, seconds, status, path):
        with self.lock:
            self.samples.append((started, seconds, status, path))


def run_user(port, username, password, ids, window, results, remind_every=25):
    """Sign in, wait for every user to be signed in (sign-in hashes a password on purpose:
    50 at once would only measure PBKDF2), then browse until the window ends."""
    user = User(port, username)
    signed_in = user.login(password)
    if not signed_in:
        with results.lock:
            results.login_failures += 1
    window["ready"].wait()
    if not signed_in:
        return
    until = window["until"]
    pages = pages_for(username, ids)
    n = 0
    while time.monotonic() < until:
        n += 1
        if username.startswith("supervisor") and n % remind_every == 0:
            task = random.choice(ids["chased_tasks"])
            message = f"压测催办 {secrets.token_hex(6)}"
            path = f"/tasks/{task}/remind/"
            started = time.monotonic()
            status, _ = user.request("POST", path, {"message": message})
            results.add(started, time.monotonic() - started, status, "POST remind")
            with results.lock:
                results.urgings.append((message, status))
            continue
        path = random.choice(pages)()
        started = time.monotonic()
        status, _ = user.request("GET", path)
        results.add(started, time.monotonic() - started, status, path.split("?")[0])


def run_load(ports, ids, users, seconds, password, remind_every=25, on_start=None):
    """Run `users` users on `ports` for `seconds` after all have signed in; `on_start()` is
    called when the measured window begins."""
    results = Results()
    names = [name for name, weight in ROLE_MIX for _ in range(weight)]
    window = {"until": None}

    def start_clock():
        window["until"] = time.monotonic() + seconds
        window["started"] = time.monotonic()
        if on_start:
            on_start()

    # Sign-ins first (not measured), then every user browses for `seconds`.
    window["ready"] = threading.Barrier(users + 1, action=start_clock)
    threads = [
        threading.Thread(
            target=run_user,
            args=(
                ports[i % len(ports)],
                names[i % len(names)],
                password,
                ids,
                window,
                results,
                remind_every,
            ),
            daemon=True,
        )
        for i in range(users)
    ]
    for thread in threads:
        thread.start()
    window["ready"].wait(600)
    results.started = window["started"]
    for thread in threads:
        thread.join(seconds + 120)
    return results


def summary(results, seconds, since=None, until=None):
    rows = [s for s in results.samples if (since is None or since <= s[0] < until)]
    times = [s[1] for s in rows]
    errors = sum(1 for s in rows if s[2] == 0 or s[2] >= 500)
    span = (until - since) if since is not None else seconds
    return {
        "requests": len(rows),
        "rps": len(rows) / span if span else 0,
        "p50": percentile(times, 0.50) * 1000,
        "p95": percentile(times, 0.95) * 1000,
        "p99": percentile(times, 0.99) * 1000,
        "max": max(times, default=0) * 1000,
        "mean": (statistics.mean(times) if times else 0) * 1000,
        "errors": errors,
        "statuses": sorted({s[2] for s in rows}),
    }


def line(label, s):
    return (
        f"| {label} | {s['requests']} | {s['rps']:.1f} | {s['p50']:.0f} | {s['p95']:.0f} | "
        f"{s['p99']:.0f} | {s['max']:.0f} | {s['errors']} | {s['statuses']} |"
    )


HEADER = (
    "| run | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | statuses |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def by_page(results):
    """Lines of the per-page table: the pages by their p99, slowest first."""
    pages = {}
    for _, seconds, _, path in results.samples:
        key = re.sub(r"/\d+/", "/<id>/", path)
        pages.setdefault(key, []).append(seconds)
    out = ["| page | requests | p50 ms | p99 ms |", "|---|---|---|---|"]
    ranked = sorted(pages.items(), key=lambda kv: -percentile(kv[1], 0.99))
    for key, times in ranked:
        out.append(
            f"| {key} | {len(times)} | {percentile(times, 0.5) * 1000:.0f} | "
            f"{percentile(times, 0.99) * 1000:.0f} |"
        )
    return out


def append_results(title, lines):
    path = ROOT / "bench" / "results.md"
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    text = f"\n## {title} ({stamp})\n\n" + "\n".join(lines) + "\n"
    with path.open("a", encoding="utf-8") as out:
        out.write(text)
    print(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("GUNICORN_WORKERS", 4)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("GUNICORN_THREADS", 4)))
    args = parser.parse_args()
    env = server_env()
    ids = prepare(env)
    password = env.get("DEMO_PASSWORD", "demo12345")
    server = Gunicorn(env, free_port(), args.workers, args.threads)
    try:
        server.wait_ready()
        before = load_average()
        results = run_load([server.port], ids, args.users, args.seconds, password)
        after = load_average()
    finally:
        server.stop()
    s = summary(results, args.seconds)
    sent = sum(1 for _, status in results.urgings if status == 302)
    append_results(
        f"make load: {args.users} users, {args.seconds} s, gunicorn {args.workers}x{args.threads}",
        [
            HEADER,
            line("all requests", s),
            "",
            *by_page(results),
            "",
            f"Sign-in failures: {results.login_failures}. 催办 sent: {sent}. "
            f"Load average before / after (1, 5, 15 min): {before} → {after}. "
            f"Cores: {os.cpu_count()}. Redis: {'yes' if env.get('REDIS_URL') else 'no'}.",
        ],
    )
    return 1 if s["errors"] or results.login_failures else 0


if __name__ == "__main__":
    sys.exit(main())
