"""Page loads and clicks of the issue-11 daily scenarios, in a real browser (Debian's
chromium through Playwright), against a running server with the demo loaded:

    python bench/round_trips.py http://127.0.0.1:8000 [staff head]

Two accounts of one department leading 6 tasks (the demo's 机关党委) are made first:
`python manage.py shell -c "from bench.write_timings import make_accounts; make_accounts()"`.
The staff member files the month each task page offers for all 6 tasks through the task
pages; the head then approves the 6 reports; supervisor1 sends 3 催办 from the overdue list
(the ledger filtered to red). Loads are the documents the browser loaded
(redirects followed count once); clicks are the clicks and ticks the user made. Sign-in is
not counted. A measurement, not a test."""

import os
import sys

from playwright.sync_api import sync_playwright

PASSWORD = os.environ.get("DEMO_PASSWORD", "demo12345")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


class Tally:
    def __init__(self, page):
        self.loads = self.clicks = 0
        page.on("load", lambda loaded: self._load(loaded.url))
        page.on("dialog", lambda dialog: dialog.accept())

    def _load(self, url):
        self.loads += 1
        if os.environ.get("VERBOSE"):
            print("  load", self.loads, url)

    def click(self, locator):
        self.clicks += 1
        locator.click()
        locator.page.wait_for_load_state()


def signed_in(browser, base, username):
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def staff_files_six(browser, base):
    page = signed_in(browser, base, "rt_staff")
    tally = Tally(page)
    page.goto(f"{base}/")  # the department's task list
    list_url = page.url
    tasks = page.locator("table a[href^='/tasks/']").evaluate_all("els => els.map(e => e.href)")
    done = 0
    while done < 6:
        following = page.locator("#next-task a")
        if following.count():
            tally.click(following)
        else:
            if page.url != list_url:
                tally.click(page.locator(".navbar-brand"))  # back to the task list
            tally.click(page.locator(f"table a[href='{tasks[done].removeprefix(base)}']").first)
            tally.click(page.get_by_role("link", name="填报").first)
        page.fill("#id_progress", f"第{done + 1}项本月进展。")
        page.fill("#id_percent", "50")
        page.fill("#id_percent_note", "按实际进度填报。")
        tally.click(page.get_by_role("button", name="提交审核"))
        assert "已提交" in page.content(), (
            page.url,
            page.locator(".invalid-feedback").all_inner_texts(),
        )
        done += 1
    return tally


def head_approves_six(browser, base):
    page = signed_in(browser, base, "rt_head")
    tally = Tally(page)
    page.goto(f"{base}/")
    if page.locator("#nav-reviews").count():
        tally.click(page.locator("#nav-reviews"))
        tally.click(page.locator("#approve-all"))  # having read them on the one page
        return tally
    list_url = page.url
    tasks = page.locator("table a[href^='/tasks/']").evaluate_all("els => els.map(e => e.href)")
    for n, url in enumerate(tasks[:6]):
        if n:
            tally.click(page.locator(".navbar-brand"))
        tally.click(page.locator(f"table a[href='{url.removeprefix(base)}']").first)
        submitted = page.locator("#reports tr", has_text="已提交").get_by_role("link", name="查看")
        tally.click(submitted.first)
        tally.click(page.get_by_role("button", name="审核通过"))
    assert page.url != list_url
    return tally


def supervisor_chases_three(browser, base):
    page = signed_in(browser, base, "supervisor1")
    tally = Tally(page)
    overdue = f"{base}/supervision/ledger/?light=red"
    page.goto(overdue)  # the overdue list
    links = page.locator("#ledger-table a[href^='/tasks/']")
    urls = links.evaluate_all("els => els.map(e => e.getAttribute('href'))")[:3]
    if page.locator("#bulk-remind").count():
        for url in urls:
            tally.clicks += 1
            page.locator(f"input[form=bulk-remind][value='{url.split('/')[2]}']").check()
        tally.click(page.get_by_role("button", name="催办所勾选的任务"))
        assert "发出催办" in page.content()
        return tally
    for n, url in enumerate(urls):
        if n:
            tally.clicks += 1  # back to the list
            page.goto(overdue)
        tally.click(page.locator(f"#ledger-table a[href='{url}']"))
        tally.click(page.get_by_role("button", name="立即催办"))
        assert "发出催办" in page.content()
    return tally


def main():
    base = sys.argv[1].rstrip("/")
    wanted = sys.argv[2:] or ["staff", "head", "supervisor"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless"])
        scenarios = [
            ("staff", staff_files_six),
            ("head", head_approves_six),
            ("supervisor", supervisor_chases_three),
        ]
        for name, scenario in scenarios:
            if name in wanted:
                tally = scenario(browser, base)
                print(f"{name}: {tally.loads} page loads, {tally.clicks} clicks")
        browser.close()


if __name__ == "__main__":
    main()
