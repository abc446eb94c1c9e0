"""Apps plug into the core by registering, and the core imports none of them: a throwaway
app (tests/plugin_app, installed by tests/settings.py) adds a reminder rule in one small file;
the daily scan runs it, and the digest links to that app's record's own page."""

from datetime import date

from django.core import mail

from core.models import Reminder, ReminderItem
from core.reminders import RULES
from core.roles import Role
from tests.helpers import make_department, make_user, run_on
from tests.plugin_app.models import Widget


def test_a_rule_of_another_app_runs_and_links_to_its_record(
    db, settings, client, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://duban.example.gov.cn"
    assert "plugin_widget_due" in RULES  # found by core/apps.py, named nowhere in core
    owner = make_user("owner", Role.STAFF, make_department(), email="owner@example.gov.cn")
    widget = Widget.objects.create(title="甲", owner=owner, due=date(2030, 6, 22))
    Widget.objects.create(title="乙", owner=owner, due=date(2030, 9, 1))  # not due yet

    result = run_on(date(2030, 6, 20), django_capture_on_commit_callbacks)

    assert [item.event for item in result.items] == [f"plugin:widget:{widget.pk}"]
    item = ReminderItem.objects.get()
    assert item.target == widget
    assert (item.url, item.label) == (f"/plugin/widgets/{widget.pk}/", "部件 甲")
    link = f"https://duban.example.gov.cn/plugin/widgets/{widget.pk}/"
    (email,) = mail.outbox
    assert email.to == ["owner@example.gov.cn"]
    assert link in email.body
    assert f'href="{link}"' in email.alternatives[0][0]
    inbox = Reminder.objects.get(recipient=owner, channel="in_app")
    assert inbox.target == widget  # a digest about one record points at it
    client.force_login(owner)
    response = client.get(f"/notifications/{inbox.pk}/")
    assert response.status_code == 302 and response["Location"] == widget.get_absolute_url()
    again = run_on(date(2030, 6, 21), django_capture_on_commit_callbacks)
    assert again.items == [] and len(mail.outbox) == 1  # once, not every day
