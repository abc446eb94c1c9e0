"""Request middleware of the shared layer.

`X-Query-Count`: the number of SQL queries a request ran, for `make bench` (bench/run.py).

Only installed when the environment sets BENCH_QUERY_HEADER (qingdao_office/settings.py); it
counts the default database's queries of the request's thread with `execute_wrapper`.
Queries run while a streaming response is iterated (after the view returned) are not counted.
"""

import sys

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connection, connections
from django.http import HttpResponse, HttpResponseForbidden
from django.template.loader import render_to_string
from django.utils import timezone


class _Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class QueryCountHeaderMiddleware:
    def __init__(self, get_response):
        if not getattr(settings, "BENCH_QUERY_HEADER", False):
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        counter = _Counter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Query-Count"] = str(counter.count)
        return response


ANONYMOUS_MAX_BYTES = 64 * 1024  # an empty form posted by a signed-out page still redirects


class RequestBodyGuardMiddleware:
    """Refuses a request body before anything reads it: one larger than MAX_REQUEST_BYTES
    (413), and a multipart upload from someone not signed in (403; bodies up to 64 KB, such as
    a form posted from a page whose session expired, still go on to the sign-in redirect).
    Django would otherwise stream an anonymous 300 MB multipart body to the temporary
    directory while the CSRF check looks for its token. nginx refuses the same size first
    (deploy/nginx, client_max_body_size).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            megabytes = settings.MAX_REQUEST_BYTES // (1024 * 1024)
            return HttpResponse(
                f"请求内容过大：上传的文件和表单合计不能超过 {megabytes} MB。",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        if multipart and length > ANONYMOUS_MAX_BYTES and not request.user.is_authenticated:
            return HttpResponseForbidden(
                "请先登录后再上传文件。", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """`Permissions-Policy` on every response: the pages use no camera, microphone,
    location or payment, so no page (or anything injected into one) may ask for them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class RetryReadOnDatabaseFailureMiddleware:
    """A GET or HEAD that failed because its PostgreSQL connection died (a database restart,
    a terminated backend, a failover) is answered by running it once more on a new
    connection, instead of a 500. CONN_HEALTH_CHECKS catches a connection that died between
    requests; this catches one that dies during a request. Writes (POST) are never re-run:
    they may have committed. What still fails (or any failed write) gets a 503 page in Chinese
    that says the database connection broke and whether the write may not have been saved."""

    SAFE = ("GET", "HEAD")

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(_mark_database_failure, dispatch_uid="retry-read-mark")

    def __call__(self, request):
        response = self.get_response(request)
        if not (response.status_code >= 500 and getattr(request, "_database_failed", False)):
            return response
        for conn in connections.all(initialized_only=True):
            conn.close()
        if request.method in self.SAFE:
            request._database_failed = False
            response = self.get_response(request)
            if not (response.status_code >= 500 and request._database_failed):
                return response
        # Still no database, or a write that may have committed: a page that says so (it
        # needs no database to render), never a bare 500.
        write = request.method not in self.SAFE
        page = render_to_string("503_database.html", {"write": write})
        return HttpResponse(page, status=503, headers={"Retry-After": "10"})


def _mark_database_failure(sender, request=None, **kwargs):
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, OperationalError | InterfaceError):
        request._database_failed = True


class SessionActivityMiddleware:
    """Sessions end after SESSION_COOKIE_AGE seconds without activity. A signed-in request
    renews the session's expiry, but writes it at most every REFRESH_SECONDS (instead of
    SESSION_SAVE_EVERY_REQUEST's write on every request): idle time is measured to within
    five minutes, and a page view costs no extra UPDATE."""

    REFRESH_SECONDS = 300

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(timezone.now().timestamp())
            if now - request.session.get(ACTIVE, 0) >= self.REFRESH_SECONDS:
                request.session[ACTIVE] = now  # modified: saved with a fresh expiry
        return self.get_response(request)


ACTIVE = "_active"


def mark_session_active(sender, request=None, **kwargs):
    """Signing in is activity (the user_logged_in signal, connected in CoreConfig.ready)."""
    if request is not None and hasattr(request, "session"):
        request.session[ACTIVE] = int(timezone.now().timestamp())
