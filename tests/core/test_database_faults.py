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


def test_a_read_that_keeps_failing_is_a_503_page_after_one_retry(rf, caplog):
    view, calls = flaky(failures=5)
    response = RetryReadOnDatabaseFailureMiddleware(view)(rf.get("/tasks/"))
    assert response.status_code == 503 and calls == ["GET", "GET"]
    assert "已自动重试一次仍未成功" in response.content.decode()


def test_a_write_is_never_run_twice_and_says_it_may_not_be_saved(rf, caplog):
    view, calls = flaky(failures=1)
    response = RetryReadOnDatabaseFailureMiddleware(view)(rf.post("/tasks/1/remind/"))
    assert response.status_code == 503 and calls == ["POST"]
    assert "可能没有保存" in response.content.decode()
    assert response["Retry-After"] == "10"


def test_other_errors_are_left_alone(rf, caplog):
    def broken(request):
        raise ValueError("not the database")

    view = convert_exception_to_response(broken)
    response = RetryReadOnDatabaseFailureMiddleware(view)(rf.post("/tasks/1/remind/"))
    assert response.status_code == 500
