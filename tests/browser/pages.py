"""What every browser test reads off a page."""


def html(page):
    """The page's HTML once the document a click opened has loaded.

    Playwright's click returns when a form's navigation has committed, before the new document
    is parsed: read at that moment, content() is '' (CI saw it once on a loaded machine)."""
    page.wait_for_load_state()
    return page.content()
