"""Who may open each page of the 督查通报 and the 目标绩效考核, and who may write: the matrix
of every new URL for the signed out, staff, a head, a supervisor, a leader and an admin."""

import pytest

from core.roles import Role
from supervision import bulletins
from supervision.models import Bulletin, ScoringScheme
from tests.helpers import JUNE, close_june, drain, login, make_month_office, make_user

pytestmark = pytest.mark.django_db

PEOPLE = ["anonymous", "staff_a", "head_a", "sup", "leader", "admin"]
# url: the status each of PEOPLE gets (302: to the sign-in page)
READ = {
    "/bulletins/": "302 403 200 200 200 200",
    "/bulletins/2030-06/": "302 403 200 200 200 200",
    "/bulletins/2030-06.docx": "302 403 200 200 200 200",
    "/bulletins/2030-06.pdf": "302 403 200 200 200 200",
    "/bulletins/2030-05/": "302 403 404 200 404 200",  # open month: writers see why
    "/bulletins/2030-13/": "302 403 404 404 404 404",
    "/bulletins/2031-06/": "302 403 404 404 404 404",  # no plan of that year
    "/bulletins/2030-05.pdf": "302 403 404 404 404 404",  # nothing issued
    "/scores/?month=2030-06": "302 403 200 200 200 200",
    "/scores/": "302 403 200 200 200 200",
    "/scores/?month=2030-6": "302 403 400 400 400 400",
    "/scores.xlsx?month=2030-06": "302 403 200 200 200 200",
}
# POST to the June draft: writers only (a save without its fields is the form again)
WRITE = {
    "generate": "302 403 403 302 403 302",
    "save": "302 403 403 400 403 400",
    "issue": "302 403 403 302 403 302",
}


@pytest.fixture
def office():
    made = make_month_office()
    make_user("admin", Role.ADMIN)
    ScoringScheme.objects.create(year=2030).items.create(
        key="supervision.reports_on_time", weight=100
    )
    close_june(made)
    bulletins.issue(bulletins.generate(made["plan"], JUNE, made["sup"]), made["sup"])
    return made


@pytest.mark.parametrize("url", list(READ))
def test_who_may_read(client, office, url):
    for person, expected in zip(PEOPLE, READ[url].split(), strict=True):
        if person != "anonymous":
            login(client, person)
        response = client.get(url)
        drain(response)
        assert response.status_code == int(expected), (person, url)
        if expected == "302":
            assert response["Location"].startswith("/accounts/login/")
        client.logout()


@pytest.mark.parametrize("action", ["generate", "save", "issue"])
def test_who_may_write(client, office, action):
    Bulletin.objects.all().delete()
    bulletins.generate(office["plan"], JUNE, office["sup"])
    for person, expected in zip(PEOPLE, WRITE[action].split(), strict=True):
        if person != "anonymous":
            login(client, person)
        response = client.post("/bulletins/2030-06/", {"action": action})
        assert response.status_code == int(expected), person
        client.logout()
    if action == "issue":  # the supervisor issued it; the admin's issue was refused
        assert Bulletin.objects.get().number == 1


def test_a_page_of_a_closed_month_without_a_bulletin_offers_to_generate(client, office):
    Bulletin.objects.all().delete()
    login(client, "sup")
    page = client.get("/bulletins/2030-06/").content.decode()
    assert 'id="generate"' in page
    assert "2030年6月" in client.get("/bulletins/").content.decode()
    assert "尚未关账" in client.get("/bulletins/2030-05/").content.decode()
    response = client.post("/bulletins/2030-05/", {"action": "generate"}, follow=True)
    assert "只能为已关账的月份生成督查通报" in response.content.decode()
    assert not Bulletin.objects.exists()


def test_an_issued_bulletin_is_read_only_in_the_admin(client, office):
    admin = make_user("root", Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    bulletin = Bulletin.objects.get()
    url = f"/admin/supervision/bulletin/{bulletin.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="overview"' not in page and bulletin.overview[:10] in page
    client.post(url, {"overview": "改写", "issuer": "别处"})
    assert Bulletin.objects.get().overview == bulletin.overview
