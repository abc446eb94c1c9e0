#!/usr/bin/env python
"""`make faults`: the load of bench/load.py while Redis, PostgreSQL and a worker are broken.

Loopback only, bounded in time, never part of `make test`. Needs DATABASE_URL=postgres://… (a
database of its own: its connections are killed on purpose). It starts, all its own:

- a throwaway redis-server on a free port (never the shared one), used as cache and broker;
- two gunicorn instances on two ports and two Celery workers, sharing that PostgreSQL and
  Redis: two machines' worth, behaving as one;

and runs USERS users for SECONDS across both web servers while, in turn:

1. a worker is SIGKILLed (with its pool) and restarted 3 s later;
2. Redis is killed, and restarted 6 s later (down: connections refused);
3. Redis is stopped with SIGSTOP and continued 6 s later (hanging: accepts, never answers);
4. every PostgreSQL connection of the database is terminated (pg_terminate_backend).

Then it lets the sweep send what waited (REMINDER_CLAIM_LEASE=20 s here) and checks that
every 催办 the server confirmed is stored exactly once, and that every email row was sent,
counting duplicates by Message-ID in the mail files. Prints the errors of each phase and
appends the table to bench/results.md.
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import (  # noqa: E402 - after the path to bench/ is known
    BIN,
    DATA,
    HEADER,
    ROOT,
    Gunicorn,
    append_results,
    free_port,
    line,
    load_average,
    prepare,
    run_load,
    server_env,
    summary,
)

LEASE = 20


class Redis:
    def __init__(self, port):
        self.port = port
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)

    def kill(self):
        self.process.kill()
        self.process.wait()

    def pause(self):
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait()


class Worker:
    def __init__(self, env, name):
        self.env, self.name = env, name
        self.log = open(DATA / f"worker-{name}.log", "a")  # noqa: SIM115 - closed in stop()
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603
            [str(BIN / "celery"), "-A", "qingdao_office", "worker", "--concurrency=2"]
            + ["-n", f"{self.name}@%h", "--loglevel=WARNING"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def kill_database_connections():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        killed = cursor.fetchone()[0]
    connection.close()
    return killed


def schedule(seconds, redis, workers, phases):
    """Break things at fixed shares of the run; record each fault's window."""
    start = time.monotonic()

    def at(share):
        time.sleep(max(0, start + share * seconds - time.monotonic()))
        return time.monotonic()

    began = at(0.15)
    workers[0].kill()
    time.sleep(3)
    workers[0].start()
    phases.append(("worker SIGKILLed, restarted after 3 s", began, time.monotonic() + 5))
    began = at(0.30)
    redis.kill()
    time.sleep(6)
    redis.start()
    phases.append(("Redis down 6 s (connection refused)", began, time.monotonic() + 2))
    began = at(0.50)
    redis.pause()
    time.sleep(6)
    redis.resume()
    phases.append(("Redis hanging 6 s (SIGSTOP)", began, time.monotonic() + 2))
    began = at(0.70)
    killed = kill_database_connections()
    phases.append((f"PostgreSQL: {killed} connections terminated", began, began + 5))


def drain_outbox(env, since_id, timeout=150):
    """Run the sweep until every email row of the run is sent; the rows left unsent."""
    from core.delivery import sweep
    from core.models import Reminder

    rows = Reminder.objects.filter(pk__gt=since_id, channel="email")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        unsent = rows.filter(sent_at=None).count()
        if unsent == 0:
            return 0
        sweep()
        time.sleep(5)
    return rows.filter(sent_at=None).count()


def message_ids():
    ids = Counter()
    for path in (DATA / "mail").glob("*.log"):
        for text_line in path.read_text(errors="replace").splitlines():
            if text_line.lower().startswith("message-id:"):
                ids[text_line.split(":", 1)[1].strip()] += 1
    return ids


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    for old in (DATA / "mail").glob("*.log"):
        old.unlink()
    redis = Redis(free_port())
    redis_url = f"redis://127.0.0.1:{redis.port}/0"
    os.environ.update(REDIS_URL=redis_url, REMINDER_CLAIM_LEASE=str(LEASE))
    env = server_env({"REDIS_URL": redis_url, "REMINDER_CLAIM_LEASE": str(LEASE)})
    ids = prepare(env)
    os.environ["EMAIL_URL"] = env["EMAIL_URL"]
    from core.models import Reminder
    from supervision.models import Urging

    since_reminder = Reminder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    since_urging = Urging.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    servers = [Gunicorn(env, free_port(), 2, 4, name=f"web{i}") for i in (1, 2)]
    workers = [Worker(env, f"w{i}") for i in (1, 2)]
    phases = []
    try:
        for server in servers:
            server.wait_ready()
        before = load_average()
        started = time.monotonic()
        breaker = threading.Thread(
            target=schedule, args=(args.seconds, redis, workers, phases), daemon=True
        )
        ports = [s.port for s in servers]
        # Supervisors send a 催办 every 4th request: writes whose notices and emails are
        # counted afterwards for losses and duplicates. The faults start with the measured
        # window, once every user has signed in.
        results = run_load(
            ports,
            ids,
            args.users,
            args.seconds,
            "demo12345",
            remind_every=4,
            on_start=breaker.start,
        )
        breaker.join(60)
        after = load_average()
        from django.db import connection

        connection.close()  # the fault killed this process's own connection too
        for worker in workers:
            if worker.process.poll() is not None:
                worker.start()
        unsent = drain_outbox(env, since_reminder)
    finally:
        for server in servers:
            server.stop()
        for worker in workers:
            worker.stop()
        redis.stop()
    confirmed = [m for m, status in results.urgings if status == 302]
    stored = Counter(Urging.objects.filter(pk__gt=since_urging).values_list("message", flat=True))
    lost = [m for m in confirmed if stored[m] == 0]
    doubled = [m for m, n in stored.items() if n > 1]
    emails = Reminder.objects.filter(pk__gt=since_reminder, channel="email")
    mail = message_ids()
    duplicates = sum(n - 1 for n in mail.values() if n > 1)
    lines = [HEADER, line("whole run", summary(results, args.seconds))]
    for label, since, until in phases:
        lines.append(line(label, summary(results, args.seconds, since, until)))
    lines += [
        "",
        f"催办 confirmed (302): {len(confirmed)}; stored: {sum(stored.values())}; "
        f"lost: {len(lost)}; stored twice: {len(doubled)}; "
        f"answered with an error or not at all: {len(results.urgings) - len(confirmed)}.",
        f"Email rows: {emails.count()}; unsent after the sweep: {unsent}; "
        f"messages written: {sum(mail.values())}; distinct Message-IDs: {len(mail)}; "
        f"duplicates: {duplicates} (workers SIGKILLed: 1).",
        f"Load average before / after: {before} → {after}. Cores: {os.cpu_count()}. "
        f"Two gunicorn instances x 2 workers x 4 threads, two Celery workers, "
        f"run {time.monotonic() - started:.0f} s.",
    ]
    append_results(f"make faults: {args.users} users, {args.seconds} s", lines)
    return 1 if lost or doubled or unsent or duplicates > 1 else 0


if __name__ == "__main__":
    sys.exit(main())
