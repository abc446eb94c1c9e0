"""`X-Query-Count`: the number of SQL queries a request ran, for `make bench` (bench/run.py).

Only installed when the environment sets BENCH_QUERY_HEADER (qingdao_office/settings.py); it
counts the default database's queries of the request's thread with `execute_wrapper`.
Queries run while a streaming response is iterated (after the view returned) are not counted.
"""

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connection


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
