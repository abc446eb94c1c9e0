"""The leaders' dashboard in a real browser: charts drawn, a drill-down followed, and a
screenshot kept as a CI artifact (tests/artifacts/, ignored by git)."""

import pytest

from tests import demo_snapshot
from tests.browser.conftest import ARTIFACTS
from tests.browser.pages import html

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_data(transactional_db):
    demo_snapshot.demo(2012)


def test_leader_dashboard_drill_down_and_screenshot(signed_in, live_server, demo_data):
    page = signed_in("leader1")
    page.goto(f"{live_server.url}/dashboard/?month=2012-06")
    assert "2012年6月" in page.title()
    page.wait_for_function("document.querySelector('#chart-percent').width > 0")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-2012-06.png"), full_page=True)
    page.emulate_media(media="print")
    page.pdf(path=str(ARTIFACTS / "dashboard-2012-06.pdf"), format="A4")  # the print view
    page.emulate_media(media="screen")
    link = page.locator("#by-project a").first
    title = link.inner_text()
    link.click()
    page.wait_for_url("**/tasks/?*project=*")
    assert page.locator("#task-table tbody tr").count() >= 1
    assert title.split(". ", 1)[1] in html(page)
