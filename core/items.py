"""督办事项 opened from another app's records: a 建议提案 becomes an item of source 人大建议 or
政协提案, a cluster of late 12345 work orders an item for 集中督办. The app that keeps the
items (supervision) provides the opener at start-up; the others call `open_item` here, so no
app names another.

`source` is one of the item sources' values ("npc" 人大建议, "cppcc" 政协提案, "letter" 群众来信,
"other" 其他, …). The opener creates the item exactly as the 立项 form does (numbering, notice
to the lead department, history) and returns it.
"""

from django.core.exceptions import ImproperlyConfigured

_opener = None


def provide(opener):
    """Decorator: the function that opens items, `opener(**fields) -> item`."""
    global _opener  # noqa: PLW0603 - one provider, set once at start-up
    _opener = opener
    return opener


def open_item(
    *, user, source, title, text, lead_department, due_date, partner_departments=(),
    doc_number="", rhythm="monthly", start_date=None, quiet=False,
):  # fmt: skip
    """Open the item; `quiet` leaves out the notice to the lead department (demo data)."""
    if _opener is None:
        raise ImproperlyConfigured("没有安装督办事项应用，无法立项。")
    return _opener(
        user=user,
        source=source,
        title=title,
        text=text,
        lead_department=lead_department,
        due_date=due_date,
        partner_departments=list(partner_departments),
        doc_number=doc_number,
        rhythm=rhythm,
        start_date=start_date,
        quiet=quiet,
    )
