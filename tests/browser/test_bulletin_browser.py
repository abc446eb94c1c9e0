"""The 督查通报 in a real browser: a supervisor closes June on the dashboard, generates the
month's bulletin, edits a paragraph and issues it; the PDF downloads, and the first page is
kept as a PNG under tests/artifacts/ (pdftoppm, poppler-utils)."""

import shutil
import subprocess

import pytest

from core.models import Reminder
from supervision.models import Bulletin
from tests import demo_snapshot
from tests.browser.conftest import ARTIFACTS
from tests.helpers import skip_or_fail

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_data(transactional_db):
    demo_snapshot.demo(2012)


def test_generate_edit_and_issue_a_bulletin(signed_in, live_server, demo_data):
    page = signed_in("supervisor1")
    page.on("dialog", lambda dialog: dialog.accept())  # 关账 asks once before it acts
    page.goto(f"{live_server.url}/dashboard/?month=2012-06")
    page.click("#close-month")
    page.click("#bulletin-link")
    page.wait_for_url("**/bulletins/2012-06/")
    page.click("#generate")
    page.wait_for_selector("#bulletin-form")
    page.fill("#id_next_steps", "7月起对滞后事项实行周调度。")
    page.click("#save")
    page.wait_for_selector(".alert-success")
    assert "7月起对滞后事项实行周调度。" in page.locator("#bulletin-preview").inner_text()
    page.click("#issue")
    page.wait_for_selector("#download-pdf")
    assert page.locator("#bulletin-status").inner_text() == "已印发"
    preview = page.locator("#bulletin-preview").inner_text()
    assert "2012年第6期" in preview and "九、下步工作" in preview

    with page.expect_download() as download:
        page.click("#download-pdf")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "bulletin-2012-06.pdf"
    download.value.save_as(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    bulletin = Bulletin.objects.get(month="2012-06-01")
    assert (bulletin.number, bulletin.next_steps) == (6, "7月起对滞后事项实行周调度。")
    assert Reminder.objects.filter(kind="bulletin", recipient__username="head1").exists()

    if not shutil.which("pdftoppm"):
        skip_or_fail("no pdftoppm (apt-get install poppler-utils)")
    png = ARTIFACTS / "bulletin-2012-06-page1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(png)],
        check=True,
        timeout=60,
    )
    assert png.with_suffix(".png").stat().st_size > 10_000
