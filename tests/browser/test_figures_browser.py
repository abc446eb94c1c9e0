"""Issue 11 in a real browser: a dashboard figure followed to the task list finds the same
tasks; the year selector; the yellow figure readable and the department table whole; a task
printed on A4 and exported as .docx."""

import re

import pytest

from supervision.models import Task
from tests import demo_snapshot
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_years(transactional_db):
    demo_snapshot.demo(2012)
    demo_snapshot.demo(2013)


def rgb_contrast(foreground, background):
    def luminance(colour):
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted([luminance(foreground), luminance(background)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_dashboard_figures_lead_to_the_same_tasks(signed_in, live_server, two_years):
    page = signed_in("leader1")
    page.goto(f"{live_server.url}/dashboard/?month=2012-12")
    yellow = page.locator('[data-figure="yellow"]')
    count = int(yellow.inner_text())
    assert count > 0
    colour = yellow.evaluate("e => getComputedStyle(e).color")
    assert rgb_contrast(colour, "rgb(255, 255, 255)") >= 4.5
    box = page.locator("#by-department").locator("xpath=..")
    assert box.evaluate("e => e.scrollHeight <= e.clientHeight + 1")  # no row cut off

    yellow.click()
    page.wait_for_url("**/tasks/?*as_of=2012-12*")
    assert "2012年12月灯号" in page.locator("h1").inner_text()
    assert page.locator("#task-table tbody .light-badge").count() == count

    # the year selector switches without a button press
    page.goto(f"{live_server.url}/dashboard/")
    assert "2013年6月" in page.title()
    page.select_option("#year-select", "2012")
    page.wait_for_url("**/dashboard/?year=2012")
    assert "2012年6月" in page.title()
    page.goto(f"{live_server.url}/dashboard/?month=2013-06")
    assert page.locator('[data-last-year="avg_percent"] td').count() == 6


def test_task_prints_on_a4_and_exports_to_word(signed_in, live_server, two_years, tmp_path):
    task = Task.objects.get(title="提升融资环境", project__plan__year=2012)
    page = signed_in("supervisor1")
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    assert not page.locator("#print-dossier").is_visible()
    page.emulate_media(media="print")
    assert page.locator("#print-dossier").is_visible()
    assert not page.locator("#milestones").is_visible()  # the screen's page stays off paper
    assert page.locator("#print-dossier .dossier-report").count() >= 5
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(path=str(ARTIFACTS / "task-dossier.pdf"), format="A4")
    assert pdf.startswith(b"%PDF")
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.click("#export-docx")
    assert download.value.suggested_filename.endswith(".docx")
    path = tmp_path / "dossier.docx"
    download.value.save_as(path)
    assert path.stat().st_size > 5000
