"""gunicorn settings for the 督查督办 web service (deploy/duban-web.service starts it).

Bound to loopback only: nginx (deploy/nginx-duban.conf) is the only client. Every value can be
overridden from the environment file (/etc/duban/env) with GUNICORN_* variables.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Two workers per core plus one (gunicorn's rule of thumb), each with a few threads: most of a
# request is waiting on PostgreSQL, so threads add throughput without much memory.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
# No page may take longer: the plan import page is capped so that it confirms in under 10 s,
# uploads are bounded before reading (README "Uploads and limits").
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
# Load the app before forking: a broken settings file stops start-up instead of each worker.
preload_app = True
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Request line and header limits (gunicorn's defaults, stated): a hostile client cannot make a
# worker buffer megabytes of headers.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# nginx is on the same machine: trust its X-Forwarded-* headers from loopback only.
forwarded_allow_ips = "127.0.0.1"
