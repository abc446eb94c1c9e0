"""A PostgreSQL connection that dies during a request (issue 9, finding 10): a read is run
again on a new connection instead of a 500; a write is not re-run."""

from django.core.handlers.exception import convert_exception_to_response
from django.db import OperationalError
from django.http import HttpResponse

from core.middleware import RetryReadOnDatabaseFailureMiddleware


def flaky(failures):
    calls = []

    def view(request):
        calls.append(request.method)
        if len(calls) <= failures:
            raise OperationalError("server closed the connection unexpectedly")
        return HttpResponse("ok")

    return convert_exception_to_response(view), calls


def test_a_read_whose_connection_died_is_run_once_more(rf, caplog):
    view, calls = flaky(failures=1)
    response = RetryReadOnDatabaseFailureMiddleware(view)(rf.get("/tasks/"))
    assert response.status_code == 200 and calls == ["GET", "GET"]


def test_a_read_that_keeps_failing_is_a_500_after_one_retry(rf, caplog):
    view, calls = flaky(failures=5)
    response = RetryReadOnDatabaseFailureMiddleware(view)(rf.get("/tasks/"))
    assert response.status_code == 500 and calls == ["GET", "GET"]


def test_a_write_is_never_run_twice(rf, caplog):
    view, calls = flaky(failures=1)
    response = RetryReadOnDatabaseFailureMiddleware(view)(rf.post("/tasks/1/remind/"))
    assert response.status_code == 500 and calls == ["POST"]
